/** runFill with a hand-made tokenizer and a fake denoiser (no model needed). */
import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillStepEvent } from '../contract'
import { applyFills, buildCanvas } from './canvas'
import { runFill, type FillModel } from './fill'
import { untargetedRange } from './length-target'
import { applyBorderedFills } from './span-borders'
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
    const r = await runFill(model, { requestId: 'r', text, spans, locked: [], settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: 3, temperature: 0.5, candidates: 1 } }, { onStep: (e) => steps.push(e) })
    // the first pass ends the fill where the pads are likely (slots 1 and 2, before any text);
    // the second reveals "dog" against that end
    expect(r.forwardPasses).toBe(2)
    expect(model.calls).toBe(2)
    expect(steps.map((s) => s.step)).toEqual([1, 2])
    expect(steps.map((s) => s.remaining.cat)).toEqual([1, 0])
    expect(steps[0].revealed.map((x) => [x.slot, x.pad])).toEqual([
      [1, true],
      [2, true],
    ])
    expect(r.spans[0].candidates[0]).toMatchObject({ text: 'dog', tokenIds: [DOG] })
    const revealed = steps.flatMap((s) => s.revealed).filter((x) => x.candidate === 0)
    expect(revealed.find((x) => x.slot === 0)).toMatchObject({ tokenId: DOG, text: ' dog', pad: false })
    expect(revealed.filter((x) => x.pad).map((x) => x.text)).toEqual(['', ''])
    expect(applyFills(text, spans, new Map([['cat', r.spans[0].candidates[0].text]]))).toBe('the dog sat on the mat')
  })

  it('a model that knows one fill still gives distinct candidates: a copy is redrawn, then its last reveal takes the likeliest other token', async () => {
    const model = fakeModel()
    const text = 'the cat sat on the mat'
    const spans = [{ id: 'cat', from: 4, to: 7, slots: 3 }]
    const redraws: number[] = []
    const steps: FillStepEvent[] = []
    const r = await runFill(model, { requestId: 'r', text, spans, locked: [], settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: 3, temperature: 0.5, candidates: 3 } }, { onRedraw: (c) => redraws.push(c), onStep: (e) => steps.push(e) })
    const texts = r.spans[0].candidates.map((c) => c.text)
    expect(texts[0]).toBe('dog')
    expect(new Set(texts).size).toBe(3)
    expect(redraws.length).toBeGreaterThan(0)
    // the stream's count of masked slots never goes below 0 and ends at 0
    expect(steps.every((s) => s.remaining.cat >= 0)).toBe(true)
    expect(steps.at(-1)!.remaining.cat).toBe(0)
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

/** A fake model that predicts `first` at the first slot of a masked run, `rest` after it, pad after that; records its inputs. */
function scriptedModel(first: number, rest: number, maxLength = 64): FillModel & { inputs: number[][] } {
  const banned = new Uint8Array(V)
  for (const id of [1, 2, 3]) banned[id] = 1
  const inputs: number[][] = []
  return {
    inputs,
    info: { name: 'fake', family: 'mdlm' as const, dir: '/fake', maxLength, vocabSize: V, hash: '0'.repeat(64), provider: 'cpu' },
    codec,
    maskId: MASK,
    padId: PAD,
    shiftedLogits: false,
    vocab: V,
    banned,
    denoise: async (ids: BigInt64Array, batch: number, length: number) => {
      for (let r = 0; r < batch; r++) inputs.push(Array.from(ids.subarray(r * length, (r + 1) * length), Number))
      const out = new Float32Array(batch * length * V).fill(-20)
      for (let r = 0; r < batch; r++)
        for (let p = 0; p < length; p++) {
          const id = (q: number) => (q >= 0 ? Number(ids[r * length + q]) : -1)
          const runStart = id(p - 1) !== MASK && id(p - 1) !== first && id(p - 1) !== rest && id(p - 1) !== PAD
          const base = (r * length + p) * V
          if (runStart) out[base + first] = 4
          else if (id(p - 2) !== MASK && id(p - 2) !== first && id(p - 2) !== rest) out[base + rest] = 3
          else out[base + PAD] = 2
          // a weaker second choice everywhere, so greedy candidates can be diversified
          out[base + DOG] = Math.max(out[base + DOG], 1)
        }
      return out
    },
  }
}

describe('runFill: borders, length targets, windows, greedy candidates (fake model)', () => {
  const greedy = { ...DEFAULT_SAMPLING, strategy: 'low_confidence' as const, steps: 64, temperature: 0, candidates: 1 }

  it("a fill starting with a token that has no leading space joins the word before it (\"The man's\")", async () => {
    const model = scriptedModel(codec.idOf("'")!, codec.idOf('s')!)
    const text = 'The man is here'
    const spans = [{ id: 's', from: 8, to: 10, slots: 4 }]
    const r = await runFill(model, { requestId: 'b', text, spans, locked: [], settings: greedy }, {}, { minShare: 0 })
    const c = r.spans[0].candidates[0]
    expect(c).toMatchObject({ text: "'s", trimBefore: 1 })
    expect(applyBorderedFills(text, spans, new Map([['s', { text: c.text, trimBefore: c.trimBefore ?? 0 }]]))).toBe("The man's here")
  })

  it("a length target sizes the budget from the span's words: longer grows past the original, and the fill may not end before the minimum", async () => {
    const model = scriptedModel(codec.idOf('▁dog')!, codec.idOf('▁ran')!)
    const text = 'the cat sat on the mat and the dog ran'
    const spans = [{ id: 's', from: 4, to: 14, length: 'longer' as const }] // "cat sat on": 3 words
    const r = await runFill(model, { requestId: 'l', text, spans, locked: [], settings: greedy })
    const span = r.spans[0]
    expect(span.slots).toBeGreaterThan(3)
    // the model wants pad from the third slot, but 'longer' asks for at least 5 words
    expect(span.candidates[0].tokenIds.length).toBeGreaterThanOrEqual(5)
    const range = await runFill(model, { requestId: 'r', text, spans: [{ ...spans[0], length: { minWords: 2, maxWords: 2 } }], locked: [], settings: greedy })
    expect(range.spans[0].candidates[0].text).toBe('dog ran')
  })

  it('a later window sees the earlier windows’ fills, each candidate its own', async () => {
    const text = Array.from({ length: 8 }, () => 'the cat sat').join(' ') // 24 tokens
    const a = { id: 'a', from: 'the cat sat the '.length, to: 'the cat sat the cat'.length, slots: 2 }
    const bFrom = text.length - 'cat sat'.length
    const b = { id: 'b', from: bFrom, to: bFrom + 3, slots: 2 }
    // two windows of 24; the second (shifted left by the document's end) reaches span a
    const canvas = buildCanvas(text, [a, b], [], codec, { maxLength: 24, maskId: MASK })
    expect(canvas.windows.length).toBe(2)
    const w2 = canvas.windows[1]
    const from2 = canvas.spans[1].start - w2.spans[0].offset
    const aPos = [0, 1].map((k) => canvas.spans[0].start + k - from2)
    expect(aPos.every((p) => p >= 0 && w2.ids[p] === MASK)).toBe(true)
    const firstRowsOfWindow2 = (inputs: number[][]) => inputs.filter((row) => row.every((t, i) => aPos.includes(i) || t === w2.ids[i])).slice(0, 2)
    const settings = { ...DEFAULT_SAMPLING, strategy: 'low_confidence' as const, steps: 8, temperature: 0, candidates: 2 }

    const model = scriptedModel(codec.idOf('▁dog')!, codec.idOf('▁ran')!, 24)
    const r = await runFill(model, { requestId: 'w', text, spans: [a, b], locked: [], settings })
    const rows = firstRowsOfWindow2(model.inputs)
    expect(rows.length).toBe(2)
    for (const c of [0, 1]) expect(aPos.map((p) => rows[c][p])).toEqual(r.spans[0].candidates[c].tokenIds)
    // greedy candidates are diversified, so the two rows see different fills of span a
    expect(r.spans[0].candidates[0].tokenIds).not.toEqual(r.spans[0].candidates[1].tokenIds)

    // without cross-window conditioning the second window sees span a as masks
    const off = scriptedModel(codec.idOf('▁dog')!, codec.idOf('▁ran')!, 24)
    await runFill(off, { requestId: 'w', text, spans: [a, b], locked: [], settings }, {}, { crossWindow: false })
    const offRows = firstRowsOfWindow2(off.inputs)
    expect(offRows.length).toBe(2)
    for (const row of offRows) expect(aPos.map((p) => row[p])).toEqual([MASK, MASK])
  })

  it('a fill without a length target ends where the first pass puts the pads, with no floor', async () => {
    const model = scriptedModel(codec.idOf('▁dog')!, codec.idOf('▁ran')!)
    const text = 'the cat sat on the mat'
    const spans = [{ id: 's', from: 4, to: 7, slots: 8 }]
    // the model wants "dog ran" and pad after it (pad p ≈ 0.73 from slot 2 on)
    const r = await runFill(model, { requestId: 'n', text, spans, locked: [], settings: greedy })
    expect(r.spans[0].candidates[0].text).toBe('dog ran')
    // the floor the engine had before (3/4 of the budget) is only an option now
    const floored = await runFill(model, { requestId: 'n', text, spans, locked: [], settings: greedy }, {}, { minShare: 0.75 })
    expect(floored.spans[0].candidates[0].tokenIds.length).toBe(6)
  })

  it('a single masked word with no length and no room asked for is filled with one word', async () => {
    const model = scriptedModel(codec.idOf('▁dog')!, codec.idOf('▁ran')!)
    const text = 'the catdog sat on the mat' // "catdog": one word, two slots (▁cat, dog)
    const one = await runFill(model, { requestId: 'o', text, spans: [{ id: 's', from: 4, to: 10 }], locked: [], settings: greedy })
    for (const c of one.spans[0].candidates) expect(c.text.trim().split(/\s+/)).toHaveLength(1)
    // room asked for (slots), or two words masked: the model's length, "dog ran"
    const room = await runFill(model, { requestId: 'r', text, spans: [{ id: 's', from: 4, to: 10, slots: 2 }], locked: [], settings: greedy })
    expect(room.spans[0].candidates[0].text).toBe('dog ran')
    const two = await runFill(model, { requestId: 't', text: 'the cat sat on the mat', spans: [{ id: 's', from: 4, to: 11 }], locked: [], settings: greedy })
    expect(two.spans[0].candidates[0].text).toBe('dog ran')
  })

  it('untargetedRange: one word for a single masked word unless room was asked for', () => {
    expect(untargetedRange('slowly', false)).toEqual({ minWords: 1, maxWords: 1 })
    expect(untargetedRange(' PROOF-READER ', false)).toEqual({ minWords: 1, maxWords: 1 })
    expect(untargetedRange('slowly', true).maxWords).toBeGreaterThan(100)
    expect(untargetedRange('walked slowly', false).maxWords).toBeGreaterThan(100)
    expect(untargetedRange('', false).maxWords).toBeGreaterThan(100)
  })

  it('no fill starts with (or holds) a line break its original lacks, however much the model wants one', async () => {
    const model = scriptedModel(codec.idOf('\n')!, codec.idOf('▁ran')!)
    const text = 'the cat sat on the mat'
    const spans = [{ id: 's', from: 4, to: 7, slots: 3 }]
    for (const seed of [1, 2, 3]) {
      const r = await runFill(model, { requestId: 'n', text, spans, locked: [], settings: { ...DEFAULT_SAMPLING, seed, candidates: 3 } })
      for (const c of r.spans[0].candidates) expect(c.text).not.toMatch(/\n/)
    }
    // an original with a line break inside lets the fill have one, but not first
    const text2 = 'the cat.\n\nA dog sat on the mat'
    const spans2 = [{ id: 's', from: 4, to: 14, slots: 4 }]
    const r2 = await runFill(model, { requestId: 'n2', text: text2, spans: spans2, locked: [], settings: { ...DEFAULT_SAMPLING, candidates: 3 } })
    for (const c of r2.spans[0].candidates) expect(c.text).not.toMatch(/^\s*\n/)
  })

  it('greedy candidates are diversified, not copies', async () => {
    const model = scriptedModel(codec.idOf('▁cat')!, codec.idOf('▁sat')!)
    const text = 'the cat sat on the mat'
    const spans = [{ id: 's', from: 4, to: 7, slots: 3 }]
    const r = await runFill(model, { requestId: 'd', text, spans, locked: [], settings: { ...greedy, candidates: 3 } })
    const texts = r.spans[0].candidates.map((c) => c.text)
    expect(new Set(texts).size).toBe(3)
    expect(r.spans[0].candidates.length).toBe(3)
  })
})
