import { describe, expect, it } from 'vitest'
import { KneserNeyTrigram } from '../baselines/kneser-ney'
import { countNgrams } from '../baselines/ngram-counts'
import { CountExpert, expertContext } from './count-expert'
import { EXPERT_MAX_RUN, fuseMasked, panelIds, runLength, withExperts, type ExpertPanel } from './expert-denoise'
import { fusedCorrect, type FitSlot } from './fit'
import { fuseSlot } from './fuse'
import { hiddenNgrams, Manuscript, subtractNgrams } from './manuscript'
import { findPassages } from './passages'
import { contextClass, requestWeights } from './weights'
import { sameKindOfWord, unknownWordIn, wordsOf } from './words'

// ids: 0 pad, 1 mask, 2 eos (special); words from 3 on
const WORDS = ['the', 'keeper', 'walked', 'to', 'lighthouse', 'at', 'dawn', 'Marrow', 'said', 'captain', 'sea']
const V = 3 + WORDS.length
const id = (w: string) => 3 + WORDS.indexOf(w)
const encode = (text: string) => text.split(/\s+/).filter(Boolean).map(id)
const banned = Uint8Array.from({ length: V }, (_, i) => (i === 1 || i === 2 ? 1 : 0))
const ids = panelIds(banned, 1, 0)
const softmax = (row: ArrayLike<number>) => {
  const m = Math.max(...Array.from(row).filter(Number.isFinite))
  const e = Array.from(row, (x) => (Number.isFinite(x) ? Math.exp(x - m) : 0))
  const z = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / z)
}

describe('fuseSlot', () => {
  it('keeps the pad mass of the model and renormalises the text tokens by the weighted product', () => {
    const logits = Float32Array.from({ length: V }, (_, v) => (v === 0 ? 1 : v === 1 ? 5 : 0))
    const expert = Float32Array.from({ length: V }, (_, v) => (v === id('keeper') ? Math.log(0.9) : Math.log(0.1 / (V - 4))))
    const before = softmax(Float32Array.from(logits).map((x, v) => (v === 1 ? -Infinity : x)))
    fuseSlot(logits, 0, V, [{ logp: expert, weight: 2 }], ids.keep, ids.never)
    const q = softmax(logits)
    expect(q[1]).toBe(0) // the mask gets nothing
    expect(q[0]).toBeCloseTo(before[0], 6) // pad keeps the model's probability
    expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
    expect(q.indexOf(Math.max(...q))).toBe(id('keeper'))
  })
  it('with weight 0 leaves the model distribution over text tokens', () => {
    const logits = Float32Array.from({ length: V }, (_, v) => v * 0.1)
    const expert = new Float32Array(V).fill(-1)
    const before = softmax(Float32Array.from(logits).map((x, v) => (v === 1 ? -Infinity : x)))
    fuseSlot(logits, 0, V, [{ logp: expert, weight: 0 }], ids.keep, ids.never)
    const q = softmax(logits)
    for (let v = 0; v < V; v++) expect(q[v]).toBeCloseTo(before[v], 6)
  })
})

