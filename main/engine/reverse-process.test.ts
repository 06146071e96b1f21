import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type SamplingSettings } from '../contract'
import {
  dreamRevealCount,
  dreamRevealShare,
  planBlocks,
  plannedSteps,
  runReverseProcess,
  sampleReveals,
  selectReveals,
  stepCounts,
  type Denoise,
  type PadRule,
  type Reveal,
} from './reverse-process'
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

describe('pad-as-suffix decoding (padOrder)', () => {
  const PAD = 0
  /** A fake model with a fixed distribution per position: `probs[pos][token]`, the rest spread evenly. */
  function tableDenoiser(probs: Record<number, number>[]): Denoise {
    return async (_ids, batch, length) => {
      const out = new Float32Array(batch * length * VOCAB)
      for (let r = 0; r < batch; r++)
        for (let p = 0; p < length; p++) {
          const given = probs[p] ?? {}
          const named = Object.keys(given).map(Number)
          const mass = named.reduce((m, t) => m + given[t], 0)
          const rest = (1 - mass) / (VOCAB - 1 - named.length)
          for (let v = 0; v < VOCAB; v++) out[(r * length + p) * VOCAB + v] = Math.log(given[v] ?? rest)
          out[(r * length + p) * VOCAB + MASK] = 10
        }
      return out
    }
  }

  async function fill(
    probs: Record<number, number>[],
    slots: number[],
    spanOf: number[] | null,
    s: Partial<SamplingSettings> = {},
    rule: PadRule = 'after-text',
    mayPad?: number[],
  ) {
    const st = settings({ strategy: 'low_confidence', steps: slots.length, ...s })
    const steps: Reveal[][] = []
    const out = await runReverseProcess(
      {
        ids: Int32Array.from(probs.map((_, i) => (slots.includes(i) ? MASK : 5))),
        slots: Int32Array.from(slots),
        vocab: VOCAB,
        banned,
        shiftedLogits: false,
        settings: st,
        rngs: [rngStream(1, 0)],
        padOrder: spanOf ? { padId: PAD, spanOf: Int32Array.from(spanOf), rule, mayPad: mayPad ? Uint8Array.from(mayPad) : undefined } : undefined,
      },
      tableDenoiser(probs),
      { onStep: (_s, r) => steps.push(r) },
    )
    return { tokens: Array.from(out.tokens), steps }
  }

  // Two spans of three slots (positions 1-3 and 5-7); the model thinks every slot is pad.
  const padHappy = Array.from({ length: 9 }, () => ({ [PAD]: 0.9, 4: 0.06 }))
  const slots = [1, 2, 3, 5, 6, 7]
  const spanOf = [0, 0, 0, 1, 1, 1]

  it('without the rule a pad-happy model returns empty fills', async () => {
    expect((await fill(padHappy, slots, null)).tokens).toEqual([PAD, PAD, PAD, PAD, PAD, PAD])
  })

  it('never fills a span with pad alone: its first slot is text', async () => {
    const { tokens } = await fill(padHappy, slots, spanOf)
    expect(tokens).toEqual([4, PAD, PAD, 4, PAD, PAD])
  })

  it('a pad revealed after text pads the rest of its span in the same step, and only its span', async () => {
    const { steps, tokens } = await fill(padHappy, slots, spanOf, { steps: 6 })
    const padStep = steps.find((r) => r.some((x) => x.token === PAD))!
    const padded = padStep.filter((x) => x.token === PAD).map((x) => x.slot)
    // both pads of one span arrive together; the other span's slots are not touched by it
    expect(padded.length % 2).toBe(0)
    for (const j of padded) expect(spanOf[j]).toBe(spanOf[padded[0]])
    // fills are text then pad, never pad then text
    for (const span of [0, 1]) {
      const t = tokens.filter((_, j) => spanOf[j] === span)
      expect(t.findIndex((x) => x === PAD)).toBeGreaterThan(0)
      expect(t.slice(t.indexOf(PAD)).every((x) => x === PAD)).toBe(true)
    }
  })

  it("ranks a slot that may not be pad yet by its token's probability with the pad's mass kept in", async () => {
    // slot 0: text 4 at 0.5; slot 3: pad 0.8 and text 6 at 0.15 (0.75 of the non-pad mass)
    const probs: Record<number, number>[] = [{ 4: 0.5, [PAD]: 0.05 }, { 5: 0.4, [PAD]: 0.1 }, { 5: 0.3, [PAD]: 0.3 }, { [PAD]: 0.8, 6: 0.15 }]
    const { steps, tokens } = await fill(probs, [0, 1, 2, 3], [0, 0, 0, 0])
    expect(steps[0].map((r) => r.slot)).toEqual([0])
    expect(tokens[0]).toBe(4)
    // the tail ends as pad once the text before it is there
    expect(tokens[3]).toBe(PAD)
  })

  it('is off when the pad id is banned (a model without variable-length fills)', async () => {
    const b = new Uint8Array(VOCAB)
    b[MASK] = 1
    b[PAD] = 1
    const out = await runReverseProcess(
      {
        ids: Int32Array.from([MASK, MASK]),
        slots: Int32Array.from([0, 1]),
        vocab: VOCAB,
        banned: b,
        shiftedLogits: false,
        settings: settings({ strategy: 'low_confidence', steps: 2 }),
        rngs: [rngStream(1, 0)],
        padOrder: { padId: PAD, spanOf: Int32Array.from([0, 0]) },
      },
      tableDenoiser([{ [PAD]: 0.9, 4: 0.06 }, { [PAD]: 0.9, 4: 0.06 }]),
    )
    expect(Array.from(out.tokens)).toEqual([4, 4])
  })
})

