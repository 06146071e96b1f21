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
 * - `resolve` removes a span once the writer accepted, rejected or regenerated it. An accept
 *   or reject leaves behind a `Decision` holding the span as it was on offer: an accepted one
 *   is watched for the writer's edits until its decision is logged (`settle`), and any
 *   decision is watched for undo — when an undo brings the span's content back, the span
 *   returns with the candidates that were on offer, and a redo takes the decision again.
 *   Each of these is reported in `events` (read by the fill controller, which logs and
 *   retracts).
 */
import { isHistoryTransaction, undoDepth } from 'prosemirror-history'
import type { Fragment, Node as PMNode } from 'prosemirror-model'
import { Plugin, PluginKey, type EditorState, type Transaction } from 'prosemirror-state'
import type { DecisionComparison, DecisionRound, RequestKind, FillErrorEvent, FillRequest, FillResult, FillStepEvent, SpanCandidate } from '../../../main/contract'
import { normalizeCandidates } from './decisions'
import { originOf } from './origin'
import { schema } from './schema'
import { AddMarkStep, RemoveMarkStep } from 'prosemirror-transform'
import { trackRange } from './span-tracking'
import { maskedRunsInBlock, type RequestSpan } from './spans'
import { markSeen, requestKind, roundLabel, type SpanRound } from './rounds'

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
  /**
   * Every round of candidates this span has had while on offer, oldest first: a fill over a
   * span on offer carries its rounds over, and the fill's own round is added when it is done.
   * Dropped with the span when it is decided (the decision keeps the span, so an undo brings
   * every round back).
   */
  rounds: SpanRound[]
  /** The round on show: `candidates`, `current` and `seen` are that round's. */
  round: number
  candidates: SpanCandidate[] | null
  /** Index of the candidate on show (in the round on show). */
  current: number
  /** Indexes of the round on show's candidates the writer has been shown, in the order first shown. */
  seen: number[]
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
  /** The writer asked for a Rewrite of a selection (its rounds' kind, when no length was asked). */
  rewrite?: boolean
}

/** What a decision needs besides the action and the final text. */
export interface DecisionContext {
  requestId: string
  spanId: string
  prefix: string
  suffix: string
  spanOriginal: string
  /** The candidates the writer was shown, every round's (see `shownCandidates` in rounds.ts). */
  candidates: string[]
  chosenIndex: number | null
  /** When the round on show was first shown. */
  shownAt: string
  /** What the writer asked for in the round on show. */
  kind: RequestKind
  /** The rounds the candidates came from (with the round on show's), numbered from 1. */
  rounds: DecisionRound[]
  /** The round (from 1) of each of `candidates`. */
  candidateRounds: number[]
  /** Comparison mode: which model wrote each candidate and whose was kept (compare-candidates.ts). */
  compare?: DecisionComparison
}

/**
 * A decision on a span: an accept (watched for the writer's edits until it is logged) or a
 * reject. It keeps the span as it was on offer, so an undo can bring the candidates back.
 */
export interface Decision {
  /** Unique per decision: `${spanKey}#${n}`. */
  id: string
  /** The span's key. */
  key: string
  kind: 'accept' | 'reject'
  /** Where the decision's content is now (accept: the accepted text, mapped through every edit). */
  from: number
  to: number
  /** The candidate as accepted ('' for a reject). */
  text: string
  /** Accept: the writer edited the accepted text. */
  edited: boolean
  /** 'pending': an accept not logged yet; 'logged': sent to the log; 'undone': taken back by an undo. */
  status: 'pending' | 'logged' | 'undone'
  context: DecisionContext
  /** The span as it was on offer when decided. */
  span: LiveSpan
  /** The span's content before the decision and right after it (how undo and redo are recognised). */
  before: Fragment
  after: Fragment
}

/** Kept for compatibility with callers that speak of accepted regions. */
export type AcceptedRegion = Decision

/** Something the fill controller must act on (log or retract), numbered in order. */
export interface FillEvent {
  seq: number
  type: 'undone' | 'redone'
  decisionId: string
}

export interface FillState {
  fills: Record<string, LiveFill>
  spans: LiveSpan[]
  /** Recent decisions (pending accepts, and those an undo may still take back), oldest first. */
  decisions: Decision[]
  /** Undo / redo of decisions, for the controller (the last few). */
  events: FillEvent[]
  seq: number
}

