/**
 * Fills, from the writer's side: sends 'engine:fill' for the masked spans, plays the
 * streamed steps onto the board (at least `REVEAL_PACE_MS` per step, so a fast model's
 * reverse process can still be watched), offers the candidates, carries out the writer's
 * decisions and logs each one with 'prefs:log'.
 */
import { closeHistory } from 'prosemirror-history'
import { TextSelection, type EditorState } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import type { DecisionInput, FillErrorEvent, FillRequest, FillResult, FillStepEvent, InfillApi } from '../../../main/contract'
import {
  acceptTransaction,
  decisionContext,
  decisionInput,
  regionsLeft,
  rejectTransaction,
  settleAccepted,
  type AcceptMode,
} from '../editor/decisions'
import {
  currentSpan,
  fillInFlight,
  fillKey,
  getFillState,
  overlaps,
  pendingAccepts,
  setFillAction,
  shownFill,
  type Decision,
  type FillAction,
  type FillState,
  type LiveSpan,
} from '../editor/fill-state'
import { spanAtSelection } from '../editor/commands'
import { buildFillRequest, findMaskedSpans, type MaskedSpan, type RequestSpan } from '../editor/spans'
import { OFFERS_TOAST_KEY, offersNote } from './offers-note'
import { REVEAL_PACE_MS, type Store } from './store'

type Queued = { kind: 'step'; event: FillStepEvent } | { kind: 'done'; result: FillResult }

export class FillController {
  private queue: Queued[] = []
  private timer: ReturnType<typeof setTimeout> | null = null
  private lastPlayed = 0
  private readonly results = new Map<string, FillResult>()
  private cancelFallback: ReturnType<typeof setTimeout> | null = null
  private readonly droppedSeen = new Set<string>()
  /** Ids the log gave each decision sent (null: not logged), by decision id. */
  private readonly logged = new Map<string, Promise<number | null>>()
  /** Ids the log gave each 'regenerated' entry, by the round it turned down (`${requestId}/${spanId}`). */
  private readonly regeneratedLogged = new Map<string, Promise<number | null>>()
  /** The last fill event (undo / redo of a decision) acted on. */
  private lastEvent = 0

  constructor(
    private readonly api: InfillApi,
    private readonly store: Store,
    private readonly view: () => EditorView | null,
  ) {}

  /** Subscribes to the engine's events; returns the unsubscribe. */
  listen(): () => void {
    const offs = [
      this.api.on('fill:step', (e) => this.enqueue({ kind: 'step', event: e })),
      this.api.on('fill:done', (r) => this.enqueue({ kind: 'done', result: r })),
      this.api.on('fill:error', (e) => this.onError(e)),
      this.api.on('engine:state', (s) => {
        const was = this.store.get().engine.status
        this.store.set({ engine: s })
        if ((s.status === 'crashed' || s.status === 'error') && s.status !== was)
          this.store.toast('error', `The engine ${s.status === 'crashed' ? 'crashed' : 'reported an error'}: ${s.message ?? 'no details'}`)
      }),
    ]
    this.api
      .invoke('engine:state', undefined)
      .then((s) => this.store.set({ engine: s }))
      .catch((e: Error) => this.store.set({ engine: { status: 'error', model: null, queued: 0, message: e.message } }))
    return () => offs.forEach((o) => o())
  }

  private dispatch(action: FillAction): void {
    const v = this.view()
    if (!v) return
    v.dispatch(setFillAction(v.state.tr, action))
  }

  private known(requestId: string): boolean {
    const v = this.view()
    return !!v && !!getFillState(v.state).fills[requestId]
  }

  // ---- regenerate ----------------------------------------------------------------------

