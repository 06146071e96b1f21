/**
 * Words of the writer's text, as the manuscript index counts them: runs of letters and digits,
 * with an apostrophe inside a word kept ("don't", "Mara’s"). A word never contains whitespace,
 * so the words of a text are the words of its whitespace-separated chunks, one chunk at a
 * time: the index recounts only the chunks an edit touched.
 *
 * Runtime-agnostic (no Node): the hosts and the tests import it.
 */

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu

/** The words of `text`, in order. */
export function wordsOf(text: string): string[] {
  return text.match(WORD) ?? []
}

/** Whether `ch` ends a chunk (whitespace). */
export function isBreak(ch: string): boolean {
  return /\s/.test(ch)
}

/**
 * A Markdown file's text as the writer reads it: headings, list and quote markers, emphasis,
 * code fences, link targets and HTML tags taken out, blocks kept apart by a blank line (the
 * editor's plain text joins its blocks the same way).
 */
export function markdownToPlain(markdown: string): string {
  const lines = markdown.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  const out: string[] = []
  for (const raw of lines) {
    let line = raw
    if (/^\s*(```|~~~)/.test(line)) continue
    line = line
      .replace(/^\s{0,3}#{1,6}\s+/, '') // heading
      .replace(/^(\s*>\s?)+/, '') // quote
      .replace(/^\s*(?:[-*+]|\d{1,9}[.)])\s+/, '') // list item
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // link or image: its text
      .replace(/<[^>\n]+>/g, '') // HTML tag
      .replace(/(\*\*|__|\*|_|`)(?=\S)([^\n]*?\S)\1/g, '$2') // emphasis, code
      .replace(/\\([\\`*_{}[\]()#+\-.!>])/g, '$1') // escapes
    out.push(line)
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}
