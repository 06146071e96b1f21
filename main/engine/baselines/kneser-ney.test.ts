import { describe, expect, it } from 'vitest'
import { KeyIndex } from './key-index'
import { contextAt, discountOf, greedyTrigramFill, KneserNeyTrigram, sequenceNll } from './kneser-ney'
import { countNgrams, readCounts, writeCounts } from './ngram-counts'

// Ids: a = 0, b = 1, c = 2, d = 3 (never seen). The corpus "a b a b c".
const [a, b, c, d] = [0, 1, 2, 3]
const V = 4
const corpus = [a, b, a, b, c]
const counts = countNgrams(corpus, V)
/** Every discount 0.5, so the hand computations below stay readable. */
const kn = new KneserNeyTrigram(counts, {
  discounts: { trigram: 0.5, bigram: 0.5, bigramContinuation: 0.5, unigram: 0.5, unigramContinuation: 0.5 },
})

// Hand-checked values (see each comment):
// continuation counts N1+(•w): a (after b), b (after a), c (after b) once each; N1+(••) = 3 distinct bigrams.
const P1 = { a: (0.5 + (0.5 * 3) / 4) / 3, d: (0 + (0.5 * 3) / 4) / 3 } // 0.291667, 0.125
// N1+(•ab) = 1 (bab), N1+(•ba) = 1 (aba), N1+(•bc) = 1 (abc); N1+(•a•) = 1, N1+(•b•) = 2.
const P2 = {
  bGivenA: (0.5 + 0.5 * 1 * P1.a) / 1, // 0.645833
  aGivenB: (0.5 + 0.5 * 2 * P1.a) / 2, // 0.395833
  cGivenB: (0.5 + 0.5 * 2 * P1.a) / 2,
  bGivenB: (0 + 0.5 * 2 * P1.a) / 2, // 0.145833
}
// c(ab•) = 2 over 2 types (aba, abc); c(ba•) = 1 (bab).
const P3 = {
  cGivenAB: (0.5 + 0.5 * 2 * P2.cGivenB) / 2, // 0.447917
  aGivenAB: (0.5 + 0.5 * 2 * P2.aGivenB) / 2,
  bGivenAB: (0 + 0.5 * 2 * P2.bGivenB) / 2, // 0.072917
  bGivenBA: (0.5 + 0.5 * 1 * P2.bGivenA) / 1, // 0.822917
}

describe('n-gram counts', () => {
  it('counts unigrams, bigrams and trigrams of a stream', () => {
    expect(Array.from(counts.unigram)).toEqual([2, 2, 1, 0])
    expect(Array.from(counts.bigramKeys)).toEqual([a * V + b, b * V + a, b * V + c])
    expect(Array.from(counts.bigramCounts)).toEqual([2, 1, 1])
    expect(Array.from(counts.trigramKeys)).toEqual([(a * V + b) * V + a, (a * V + b) * V + c, (b * V + a) * V + b])
    expect(Array.from(counts.trigramCounts)).toEqual([1, 1, 1])
  })

  it('rejects ids outside the vocabulary and vocabularies too large to pack', () => {
    expect(() => countNgrams([0, 4], 4)).toThrow(/id 4 at 1 is outside the vocabulary of 4/)
    expect(() => countNgrams([0], 300_000)).toThrow(/cannot be packed/)
  })

  it('round-trips through the cache file format', () => {
    const buf = writeCounts(counts, { corpusHash: 'abc' })
    const back = readCounts(buf)
    expect(back.header.corpusHash).toBe('abc')
    expect(back.counts).toEqual(counts)
    expect(() => readCounts(buf.subarray(0, buf.length - 8))).toThrow(/truncated/)
    expect(() => readCounts(Buffer.from('something else'))).toThrow(/not an n-gram counts file/)
  })

  it('indexes packed keys by hash', () => {
    const keys = Float64Array.from([5, 2 ** 40 + 7, 123456789012, 0, 2 ** 52 - 1])
    const index = new KeyIndex(keys)
    keys.forEach((k, i) => expect(index.get(k)).toBe(i))
    expect(index.get(6)).toBe(-1)
    expect(index.get(2 ** 40 + 8)).toBe(-1)
  })
})

