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
 * - the lock guard lets a model transaction remove locked text only when it is border
 *   spaces of a masked span the same step replaces (the writer gave them to the mask);
 *   every other locked character stays out of the model's reach;
 * - while a candidate is on show, the spaces it would remove are hidden with the span;
 * - the log records the border as part of the span whenever any candidate of the span
 *   trims it (`absorbed` spaces): the prefix ends before them, and the span's original,
 *   every candidate and the final text start with the spaces each of them leaves, so
 *   prefix + text + suffix is the document that text gives, for every candidate alike.
 *   With no candidate trimming (absorbed = 0) the log is exactly as before.
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

/** The spaces a candidate removes before its span, never more than the border has. */
export function candidateTrim(candidate: Pick<SpanCandidate, 'trimBefore'>, border: number): number {
  return Math.max(0, Math.min(candidate.trimBefore ?? 0, border))
}

/** The border spaces a span's log entry takes in: the most any of its candidates removes. */
export function absorbedSpaces(candidates: readonly Pick<SpanCandidate, 'trimBefore'>[] | null | undefined, border: number): number {
  return (candidates ?? []).reduce((most, c) => Math.max(most, candidateTrim(c, border)), 0)
}

/** A candidate as the log records it when the span takes in `absorbed` border spaces. */
export function loggedCandidate(candidate: Pick<SpanCandidate, 'text' | 'trimBefore'>, absorbed: number): string {
  return SPACE.repeat(absorbed - candidateTrim(candidate, absorbed)) + candidate.text
}

/** How a span's border stands in `doc`: its spaces, and those the span's log entry takes in. */
export function spanBorder(doc: PMNode, span: { from: number; candidates: readonly Pick<SpanCandidate, 'trimBefore'>[] | null }): { border: number; absorbed: number } {
  const border = borderSpaces(doc, span.from)
  return { border, absorbed: absorbedSpaces(span.candidates, border) }
}

/**
 * For the lock guard: true when `from..to` of `doc` is border spaces followed by a masked
 * span the same range goes on into, with no locked text after the spaces — a fill removing
 * the spaces the writer gave to the mask.
 */
export function replacesBorderWithSpan(doc: PMNode, from: number, to: number): boolean {
  const $from = doc.resolve(from)
  if (!$from.parent.isTextblock) return false
  const end = Math.min(to, $from.end())
  let m = from
  while (m < end && borderSpaceAt(doc, m)) m++
  if (m === from || m >= to) return false
  if (borderSpaces(doc, m) < m - from) return false
  return isMasked(doc.nodeAt(m)) && !doc.rangeHasMark(m, to, schema.marks.locked)
}

/** A span as its border needs it: where it starts, its candidates (and earlier rounds', where kept). */
export interface BorderedSpan {
  from: number
  original: string
  candidates: readonly SpanCandidate[] | null
  rounds?: readonly { candidates: readonly SpanCandidate[] }[]
}

/** Every candidate the span has had on offer. */
function everyCandidate(span: BorderedSpan): SpanCandidate[] {
  return [...(span.candidates ?? []), ...(span.rounds ?? []).flatMap((r) => r.candidates)]
}

/** The border spaces the log entry of `span` takes in, read from `doc` before the decision. */
export function spanAbsorbed(doc: PMNode, span: BorderedSpan): number {
  return absorbedSpaces(everyCandidate(span), borderSpaces(doc, span.from))
}

/**
 * `span` as its log entry records it when it takes in `absorbed` border spaces: the original
 * and every candidate (every round's) start with the spaces they leave before the span.
 */
export function absorbBorder<S extends BorderedSpan>(span: S, absorbed: number): S {
  if (absorbed === 0) return span
  const absorb = (cs: readonly SpanCandidate[]): SpanCandidate[] => cs.map((c) => ({ ...c, text: loggedCandidate(c, absorbed), trimBefore: 0 }))
  return {
    ...span,
    original: SPACE.repeat(absorbed) + span.original,
    candidates: span.candidates && absorb(span.candidates),
    ...(span.rounds ? { rounds: span.rounds.map((r) => ({ ...r, candidates: absorb(r.candidates) })) } : {}),
  }
}
