import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING } from '../contract'
import { elboPerplexity, maskedTokenAccuracy, mostFrequentToken, spanInfillAccuracy, tokenChunks, type EvalModel } from './evaluation'
import type { Denoise } from './reverse-process'

const VOCAB = 10
const MASK = 3
/** The "text": position i holds token 4 + (i % 5). */
const truthAt = (i: number) => 4 + (i % 5)

/** Knows the text: a large logit on the true token at every position. */
const oracle: Denoise = async (_ids, batch, length) => {
  const out = new Float32Array(batch * length * VOCAB)
  for (let r = 0; r < batch; r++) for (let p = 0; p < length; p++) out[(r * length + p) * VOCAB + truthAt(p)] = 30
  return out
}
/** Knows nothing: equal logits everywhere. */
const uniform: Denoise = async (_ids, batch, length) => new Float32Array(batch * length * VOCAB)

function model(denoise: Denoise): EvalModel {
  const banned = new Uint8Array(VOCAB)
  banned[MASK] = 1
  return { vocab: VOCAB, maskId: MASK, banned, shiftedLogits: false, denoise, wrap: { prefix: [], suffix: [] } }
}

const tokens = Array.from({ length: 200 }, (_, i) => truthAt(i))
const chunks = tokenChunks(tokens, 50)

describe('evaluation', () => {
  it('cuts non-overlapping chunks, capped by limit', () => {
    expect(chunks).toHaveLength(4)
    expect(tokenChunks(tokens, 50, 2)).toHaveLength(2)
    expect(tokenChunks([1, 2, 3], 50)).toEqual([[1, 2, 3]])
  })

  it('finds the most frequent token', () => {
    expect(mostFrequentToken([1, 2, 2, 3, 2])).toEqual({ token: 2, share: 0.6 })
  })

  it('an oracle scores 100% and a perplexity bound near 1', async () => {
    const acc = await maskedTokenAccuracy(model(oracle), chunks, { ratio: 0.15, seed: 1, unigramToken: 4 })
    expect(acc.total).toBe(4 * 8)
    expect(acc.correct).toBe(acc.total)
    expect(acc.unigramCorrect).toBeGreaterThan(0)
    expect(acc.unigramCorrect).toBeLessThan(acc.total)
    const span = await spanInfillAccuracy(model(oracle), chunks, { spanLength: 8, settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: 8 } })
    expect(span).toMatchObject({ correct: 32, total: 32, forwardPasses: 32 })
    const elbo = await elboPerplexity(model(oracle), chunks, { samples: 4, seed: 1 })
    expect(elbo.perplexity).toBeLessThan(1.001)
  })

  it('a uniform model bounds perplexity near the vocabulary size (mask excluded)', async () => {
    const elbo = await elboPerplexity(model(uniform), chunks, { samples: 100, seed: 2 })
    expect(elbo.perplexity).toBeGreaterThan(7.5)
    expect(elbo.perplexity).toBeLessThan(11)
    const span = await spanInfillAccuracy(model(uniform), chunks, { spanLength: 8, settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: 8, temperature: 0 } })
    expect(span.correct).toBeLessThan(span.total)
  })
})
