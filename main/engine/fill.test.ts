/** runFill with a hand-made tokenizer and a fake denoiser (no model needed). */
import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillStepEvent } from '../contract'
import { applyFills } from './canvas'
import { runFill, type FillModel } from './fill'
import { TokenizerCodec } from './text-codec'
import { unigramTokenizerJson } from './test-fixtures'

const codec = new TokenizerCodec(unigramTokenizerJson())
const V = codec.vocabSize
const PAD = 0
const MASK = 3
const DOG = codec.idOf('▁dog')!

/** Predicts "▁dog" (p 0.9) at the first masked slot of each run and pad (p 0.99) after it. */
function fakeModel(): FillModel & { calls: number } {
  const banned = new Uint8Array(V)
  for (const id of [1, 2, 3]) banned[id] = 1
  const m = {
    calls: 0,
    info: { name: 'fake', family: 'mdlm' as const, dir: '/fake', maxLength: 64, vocabSize: V, hash: '0'.repeat(64), provider: 'cpu' },
    codec,
    maskId: MASK,
    padId: PAD,
    shiftedLogits: false,
    vocab: V,
    banned,
    denoise: async (ids: BigInt64Array, batch: number, length: number) => {
      m.calls++
      const out = new Float32Array(batch * length * V).fill(-20)
      for (let r = 0; r < batch; r++)
        for (let p = 0; p < length; p++) {
          const prev = p > 0 ? Number(ids[r * length + p - 1]) : -1
          const prevMasked = prev === MASK || prev === DOG || prev === PAD
          const base = (r * length + p) * V
          if (prevMasked) out[base + PAD] = 5
          else out[base + DOG] = 3
        }
      return out
    },
  }
  return m
}

describe('runFill (fake model)', () => {
  it('fills, streams steps, drops tail pad and joins the fill naturally', async () => {
    const model = fakeModel()
    const text = 'the cat sat on the mat'
    const spans = [{ id: 'cat', from: 4, to: 7, slots: 3 }]
    const steps: FillStepEvent[] = []
    const r = await runFill(model, { requestId: 'r', text, spans, locked: [], settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: 3, temperature: 0, candidates: 2 } }, { onStep: (e) => steps.push(e) })
    // "dog" first; then the pad after it, which pads the rest of the span in the same step
    expect(r.forwardPasses).toBe(2)
    expect(model.calls).toBe(2)
    expect(steps.map((s) => s.step)).toEqual([1, 2])
    expect(steps.map((s) => s.remaining.cat)).toEqual([4, 0])
    expect(r.spans[0].candidates[0]).toMatchObject({ text: 'dog', tokenIds: [DOG] })
    const revealed = steps.flatMap((s) => s.revealed).filter((x) => x.candidate === 0)
    expect(revealed.find((x) => x.slot === 0)).toMatchObject({ tokenId: DOG, text: ' dog', pad: false })
    expect(revealed.filter((x) => x.pad).map((x) => x.text)).toEqual(['', ''])
    expect(applyFills(text, spans, new Map([['cat', r.spans[0].candidates[0].text]]))).toBe('the dog sat on the mat')
  })

  it('stops when the checkpoint throws', async () => {
    const model = fakeModel()
    let n = 0
    const req = { requestId: 'c', text: 'the cat sat', spans: [{ id: 's', from: 4, to: 7, slots: 3 }], locked: [], settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence' as const, steps: 3 } }
    await expect(
      runFill(model, req, {
        checkpoint: () => {
          if (++n === 2) throw new Error('stop')
        },
      }),
    ).rejects.toThrow('stop')
    expect(model.calls).toBe(1)
  })
})
