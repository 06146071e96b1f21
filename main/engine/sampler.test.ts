import { describe, expect, it } from 'vitest'
import { applyTopP, expNonPositive, pickToken, sampleFrom } from './sampler'
import { mulberry32, rngStream } from './rng'

const logitsOf = (probs: number[]) => Float32Array.from(probs.map((p) => Math.log(p)))

describe('rng', () => {
  it('is reproducible per seed and stream, and streams differ', () => {
    const a = Array.from({ length: 5 }, rngStream(7, 0))
    const b = Array.from({ length: 5 }, rngStream(7, 0))
    const c = Array.from({ length: 5 }, rngStream(7, 1))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    const r = mulberry32(1)
    for (let i = 0; i < 1000; i++) {
      const x = r()
      expect(x >= 0 && x < 1).toBe(true)
    }
  })
})

describe('pickToken', () => {
  const scratch = new Float64Array(8)
  const none = new Uint8Array(4)

  it('greedy: the argmax and its probability', () => {
    const p = pickToken(logitsOf([0.1, 0.6, 0.2, 0.1]), 0, 4, none, { strategy: 'low_confidence', temperature: 0, topP: 1 }, mulberry32(1), scratch)
    expect(p.token).toBe(1)
    expect(p.prob).toBeCloseTo(0.6, 5)
    expect(p.score).toBeCloseTo(0.6, 5)
  })

  it('SUBS: never predicts a banned token (the mask), renormalising the rest', () => {
    const banned = Uint8Array.from([0, 1, 0, 0])
    const p = pickToken(logitsOf([0.1, 0.6, 0.2, 0.1]), 0, 4, banned, { strategy: 'low_confidence', temperature: 0, topP: 1 }, mulberry32(1), scratch)
    expect(p.token).toBe(2)
    expect(p.prob).toBeCloseTo(0.5, 5)
    for (let s = 0; s < 200; s++) {
      const q = pickToken(logitsOf([0.1, 0.6, 0.2, 0.1]), 0, 4, banned, { strategy: 'low_confidence', temperature: 1.5, topP: 1 }, mulberry32(s), scratch)
      expect(q.token).not.toBe(1)
    }
  })

  it('gives NaN and -Infinity logits no probability', () => {
    const l = Float32Array.from([NaN, Math.log(0.5), -Infinity, Math.log(0.5)])
    const p = pickToken(l, 0, 4, none, { strategy: 'entropy', temperature: 1, topP: 0.9 }, mulberry32(2), scratch)
    expect([1, 3]).toContain(p.token)
    expect(p.prob).toBeCloseTo(0.5, 5)
    expect(Number.isFinite(p.score)).toBe(true)
  })

  it('reads the position at its offset', () => {
    const logits = Float32Array.from([...logitsOf([0.7, 0.1, 0.1, 0.1]), ...logitsOf([0.1, 0.1, 0.1, 0.7])])
    expect(pickToken(logits, 4, 4, none, { strategy: 'maskgit_plus', temperature: 0, topP: 1 }, mulberry32(1), scratch).token).toBe(3)
  })

  it('scores margin and entropy as Dream does', () => {
    const l = logitsOf([0.5, 0.3, 0.1, 0.1])
    const margin = pickToken(l, 0, 4, none, { strategy: 'topk_margin', temperature: 0, topP: 1 }, mulberry32(1), scratch)
    expect(margin.score).toBeCloseTo(0.2, 5)
    const ent = pickToken(l, 0, 4, none, { strategy: 'entropy', temperature: 0, topP: 1 }, mulberry32(1), scratch)
    const expected = [0.5, 0.3, 0.1, 0.1].reduce((s, p) => s + p * Math.log(p), 0)
    expect(ent.score).toBeCloseTo(expected, 5)
  })

  it('sampling with a seed is reproducible and follows the distribution', () => {
    const l = logitsOf([0.25, 0.25, 0.25, 0.25])
    const run = (seed: number) => {
      const r = mulberry32(seed)
      return Array.from({ length: 50 }, () => pickToken(l, 0, 4, none, { strategy: 'low_confidence', temperature: 1, topP: 1 }, r, scratch).token)
    }
    expect(run(3)).toEqual(run(3))
    expect(new Set(run(3)).size).toBe(4)
  })
})

describe('top-p', () => {
  it('keeps the smallest head reaching topP and never samples the tail', () => {
    const w = Float64Array.from([0.05, 0.5, 0.3, 0.1, 0.05])
    const mass = applyTopP(w, 5, 1, 0.8)
    expect(mass).toBeCloseTo(0.8, 10)
    expect(Array.from(w)).toEqual([0, 0.5, 0.3, 0, 0])
    const r = mulberry32(9)
    const seen = new Set<number>()
    for (let i = 0; i < 500; i++) seen.add(sampleFrom(w, 5, mass, r))
    expect([...seen].sort()).toEqual([1, 2])
  })

  it('excludes tail tokens when picking with temperature', () => {
    const l = logitsOf([0.02, 0.6, 0.3, 0.08])
    const scratch = new Float64Array(4)
    const r = mulberry32(5)
    for (let i = 0; i < 300; i++) {
      const p = pickToken(l, 0, 4, new Uint8Array(4), { strategy: 'low_confidence', temperature: 1, topP: 0.85 }, r, scratch)
      expect([1, 2]).toContain(p.token)
    }
  })
})

describe('top-k (Dream)', () => {
  it('samples only among the k most likely tokens, after top-p, and scores within them', () => {
    const l = logitsOf([0.1, 0.4, 0.3, 0.2])
    const scratch = new Float64Array(4)
    const r = mulberry32(5)
    const seen = new Set<number>()
    for (let i = 0; i < 400; i++) seen.add(pickToken(l, 0, 4, new Uint8Array(4), { strategy: 'maskgit_plus', temperature: 1, topP: 1, topK: 2 }, r, scratch).token)
    expect([...seen].sort()).toEqual([1, 2])
    // top-p 0.95 keeps all four, top-k 1 then keeps the argmax only (Dream applies top_p, then top_k)
    const one = pickToken(l, 0, 4, new Uint8Array(4), { strategy: 'maskgit_plus', temperature: 1, topP: 0.95, topK: 1 }, r, scratch)
    expect(one).toMatchObject({ token: 1, score: 1 })
    expect(one.prob).toBeCloseTo(0.4, 5)
    // greedy: the margin is taken within the top k as well
    const margin = pickToken(l, 0, 4, new Uint8Array(4), { strategy: 'topk_margin', temperature: 0, topP: 1, topK: 2 }, r, scratch)
    expect(margin.score).toBeCloseTo((0.4 - 0.3) / 0.7, 5)
  })
})

describe('expNonPositive', () => {
  it('matches Math.exp within 1e-6 relative for d <= 0, and underflows to 0', () => {
    const r = mulberry32(5)
    let worst = 0
    for (let i = 0; i < 20000; i++) {
      const d = i < 10000 ? -r() * 40 : -r() * 700
      worst = Math.max(worst, Math.abs(expNonPositive(d) - Math.exp(d)) / Math.exp(d))
    }
    expect(worst).toBeLessThan(1e-6)
    expect(expNonPositive(0)).toBe(1)
    expect(expNonPositive(-Infinity)).toBe(0)
    expect(expNonPositive(-800)).toBe(0)
  })
})
