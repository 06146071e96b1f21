/**
 * Model-based randomized test of the editor and the decision log (fast-check `fc.commands`).
 *
 * Random sequences of the writer's actions — type / backspace / delete / mask / lock /
 * regenerate / step / fill done / cycle / accept / ✎ edit / reject / ↻ / undo / redo / save /
 * reopen, by key (the caret anywhere, often inside a span) or by a candidate bar's button —
 * run against the real FillController over a real EditorState (no view: `HeadlessView`), with
 * a deterministic fake engine and an in-memory log behind the contract's `InfillApi`. After
 * every command the editor is checked against a small reference model (`Reference`), which
 * keeps its own account of what is on offer (candidates, the one on show, those seen), of the
 * accepted text's range (mapped by its own arithmetic through the writer's edits), and of the
 * decisions it expects logged or retracted.
 *
 * Invariants checked after every command:
 * - locked text never changes, except by the writer's own typing and deleting or undo/redo;
 * - the spans on offer and their candidates / candidate on show / candidates seen match;
 * - each pending accept covers the range the reference computed;
 * - every logged decision equals the one the reference expects (action, chosen, rejected,
 *   final text), and prefix + chosen + suffix equals the document at decision time;
 * - the retracted decisions are exactly those whose undo the reference expects;
 * - save-then-reopen equals the editor (text and marks); no text node holds a line break;
 * - no decision (and no model change) comes from a key pressed with no candidate under the caret;
 * - scope: a request fills exactly what the writer targeted (the span at the caret, the
 *   selection, or with nothing targeted every masked span not on offer), and a span on offer
 *   it does not target keeps its rounds (a new round only where the writer asks for one);
 * - each logged candidate names its round (`candidateRounds`), whose request made it.
 *
 * Runs INFILL_MODEL_RUNS sequences (default 1000) from seed INFILL_MODEL_SEED (default: a
 * fresh one); both are printed. A failure prints the shrunk command sequence.
 */
import fc from 'fast-check'
import { redo, undo, undoDepth, closeHistory } from 'prosemirror-history'
import type { Node as PMNode } from 'prosemirror-model'
import { EditorState, TextSelection, type Transaction } from 'prosemirror-state'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SAMPLING,
  type DecisionInput,
  type EventChannel,
  type EventPayload,
  type FillRequest,
  type FillResult,
  type InfillApi,
  type LengthTarget,
} from '../../../main/contract'
import { derivePairs, judgeDecision } from '../../../main/store/preference-pairs'
import { spanAtSelection, toggleLock, toggleMask } from '../editor/commands'
import { normalizeCandidate, spanNeighbours } from '../editor/decisions'
import { getFillState, pendingAccepts, type LiveSpan } from '../editor/fill-state'
import { buildSidecar, documentFromFile, markdownParser, serializeDocument } from '../editor/markdown'
import { plainText } from '../editor/plain-text'
import { schema } from '../editor/schema'
import { createEditorState, insertTab, type EditorActions } from '../editor/setup'
import { roundLabel } from '../editor/rounds'
import { setSpanLength } from '../editor/span-length'
import { findMaskedSpans, type MaskedSpan } from '../editor/spans'
import { docOf, locked, masked, para } from '../editor/test-helpers'
import { FillController } from './fill-controller'
import { Store } from './store'

const RUNS = Number(process.env.INFILL_MODEL_RUNS ?? 1000)
const SEED = process.env.INFILL_MODEL_SEED !== undefined ? Number(process.env.INFILL_MODEL_SEED) : Math.floor(Math.random() * 0x7fffffff)
const CANDIDATES = 3

/** Texts the fake engine fills with: leading spaces, line breaks, empty, doubled spaces. */
const POOL = ['stormy', ' cold', 'wet\nand grey', '', ' quiet ', 'long\n\nslow', 'dark', '\nlate', 'x y', 'old  stone ']

/**
 * The pool's text `k` for a span whose paragraph holds `head` before it. An empty fill with
 * nothing but spaces before it in its paragraph takes the spaces after its span
 * (border-spaces.ts); this reference models spans, not borders, so such a fill gets a word
 * instead. Borders, with accepts, rejects and undo, are checked by
 * renderer/src/editor/border-spaces.property.test.ts.
 */
function poolText(k: number, head: string): string {
  const text = POOL[k % POOL.length]
  return text === '' && /^ *$/.test(head) ? 'still' : text
}

const MODEL = { name: 'fake', family: 'mdlm' as const, dir: '/fake', maxLength: 512, vocabSize: 100, hash: 'fake-hash', provider: 'cpu' }

