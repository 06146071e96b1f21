import { describe, expect, it } from 'vitest'
import { casedAs, likeness, LIKENESS, looksLikeName, MIN_SIMILARITY, rankAlternatives, startsSentence, type ScoredAlternative } from './alternatives'
import { parseThesaurus, THESAURUS_LIMITS } from './thesaurus'

/** A thesaurus file as models/train/thesaurus.py writes one (vectors scaled to unit length, ×127). */
function file(words: string[], vectors: number[][], patch?: (b: Uint8Array) => void, seen = words.map(() => 100)): Uint8Array {
  const blob = new TextEncoder().encode(words.join('\n'))
  const dims = vectors[0]?.length ?? 0
  const out = new Uint8Array(20 + blob.length + 4 * words.length + words.length * dims)
  out.set(new TextEncoder().encode('INFTHS01'), 0)
  const view = new DataView(out.buffer)
  view.setUint32(8, words.length, true)
  view.setUint32(12, dims, true)
  view.setUint32(16, blob.length, true)
  out.set(blob, 20)
  seen.forEach((c, i) => view.setUint32(20 + blob.length + 4 * i, c, true))
  const q = new Int8Array(out.buffer, 20 + blob.length + 4 * words.length)
  vectors.forEach((v, i) => {
    const n = Math.hypot(...v)
    v.forEach((x, d) => (q[i * dims + d] = Math.round((x / n) * 127)))
  })
  patch?.(out)
  return out
}

const WORDS = ['wind', 'rain', 'storm', 'Pequod', 'slowly']
const VECTORS = [
  [1, 0.1, 0],
  [0.9, 0.3, 0],
  [0.8, -0.2, 0.1],
  [0.2, 1, 0],
  [0, 0, 1],
]

describe('thesaurus file', () => {
  const t = parseThesaurus(file(WORDS, VECTORS), 'experts.thesaurus.bin')

  it('gives the nearest words, most alike first, in their own case, never the word itself', () => {
    const n = t.neighbours('WIND', 3)
    expect(n.map((x) => x.word)).toEqual(['rain', 'storm', 'Pequod'])
    expect(n[0].similarity).toBeGreaterThan(n[1].similarity)
    expect(n[0].similarity).toBeCloseTo(0.97, 1)
    expect(t.neighbours('pequod', 1)[0].word).toBe('rain')
    expect(t.neighbours('breeze', 3)).toEqual([])
    expect(t.neighbours('wind', 0)).toEqual([])
  })

  it('says how often a word was seen, and leaves out words seen too rarely', () => {
    const rare = parseThesaurus(file(WORDS, VECTORS, undefined, [400, 30, 8, 60, 200]), 'experts.thesaurus.bin')
    expect(rare.timesSeen('Rain')).toBe(30)
    expect(rare.timesSeen('breeze')).toBe(0)
    expect(rare.has('storm', 20)).toBe(false)
    expect(rare.has('storm')).toBe(true)
    expect(rare.neighbours('wind', 3, 20).map((x) => x.word)).toEqual(['rain', 'Pequod', 'slowly'])
    expect(likeness(rare, 'rain', 'wind', 'model')).toBeNull() // 'rain' seen 30 times: too few to speak for it
    expect(() => parseThesaurus(file(WORDS, VECTORS, undefined, [1, 1, 0, 1, 1]), 'experts.thesaurus.bin')).toThrow(/seen 0 times/)
  })

  it('compares any case and says null for a word it does not know', () => {
    expect(t.has('Wind')).toBe(true)
    expect(t.similarity('Slowly', 'wind')).toBeCloseTo(0, 1)
    expect(t.similarity('wind', 'breeze')).toBeNull()
  })

  it('refuses a broken file, naming it, what is wrong and what to do', () => {
    const refuse = (bytes: Uint8Array) => () => parseThesaurus(bytes, 'experts.thesaurus.bin')
    expect(refuse(new TextEncoder().encode('not a thesaurus at all'))).toThrow(/experts\.thesaurus\.bin: not a thesaurus file.*models\/train\/thesaurus\.py/)
    expect(refuse(file(WORDS, VECTORS).subarray(0, 60))).toThrow(/bytes where its header implies/)
    expect(refuse(file(WORDS, VECTORS, (b) => new DataView(b.buffer).setUint32(12, THESAURUS_LIMITS.dims + 1, true)))).toThrow(/dimensions: expected 1 to 1024/)
    expect(refuse(file(WORDS, VECTORS, (b) => new DataView(b.buffer).setUint32(8, 0, true)))).toThrow(/0 words/)
    expect(refuse(file(['wind', 'Wind'], VECTORS.slice(0, 2)))).toThrow(/distinct \(ignoring case\)/)
    const bad = file(WORDS, VECTORS)
    bad[20] = 0xff
    expect(refuse(bad)).toThrow(/not UTF-8/)
  })
})

