/**
 * The spaces at a masked span's border belong to the span.
 *
 * Decision (issue 16): a mask absorbs the spaces just before it — the run of plain spaces
 * directly before the span in its paragraph that belong to no other span (its *border*).
 * The engine already tokenizes them with the span (main/engine/canvas.ts) and says, per
 * candidate, how many of them the fill removes (`SpanCandidate.trimBefore`, computed by
 * main/engine/span-borders.ts: a fill that starts with "'s" or a comma joins the word before
 * it; an empty fill takes one of the two spaces around it). So:
 *
 * - accepting a candidate replaces `(from - trim)..to`, trim = min(trimBefore, border):
 *   "The man [is]" + "'s" reads "The man's", never "The man 's";
 * - an empty candidate that leaves nothing before it in its paragraph also takes the spaces
 *   right after the span (`trimAfter` here; the engine cannot know which spans the writer
 *   empties first), so "[The] man" emptied reads "man", not " man";
 * - the lock guard lets a model transaction remove locked text only when it is border
 *   spaces of a masked span the same step replaces (the writer gave them to the mask), or
 *   the spaces after one that the step leaves at its paragraph's start;
 *   every other locked character stays out of the model's reach;
 * - while a candidate is on show, the spaces it would remove are hidden with the span;
 * - the log records the border as part of the span whenever any candidate of the span
 *   takes it (`absorbed` spaces, before and after): the prefix ends before them (the suffix
 *   starts after them), and the span's original, every candidate and the final text hold
 *   the spaces each of them leaves, so prefix + text + suffix is the document that text
 *   gives, for every candidate alike. When no candidate takes a space the log is exactly as
 *   before.
 *
 * Undo restores the exact spaces: the accept is one transaction.
 */
import type { Node as PMNode } from 'prosemirror-model'
import type { SpanCandidate } from '../../../main/contract'
import { schema } from './schema'

const SPACE = ' '

function isMasked(node: PMNode | null | undefined): boolean {
  return !!node && (node.type === schema.nodes.mask_slot || (node.isText && !!schema.marks.masked.isInSet(node.marks)))
}

/** True when the character at `pos` is a plain space of unmasked text. */
function borderSpaceAt(doc: PMNode, pos: number): boolean {
  const node = doc.nodeAt(pos)
  return !!node?.isText && !isMasked(node) && doc.textBetween(pos, pos + 1) === SPACE
}

/** The border of the span starting at `pos`: unmasked plain spaces directly before it in its textblock. */
export function borderSpaces(doc: PMNode, pos: number): number {
  const $pos = doc.resolve(pos)
  if (!$pos.parent.isTextblock) return 0
  const start = $pos.start()
  let n = 0
  while (pos - n > start && borderSpaceAt(doc, pos - n - 1)) n++
  return n
}

/** Unmasked plain spaces directly after `pos` in its textblock. */
export function spacesAfter(doc: PMNode, pos: number): number {
  const $pos = doc.resolve(pos)
  if (!$pos.parent.isTextblock) return 0
  const end = $pos.end()
  let n = 0
  while (pos + n < end && borderSpaceAt(doc, pos + n)) n++
  return n
}

/** What a span's borders hold in a document: the spaces before it, what else precedes it in its paragraph, the spaces after it. */
export interface SpanBorders {
  /** Border spaces before the span. */
  before: number
  /** Positions between the paragraph's start and the span (== before: only spaces precede it). */
  lead: number
  /** Unmasked spaces right after the span. */
  after: number
}

/** The borders of the span at `from..to` of `doc`. */
export function spanBorders(doc: PMNode, from: number, to: number): SpanBorders {
  return { before: borderSpaces(doc, from), lead: from - doc.resolve(from).start(), after: spacesAfter(doc, to) }
}

/** The spaces a candidate takes on each side of its span. */
export interface BorderTake {
  before: number
  after: number
}

/**
 * The spaces a candidate removes: before the span, its `trimBefore` (never more than the
 * border has); after it, all of them when it is empty and leaves nothing before it in its
 * paragraph (so the paragraph does not start with a space).
 */
