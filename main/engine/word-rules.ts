/**
 * Words as the writer counts them (runs of non-space characters, `wordCount` in
 * length-target.ts), counted from the decoded pieces of a fill while it is decoded in any
 * order, and the per-slot token bans that keep a fill inside its word range and free of line
 * breaks its original did not have. Pure: a table built once per model from the pieces'
 * text, and functions over it; the reverse process applies them (reverse-process.ts).
 *
 * The words of a concatenation of pieces are the word starts inside each piece (a
 * non-space after a space) plus, for a piece that starts with a non-space, one more when it
 * is the fill's first piece or the piece before it ends with a space. So each boundary
 * between two slots is counted exactly once, by whichever of its two slots is revealed
 * second (`wordsAdded`), and the count over the revealed slots never decreases: a fill's
 * count is exact once every slot is revealed, whatever the order.
 */

/** What counting words needs from each token's text (one entry per token id). */
export interface PieceTable {
  vocab: number
  /** Word starts after the piece's first character (a non-space right after a space). */
  inner: Uint8Array
  /** 1: the piece starts with a non-space character. */
  leadText: Uint8Array
  /** 1: the piece ends with a space (or line break). */
  trailSpace: Uint8Array
  /** 1: the piece holds a line break. */
  lineBreak: Uint8Array
  /** 1: the piece starts with a line break (after spaces, if any). */
  startsBreak: Uint8Array
  /** 1: the piece has no text at all (a special token, a byte that is no whole character). */
  empty: Uint8Array
  /** 1: the piece starts with a letter or digit (it would continue a word it is glued to). */
  leadWord: Uint8Array
}

/** The table for a vocabulary whose token `id` reads `text(id)`. */
export function pieceTable(vocab: number, text: (id: number) => string): PieceTable {
  const t: PieceTable = {
    vocab,
    inner: new Uint8Array(vocab),
    leadText: new Uint8Array(vocab),
    trailSpace: new Uint8Array(vocab),
    lineBreak: new Uint8Array(vocab),
    startsBreak: new Uint8Array(vocab),
    empty: new Uint8Array(vocab),
    leadWord: new Uint8Array(vocab),
  }
  for (let id = 0; id < vocab; id++) {
    const s = text(id)
    if (s.length === 0) {
      t.empty[id] = 1
      continue
    }
    let inner = 0
    for (let i = 1; i < s.length; i++) if (/\s/.test(s[i - 1]) && !/\s/.test(s[i])) inner++
    t.inner[id] = Math.min(255, inner)
    t.leadText[id] = /\s/.test(s[0]) ? 0 : 1
    t.leadWord[id] = /^[\p{L}\p{N}]/u.test(s) ? 1 : 0
    t.trailSpace[id] = /\s/.test(s[s.length - 1]) ? 1 : 0
    t.lineBreak[id] = /[\n\r\u2028\u2029]/.test(s) ? 1 : 0
    t.startsBreak[id] = /^[^\S\n\r\u2028\u2029]*[\n\r\u2028\u2029]/.test(s) ? 1 : 0
  }
  return t
}

/** A slot's neighbour within its span: a revealed token id, or UNKNOWN (masked, or none). */
export const UNKNOWN = -1

/**
 * Words a text token adds to its fill's count when revealed at a slot: its inner word
 * starts, its first character when that starts a word (the fill's first slot, or a revealed
 * piece before it ending in a space), and the next piece's first character when this piece
 * ends in a space and that revealed piece starts with text.
 */
export function wordsAdded(p: PieceTable, token: number, first: boolean, prev: number, next: number): number {
  let n = p.inner[token]
  if (p.leadText[token] && (first || (prev !== UNKNOWN && p.trailSpace[prev]))) n++
  if (p.trailSpace[token] && next !== UNKNOWN && p.leadText[next]) n++
  return n
}

/** Words of a fill's text tokens, in order (pads and every other id in `skip` left out). */
export function countPieceWords(p: PieceTable, ids: readonly number[], skip: (id: number) => boolean = () => false): number {
  let n = 0
  let prev = UNKNOWN
  let first = true
  for (const id of ids) {
    if (skip(id)) continue
    n += wordsAdded(p, id, first, prev, UNKNOWN)
    prev = id
    first = false
  }
  return n
}

/** Where a span's fill may have line breaks: none, inside but not first, anywhere. */
export type BreakRule = 0 | 1 | 2

/** The break rule for a span whose original is `original`: as many kinds of line break as it had. */
export function breakRuleOf(original: string): BreakRule {
  if (/^[^\S\n\r]*[\n\r]/.test(original)) return 2
  return /[\n\r\u2028\u2029]/.test(original) ? 1 : 0
}

