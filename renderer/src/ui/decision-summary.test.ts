import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type DecisionRecord } from '../../../main/contract'
import { decisionSummary } from './decision-summary'

const base: DecisionRecord = {
  id: 1,
  documentId: 'd',
  requestId: 'r2',
  spanId: 's1',
  prefix: 'The ',
  suffix: ' sea.',
  spanOriginal: 'grey',
  candidates: ['calm', 'wild', 'dark'],
  action: 'rejected_all',
  chosenIndex: null,
  finalText: 'grey',
  model: { name: 'm', hash: 'h' },
  sampling: DEFAULT_SAMPLING,
  shownAt: 't',
  decidedAt: 't',
  createdAt: 't',
  kind: 'range',
  rounds: [
    { round: 1, requestId: 'r1', spanId: 's1', kind: 'fill', sampling: DEFAULT_SAMPLING, shownAt: 't' },
    { round: 2, requestId: 'r2', spanId: 's1', kind: 'range', length: { minWords: 2, maxWords: 3 }, sampling: DEFAULT_SAMPLING, shownAt: 't' },
  ],
  candidateRounds: [1, 2, 2],
}

describe('a decision in Recent decisions', () => {
  it('a reject shows the candidates turned down and the original kept, what was asked and the round', () => {
    expect(decisionSummary(base)).toEqual({ kept: 'grey', keptFrom: 'original', turnedDown: ['calm', 'wild', 'dark'], asked: '2–3 words', round: 'round 2 of 2', takenBack: null })
  })
  it('an accept shows the candidate kept and the others turned down', () => {
    const s = decisionSummary({ ...base, action: 'accepted', chosenIndex: 1, finalText: 'wild' })
    expect([s.kept, s.keptFrom, s.turnedDown]).toEqual(['wild', 'candidate', ['calm', 'dark']])
  })
  it('a regenerated entry taken back by a pick from its round says so, not "undone"', () => {
    const s = decisionSummary({ ...base, action: 'regenerated', retractedAt: 'u', retractedWhy: 'picked-earlier-round' })
    expect([s.kept, s.turnedDown, s.takenBack?.label]).toEqual([null, ['calm', 'wild', 'dark'], 'picked from an earlier round'])
    expect(decisionSummary({ ...base, retractedAt: 'u' }).takenBack?.label).toBe('undone')
  })
})
