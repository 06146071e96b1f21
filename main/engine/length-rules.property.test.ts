/**
 * Randomized test (fast-check) of the reverse process as runFill drives it: the 'first-step'
 * pad rule, word ranges and line-break rules (word-rules.ts) and a judge that rejects copies,
 * over random spans, ranges, strategies, temperatures, candidates and per-position
 * distributions (pad-happy and pad-shy ones). Invariants, with the words counted on the
 * joined text as the writer counts them (not by the engine's own counting):
 * - in range: every candidate's fill of every span has between its fewest and most words;
 * - line breaks: none where the original had none, none first unless it started with one;
 * - no duplicates: the candidates' fills differ on at least one span;
 * - no cascade: a span's pads come at the row's first pass or where the span already holds
 *   text at its most words, never one step after another from the right before any text;
 * - every fill is text then pad, and no slot holds a banned id;
 * - after the writer's space (afterSpace), a span's first piece starts with no letter or digit.
 *
 * Runs INFILL_PROP_RUNS cases (default 300) from seed INFILL_PROP_SEED (default: a fresh
 * one); both are printed. A failure prints the shrunk case.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, Strategy, type SamplingSettings } from '../contract'
import { wordCount } from './length-target'
import { runReverseProcess, type Denoise, type RowJudge } from './reverse-process'
import { rngStream } from './rng'
import { pieceTable, type BreakRule } from './word-rules'

const PIECES = ['', '<unk>', '', '<mask>', '\n', ' the', ' cat', 's', ',', ' a', 'ing', ' ', ' dog', ' sat.', '\nThe', 'x y']
const VOCAB = PIECES.length
const PAD = 0
const MASK = 3
const pieces = pieceTable(VOCAB, (id) => PIECES[id])
const SEED = process.env.INFILL_PROP_SEED !== undefined ? Number(process.env.INFILL_PROP_SEED) : Math.floor(Math.random() * 0x7fffffff)
const RUNS = Number(process.env.INFILL_PROP_RUNS ?? 300)

const banned = Uint8Array.from(PIECES, (_, id) => (id === 1 || id === 2 || id === MASK ? 1 : 0))

/** Logits that depend on the position and the id to its left; `padBias` makes pads likelier or rarer. */
function denoiser(table: number[][], padBias: number): Denoise {
  return async (ids, batch, length) => {
    const out = new Float32Array(batch * length * VOCAB)
    for (let r = 0; r < batch; r++)
      for (let p = 0; p < length; p++) {
        const left = p > 0 ? Number(ids[r * length + p - 1]) : 0
        const row = table[(p + left) % table.length]
        for (let v = 0; v < VOCAB; v++) out[(r * length + p) * VOCAB + v] = row[v]
        out[(r * length + p) * VOCAB + PAD] += padBias
        out[(r * length + p) * VOCAB + MASK] = 50 // never predicted, however likely
      }
    return out
  }
}

const spanArb = fc
  .record({ minWords: fc.integer({ min: 0, max: 3 }), extra: fc.integer({ min: 0, max: 3 }), slack: fc.integer({ min: 0, max: 4 }), floorUp: fc.integer({ min: 0, max: 2 }), breaks: fc.constantFrom<BreakRule>(0, 1, 2), afterSpace: fc.boolean() })
  .map((s) => {
    const maxWords = Math.max(1, s.minWords + s.extra)
    const slots = Math.max(1, maxWords + s.slack)
    const floor = s.minWords === 0 ? 0 : Math.min(slots, s.minWords + s.floorUp)
    return { minWords: s.minWords, maxWords, slots, floor, breaks: s.breaks, afterSpace: s.afterSpace }
  })

const caseArb = fc.record({
  spans: fc.array(spanArb, { minLength: 1, maxLength: 3 }),
  table: fc.array(fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: VOCAB, maxLength: VOCAB }), { minLength: 1, maxLength: 5 }),
  padBias: fc.constantFrom(-4, 0, 3, 8),
  strategy: fc.constantFrom(...Strategy.options),
  steps: fc.integer({ min: 1, max: 12 }),
  blockLength: fc.constantFrom(0, 0, 3),
  temperature: fc.constantFrom(0, 0, 0.7, 1.5),
  candidates: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 0, max: 1000 }),
})

