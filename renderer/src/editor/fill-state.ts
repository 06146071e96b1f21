/**
 * Fill state: the fills in flight or on offer, as plugin state. Everything here is
 * view-only — the reveal and the candidates are decorations, never document content — so
 * streamed steps never touch the document or its undo history.
 *
 * - `start` places a request's spans (PM ranges at request time); every later transaction
 *   maps them. A writer edit inside a live span drops that span (with a note); the others
 *   go on.
 * - `step` records revealed slots; `done` attaches each span's candidates; `error` ends a
 *   fill (cancelled or failed).
 * - `resolve` removes a span once the writer accepted, rejected or regenerated it; an
 *   accepted span leaves behind an `AcceptedRegion` that is watched for the writer's edits
 *   until its decision is logged (`settle`).
 */
import { isHistoryTransaction } from 'prosemirror-history'
import { Plugin, PluginKey, type EditorState, type Transaction } from 'prosemirror-state'
import type { FillErrorEvent, FillRequest, FillResult, FillStepEvent, SpanCandidate } from '../../../main/contract'
import { trackRange } from './span-tracking'
import type { RequestSpan } from './spans'

export type SpanStatus = 'filling' | 'ready' | 'dropped'

/** One revealed slot as the board shows it. */
export interface SlotReveal {
  text: string
  confidence: number
  pad: boolean
  step: number
}

/** A span of a fill, followed through the writer's edits. */
export interface LiveSpan {
  /** `${requestId}/${spanId}` */
  key: string
  requestId: string
  spanId: string
  kind: 'text' | 'slot'
  from: number
  to: number
  original: string
  /** Char range in the request's text. */
  charFrom: number
  charTo: number
  /** Slots per candidate, once known (from the request or the first step). */
  slots: number | null
  /** reveal[candidate][slot] */
  reveal: (SlotReveal | null)[][]
  /** Revealed slots so far, summed over candidates. */
  revealedCount: number
  status: SpanStatus
  candidates: SpanCandidate[] | null
  /** Index of the candidate on show. */
  current: number
  note: string | null
}

export interface LiveFill {
  requestId: string
  request: FillRequest
  step: number
  totalSteps: number
  status: 'filling' | 'done' | 'failed' | 'cancelled'
  result: FillResult | null
  /** When the candidates were first shown (ISO). */
  shownAt: string | null
  message: string | null
}

/** What a decision needs besides the action and the final text. */
export interface DecisionContext {
  requestId: string
  spanId: string
  prefix: string
  suffix: string
  spanOriginal: string
  candidates: string[]
  chosenIndex: number | null
  shownAt: string
}

/** Text the writer accepted, watched until its decision is logged. */
export interface AcceptedRegion {
  key: string
  from: number
  to: number
  /** The candidate as accepted. */
  text: string
  edited: boolean
  context: DecisionContext
}

export interface FillState {
  fills: Record<string, LiveFill>
  spans: LiveSpan[]
  accepted: AcceptedRegion[]
}

export type FillAction =
  | { type: 'start'; request: FillRequest; spans: RequestSpan[] }
  | { type: 'step'; event: FillStepEvent }
  | { type: 'done'; result: FillResult; at: string }
  | { type: 'error'; event: FillErrorEvent }
  | { type: 'cycle'; key: string; delta: number }
  | { type: 'resolve'; key: string; accepted?: AcceptedRegion }
  | { type: 'dismiss'; key: string }
  | { type: 'settle'; keys: string[] }

export const fillKey = new PluginKey<FillState>('infill-fill')

export const DROPPED_NOTE = 'You edited this span while it was being filled, so its fill was dropped.'

const EMPTY: FillState = { fills: {}, spans: [], accepted: [] }

export function setFillAction(tr: Transaction, action: FillAction): Transaction {
  return tr.setMeta(fillKey, action)
}

export function getFillState(state: EditorState): FillState {
  return fillKey.getState(state) ?? EMPTY
}

/** Maps spans and accepted regions through a document change. */
function mapThrough(state: FillState, tr: Transaction, exempt: string | null): FillState {
  if (state.spans.length === 0 && state.accepted.length === 0) return state
  const spans = state.spans.map((s) => {
    const { range, touched } = trackRange(tr, s)
    const next = { ...s, from: range.from, to: range.to }
    if (touched && s.key !== exempt && s.status !== 'dropped') {
      next.status = 'dropped'
      next.note = DROPPED_NOTE
    }
    return next
  })
  // Undo and redo move an accept in and out; they are not the writer editing the text.
  const writerEdit = !isHistoryTransaction(tr)
  const accepted = state.accepted.map((a) => {
    const { range, touched } = trackRange(tr, a, a.edited ? 'always' : writerEdit ? 'touched' : 'never')
    return { ...a, from: range.from, to: range.to, edited: a.edited || (touched && writerEdit && a.key !== exempt) }
  })
  return { ...state, spans, accepted }
}

function applyStep(state: FillState, ev: FillStepEvent): FillState {
  const fill = state.fills[ev.requestId]
  if (!fill || fill.status !== 'filling') return state
  const candidates = fill.request.settings.candidates
  const spans = state.spans.map((s) => {
    if (s.requestId !== ev.requestId || s.status !== 'filling') return s
    const mine = ev.revealed.filter((r) => r.spanId === s.spanId)
    const remaining = ev.remaining[s.spanId]
    if (mine.length === 0 && remaining === undefined) return s
    const reveal = s.reveal.map((row) => row.slice())
    for (const r of mine) {
      while (reveal.length <= r.candidate) reveal.push([])
      reveal[r.candidate][r.slot] = { text: r.text, confidence: r.confidence, pad: r.pad, step: ev.step }
    }
    const revealedCount = s.revealedCount + mine.length
    let slots = s.slots
    if (slots == null && remaining !== undefined) slots = Math.max(1, Math.round((revealedCount + remaining) / candidates))
    return { ...s, reveal, revealedCount, slots }
  })
  return { ...state, spans, fills: { ...state.fills, [ev.requestId]: { ...fill, step: ev.step, totalSteps: ev.totalSteps } } }
}