export function candidateTake(candidate: Pick<SpanCandidate, 'text' | 'trimBefore'>, b: SpanBorders): BorderTake {
  const before = Math.max(0, Math.min(candidate.trimBefore ?? 0, b.before))
  const after = candidate.text === '' && b.lead - before === 0 ? b.after : 0
  return { before, after }
}

/** The spaces before a span's candidate removes (its take before; see `candidateTake`). */
export function candidateTrim(candidate: Pick<SpanCandidate, 'trimBefore'>, border: number): number {
  return Math.max(0, Math.min(candidate.trimBefore ?? 0, border))
}

/** The border spaces a span's log entry takes in: on each side, the most any of its candidates takes. */
export function absorbedSpaces(candidates: readonly Pick<SpanCandidate, 'text' | 'trimBefore'>[] | null | undefined, b: SpanBorders): BorderTake {
  return (candidates ?? []).reduce(
    (most, c) => {
      const t = candidateTake(c, b)
      return { before: Math.max(most.before, t.before), after: Math.max(most.after, t.after) }
    },
    { before: 0, after: 0 },
  )
}

/** A candidate as the log records it when its span's entry takes in `absorbed` border spaces. */
export function loggedCandidate(candidate: Pick<SpanCandidate, 'text' | 'trimBefore'>, b: SpanBorders, absorbed: BorderTake): string {
  const t = candidateTake(candidate, b)
  return SPACE.repeat(absorbed.before - t.before) + candidate.text + SPACE.repeat(absorbed.after - t.after)
}

/**
 * For the lock guard: true when `from..to` of `doc` is masked content with, as its only
 * locked text, the border spaces before it and (only when nothing else precedes them in the
 * paragraph) the spaces after it — a fill removing the spaces the writer gave to the mask.
 */
export function replacesBorderWithSpan(doc: PMNode, from: number, to: number): boolean {
  const $from = doc.resolve(from)
  if (!$from.parent.isTextblock) return false
  const end = Math.min(to, $from.end())
  let m = from
  while (m < end && borderSpaceAt(doc, m)) m++
  if (m >= to || borderSpaces(doc, m) < m - from || !isMasked(doc.nodeAt(m))) return false
  let e = to
  while (e > m && borderSpaceAt(doc, e - 1)) e--
  if (e < to && from !== $from.start()) return false
  return !doc.rangeHasMark(m, e, schema.marks.locked)
}

/** A span as its border needs it: where it is, its candidates (and earlier rounds', where kept). */
export interface BorderedSpan {
  from: number
  to: number
  original: string
  candidates: readonly SpanCandidate[] | null
  rounds?: readonly { candidates: readonly SpanCandidate[] }[]
}

/** Every candidate the span has had on offer. */
function everyCandidate(span: BorderedSpan): SpanCandidate[] {
  return [...(span.candidates ?? []), ...(span.rounds ?? []).flatMap((r) => r.candidates)]
}

/** The borders of `span` in `doc` (before the decision) and the spaces its log entry takes in. */
export function spanAbsorbed(doc: PMNode, span: Pick<BorderedSpan, 'from' | 'to' | 'candidates' | 'rounds'>): { borders: SpanBorders; absorbed: BorderTake } {
  const borders = spanBorders(doc, span.from, span.to)
  return { borders, absorbed: absorbedSpaces(everyCandidate(span as BorderedSpan), borders) }
}

/**
 * `span` as its log entry records it when it takes in `absorbed` border spaces: the original
 * and every candidate (every round's) hold the spaces they leave around the span.
 */
export function absorbBorder<S extends BorderedSpan>(span: S, borders: SpanBorders, absorbed: BorderTake): S {
  if (absorbed.before === 0 && absorbed.after === 0) return span
  const absorb = (cs: readonly SpanCandidate[]): SpanCandidate[] => cs.map((c) => ({ ...c, text: loggedCandidate(c, borders, absorbed), trimBefore: 0 }))
  return {
    ...span,
    original: SPACE.repeat(absorbed.before) + span.original + SPACE.repeat(absorbed.after),
    candidates: span.candidates && absorb(span.candidates),
    ...(span.rounds ? { rounds: span.rounds.map((r) => ({ ...r, candidates: absorb(r.candidates) })) } : {}),
  }
}
