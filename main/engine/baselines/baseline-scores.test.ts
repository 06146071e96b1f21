import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TextCodec } from '../text-codec'
import { loadBaselineCorpus } from './baseline-corpus'
import { baselineMaskedAccuracy, baselineNll, baselineWordAccuracy, trigramSpanAccuracy } from './baseline-scores'
import { KneserNeyTrigram } from './kneser-ney'
import { countNgrams } from './ngram-counts'
import { lineCharCounts, tokenizeTextFile } from './text-file'

/** A word-level codec over a fixed vocabulary: id 0 is "\n", every other id one word with its leading space. */
const WORDS = ['\n', 'the', 'cat', 'sat', 'on', 'mat', 'dog', 'ran']
const codec: TextCodec = {
  encode: (text) =>
    text.split(/(\n)/).flatMap((part) => (part === '\n' ? [0] : part.split(' ').filter(Boolean).map((w) => WORDS.indexOf(w)))),
  decodeSpan: (ids) => ids.map((id) => (id === 0 ? '\n' : ` ${WORDS[id]}`)).join(''),
  tokenText: (id) => (id === 0 ? '\n' : ` ${WORDS[id]}`),
  wrap: { prefix: [], suffix: [] },
}
const V = WORDS.length
const [NL, THE, CAT, SAT, ON, MAT] = [0, 1, 2, 3, 4, 5]

/** "the cat sat on the mat" again and again: a trigram knows every word from its neighbours. */
const sentence = [THE, CAT, SAT, ON, THE, MAT, NL]
const stream = Array.from({ length: 30 }, () => sentence).flat()
const kn = new KneserNeyTrigram(countNgrams(stream, V))
const chunk = Array.from({ length: 3 }, () => sentence).flat()

describe('count baselines on the masked positions', () => {
  it('scores the same positions: trigram from both sides, unigram = most frequent training token', () => {
    expect(kn.mostFrequent).toBe(THE)
    const plan = [[1, 4, 9, 14]] // cat, the, sat, the
    const r = baselineMaskedAccuracy(kn, [chunk], plan)
    expect(r).toEqual({ trigramCorrect: 4, unigramCorrect: 2, total: 4 })
  })

  it('fills spans and whole words greedily', () => {
    expect(trigramSpanAccuracy(kn, [chunk], [{ start: 8, length: 4 }])).toEqual({ correct: 4, total: 4 })
    const wordText = (ids: readonly number[]) => codec.decodeSpan(ids).trim()
    const words = baselineWordAccuracy(kn, [chunk], [[{ start: 2, end: 3 }, { start: 5, end: 6 }]], { wordText, topWord: 'the' })
    expect(words).toEqual({ trigramCorrect: 2, unigramCorrect: 0, total: 2 })
  })

  it('the text is far likelier under the trigram than the unigram', () => {
    const nll = baselineNll(kn, [chunk])
    expect(nll.trigram).toBeGreaterThan(0)
    expect(nll.trigram).toBeLessThan(nll.unigram / 4)
  })
})

describe('baseline corpus', () => {
  it('gives each line its characters: token texts, the remainder on the last token', () => {
    expect(lineCharCounts([1, 2, 0], 9, (id) => codec.tokenText(id))).toEqual([4, 4, 1])
    // a line whose text lost characters to normalisation keeps its length
    expect(lineCharCounts([1, 0], 7, (id) => codec.tokenText(id))).toEqual([4, 3])
  })

  it('counts a corpus file once, then reads the cache; a missing corpus says what to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'infill-baseline-'))
    try {
      const corpusPath = join(dir, 'train.txt')
      await writeFile(corpusPath, 'the cat sat on the mat\nthe dog ran\n')
      const tokens = await tokenizeTextFile(corpusPath, codec)
      expect(tokens.tokens).toEqual([THE, CAT, SAT, ON, THE, MAT, NL, THE, 6, 7, NL])
      expect(tokens.chars.reduce((a, b) => a + b, 0)).toBe('the cat sat on the mat\nthe dog ran\n'.length)
      const opts = { corpusPath, codec, vocab: V, tokenizerHash: 'tok', cacheDir: join(dir, 'cache') }
      const first = await loadBaselineCorpus(opts)
      expect(first.fromCache).toBe(false)
      expect(first.counts.tokens).toBe(11)
      expect(first.topWord).toEqual({ word: 'the', share: 3 / 9 })
      expect(await readdir(join(dir, 'cache'))).toHaveLength(1)
      const second = await loadBaselineCorpus(opts)
      expect(second.fromCache).toBe(true)
      expect(second.counts).toEqual(first.counts)
      // another corpus, another cache entry
      await writeFile(corpusPath, 'the dog sat\n')
      expect((await loadBaselineCorpus(opts)).fromCache).toBe(false)
      await expect(loadBaselineCorpus({ ...opts, corpusPath: join(dir, 'none.txt'), missingHint: 'Run the corpus stage.' })).rejects.toThrow(
        /baseline corpus .*none\.txt not found\. Run the corpus stage\./,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