describe('fuseSlot with leadText: whether a slot starts a word is the model\'s call', () => {
  // ids 3..6 start with a space (' the'), 7..13 continue the word before them ('ep', ',')
  const lead = Uint8Array.from({ length: V }, (_, v) => (v >= 7 ? 1 : 0))
  it('keeps the model\'s mass on each group; the expert chooses within it', () => {
    const logits = Float32Array.from({ length: V }, (_, v) => (v === 4 ? 3 : v === 5 ? 2.5 : v === 9 ? -3 : 0))
    // the expert is sure of id 9 (a piece that would glue onto the word before), and prefers 5 over 4
    const expert = Float32Array.from({ length: V }, (_, v) => Math.log(v === 9 ? 0.8 : v === 5 ? 0.1 : 0.1 / (V - 2)))
    const m = softmax(Float32Array.from(logits).map((x, v) => (v === 1 ? -Infinity : x)))
    const groupOf = (q: number[], g: number) => q.reduce((a, x, v) => a + (v >= 3 && lead[v] === g ? x : 0), 0)
    const fused = Float32Array.from(logits)
    fuseSlot(fused, 0, V, [{ logp: expert, weight: 3 }], ids.keep, ids.never, 1, undefined, lead)
    const q = softmax(fused)
    expect(groupOf(q, 1)).toBeCloseTo(groupOf(m, 1), 6)
    expect(groupOf(q, 0)).toBeCloseTo(groupOf(m, 0), 6)
    expect(q[0]).toBeCloseTo(m[0], 6)
    expect(q.indexOf(Math.max(...q))).toBe(5) // not 9: the model says a word starts here
    // without the groups the same expert glues: 9 wins
    const plain = Float32Array.from(logits)
    fuseSlot(plain, 0, V, [{ logp: expert, weight: 3 }], ids.keep, ids.never)
    const p = softmax(plain)
    expect(p.indexOf(Math.max(...p))).toBe(9)
  })
  it('with the model left out (an expert alone) the groups are the expert\'s own', () => {
    const logits = new Float32Array(V)
    const expert = Float32Array.from({ length: V }, (_, v) => Math.log(v === 9 ? 0.8 : 0.2 / (V - 4)))
    fuseSlot(logits, 0, V, [{ logp: expert, weight: 1 }], ids.keep, ids.never, 0, undefined, lead)
    const q = softmax(logits)
    expect(q.indexOf(Math.max(...q))).toBe(9)
    expect(q.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6)
  })
})

describe('count experts at a slot', () => {
  const text = 'the keeper walked to the lighthouse at dawn the keeper said the captain walked to the sea'
  const kn = new KneserNeyTrigram(countNgrams(encode(text), V))
  const expert = new CountExpert(kn, ids.unknown)

  it('reads both sides, skipping pad and stopping at masks', () => {
    const row = [id('the'), 1, 0, 0, id('walked'), 1, id('the')]
    expect(expertContext(row, 1, ids.unknown, 0)).toEqual({ l2: -1, l1: id('the'), r1: id('walked'), r2: -1 })
    expect(expertContext(row, 5, ids.unknown, 0)).toEqual({ l2: -1, l1: id('walked'), r1: id('the'), r2: -1 }) // pads skipped, the mask stops it
  })
  it('classes: none, one, both by how often the gap was seen', () => {
    expect(contextClass(false, false, 0)).toBe(0)
    expect(contextClass(true, false, 0)).toBe(1)
    expect(expert.classOf({ l2: -1, l1: id('the'), r1: id('walked'), r2: -1 })).toBe(3) // 'the keeper walked', 'the captain walked'
    expect(expert.classOf({ l2: -1, l1: id('sea'), r1: id('dawn'), r2: -1 })).toBe(2)
  })
  it('prefers the word seen between the neighbours', () => {
    const { logp } = expert.at({ l2: -1, l1: id('the'), r1: id('said'), r2: -1 })
    const best = logp.indexOf(Math.max(...logp))
    expect(best).toBe(id('keeper'))
    expect(logp[1]).toBe(-Infinity)
  })
  it('fuseMasked: with no known neighbour (a fully masked span) the model stands alone', () => {
    const panel: ExpertPanel = { ...ids, training: expert, weights: { training: [0, 3, 3, 3, 3], manuscript: [0, 0, 0, 0, 0] }, vocab: V, maskId: 1, padId: 0, shiftedLogits: false }
    const row = BigInt64Array.from([1, 1, 1], BigInt)
    const logits = Float32Array.from({ length: 3 * V }, (_, i) => (i % V) * 0.01)
    const copy = Float32Array.from(logits)
    fuseMasked(panel, row, 1, 3, logits)
    expect(Array.from(logits.subarray(V, 2 * V))).toEqual(Array.from(copy.subarray(V, 2 * V)))
    // with both neighbours known the counts pull towards what they saw
    const row2 = BigInt64Array.from([id('the'), 1, id('said')], BigInt)
    const l2 = Float32Array.from({ length: 3 * V }, (_, i) => (i % V === id('sea') ? 1 : 0))
    fuseMasked(panel, row2, 1, 3, l2)
    const q = softmax(l2.subarray(V, 2 * V))
    expect(q.indexOf(Math.max(...q))).toBe(id('keeper'))
  })
})

