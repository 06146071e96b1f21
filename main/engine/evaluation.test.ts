import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING } from '../contract'
import { bitsPerChar, elboBound, maskedTokenAccuracy, spanInfillAccuracy, tokenChunks, wholeWordAccuracy, type EvalModel } from './evaluation'
import { spanPlan, tokenMaskPlan, wordMaskPlan, wordPositions, wordSpans } from './evaluation-plans'
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
const greedy = { ...DEFAULT_SAMPLING, strategy: 'low_confidence' as const, steps: 8, temperature: 0 }

/** Token texts of a toy vocabulary: 4..8 read " w4".." w8" except 5, a word continuation "-x"; 9 is a newline. */
const toyText = (id: number) => (id === 5 ? '-x' : id === 9 ? '\n' : ` w${id}`)
const wordText = (ids: readonly number[]) => ids.map(toyText).join('').trim()

describe('evaluation plans', () => {
  it('cuts non-overlapping chunks, capped by limit', () => {
    expect(chunks).toHaveLength(4)
    expect(tokenChunks(tokens, 50, 2)).toHaveLength(2)
    expect(tokenChunks([1, 2, 3], 50)).toEqual([[1, 2, 3]])
  })

  it('draws the same positions for the same seed, round(ratio · length) per chunk', () => {
    const plan = tokenMaskPlan(chunks, 0.15, 1)
    expect(plan.map((p) => p.length)).toEqual([8, 8, 8, 8])
    expect(tokenMaskPlan(chunks, 0.15, 1)).toEqual(plan)
    expect(tokenMaskPlan(chunks, 0.15, 2)).not.toEqual(plan)
    for (const p of plan) expect(new Set(p).size).toBe(p.length)
    const spans = spanPlan(chunks, 8, 1)
    for (const s of spans) expect(s.start + s.length).toBeLessThanOrEqual(50)
  })

  it('finds whitespace-delimited words in token space, dropping words cut by the chunk edges', () => {
    // " w4 w6-x-x w7\n w8 w4" : words [w4] [w6-x-x] [w7] [w8] [w4]; the first and last touch the edges.
    const chunk = [4, 6, 5, 5, 7, 9, 8, 4]
    expect(wordSpans(chunk, toyText)).toEqual([
      { start: 1, end: 4 },
      { start: 4, end: 5 },
      { start: 6, end: 7 },
    ])
    // a continuation after a newline starts a new word
    expect(wordSpans([4, 9, 5, 5, 6, 4], toyText)).toEqual([
      { start: 2, end: 4 },
      { start: 4, end: 5 },
    ])
  })

  it('masks whole words: every token of each chosen word', () => {
    const words = [wordSpans([4, 6, 5, 5, 7, 9, 8, 4], toyText)]
    const plan = wordMaskPlan(words, 0.5, 1)
    expect(plan[0]).toHaveLength(2) // round(0.5 · 3)
    const positions = wordPositions(plan[0])
    for (const w of plan[0]) for (let p = w.start; p < w.end; p++) expect(positions).toContain(p)
    expect(positions).toHaveLength(plan[0].reduce((n, w) => n + w.end - w.start, 0))
    expect(wordMaskPlan([[]], 0.5, 1)).toEqual([[]])
  })
})

describe('evaluation', () => {
  it('an oracle scores 100% and a bound near 0 nats', async () => {
    const acc = await maskedTokenAccuracy(model(oracle), chunks, { plan: tokenMaskPlan(chunks, 0.15, 1) })
    expect(acc).toEqual({ correct: 32, total: 32 })
    const span = await spanInfillAccuracy(model(oracle), chunks, { plan: spanPlan(chunks, 8, 1), settings: greedy })
    expect(span).toMatchObject({ correct: 32, total: 32, forwardPasses: 32 })
    const plan = wordMaskPlan(chunks.map((c) => wordSpans(c, toyText)), 0.15, 1)
    const words = await wholeWordAccuracy(model(oracle), chunks, { plan, settings: greedy, wordText })
    expect(words.total).toBe(plan.flat().length)
    expect(words.correct).toBe(words.total)
    const elbo = await elboBound(model(oracle), chunks, { samples: 4, seed: 1 })
    expect(elbo.perplexity).toBeLessThan(1.001)
  })

  it('a uniform model bounds perplexity near the vocabulary size (mask excluded)', async () => {
    const elbo = await elboBound(model(uniform), chunks, { samples: 100, seed: 2 })
    expect(elbo.perplexity).toBeGreaterThan(7.5)
    expect(elbo.perplexity).toBeLessThan(11)
    const span = await spanInfillAccuracy(model(uniform), chunks, { plan: spanPlan(chunks, 8, 1), settings: greedy })
    expect(span.correct).toBeLessThan(span.total)
    const plan = wordMaskPlan(chunks.map((c) => wordSpans(c, toyText)), 0.15, 1)
    const words = await wholeWordAccuracy(model(uniform), chunks, { plan, settings: greedy, wordText })
    expect(words.correct).toBeLessThan(words.total)
  })

  it('ELBO (ratio estimator): a draw that masks no token adds 0 and runs no forward pass', async () => {
    // One-token chunks: a draw at ratio t masks the token with probability t, so many draws mask nothing.
    // Unbiased: E[(1/t) · 1{masked} · nll] = nll = ln 9 for the uniform model. Forcing a mask would
    // give nll · E[1/t] ≈ 6.9 · nll instead.
    const single = Array.from({ length: 400 }, () => [4])
    let rowsRun = 0
    const counting: Denoise = async (ids, batch, length) => {
      rowsRun += batch
      for (let i = 0; i < ids.length; i++) expect(ids[i]).toBe(BigInt(MASK))
      return uniform(ids, batch, length)
    }
    const elbo = await elboBound(model(counting), single, { samples: 8, seed: 5, batchSize: 16, estimator: 'ratio' })
    expect(elbo.emptyDraws).toBeGreaterThan(1000)
    expect(rowsRun).toBe(400 * 8 - elbo.emptyDraws)
    expect(elbo.nllPerToken).toBeGreaterThan(Math.log(9) * 0.85)
    expect(elbo.nllPerToken).toBeLessThan(Math.log(9) * 1.15)
  })

  it('ELBO (count estimator, the default): k masked tokens weighted L/k; exact when every token costs the same', async () => {
    // The uniform model costs ln 9 nats at every masked token, so each draw gives L/k · k · ln 9 = L ln 9.
    const count = await elboBound(model(uniform), chunks, { samples: 4, seed: 3 })
    expect(count.emptyDraws).toBe(0)
    expect(count.nats).toBeCloseTo(200 * Math.log(9), 9)
    // The ratio estimator's draws are the same in expectation but scatter.
    const ratio = await elboBound(model(uniform), chunks, { samples: 4, seed: 3, estimator: 'ratio' })
    expect(Math.abs(ratio.nats - 200 * Math.log(9))).toBeGreaterThan(1e-6)
  })

  it('bits per character: nats over characters over ln 2', () => {
    expect(bitsPerChar(Math.LN2 * 300, 100)).toBeCloseTo(3, 12)
    expect(bitsPerChar(Math.log(9) * 50, 200)).toBeCloseTo((50 * Math.log2(9)) / 200, 12)
    expect(() => bitsPerChar(1, 0)).toThrow(/positive character count/)
  })
})
