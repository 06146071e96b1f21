import { describe, expect, it } from 'vitest'
import { decisionProblem, deriveLabelled, derivePairs, judgeDecision } from './preference-pairs'
import { sampleDecision } from './test-fixtures/decisions'

const candidates = ['climbed the stairs', 'trimmed the wick', 'watched the sea']

describe('derivePairs', () => {
  it('accepted: the accepted candidate over every other candidate', () => {
    const pairs = derivePairs(sampleDecision({ action: 'accepted', candidates, chosenIndex: 1, finalText: 'trimmed the wick' }))
    expect(pairs).toEqual([
      { chosen: 'trimmed the wick', rejected: 'climbed the stairs' },
      { chosen: 'trimmed the wick', rejected: 'watched the sea' },
    ])
  })

  it('accepted_edited: the final text over the candidate the writer accepted and edited', () => {
    const pairs = derivePairs(sampleDecision({ action: 'accepted_edited', candidates, chosenIndex: 1, finalText: 'trimmed the wicks' }))
    expect(pairs).toEqual([{ chosen: 'trimmed the wicks', rejected: 'trimmed the wick' }])
  })

  it('rejected_all: the original span over every candidate', () => {
    const pairs = derivePairs(sampleDecision({ action: 'rejected_all', candidates, chosenIndex: null, spanOriginal: 'lit the lamp', finalText: 'lit the lamp' }))
    expect(pairs).toEqual(candidates.map((rejected) => ({ chosen: 'lit the lamp', rejected })))
  })

  it('rejected_all at an insertion point: no pairs (nothing was chosen), the candidates labelled false', () => {
    const d = sampleDecision({ action: 'rejected_all', candidates: ['x'], chosenIndex: null, spanOriginal: '', finalText: '' })
    expect(derivePairs(d)).toEqual([])
    expect(deriveLabelled(d)).toEqual([{ completion: 'x', label: false }])
  })

  it('regenerated: no pairs, since nothing was preferred', () => {
    expect(derivePairs(sampleDecision({ action: 'regenerated', candidates, chosenIndex: null }))).toEqual([])
  })

  it('drops degenerate pairs and duplicate rejections', () => {
    // an edit that restored the model's text, and a candidate shown twice
    const restored = sampleDecision({ action: 'accepted_edited', candidates: ['a', 'b', 'b'], chosenIndex: 0, finalText: 'a' })
    expect(derivePairs(restored)).toEqual([])
    const shownTwice = sampleDecision({ action: 'rejected_all', candidates: ['b', 'b'], chosenIndex: null, spanOriginal: 'a' })
    expect(derivePairs(shownTwice)).toEqual([{ chosen: 'a', rejected: 'b' }])
    // the accepted text also appears at another index
    const twice = sampleDecision({ action: 'accepted', candidates: ['a', 'a'], chosenIndex: 1, finalText: 'a' })
    expect(derivePairs(twice)).toEqual([])
    // the writer rejected candidates identical to the original
    const same = sampleDecision({ action: 'rejected_all', candidates: ['lit the lamp', 'x'], chosenIndex: null, spanOriginal: 'lit the lamp' })
    expect(derivePairs(same)).toEqual([{ chosen: 'lit the lamp', rejected: 'x' }])
  })
})

describe('deriveLabelled', () => {
  it('labels the chosen text true and each rejected one false', () => {
    expect(deriveLabelled(sampleDecision({ action: 'accepted', candidates: ['a', 'b'], chosenIndex: 0, finalText: 'a' }))).toEqual([
      { completion: 'a', label: true },
      { completion: 'b', label: false },
    ])
  })

  it('regenerated: every discarded candidate is labelled false', () => {
    expect(deriveLabelled(sampleDecision({ action: 'regenerated', candidates: ['a', 'b'], chosenIndex: null }))).toEqual([
      { completion: 'a', label: false },
      { completion: 'b', label: false },
    ])
    expect(judgeDecision(sampleDecision({ action: 'regenerated', candidates: ['a'], chosenIndex: null })).chosen).toBeNull()
  })
})

describe('decisionProblem', () => {
  it('accepts consistent decisions', () => {
    expect(decisionProblem(sampleDecision())).toBeNull()
    expect(decisionProblem(sampleDecision({ action: 'rejected_all', chosenIndex: null }))).toBeNull()
  })

  it('names what is wrong with an inconsistent decision', () => {
    expect(decisionProblem(sampleDecision({ action: 'accepted', chosenIndex: null }))).toMatch(/needs chosenIndex/)
    expect(decisionProblem(sampleDecision({ action: 'accepted_edited', chosenIndex: 3 }))).toMatch(/chosenIndex 3 is out of range: there are 3 candidates/)
    expect(decisionProblem(sampleDecision({ action: 'regenerated', chosenIndex: 0 }))).toMatch(/chosenIndex must be null/)
    expect(() => judgeDecision(sampleDecision({ action: 'accepted', chosenIndex: null }))).toThrow(/Cannot derive preferences/)
  })
})
