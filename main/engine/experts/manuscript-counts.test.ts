import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KneserNeyTrigram } from '../baselines/kneser-ney'
import { countNgrams } from '../baselines/ngram-counts'
import { countDocuments, regionOf, replaceRegion } from './manuscript-counts'
import { Manuscript } from './manuscript'
import { wordsOf } from './words'

// ids: 0 pad, 1 mask, 2 separator; words from 3 on (a small vocabulary, so n-grams repeat)
const WORDS = ['the', 'keeper', 'sea', 'said', 'Marrow', 'walked', 'to', 'light']
const V = 3 + WORDS.length
const SEP = 2
const encode = (text: string) => text.split(/\s+/).filter(Boolean).map((w) => 3 + Math.max(0, WORDS.indexOf(w)))
const codec = { encode, vocab: V, separator: SEP, never: new Uint8Array(V) }

/** What the counts must be: every document tokenized from scratch, paragraphs and documents joined by the separator, one count. */
function fullRecount(docs: Map<string, string>) {
  const streams = [...docs.values()].map((text) => {
    const paras = text.split(/\n[ \t]*\n\s*/).filter((p) => p.trim() !== '')
    return paras.flatMap((p, i) => (i > 0 ? [SEP, ...encode(p)] : encode(p)))
  })
  return countDocuments(streams, V, SEP)
}

const word = fc.constantFrom(...WORDS)
const paragraph = fc.array(word, { minLength: 0, maxLength: 6 }).map((w) => w.join(' '))
const text = fc.array(paragraph, { minLength: 0, maxLength: 4 }).map((p) => p.join('\n\n'))
const docId = fc.constantFrom('a', 'b', 'c', 'd')
type Op = { kind: 'set'; id: string; text: string } | { kind: 'remove'; id: string } | { kind: 'append'; id: string; text: string } | { kind: 'clear' }
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), id: docId, text }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), id: docId, text: paragraph }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), id: docId }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
)

describe('manuscript counts kept up to date', () => {
  it('replaceRegion equals a recount of the spliced stream', () => {
    const stream = [3, 4, 5, SEP, 6, 7, SEP, 8, 3, 4, SEP]
    const counts = countNgrams(stream, V)
    // the middle document (6 7) becomes (6 9 9 7)
    const after = replaceRegion(counts, [6, 7, SEP], [6, 9, 9, 7, SEP], [5, SEP], [8, 3])
    expect(after).toEqual(countNgrams([3, 4, 5, SEP, 6, 9, 9, 7, SEP, 8, 3, 4, SEP], V))
    // unchanged: the same object
    expect(replaceRegion(counts, [6, 7, SEP], [6, 7, SEP], [5, SEP], [8, 3])).toBe(counts)
    expect(regionOf([], SEP).length).toBe(0)
  })

  it('random edits: the counts kept by set() equal a full recount, and so do the Kneser-Ney tables and the word set', () => {
    const seed = Number(process.env.INFILL_MANUSCRIPT_COUNTS_SEED ?? Date.now() % 2 ** 31)
    const numRuns = 200
    console.log(`manuscript counts test: seed ${seed} (rerun with INFILL_MANUSCRIPT_COUNTS_SEED=${seed}), ${numRuns} sequences`)
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => {
        const m = new Manuscript()
        m.useCodec(codec)
        const docs = new Map<string, string>() // the model: texts in the manuscript's order
        for (const o of ops) {
          // counts and words exist before each edit, so the edit updates them (never a recount)
          m.ngramCounts()
          const words = m.words()
          if (o.kind === 'clear') {
            m.clear()
            docs.clear()
          } else if (o.kind === 'remove') {
            m.set(o.id, null)
            docs.delete(o.id)
          } else {
            const next = o.kind === 'set' ? o.text : `${docs.get(o.id) ?? ''} ${o.text}`
            m.set(o.id, next)
            docs.set(o.id, next)
          }
          // the word set (the unknown-word check) is kept up to date in place
          expect(m.words()).toBe(o.kind === 'clear' ? m.words() : words)
          expect([...m.words()].sort()).toEqual([...new Set([...docs.values()].flatMap(wordsOf))].sort())
          const want = fullRecount(docs)
          const got = m.ngramCounts()
          if (want.tokens === 0) {
            expect(got).toBeNull()
            continue
          }
          expect(got).toEqual(want)
          const a = new KneserNeyTrigram(got!)
          const b = new KneserNeyTrigram(want)
          expect(a.discounts).toEqual(b.discounts)
          // continuation probabilities (N1+(•w), N1+(•vw)) and the trigram level, every pair of words
          for (let w = 3; w < V; w++) {
            expect(a.unigramContinuation(w)).toBe(b.unigramContinuation(w))
            for (let v = 3; v < V; v++) {
              expect(a.bigramContinuation(w, v)).toBe(b.bigramContinuation(w, v))
              expect(a.trigram(w, 3, v)).toBe(b.trigram(w, 3, v))
            }
          }
          const status = m.status()
          expect(status.documents).toBe(docs.size)
          expect(status.tokens).toBe(want.tokens - want.unigram[SEP])
        }
      }),
      { seed, numRuns },
    )
  })
})