describe("pad rule 'suffix' (runFill's): pads win where the model prefers them", () => {
  const PAD = 0
  function tableDenoiser(probs: Record<number, number>[], calls: bigint[][] = []): Denoise {
    return async (ids, batch, length) => {
      for (let r = 0; r < batch; r++) calls.push(Array.from(ids.subarray(r * length, (r + 1) * length)))
      const out = new Float32Array(batch * length * VOCAB)
      for (let r = 0; r < batch; r++)
        for (let p = 0; p < length; p++) {
          const given = probs[p] ?? {}
          const named = Object.keys(given).map(Number)
          const mass = named.reduce((m, t) => m + given[t], 0)
          const rest = (1 - mass) / (VOCAB - 1 - named.length)
          for (let v = 0; v < VOCAB; v++) out[(r * length + p) * VOCAB + v] = Math.log(given[v] ?? rest)
          out[(r * length + p) * VOCAB + MASK] = 10
        }
      return out
    }
  }
  async function fill(probs: Record<number, number>[], s: Partial<SamplingSettings>, padOrder: { rule?: PadRule; mayPad?: number[] } = {}) {
    const n = probs.length
    const steps: Reveal[][] = []
    const out = await runReverseProcess(
      {
        ids: new Int32Array(n).fill(MASK),
        slots: Int32Array.from({ length: n }, (_, i) => i),
        vocab: VOCAB,
        banned,
        shiftedLogits: false,
        settings: settings({ strategy: 'low_confidence', steps: n, ...s }),
        rngs: [rngStream(1, 0)],
        padOrder: { padId: PAD, spanOf: new Int32Array(n), rule: padOrder.rule ?? 'suffix', mayPad: padOrder.mayPad ? Uint8Array.from(padOrder.mayPad) : undefined },
      },
      tableDenoiser(probs),
      { onStep: (_s, r) => steps.push(r) },
    )
    return { tokens: Array.from(out.tokens), steps }
  }

  // The case: the last slot (next to the right context) is the surest, and the model
  // thinks it empty; the text slots are less sure.
  const tailPad: Record<number, number>[] = [{ 4: 0.4 }, { 5: 0.38 }, { [PAD]: 0.3, 6: 0.2 }, { [PAD]: 0.5, 6: 0.45 }]

  it('reveals the last slot as pad first and ends the fill early (after-text would keep the whole budget)', async () => {
    const suffix = await fill(tailPad, {})
    expect(suffix.steps[0]).toEqual([{ candidate: 0, slot: 3, token: PAD, prob: expect.closeTo(0.5, 5) }])
    expect(suffix.tokens).toEqual([4, 5, PAD, PAD])
    // after-text: the last slot may not be pad yet, its text is the surest, and the fill keeps its budget
    const afterText = await fill(tailPad, {}, { rule: 'after-text' })
    expect(afterText.steps[0].map((r) => [r.slot, r.token])).toEqual([[3, 6]])
    expect(afterText.tokens).not.toContain(PAD)
  })

  it('never reveals pad before the minimum (mayPad), so a fill can be held to a length', async () => {
    const { tokens } = await fill(tailPad, {}, { mayPad: [0, 0, 0, 1] })
    expect(tokens).toEqual([4, 5, 6, PAD])
    const all = await fill(Array.from({ length: 4 }, () => ({ [PAD]: 0.9, 4: 0.05 })), {}, { mayPad: [0, 0, 1, 1] })
    expect(all.tokens).toEqual([4, 4, PAD, PAD])
  })

  it('keeps text-then-pad when a text slot to the right wins in the same step (threshold)', async () => {
    // slot 3 text at 0.97 and slot 2 pad at 0.96, both above the threshold; the pad would sit before text
    const probs: Record<number, number>[] = [{ 4: 0.5 }, { 5: 0.5 }, { [PAD]: 0.96, 6: 0.02 }, { 7: 0.97 }]
    const { tokens, steps } = await fill(probs, { strategy: 'threshold', threshold: 0.9 })
    // slot 3's text first; slot 2, chosen as pad, takes its best text token in the same step
    expect(steps[0].map((r) => [r.slot, r.token])).toEqual([
      [3, 7],
      [2, 6],
    ])
    expect(tokens).not.toContain(PAD)
  })

  it('a pad-happy model still gets a one-slot fill, never an empty one', async () => {
    const { tokens } = await fill(Array.from({ length: 5 }, () => ({ [PAD]: 0.9, 4: 0.05 })), {})
    expect(tokens).toEqual([4, PAD, PAD, PAD, PAD])
  })
})