export type FillAction =
  /** `kind`: a Rewrite of a selection, or a fill of masked text (the default). */
  | { type: 'start'; request: FillRequest; spans: RequestSpan[]; kind?: 'fill' | 'rewrite' }
  | { type: 'step'; event: FillStepEvent }
  | { type: 'done'; result: FillResult; at: string }
  | { type: 'error'; event: FillErrorEvent }
  /** ‹ › / Alt-[ Alt-]: the next or previous candidate of the round on show. */
  | { type: 'cycle'; key: string; delta: number }
  /** A pick from the ☰ list: candidate `index` of round `round`. */
  | { type: 'pick'; key: string; round: number; index: number }
  | { type: 'resolve'; key: string; decision?: Decision }
  | { type: 'dismiss'; key: string }
  /** Decisions now logged (by id). */
  | { type: 'settle'; ids: string[] }
  /** The writer is editing this accepted text (typing inside a pending candidate). */
  | { type: 'editing'; id: string }

export const fillKey = new PluginKey<FillState>('infill-fill')

export const DROPPED_NOTE = 'You edited this span while it was being filled, so its fill was dropped.'

const EMPTY: FillState = { fills: {}, spans: [], decisions: [], events: [], seq: 0 }

/** Decisions kept for undo once logged (history depth is larger, but older undos are rare). */
const KEEP_DECISIONS = 64

export function setFillAction(tr: Transaction, action: FillAction): Transaction {
  return tr.setMeta(fillKey, action)
}

export function getFillState(state: EditorState): FillState {
  return fillKey.getState(state) ?? EMPTY
}

/**
 * Whether a span on offer is still the same masked span after `tr` touched it: its text
 * unchanged and still exactly one masked run (only its mask's attributes changed, as setting
 * its length does before Shorter / Longer asks again). Such a span keeps its candidates.
 */
function stillSameSpan(tr: Transaction, s: LiveSpan, range: { from: number; to: number }): boolean {
  if (s.status !== 'ready' || range.to - range.from !== s.to - s.from) return false
  const $from = tr.doc.resolve(range.from)
  if (!$from.parent.isTextblock) return false
  const text = (doc: PMNode, from: number, to: number) => doc.textBetween(from, to, '\n', '\u0000')
  if (text(tr.before, s.from, s.to) !== text(tr.doc, range.from, range.to)) return false
  return maskedRunsInBlock($from.parent, $from.start()).some((r) => r.from === range.from && r.to === range.to && r.kind === s.kind)
}

/** Whether `range` of `doc` holds a mask: masked text or an insertion slot. */
function maskIn(doc: PMNode, range: { from: number; to: number }): boolean {
  if (range.to <= range.from) return false
  if (doc.rangeHasMark(range.from, range.to, schema.marks.masked)) return true
  let slot = false
  doc.nodesBetween(range.from, range.to, (node) => !(slot ||= node.type === schema.nodes.mask_slot))
  return slot
}

/**
 * Maps spans and decisions through a document change. `history` says whether `tr` is an undo
 * or a redo: a redo re-applies the writer's own edits, so it counts as editing a pending accept.
 */
function mapThrough(state: FillState, tr: Transaction, exempt: string | null, history: 'undo' | 'redo' | null): FillState {
  if (state.spans.length === 0 && state.decisions.length === 0) return state
  const spans = state.spans.flatMap((s) => {
    const { range, touched } = trackRange(tr, s)
    // An undo that takes the mask itself away (the writer undoing past their masking) ends
    // the offer: the text is theirs again, as it was, with nothing dropped to explain.
    if (touched && history === 'undo' && s.status === 'ready' && !maskIn(tr.doc, range)) return []
    const next = { ...s, from: range.from, to: range.to }
    if (touched && s.key !== exempt && s.status !== 'dropped' && !stillSameSpan(tr, s, range)) {
      next.status = 'dropped'
      next.note = DROPPED_NOTE
    }
    return [next]
  })
  // Only the writer's own edits count as editing accepted text: not an undo, not another
  // span's accept or reject (model / command transactions), not auto-lock. A redo puts back
  // what an undo took away — the writer's typing among it — so it counts (a redo that takes a
  // decision again leaves that decision to applyHistory, which watches it from scratch; a
  // redone accept or reject of another span replaces only that span's own range).
  const fromHistory = history !== null || isHistoryTransaction(tr)
  const writerEdit = fromHistory ? history === 'redo' : originOf(tr) === null && !tr.getMeta('appendedTransaction')
  const decisions = state.decisions.map((d) => {
    if (d.status === 'undone') {
      const { range } = trackRange(tr, d)
      return { ...d, from: range.from, to: range.to }
    }
    const grow = d.kind === 'accept' && d.status === 'pending' && writerEdit ? (d.edited ? 'always' : 'touched') : 'never'
    const { range, touched } = trackRange(tr, d, grow)
    const edited = d.edited || (d.kind === 'accept' && d.status === 'pending' && touched && writerEdit && d.key !== exempt)
    return { ...d, from: range.from, to: range.to, edited }
  })
  return { ...state, spans, decisions }
}