describe('runLength and the phrase gate', () => {
  const kn = new KneserNeyTrigram(countNgrams(encode('the keeper said the keeper said the captain walked'), V))
  const ungated: ExpertPanel = { ...ids, training: new CountExpert(kn, ids.unknown), weights: { training: [0, 3, 3, 3, 3], manuscript: [0, 0, 0, 0, 0] }, vocab: V, maskId: 1, padId: 0, shiftedLogits: false }
  it('measures the text slots of the run a position is in (pads are in the run, not counted)', () => {
    const row = Int32Array.from([id('the'), 1, 1, id('said'), 1, 0])
    expect(runLength(null, row, 1, 1)).toBe(2)
    expect(runLength(null, row, 4, 1, 0)).toBe(1)
    expect(runLength(Uint8Array.from([0, 1, 1, 1, 1, 1]), row, 1, 1, 0)).toBe(4)
    expect(runLength(Uint8Array.from([0, 1, 1, 0, 1, 1]), row, 4, 1, 0)).toBe(1)
  })
  it('a run of more than one text slot is the model\'s alone; a slot between the writer\'s words hears the counts', () => {
    expect(EXPERT_MAX_RUN).toBe(1)
    const panel: ExpertPanel = { ...ungated, maxRun: EXPERT_MAX_RUN }
    const pair = [id('the'), 1, 1, id('said')]
    const logits = Float32Array.from({ length: 4 * V }, (_, i) => (i % V) * 0.01)
    const copy = Float32Array.from(logits)
    fuseMasked(panel, BigInt64Array.from(pair, BigInt), 1, 4, logits)
    expect(Array.from(logits)).toEqual(Array.from(copy))
    // the same span once its second slot is a pad (the fill ends after one word): both neighbours known
    const one = [id('the'), 1, 0, id('said')]
    const l2 = Float32Array.from({ length: 4 * V }, (_, i) => (i % V) * 0.01)
    fuseMasked(panel, BigInt64Array.from(one, BigInt), 1, 4, l2)
    const q = softmax(l2.subarray(V, 2 * V))
    expect(q.indexOf(Math.max(...q))).toBe(id('keeper'))
    // without maxRun (scoring given candidates) the edges of the pair hear the counts
    const l3 = Float32Array.from({ length: 4 * V }, (_, i) => (i % V) * 0.01)
    fuseMasked(ungated, BigInt64Array.from(pair, BigInt), 1, 4, l3)
    expect(Array.from(l3)).not.toEqual(Array.from(copy))
  })
})

describe('withExperts', () => {
  const kn = new KneserNeyTrigram(countNgrams(encode('the keeper said the keeper said the captain walked'), V))
  const panel: ExpertPanel = { ...ids, training: new CountExpert(kn, ids.unknown), weights: { training: [0, 3, 3, 3, 3], manuscript: [0, 0, 0, 0, 0] }, vocab: V, maskId: 1, padId: 0, shiftedLogits: false }
  const flat = async (_ids: BigInt64Array, batch: number, length: number) => new Float32Array(batch * length * V)
  const at = (logits: Float32Array, p: number) => softmax(logits.subarray(p * V, (p + 1) * V))

  it('a token this fill revealed is not context for the counts; the document text is', async () => {
    const denoise = withExperts(flat, panel)
    // 'the [m] [m] the': slot 1 hears 'the' on its left only
    const first = at(await denoise(BigInt64Array.from([id('the'), 1, 1, id('the')], BigInt), 1, 4), 2)
    // slot 1 revealed as 'keeper': slot 2 still reads no left neighbour (a revealed slot), so it is what it was
    const second = at(await denoise(BigInt64Array.from([id('the'), id('keeper'), 1, id('the')], BigInt), 1, 4), 2)
    for (let v = 0; v < V; v++) expect(second[v]).toBeCloseTo(first[v], 6)
    // a new window (the text outside the slots changed): 'keeper' is document text now, and 'said' follows it
    const fresh = at(await withExperts(flat, panel)(BigInt64Array.from([id('the'), id('keeper'), 1, id('the')], BigInt), 1, 4), 2)
    expect(fresh.indexOf(Math.max(...fresh))).toBe(id('said'))
    expect(fresh[id('said')]).toBeGreaterThan(second[id('said')])
  })
  it('rows of other texts in one batch (an eval batch) keep their own context', async () => {
    const denoise = withExperts(flat, panel)
    const batch = BigInt64Array.from([id('the'), 1, id('said'), id('keeper'), id('said'), 1], BigInt)
    const logits = await denoise(batch, 2, 3)
    const alone = await withExperts(flat, panel)(BigInt64Array.from([id('keeper'), id('said'), 1], BigInt), 1, 3)
    const q = softmax(logits.subarray((3 + 2) * V, (3 + 3) * V))
    const r = softmax(alone.subarray(2 * V, 3 * V))
    for (let v = 0; v < V; v++) expect(q[v]).toBeCloseTo(r[v], 6)
  })
  it('the fused distribution is no sharper than a weighted geometric mean allows', async () => {
    const q = at(await withExperts(flat, panel)(BigInt64Array.from([id('keeper'), 1, id('the')], BigInt), 1, 3), 1)
    const { logp } = panel.training!.at({ l2: -1, l1: id('keeper'), r1: id('the'), r2: -1 })
    const best = Math.max(...q)
    expect(best).toBeLessThanOrEqual(Math.exp(Math.max(...logp)) + 1e-6)
  })
})