describe("Dream's schedule and options", () => {
  it('reveal share 1 - s/t on linspace(1, 1e-3, steps + 1), everything at the last step', () => {
    const t = (i: number) => 1 - (0.999 * i) / 4
    expect(dreamRevealShare(0, 4)).toBeCloseTo(1 - t(1) / t(0), 12)
    expect(dreamRevealShare(2, 4)).toBeCloseTo(1 - t(3) / t(2), 12)
    expect(dreamRevealShare(3, 4)).toBe(1)
    // 10 masks over 4 steps: int(10·0.2497)=2, int(8·0.3329)=2, int(6·0.4990)=2, then the last 4
    expect([dreamRevealCount(10, 0, 4), dreamRevealCount(8, 1, 4), dreamRevealCount(6, 2, 4), dreamRevealCount(4, 3, 4)]).toEqual([2, 2, 2, 4])
    // fewer masks than steps: the early steps reveal nothing
    expect(dreamRevealCount(3, 0, 8)).toBe(0)
  })

  const top = [4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 0, 0]
  const conf = [0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.2]
  const slots = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]

  it('maskgit_plus follows the Dream counts, not LLaDA’s, and reuses the logits of a step that revealed nothing', async () => {
    const { steps, out, calls } = await run(settings({ strategy: 'maskgit_plus', steps: 4 }), top, conf, slots)
    expect(steps.map((r) => r.length)).toEqual([2, 2, 2, 4])
    expect(steps[0].map((r) => r.slot)).toEqual([0, 1])
    expect(plannedSteps(10, settings({ strategy: 'maskgit_plus', steps: 4 }))).toBe(4)
    expect(out.forwardPasses).toBe(4)
    const sparse = await run(settings({ strategy: 'entropy', steps: 8 }), top.slice(0, 4), conf.slice(0, 4), [0, 1, 2])
    expect(sparse.steps.length).toBe(8)
    expect(sparse.steps.slice(0, 2).every((r) => r.length === 0)).toBe(true)
    expect(sparse.out.forwardPasses).toBeLessThan(8)
    expect(sparse.calls.length).toBe(sparse.out.forwardPasses)
  })

  it("origin reveals each masked slot with probability 1 - s/t: seeded, all slots by the last step", async () => {
    const a = await run(settings({ strategy: 'origin', steps: 5, seed: 3 }), top, conf, slots)
    const b = await run(settings({ strategy: 'origin', steps: 5, seed: 3 }), top, conf, slots)
    const c = await run(settings({ strategy: 'origin', steps: 5, seed: 4 }), top, conf, slots)
    expect(a.steps.length).toBe(5)
    expect(a.steps.flat().length).toBe(10)
    expect(a.steps.map((r) => r.map((x) => x.slot))).toEqual(b.steps.map((r) => r.map((x) => x.slot)))
    expect(a.steps.map((r) => r.map((x) => x.slot))).not.toEqual(c.steps.map((r) => r.map((x) => x.slot)))
  })

  it('alg_temp draws the slots to reveal from softmax(confidence / alg_temp)', async () => {
    const cold = await run(settings({ strategy: 'maskgit_plus', steps: 4, algTemp: 1e-6 }), top, conf, slots)
    expect(cold.steps[0].map((r) => r.slot).sort()).toEqual([0, 1])
    const orders = new Set<string>()
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const hot = await run(settings({ strategy: 'maskgit_plus', steps: 4, algTemp: 5, seed }), top, conf, slots)
      expect(hot.steps.map((r) => r.length)).toEqual([2, 2, 2, 4])
      orders.add(JSON.stringify(hot.steps[0].map((r) => r.slot).sort()))
    }
    expect(orders.size).toBeGreaterThan(1)
  })

  it('sampleReveals draws distinct indices, the likelier ones more often', () => {
    const rng = rngStream(9, 0)
    const counts = [0, 0, 0]
    for (let i = 0; i < 2000; i++) {
      const [a, b] = sampleReveals([2, 1, 0], 2, 1, rng)
      expect(a).not.toBe(b)
      counts[a]++
    }
    expect(counts[0]).toBeGreaterThan(counts[1])
    expect(counts[1]).toBeGreaterThan(counts[2])
  })
})