/** Where `d` starts after `tr`, taking in content an undo or redo puts back at its start. */
function startAfter(tr: Transaction, d: { from: number }): number {
  return tr.mapping.map(d.from, -1)
}

/** Ranges of the final document that `tr`'s steps changed (content or marks). */
function changedRanges(tr: Transaction): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = []
  tr.steps.forEach((step, i) => {
    const after = tr.mapping.slice(i + 1)
    const add = (a: number, b: number) => out.push({ from: after.map(a, -1), to: after.map(b, 1) })
    if (step instanceof AddMarkStep || step instanceof RemoveMarkStep) add(step.from, step.to)
    else step.getMap().forEach((_oldStart, _oldEnd, newStart, newEnd) => add(newStart, newEnd))
  })
  return out
}

/**
 * Where the undo / redo `tr` put `want` back: at the decision's mapped start, or (when the
 * undone change had deleted across that start, so mapping lost it) anywhere the transaction
 * changed. Null when it is not there, or the transaction changed nothing around it.
 */
function findContent(tr: Transaction, want: Fragment, start: number, changed: readonly { from: number; to: number }[]): number | null {
  const size = want.size
  const fits = (at: number) => {
    const content = contentAt(tr, at, size)
    return !!content && content.eq(want)
  }
  // Only a change that reaches the decision's own place can take it back or redo it.
  const mine = changed.filter((c) => c.from <= start + size && c.to >= start)
  if (mine.length === 0) return null
  if (fits(start)) return start
  let budget = 4096
  for (const c of mine) {
    for (let at = Math.max(0, c.from - size); at <= c.to && budget-- > 0; at++) if (fits(at)) return at
  }
  return null
}

/** The content of `size` positions at `from`, or null past the document's end. */
function contentAt(tr: Transaction, from: number, size: number): Fragment | null {
  if (from + size > tr.doc.content.size) return null
  return tr.doc.slice(from, from + size).content
}

/**
 * After an undo or redo: a decision whose span content the undo put back as it was before
 * the decision is taken back (its span returns, with the candidates on offer); one taken
 * back whose content a redo put back as right after the decision is taken again. Only where
 * the undo / redo changed something, so an undo elsewhere never takes a decision back.
 */
