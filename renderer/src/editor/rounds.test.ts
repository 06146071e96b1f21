import { closeHistory, redo, undo } from 'prosemirror-history'
import { TextSelection, type EditorState } from 'prosemirror-state'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillResult, type LengthTarget } from '../../../main/contract'
import { acceptTransaction, decisionContext, rejectTransaction, settleAccepted } from './decisions'
import { getFillState, setFillAction, shownFill, type LiveSpan } from './fill-state'
import { lengthWords, requestKind, roundHeading, roundLabel, shownCandidates, wildWords, type SpanRound } from './rounds'
import { setSpanLength } from './span-length'
import { buildFillRequest } from './spans'
import { docOf, locked, masked, para, stateOf } from './test-helpers'

const round = (texts: string[], seen: number[], requestId = 'r1'): SpanRound => ({
  requestId,
  spanId: 's1',
  label: '',
  candidates: texts.map((text) => ({ text, tokenIds: [], confidence: 0.5 })),
  seen,
  shownAt: 'then',
  kind: 'fill',
  settings: DEFAULT_SAMPLING,
})

describe('round labels in the writer’s words', () => {
  it('say the length asked for and where Safe ↔ Wild stood', () => {
    expect(wildWords(0)).toBe('Safe')
    expect(wildWords(0.2)).toBe('Fairly safe')
    expect(wildWords(0.7)).toBe('Between safe and wild')
    expect(wildWords(1.1)).toBe('Fairly wild')
    expect(wildWords(1.5)).toBe('Wild')
    expect(lengthWords('shorter')).toBe('Shorter')
    expect(lengthWords({ minWords: 3, maxWords: 6 })).toBe('3–6 words')
    expect(lengthWords({ minWords: 4, maxWords: 4 })).toBe('4 words')
    expect(lengthWords(null)).toBe('')
    expect(roundLabel('longer', 0)).toBe('Longer · Safe')
    expect(roundLabel(undefined, 1.5)).toBe('Wild')
    expect(roundHeading({ label: 'Shorter · Safe' }, 1)).toBe('Round 2 · Shorter · Safe')
  })
})

describe('what a round was asked as (its request kind)', () => {
  it('a length wins; else a Rewrite of a selection, else a fill', () => {
    expect(requestKind('shorter', true)).toBe('shorter')
    expect(requestKind('same', false)).toBe('same')
    expect(requestKind({ minWords: 2, maxWords: 3 }, false)).toBe('range')
    expect(requestKind(null, true)).toBe('rewrite')
    expect(requestKind(undefined, false)).toBe('fill')
  })
})

describe('the candidates a decision logs as shown', () => {
  it('are every round’s seen candidates, oldest round first, with chosenIndex pointing at the pick', () => {
    const rounds = [round(['a', 'b', 'c'], [0, 2]), round(['d', 'e', 'f'], [0]), round(['g', 'h', 'i'], [0, 1])]
    expect(shownCandidates(rounds, null)).toEqual({ candidates: ['a', 'c', 'd', 'g', 'h'], chosenIndex: null, candidateRounds: [1, 1, 2, 3, 3] })
    expect(shownCandidates(rounds, { round: 0, index: 2 })).toEqual({ candidates: ['a', 'c', 'd', 'g', 'h'], chosenIndex: 1, candidateRounds: [1, 1, 2, 3, 3] })
    // A pick not marked seen yet counts as shown, in its own round.
    expect(shownCandidates(rounds, { round: 1, index: 2 })).toEqual({ candidates: ['a', 'c', 'd', 'f', 'g', 'h'], chosenIndex: 3, candidateRounds: [1, 1, 2, 2, 3, 3] })
  })

  it('keep equal texts of different rounds apart (chosenIndex is the position, not the first equal text)', () => {
    const rounds = [round(['same', 'x'], [0]), round(['same', 'y'], [0])]
    expect(shownCandidates(rounds, { round: 1, index: 0 })).toEqual({ candidates: ['same', 'same'], chosenIndex: 1, candidateRounds: [1, 2] })
  })
})

