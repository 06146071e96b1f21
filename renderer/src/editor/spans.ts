/**
 * Masked spans and locked ranges of a document, and the FillRequest built from them.
 *
 * A masked span is a maximal run of `masked` text inside one textblock, or one `mask_slot`
 * node. Locked ranges are runs of `locked` text; a run is cut at every non-text inline node
 * so an empty slot sitting between two locked words is never "inside" locked text.
 */
import type { Node as PMNode } from 'prosemirror-model'
import type { CharRange, FillRequest, LengthTarget, SamplingSettings, SpanSpec } from '../../../main/contract'
import { plainText, type PlainText } from './plain-text'
import { schema } from './schema'

/** One masked span of the document. */
export interface MaskedSpan {
  kind: 'text' | 'slot'
  /** PM range: the masked text, or the slot node. */
  from: number
  to: number
  /** Char range in the plain text (empty for a slot). */
  charFrom: number
  charTo: number
  /** The span's current text ('' for a slot). */
  original: string
  /** Slot budget: explicit, or null to let the engine use the original's token count. */
  slots: number | null
  /** The writer's length target in words (overrides `slots`); absent or null = none. */
  length?: LengthTarget | null
}

/** A masked span's place in its textblock, before char offsets are known. */
export type BlockSpan = Omit<MaskedSpan, 'charFrom' | 'charTo'>

/** The masked spans of one textblock whose content starts at PM position `start`. */
export function maskedRunsInBlock(block: PMNode, start: number): BlockSpan[] {
  const spans: BlockSpan[] = []
  let run: BlockSpan | null = null
  block.forEach((child, offset) => {
    const pos = start + offset
    if (child.type === schema.nodes.mask_slot) {
      if (run) spans.push(run)
      run = null
      spans.push({ kind: 'slot', from: pos, to: pos + 1, original: '', slots: child.attrs.slots as number, length: (child.attrs.length as LengthTarget | null) ?? null })
      return
    }
    const mask = child.isText ? schema.marks.masked.isInSet(child.marks) : undefined
    if (!mask) {
      if (run) spans.push(run)
      run = null
      return
    }
    if (run) {
      run.to = pos + child.nodeSize
      run.original += child.text ?? ''
      if (run.slots == null && mask.attrs.slots != null) run.slots = mask.attrs.slots as number
      if (run.length == null && mask.attrs.length != null) run.length = mask.attrs.length as LengthTarget
    } else {
      run = {
        kind: 'text',
        from: pos,
        to: pos + child.nodeSize,
        original: child.text ?? '',
        slots: (mask.attrs.slots as number | null) ?? null,
        length: (mask.attrs.length as LengthTarget | null) ?? null,
      }
    }
  })
  if (run) spans.push(run)
  return spans
}

/** Every masked span in document order. */
export function findMaskedSpans(doc: PMNode, pt: PlainText = plainText(doc)): MaskedSpan[] {
  const spans: MaskedSpan[] = []
  const seg = new Map(pt.segments.map((s) => [s.pos, s]))
  const charAt = (pos: number): number => seg.get(pos)?.char ?? posCharBefore(pt, pos)
  doc.descendants((block, blockPos) => {
    if (!block.isTextblock) return true
    for (const s of maskedRunsInBlock(block, blockPos + 1)) {
      const c = charAt(s.from)
      spans.push({ ...s, charFrom: c, charTo: c + s.original.length })
    }
    return false
  })
  return spans
}

function posCharBefore(pt: PlainText, pos: number): number {
  let best = 0
  for (const s of pt.segments) {
    if (s.pos > pos) break
    best = s.char + Math.min(s.length, pos - s.pos)
  }
  for (const b of pt.blocks) if (pos >= b.pos && pos <= b.end && b.char > best) best = b.char
  return best
}

/** Char ranges of locked text, runs cut at non-text inline nodes and block borders. */
export function findLockedRanges(doc: PMNode, pt: PlainText = plainText(doc)): CharRange[] {
  const ranges: CharRange[] = []
  const bySeg = new Map(pt.segments.map((s) => [s.pos, s]))
  doc.descendants((block, blockPos) => {
    if (!block.isTextblock) return true
    let open: CharRange | null = null
    block.forEach((child, offset) => {
      const pos = blockPos + 1 + offset
      const isLocked = child.isText && schema.marks.locked.isInSet(child.marks)
      if (!isLocked) {
        if (open) ranges.push(open)
        open = null
        return
      }
      const s = bySeg.get(pos)
      if (!s) return
      if (open && open.to === s.char) open.to = s.char + s.length
      else {
        if (open) ranges.push(open)
        open = { from: s.char, to: s.char + s.length }
      }
    })
    if (open) ranges.push(open)
    return false
  })
  return ranges
}

/** A span of a request: its id, PM range at request time and its spec. */
export interface RequestSpan {
  id: string
  span: MaskedSpan
}

/** Builds a FillRequest for `spans` (all masked spans when omitted). */
export function buildFillRequest(
  doc: PMNode,
  requestId: string,
  settings: SamplingSettings,
  select?: (span: MaskedSpan) => boolean,
): { request: FillRequest; spans: RequestSpan[]; plain: PlainText } | null {
  const pt = plainText(doc)
  const all = findMaskedSpans(doc, pt)
  const chosen = select ? all.filter(select) : all
  if (chosen.length === 0) return null
  const spans: RequestSpan[] = chosen.map((span, i) => ({ id: `s${i + 1}`, span }))
  const specs: SpanSpec[] = spans.map(({ id, span }) => ({
    id,
    from: span.charFrom,
    to: span.charTo,
    ...(span.slots != null ? { slots: span.slots } : {}),
    ...(span.length != null ? { length: span.length } : {}),
  }))
  const request: FillRequest = { requestId, text: pt.text, spans: specs, locked: findLockedRanges(doc, pt), settings }
  return { request, spans, plain: pt }
}

/** Rough token count of a text (about four characters a token), for slot budgets the UI shows. */
export function estimateSlots(text: string): number {
  const t = text.trim()
  if (!t) return 1
  const words = t.split(/\s+/).length
  return Math.max(1, Math.round(Math.max(words * 1.3, t.length / 4)))
}