describe('candidates', () => {
  it('each candidate starts from its own ids (a later window sees its own earlier fills)', async () => {
    const calls: { batch: number; ids: bigint[] }[] = []
    await runReverseProcess(
      {
        ids: Int32Array.from([5, MASK, 5]),
        candidateIds: [Int32Array.from([6, MASK, 5]), Int32Array.from([7, MASK, 5])],
        slots: Int32Array.from([1]),
        vocab: VOCAB,
        banned,
        shiftedLogits: false,
        settings: settings({ candidates: 2, strategy: 'low_confidence', steps: 1 }),
        rngs: [rngStream(1, 0), rngStream(1, 1)],
      },
      fakeDenoiser([4, 4, 4], [0.9, 0.9, 0.9], calls),
    )
    expect(calls[0].ids.map(Number)).toEqual([6, MASK, 5, 7, MASK, 5])
  })

  it('greedy with diversify: candidate c branches at the (c-1)-th likeliest alternative, where the model is least sure; the confident slot keeps its token', async () => {
    const input = (diversify: boolean) => ({
      ids: Int32Array.from([MASK, MASK, 5]),
      slots: Int32Array.from([0, 1]),
      vocab: VOCAB,
      banned,
      shiftedLogits: false,
      settings: settings({ candidates: 3, strategy: 'low_confidence', steps: 2 }),
      rngs: [0, 1, 2].map((c) => rngStream(1, c)),
      diversify,
    })
    // position 0: 4 (0.5) > 6 (0.3) > 7 (0.1); position 1: 5 (0.9)
    const denoise: Denoise = async (_ids, batch, length) => {
      const out = new Float32Array(batch * length * VOCAB).fill(Math.log(0.01))
      for (let r = 0; r < batch; r++) {
        const b = r * length * VOCAB
        out[b + 4] = Math.log(0.5)
        out[b + 6] = Math.log(0.3)
        out[b + 7] = Math.log(0.1)
        out[b + VOCAB + 5] = Math.log(0.9)
        out[b + VOCAB + 4] = Math.log(0.05)
      }
      return out
    }
    const copies = await runReverseProcess(input(false), denoise)
    expect(Array.from(copies.tokens)).toEqual([4, 5, 4, 5, 4, 5])
    const diverse = await runReverseProcess(input(true), denoise)
    // alternatives: 6 (0.3) and 7 (0.1) at position 0, 4 (0.05) at position 1 (where 5 has 0.9)
    expect(Array.from(diverse.tokens)).toEqual([4, 5, 6, 5, 7, 5])
  })
})
