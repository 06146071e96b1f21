/**
 * Other words (issue 21): on a single word (the caret in it, or the word selected), the
 * context menu's "Other words" or Shift+F7 masks the word and asks the engine for N distinct
 * words that fit both sides ('engine:alternatives'), ranked by the fused score of the model
 * and the count experts (the writer's own text among them). They are offered as a fill's
 * candidates are: the same bar, ☰ list, keys and decisions, and each decision is logged in
 * the preference log like any fill's.
 */
import { TextSelection, type EditorState } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import type { AlternativesResult, FillRequest, FillResult, InfillApi, ModelInfo } from '../../../main/contract'
import { toggleMask } from '../editor/commands'
import { fillInFlight, getFillState, overlaps, setFillAction } from '../editor/fill-state'
import { setOrigin } from '../editor/origin'
import { schema } from '../editor/schema'
import { buildFillRequest } from '../editor/spans'
import type { ManuscriptSync } from './manuscript-sync'
import type { Store } from './store'

/** How many other words are asked for. */
export const OTHER_WORDS_COUNT = 8

const WORD = /^[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*$/u
const WORD_CHAR = /[\p{L}\p{N}'’]/u

/** The single word under the caret or selected (PM range and text), or null. Masked text and spans on offer are not words for this. */
export function wordAt(state: EditorState): { from: number; to: number; text: string } | null {
  const { $from, $to, empty } = state.selection
  if (!$from.parent.isTextblock || $from.parent !== $to.parent) return null
  const block = $from.parent
  const start = $from.start()
  // One character per position: leaf nodes (gaps, line breaks) stand as U+FFFC.
  const text = block.textBetween(0, block.content.size, '\n', '\ufffc')
  let a = $from.parentOffset
  let b = $to.parentOffset
  if (empty) {
    while (a > 0 && WORD_CHAR.test(text[a - 1])) a--
    while (b < text.length && WORD_CHAR.test(text[b])) b++
  } else {
    while (a < b && /\s/.test(text[a])) a++
    while (b > a && /\s/.test(text[b - 1])) b--
  }
  // An apostrophe at either end is punctuation, not part of the word.
  while (a < b && /['’]/.test(text[a])) a++
  while (b > a && /['’]/.test(text[b - 1])) b--
  const word = text.slice(a, b)
  if (!WORD.test(word)) return null
  const from = start + a
  const to = start + b
  if (state.doc.rangeHasMark(from, to, schema.marks.masked)) return null
  if (getFillState(state).spans.some((s) => s.status !== 'dropped' && overlaps(s, { from, to }))) return null
  return { from, to, text: word }
}

/** The engine's alternatives as a fill's result for the word's span (null when there are none). */
export function alternativesFill(request: FillRequest, spanId: string, result: AlternativesResult & { model: ModelInfo }): FillResult | null {
  if (result.alternatives.length === 0) return null
  return {
    requestId: request.requestId,
    spans: [
      {
        spanId,
        original: result.original,
        slots: 1,
        candidates: result.alternatives.map((a) => ({ text: a.text, tokenIds: [], confidence: Math.min(1, Math.exp(a.score)), origin: a.origin, score: a.score })),
      },
    ],
    forwardPasses: 0,
    ms: result.ms,
    model: result.model,
    settings: request.settings,
  }
}

export class OtherWords {
  constructor(
    private readonly api: InfillApi,
    private readonly store: Store,
    private readonly editor: () => EditorView | null,
    private readonly manuscript: ManuscriptSync,
  ) {}

  /** Whether the gesture applies at the selection now (the context menu shows it enabled). */
  available(): boolean {
    const v = this.editor()
    return !!v && !!wordAt(v.state)
  }

  /** Masks the word at the selection and offers other words for it. False when there is no single word there. */
  offer(): boolean {
    const v = this.editor()
    if (!v) return false
    if (fillInFlight(v.state)) {
      this.store.toast('info', 'A fill is already running. Stop it first, or wait for it to finish.')
      return true
    }
    const word = wordAt(v.state)
    if (!word) {
      this.store.toast('info', 'Other words works on one word: put the caret in it, or select it.')
      return false
    }
    v.dispatch(v.state.tr.setSelection(TextSelection.create(v.state.doc, word.from, word.to)))
    if (!toggleMask(this.store.get().slotLength)(v.state, v.dispatch)) return false
    const requestId = `w${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
    const { sampling } = this.store.get()
    const built = buildFillRequest(v.state.doc, requestId, { ...sampling, candidates: Math.min(16, OTHER_WORDS_COUNT) }, (s) => s.from <= word.from && s.to >= word.to)
    const spec = built?.request.spans[0]
    if (!built || !spec || spec.to <= spec.from) return false
    v.dispatch(setFillAction(v.state.tr, { type: 'start', request: built.request, spans: built.spans.slice(0, 1) }))
    // The word, masked now, leaves the writer's text before the engine reads it.
    this.manuscript.flush()
    const experts = this.manuscript.experts()
    this.api
      .invoke('engine:alternatives', { requestId, text: built.request.text, from: spec.from, to: spec.to, count: OTHER_WORDS_COUNT, ...(experts ? { experts } : {}) })
      .then((result) => {
        const fill = alternativesFill(built.request, spec.id, result)
        if (fill) this.dispatch({ type: 'done', result: fill, at: new Date().toISOString() }, requestId)
        else this.fail(requestId, `No other words fit here for “${word.text}”.`, 'info')
      })
      .catch((e: Error) => this.fail(requestId, `Other words failed: ${e.message}`, 'error'))
    return true
  }

  private dispatch(action: Parameters<typeof setFillAction>[1], requestId: string): boolean {
    const v = this.editor()
    if (!v || getFillState(v.state).fills[requestId]?.status !== 'filling') return false
    v.dispatch(setFillAction(v.state.tr, action))
    return true
  }

  /** Ends the request and gives the word back to the writer as it was (unmasked, their text locked). */
  private fail(requestId: string, message: string, kind: 'info' | 'error'): void {
    const v = this.editor()
    const span = v && getFillState(v.state).spans.find((s) => s.requestId === requestId)
    if (!v || !this.dispatch({ type: 'error', event: { requestId, message, cancelled: false } }, requestId)) return
    this.store.toast(kind, message)
    if (!span || span.to <= span.from) return
    const tr = v.state.tr.removeMark(span.from, span.to, schema.marks.masked)
    v.state.doc.nodesBetween(span.from, span.to, (node, pos) => {
      if (!node.isText) return true
      if (!schema.marks.generated.isInSet(node.marks)) tr.addMark(Math.max(pos, span.from), Math.min(pos + node.nodeSize, span.to), schema.marks.locked.create())
      return false
    })
    v.dispatch(setOrigin(tr, 'command'))
  }
}
