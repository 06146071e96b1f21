import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillResult } from '../../../main/contract'
import { estimateFill, formatSeconds, plannedFillSteps, StepTimes } from './fill-estimate'

function result(hash: string, ms: number, passes: number, candidates = 3): Pick<FillResult, 'ms' | 'forwardPasses' | 'model' | 'settings'> {
  return {
    ms,
    forwardPasses: passes,
    model: { name: 'm', family: 'mlm', dir: '/m', maxLength: 512, vocabSize: 100, hash, provider: 'cpu' },
    settings: { ...DEFAULT_SAMPLING, candidates },
  }
}

describe('fill estimate', () => {
  it('knows nothing before the first fill of a model, then uses its median ms per step', () => {
    const times = new StepTimes()
    expect(times.msPerStep('a', 3)).toBeNull()
    times.record(result('a', 1000, 10))
    times.record(result('a', 3000, 10))
    times.record(result('a', 2000, 10))
    times.record(result('b', 9000, 1))
    times.record(result('a', 5, 0)) // no pass: ignored
    expect(times.msPerStep('a', 3)).toBe(200)
    expect(times.msPerStep('b', 3)).toBe(9000)
    expect(times.msPerStep('c', 3)).toBeNull()
  })

  it('prefers fills with the same number of candidates (same batch), else any of the model', () => {
    const times = new StepTimes()
    times.record(result('a', 100, 10, 1))
    times.record(result('a', 400, 10, 3))
    expect(times.msPerStep('a', 1)).toBe(10)
    expect(times.msPerStep('a', 3)).toBe(40)
    expect(times.msPerStep('a', 8)).toBe(25)
  })

  it('keeps only the newest samples', () => {
    const times = new StepTimes(2)
    times.record(result('a', 1000, 1))
    times.record(result('a', 10, 1))
    times.record(result('a', 30, 1))
    expect(times.msPerStep('a', 3)).toBe(20)
  })

  it('keeps its samples in a store, so a new session estimates before its first fill; junk in the store is ignored', () => {
    const data = new Map<string, string>()
    const store = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) }
    new StepTimes(8, store).record(result('a', 1200, 4))
    expect(new StepTimes(8, store).msPerStep('a', 3)).toBe(300)
    data.set('infill.stepTimes.v1', '[{"modelHash":"a","candidates":3,"msPerStep":-1},{"bad":1}]')
    expect(new StepTimes(8, store).msPerStep('a', 3)).toBeNull()
    data.set('infill.stepTimes.v1', '{not json')
    expect(new StepTimes(8, store).msPerStep('a', 3)).toBeNull()
  })

  it('plans steps like the reverse process: threshold one slot per step at worst, fixed steps otherwise', () => {
    expect(plannedFillSteps([8, 4], { ...DEFAULT_SAMPLING, strategy: 'threshold' })).toBe(12)
    expect(plannedFillSteps([8, 4], { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: 6, blockLength: 0 })).toBe(6)
    expect(plannedFillSteps([], DEFAULT_SAMPLING)).toBe(0)
  })

  it('multiplies steps by the measured time', () => {
    expect(estimateFill(12, 250)).toEqual({ steps: 12, msPerStep: 250, ms: 3000 })
    expect(estimateFill(12, null).ms).toBeNull()
    expect(formatSeconds(3000)).toBe('3.0 s')
    expect(formatSeconds(42_400)).toBe('42 s')
    expect(formatSeconds(125_000)).toBe('2 min 5 s')
  })
})