// ------------------------------------------------------------------------------------------
// Rounds in the editor's fill state.
// ------------------------------------------------------------------------------------------

const base = () => stateOf(docOf(para(locked('It was a '), masked('dark'), locked(' night.'))))
const spans = (s: EditorState): LiveSpan[] => getFillState(s).spans

function result(requestId: string, cands: string[], temperature = 0.7): FillResult {
  return {
    requestId,
    spans: [{ spanId: 's1', original: 'dark', slots: 2, candidates: cands.map((text) => ({ text, tokenIds: [1], confidence: 0.8 })) }],
    forwardPasses: 4,
    ms: 10,
    model: { name: 'tiny', family: 'mdlm', dir: '/m', maxLength: 64, vocabSize: 100, hash: 'abc', provider: 'cpu' },
    settings: { ...DEFAULT_SAMPLING, candidates: cands.length, temperature },
  }
}

/** One fill of every masked span: start, then done with `cands`. */
function fill(state: EditorState, requestId: string, cands: string[], temperature = 0.7): EditorState {
  const built = buildFillRequest(state.doc, requestId, { ...DEFAULT_SAMPLING, candidates: cands.length, temperature })!
  state = state.apply(setFillAction(state.tr, { type: 'start', request: built.request, spans: built.spans }))
  return state.apply(setFillAction(state.tr, { type: 'done', result: result(requestId, cands, temperature), at: `at-${requestId}` }))
}

const texts = (s: LiveSpan) => s.rounds.map((r) => r.candidates.map((c) => c.text))

describe('rounds of a span on offer', () => {
  it('a fill over a span on offer keeps its earlier rounds; a pick reaches any round; cycling stays in the round on show', () => {
    let state = fill(base(), 'r1', ['stormy', 'cold'])
    state = fill(state, 'r2', ['wet', 'grey'], 0)
    state = fill(state, 'r3', ['bleak', 'still'])
    let [s] = spans(state)
    expect(s.key).toBe('r3/s1')
    expect(texts(s)).toEqual([['stormy', 'cold'], ['wet', 'grey'], ['bleak', 'still']])
    expect(s.rounds.map((r) => r.label)).toEqual(['Between safe and wild', 'Safe', 'Between safe and wild'])
    expect([s.round, s.current, s.candidates!.map((c) => c.text)]).toEqual([2, 0, ['bleak', 'still']])
    state = state.apply(setFillAction(state.tr, { type: 'pick', key: s.key, round: 0, index: 1 }))
    ;[s] = spans(state)
    expect([s.round, s.current, s.candidates![s.current].text, s.seen]).toEqual([0, 1, 'cold', [0, 1]])
    state = state.apply(setFillAction(state.tr, { type: 'cycle', key: s.key, delta: 1 }))
    ;[s] = spans(state)
    expect([s.round, s.current]).toEqual([0, 0]) // wraps within round 1
    expect(shownFill(getFillState(state), s)?.requestId).toBe('r1')
  })

  it('Shorter on a span on offer keeps it on offer (only its mask’s length changed), and the next round says Shorter', () => {
    let state = fill(base(), 'r1', ['stormy', 'cold'])
    const [s] = spans(state)
    state = state.apply(state.tr.setSelection(TextSelection.create(state.doc, s.to)))
    setSpanLength('shorter' as LengthTarget)(state, (tr) => (state = state.apply(tr)))
    expect(spans(state).map((x) => x.status)).toEqual(['ready'])
    state = fill(state, 'r2', ['dim'])
    expect(spans(state)[0].rounds.map((r) => r.label)).toEqual(['Between safe and wild', 'Shorter · Between safe and wild'])
  })

  it('a stopped fill over a span on offer gives its rounds back', () => {
    let state = fill(base(), 'r1', ['stormy', 'cold'])
    const built = buildFillRequest(state.doc, 'r2', { ...DEFAULT_SAMPLING, candidates: 2 })!
    state = state.apply(setFillAction(state.tr, { type: 'start', request: built.request, spans: built.spans }))
    expect(spans(state).map((x) => x.status)).toEqual(['filling'])
    state = state.apply(setFillAction(state.tr, { type: 'error', event: { requestId: 'r2', message: 'Stopped.', cancelled: true } }))
    const [s] = spans(state)
    expect([s.status, texts(s), s.round]).toEqual(['ready', [['stormy', 'cold']], 0])
    expect(shownFill(getFillState(state), s)?.requestId).toBe('r1')
  })

  it('a decision logs every round shown and the round on show’s request; undo brings every round back', () => {
    let state = fill(base(), 'r1', ['stormy', 'cold'])
    state = state.apply(setFillAction(state.tr, { type: 'cycle', key: 'r1/s1', delta: 1 }))
    state = fill(state, 'r2', ['wet', 'grey'])
    state = state.apply(setFillAction(state.tr, { type: 'pick', key: 'r2/s1', round: 0, index: 1 }))
    const span = spans(state)[0]
    const ctx = decisionContext(state.doc, span, shownFill(getFillState(state), span)!, span.from, span.to, span.current)
    expect([ctx.requestId, ctx.candidates, ctx.chosenIndex]).toEqual(['r1', ['stormy', 'cold', 'wet'], 1])
    state = state.apply(acceptTransaction(state, span, shownFill(getFillState(state), span)!, span.current)!)
    expect(state.doc.textContent).toBe('It was a cold night.')
    expect(spans(state)).toEqual([])
    const d = getFillState(state).decisions[0]
    expect(settleAccepted(state, d)).toMatchObject({ action: 'accepted', finalText: 'cold', context: { candidates: ['stormy', 'cold', 'wet'], chosenIndex: 1 } })
    undo(state, (tr) => (state = state.apply(tr)))
    const back = spans(state)[0]
    expect([back.status, texts(back), back.round, back.current]).toEqual(['ready', [['stormy', 'cold'], ['wet', 'grey']], 0, 1])
    // Rejecting now logs every round shown too.
    const rej = rejectTransaction(state, back, shownFill(getFillState(state), back))
    state = state.apply(rej)
    expect(getFillState(state).decisions.at(-1)!.context.candidates).toEqual(['stormy', 'cold', 'wet'])
  })
})

