import { describe, expect, it } from 'vitest'
import { undo, redo, undoDepth } from 'prosemirror-history'
import { TextSelection, type EditorState, type Transaction } from 'prosemirror-state'
import { DEFAULT_SAMPLING, type FillResult, type FillStepEvent } from '../../../main/contract'
import { toggleMask } from './commands'
import { acceptTransaction, rejectTransaction, settleAccepted, regionsLeft } from './decisions'
import { DROPPED_NOTE, getFillState, setFillAction, type LiveSpan } from './fill-state'
import { transactionTouchesLocked } from './lock-guard'
import { setOrigin } from './origin'
import { schema } from './schema'
import { buildFillRequest } from './spans'
import { docOf, find, locked, masked, para, stateOf, typeAt } from './test-helpers'

const LOCKED_SENTENCE = 'The keeper never slept.'

function run(state: EditorState, ...trs: ((s: EditorState) => Transaction)[]): EditorState {
  for (const f of trs) state = state.apply(f(state))
  return state
}

function startFill(state: EditorState, requestId = 'r1', candidates = 2) {
  const built = buildFillRequest(state.doc, requestId, { ...DEFAULT_SAMPLING, candidates })!
  return { state: state.apply(setFillAction(state.tr, { type: 'start', request: built.request, spans: built.spans })), request: built.request }
}

function step(requestId: string, stepNo: number, revealed: FillStepEvent['revealed'], remaining: Record<string, number>): FillStepEvent {
  return { requestId, step: stepNo, totalSteps: 4, revealed, remaining }
}

function result(requestId: string, spans: { id: string; original: string; cands: string[] }[]): FillResult {
  return {
    requestId,
    spans: spans.map((s) => ({ spanId: s.id, original: s.original, slots: 2, candidates: s.cands.map((text) => ({ text, tokenIds: [1], confidence: 0.8 })) })),
    forwardPasses: 4,
    ms: 10,
    model: { name: 'tiny', family: 'mdlm', dir: '/m', maxLength: 64, vocabSize: 100, hash: 'abc', provider: 'cpu' },
    settings: { ...DEFAULT_SAMPLING, candidates: spans[0]?.cands.length ?? 1 },
  }
}

const base = () =>
  stateOf(docOf(para(locked('It was a '), masked('dark'), locked(' night. '), locked(LOCKED_SENTENCE), locked(' He '), masked('climbed'), locked(' up.'))))

const spans = (s: EditorState): LiveSpan[] => getFillState(s).spans

describe('the lock guard', () => {
  it('rejects a model transaction that replaces, inserts into or re-marks locked text', () => {
    const s = base()
    const at = find(s.doc, 'keeper')
    const replace = setOrigin(s.tr.insertText('guard', at, at + 6), 'model')
    const insert = setOrigin(s.tr.insertText('old ', at), 'model')
    const unlock = setOrigin(s.tr.removeMark(at, at + 6, schema.marks.locked), 'model')
    for (const tr of [replace, insert, unlock]) {
      expect(transactionTouchesLocked(tr)).toBe(true)
      expect(s.apply(tr).doc.eq(s.doc)).toBe(true)
    }
  })

  it('lets the model change masked text and the writer change locked text', () => {
    const s = base()
    const d = find(s.doc, 'dark')
    const model = setOrigin(s.tr.insertText('stormy', d, d + 4), 'model')
    expect(s.apply(model).doc.textContent).toContain('It was a stormy night.')
    const at = find(s.doc, 'keeper')
    expect(s.apply(s.tr.insertText('guard', at, at + 6)).doc.textContent).toContain('The guard never slept.')
  })

  it('never applies an accept whose span overlaps locked text', () => {
    let { state } = startFill(base())
    state = state.apply(setFillAction(state.tr, { type: 'done', result: result('r1', [{ id: 's1', original: 'dark', cands: ['x', 'y'] }, { id: 's2', original: 'climbed', cands: ['a', 'b'] }]), at: 'now' }))
    const span = { ...spans(state)[0], to: find(state.doc, 'night') + 2 } // stretched into locked text
    const tr = acceptTransaction(state, span, getFillState(state).fills.r1, 0)!
    expect(state.apply(tr).doc.eq(state.doc)).toBe(true)
  })
})

