/**
 * The writer's decisions on a fill: the transactions that carry them out (accept, edit,
 * reject) and the DecisionInput each one is logged as.
 *
 * - Accept replaces the span with the candidate, marked `generated` with its provenance:
 *   one transaction of model origin (so the lock guard checks it), one undo step.
 * - Reject removes the mask: the original text returns (writer text is locked again).
 * - When an accept is logged: not at once, because a writer who then edits inside the
 *   accepted text turns it into 'accepted_edited'. The accepted region is watched; it is
 *   logged when the writer has edited it and moves the cursor out of it, and otherwise at
 *   the next save, regenerate, document switch, close or preferences view (see
 *   `settleAccepted`). An accept that was undone whole is logged as accepted (undo is not
 *   a preference).
 */
import { closeHistory } from 'prosemirror-history'
import { TextSelection, type EditorState, type Transaction } from 'prosemirror-state'
import type { DecisionAction, DecisionInput, FillResult } from '../../../main/contract'
import { setOrigin } from './origin'
import { schema } from './schema'
import { setFillAction, type AcceptedRegion, type DecisionContext, type LiveFill, type LiveSpan } from './fill-state'

/** Characters of context on each side of a span that a decision keeps (about half a model window). */
export function contextChars(result: FillResult | null): number {
  const maxLength = result?.model.maxLength ?? 512
  return Math.max(64, Math.floor(maxLength / 2) * 4)
}

/** The context a decision on `span` records (prefix and suffix from the text the model saw). */
export function decisionContext(span: LiveSpan, fill: LiveFill, chosenIndex: number | null): DecisionContext {
  const text = fill.request.text
  const w = contextChars(fill.result)
  return {
    requestId: span.requestId,
    spanId: span.spanId,
    prefix: text.slice(Math.max(0, span.charFrom - w), span.charFrom),
    suffix: text.slice(span.charTo, span.charTo + w),
    spanOriginal: span.original,
    candidates: (span.candidates ?? []).map((c) => c.text),
    chosenIndex,
    shownAt: fill.shownAt ?? new Date().toISOString(),
  }
}

/** A DecisionInput ready for 'prefs:log'. */
export function decisionInput(
  ctx: DecisionContext,
  result: FillResult,
  documentId: string,
  action: DecisionAction,
  finalText: string,
  decidedAt: string = new Date().toISOString(),
): DecisionInput {
  return {
    documentId,
    requestId: ctx.requestId,
    spanId: ctx.spanId,
    prefix: ctx.prefix,
    suffix: ctx.suffix,
    spanOriginal: ctx.spanOriginal,
    candidates: ctx.candidates.length ? ctx.candidates : [''],
    action,
    chosenIndex: action === 'accepted' || action === 'accepted_edited' ? ctx.chosenIndex : null,
    finalText,
    model: { name: result.model.name, hash: result.model.hash },
    sampling: result.settings,
    shownAt: ctx.shownAt,
    decidedAt,
  }
}

/** Marks the accepted text keeps from the original (formatting), without Infill's own. */
function carriedMarks(state: EditorState, span: LiveSpan) {
  const node = span.kind === 'text' ? state.doc.nodeAt(span.from) : null
  const own = new Set([schema.marks.masked, schema.marks.locked, schema.marks.generated])
  return (node?.marks ?? state.doc.resolve(span.from).marks()).filter((m) => !own.has(m.type))
}

/**
 * The transaction accepting candidate `index` of `span`. With `edit`, the accepted text is
 * selected so the writer can rework it (what they type becomes locked writer text).
 */
export function acceptTransaction(state: EditorState, span: LiveSpan, fill: LiveFill, index: number, edit = false): Transaction | null {
  const cand = span.candidates?.[index]
  if (!cand || !fill.result) return null
  const text = cand.text
  const tr = state.tr
  const generated = schema.marks.generated.create({
    model: fill.result.model.name,
    strategy: fill.result.settings.strategy,
    requestId: fill.requestId,
  })
  if (text.length > 0) tr.replaceWith(span.from, span.to, schema.text(text, [...carriedMarks(state, span), generated]))
  else tr.delete(span.from, span.to)
  const end = span.from + text.length
  if (edit) tr.setSelection(TextSelection.create(tr.doc, span.from, end))
  else tr.setSelection(TextSelection.create(tr.doc, end))
  const accepted: AcceptedRegion = { key: span.key, from: span.from, to: end, text, edited: false, context: decisionContext(span, fill, index) }
  setOrigin(tr, 'model')
  closeHistory(tr)
  return setFillAction(tr, { type: 'resolve', key: span.key, accepted }).scrollIntoView()
}

/** The transaction rejecting every candidate of `span`: the original text returns. */
export function rejectTransaction(state: EditorState, span: LiveSpan): Transaction {
  const tr = state.tr
  if (span.kind === 'slot') {
    tr.delete(span.from, span.to)
  } else if (span.to > span.from) {
    tr.removeMark(span.from, span.to, schema.marks.masked)
    // The writer's own words come back as locked writer text; model text keeps its provenance.
    state.doc.nodesBetween(span.from, span.to, (node, pos) => {
      if (!node.isText) return true
      if (schema.marks.generated.isInSet(node.marks)) return false
      tr.addMark(Math.max(pos, span.from), Math.min(pos + node.nodeSize, span.to), schema.marks.locked.create())
      return false
    })
  }
  setOrigin(tr, 'command')
  closeHistory(tr)
  return setFillAction(tr, { type: 'resolve', key: span.key })
}

/** How an accepted region is logged now: its action and final text. */
export function settleAccepted(state: EditorState, region: AcceptedRegion): { action: DecisionAction; finalText: string } {
  const collapsed = region.to <= region.from && region.text.length > 0
  if (collapsed) return { action: 'accepted', finalText: region.text }
  const finalText = state.doc.textBetween(region.from, region.to, '\n\n', '')
  if (region.edited && finalText !== region.text) return { action: 'accepted_edited', finalText }
  return { action: 'accepted', finalText: region.text }
}

/** Accepted regions the writer edited and has since left (ready to log as accepted_edited). */
export function regionsLeft(state: EditorState, regions: readonly AcceptedRegion[]): AcceptedRegion[] {
  const { from, to } = state.selection
  return regions.filter((r) => r.edited && (to < r.from || from > r.to))
}