/** Cheap assertions for the hot path (vitest's expect costs too much at ~100k checks a run). */
function same(actual: unknown, expected: unknown, what = 'value'): void {
  if (actual === expected) return
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`)
}

// ------------------------------------------------------------------------------------------
// The system under test: a FillController over a headless view, a fake engine and log.
// ------------------------------------------------------------------------------------------

interface LoggedEntry {
  id: number
  input: DecisionInput
  retracted: boolean
  /** The document's plain text when the log call arrived. */
  docText: string
}

class HeadlessView {
  constructor(
    public state: EditorState,
    private readonly onDispatch: (tr: Transaction) => void,
  ) {}
  dispatch = (tr: Transaction): void => {
    this.state = this.state.apply(tr)
    this.onDispatch(tr)
  }
  focus(): void {}
}

class System {
  readonly store = new Store()
  readonly log: LoggedEntry[] = []
  readonly requests: FillRequest[] = []
  private listeners = new Map<EventChannel, ((p: unknown) => void)[]>()
  private requestCount = 0
  readonly view: HeadlessView
  readonly fills: FillController
  readonly actions: EditorActions
  /** Transactions dispatched during the current command. */
  trs: Transaction[] = []
  saved: { markdown: string; sidecar: ReturnType<typeof buildSidecar> } | null = null

  constructor(doc: PMNode) {
    const api: InfillApi = {
      invoke: async (channel, payload) => {
        const p = payload as never
        if (channel === 'engine:fill') {
          this.requests.push(p as FillRequest)
          return { requestId: (p as FillRequest).requestId, queued: 0 } as never
        }
        if (channel === 'engine:state') return { status: 'ready', model: null, queued: 0 } as never
        if (channel === 'engine:cancel') return undefined as never
        if (channel === 'prefs:log') {
          const id = this.log.length + 1
          this.log.push({ id, input: p as DecisionInput, retracted: false, docText: plainText(this.view.state.doc).text })
          return { id, logged: true } as never
        }
        if (channel === 'prefs:retract') {
          const e = this.log.find((x) => x.id === (p as { id: number }).id)
          if (!e) throw new Error(`retract of unknown id ${(p as { id: number }).id}`)
          if (e.retracted) throw new Error(`decision ${e.id} retracted twice`)
          e.retracted = true
          return undefined as never
        }
        throw new Error(`unexpected request ${channel}`)
      },
      on: (channel, listener) => {
        this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener as (p: unknown) => void])
        return () => {}
      },
    }
    this.store.set({ revealPace: 'instant', sampling: { ...DEFAULT_SAMPLING, candidates: CANDIDATES } })
    this.store.toast = () => {}
    this.fills = new FillController(api, this.store, () => this.view as never)
    const f = this.fills
    this.actions = {
      regenerate: () => f.regenerate(),
      acceptCurrent: () => f.acceptCurrent(),
      rejectCurrent: () => f.rejectCurrent(),
      cycleCurrent: (d) => f.cycleCurrent(d),
      beforeWriterInput: () => f.beforeWriterInput(),
      slotLength: () => 4,
      accept: (k) => void f.accept(k),
      edit: (k) => f.edit(k),
      reject: (k) => f.reject(k),
      cycle: (k, d) => f.cycle(k, d),
      pick: (k, r, i) => f.pick(k, r, i),
      regenerateSpan: (k) => f.regenerateSpan(k),
      dismiss: (k) => f.dismiss(k),
      placeCaret: (k) => f.placeCaret(k),
    }
    this.view = new HeadlessView(createEditorState(doc, this.actions), (tr) => {
      this.trs.push(tr)
      this.fills.afterTransaction()
    })
    this.fills.listen()
  }

  get state(): EditorState {
    return this.view.state
  }

  emit<C extends EventChannel>(c: C, p: EventPayload<C>): void {
    this.listeners.get(c)?.forEach((l) => l(p))
  }

  /** The fake engine finishes the request in flight: candidates from the pool, by request and span. */
  finish(): boolean {
    const req = this.requests.shift()
    if (!req) return false
    const n = this.requestCount++
    const result: FillResult = {
      requestId: req.requestId,
      spans: req.spans.map((s, i) => ({
        spanId: s.id,
        original: req.text.slice(s.from, s.to),
        slots: 2,
        candidates: Array.from({ length: req.settings.candidates }, (_, c) => ({
          text: poolText(n * 7 + i * 3 + c * 5, req.text.slice(req.text.lastIndexOf('\n', s.from - 1) + 1, s.from)),
          tokenIds: [1],
          confidence: 0.5,
        })),
      })),
      forwardPasses: 2,
      ms: 1,
      model: MODEL,
      settings: req.settings,
    }
    this.emit('fill:done', result)
    return true
  }

  step(): boolean {
    const req = this.requests[0]
    if (!req) return false
    this.emit('fill:step', {
      requestId: req.requestId,
      step: 1,
      totalSteps: 2,
      revealed: req.spans.map((s) => ({ spanId: s.id, candidate: 0, slot: 0, tokenId: 1, text: ' a', confidence: 0.5, pad: false })),
      remaining: Object.fromEntries(req.spans.map((s) => [s.id, 1])),
    })
    return true
  }

  setSelection(from: number, to = from): void {
    this.view.dispatch(this.state.tr.setSelection(TextSelection.create(this.state.doc, from, to)))
  }

  /** The writer types `text` at the selection (as the view's text input does). */
  type(text: string): void {
    this.view.dispatch(this.state.tr.insertText(text))
  }

  closeHistory(): void {
    this.view.dispatch(closeHistory(this.state.tr))
  }

  reopen(doc: PMNode): void {
    this.fills.reset()
    this.view.state = createEditorState(doc, this.actions)
    this.fills.afterTransaction()
  }
}

// ------------------------------------------------------------------------------------------
// The reference model.
// ------------------------------------------------------------------------------------------

type Grow = 'never' | 'touched' | 'always'
interface Range {
  from: number
  to: number
}

/** A writer's insertion of n positions at p, by the rule the README states. */
function refInsert(r: Range, p: number, n: number, grow: Grow): Range & { touched: boolean } {
  const touched = r.from < p && p < r.to
  const g = grow === 'always' || (grow === 'touched' && touched)
  const from = p < r.from ? r.from + n : p === r.from ? (g && r.from === r.to ? r.from : r.from + n) : r.from
  const to = p < r.to ? r.to + n : p === r.to ? (g ? r.to + n : r.to) : r.to
  return { from, to: Math.max(from, to), touched }
}

function refDelete(r: Range, x: number, y: number): Range & { touched: boolean } {
  const m = (p: number) => (p <= x ? p : p >= y ? p - (y - x) : x)
  const from = m(r.from)
  return { from, to: Math.max(from, m(r.to)), touched: x < r.to && y > r.from }
}

/** The writer replacing [a, b) (a < b) with n characters at once (typing over a selection). */
function refReplaceWriter(r: Range, a: number, b: number, n: number, grow: Grow): Range & { touched: boolean } {
  const touched = a < r.to && b > r.from
  const g = grow === 'always' || (grow === 'touched' && touched)
  const m = (p: number, assoc: number) => (p <= a ? p : p >= b ? p + n - (b - a) : assoc < 0 ? a : a + n)
  const from = m(r.from, g && r.from === r.to ? -1 : 1)
  return { from, to: Math.max(from, m(r.to, g ? 1 : -1)), touched }
}

/** The model replacing [a, b) with n positions (an accept; a reject of a slot is n = 0): no edit, nothing grows. */
function refReplace(r: Range, a: number, b: number, n: number): Range {
  const m = (p: number, inside: number) => (p <= a ? p : p >= b ? p + n - (b - a) : inside)
  const from = m(r.from, a + n)
  return { from, to: Math.max(from, m(r.to, a)) }
}

/** One round of a span's candidates: `key` is `${requestId}/${spanId}` of the request that made it. */
interface RefRound {
  key: string
  /** What made it: the length asked for and Safe ↔ Wild, in words. */
  label: string
  candidates: string[]
  seen: number[]
  /** The index of its 'regenerated' entry in the expected log, once asked again. */
  regenerated?: number
}

interface RefOffer {
  key: string
  /** Every round while on offer, oldest first; `round` is on show, `current` its candidate on show. */
  rounds: RefRound[]
  round: number
  current: number
  original: string
}

/** The round on show and its candidate on show. */
function onShow(o: RefOffer): RefRound {
  return o.rounds[o.round]
}
function shownText(o: RefOffer): string {
  return onShow(o).candidates[o.current]
}

/** What a decision logs as shown: every round's seen candidates, oldest round first. */
function shownList(o: RefOffer): string[] {
  return o.rounds.flatMap((r) => r.seen.map((i) => r.candidates[i]))
}

/** Shows candidate `index` of round `round` (marking it seen). */
function showIn(o: RefOffer, round: number, index: number): void {
  o.round = round
  o.current = index
  const r = o.rounds[round]
  if (!r.seen.includes(index)) r.seen = [...r.seen, index]
}

interface RefDecision {
  n: number
  key: string
  kind: 'accept' | 'reject'
  offer: RefOffer
  /** Accept: the range of the accepted text (reference arithmetic). */
  range: Range
  text: string
  edited: boolean
  status: 'pending' | 'logged' | 'undone'
  /** Index in the log of its latest entry. */
  logIndex: number | null
  docAtDecision: string
}

interface Expected {
  action: DecisionInput['action']
  key: string
  chosen: string | null
  rejected: string[]
  finalText: string
  /** The document the entry's prefix + chosen + suffix must equal. */
  doc: string | null
  /** Accepts: the candidate accepted, which candidates[chosenIndex] must be. */
  accepted?: string
  /** For each logged candidate, in order: its round's request key and the round's number (from 1). */
  rounds: [string, number][]
}

/** Each shown candidate's round (key, number from 1), in the order a decision logs them (`shownList`). */
function shownRounds(o: RefOffer): [string, number][] {
  return o.rounds.flatMap((r, i) => r.seen.map((): [string, number] => [r.key, i + 1]))
}

class Reference {
  offers = new Map<string, RefOffer>()
  /** Spans being filled, with the rounds they carry over from the offers they replaced. */
  filling = new Map<string, RefRound[]>()
  inFlight = false
  decisions: RefDecision[] = []
  expected: Expected[] = []
  retracted = new Set<number>()
  undoStack: ({ kind: 'decision'; d: RefDecision } | { kind: 'other' })[] = []
  redoStack: ({ kind: 'decision'; d: RefDecision } | { kind: 'other' })[] = []
  private counter = 0

  pending(): RefDecision[] {
    return this.decisions.filter((d) => d.kind === 'accept' && d.status === 'pending')
  }

  pushHistory(e: { kind: 'decision'; d: RefDecision } | { kind: 'other' }): void {
    this.undoStack.push(e)
    this.redoStack = []
  }

  /** The caret is now at [from, to]: accepts it has left are final. */
  caret(sys: System, from: number, to: number): void {
    for (const d of this.pending()) if (to < d.range.from || from > d.range.to) this.settle(sys, d)
  }

  settle(sys: System, d: RefDecision): void {
    const finalText = sys.state.doc.textBetween(d.range.from, d.range.to, '\n\n', '')
    const shown = shownList(d.offer)
    const chosen = shownText(d.offer)
    // Logged under the request of the round the candidate came from.
    const key = onShow(d.offer).key
    if (d.offer.round < d.offer.rounds.length - 1) count('decided-from-earlier-round')
    if (d.edited && finalText !== d.text) {
      this.expected.push({ action: 'accepted_edited', key, chosen: finalText, rejected: finalText === chosen ? [] : [chosen], finalText, doc: plainText(sys.state.doc).text, accepted: chosen, rounds: shownRounds(d.offer) })
    } else {
      this.expected.push({ action: 'accepted', key, chosen, rejected: unique(shown.filter((c) => c !== chosen)), finalText: chosen, doc: d.docAtDecision, accepted: chosen, rounds: shownRounds(d.offer) })
      // Accepting an earlier round's candidate takes back that round's 'regenerated' entry.
      const r = onShow(d.offer)
      if (r.regenerated !== undefined && d.offer.round < d.offer.rounds.length - 1) {
        count('regenerated-retracted')
        this.retracted.add(r.regenerated)
      }
    }
    d.status = 'logged'
    d.logIndex = this.expected.length - 1
  }

  /** Maps everything positional through a writer insertion / deletion (positions of spans come from the editor). */
  writerInsert(p: number, n: number, writer: boolean): void {
    for (const d of this.pending()) {
      const grow: Grow = writer ? (d.edited ? 'always' : 'touched') : 'never'
      const r = refInsert(d.range, p, n, grow)
      d.range = { from: r.from, to: r.to }
      if (writer && r.touched) d.edited = true
    }
  }

  writerReplace(a: number, b: number, n: number): void {
    for (const d of this.pending()) {
      const r = refReplaceWriter(d.range, a, b, n, d.edited ? 'always' : 'touched')
      d.range = { from: r.from, to: r.to }
      if (r.touched) d.edited = true
    }
  }

  writerDelete(x: number, y: number): void {
    for (const d of this.pending()) {
      const r = refDelete(d.range, x, y)
      d.range = { from: r.from, to: r.to }
      if (r.touched) d.edited = true
    }
  }

  /** Live spans (by the editor's positions before the change) that a change of [x, y) (an insertion when x === y) touches are dropped. */
  dropTouched(spans: readonly LiveSpan[], x: number, y: number, marksOnly = false): void {
    for (const s of spans) {
      // Mark commands change text only: an empty slot inside their range is not touched.
      if (marksOnly && s.kind === 'slot') continue
      const touched = x === y && !marksOnly ? s.from < x && x < s.to : x < s.to && y > s.from
      if (!touched) continue
      this.offers.delete(s.key)
      this.filling.delete(s.key)
    }
  }

  /** Other pending accepts follow a model change of [a, b) into n positions. */
  modelReplace(a: number, b: number, n: number): void {
    for (const d of this.pending()) d.range = refReplace(d.range, a, b, n)
  }

  accept(sys: System, key: string, from: number, docAfter: string, spanTo: number): RefDecision {
    const offer = cloneOffer(this.offers.get(key)!)
    this.offers.delete(key)
    const text = shownText(offer)
    this.modelReplace(from, spanTo, text.length)
    const d: RefDecision = {
      n: ++this.counter,
      key,
      kind: 'accept',
      offer,
      range: { from, to: from + text.length },
      text,
      edited: false,
      status: 'pending',
      logIndex: null,
      docAtDecision: docAfter,
    }
    this.decisions.push(d)
    this.pushHistory({ kind: 'decision', d })
    return d
  }

  reject(key: string, docAfter: string, slot: Range | null): void {
    if (slot) this.modelReplace(slot.from, slot.to, 0)
    const offer = cloneOffer(this.offers.get(key)!)
    this.offers.delete(key)
    const d: RefDecision = { n: ++this.counter, key, kind: 'reject', offer, range: { from: 0, to: 0 }, text: '', edited: false, status: 'logged', logIndex: null, docAtDecision: docAfter }
    this.logReject(d)
    this.decisions.push(d)
    this.pushHistory({ kind: 'decision', d })
  }

  logReject(d: RefDecision): void {
    const shown = shownList(d.offer)
    const chosen = d.offer.original === '' ? null : d.offer.original
    this.expected.push({ action: 'rejected_all', key: onShow(d.offer).key, chosen, rejected: unique(shown.filter((c) => c !== chosen)), finalText: d.offer.original, doc: d.docAtDecision, rounds: shownRounds(d.offer) })
    d.logIndex = this.expected.length - 1
    d.status = 'logged'
  }

  regenerated(offer: RefOffer, doc: string): void {
    // Asking again turns down the newest round (each earlier round was logged when it was asked again).
    this.offers.delete(offer.key)
    const newest = offer.rounds[offer.rounds.length - 1]
    const n = offer.rounds.length
    this.expected.push({ action: 'regenerated', key: newest.key, chosen: null, rejected: unique(newest.seen.map((i) => newest.candidates[i])), finalText: offer.original, doc, rounds: newest.seen.map((): [string, number] => [newest.key, n]) })
    newest.regenerated = this.expected.length - 1
  }

  undo(): void {
    const e = this.undoStack.pop()
    if (!e) return
    this.redoStack.push(e)
    if (e.kind !== 'decision') return
    const d = e.d
    // A decision whose redo did not decide again (its span had been asked again) stays undone.
    if (d.status === 'undone') return
    count(`undo-${d.kind}-${d.status}`)
    if (d.status === 'logged' && d.logIndex !== null) this.retracted.add(d.logIndex)
    d.status = 'undone'
    this.offers.set(d.key, cloneOffer(d.offer))
  }

  redo(sys: System): void {
    const e = this.redoStack.pop()
    if (!e) return
    this.undoStack.push(e)
    if (e.kind !== 'decision') return
    const d = e.d
    // A redo decides again only while the span its undo brought back is still on offer.
    if (!this.offers.has(d.key)) return
    this.offers.delete(d.key)
    if (d.kind === 'reject') this.logReject(d)
    else {
      d.status = 'pending'
      d.edited = false
      const real = getFillState(sys.state).decisions.find((x) => x.key === d.key && x.status === 'pending')
      if (real) d.range = { from: real.from, to: real.to }
    }
  }

  /**
   * After undo / redo, positions are taken from the editor, and so is whether an undo that
   * changed a live span's text dropped it (the reference does not replay history).
   */
  resyncRanges(sys: System): void {
    for (const s of getFillState(sys.state).spans) {
      if (s.status !== 'dropped') continue
      this.filling.delete(s.key)
      this.offers.delete(s.key)
    }
    for (const d of this.pending()) {
      const real = getFillState(sys.state).decisions.find((x) => x.key === d.key && x.status === 'pending')
      if (real) d.range = { from: real.from, to: real.to }
    }
  }
}

/** The offer as it was when decided (cycling it later does not change the decision). */
function cloneOffer(o: RefOffer): RefOffer {
  return { ...o, rounds: o.rounds.map((r) => ({ ...r, seen: [...r.seen] })) }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)]
}

// ------------------------------------------------------------------------------------------
// Helpers over the editor.
// ------------------------------------------------------------------------------------------

/** Every position inside a textblock (where a caret can be). */
function caretPositions(doc: PMNode): number[] {
  const out: number[] = []
  doc.descendants((node, pos) => {
    if (!node.isTextblock) return true
    for (let p = pos + 1; p <= pos + 1 + node.content.size; p++) out.push(p)
    return false
  })
  return out
}

function pick<T>(xs: readonly T[], seed: number): T | undefined {
  return xs.length ? xs[seed % xs.length] : undefined
}

/** A position: often inside (or at an edge of) a span on offer, otherwise anywhere. */
function aimedCaret(state: EditorState, seed: number, aim: boolean): number {
  const ready = getFillState(state).spans.filter((s) => s.status === 'ready')
  if (aim && ready.length) {
    const s = ready[seed % ready.length]
    const span = s.to - s.from
    return s.from + (Math.floor(seed / 7) % (span + 1))
  }
  return pick(caretPositions(state.doc), seed) ?? 1
}

function readySpans(state: EditorState): LiveSpan[] {
  return getFillState(state).spans.filter((s) => s.status === 'ready')
}

function liveSpans(state: EditorState): LiveSpan[] {
  return getFillState(state).spans.filter((s) => s.status !== 'dropped')
}

/** Locked characters: [pos, char] for each, to follow through non-writer changes. */
function lockedChars(doc: PMNode): [number, string][] {
  const out: [number, string][] = []
  doc.descendants((node, pos) => {
    if (node.isText && schema.marks.locked.isInSet(node.marks)) for (let i = 0; i < node.text!.length; i++) out.push([pos + i, node.text![i]])
    return true
  })
  return out
}

function assertLockedKept(before: PMNode, after: PMNode, trs: readonly Transaction[]): void {
  for (const [pos, ch] of lockedChars(before)) {
    let p = pos
    let gone = false
    for (const tr of trs) {
      const r = tr.mapping.mapResult(p, 1)
      if (r.deleted) gone = true
      p = r.pos
    }
    same(gone, false, `locked "${ch}" at ${pos} was deleted`)
    const node = after.nodeAt(p)
    same(after.textBetween(p, p + 1), ch, `locked "${ch}" at ${pos} changed`)
    same(!!node && !!schema.marks.locked.isInSet(node.marks), true, `locked "${ch}" at ${pos} lost its lock`)
  }
}

// ------------------------------------------------------------------------------------------
// Commands.
// ------------------------------------------------------------------------------------------

interface World {
  sys: System
  ref: Reference
}

type Cmd = fc.AsyncCommand<World, World>

abstract class Base implements Cmd {
  /** Whether the command is the writer's own editing (locked text may change). */
  protected writerEdits = false
  check(_m: Readonly<World>): boolean {
    return true
  }
  async run(_m: World, w: World): Promise<void> {
    if (process.env.INFILL_MODEL_DEBUG) console.log(String(this), JSON.stringify(w.sys.state.doc.toJSON()), getFillState(w.sys.state).spans.map((s) => [s.key, s.from, s.to, s.status]))
    const before = w.sys.state.doc
    w.sys.trs = []
    this.act(w)
    w.sys.closeHistory()
    await flush()
    if (!this.writerEdits) assertLockedKept(before, w.sys.state.doc, w.sys.trs)
    checkInvariants(w)
  }
  abstract act(w: World): void
  abstract toString(): string
}

async function flush(): Promise<void> {
  for (let i = 0; i < 6; i++) await Promise.resolve()
}

/** The writer types at a position (inside a span on offer: accept-and-edit). */
class Type extends Base {
  constructor(
    readonly seed: number,
    readonly aim: boolean,
    readonly text: string,
  ) {
    super()
    this.writerEdits = true
  }
  act({ sys, ref }: World): void {
    const p = aimedCaret(sys.state, this.seed, this.aim)
    sys.setSelection(p)
    ref.caret(sys, p, p)
    writerInputAt(sys, ref, p, () => {
      const at = sys.state.selection.from
      const spans = liveSpans(sys.state)
      ref.dropTouched(spans, at, at)
      sys.type(this.text)
      ref.writerInsert(at, this.text.length, true)
      ref.pushHistory({ kind: 'other' })
    })
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
  }
  toString(): string {
    return `Type(${this.seed}, ${this.aim}, ${JSON.stringify(this.text)})`
  }
}

/** Before the writer's input at p: a span on offer under the caret is accepted for editing. */
function writerInputAt(sys: System, ref: Reference, p: number, input: () => void): void {
  const under = readySpans(sys.state).find((s) => p >= s.from && p <= s.to)
  const took = sys.fills.beforeWriterInput()
  same(took, !!under, 'accept-for-edit happens exactly when a candidate is under the caret')
  if (under) {
    count('accept-for-edit')
    const d = ref.accept(sys, under.key, under.from, plainText(sys.state.doc).text, under.to)
    d.edited = true
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
    same(sys.state.selection.from, d.range.to)
  }
  input()
}

/** Backspace at a position. */
class Backspace extends Base {
  constructor(
    readonly seed: number,
    readonly aim: boolean,
  ) {
    super()
    this.writerEdits = true
  }
  act({ sys, ref }: World): void {
    const p = aimedCaret(sys.state, this.seed, this.aim)
    sys.setSelection(p)
    ref.caret(sys, p, p)
    writerInputAt(sys, ref, p, () => {
      const at = sys.state.selection.from
      const $at = sys.state.doc.resolve(at)
      if ($at.parentOffset === 0) return
      ref.dropTouched(liveSpans(sys.state), at - 1, at)
      sys.view.dispatch(sys.state.tr.delete(at - 1, at))
      ref.writerDelete(at - 1, at)
      ref.pushHistory({ kind: 'other' })
    })
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
  }
  toString(): string {
    return `Backspace(${this.seed}, ${this.aim})`
  }
}

/** A selection inside one paragraph, for delete / mask / lock. */
function rangeIn(state: EditorState, a: number, b: number): Range | null {
  const blocks: Range[] = []
  state.doc.descendants((node, pos) => {
    if (node.isTextblock) blocks.push({ from: pos + 1, to: pos + 1 + node.content.size })
    return !node.isTextblock
  })
  const block = pick(blocks, a)
  if (!block || block.to === block.from) return null
  const len = block.to - block.from
  const from = block.from + (b % len)
  const to = Math.min(block.to, from + 1 + (Math.floor(b / 13) % 6))
  return { from, to }
}

class DeleteRange extends Base {
  constructor(
    readonly a: number,
    readonly b: number,
  ) {
    super()
    this.writerEdits = true
  }
  act({ sys, ref }: World): void {
    const r = rangeIn(sys.state, this.a, this.b)
    if (!r) return
    sys.setSelection(r.from, r.to)
    ref.caret(sys, r.from, r.to)
    const inside = readySpans(sys.state).find((s) => r.from >= s.from && r.to <= s.to)
    if (inside) return // covered by Backspace with the caret in a span
    ref.dropTouched(liveSpans(sys.state), r.from, r.to)
    sys.view.dispatch(sys.state.tr.deleteSelection())
    ref.writerDelete(r.from, r.to)
    ref.pushHistory({ kind: 'other' })
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
  }
  toString(): string {
    return `DeleteRange(${this.a}, ${this.b})`
  }
}

/** Mod-M over a range, or at a bare caret (an empty slot). */
class Mask extends Base {
  constructor(
    readonly a: number,
    readonly b: number,
    readonly bare: boolean,
  ) {
    super()
    this.writerEdits = true // masking the writer's text is the writer's right
  }
  act({ sys, ref }: World): void {
    const r = this.bare ? { from: aimedCaret(sys.state, this.a, false), to: 0 } : rangeIn(sys.state, this.a, this.b)
    if (!r) return
    if (this.bare) r.to = r.from
    sys.setSelection(r.from, r.to)
    ref.caret(sys, r.from, r.to)
    const spans = liveSpans(sys.state)
    const depth = undoDepth(sys.state)
    const doc = sys.state.doc
    toggleMask(4)(sys.state, sys.view.dispatch)
    if (undoDepth(sys.state) === depth) return
    if (this.bare) {
      if (doc.eq(sys.state.doc)) return
      ref.dropTouched(spans, r.from, r.from)
      ref.writerInsert(r.from, 1, false)
    } else {
      // Which live spans a mark change touches depends on the exact mark steps ProseMirror
      // makes (text only, split at slots): taken from the editor, as after undo / redo.
      ref.resyncRanges(sys)
    }
    ref.pushHistory({ kind: 'other' })
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
  }
  toString(): string {
    return `Mask(${this.a}, ${this.b}, ${this.bare})`
  }
}

function trimmed(doc: PMNode, r: Range): Range {
  let { from, to } = r
  const isSpace = (a: number, b: number) => /^\s$/.test(doc.textBetween(a, b, ' ', ' '))
  while (from < to && isSpace(from, from + 1)) from++
  while (to > from && isSpace(to - 1, to)) to--
  return { from, to }
}

class Lock extends Base {
  constructor(
    readonly a: number,
    readonly b: number,
  ) {
    super()
    this.writerEdits = true // unlocking is the writer's right
  }
  act({ sys, ref }: World): void {
    const r = rangeIn(sys.state, this.a, this.b)
    if (!r) return
    sys.setSelection(r.from, r.to)
    ref.caret(sys, r.from, r.to)
    const spans = liveSpans(sys.state)
    const depth = undoDepth(sys.state)
    toggleLock(sys.state, sys.view.dispatch)
    if (undoDepth(sys.state) === depth) return
    ref.resyncRanges(sys) // as for Mask: the spans a mark change touched come from the editor
    ref.pushHistory({ kind: 'other' })
  }
  toString(): string {
    return `Lock(${this.a}, ${this.b})`
  }
}

/**
 * Mod-Enter with a bare caret: what the writer targeted, and nothing else — the masked span
 * at the caret (in it or at its edge), else every masked span not on offer.
 */
class Regenerate extends Base {
  constructor(readonly seed: number) {
    super()
  }
  act({ sys, ref }: World): void {
    const p = aimedCaret(sys.state, this.seed, this.seed % 3 === 0)
    sys.setSelection(p)
    ref.caret(sys, p, p)
    regenerate(sys, ref, () => sys.fills.regenerate(), caretTargets(sys.state, p))
  }
  toString(): string {
    return `Regenerate(${this.seed})`
  }
}

/**
 * The scope rule, stated on its own: a bare caret in (or at the edge of) a masked span targets
 * that span; elsewhere, every masked span not on offer.
 */
function caretTargets(state: EditorState, p: number): MaskedSpan[] {
  const all = findMaskedSpans(state.doc)
  const block = state.doc.resolve(p).parent
  const here = all.find((s) => s.from <= p && p <= s.to && state.doc.resolve(s.from).parent === block)
  if (here) return [here]
  const offers = readySpans(state)
  return all.filter((s) => !offers.some((o) => (o.from < s.to && o.to > s.from) || (o.from === s.from && o.to === s.to)))
}

function regenerate(sys: System, ref: Reference, go: () => void, only: LiveSpan | MaskedSpan[] | null): void {
  const sent = sys.requests.length
  // The offers as they are before anything is turned down: a new fill over one carries its rounds on.
  // (The offers themselves: turning one down below marks its newest round's 'regenerated' entry.)
  const offersBefore = new Map(ref.offers)
  const readyBefore = readySpans(sys.state)
  const spans = Array.isArray(only) ? only : findMaskedSpans(sys.state.doc).filter((s) => !only || (s.from === only.from && s.to === only.to))
  const doc = plainText(sys.state.doc).text
  // Regenerate first logs every pending accept (when no fill is in flight), then turns down the spans asked again.
  if (!ref.inFlight) for (const d of ref.pending()) ref.settle(sys, d)
  if (!ref.inFlight && spans.length) {
    for (const m of spans) {
      for (const s of readySpans(sys.state)) {
        const overlap = (s.from < m.to && s.to > m.from) || (s.from === m.from && s.to === m.to)
        if (overlap && ref.offers.has(s.key)) ref.regenerated(ref.offers.get(s.key)!, doc)
      }
    }
  }
  const liveBefore = liveSpans(sys.state)
  go()
  const asked = sys.requests.length > sent
  same(asked, !ref.inFlight && spans.length > 0, 'a request goes out exactly when nothing is in flight and something is targeted')
  if (!asked) return
  // Scope: the request fills exactly the spans the writer targeted, and every span on offer
  // it does not target stays on offer as it was (no new round it was not asked for).
  const sentReq = sys.requests[sys.requests.length - 1]
  same(
    sentReq.spans.map((s) => [s.from, s.to]),
    spans.map((s) => [s.charFrom, s.charTo]),
    'a request fills exactly what the writer targeted',
  )
  const untouched = readyBefore.filter((o) => !spans.some((m) => (o.from < m.to && o.to > m.from) || (o.from === m.from && o.to === m.to)))
  for (const o of untouched) {
    const now = readySpans(sys.state).find((x) => x.key === o.key)
    same(!!now && now.rounds.length === o.rounds.length, true, `span on offer ${o.key}, not targeted, keeps its rounds and stays on offer`)
    count('offer-untouched')
  }
  ref.inFlight = true
  // Live spans the new request overlaps are replaced by it.
  for (const s of liveBefore) {
    if (!spans.some((m) => (s.from < m.to && s.to > m.from) || (s.from === m.from && s.to === m.to))) continue
    ref.filling.delete(s.key)
    ref.offers.delete(s.key)
  }
  const req = sys.requests[sys.requests.length - 1]
  for (const s of req.spans) {
    const key = `${req.requestId}/${s.id}`
    const live = liveSpans(sys.state).find((x) => x.key === key)!
    const carried = readyBefore
      .filter((o) => offersBefore.has(o.key) && ((o.from < live.to && o.to > live.from) || (o.from === live.from && o.to === live.to)))
      .sort((a, b) => a.from - b.from)
      .flatMap((o) => offersBefore.get(o.key)!.rounds)
    if (carried.length) count('round-carried')
    ref.filling.set(key, carried)
  }
}

/** Regenerate, and the engine answers at once (the common case, so sequences reach decisions). */
class FillNow extends Base {
  constructor(readonly seed: number) {
    super()
  }
  act(w: World): void {
    new Regenerate(this.seed).act(w)
    new Done().act(w)
  }
  toString(): string {
    return `FillNow(${this.seed})`
  }
}

class Step extends Base {
  act({ sys }: World): void {
    sys.step()
  }
  toString(): string {
    return 'Step'
  }
}

class Done extends Base {
  act({ sys, ref }: World): void {
    const req = sys.requests[0]
    if (!req) return
    const before = new Map(liveSpans(sys.state).map((s) => [s.key, s]))
    sys.finish()
    ref.inFlight = false
    const doc = sys.state.doc
    req.spans.forEach((s, i) => {
      const key = `${req.requestId}/${s.id}`
      if (!ref.filling.has(key)) return
      const carried = ref.filling.get(key)!
      ref.filling.delete(key)
      const live = before.get(key)!
      const { before: b, after: a } = spanNeighbours(doc, live.from, live.to)
      const n = sys['requestCount'] - 1
      const $from = doc.resolve(live.from)
      const head = $from.parent.textBetween(0, $from.parentOffset, '\n', '\u0000')
      const candidates = Array.from({ length: req.settings.candidates }, (_, c) => normalizeCandidate(poolText(n * 7 + i * 3 + c * 5, head), b, a))
      const label = roundLabel(s.length, req.settings.temperature)
      ref.offers.set(key, { key, rounds: [...carried, { key, label, candidates, seen: [0] }], round: carried.length, current: 0, original: req.text.slice(s.from, s.to) })
    })
  }
  toString(): string {
    return 'Done'
  }
}

/** Alt-[ / Alt-] with the caret somewhere, or ‹ › on a bar. */
class Cycle extends Base {
  constructor(
    readonly seed: number,
    readonly aim: boolean,
    readonly delta: 1 | -1,
    readonly byKey: boolean,
  ) {
    super()
  }
  act({ sys, ref }: World): void {
    let key: string | undefined
    if (this.byKey) {
      const p = aimedCaret(sys.state, this.seed, this.aim)
      sys.setSelection(p)
      ref.caret(sys, p, p)
      key = readySpans(sys.state).find((s) => p >= s.from && p <= s.to)?.key
      same(sys.fills.cycleCurrent(this.delta), !!key)
    } else {
      key = pick(readySpans(sys.state), this.seed)?.key
      if (!key) return
      sys.fills.cycle(key, this.delta)
    }
    if (!key) return
    // Within the round on show (the ☰ list reaches the others).
    const o = ref.offers.get(key)!
    const n = onShow(o).candidates.length
    showIn(o, o.round, (o.current + this.delta + n) % n)
  }
  toString(): string {
    return `Cycle(${this.seed}, ${this.aim}, ${this.delta}, ${this.byKey})`
  }
}

/** Tab with the caret somewhere, or ✓ on a bar. */
class Accept extends Base {
  constructor(
    readonly seed: number,
    readonly aim: boolean,
    readonly byKey: boolean,
  ) {
    super()
    this.writerEdits = byKey // Tab outside a span inserts a tab: the writer's typing
  }
  act({ sys, ref }: World): void {
    let span: LiveSpan | undefined
    if (this.byKey) {
      const p = aimedCaret(sys.state, this.seed, this.aim)
      sys.setSelection(p)
      ref.caret(sys, p, p)
      span = readySpans(sys.state).find((s) => p >= s.from && p <= s.to)
      const logged = sys.log.length
      const doc = sys.state.doc
      if (!span) {
        // No candidate under the caret: Tab is the editor's (a tab character mid-line), nothing is decided.
        same(sys.fills.acceptCurrent(), false)
        same(sys.log.length, logged)
        const spans = liveSpans(sys.state)
        insertTab(sys.state, sys.view.dispatch)
        if (!doc.eq(sys.state.doc)) {
          ref.dropTouched(spans, p, p)
          ref.writerInsert(p, 1, true)
          ref.pushHistory({ kind: 'other' })
        }
        ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
        return
      }
      same(sys.fills.acceptCurrent(), true)
    } else {
      span = pick(readySpans(sys.state), this.seed)
      if (!span) return
      sys.fills.accept(span.key)
    }
    ref.accept(sys, span.key, span.from, plainText(sys.state.doc).text, span.to)
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
  }
  toString(): string {
    return `Accept(${this.seed}, ${this.aim}, ${this.byKey})`
  }
}

/** ✎ on a bar, then the writer types over the selected candidate. */
class EditAccept extends Base {
  constructor(
    readonly seed: number,
    readonly text: string,
  ) {
    super()
    this.writerEdits = true
  }
  act({ sys, ref }: World): void {
    const span = pick(readySpans(sys.state), this.seed)
    if (!span) return
    sys.fills.edit(span.key)
    const d = ref.accept(sys, span.key, span.from, plainText(sys.state.doc).text, span.to)
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
    const { from, to } = sys.state.selection
    same([from, to], [d.range.from, d.range.to])
    const spans = liveSpans(sys.state)
    sys.type(this.text)
    ref.dropTouched(spans, from, to === from ? from : to)
    if (to > from) ref.writerReplace(from, to, this.text.length)
    else ref.writerInsert(from, this.text.length, true)
    if (to > from || this.text.length) ref.pushHistory({ kind: 'other' })
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
  }
  toString(): string {
    return `EditAccept(${this.seed}, ${JSON.stringify(this.text)})`
  }
}

/** Esc with the caret somewhere, or ✕ on a bar. */
class Reject extends Base {
  constructor(
    readonly seed: number,
    readonly aim: boolean,
    readonly byKey: boolean,
  ) {
    super()
  }
  act({ sys, ref }: World): void {
    let span: LiveSpan | undefined
    if (this.byKey) {
      const p = aimedCaret(sys.state, this.seed, this.aim)
      sys.setSelection(p)
      ref.caret(sys, p, p)
      span = readySpans(sys.state).find((s) => p >= s.from && p <= s.to)
      const dropped = getFillState(sys.state).spans.find((s) => s.status === 'dropped' && p >= s.from && p <= s.to)
      const logged = sys.log.length
      const doc = sys.state.doc
      same(sys.fills.rejectCurrent(), !!span || !!dropped)
      if (!span) {
        same(sys.log.length, logged, 'Esc with no candidate under the caret decides nothing')
        same(sys.state.doc.eq(doc), true)
        return
      }
    } else {
      span = pick(readySpans(sys.state), this.seed)
      if (!span) return
      sys.fills.reject(span.key)
    }
    ref.reject(span.key, plainText(sys.state.doc).text, span.kind === 'slot' ? { from: span.from, to: span.to } : null)
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
  }
  toString(): string {
    return `Reject(${this.seed}, ${this.aim}, ${this.byKey})`
  }
}

/** ↻ on a bar: that span alone, asked again. */
class RegenerateSpan extends Base {
  constructor(readonly seed: number) {
    super()
  }
  act({ sys, ref }: World): void {
    const span = pick(readySpans(sys.state), this.seed)
    if (!span) return
    regenerate(sys, ref, () => sys.fills.regenerateSpan(span.key), span)
  }
  toString(): string {
    return `RegenerateSpan(${this.seed})`
  }
}

/** A pick from a bar's ☰ list: any candidate of any round (an earlier round's, mostly); then ✓ when `accept`. */
class PickRound extends Base {
  constructor(
    readonly seed: number,
    readonly round: number,
    readonly index: number,
    readonly accept: boolean,
  ) {
    super()
  }
  act({ sys, ref }: World): void {
    const ready = readySpans(sys.state)
    const withRounds = ready.filter((s) => s.rounds.length > 1)
    const span = pick(withRounds.length ? withRounds : ready, this.seed)
    if (!span) return
    const o = ref.offers.get(span.key)!
    // An earlier round when there is one (the round on show is Cycle's).
    const round = o.rounds.length > 1 ? this.round % (o.rounds.length - 1) : 0
    const index = this.index % o.rounds[round].candidates.length
    if (round < o.rounds.length - 1) count('pick-earlier-round')
    sys.actions.pick(span.key, round, index)
    showIn(o, round, index)
    if (!this.accept) return
    const live = readySpans(sys.state).find((s) => s.key === span.key)!
    sys.actions.accept(span.key)
    ref.accept(sys, span.key, live.from, plainText(sys.state.doc).text, live.to)
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
  }
  toString(): string {
    return `PickRound(${this.seed}, ${this.round}, ${this.index}, ${this.accept})`
  }
}

/**
 * Shorter / Longer / a word range with the caret in a span on offer: its length is set (the
 * offer stays) and that span is asked again, as Session.rewrite does: a new round, labelled so.
 */
class RegenerateLength extends Base {
  constructor(
    readonly seed: number,
    readonly target: LengthTarget,
  ) {
    super()
  }
  act({ sys, ref }: World): void {
    const span = pick(readySpans(sys.state), this.seed)
    if (!span) return
    sys.setSelection(span.to)
    ref.caret(sys, span.to, span.to)
    const at = spanAtSelection(sys.state)
    if (!at || at.from !== span.from || at.to !== span.to) return
    const depth = undoDepth(sys.state)
    setSpanLength(this.target)(sys.state, sys.view.dispatch)
    if (undoDepth(sys.state) !== depth) ref.pushHistory({ kind: 'other' })
    same(readySpans(sys.state).some((s) => s.key === span.key), true, 'setting the length keeps the span on offer')
    count('length-on-offer')
    regenerate(sys, ref, () => sys.fills.regenerate(true, (s) => s.from === span.from && s.to === span.to), span)
  }
  toString(): string {
    return `RegenerateLength(${this.seed}, ${JSON.stringify(this.target)})`
  }
}

/**
 * Accept a span, type inside the accepted text twice (two undo steps), undo k (1..3) and redo
 * k, then settle: the redone typing is the writer's edit again, so the accept is still
 * 'accepted_edited' with the typed text (a redo used to count as no edit at all, and the
 * decision was logged as plain 'accepted' after undo ×3 / redo ×3).
 */
class EditUndoRedo extends Base {
  constructor(
    readonly seed: number,
    readonly text: string,
    readonly k: number,
  ) {
    super()
    this.writerEdits = true
  }
  act({ sys, ref }: World): void {
    const span = pick(readySpans(sys.state), this.seed)
    if (!span) return
    sys.fills.accept(span.key)
    const d = ref.accept(sys, span.key, span.from, plainText(sys.state.doc).text, span.to)
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
    if (d.range.to - d.range.from < 2) return
    for (let i = 0; i < 2; i++) {
      sys.closeHistory()
      const p = d.range.from + 1 // strictly inside the accepted text
      sys.setSelection(p)
      ref.caret(sys, p, p)
      ref.dropTouched(liveSpans(sys.state), p, p)
      sys.type(this.text)
      ref.writerInsert(p, this.text.length, true)
      ref.pushHistory({ kind: 'other' })
    }
    sys.closeHistory()
    const doc = sys.state.doc
    const range = { ...d.range }
    for (let i = 0; i < this.k; i++) {
      same(undo(sys.state, sys.view.dispatch), true, 'undo')
      ref.undo()
    }
    for (let i = 0; i < this.k; i++) {
      same(redo(sys.state, sys.view.dispatch), true, 'redo')
      ref.redo(sys)
    }
    if (this.k === 3) count('edit-undo-redo-3')
    same(sys.state.doc.eq(doc), true, 'undo then redo gives the document back')
    // The redone typing is the writer's again: the accept is edited, over the same range.
    d.edited = true
    d.range = range
    void sys.fills.settleAll()
    for (const x of ref.pending()) ref.settle(sys, x)
  }
  toString(): string {
    return `EditUndoRedo(${this.seed}, ${JSON.stringify(this.text)}, ${this.k})`
  }
}

/**
 * Undo / redo of a decision (the last undoable step is an accept or reject). Undo of the
 * writer's own typing around live spans is left to the unit and e2e tests: the reference
 * does not replay ProseMirror's history, so it could not say exactly which spans survive.
 */
class Undo extends Base {
  constructor() {
    super()
    this.writerEdits = true
  }
  override check(m: Readonly<World>): boolean {
    return m.ref.undoStack.at(-1)?.kind === 'decision'
  }
  act({ sys, ref }: World): void {
    const depth = undoDepth(sys.state)
    same(depth, ref.undoStack.length, 'undo depth')
    if (!undo(sys.state, sys.view.dispatch)) return
    ref.undo()
    ref.resyncRanges(sys)
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
  }
  toString(): string {
    return 'Undo'
  }
}

class Redo extends Base {
  constructor() {
    super()
    this.writerEdits = true
  }
  override check(m: Readonly<World>): boolean {
    return m.ref.redoStack.at(-1)?.kind === 'decision'
  }
  act({ sys, ref }: World): void {
    if (!redo(sys.state, sys.view.dispatch)) {
      same(ref.redoStack.length, 0)
      return
    }
    ref.redo(sys)
    ref.resyncRanges(sys)
    ref.caret(sys, sys.state.selection.from, sys.state.selection.to)
  }
  toString(): string {
    return 'Redo'
  }
}

/** Save: pending accepts are logged; the file (Markdown + sidecar) opens as the editor shows. */
class Save extends Base {
  constructor(readonly reopen: boolean) {
    super()
  }
  act({ sys, ref }: World): void {
    void sys.fills.settleAll()
    for (const d of ref.pending()) ref.settle(sys, d)
    const doc = sys.state.doc
    const markdown = serializeDocument(doc, 'story.md')
    const sidecar = buildSidecar(doc, 'doc-1')
    const opened = documentFromFile({ markdown, sidecar, path: 'story.md' }).doc
    same(opened.eq(doc), true, 'save-then-reopen equals the editor')
    // The Markdown alone holds the same text, paragraph by paragraph (no line break became a soft break).
    const parsed = markdownParser.parse(markdown)!
    const blocks = (d: PMNode) => {
      const out: string[] = []
      d.descendants((n) => (n.isTextblock ? (out.push(n.textContent.replace(/\s+/g, ' ').trim()), false) : true))
      return out.filter((t) => t !== '')
    }
    same(blocks(parsed), blocks(doc))
    if (this.reopen) {
      sys.reopen(opened)
      ref.offers.clear()
      ref.filling.clear()
      ref.inFlight = false
      sys.requests.length = 0
      ref.undoStack = []
      ref.redoStack = []
      ref.decisions = ref.decisions.filter((d) => d.status === 'logged')
    }
  }
  toString(): string {
    return `Save(${this.reopen})`
  }
}

// ------------------------------------------------------------------------------------------
// Invariants.
// ------------------------------------------------------------------------------------------

function checkInvariants({ sys, ref }: World): void {
  const fs = getFillState(sys.state)
  // What is on offer.
  const ready = readySpans(sys.state)
  same(ready.map((s) => s.key).sort(), [...ref.offers.keys()].sort(), 'spans on offer')
  for (const s of ready) {
    const o = ref.offers.get(s.key)!
    // Every round (after an undo too: the rounds come back with the span), and the one on show.
    same(
      s.rounds.map((r) => ({ key: `${r.requestId}/${r.spanId}`, label: r.label, candidates: r.candidates.map((c) => c.text), seen: r.seen })),
      o.rounds.map(({ key, label, candidates, seen }) => ({ key, label, candidates, seen })),
      `rounds of ${s.key}`,
    )
    same([s.round, s.current], [o.round, o.current], `round and candidate on show of ${s.key}`)
    same(s.candidates!.map((c) => c.text), onShow(o).candidates, `candidates of ${s.key}`)
    same(s.seen, onShow(o).seen, `candidates seen of ${s.key}`)
  }
  // Pending accepts cover the reference's range.
  const pending = pendingAccepts(fs)
  same(pending.map((d) => d.key), ref.pending().map((d) => d.key), 'pending accepts')
  for (const d of pending) {
    const r = ref.pending().find((x) => x.key === d.key)!
    same([d.from, d.to], [r.range.from, r.range.to], `range of the accept of ${d.key}`)
  }
  // The log.
  same(sys.log.length, ref.expected.length, 'decisions logged')
  sys.log.forEach((e, i) => {
    const x = ref.expected[i]
    const judged = judgeDecision(e.input)
    same([e.input.action, `${e.input.requestId}/${e.input.spanId}`], [x.action, x.key], `decision ${i}`)
    same(judged.chosen, x.chosen, `chosen of decision ${i}`)
    same([...judged.rejected].sort(), [...x.rejected].sort(), `rejected of decision ${i}`)
    same(e.input.finalText, x.finalText, `final text of decision ${i}`)
    // Each candidate names its own round: the request that made it, numbered as the bar numbers it.
    const rounds = e.input.rounds ?? []
    same(
      (e.input.candidateRounds ?? []).map((n) => {
        const r = rounds.find((x) => x.round === n)
        return r ? [`${r.requestId}/${r.spanId}`, n] : ['none', n]
      }),
      x.rounds,
      `the round of each candidate of decision ${i}`,
    )
    same(e.input.kind, rounds.find((r) => `${r.requestId}/${r.spanId}` === x.key)?.kind, `the kind of decision ${i} is its own round's`)
    // chosenIndex points at the accepted candidate within the logged (shown) candidates; for a
    // plain accept that is the text the document held at decision time.
    if (x.accepted !== undefined) {
      same(e.input.candidates[e.input.chosenIndex!], x.accepted, `candidates[chosenIndex] of decision ${i}`)
      if (e.input.action === 'accepted') same(e.input.prefix + e.input.candidates[e.input.chosenIndex!] + e.input.suffix, x.doc, `document at decision ${i}`)
    }
    same(e.input.candidates.some((c) => c.startsWith('\n') || c.endsWith('\n')), false)
    derivePairs(e.input)
    const middle = e.input.action === 'accepted' || e.input.action === 'accepted_edited' ? e.input.finalText : e.input.spanOriginal
    if (x.doc !== null) same(e.input.prefix + middle + e.input.suffix, x.doc, `prefix + chosen + suffix of decision ${i}`)
    same(e.retracted, ref.retracted.has(i), `decision ${i} retracted`)
  })
  // No line break inside a paragraph's text.
  sys.state.doc.descendants((n) => {
    if (n.isText) same(n.text!.includes('\n'), false, 'a text node holds a line break')
    return true
  })
}

