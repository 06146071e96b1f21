/**
 * Randomized test of the reverse process (fast-check): random spans, budgets, floors, pad
 * rules, strategies and per-position distributions (pad-happy ones included). Invariants:
 * every slot is revealed exactly once and never as the mask; each span's fill is text then
 * pad (a suffix), its first slot and every slot below its floor are text; steps never exceed
 * the plan (threshold: the slot count); the denoiser runs at most once per step.
 *
 * Runs INFILL_PROP_RUNS cases (default 300) from seed INFILL_PROP_SEED (default: a fresh
 * one); both are printed. A failure prints the shrunk case.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, Strategy, type SamplingSettings } from '../contract'
import { plannedSteps, runReverseProcess, type Denoise, type PadRule } from './reverse-process'
import { rngStream } from './rng'

const VOCAB = 7
const PAD = 0
const MASK = 3
const SEED = process.env.INFILL_PROP_SEED !== undefined ? Number(process.env.INFILL_PROP_SEED) : Math.floor(Math.random() * 0x7fffffff)
const RUNS = Number(process.env.INFILL_PROP_RUNS ?? 300)

const banned = (() => {
  const b = new Uint8Array(VOCAB)
  b[MASK] = 1
  return b
})()

/** A denoiser whose logits at each position depend on the position and on the ids around it. */
function denoiser(table: number[][], calls: { n: number }): Denoise {
  return async (ids, batch, length) => {
    calls.n++
    const out = new Float32Array(batch * length * VOCAB)
    for (let r = 0; r < batch; r++)
      for (let p = 0; p < length; p++) {
        const left = p > 0 ? Number(ids[r * length + p - 1]) : 0
        const row = table[(p + left) % table.length]
        for (let v = 0; v < VOCAB; v++) out[(r * length + p) * VOCAB + v] = row[v]
        out[(r * length + p) * VOCAB + MASK] = 50 // the mask is never predicted, however likely
      }
    return out
  }
}

const caseArb = fc.record({
  spans: fc.array(fc.record({ slots: fc.integer({ min: 1, max: 6 }), floor: fc.integer({ min: 1, max: 6 }), gap: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 3 }),
  table: fc.array(fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: VOCAB, maxLength: VOCAB }), { minLength: 1, maxLength: 5 }),
  rule: fc.constantFrom<PadRule>('suffix', 'after-text'),
  strategy: fc.constantFrom(...Strategy.options),
  steps: fc.integer({ min: 1, max: 12 }),
  blockLength: fc.integer({ min: 0, max: 4 }),
  temperature: fc.constantFrom(0, 0.7, 1.5),
  candidates: fc.integer({ min: 1, max: 3 }),
  algTemp: fc.constantFrom(0, 0.5),
  topK: fc.constantFrom(0, 2),
  diversify: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
})

describe('reverse process invariants (randomized)', () => {
  it('every slot once, fills text-then-pad above their floor, steps within the plan', async () => {
    console.log(`reverse-process property test: seed ${SEED} (set INFILL_PROP_SEED to replay), ${RUNS} cases`)
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        // lay the spans out with context tokens (id 5) between them
        const ids: number[] = [5]
        const slots: number[] = []
        const spanOf: number[] = []
        const mayPad: number[] = []
        c.spans.forEach((s, i) => {
          for (let k = 0; k < s.slots; k++) {
            slots.push(ids.length)
            spanOf.push(i)
            mayPad.push(k >= Math.max(1, s.floor) ? 1 : 0)
            ids.push(MASK)
          }
          for (let g = 0; g < s.gap + 1; g++) ids.push(6)
        })
        const settings: SamplingSettings = { ...DEFAULT_SAMPLING, ...c, threshold: 0.6, topP: 0.9 }
        const calls = { n: 0 }
        const stepReveals: number[] = []
        const out = await runReverseProcess(
          {
            ids: Int32Array.from(ids),
            slots: Int32Array.from(slots),
            vocab: VOCAB,
            banned,
            shiftedLogits: false,
            settings,
            rngs: Array.from({ length: c.candidates }, (_, r) => rngStream(c.seed, r)),
            padOrder: { padId: PAD, spanOf: Int32Array.from(spanOf), rule: c.rule, mayPad: Uint8Array.from(mayPad) },
            diversify: c.diversify,
          },
          denoiser(c.table, calls),
          { onStep: (_s, reveals) => stepReveals.push(reveals.length) },
        )
        const S = slots.length
        expect(stepReveals.reduce((a, b) => a + b, 0)).toBe(S * c.candidates)
        expect(out.steps).toBeLessThanOrEqual(plannedSteps(S, settings))
        expect(out.forwardPasses).toBeLessThanOrEqual(out.steps)
        expect(calls.n).toBe(out.forwardPasses)
        for (let r = 0; r < c.candidates; r++) {
          const toks = Array.from(out.tokens.subarray(r * S, (r + 1) * S))
          expect(toks.every((t) => t >= 0 && t !== MASK)).toBe(true)
          c.spans.forEach((_, i) => {
            const fill = toks.filter((_, j) => spanOf[j] === i)
            const floors = mayPad.filter((_, j) => spanOf[j] === i)
            const firstPad = fill.indexOf(PAD)
            if (firstPad >= 0) {
              expect(fill.slice(firstPad).every((t) => t === PAD)).toBe(true)
              expect(floors[firstPad]).toBe(1)
            }
            expect(fill[0]).not.toBe(PAD)
          })
        }
      }),
      { seed: SEED, numRuns: RUNS },
    )
  }, 120_000)
})
