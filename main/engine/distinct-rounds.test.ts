/**
 * 1,000 rounds of 3 candidates through runFill with a hand-made tokenizer and a peaked fake
 * model (no model file needed): mixed one- to three-span requests, targets and none, seeds
 * 1..1000, the app's default settings, greedy and a near-deterministic temperature. No round
 * holds two candidates equal on every span, and every candidate is inside its range.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type SamplingSettings, type SpanSpec } from '../contract'
import { runFill, type FillModel } from './fill'
import { wordCount, wordRange } from './length-target'
import { rngStream } from './rng'
import { TokenizerCodec } from './text-codec'
import { unigramTokenizerJson } from './test-fixtures'

const codec = new TokenizerCodec(unigramTokenizerJson())
const V = codec.vocabSize
const PAD = 0
const MASK = 3
const FAVOURITES = ['▁the', '▁cat', '▁sat', '▁on', '▁mat', '▁dog', '▁ran', '.', ','].map((t) => codec.idOf(t)!)

/**
 * A peaked model: at each position one favourite token (chosen by the position and the id to
 * its left) far above the rest, a second one below it, pad likelier towards a masked run's end.
 */
function peakedModel(): FillModel {
  const banned = new Uint8Array(V)
  for (const id of [1, 2, 3]) banned[id] = 1
  return {
    info: { name: 'fake', family: 'mdlm', dir: '/fake', maxLength: 96, vocabSize: V, hash: '0'.repeat(64), provider: 'cpu' },
    codec,
    maskId: MASK,
    padId: PAD,
    shiftedLogits: false,
    vocab: V,
    banned,
    denoise: async (ids, batch, length) => {
      const out = new Float32Array(batch * length * V).fill(-6)
      for (let r = 0; r < batch; r++)
        for (let p = 0; p < length; p++) {
          const left = p > 0 ? Number(ids[r * length + p - 1]) : 0
          const base = (r * length + p) * V
          out[base + FAVOURITES[(p * 7 + left) % FAVOURITES.length]] = 6
          out[base + FAVOURITES[(p * 3 + left + 1) % FAVOURITES.length]] = 2
          // masks to the left: likelier the fill has ended by here
          let run = 0
          for (let q = p - 1; q >= 0 && Number(ids[r * length + q]) === MASK; q--) run++
          out[base + PAD] = run >= 2 ? 5 : 0
        }
      return out
    },
  }
}

const TEXT = 'the cat sat on the mat and the dog ran . It was the cat and the dog on the mat . The dog sat and the cat ran on the mat .'

describe('distinct candidates (fake model)', () => {
  it('1,000 rounds of 3 candidates over mixed spans, targets, seeds and settings: no duplicates, every candidate in range', async () => {
    const model = peakedModel()
    const words = [...TEXT.matchAll(/\S+/g)]
    const settingsOf: SamplingSettings[] = [
      { ...DEFAULT_SAMPLING },
      { ...DEFAULT_SAMPLING, strategy: 'low_confidence', temperature: 0, steps: 64 },
      { ...DEFAULT_SAMPLING, strategy: 'maskgit_plus', temperature: 0.2, steps: 8 },
    ]
    let redraws = 0
    let rounds = 0
    for (let k = 1; k <= 1000; k++) {
      const rng = rngStream(k, 99)
      const spans: SpanSpec[] = []
      let at = Math.floor(rng() * 4)
      const count = 1 + Math.floor(rng() * 3)
      for (let s = 0; s < count && at < words.length - 1; s++) {
        const n = 1 + Math.floor(rng() * 3)
        const a = words[at]
        const b = words[Math.min(words.length - 1, at + n - 1)]
        const target = rng() < 0.4 ? { minWords: Math.floor(rng() * 2), maxWords: 2 + Math.floor(rng() * 3) } : undefined
        spans.push({ id: `s${s}`, from: a.index!, to: b.index! + b[0].length, ...(target ? { length: target } : {}) })
        at += n + 1 + Math.floor(rng() * 5)
      }
      const settings = { ...settingsOf[k % settingsOf.length], seed: k, candidates: 3 }
      const r = await runFill(model, { requestId: `d${k}`, text: TEXT, spans, locked: [], settings }, { onRedraw: () => redraws++ })
      const keys = [0, 1, 2].map((c) => r.spans.map((s) => s.candidates[c].text.replace(/\s+/g, ' ').trim()).join('|'))
      expect(new Set(keys).size, `round ${k}: ${JSON.stringify(keys)}`).toBe(3)
      for (const s of r.spans) {
        const spec = spans.find((x) => x.id === s.spanId)!
        const range = spec.length ? wordRange(spec.length, wordCount(TEXT.slice(spec.from, spec.to))) : { minWords: 1, maxWords: Infinity }
        for (const c of s.candidates) {
          expect(wordCount(c.text), `round ${k}, span ${s.spanId}: "${c.text}"`).toBeGreaterThanOrEqual(range.minWords)
          expect(wordCount(c.text), `round ${k}, span ${s.spanId}: "${c.text}"`).toBeLessThanOrEqual(range.maxWords)
        }
      }
      rounds++
    }
    expect(rounds).toBe(1000)
    // the model is peaked enough that copies do come up and are redrawn
    expect(redraws).toBeGreaterThan(0)
    process.stdout.write(`distinct rounds (fake model): 1000 rounds of 3, ${redraws} redraws\n`)
  }, 300_000)
})