describe('auto-lock', () => {
  it('locks what the writer types, strips generated from it, and leaves masked text masked', () => {
    let s = stateOf(docOf(para(masked('dark'), ' ', { text: 'gen', marks: ['generated'] })))
    s = run(s, (st) => typeAt(st, st.doc.content.size - 1, ' typed'))
    s = run(s, (st) => typeAt(st, find(st.doc, 'ark'), 'X'))
    s = run(s, (st) => typeAt(st, find(st.doc, 'en'), 'Y'))
    const marksOf = (text: string) => s.doc.nodeAt(find(s.doc, text))!.marks.map((m) => m.type.name).sort()
    expect(marksOf('typed')).toEqual(['locked'])
    expect(marksOf('X')).toEqual(['masked'])
    expect(marksOf('Y')).toEqual(['locked'])
    expect(marksOf('en')).toEqual(['generated'])
  })
})

describe('fills and concurrent writer edits', () => {
  it('maps spans through edits elsewhere and drops only the span the writer edited', () => {
    let { state } = startFill(base())
    expect(state.doc.textBetween(spans(state)[0].from, spans(state)[0].to)).toBe('dark')
    // The writer types before both spans, then inside the second one.
    state = run(state, (s) => typeAt(s, 1, 'So, '))
    let [a2, b2] = spans(state)
    expect(state.doc.textBetween(a2.from, a2.to)).toBe('dark')
    expect(state.doc.textBetween(b2.from, b2.to)).toBe('climbed')
    expect(a2.status).toBe('filling')
    // Typing right at a span's edge is beside it, not in it.
    state = run(state, (s) => typeAt(s, spans(s)[0].to, '-ish'))
    expect(spans(state)[0].status).toBe('filling')
    state = run(state, (s) => typeAt(s, spans(s)[1].from + 3, 'X'))
    ;[a2, b2] = spans(state)
    expect(a2.status).toBe('filling')
    expect(b2.status).toBe('dropped')
    expect(b2.note).toBe(DROPPED_NOTE)
    // The engine's result still applies to the span that was not edited.
    state = state.apply(setFillAction(state.tr, { type: 'step', event: step('r1', 1, [{ spanId: 's1', candidate: 0, slot: 0, tokenId: 5, text: ' storm', confidence: 0.9, pad: false }], { s1: 3, s2: 4 }) }))
    expect(spans(state)[0].reveal[0][0]?.text).toBe(' storm')
    expect(spans(state)[0].slots).toBe(2)
    state = state.apply(
      setFillAction(state.tr, { type: 'done', result: result('r1', [{ id: 's1', original: 'dark', cands: ['stormy', 'cold'] }, { id: 's2', original: 'climbed', cands: ['ran', 'went'] }]), at: 'now' }),
    )
    expect(spans(state).map((s) => s.status)).toEqual(['ready', 'dropped'])
    const tr = acceptTransaction(state, spans(state)[0], getFillState(state).fills.r1, 0)!
    state = state.apply(tr)
    expect(state.doc.textContent).toBe(`So, It was a stormy-ish night. ${LOCKED_SENTENCE} He cliXmbed up.`)
  })

  it('keeps the locked sentence byte-identical through a fill, accept, reject, undo and redo', () => {
    let { state } = startFill(base())
    const sentence = () => {
      const at = find(state.doc, LOCKED_SENTENCE)
      return state.doc.textBetween(at, at + LOCKED_SENTENCE.length)
    }
    state = state.apply(setFillAction(state.tr, { type: 'done', result: result('r1', [{ id: 's1', original: 'dark', cands: ['grey', 'calm'] }, { id: 's2', original: 'climbed', cands: ['ran', 'went'] }]), at: 'now' }))
    state = state.apply(acceptTransaction(state, spans(state)[0], getFillState(state).fills.r1, 1)!)
    state = state.apply(rejectTransaction(state, spans(state)[0]))
    // The rejected span's original returns as locked writer text.
    expect(state.doc.nodeAt(find(state.doc, 'climbed'))!.marks.map((m) => m.type.name)).toEqual(['locked'])
    for (const cmd of [undo, undo, redo, redo]) {
      cmd(state, (tr) => (state = state.apply(tr)))
      expect(sentence()).toBe(LOCKED_SENTENCE)
    }
    expect(state.doc.textContent).toBe(`It was a calm night. ${LOCKED_SENTENCE} He climbed up.`)
  })
})