describe('the manuscript', () => {
  const codec = { encode, vocab: V, separator: 2, never: ids.unknown }
  it('counts documents, updates one, forgets all', () => {
    const m = new Manuscript()
    m.useCodec(codec)
    m.set('a', 'the keeper walked to the lighthouse')
    m.set('b', 'Marrow said')
    expect(m.status()).toEqual({ documents: 2, words: 8, tokens: 8 })
    m.set('a', 'the captain said')
    expect(m.status().words).toBe(5)
    expect(m.expert()?.kn.count(id('keeper'))).toBe(0)
    expect(m.expert()?.kn.count(id('captain'))).toBe(1)
    m.clear()
    expect(m.status()).toEqual({ documents: 0, words: 0, tokens: 0 })
    expect(m.expert()).toBeNull()
  })
  it('a change tokenizes only the paragraphs it touched; paragraphs do not run into each other', () => {
    const seen: string[] = []
    const m = new Manuscript()
    m.useCodec({ ...codec, encode: (t: string) => (seen.push(t), encode(t)) })
    m.set('a', 'the keeper walked\n\nto the lighthouse at dawn')
    expect(seen).toEqual(['the keeper walked', 'to the lighthouse at dawn'])
    m.set('a', 'the keeper walked\n\nto the sea at dawn')
    expect(seen.slice(2)).toEqual(['to the sea at dawn'])
    expect(m.status().tokens).toBe(8) // 3 + 5 (the separator is not a word's token)
    const kn = m.expert()!.kn
    expect(kn.gapCount(id('walked'), id('the'))).toBe(0) // 'walked to the' crosses the paragraph break
  })
  it('the text under a mask never counts for its own fill', () => {
    const m = new Manuscript()
    m.useCodec(codec)
    const text = 'the keeper said Marrow walked to the sea'
    m.set('doc', text)
    const from = text.indexOf('Marrow')
    const hidden = m.expert({ documentId: 'doc', text, ranges: [{ from, to: from + 'Marrow'.length }] })!
    expect(hidden.kn.count(id('Marrow'))).toBe(0)
    expect(hidden.kn.count(id('said'))).toBe(1)
    expect(m.expert()!.kn.count(id('Marrow'))).toBe(1)
    // another document's copy of the word still counts
    m.set('other', 'Marrow')
    expect(m.expert({ documentId: 'doc', text, ranges: [{ from, to: from + 6 }] })!.kn.count(id('Marrow'))).toBe(1)
  })
  it('subtractNgrams drops exactly the n-grams that hold a hidden token', () => {
    const counts = countNgrams(encode('the keeper walked to the sea'), V)
    const removed = hiddenNgrams('the keeper walked to the sea', [{ from: 4, to: 10 }], { encode })
    expect(removed.unigrams).toEqual([id('keeper')])
    expect(removed.bigrams).toEqual([
      [id('the'), id('keeper')],
      [id('keeper'), id('walked')],
    ])
    const less = subtractNgrams(counts, removed)
    expect(less.tokens).toBe(5)
    expect(less.bigramKeys.length).toBe(counts.bigramKeys.length - 2)
    expect(less.trigramKeys.length).toBe(counts.trigramKeys.length - 2) // 'the keeper walked', 'keeper walked to'
  })
  it('near and adjacent hidden ranges leave counts a Kneser-Ney model takes (no trigram over a removed bigram)', () => {
    // an e2e fill with four masked words failed: "a trigram whose suffix is not a bigram"
    const text = 'the man the big black dog sat the sea'
    const counts = countNgrams(encode(text), V)
    const at = (w: string) => text.indexOf(w)
    const removed = hiddenNgrams(text, [{ from: at('man'), to: at('man') + 3 }, { from: at('big'), to: at('big') + 3 }, { from: at('black'), to: at('black') + 5 }], { encode })
    const less = subtractNgrams(counts, removed)
    const bigrams = new Set(less.bigramKeys)
    for (const key of less.trigramKeys) {
      expect(bigrams.has(key % (V * V))).toBe(true)
      expect(bigrams.has(Math.floor(key / V))).toBe(true)
    }
    expect(() => new KneserNeyTrigram(less)).not.toThrow()
  })
})

