/**
 * The held-out text's cleaning (pure): Ambrose Bierce's "The Devil's Dictionary" (1911,
 * public domain) as Debian's dict-devil package ships it (a dictd database), turned into
 * the training corpus's plain format: one entry per document, documents separated by one
 * empty line, one paragraph or verse line per line, the same normalisation as
 * models/train/corpus.py (NFKC, straight quotes, single spaces).
 */

/** NFKC, straight quotes, no control characters, single spaces, trimmed (as corpus.py's normalize_text). */
export function normalizeLine(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\t/g, ' ')
    .replace(/\p{Cc}/gu, '')
    .replace(/ {2,}/g, ' ')
    .trim()
}

/** An entry starts with its headword in capitals, then a comma or a period ("ABASEMENT, n."). */
const HEADWORD = /^[A-Z][A-Z0-9'\- ]{0,40}[A-Z0-9'](,|\.)/
/** A line far to the right is an attribution ("G.J.", "A.B."), not text. */
const ATTRIBUTION_INDENT = 20

const indentOf = (line: string) => line.length - line.trimStart().length

/**
 * Cleans the dictd text of dict-devil: drops the dictfmt header before the PREFACE and the
 * trailing alphabet line, joins wrapped prose lines into paragraphs, keeps verse lines
 * (indented runs) one per line, drops right-aligned attributions and the `_italic_` marks.
 */
export function cleanDevilsDictionary(raw: string): string {
  const lines = raw.replace(/\r\n?/g, '\n').split('\n')
  const start = lines.findIndex((l) => l.trim() === 'PREFACE')
  if (start < 0) throw new Error("held-out text: no PREFACE line; not the dict-devil database this script knows")
  const body = lines.slice(start + 1).filter((l) => !/^\s*abcdefghijklmnopqrstuvwxyz\s*$/.test(l))

  // Blocks: runs of non-empty lines.
  const blocks: string[][] = []
  let current: string[] = []
  for (const l of body) {
    if (l.trim() === '') {
      if (current.length) blocks.push(current)
      current = []
    } else current.push(l.replace(/\t/g, '    '))
  }
  if (current.length) blocks.push(current)

  const entries: string[][] = []
  for (const block of blocks) {
    const out: string[] = []
    let paragraph = ''
    const flush = () => {
      if (paragraph) out.push(paragraph)
      paragraph = ''
    }
    block.forEach((l, i) => {
      const indent = indentOf(l)
      const text = l.trim()
      if (indent >= ATTRIBUTION_INDENT) return
      const nextIndent = i + 1 < block.length ? indentOf(block[i + 1]) : Infinity
      if (indent >= 4 && (nextIndent >= 4 || i + 1 === block.length)) {
        // a verse line (the whole run is indented)
        flush()
        out.push(text)
      } else if (indent >= 4) {
        // an indented first line of a prose paragraph
        flush()
        paragraph = text
      } else {
        paragraph = paragraph ? `${paragraph} ${text}` : text
      }
    })
    flush()
    const cleaned = out.map((p) => normalizeLine(p.replace(/_/g, ''))).filter(Boolean)
    if (cleaned.length === 0) continue
    if (entries.length === 0 || (indentOf(block[0]) < 4 && HEADWORD.test(block[0]))) entries.push(cleaned)
    else entries[entries.length - 1].push(...cleaned)
  }
  return entries.map((e) => e.join('\n')).join('\n\n') + '\n'
}

/** Lowercase words without punctuation, for the overlap check. */
function plainWords(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}']+/u).filter(Boolean)
}

/**
 * Contamination check: how many of `heldout`'s word n-grams (lowercased, punctuation
 * dropped) also occur in `training`. Only the held-out n-grams are kept in memory; the
 * training text is scanned once.
 */
export function ngramOverlap(heldout: string, training: Iterable<string>, n = 10): { shared: number; total: number } {
  const words = plainWords(heldout)
  const grams = new Set<string>()
  for (let i = 0; i + n <= words.length; i++) grams.add(words.slice(i, i + n).join(' '))
  const found = new Set<string>()
  let window: string[] = []
  for (const part of training) {
    for (const w of plainWords(part)) {
      window.push(w)
      if (window.length > n) window = window.slice(-n)
      if (window.length === n) {
        const g = window.join(' ')
        if (grams.has(g)) found.add(g)
      }
    }
  }
  return { shared: found.size, total: grams.size }
}
