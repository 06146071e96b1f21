import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type SamplingSettings } from '../contract'
import { planBlocks, plannedSteps, runReverseProcess, selectReveals, stepCounts, type Denoise, type Reveal } from './reverse-process'
import { rngStream } from './rng'

const MASK = 3
const VOCAB = 8

/**
 * A fake model: at each position a fixed distribution whose top token is `top[pos]` with
 * probability `conf[pos]`, the rest spread evenly (the mask id gets the highest logit of
 * all, to check it is never predicted).
 */
function fakeDenoiser(top: number[], conf: number[], calls: { batch: number; ids: bigint[] }[] = []): Denoise {
  return async (ids, batch, length) => {
    calls.push({ batch, ids: Array.from(ids) })
    const out = new Float32Array(batch * length * VOCAB)
    for (let r = 0; r < batch; r++)
      for (let p = 0; p < length; p++) {
        const base = (r * length + p) * VOCAB
        const rest = (1 - conf[p]) / (VOCAB - 2)
        for (let v = 0; v < VOCAB; v++) out[base + v] = Math.log(v === top[p] ? conf[p] : rest)
        out[base + MASK] = 10
      }
    return out
  }
}

const banned = (() => {
  const b = new Uint8Array(VOCAB)
  b[MASK] = 1
  return b
})()

function settings(s: Partial<SamplingSettings>): SamplingSettings {
  return { ...DEFAULT_SAMPLING, temperature: 0, candidates: 1, blockLength: 0, ...s }
}

async function run(s: SamplingSettings, top: number[], conf: number[], slots: number[], shifted = false) {
  const ids = Int32Array.from(top.map((_, i) => (slots.includes(i) ? MASK : 5)))
  const steps: Reveal[][] = []
  const calls: { batch: number; ids: bigint[] }[] = []
  const out = await runReverseProcess(
    {
      ids,
      slots: Int32Array.from(slots),
      vocab: VOCAB,
      banned,
      shiftedLogits: shifted,
      settings: s,
      rngs: Array.from({ length: s.candidates }, (_, c) => rngStream(s.seed, c)),
    },
    fakeDenoiser(top, conf, calls),
    { onStep: (_step, reveals) => steps.push(reveals) },
  )
  return { out, steps, calls }
}

describe('schedules', () => {
  it('stepCounts spreads the remainder over the first steps (LLaDA)', () => {
    expect(stepCounts(10, 4)).toEqual([3, 3, 2, 2])
    expect(stepCounts(4, 4)).toEqual([1, 1, 1, 1])
    expect(stepCounts(3, 8)).toEqual([1, 1, 1])
  })
  it('planBlocks splits slots and steps between blocks', () => {
    expect(planBlocks(6, 4, 4)).toEqual([
      { from: 0, to: 4, counts: [2, 2] },
      { from: 4, to: 6, counts: [1, 1] },
    ])
    expect(plannedSteps(6, settings({ strategy: 'low_confidence', steps: 4, blockLength: 4 }))).toBe(4)
    expect(plannedSteps(6, settings({ strategy: 'threshold' }))).toBe(6)
  })
  it('selectReveals: top k, or all at/above threshold with at least one', () => {
    expect(selectReveals([0.2, 0.9, 0.5], { k: 2 })).toEqual([1, 2])
    expect(selectReveals([0.2, 0.95, 0.91, 0.89], { threshold: 0.9 })).toEqual([1, 2])
    expect(selectReveals([0.2, 0.5], { threshold: 0.9 })).toEqual([1])
  })
})