describe('history', () => {
  it('keeps streamed steps out of undo and makes accepting one undo step', () => {
    let s = base()
    s = run(s, (st) => typeAt(st, st.doc.content.size - 1, ' Then sleep.'))
    const depth = undoDepth(s)
    const before = s.doc
    let { state } = startFill(s)
    for (let i = 1; i <= 3; i++) {
      state = state.apply(setFillAction(state.tr, { type: 'step', event: step('r1', i, [{ spanId: 's1', candidate: 0, slot: i - 1, tokenId: 1, text: 'a', confidence: 0.5, pad: false }], { s1: 3 - i, s2: 4 }) }))
    }
    state = state.apply(setFillAction(state.tr, { type: 'done', result: result('r1', [{ id: 's1', original: 'dark', cands: ['long', 'cold'] }, { id: 's2', original: 'climbed', cands: ['ran', 'went'] }]), at: 'now' }))
    expect(undoDepth(state)).toBe(depth)
    expect(state.doc.eq(before)).toBe(true)

    state = state.apply(acceptTransaction(state, spans(state)[0], getFillState(state).fills.r1, 0)!)
    const accepted = state.doc
    expect(undoDepth(state)).toBe(depth + 1)
    const gen = state.doc.nodeAt(find(state.doc, 'long'))!
    expect(gen.marks.map((m) => m.type.name)).toEqual(['generated'])
    expect(gen.marks[0].attrs).toEqual({ model: 'tiny', strategy: DEFAULT_SAMPLING.strategy, requestId: 'r1' })

    undo(state, (tr) => (state = state.apply(tr)))
    expect(state.doc.eq(before)).toBe(true)
    redo(state, (tr) => (state = state.apply(tr)))
    expect(state.doc.eq(accepted)).toBe(true)
  })
})

describe('accepted text the writer edits', () => {
  it('is logged as accepted_edited with the final text once the writer leaves it', () => {
    let { state } = startFill(base())
    state = state.apply(setFillAction(state.tr, { type: 'done', result: result('r1', [{ id: 's1', original: 'dark', cands: ['stormy', 'cold'] }, { id: 's2', original: 'climbed', cands: ['ran', 'went'] }]), at: 'now' }))
    state = state.apply(acceptTransaction(state, spans(state)[0], getFillState(state).fills.r1, 0, true)!)
    let region = getFillState(state).decisions[0]
    expect(settleAccepted(state, region)).toMatchObject({ action: 'accepted', finalText: 'stormy' })
    // Edit mode selects the text; the writer types over it, then keeps typing.
    state = state.apply(state.tr.insertText('wild'))
    state = state.apply(state.tr.insertText(' wet'))
    region = getFillState(state).decisions[0]
    expect(region.edited).toBe(true)
    expect(regionsLeft(state, [region])).toEqual([])
    expect(settleAccepted(state, region)).toMatchObject({ action: 'accepted_edited', finalText: 'wild wet' })
    const typed = state.doc.nodeAt(find(state.doc, 'wild'))!
    expect(typed.marks.map((m) => m.type.name)).toEqual(['locked'])
  })

  it('stays accepted when the writer types beside it', () => {
    let { state } = startFill(base())
    state = state.apply(setFillAction(state.tr, { type: 'done', result: result('r1', [{ id: 's1', original: 'dark', cands: ['stormy'] }, { id: 's2', original: 'climbed', cands: ['ran'] }]), at: 'now' }))
    state = state.apply(acceptTransaction(state, spans(state)[0], getFillState(state).fills.r1, 0)!)
    state = state.apply(state.tr.insertText(', windy'))
    const region = getFillState(state).decisions[0]
    expect(region.edited).toBe(false)
    expect(settleAccepted(state, region)).toMatchObject({ action: 'accepted', finalText: 'stormy' })
  })
})