function applyDone(state: FillState, result: FillResult, at: string): FillState {
  const fill = state.fills[result.requestId]
  if (!fill) return state
  const byId = new Map(result.spans.map((s) => [s.spanId, s]))
  const spans = state.spans.map((s) => {
    if (s.requestId !== result.requestId || s.status !== 'filling') return s
    const sf = byId.get(s.spanId)
    if (!sf) return { ...s, status: 'dropped' as const, note: 'The engine returned no fill for this span.' }
    return { ...s, status: 'ready' as const, candidates: sf.candidates, current: 0, slots: sf.slots, original: sf.original }
  })
  return {
    ...state,
    spans,
    fills: { ...state.fills, [result.requestId]: { ...fill, status: 'done', result, shownAt: at, step: fill.totalSteps } },
  }
}

function applyError(state: FillState, ev: FillErrorEvent): FillState {
  const fill = state.fills[ev.requestId]
  if (!fill) return state
  return {
    ...state,
    // The spans of a failed or stopped fill return to plain masked text.
    spans: state.spans.filter((s) => s.requestId !== ev.requestId || s.status === 'dropped'),
    fills: { ...state.fills, [ev.requestId]: { ...fill, status: ev.cancelled ? 'cancelled' : 'failed', message: ev.message } },
  }
}

/** Drops fills nothing refers to any more (keeps the latest for the status line). */
function prune(state: FillState): FillState {
  const live = new Set([...state.spans.map((s) => s.requestId), ...state.accepted.map((a) => a.context.requestId)])
  const ids = Object.keys(state.fills)
  const last = ids[ids.length - 1]
  const fills: Record<string, LiveFill> = {}
  for (const id of ids) if (live.has(id) || id === last || state.fills[id].status === 'filling') fills[id] = state.fills[id]
  return { ...state, fills }
}

/** Pure reducer of the fill state (exported for tests). */
export function reduceFill(state: FillState, tr: Transaction): FillState {
  const action = tr.getMeta(fillKey) as FillAction | undefined
  let next = state
  if (tr.docChanged) next = mapThrough(next, tr, action?.type === 'resolve' ? action.key : null)
  if (!action) return next
  switch (action.type) {
    case 'start': {
      const fill: LiveFill = {
        requestId: action.request.requestId,
        request: action.request,
        step: 0,
        totalSteps: action.request.settings.steps,
        status: 'filling',
        result: null,
        shownAt: null,
        message: null,
      }
      const specs = new Map(action.request.spans.map((s) => [s.id, s]))
      const keys = new Set(action.spans.map((s) => `${s.span.from}:${s.span.to}`))
      const spans: LiveSpan[] = action.spans.map(({ id, span }) => ({
        key: `${action.request.requestId}/${id}`,
        requestId: action.request.requestId,
        spanId: id,
        kind: span.kind,
        from: span.from,
        to: span.to,
        original: span.original,
        charFrom: span.charFrom,
        charTo: span.charTo,
        slots: specs.get(id)?.slots ?? null,
        reveal: [],
        revealedCount: 0,
        status: 'filling',
        candidates: null,
        current: 0,
        note: null,
      }))
      // A new fill replaces spans on the same range and clears old notes.
      const kept = next.spans.filter((s) => s.status !== 'dropped' && !keys.has(`${s.from}:${s.to}`))
      return prune({ ...next, spans: [...kept, ...spans], fills: { ...next.fills, [fill.requestId]: fill } })
    }
    case 'step':
      return applyStep(next, action.event)
    case 'done':
      return applyDone(next, action.result, action.at)
    case 'error':
      return applyError(next, action.event)
    case 'cycle':
      return {
        ...next,
        spans: next.spans.map((s) => {
          if (s.key !== action.key || !s.candidates) return s
          const n = s.candidates.length
          return { ...s, current: (((s.current + action.delta) % n) + n) % n }
        }),
      }
    case 'resolve':
      return prune({
        ...next,
        spans: next.spans.filter((s) => s.key !== action.key),
        accepted: action.accepted ? [...next.accepted.filter((a) => a.key !== action.key), action.accepted] : next.accepted,
      })
    case 'dismiss':
      return { ...next, spans: next.spans.filter((s) => s.key !== action.key) }
    case 'settle':
      return prune({ ...next, accepted: next.accepted.filter((a) => !action.keys.includes(a.key)) })
  }
}

/** The plugin holding the fill state (decorations come from fill-view.ts). */
export function fillStatePlugin(): Plugin<FillState> {
  return new Plugin<FillState>({
    key: fillKey,
    state: {
      init: () => EMPTY,
      apply: (tr, value) => reduceFill(value, tr),
    },
  })
}

/** The live span the writer is working on: the one holding the cursor, else the first on offer. */
export function currentSpan(state: EditorState, statuses: SpanStatus[] = ['ready']): LiveSpan | null {
  const spans = getFillState(state).spans.filter((s) => statuses.includes(s.status)).sort((a, b) => a.from - b.from)
  const head = state.selection.head
  return spans.find((s) => head >= s.from && head <= s.to) ?? spans[0] ?? null
}

/** The fill in flight, if any. */
export function fillInFlight(state: EditorState): LiveFill | null {
  return Object.values(getFillState(state).fills).find((f) => f.status === 'filling') ?? null
}