describe('runReverseProcess', () => {
  const top = [5, 6, 7, 4, 6, 5]
  const conf = [0.99, 0.95, 0.5, 0.92, 0.3, 0.99]
  const slots = [1, 2, 3, 4]

  it('threshold reveals exactly the slots at or above the threshold first, then at least one per step', async () => {
    const { steps, out } = await run(settings({ strategy: 'threshold', threshold: 0.9 }), top, conf, slots)
    expect(steps[0].map((r) => slots[r.slot]).sort()).toEqual([1, 3])
    expect(steps[1]).toHaveLength(1)
    expect(steps.flat()).toHaveLength(4)
    expect(out.forwardPasses).toBe(steps.length)
    // The mask token (highest raw logit) is never predicted.
    expect(Array.from(out.tokens)).toEqual([6, 7, 4, 6])
  })

  it('low_confidence with steps == slots reveals one slot per step, most confident first', async () => {
    const { steps } = await run(settings({ strategy: 'low_confidence', steps: 4 }), top, conf, slots)
    expect(steps.map((s) => s.length)).toEqual([1, 1, 1, 1])
    expect(steps.map((s) => slots[s[0].slot])).toEqual([1, 3, 2, 4])
  })

  it('low_confidence with fewer steps follows the per-step counts', async () => {
    const { steps } = await run(settings({ strategy: 'low_confidence', steps: 3 }), top, conf, slots)
    expect(steps.map((s) => s.length)).toEqual([2, 1, 1])
  })

  it('random remasking is deterministic for a seed and depends on it', async () => {
    const order = async (seed: number) =>
      (await run(settings({ strategy: 'random', steps: 4, seed }), top, conf, slots)).steps.map((s) => s[0].slot)
    const a = await order(11)
    expect(await order(11)).toEqual(a)
    const others = await Promise.all([12, 13, 14, 15, 16].map(order))
    expect(others.some((o) => o.join() !== a.join())).toBe(true)
  })

  it('semi-autoregressive blocks reveal the left block before the right one', async () => {
    // Right-block slots are the most confident, yet wait for the left block.
    const c = [0.5, 0.3, 0.4, 0.99, 0.98, 0.5]
    const { steps } = await run(settings({ strategy: 'low_confidence', steps: 4, blockLength: 2 }), top, c, slots)
    const order = steps.map((s) => slots[s[0].slot])
    expect(order.slice(0, 2).sort()).toEqual([1, 2])
    expect(order.slice(2).sort()).toEqual([3, 4])
  })

  it('candidates share one forward pass per step through the batch dimension', async () => {
    const { calls, out, steps } = await run(
      settings({ strategy: 'low_confidence', steps: 2, candidates: 3, temperature: 1, topP: 1 }),
      top,
      conf,
      slots,
    )
    expect(calls).toHaveLength(2)
    expect(calls.every((c) => c.batch === 3)).toBe(true)
    expect(out.tokens).toHaveLength(12)
    expect(steps[0].map((r) => r.candidate).sort()).toEqual([0, 0, 1, 1, 2, 2])
    // The step's input carries what earlier steps revealed.
    const revealedFirst = steps[0].filter((r) => r.candidate === 0)[0]
    expect(calls[1].ids[slots[revealedFirst.slot]]).toBe(BigInt(revealedFirst.token))
  })

  it('finished candidates leave the batch (threshold finishes rows at different steps)', async () => {
    // A row that has revealed a 6 becomes certain (p 0.99 on 6); otherwise 5 and 6 are
    // even, so rows that sample 6 early finish early.
    const batches: number[] = []
    const denoise: Denoise = async (ids, batch, length) => {
      batches.push(batch)
      const out = new Float32Array(batch * length * VOCAB).fill(Math.log(1e-6))
      for (let r = 0; r < batch; r++) {
        const sure = Array.from(ids.subarray(r * length, (r + 1) * length)).includes(6n)
        for (let p = 0; p < length; p++) {
          const base = (r * length + p) * VOCAB
          out[base + 5] = Math.log(sure ? 0.01 : 0.5)
          out[base + 6] = Math.log(sure ? 0.99 : 0.5)
        }
      }
      return out
    }
    const s = settings({ strategy: 'threshold', threshold: 0.9, temperature: 1, topP: 1, candidates: 4, seed: 3 })
    const rows: Reveal[][] = []
    const out = await runReverseProcess(
      {
        ids: Int32Array.from([2, MASK, MASK, MASK, MASK, MASK, MASK, 2]),
        slots: Int32Array.from([1, 2, 3, 4, 5, 6]),
        vocab: VOCAB,
        banned,
        shiftedLogits: false,
        settings: s,
        rngs: Array.from({ length: 4 }, (_, c) => rngStream(3, c)),
      },
      denoise,
      { onStep: (_s, r) => rows.push(r) },
    )
    expect(Array.from(out.tokens).every((t) => t === 5 || t === 6)).toBe(true)
    expect(batches[0]).toBe(4)
    expect(batches.some((b) => b < 4)).toBe(true)
    for (let i = 1; i < batches.length; i++) expect(batches[i]).toBeLessThanOrEqual(batches[i - 1])
    expect(out.forwardPasses).toBe(batches.length)
    // Every candidate's slots were revealed exactly once.
    for (let c = 0; c < 4; c++) expect(rows.flat().filter((r) => r.candidate === c).map((r) => r.slot).sort()).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('shifted logits: the token for position p comes from output p - 1 (Dream)', async () => {
    const { out } = await run(settings({ strategy: 'low_confidence', steps: 4 }), top, conf, slots, true)
    expect(Array.from(out.tokens)).toEqual([5, 6, 7, 4])
  })

  it('stops at beforeStep when it throws (cancellation)', async () => {
    let n = 0
    const p = runReverseProcess(
      {
        ids: Int32Array.from([5, MASK, MASK, MASK]),
        slots: Int32Array.from([1, 2, 3]),
        vocab: VOCAB,
        banned,
        shiftedLogits: false,
        settings: settings({ strategy: 'low_confidence', steps: 3 }),
        rngs: [rngStream(1, 0)],
      },
      fakeDenoiser([5, 5, 5, 5], [0.9, 0.9, 0.9, 0.9]),
      {
        beforeStep: () => {
          if (++n === 2) throw new Error('cancelled')
        },
      },
    )
    await expect(p).rejects.toThrow('cancelled')
  })
})