describe('undo and redo of an accept', () => {
  it('undo brings back the candidates that were on offer; redo accepts the same candidate again', () => {
    let { state } = startFill(base())
    state = state.apply(setFillAction(state.tr, { type: 'done', result: result('r1', [{ id: 's1', original: 'dark', cands: ['stormy', 'cold'] }, { id: 's2', original: 'climbed', cands: ['ran', 'went'] }]), at: 'now' }))
    state = state.apply(setFillAction(state.tr, { type: 'cycle', key: 'r1/s1', delta: 1 }))
    state = state.apply(acceptTransaction(state, spans(state)[0], getFillState(state).fills.r1, 1)!)
    expect(spans(state).map((s) => s.key)).toEqual(['r1/s2'])
    undo(state, (tr) => (state = state.apply(tr)))
    const back = spans(state).find((s) => s.key === 'r1/s1')!
    expect(back).toMatchObject({ status: 'ready', current: 1, seen: [0, 1] })
    expect(back.candidates!.map((c) => c.text)).toEqual(['stormy', 'cold'])
    expect(state.doc.textBetween(back.from, back.to)).toBe('dark')
    const fs = getFillState(state)
    expect(fs.decisions[0].status).toBe('undone')
    expect(fs.events.map((e) => e.type)).toEqual(['undone'])
    redo(state, (tr) => (state = state.apply(tr)))
    const region = getFillState(state).decisions[0]
    expect(region.status).toBe('pending')
    expect(spans(state).map((s) => s.key)).toEqual(['r1/s2'])
    expect(state.doc.textBetween(region.from, region.to)).toBe('cold')
    expect(settleAccepted(state, region)).toMatchObject({ action: 'accepted', finalText: 'cold' })
    expect(getFillState(state).events.map((e) => e.type)).toEqual(['undone', 'redone'])
  })

  it('undo of a reject brings the candidates back too', () => {
    let { state } = startFill(base())
    state = state.apply(setFillAction(state.tr, { type: 'done', result: result('r1', [{ id: 's1', original: 'dark', cands: ['stormy', 'cold'] }, { id: 's2', original: 'climbed', cands: ['ran', 'went'] }]), at: 'now' }))
    state = state.apply(rejectTransaction(state, spans(state)[1], getFillState(state).fills.r1))
    expect(spans(state).map((s) => s.key)).toEqual(['r1/s1'])
    undo(state, (tr) => (state = state.apply(tr)))
    expect(spans(state).map((s) => [s.key, s.status])).toEqual([['r1/s1', 'ready'], ['r1/s2', 'ready']])
    redo(state, (tr) => (state = state.apply(tr)))
    expect(spans(state).map((s) => s.key)).toEqual(['r1/s1'])
  })
})

describe('undo past the mask', () => {
  it('an undo that takes the mask away ends the offer quietly: no span on offer, no dropped note, the word as it was', () => {
    let state = stateOf(docOf(para(locked('It was a dark night.'))))
    const at = find(state.doc, 'dark')
    state = state.apply(state.tr.setSelection(TextSelection.create(state.doc, at, at + 4)))
    expect(toggleMask(2)(state, (tr) => (state = state.apply(tr)))).toBe(true)
    ;({ state } = startFill(state))
    state = state.apply(setFillAction(state.tr, { type: 'done', result: result('r1', [{ id: 's1', original: 'dark', cands: ['stormy', 'cold'] }]), at: 'now' }))
    state = state.apply(acceptTransaction(state, spans(state)[0], getFillState(state).fills.r1, 0)!)
    undo(state, (tr) => (state = state.apply(tr))) // the accept: the candidates are back
    expect(spans(state).map((s) => s.status)).toEqual(['ready'])
    undo(state, (tr) => (state = state.apply(tr))) // the mask
    expect(state.doc.rangeHasMark(at, at + 4, schema.marks.masked)).toBe(false)
    expect(state.doc.textBetween(at, at + 4)).toBe('dark')
    expect(spans(state)).toEqual([])
    redo(state, (tr) => (state = state.apply(tr))) // the mask again, with nothing on offer
    expect(state.doc.rangeHasMark(at, at + 4, schema.marks.masked)).toBe(true)
    expect(spans(state)).toEqual([])
  })

  it('an edit of the writer that unmasks a span on offer still drops it with the note', () => {
    let { state } = startFill(base())
    state = state.apply(setFillAction(state.tr, { type: 'done', result: result('r1', [{ id: 's1', original: 'dark', cands: ['stormy', 'cold'] }, { id: 's2', original: 'climbed', cands: ['ran', 'went'] }]), at: 'now' }))
    const d = find(state.doc, 'dark')
    state = state.apply(state.tr.removeMark(d, d + 4, schema.marks.masked))
    expect(spans(state).find((s) => s.key === 'r1/s1')).toMatchObject({ status: 'dropped', note: DROPPED_NOTE })
  })
})

describe('candidates as shown', () => {
  it('hold no line break inside a paragraph and no doubled space at the edges', async () => {
    const { normalizeCandidate } = await import('./decisions')
    expect(normalizeCandidate('\ngrey\nand cold', ' ', ' ')).toBe('grey and cold')
    expect(normalizeCandidate('wild\n\nand wet\n', ' ', '.')).toBe('wild and wet ')
    expect(normalizeCandidate(' dark', 'a', ' ')).toBe(' dark')
    expect(normalizeCandidate(' dark ', null, null)).toBe('dark')
    expect(normalizeCandidate('', ' ', ' ')).toBe('')
  })
})
