import { describe, expect, it } from 'vitest'
import { modelWords } from './model-words'

const base = { name: 'infill-default-mdlm', family: 'mdlm', origin: 'embedded' as const, sizeBytes: 34_500_000, active: true }

describe('a model in a writer’s words', () => {
  it('size, speed measured here, and what it is good at', () => {
    const w = modelWords(base, { steps: 13, msPerStep: 40 })
    expect(w.size).toMatch(/^Small \(.+ on disk\)$/)
    expect(w.speed).toBe('On this computer a fill of about 10 words takes up to about 0.5 s.')
    expect(w.goodAt).toMatch(/^Infill's own small model/)
  })
  it('says so when the speed has not been measured, rather than guessing', () => {
    expect(modelWords(base, null).speed).toBe('Its speed on this computer shows here after its first fill.')
    expect(modelWords({ ...base, active: false }, null).speed).toMatch(/^Not used on this computer yet/)
  })
  it('a BERT-family export, a large model, a tuned one', () => {
    const bert = modelWords({ ...base, name: 'ModernBERT-base', family: 'mlm (modernbert)', origin: 'downloaded', sizeBytes: 151e6 }, null)
    expect([bert.size.split(' ')[0], bert.goodAt.startsWith('A general English model')]).toEqual(['Medium-sized', true])
    expect(modelWords({ ...base, family: 'llada', sizeBytes: 8e9 }, null).size).toMatch(/^Large/)
    expect(modelWords({ ...base, name: 'infill-default-mdlm-tuned', origin: 'added' }, null).goodAt).toMatch(/^Tuned on your own decisions/)
  })
})