  /**
   * Fills what the writer targeted (`requestTarget`): the spans in the selection, the span
   * under the caret, or, with nothing targeted, every masked span not on offer. `pick`
   * (↻, Shorter / Longer on a span) names the spans itself. `kind` says what the writer
   * asked for: a Rewrite of a selection, or a fill (recorded with each round).
   */
  regenerate(onlySelection = true, pick?: (s: MaskedSpan) => boolean, kind: 'fill' | 'rewrite' = 'fill'): boolean {
    const v = this.view()
    if (!v) return false
    if (fillInFlight(v.state)) {
      this.store.toast('info', 'A fill is already running. Stop it first, or wait for it to finish.')
      return true
    }
    const eng = this.store.get().engine
    if (eng.status === 'crashed' || eng.status === 'error') {
      this.store.toast('error', `The engine is not available: ${eng.message ?? eng.status}.`)
      return true
    }
    this.settleAll()
    const target = pick ? { select: pick, why: null } : requestTarget(v.state, onlySelection)
    const requestId = `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
    const built = buildFillRequest(v.state.doc, requestId, this.samplingForRequest(), target.select)
    if (!built) {
      this.store.toast('info', target.why ?? nothingMaskedNote())
      return true
    }
    const fs = getFillState(v.state)
    // Safe: asking again, with nothing changed, for spans on offer would add a copy of their newest round.
    const repeat = repeatedRound(fs, built.request, built.spans)
    if (repeat !== null) {
      this.store.toast(
        'info',
        `Safe always gives the likeliest words, so asking again here would only repeat Round ${repeat} exactly. For different candidates move Safe ↔ Wild towards Wild (Settings), or change the length.`,
      )
      return true
    }
    // Spans on offer that are asked again: their candidates were turned down.
    const askedAgain = new Set<string>()
    for (const { span } of built.spans) {
      for (const old of fs.spans) {
        if (old.status !== 'ready' || askedAgain.has(old.key) || !overlaps(old, span)) continue
        askedAgain.add(old.key)
        this.logRegenerated(old)
      }
    }
    // What the settings show is the seed of the latest fill: "keep seed" then reproduces it.
    if (built.request.settings.seed !== this.store.get().sampling.seed) this.store.set({ sampling: { ...this.store.get().sampling, seed: built.request.settings.seed } })
    this.dispatch({ type: 'start', request: built.request, spans: built.spans, kind })
    this.api.invoke('engine:fill', built.request).catch((e: Error) => this.onError({ requestId, message: e.message, cancelled: false }))
    return true
  }

  /** The settings of a new request: a fresh seed each time, unless the writer keeps the seed. */
  private samplingForRequest() {
    const { sampling, keepSeed } = this.store.get()
    return keepSeed ? sampling : { ...sampling, seed: freshSeed() }
  }

  /** Stops the fill in flight ('engine:cancel'). */
  stop(): void {
    const v = this.view()
    const fill = v && fillInFlight(v.state)
    if (!fill) return
    const requestId = fill.requestId
    this.api.invoke('engine:cancel', { requestId }).catch(() => {})
    // Should the engine not answer, end the fill here.
    this.cancelFallback = setTimeout(() => this.onError({ requestId, message: 'Stopped.', cancelled: true }), 2500)
  }

  // ---- streamed steps --------------------------------------------------------------------

  private enqueue(item: Queued): void {
    const id = item.kind === 'step' ? item.event.requestId : item.result.requestId
    if (!this.known(id)) return
    this.queue.push(item)
    this.pump()
  }

  private pump(): void {
    if (this.timer) return
    const pace = REVEAL_PACE_MS[this.store.get().revealPace]
    while (this.queue.length) {
      const wait = this.lastPlayed + pace - performance.now()
      if (pace > 0 && wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = null
          this.pump()
        }, wait)
        return
      }
      this.play(this.queue.shift()!)
      this.lastPlayed = performance.now()
    }
  }

  private play(item: Queued): void {
    if (item.kind === 'step') this.dispatch({ type: 'step', event: item.event })
    else {
      this.results.set(item.result.requestId, item.result)
      this.dispatch({ type: 'done', result: item.result, at: new Date().toISOString() })
      // The "N spans ready" note comes with spans newly on offer only: a new round for a span
      // already on offer shows on its own bar ("Round 2 of 2"), and re-raising the count of
      // every span on offer then read as if the fill had reached them all.
      const v = this.view()
      const fresh = v ? getFillState(v.state).spans.filter((s) => s.requestId === item.result.requestId && s.status === 'ready' && s.rounds.length === 1).length : 0
      if (fresh > 0) this.store.toast('info', offersNote(Math.max(fresh, this.store.get().offers)), 6000, OFFERS_TOAST_KEY)
    }
  }

  private onError(e: FillErrorEvent): void {
    if (this.cancelFallback) clearTimeout(this.cancelFallback)
    this.cancelFallback = null
    if (!this.known(e.requestId)) return
    const v = this.view()
    if (v && getFillState(v.state).fills[e.requestId]?.status !== 'filling') return
    this.queue = this.queue.filter((q) => (q.kind === 'step' ? q.event.requestId : q.result.requestId) !== e.requestId)
    this.dispatch({ type: 'error', event: e })
    if (e.cancelled) this.store.toast('info', 'Fill stopped; the masked spans are as they were.')
    else this.store.toast('error', `The fill failed: ${e.message}`)
  }

  // ---- decisions -------------------------------------------------------------------------

  private span(key: string): LiveSpan | null {
    const v = this.view()
    return (v && getFillState(v.state).spans.find((s) => s.key === key)) ?? null
  }

  accept(key: string, mode: AcceptMode = 'accept'): boolean {
    const v = this.view()
    const span = this.span(key)
    if (!v || !span || span.status !== 'ready') return false
    const fill = shownFill(getFillState(v.state), span)
    const tr = fill && acceptTransaction(v.state, span, fill, span.current, mode)
    if (!tr) return false
    const before = v.state
    v.dispatch(tr)
    if (v.state === before || this.span(key)) {
      this.store.toast('error', 'That fill would change locked text, so it was not applied.')
      return false
    }
    // The next keystroke starts its own undo step, however soon it comes.
    v.dispatch(closeHistory(v.state.tr))
    v.focus()
    return true
  }

  edit(key: string): void {
    this.accept(key, 'edit')
  }

  /** Caret at the end of the span's range, focus in the editor: keys and typing act on the span. */
  placeCaret(key: string): void {
    const v = this.view()
    const span = this.span(key)
    if (!v || !span) return
    v.dispatch(v.state.tr.setSelection(TextSelection.create(v.state.doc, span.to)))
    v.focus()
  }

  /**
   * Before the writer's own input (typing, deleting, pasting) lands: with the selection
   * inside a span whose candidate is on show, that candidate is accepted for editing — the
   * caret goes to its end and the input edits it ('accepted_edited'), instead of being
   * dropped. True when it did.
   */
  beforeWriterInput(): boolean {
    const v = this.view()
    const s = v && currentSpan(v.state)
    if (!s) return false
    return this.accept(s.key, 'type')
  }

  reject(key: string): void {
    const v = this.view()
    const span = this.span(key)
    if (!v || !span) return
    const fill = shownFill(getFillState(v.state), span)
    const tr = rejectTransaction(v.state, span, fill?.result ? fill : undefined)
    const decision = (tr.getMeta(fillKey) as FillAction & { type: 'resolve' }).decision
    v.dispatch(tr)
    if (decision && fill?.result) this.sendDecision(decision.id, decisionInput(decision.context, fill.result, this.store.get().documentId, 'rejected_all', decision.context.spanOriginal))
    v.focus()
  }

  /** ‹ › / Alt-[ Alt-]: cycles the candidates of the round on show (the ☰ list reaches the others). */
  cycle(key: string, delta: number): void {
    this.dispatch({ type: 'cycle', key, delta })
  }

  /** A pick from the ☰ list: candidate `index` of round `round` goes on show. */
  pick(key: string, round: number, index: number): void {
    this.dispatch({ type: 'pick', key, round, index })
  }

  dismiss(key: string): void {
    this.dispatch({ type: 'dismiss', key })
  }

  /** Turns down a span's candidates and asks again for that span alone. */
  regenerateSpan(key: string): void {
    const v = this.view()
    const span = this.span(key)
    if (!v || !span) return
    if (fillInFlight(v.state)) {
      this.store.toast('info', 'A fill is already running. Stop it first, or wait for it to finish.')
      return
    }
    this.regenerate(false, (s) => s.from === span.from && s.to === span.to)
  }

  acceptCurrent(): boolean {
    const v = this.view()
    const s = v && currentSpan(v.state)
    if (!s) return false
    this.accept(s.key)
    return true
  }

  rejectCurrent(): boolean {
    const v = this.view()
    const s = v && currentSpan(v.state, ['ready', 'dropped'])
    if (!s) return false
    if (s.status === 'dropped') this.dismiss(s.key)
    else this.reject(s.key)
    return true
  }

  cycleCurrent(delta: number): boolean {
    const v = this.view()
    const s = v && currentSpan(v.state)
    if (!s) return false
    this.cycle(s.key, delta)
    return true
  }

  /**
   * Logs that the newest round of `span` was turned down by asking again: its candidates the
   * writer was shown (earlier rounds were logged so when they were asked again; the decision
   * finally taken on the span logs every round's).
   */
  private logRegenerated(span: LiveSpan): void {
    const v = this.view()
    const last = span.rounds.length - 1
    const newest: LiveSpan = last >= 0 ? { ...span, rounds: [span.rounds[last]], round: 0, candidates: span.rounds[last].candidates, seen: span.rounds[last].seen } : span
    const fill = v && shownFill(getFillState(v.state), newest)
    if (!v || !fill?.result) return
    const own = decisionContext(v.state.doc, newest, fill, newest.from, newest.to, null)
    // Its one round is the span's newest: numbered as the bar numbers it.
    const ctx = { ...own, rounds: own.rounds.map((r) => ({ ...r, round: r.round + last })), candidateRounds: own.candidateRounds.map((n) => n + last) }
    this.regeneratedLogged.set(`${ctx.requestId}/${ctx.spanId}`, this.send(decisionInput(ctx, fill.result, this.store.get().documentId, 'regenerated', ctx.spanOriginal)))
  }

  private send(input: DecisionInput): Promise<number | null> {
    return this.api.invoke('prefs:log', input).then(
      (r) => (r.logged === false || r.id < 0 ? null : r.id),
      (e: Error) => {
        this.store.toast('error', `The decision could not be logged: ${e.message}`)
        return null
      },
    )
  }

  private sendDecision(decisionId: string, input: DecisionInput): Promise<number | null> {
    const sent = this.send(input)
    this.logged.set(decisionId, sent)
    return sent
  }

  /** Takes back the 'regenerated' entry of round `roundKey`, once. */
  private retractRegenerated(roundKey: string): void {
    const sent = this.regeneratedLogged.get(roundKey)
    if (!sent) return
    this.regeneratedLogged.delete(roundKey)
    void sent.then((id) => {
      if (id === null) return
      return this.api
        .invoke('prefs:retract', { id, reason: 'picked-earlier-round' })
        .catch((e: Error) => this.store.toast('error', `A turned-down round could not be taken back from the log: ${e.message}`))
    })
  }

  /** Takes back a logged decision (an undo): the log marks it retracted, and exports leave it out. */
  private retract(decisionId: string): void {
    const sent = this.logged.get(decisionId)
    if (!sent) return
    this.logged.delete(decisionId)
    void sent.then((id) => {
      if (id === null) return
      return this.api.invoke('prefs:retract', { id, reason: 'undone' }).catch((e: Error) => this.store.toast('error', `An undone decision could not be taken back from the log: ${e.message}`))
    })
  }

  private settle(decisions: readonly Decision[]): Promise<unknown> {
    const v = this.view()
    if (!v || decisions.length === 0) return Promise.resolve()
    const fs = getFillState(v.state)
    const sends: Promise<unknown>[] = []
    for (const d of decisions) {
      const result = fs.fills[d.context.requestId]?.result ?? this.results.get(d.context.requestId) ?? null
      if (!result) continue
      const { action, finalText, context } = settleAccepted(v.state, d, result)
      sends.push(this.sendDecision(d.id, decisionInput(context, result, this.store.get().documentId, action, finalText)))
      // A candidate accepted from an earlier round: that round's 'regenerated' entry said it was
      // turned down, which the accept (logging every round shown) now contradicts, so it is
      // taken back. An undo of the accept does not bring it back: the span's next decision
      // logs every round again.
      const r = d.span.rounds[d.span.round]
      if (action === 'accepted' && r && d.span.round < d.span.rounds.length - 1) this.retractRegenerated(`${r.requestId}/${r.spanId}`)
    }
    this.dispatch({ type: 'settle', ids: decisions.map((d) => d.id) })
    return Promise.all(sends)
  }

  /** Logs every accept still pending (at save, regenerate, switch, close, preferences). */
  settleAll(): Promise<unknown> {
    const v = this.view()
    return v ? this.settle(pendingAccepts(getFillState(v.state))) : Promise.resolve()
  }

  /** Acts on undo / redo of decisions: an undone logged decision is retracted, a redone reject logged again. */
  private onHistoryEvents(): void {
    const v = this.view()
    if (!v) return
    const fs = getFillState(v.state)
    for (const e of fs.events) {
      if (e.seq <= this.lastEvent) continue
      this.lastEvent = e.seq
      const d = fs.decisions.find((x) => x.id === e.decisionId)
      if (e.type === 'undone') this.retract(e.decisionId)
      else if (d && d.kind === 'reject') {
        const result = fs.fills[d.context.requestId]?.result ?? this.results.get(d.context.requestId)
        if (result) this.sendDecision(d.id, decisionInput(d.context, result, this.store.get().documentId, 'rejected_all', d.context.spanOriginal))
      }
    }
  }

  /** After each transaction: log accepts the writer edited and has left; refresh progress. */
  afterTransaction(): void {
    const v = this.view()
    if (!v) return
    this.onHistoryEvents()
    const fs = getFillState(v.state)
    const left = regionsLeft(v.state, pendingAccepts(fs))
    if (left.length) void this.settle(left)
    const fill = fillInFlight(v.state)
    if (fill) {
      const spans = fs.spans.filter((s) => s.requestId === fill.requestId && s.status === 'filling')
      const cands = fill.request.settings.candidates
      const total = spans.reduce((n, s) => n + (s.slots ?? 0) * cands, 0)
      const revealed = spans.reduce((n, s) => n + s.revealedCount, 0)
      const cur = this.store.get().fill
      if (!cur || cur.requestId !== fill.requestId || cur.step !== fill.step || cur.revealed !== revealed || cur.total !== total)
        this.store.set({ fill: { requestId: fill.requestId, step: fill.step, totalSteps: fill.totalSteps, revealed, total } })
    } else if (this.store.get().fill) this.store.set({ fill: null })
    for (const s of fs.spans) {
      if (s.status === 'dropped' && !this.droppedSeen.has(s.key)) {
        this.droppedSeen.add(s.key)
        this.store.toast('info', s.note ?? 'A fill was dropped.')
      }
    }
    const offers = fs.spans.filter((s) => s.status === 'ready').length
    if (offers !== this.store.get().offers) {
      this.store.set({ offers })
      if (offers === 0) this.store.dismissToastKey(OFFERS_TOAST_KEY)
    }
  }

  /** Forgets everything about fills (a new document). */
  reset(): void {
    // A new document starts a new fill state: its events count from zero again.
    this.lastEvent = 0
    this.queue = []
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}

const modKey = (): string => (typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl+')

function nothingMaskedNote(): string {
  const mod = modKey()
  return `Nothing is masked. Select text and press ${mod}Enter to rewrite it, or ${mod}M at the cursor for an empty gap.`
}

/**
 * What a Regenerate with no spans named fills: the masked spans the selection touches; with
 * a bare caret in (or at the edge of) a masked span, that span alone; with nothing targeted,
 * every masked span not on offer (a span on offer gets a new round only when the writer asks
 * there). `why` says, when that leaves nothing, why nothing was filled.
 */
export function requestTarget(state: EditorState, onlySelection = true): { select: (s: MaskedSpan) => boolean; why: string | null } {
  const { from, to, empty } = state.selection
  if (onlySelection && !empty) return { select: (s) => s.from <= to && s.to >= from, why: null }
  const here = spanAtSelection(state)
  if (here) return { select: (s) => s.from === here.from && s.to === here.to, why: null }
  const offers = getFillState(state).spans.filter((s) => s.status === 'ready' || s.status === 'filling')
  const all = findMaskedSpans(state.doc)
  if (all.length === 0) return { select: () => false, why: null }
  const open = (s: MaskedSpan) => !offers.some((o) => overlaps(o, s))
  const mod = modKey()
  return {
    select: open,
    why: all.some(open)
      ? null
      : `Every masked span already has candidates on offer. To ask again for one, put the caret in it and press ${mod}Enter (or ↻ on its bar); to fill new text, select it or mask it (${mod}M) first.`,
  }
}

/**
 * When every span of `request` is on offer and asking again could only repeat its newest
 * round — both requests Safe (temperature 0) with the same settings (the seed too, unless the
 * strategy draws nothing at random), the same text, locks and span — the number (from 1) of
 * that round; else null.
 */
export function repeatedRound(fs: FillState, request: FillRequest, spans: readonly RequestSpan[]): number | null {
  let repeat: number | null = null
  for (const { id, span } of spans) {
    const offer = fs.spans.find((s) => s.status === 'ready' && overlaps(s, span))
    const last = offer ? offer.rounds.length - 1 : -1
    const round = offer?.rounds[last]
    const before = round && fs.fills[round.requestId]?.request
    const spec = before?.spans.find((x) => x.id === round!.spanId)
    const now = request.spans.find((x) => x.id === id)
    if (!offer || !before || !spec || !now) return null
    const { seed: a, ...was } = before.settings
    const { seed: b, ...is } = request.settings
    const seedless = is.strategy !== 'random' && is.strategy !== 'origin'
    const same =
      is.temperature === 0 &&
      JSON.stringify(was) === JSON.stringify(is) &&
      (seedless || a === b) &&
      before.text === request.text &&
      JSON.stringify(before.locked) === JSON.stringify(request.locked) &&
      JSON.stringify({ ...spec, id: '' }) === JSON.stringify({ ...now, id: '' })
    if (!same) return null
    repeat = last + 1
  }
  return repeat
}

/** A fresh 32-bit seed for a request. */
export function freshSeed(): number {
  const a = new Uint32Array(1)
  crypto.getRandomValues(a)
  return a[0]
}