describe('interpolated Kneser-Ney trigram', () => {
  it('estimates discounts as n1 / (n1 + 2 n2)', () => {
    expect(discountOf([1, 1, 2, 3])).toBeCloseTo(2 / (2 + 2))
    expect(discountOf([2, 2])).toBe(0.5) // nothing seen once
    const auto = new KneserNeyTrigram(counts)
    // raw bigram counts [2, 1, 1]: n1 = 2, n2 = 1; raw unigram counts [2, 2, 1]: n1 = 1, n2 = 2.
    expect(auto.discounts.bigram).toBeCloseTo(0.5)
    expect(auto.discounts.unigram).toBeCloseTo(0.2)
    expect(auto.discounts.trigram).toBe(1)
  })

  it('matches hand-computed probabilities at every order', () => {
    expect(kn.unigramContinuation(a)).toBeCloseTo(0.291667, 5)
    expect(kn.unigramContinuation(d)).toBeCloseTo(0.125, 6)
    // raw unigram: (max(c - 0.5, 0) + 0.5 * 3 / 4) / 5
    expect(kn.unigram(a)).toBeCloseTo(0.375, 6)
    expect(kn.unigram(c)).toBeCloseTo(0.175, 6)
    expect(kn.unigram(d)).toBeCloseTo(0.075, 6)
    expect(kn.bigramContinuation(b, a)).toBeCloseTo(0.645833, 5)
    expect(kn.bigramContinuation(a, b)).toBeCloseTo(0.395833, 5)
    expect(kn.bigramContinuation(d, a)).toBeCloseTo(0.0625, 6)
    // raw bigram as the top order: c(ab) = 2, c(a•) = 2, one type
    expect(kn.bigram(b, a)).toBeCloseTo((1.5 + 0.5 * P1.a) / 2, 6)
    expect(kn.trigram(c, a, b)).toBeCloseTo(0.447917, 5)
    expect(kn.trigram(b, a, b)).toBeCloseTo(0.072917, 5)
    expect(kn.trigram(d, a, b)).toBeCloseTo(0.03125, 6)
    expect(kn.trigram(b, b, a)).toBeCloseTo(0.822917, 5)
    // unseen history (c, b) falls back to P2(w | b); a history never continued falls back to P1
    expect(kn.trigram(a, c, b)).toBeCloseTo(P2.aGivenB, 6)
    expect(kn.bigramContinuation(a, c)).toBeCloseTo(P1.a, 6)
    expect(P3.aGivenAB).toBeCloseTo(P3.cGivenAB, 9)
  })

  it('every order is a distribution over the vocabulary', () => {
    const sum = (f: (w: number) => number) => [a, b, c, d].reduce((s, w) => s + f(w), 0)
    expect(sum((w) => kn.unigram(w))).toBeCloseTo(1, 12)
    for (const v of [a, b, c, d]) {
      expect(sum((w) => kn.bigram(w, v))).toBeCloseTo(1, 12)
      for (const u of [a, b, c, d]) expect(sum((w) => kn.trigram(w, u, v))).toBeCloseTo(1, 12)
    }
  })

  it('picks the slot filler from both sides: a b _ b c', () => {
    // score(w) = P3(w | a b) · P3(b | b w) · P3(c | w b)
    const scoreA = P3.aGivenAB * P3.bGivenBA * P3.cGivenAB // 0.16510
    const scoreC = P3.cGivenAB * P1.a * P2.cGivenB // (b c) and (c b) histories unseen: 0.05171
    const out = new Float64Array(V)
    const sum = kn.slotScores({ l2: a, l1: b, r1: b, r2: c }, out)
    expect(out[a]).toBeCloseTo(scoreA, 9)
    expect(out[c]).toBeCloseTo(scoreC, 9)
    expect(out[a]).toBeCloseTo(0.165103, 5)
    const best = kn.bestAt({ l2: a, l1: b, r1: b, r2: c })
    expect(best.token).toBe(a)
    expect(best.prob).toBeCloseTo(scoreA / sum, 9)
    // a banned id is never chosen
    const banned = Uint8Array.from([1, 0, 0, 0])
    expect(kn.bestAt({ l2: a, l1: b, r1: b, r2: c }, banned).token).not.toBe(a)
  })

  it('drops masked and outside neighbours', () => {
    expect(contextAt([a, -1, b, c], 2)).toEqual({ l2: a, l1: -1, r1: c, r2: -1 })
    // without l1 the left factor is the raw unigram and l2 is ignored; without r1, r2 is ignored
    const out = new Float64Array(V)
    kn.slotScores({ l2: a, l1: -1, r1: -1, r2: c }, out)
    expect(out[b]).toBeCloseTo(kn.unigram(b), 12)
    kn.slotScores({ l2: -1, l1: a, r1: -1, r2: -1 }, out)
    expect(out[b]).toBeCloseTo(kn.bigram(b, a), 12)
  })

  it('slot scores equal the product of the three conditional probabilities for every context', () => {
    const ids = [-1, a, b, c, d]
    const out = new Float64Array(V)
    for (const l2 of ids)
      for (const l1 of ids)
        for (const r1 of ids)
          for (const r2 of ids) {
            kn.slotScores({ l2, l1, r1, r2 }, out)
            const L2 = l1 >= 0 ? l2 : -1
            const R2 = r1 >= 0 ? r2 : -1
            for (const w of [a, b, c, d]) {
              const expected = kn.prob(w, L2, l1) * (r1 >= 0 ? kn.prob(r1, l1, w) : 1) * (R2 >= 0 ? kn.prob(R2, w, r1) : 1)
              expect(out[w]).toBeCloseTo(expected, 12)
            }
          }
  })

  it('the fast slot scores equal the generic product on a larger random corpus', () => {
    // Zipf-like ids from a fixed LCG: many seen and unseen n-grams, histories of every kind.
    const V2 = 40
    let x = 12345
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32
    const stream = Array.from({ length: 4000 }, () => Math.max(0, Math.min(V2 - 1, Math.floor(1 / (next() + 0.025)) - 1)))
    const big = new KneserNeyTrigram(countNgrams(stream, V2))
    const out = new Float64Array(V2)
    const left = new Float64Array(V2)
    const pick = () => (next() < 0.15 ? -1 : Math.floor(next() * V2))
    for (let trial = 0; trial < 300; trial++) {
      const ctx = { l2: pick(), l1: pick(), r1: pick(), r2: pick() }
      big.slotScores(ctx, out)
      const L2 = ctx.l1 >= 0 ? ctx.l2 : -1
      const R2 = ctx.r1 >= 0 ? ctx.r2 : -1
      big.leftDistribution(L2, ctx.l1, left)
      for (let w = 0; w < V2; w++) {
        expect(left[w]).toBeCloseTo(big.prob(w, L2, ctx.l1), 12)
        const expected = big.prob(w, L2, ctx.l1) * (ctx.r1 >= 0 ? big.prob(ctx.r1, ctx.l1, w) : 1) * (R2 >= 0 ? big.prob(R2, w, ctx.r1) : 1)
        expect(out[w]).toBeCloseTo(expected, 12)
      }
    }
  })

  it('scores a sequence left to right with the context cut at its start', () => {
    expect(sequenceNll(kn, [a, b, c])).toBeCloseTo(-Math.log(kn.unigram(a)) - Math.log(kn.bigram(b, a)) - Math.log(P3.cGivenAB), 9)
  })

  it('fills a span greedily by confidence', () => {
    // A corpus where "x y z" always appears between "p q" and "r s": the fill recovers it.
    const V2 = 8
    const [p, q, x, y, z, r, s] = [0, 1, 2, 3, 4, 5, 6]
    const stream: number[] = []
    for (let i = 0; i < 20; i++) stream.push(p, q, x, y, z, r, s)
    const model = new KneserNeyTrigram(countNgrams(stream, V2))
    const ids = Int32Array.from([p, q, -1, -1, -1, r, s])
    expect(greedyTrigramFill(model, ids, [2, 3, 4])).toEqual([x, y, z])
    // the input is left as it was
    expect(Array.from(ids)).toEqual([p, q, -1, -1, -1, r, s])
  })
})