describe('passages', () => {
  const stream = encode('the captain Marrow said the keeper Marrow said the old captain walked')
  const stop = new Uint8Array(V)
  it('finds runs between matching contexts, most frequent first', () => {
    const found = findPassages([stream], { l2: -1, l1: id('captain'), r1: id('said'), r2: id('the'), minLen: 1, maxLen: 3, limit: 5, stop })
    expect(found).toEqual([{ ids: [id('Marrow')], count: 1 }])
    const both = findPassages([stream], { l2: -1, l1: id('the'), r1: id('said'), r2: -1, minLen: 1, maxLen: 3, limit: 5, stop })
    expect(both.map((p) => p.count)).toEqual([1, 1])
  })
  it('needs both near neighbours', () => {
    expect(findPassages([stream], { l2: -1, l1: -1, r1: id('said'), r2: -1, minLen: 1, maxLen: 3, limit: 5, stop })).toEqual([])
  })
  it('a run seen once is kept only when every neighbour the span has matches; twice is enough', () => {
    const text = encode('at dawn the keeper walked to the sea at dawn the captain walked to the lighthouse')
    // span 'X the [..] walked to Y': l2 'dawn', l1 'the', r1 'walked', r2 'to'
    const q = { l2: id('dawn'), l1: id('the'), r1: id('walked'), r2: id('to'), minLen: 1, maxLen: 2, limit: 5, stop }
    expect(findPassages([text], q).map((p) => p.ids)).toEqual([[id('keeper')], [id('captain')]])
    // l2 'captain' matches neither: each run was seen once with only r2 matching, a coincidence
    expect(findPassages([text], { ...q, l2: id('captain') })).toEqual([])
    // the same run twice with one neighbour matching is kept
    const twice = encode('at dawn the keeper walked to the sea at sea the keeper walked to the lighthouse')
    expect(findPassages([twice], { ...q, l2: id('captain') })).toEqual([{ ids: [id('keeper')], count: 2 }])
  })
  it('with leadText, a passage starts with a space exactly when the writer has one before the span', () => {
    // read 'Marrow' as a piece that continues the word before it ('captain' + 'Marrow' as one word)
    const leadText = Uint8Array.from({ length: V }, (_, v) => (v === id('Marrow') ? 1 : 0))
    const q = { l2: -1, l1: id('the'), r1: id('said'), r2: -1, minLen: 1, maxLen: 3, limit: 5, stop, leadText }
    expect(findPassages([stream], { ...q, spaceBefore: true }).map((p) => p.ids)).toEqual([[id('captain'), id('Marrow')], [id('keeper'), id('Marrow')]])
    expect(findPassages([stream], { ...q, l1: id('captain'), spaceBefore: true })).toEqual([])
    expect(findPassages([stream], { ...q, l1: id('captain'), spaceBefore: false }).map((p) => p.ids)).toEqual([[id('Marrow')]])
  })
})