// ------------------------------------------------------------------------------------------

const text = fc.constantFrom('a', 'b ', ' c', 'xy', '. ', 'Q')
const seed = fc.nat({ max: 10_000 })
/** What the runs exercised (printed, so a suite that stopped reaching decisions shows it). */
const tally: Record<string, number> = {}
const count = (k: string, n = 1) => void (tally[k] = (tally[k] ?? 0) + n)

const commands = [
  fc.tuple(seed, fc.boolean(), text).map(([s, a, t]) => new Type(s, a, t)),
  fc.tuple(seed, fc.boolean()).map(([s, a]) => new Backspace(s, a)),
  fc.tuple(seed, seed).map(([a, b]) => new DeleteRange(a, b)),
  fc.tuple(seed, seed, fc.boolean()).map(([a, b, bare]) => new Mask(a, b, bare)),
  fc.tuple(seed, seed).map(([a, b]) => new Lock(a, b)),
  seed.map((s) => new Regenerate(s)),
  seed.map((s) => new FillNow(s)),
  seed.map((s) => new FillNow(s)),
  seed.map((s) => new FillNow(s)),
  fc.constant(new Step()),
  fc.constant(new Done()),
  fc.constant(new Done()),
  fc.tuple(seed, fc.boolean(), fc.constantFrom<1 | -1>(1, -1), fc.boolean()).map(([s, a, d, k]) => new Cycle(s, a, d, k)),
  fc.tuple(seed, fc.boolean(), fc.boolean()).map(([s, a, k]) => new Accept(s, a, k)),
  fc.tuple(seed, fc.boolean(), fc.boolean()).map(([s, a, k]) => new Accept(s, a, k)),
  fc.tuple(seed, text).map(([s, t]) => new EditAccept(s, t)),
  fc.tuple(seed, fc.boolean(), fc.boolean()).map(([s, a, k]) => new Reject(s, a, k)),
  fc.tuple(seed, fc.boolean(), fc.boolean()).map(([s, a, k]) => new Reject(s, a, k)),
  seed.map((s) => new RegenerateSpan(s)),
  fc.tuple(seed, fc.nat({ max: 5 }), fc.nat({ max: 15 }), fc.boolean()).map(([s, r, i, a]) => new PickRound(s, r, i, a)),
  fc.tuple(seed, fc.nat({ max: 5 }), fc.nat({ max: 15 }), fc.boolean()).map(([s, r, i, a]) => new PickRound(s, r, i, a)),
  fc.tuple(seed, fc.constantFrom<LengthTarget>('shorter', 'longer', 'same', { minWords: 2, maxWords: 5 })).map(([s, t]) => new RegenerateLength(s, t)),
  fc.tuple(seed, text, fc.integer({ min: 1, max: 3 })).map(([s, t, k]) => new EditUndoRedo(s, t, k)),
  fc.constant(new Undo()),
  fc.constant(new Undo()),
  fc.constant(new Redo()),
  fc.boolean().map((r) => new Save(r)),
]