describe('names in the thesaurus', () => {
  it('gives the capitalised words nearest to the seed names, most alike first, seen often enough', () => {
    const words = ['John', 'Mary', 'Peter', 'Paris', 'wind', "I'm", 'Rare']
    const vectors = [
      [1, 0.1, 0],
      [0.9, 0.2, 0],
      [0.95, 0, 0.1],
      [0.3, 1, 0],
      [1, 0, 0],
      [1, 0, 0.05],
      [1, 0.1, 0.01],
    ]
    const t = parseThesaurus(file(words, vectors, undefined, [100, 90, 80, 70, 500, 60, 3]), 'experts.thesaurus.bin')
    expect(t.names(['Peter', 'Nobody'], 3, 20)).toEqual(['Peter', 'John', 'Mary'])
    expect(t.names(['Nobody'], 3)).toEqual([])
    expect(t.names(['John'], 10, 20)).not.toContain('wind') // not capitalised
    expect(t.names(['John'], 10, 20)).not.toContain("I'm")
    expect(t.names(['John'], 10, 20)).not.toContain('Rare') // seen 3 times
  })

  it('reads a capitalised word inside a sentence as a name, and one at a sentence start only when unknown', () => {
    const t = { timesSeen: (w: string) => (w === 'Slowly' || w === 'Ahab' ? 100 : 0) }
    expect(startsSentence('Orla ran.', 0)).toBe(true)
    expect(startsSentence('He ran. “Orla!', 9)).toBe(true)
    expect(startsSentence('Up.\nOrla', 4)).toBe(true)
    expect(startsSentence('the keeper Orla', 11)).toBe(false)
    expect(looksLikeName('the keeper Orla climbed', 11, 'Orla', t)).toBe(true)
    expect(looksLikeName('the keeper Ahab climbed', 11, 'Ahab', t)).toBe(true)
    expect(looksLikeName('Orla climbed', 0, 'Orla', t)).toBe(true)
    expect(looksLikeName('Slowly he climbed', 0, 'Slowly', t)).toBe(false)
    expect(looksLikeName('and The end', 4, 'The', t)).toBe(false) // a function word
    expect(looksLikeName('the NATO line', 4, 'NATO', t)).toBe(false) // all capitals
  })
})

describe('Other words with a thesaurus', () => {
  const t = parseThesaurus(file(WORDS, VECTORS), 'experts.thesaurus.bin')
  const alt = (text: string, score: number, like: number | null, more: Partial<ScoredAlternative> = {}): ScoredAlternative => ({ text, score, origin: 'model', unknown: false, likeness: like, ...more })

  it('writes a neighbour in the case of the original', () => {
    expect(casedAs('wind', 'rain')).toBe('rain')
    expect(casedAs('Wind', 'rain')).toBe('Rain')
    expect(casedAs('WIND', 'rain')).toBe('RAIN')
    expect(casedAs('I', 'rain')).toBe('Rain')
    expect(casedAs('wind', 'Pequod')).toBe('Pequod')
  })

  it('measures likeness only where the thesaurus knows the original; the writer\'s own unknown words are just alike enough', () => {
    expect(likeness(t, 'wind', 'rain', 'model')).toBeGreaterThan(0.9)
    expect(likeness(t, 'breeze', 'rain', 'model')).toBeNull()
    expect(likeness(null, 'wind', 'rain', 'model')).toBeNull()
    expect(likeness(t, 'wind', 'Quarrender', 'manuscript')).toBe(MIN_SIMILARITY)
    expect(likeness(t, 'wind', 'Quarrender', 'model')).toBe(0)
  })

  it('drops unknown words, ranks words alike to the original first, then by fit plus likeness', () => {
    const ranked = rankAlternatives(
      [
        alt('man', -1, 0.39), // fits best, not alike
        alt('sun', -3.5, 0.63),
        alt('rain', -2.5, 0.6),
        alt('adable', 5, 0.9, { unknown: true }),
        alt('waves', Number.NaN, 0.7),
      ],
      4,
    )
    expect(ranked.map((a) => a.text)).toEqual(['rain', 'sun', 'man'])
    // 0.1 more likeness outweighs 2 nats less fit only just: LIKENESS says how much
    expect(rankAlternatives([alt('a', -2, 0.6), alt('b', -2 - LIKENESS * 0.1 + 0.01, 0.7)], 2)[0].text).toBe('b')
    // a floor (the original's own score less a margin) drops what fits far worse
    expect(rankAlternatives([alt('has', -6.3, null), alt('had', -1, null)], 3, -2).map((a) => a.text)).toEqual(['had'])
    // without a thesaurus's say, the fused score alone ranks
    expect(rankAlternatives([alt('a', -2, null), alt('b', -1, null)], 1)).toEqual([{ text: 'b', score: -1, origin: 'model' }])
  })
})