describe('a redo re-applies the writer’s edit of accepted text', () => {
  it('accept, type inside it, undo ×3, redo ×3: still accepted_edited with the typed text', () => {
    let state = fill(stateOf(docOf(para(locked('Start. ')), para(locked('It was a '), masked('dark'), locked(' night.')))), 'r1', ['stormy', 'cold'])
    // Something undoable before the accept (the writer's typing), so the third undo has a step to take.
    state = state.apply(state.tr.insertText('X', 1))
    state = state.apply(closeHistory(state.tr))
    const span = spans(state)[0]
    state = state.apply(acceptTransaction(state, span, shownFill(getFillState(state), span)!, 0)!)
    state = state.apply(closeHistory(state.tr))
    const at = getFillState(state).decisions[0].from + 3
    state = state.apply(state.tr.setSelection(TextSelection.create(state.doc, at)).insertText('r'))
    state = state.apply(closeHistory(state.tr))
    state = state.apply(state.tr.insertText('m'))
    const edited = settleAccepted(state, getFillState(state).decisions[0])
    expect(edited).toMatchObject({ action: 'accepted_edited', finalText: 'stormrmy' })
    for (let i = 0; i < 3; i++) undo(state, (tr) => (state = state.apply(tr)))
    expect(getFillState(state).decisions[0].status).toBe('undone')
    for (let i = 0; i < 3; i++) redo(state, (tr) => (state = state.apply(tr)))
    const d = getFillState(state).decisions[0]
    expect(d.status).toBe('pending')
    expect(settleAccepted(state, d)).toMatchObject({ action: 'accepted_edited', finalText: edited.finalText })
  })
})