function applyHistory(before: FillState, state: FillState, tr: Transaction, direction: 'undo' | 'redo'): FillState {
  let { spans, seq } = state
  const events = state.events.slice(-16)
  const changed = changedRanges(tr)
  let any = false
  const decisions = state.decisions.map((d) => {
    const old = before.decisions.find((o) => o.id === d.id)
    if (!old) return d
    const want = direction === 'undo' ? d.before : d.after
    const from = findContent(tr, want, startAfter(tr, old), changed)
    if (from === null) return d
    const to = from + want.size
    if (direction === 'undo' && d.status !== 'undone') {
      any = true
      spans = [...spans.filter((s) => s.key !== d.key), { ...d.span, from, to, status: 'ready', note: null }]
      events.push({ seq: ++seq, type: 'undone', decisionId: d.id })
      return { ...d, from, to, status: 'undone' as const }
    }
    // Only while the span an undo brought back is still on offer (not asked again, decided or dropped).
    if (direction === 'redo' && d.status === 'undone' && before.spans.some((s) => s.key === d.key && s.status === 'ready')) {
      any = true
      spans = spans.filter((s) => s.key !== d.key)
      events.push({ seq: ++seq, type: 'redone', decisionId: d.id })
      // A redone accept is watched again from scratch; a redone reject is logged again.
      return { ...d, from, to, status: d.kind === 'accept' ? ('pending' as const) : ('logged' as const), edited: false }
    }
    return d
  })
  return any ? { ...state, spans, decisions, events, seq } : state
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

function applyDone(state: FillState, result: FillResult, at: string, doc: PMNode): FillState {
  const fill = state.fills[result.requestId]
  if (!fill) return state
  const byId = new Map(result.spans.map((s) => [s.spanId, s]))
  const spans = state.spans.map((s) => {
    if (s.requestId !== result.requestId || s.status !== 'filling') return s
    const sf = byId.get(s.spanId)
    if (!sf) return { ...s, status: 'dropped' as const, note: 'The engine returned no fill for this span.' }
    const spec = fill.request.spans.find((x) => x.id === s.spanId)
    const round: SpanRound = {
      requestId: s.requestId,
      spanId: s.spanId,
      label: roundLabel(spec?.length, fill.request.settings.temperature),
      candidates: normalizeCandidates(doc, s.from, s.to, sf.candidates),
      seen: [],
      shownAt: at,
      kind: requestKind(spec?.length, !!fill.rewrite),
      ...(spec?.length != null ? { length: spec.length } : {}),
      settings: result.settings,
    }
    return showCandidate({ ...s, status: 'ready' as const, rounds: [...s.rounds, round], slots: sf.slots, original: sf.original }, s.rounds.length, 0)
  })
  return {
    ...state,
    spans,
    fills: { ...state.fills, [result.requestId]: { ...fill, status: 'done', result, shownAt: at, step: fill.totalSteps } },
  }
}

/** `span` with candidate `index` of round `round` on show (marked seen). */
export function showCandidate(span: LiveSpan, round: number, index: number): LiveSpan {
  const r = span.rounds[round]
  if (!r || index < 0 || index >= r.candidates.length) return span
  const rounds = markSeen(span.rounds, round, index)
  return { ...span, rounds, round, current: index, candidates: r.candidates, seen: rounds[round].seen }
}

function applyError(state: FillState, ev: FillErrorEvent): FillState {
  const fill = state.fills[ev.requestId]
  if (!fill) return state
  return {
    ...state,
    // The spans of a failed or stopped fill return to plain masked text; one that had rounds
    // on offer before the fill offers them again (its newest round on show).
    spans: state.spans.flatMap((s) => {
      if (s.requestId !== ev.requestId || s.status === 'dropped') return [s]
      if (s.status !== 'filling' || s.rounds.length === 0) return []
      const last = s.rounds.length - 1
      return [showCandidate({ ...s, status: 'ready' as const, reveal: [], revealedCount: 0 }, last, s.rounds[last].seen.at(-1) ?? 0)]
    }),
    fills: { ...state.fills, [ev.requestId]: { ...fill, status: ev.cancelled ? 'cancelled' : 'failed', message: ev.message } },
  }
}

/** Drops fills nothing refers to any more (keeps the latest for the status line). */
function prune(state: FillState): FillState {
  const live = new Set<string>()
  for (const s of [...state.spans, ...state.decisions.map((d) => d.span)]) {
    live.add(s.requestId)
    for (const r of s.rounds) live.add(r.requestId)
  }
  for (const d of state.decisions) live.add(d.context.requestId)
  const ids = Object.keys(state.fills)
  const last = ids[ids.length - 1]
  const fills: Record<string, LiveFill> = {}
  for (const id of ids) if (live.has(id) || id === last || state.fills[id].status === 'filling') fills[id] = state.fills[id]
  return { ...state, fills }
}

/**
 * Pure reducer of the fill state (exported for tests). `history` says whether `tr` is an
 * undo or a redo (the plugin tells them apart by the undo depth).
 */
export function reduceFill(state: FillState, tr: Transaction, history: 'undo' | 'redo' | null = null): FillState {
  const action = tr.getMeta(fillKey) as FillAction | undefined
  let next = state
  if (tr.docChanged) next = mapThrough(next, tr, action?.type === 'resolve' ? action.key : null, history)
  if (tr.docChanged && history) next = applyHistory(state, next, tr, history)
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
        ...(action.kind === 'rewrite' ? { rewrite: true } : {}),
      }
      const specs = new Map(action.request.spans.map((s) => [s.id, s]))
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
        // A span on offer that this fill asks again hands its rounds on (in document order).
        rounds: next.spans.filter((s) => s.status === 'ready' && overlaps(s, span)).sort((a, b) => a.from - b.from).flatMap((s) => s.rounds),
        round: 0,
        candidates: null,
        current: 0,
        seen: [],
        note: null,
      }))
      // A new fill replaces the spans it overlaps (or sits on) and clears old notes.
      const kept = next.spans.filter((s) => s.status !== 'dropped' && !action.spans.some(({ span }) => overlaps(s, span)))
      return prune({ ...next, spans: [...kept, ...spans], fills: { ...next.fills, [fill.requestId]: fill } })
    }
    case 'step':
      return applyStep(next, action.event)
    case 'done':
      return applyDone(next, action.result, action.at, tr.doc)
    case 'error':
      return applyError(next, action.event)
    case 'cycle':
      return {
        ...next,
        spans: next.spans.map((s) => {
          if (s.key !== action.key || !s.candidates || s.status !== 'ready') return s
          const n = s.candidates.length
          return showCandidate(s, s.round, (((s.current + action.delta) % n) + n) % n)
        }),
      }
    case 'pick':
      return { ...next, spans: next.spans.map((s) => (s.key === action.key && s.status === 'ready' ? showCandidate(s, action.round, action.index) : s)) }
    case 'resolve': {
      // A new decision on a span ends any earlier one an undo had taken back (its redo is gone).
      const kept = next.decisions.filter((d) => !(d.key === action.key && d.status === 'undone'))
      return prune({
        ...next,
        spans: next.spans.filter((s) => s.key !== action.key),
        decisions: trimDecisions(action.decision ? [...kept, action.decision] : kept),
      })
    }
    case 'dismiss':
      return { ...next, spans: next.spans.filter((s) => s.key !== action.key) }
    case 'settle':
      return prune({
        ...next,
        decisions: next.decisions.map((d) => (action.ids.includes(d.id) && d.status === 'pending' ? { ...d, status: 'logged' as const } : d)),
      })
    case 'editing':
      return { ...next, decisions: next.decisions.map((d) => (d.id === action.id ? { ...d, edited: true } : d)) }
  }
}