function initialDoc(): PMNode {
  return docOf(para(locked('It was a '), masked('dark'), locked(' night.')), para(locked('The keeper '), masked('climbed'), locked(' the stairs.')))
}

describe('the editor and the decision log against a reference model', () => {
  it(`hold every invariant over ${RUNS} random sequences`, async () => {
    let runs = 0
    console.log(`decision-log model test: seed ${SEED} (set INFILL_MODEL_SEED to replay), ${RUNS} sequences`)
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 24, size: 'large', ...(process.env.INFILL_MODEL_REPLAY ? { replayPath: process.env.INFILL_MODEL_REPLAY } : {}) }), async (cmds) => {
        runs++
        const sys = new System(initialDoc())
        const world = { sys, ref: new Reference() }
        await fc.asyncModelRun(() => ({ model: world, real: world }), cmds)
        for (const e of sys.log) count(e.input.action)
        count('retracted', sys.log.filter((e) => e.retracted).length)
        count('commands', [...cmds].length)
      }),
      { numRuns: RUNS, seed: SEED, verbose: 1, ...(process.env.INFILL_MODEL_PATH ? { path: process.env.INFILL_MODEL_PATH, endOnFailure: true } : {}) },
    )
    console.log(`decision-log model test: ${runs} sequences run (seed ${SEED}), all invariants held; exercised: ${JSON.stringify(tally)}`)
    expect(runs).toBeGreaterThanOrEqual(RUNS)
  }, 600_000)
})
