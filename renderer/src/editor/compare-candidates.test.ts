import { describe, expect, it } from 'vitest'
import { DecisionInput, DEFAULT_SAMPLING, type SpanCandidate } from '../../../main/contract'
import { comparisonColumns, comparisonShown, decisionModel, tallyWords } from './compare-candidates'

const base = { role: 'base' as const, name: 'infill-default-mdlm', hash: 'aa' }
const tuned = { role: 'tuned' as const, name: 'infill-default-mdlm-tuned', hash: 'bb' }
const cand = (text: string, source?: SpanCandidate['source']): SpanCandidate => ({ text, tokenIds: [], confidence: 0.5, ...(source ? { source } : {}) })
/** A comparison round: tuned column left. */
const round = [cand('t1', tuned), cand('t2', tuned), cand('b1', base), cand('b2', base)]

describe('comparisonColumns', () => {
  it('labels the columns with the model, left first, and lists their candidates', () => {
    expect(comparisonColumns(round)).toEqual([
      { role: 'tuned', name: tuned.name, label: 'tuned: infill-default-mdlm-tuned', indexes: [0, 1] },
      { role: 'base', name: base.name, label: 'base: infill-default-mdlm', indexes: [2, 3] },
    ])
  })
  it('is null for an ordinary round, or one model alone', () => {
    expect(comparisonColumns([cand('a'), cand('b')])).toBeNull()
    expect(comparisonColumns([cand('a', base), cand('b', base)])).toBeNull()
    expect(comparisonColumns([])).toBeNull()
  })
})

describe('comparisonShown', () => {
  it('a kept candidate from the right column: every candidate shown, its model kept', () => {
    const shown = comparisonShown([{ candidates: round }], { round: 0, index: 3 })!
    expect(shown.candidates).toEqual(['t1', 't2', 'b1', 'b2'])
    expect(shown.chosenIndex).toBe(3)
    expect(shown.compare).toEqual({
      models: { base: { name: base.name, hash: 'aa' }, tuned: { name: tuned.name, hash: 'bb' } },
      sources: ['tuned', 'tuned', 'base', 'base'],
      keptFrom: 'base',
      order: ['tuned', 'base'],
    })
  })
  it('a reject keeps neither; rounds are logged oldest first, the order is the kept round’s', () => {
    const other = [cand('b3', base), cand('t3', tuned)]
    expect(comparisonShown([{ candidates: round }, { candidates: other }], null)!.compare).toMatchObject({ keptFrom: 'neither', order: ['base', 'tuned'] })
    const kept = comparisonShown([{ candidates: round }, { candidates: other }], { round: 0, index: 1 })!
    expect(kept).toMatchObject({ chosenIndex: 1, compare: { keptFrom: 'tuned', order: ['tuned', 'base'], sources: ['tuned', 'tuned', 'base', 'base', 'base', 'tuned'] } })
  })
  it('is null when any round is ordinary (logged as usual)', () => {
    expect(comparisonShown([{ candidates: [cand('x')] }, { candidates: round }], null)).toBeNull()
    expect(comparisonShown([], null)).toBeNull()
  })
  it('what it logs passes the contract and the store’s consistency rule', () => {
    const shown = comparisonShown([{ candidates: round }], { round: 0, index: 0 })!
    const input: DecisionInput = {
      documentId: 'd',
      requestId: 'r',
      spanId: 's',
      prefix: '',
      suffix: '',
      spanOriginal: 'x',
      candidates: shown.candidates,
      action: 'accepted',
      chosenIndex: shown.chosenIndex,
      finalText: 't1',
      model: decisionModel(shown.compare, { name: 'loaded', hash: 'cc' }),
      sampling: DEFAULT_SAMPLING,
      shownAt: 'a',
      decidedAt: 'b',
      compare: shown.compare,
    }
    expect(DecisionInput.safeParse(input).success).toBe(true)
    expect(input.model).toEqual({ name: tuned.name, hash: 'bb' })
  })
})

it('decisionModel: the loaded model when nothing was kept; tallyWords in the panel’s words', () => {
  const compare = comparisonShown([{ candidates: round }], null)!.compare
  expect(decisionModel(compare, { name: 'loaded', hash: 'cc' })).toEqual({ name: 'loaded', hash: 'cc' })
  expect(decisionModel(undefined, { name: 'loaded', hash: 'cc' })).toEqual({ name: 'loaded', hash: 'cc' })
  expect(tallyWords({ tuned: 3, base: 1, neither: 2 })).toBe('kept tuned 3, base 1, neither 2')
})