/** Whether two spans share content, or are the same insertion point. */
export function overlaps(a: { from: number; to: number }, b: { from: number; to: number }): boolean {
  return (a.from < b.to && a.to > b.from) || (a.from === b.from && a.to === b.to)
}

/** Keeps every pending decision and the latest others. */
function trimDecisions(decisions: Decision[]): Decision[] {
  if (decisions.length <= KEEP_DECISIONS) return decisions
  const drop = decisions.length - KEEP_DECISIONS
  let dropped = 0
  return decisions.filter((d) => d.status === 'pending' || dropped++ >= drop)
}

/** The accepts not logged yet. */
export function pendingAccepts(fs: FillState): Decision[] {
  return fs.decisions.filter((d) => d.kind === 'accept' && d.status === 'pending')
}

/** The plugin holding the fill state (decorations come from fill-view.ts). */
export function fillStatePlugin(): Plugin<FillState> {
  return new Plugin<FillState>({
    key: fillKey,
    state: {
      init: () => EMPTY,
      // The history plugin comes first, so the new state's undo depth is known here.
      apply: (tr, value, oldState, newState) =>
        reduceFill(value, tr, isHistoryTransaction(tr) ? (undoDepth(newState) > undoDepth(oldState) ? 'redo' : 'undo') : null),
    },
  })
}

/**
 * The live span under the caret (the caret anywhere from its start to its end), or null.
 * Keys act on this span only: a decision never comes from a key pressed with no candidate
 * under the caret.
 */
export function currentSpan(state: EditorState, statuses: SpanStatus[] = ['ready']): LiveSpan | null {
  const { from, to } = state.selection
  return getFillState(state).spans.find((s) => statuses.includes(s.status) && from >= s.from && to <= s.to) ?? null
}

/** The fill of the round on show of `span` (its request made the candidates shown). */
export function shownFill(fs: FillState, span: LiveSpan): LiveFill | undefined {
  return fs.fills[span.rounds[span.round]?.requestId ?? span.requestId]
}

/** The fill in flight, if any. */
export function fillInFlight(state: EditorState): LiveFill | null {
  return Object.values(getFillState(state).fills).find((f) => f.status === 'filling') ?? null
}