describe('sameKindOfWord (Other words)', () => {
  it('a function word for a function word, a content word for a content word', () => {
    expect(sameKindOfWord('the', 'a')).toBe(true)
    expect(sameKindOfWord('the', 'his')).toBe(true)
    expect(sameKindOfWord('the', 'sea')).toBe(false)
    expect(sameKindOfWord('was', 'and')).toBe(false) // an auxiliary and a conjunction
    expect(sameKindOfWord('was', 'is')).toBe(true)
    expect(sameKindOfWord('which', 'of')).toBe(false)
    expect(sameKindOfWord('which', 'that')).toBe(true)
    expect(sameKindOfWord('keeper', 'and')).toBe(false)
    expect(sameKindOfWord('keeper', 'captain')).toBe(true)
  })
  it('a lower-case original gets lower-case alternatives; a capitalised one takes either', () => {
    expect(sameKindOfWord('nobles', 'Pen')).toBe(false)
    expect(sameKindOfWord('nobles', 'N')).toBe(false)
    expect(sameKindOfWord('Orla', 'Maren')).toBe(true)
    expect(sameKindOfWord('Storms', 'rain')).toBe(true)
    expect(sameKindOfWord('I', 'We')).toBe(true)
  })
})

describe('weights and words', () => {
  it('the control scales the manuscript only, 0.5 as fitted', () => {
    const file = { training: [0, 1, 2, 3, 4], manuscript: [0, 1, 1, 2, 2] }
    expect(requestWeights(file, 0.5)).toEqual(file)
    expect(requestWeights(file, 0).manuscript).toEqual([0, 0, 0, 0, 0])
    expect(requestWeights(file, 1).manuscript).toEqual([0, 2, 2, 4, 4])
  })
  it('finds a word neither list knows', () => {
    expect(wordsOf("The keeper's lamp—dontt")).toEqual(["the", "keeper's", 'lamp', 'dontt'])
    expect(unknownWordIn('the adable lamp', [new Set(['the', 'lamp'])])).toBe('adable')
    expect(unknownWordIn('the Lamp', [new Set(['the']), new Set(['lamp'])])).toBeNull()
    // a word glued to digits is no word, though its letters are one ("a ⟦thousand25⟧" for "goat")
    const known = [new Set(['thousand', 'the', 'th', 'in'])]
    expect(unknownWordIn(' thousand25', known)).toBe('thousand25')
    expect(unknownWordIn('the 25th thousand in 1861', known)).toBeNull()
  })
  it('fit: a tie with the truth is not a hit', () => {
    const slot: FitSlot = { truth: 0, ids: Int32Array.from([5, 6]), model: Float32Array.from([0, 0]), training: Float32Array.from([-1, -2]), manuscript: Float32Array.from([0, 0]), trainingClass: 1, manuscriptClass: 1 }
    expect(fusedCorrect(slot, 1, 0, 0)).toBe(false)
    expect(fusedCorrect(slot, 1, 1, 0)).toBe(true)
  })
})

describe('scoreCandidates', () => {
  it('ranks by the fused log-probability; a word token by token, a phrase from one all-masked row', async () => {
    const { scoreCandidates } = await import('./candidate-score')
    const rowsSeen: number[] = []
    const denoise = async (ids: BigInt64Array, batch: number, length: number) => {
      rowsSeen.push(batch)
      const out = new Float32Array(batch * length * V)
      for (let i = 0; i < batch * length; i++) if (ids[i] === 1n) out[i * V + id('keeper')] = 3
      return out
    }
    const window = { left: [id('the')], right: [id('said')] }
    const five = [id('keeper'), id('keeper'), id('sea'), id('sea'), id('sea')]
    const s = await scoreCandidates(denoise, window, [[id('keeper')], [id('sea')], [id('keeper'), id('keeper'), id('sea')], five], 1, V)
    expect(s[0]).toBeGreaterThan(s[1])
    // two one-token candidates: a row each; the 3-token one (a name's length): a row a token; the 5-token one: one row
    expect(rowsSeen).toEqual([2, 3, 1])
    expect(s[2]).toBeCloseTo((2 * s[0] + s[1]) / 3, 5)
    expect(s[3]).toBeCloseTo((2 * s[0] + 3 * s[1]) / 5, 5)
  })
})