/** What decides which tokens a slot may take. */
export interface SlotContext {
  /** The slot is its span's first. */
  first: boolean
  /**
   * The writer's text has white space right before the span (taken into the span's first
   * slot): a first piece that starts with a letter or digit would be glued onto the word
   * before ("so⟦re⟧" reads "sore"), so it may not take one. Punctuation may ("fishermen⟦,⟧").
   */
  afterSpace?: boolean
  /** The revealed piece before it in its span, or UNKNOWN. */
  prev: number
  /** The revealed piece after it in its span, or UNKNOWN. */
  next: number
  /** The slot after it in its span is masked (a piece ending in a space makes it start a word). */
  nextMasked: boolean
  /** Words the slot may add at least (≤ 0: no minimum) and at most (counting a masked slot it makes start a word). */
  lo: number
  hi: number
  breaks: BreakRule
  /** Pad may be revealed here. */
  pad: boolean
}

/**
 * The ids a slot may not take: `banned` (never predicted), pad unless allowed, pieces with no
 * text, line breaks the rule forbids, a word's continuation at a first slot after white
 * space, pieces ending in a space (other than line breaks), and
 * text whose added words fall outside lo..hi. When that leaves nothing (a slot between a line
 * break and text, where every piece starts a word), `banned` alone.
 * Masks are cached by context (they depend only on the context's classes, not on the ids).
 */
export class SlotBans {
  private cache = new Map<string, Uint8Array>()
  constructor(
    private readonly p: PieceTable,
    private readonly banned: Uint8Array,
    private readonly padId: number,
  ) {}

  mask(c: SlotContext): Uint8Array {
    const p = this.p
    // the neighbours matter only through these classes
    const prevSpace = c.prev !== UNKNOWN && p.trailSpace[c.prev] === 1
    const nextText = c.next !== UNKNOWN && p.leadText[c.next] === 1
    const lo = Math.max(-1, Math.min(4, c.lo))
    const hi = Math.max(-1, Math.min(4, c.hi))
    const glue = c.first && c.afterSpace === true
    const key = `${+c.first}${+prevSpace}${+nextText}${+c.nextMasked}${+glue}|${lo}|${hi}|${c.breaks}${+c.pad}`
    let m = this.cache.get(key)
    if (m) return m
    m = new Uint8Array(this.banned.length)
    for (let id = 0; id < m.length; id++) {
      if (id === this.padId) {
        m[id] = c.pad && !this.banned[id] ? 0 : 1
        continue
      }
      if (this.banned[id] || id >= p.vocab || p.empty[id]) {
        m[id] = 1
        continue
      }
      if (p.lineBreak[id] && (c.breaks === 0 || (c.breaks === 1 && c.first && p.startsBreak[id]))) {
        m[id] = 1
        continue
      }
      if (glue && p.leadText[id] && p.leadWord[id]) {
        m[id] = 1
        continue
      }
      if (p.trailSpace[id] && !p.lineBreak[id]) {
        // a piece ending in a space would make the slot after it start a word whatever it
        // holds; without such pieces every slot but a fill's first can add no word
        m[id] = 1
        continue
      }
      let n = p.inner[id]
      if (p.leadText[id] && (c.first || prevSpace)) n++
      if (p.trailSpace[id] && nextText) n++
      // the masked slot after a piece ending in a space will start a word if it holds text
      const most = n + (p.trailSpace[id] && c.nextMasked ? 1 : 0)
      m[id] = n < lo || most > hi ? 1 : 0
    }
    if (!m.includes(0)) m = this.banned // nothing fits (next to a line break): the judge has the last word
    if (this.cache.size > 512) this.cache.clear()
    this.cache.set(key, m)
    return m
  }
}

/** How the first step's pad probabilities are read (see chooseEnd). */
export type EndRule = 'peak' | 'absolute'

/** Below this peak pad probability a span shows no end at all: the fill takes its whole budget. */
export const END_MIN_PEAK = 0.1

/**
 * Where a fill ends, from its span's pad probabilities at the first step (all slots masked):
 * a model trained on fully masked, pad-terminated spans gives at slot j about P(the fill ends
 * at or before j), so the end is the first slot from `from` on whose pad probability reaches
 * `threshold` (the median length, as CAL reads the first step). Returns the number of text
 * slots (the whole span when no slot reaches it).
 *
 * 'peak' (the default) measures the threshold against the span's highest pad probability
 * from `from` on, a bias correction for a model whose pads are under-confident (the default
 * model was trained with pads filling at most half a span, and its pad probabilities rise
 * towards the end of a generous budget but peak at 0.1-0.6); for a calibrated model the
 * peak is near 1 and this is the plain crossing. A span whose peak is below END_MIN_PEAK
 * shows no end: the fill takes its whole budget. 'absolute': the plain crossing.
 */
export function chooseEnd(padProbs: ArrayLike<number>, from: number, threshold = 0.5, rule: EndRule = 'peak'): number {
  let cut = threshold
  if (rule === 'peak') {
    let peak = 0
    for (let j = Math.max(0, from); j < padProbs.length; j++) peak = Math.max(peak, padProbs[j])
    if (peak < END_MIN_PEAK) return padProbs.length
    cut = threshold * peak
  }
  for (let j = Math.max(0, from); j < padProbs.length; j++) if (padProbs[j] >= cut) return j
  return padProbs.length
}
