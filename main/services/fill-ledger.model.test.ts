/**
 * Model-based randomized test of the fill ledger (fast-check): random sequences of
 * admit / settle / cancel / connection-close against a plain model, checking after every
 * step that no connection holds more than its cap, the queued text never exceeds the
 * budget, a fill is cancellable only by its starter, and the ledger's totals match the
 * model. Seed: INFILL_LEDGER_SEED (printed either way); fast-check shrinks a failure.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FillLedger, FillRefused } from './fill-ledger'

const CAP = 3
const BUDGET = 100
const senders = ['ws-1', 'ws-2', 'win-3']

type Op =
  | { kind: 'admit'; sender: string; id: string; chars: number }
  | { kind: 'settle'; id: string }
  | { kind: 'cancel'; sender: string; id: string }
  | { kind: 'close'; sender: string }

const id = fc.integer({ min: 0, max: 11 }).map((n) => `r${n}`)
const sender = fc.constantFrom(...senders)
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('admit' as const), sender, id, chars: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ kind: fc.constant('settle' as const), id }),
  fc.record({ kind: fc.constant('cancel' as const), sender, id }),
  fc.record({ kind: fc.constant('close' as const), sender }),
)

describe('fill ledger (model-based)', () => {
  it('keeps its limits and ownership under any sequence', () => {
    const seed = Number(process.env.INFILL_LEDGER_SEED ?? Date.now() % 2 ** 31)
    console.log(`fill ledger model test: seed ${seed} (rerun with INFILL_LEDGER_SEED=${seed})`)
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const ledger = new FillLedger({ perConnection: CAP, queuedChars: BUDGET })
        const model = new Map<string, { sender: string; chars: number }>()
        const used = (): number => [...model.values()].reduce((a, e) => a + e.chars, 0)
        const count = (s: string): number => [...model.values()].filter((e) => e.sender === s).length
        for (const o of ops) {
          if (o.kind === 'admit') {
            const ok = !model.has(o.id) && count(o.sender) < CAP && used() + o.chars <= BUDGET
            if (ok) {
              ledger.admit(o.sender, o.id, o.chars)
              model.set(o.id, { sender: o.sender, chars: o.chars })
            } else expect(() => ledger.admit(o.sender, o.id, o.chars)).toThrow(FillRefused)
          } else if (o.kind === 'settle') {
            ledger.settle(o.id)
            model.delete(o.id)
          } else if (o.kind === 'cancel') {
            const owner = model.get(o.id)?.sender
            if (owner === undefined) expect(ledger.assertMayCancel(o.sender, o.id)).toBe(false)
            else if (owner === o.sender) expect(ledger.assertMayCancel(o.sender, o.id)).toBe(true)
            else expect(() => ledger.assertMayCancel(o.sender, o.id)).toThrow(/another window/)
          } else {
            // A closed connection: the services cancel each of its fills, and each settles.
            const mine = ledger.fillsOf(o.sender).sort()
            expect(mine).toEqual([...model.entries()].filter(([, e]) => e.sender === o.sender).map(([k]) => k).sort())
            for (const r of mine) {
              ledger.settle(r)
              model.delete(r)
            }
          }
          for (const s of senders) expect(ledger.fillsOf(s).length).toBeLessThanOrEqual(CAP)
          expect(ledger.totals()).toEqual({ fills: model.size, chars: used() })
          expect(used()).toBeLessThanOrEqual(BUDGET)
        }
      }),
      { seed, numRuns: 300 },
    )
  })
})