describe('word ranges, line breaks, distinct candidates, no cascade (randomized)', () => {
  it(`every candidate in range and distinct, no pad cascade (seed ${SEED}, ${RUNS} runs)`, async () => {
    process.stdout.write(`length-rules property test: seed ${SEED} (set INFILL_PROP_SEED to replay), ${RUNS} cases\n`)
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const spanOf: number[] = []
        const mayPad: number[] = []
        c.spans.forEach((s, i) => {
          for (let k = 0; k < s.slots; k++) {
            spanOf.push(i)
            mayPad.push(k >= s.floor ? 1 : 0)
          }
        })
        const S = spanOf.length
        const ids = Int32Array.from([5, ...spanOf.map(() => MASK), 6])
        const settings: SamplingSettings = { ...DEFAULT_SAMPLING, strategy: c.strategy, steps: c.steps, blockLength: c.blockLength, temperature: c.temperature, candidates: c.candidates, seed: c.seed }
        const textOf = (row: ArrayLike<number>, span: number) => Array.from(row).filter((id, j) => spanOf[j] === span && id !== PAD).map((id) => PIECES[id]).join('')
        const keyOf = (row: ArrayLike<number>) => c.spans.map((_, i) => textOf(row, i).replace(/\s+/g, ' ').trim()).join('|')
        const inRange = (row: ArrayLike<number>) => c.spans.every((s, i) => {
          const w = wordCount(textOf(row, i))
          return w >= s.minWords && w <= s.maxWords
        })
        const kept = new Set<string>()
        const judge: RowJudge = {
          ok: (_r, row) => inRange(row) && !kept.has(keyOf(row)),
          keep: (_r, row) => void kept.add(keyOf(row)),
        }
        // the reveal log of each candidate's last draw: step, slot, token
        const log: { step: number; slot: number; token: number }[][] = Array.from({ length: c.candidates }, () => [])
        const firstStep = new Int32Array(c.candidates).fill(1)
        const redrawn = new Set<number>()
        const out = await runReverseProcess(
          {
            ids,
            slots: Int32Array.from(spanOf.map((_, j) => j + 1)),
            vocab: VOCAB,
            banned,
            shiftedLogits: false,
            settings,
            rngs: Array.from({ length: c.candidates }, (_, k) => rngStream(c.seed, k)),
            padOrder: { padId: PAD, spanOf: Int32Array.from(spanOf), rule: 'first-step', mayPad: Uint8Array.from(mayPad) },
            diversify: c.temperature === 0,
            words: {
              pieces,
              minWords: Int32Array.from(c.spans, (s) => s.minWords),
              maxWords: Int32Array.from(c.spans, (s) => s.maxWords),
              breaks: Uint8Array.from(c.spans, (s) => s.breaks),
              afterSpace: Uint8Array.from(c.spans, (s) => (s.afterSpace ? 1 : 0)),
            },
            judge,
          },
          denoiser(c.table, c.padBias),
          {
            // a redraw comes at the end of a step, after that step's reveals
            onRedraw: (r) => void redrawn.add(r),
            onStep: (step, reveals) => {
              for (const x of reveals) log[x.candidate].push({ step, slot: x.slot, token: x.token })
              for (const r of redrawn) {
                log[r] = []
                firstStep[r] = step + 1
              }
              redrawn.clear()
            },
          },
        )
        const rows = Array.from({ length: c.candidates }, (_, r) => out.tokens.subarray(r * S, (r + 1) * S))
        for (const row of rows) {
          expect(Array.from(row).every((id) => id >= 0 && !banned[id])).toBe(true)
          c.spans.forEach((s, i) => {
            const text = textOf(row, i)
            const w = wordCount(text)
            expect(w, `span ${i} "${text}"`).toBeGreaterThanOrEqual(s.minWords)
            expect(w, `span ${i} "${text}"`).toBeLessThanOrEqual(s.maxWords)
            if (s.breaks === 0) expect(text).not.toMatch(/\n/)
            if (s.breaks === 1) expect(text).not.toMatch(/^\s*\n/)
            // text then pad
            const own = Array.from(row).filter((_, j) => spanOf[j] === i)
            // after the writer's space the first piece never glues a letter onto the word before
            if (s.afterSpace && own[0] !== PAD) expect(PIECES[own[0]], `span ${i}`).not.toMatch(/^[\p{L}\p{N}]/u)
            const firstPad = own.indexOf(PAD)
            if (firstPad >= 0) expect(own.slice(firstPad).every((id) => id === PAD)).toBe(true)
          })
        }
        expect(new Set(rows.map(keyOf)).size).toBe(c.candidates)
        // no cascade: a pad after the row's first pass comes where its span already holds text
        for (let r = 0; r < c.candidates; r++) {
          const seen = new Set<number>()
          for (const x of log[r]) {
            if (x.token === PAD && x.step > firstStep[r]) expect(seen.has(spanOf[x.slot]), `candidate ${r}: pad at slot ${x.slot}, step ${x.step}, before any text`).toBe(true)
            if (x.token !== PAD) seen.add(spanOf[x.slot])
          }
        }
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })
})
