/**
 * The count baselines scored on the positions an evaluation masked for the model
 * (evaluation-plans.ts): the unigram (always the training text's most frequent token or
 * word) and the Kneser-Ney trigram (bidirectional at single masked tokens, a greedy
 * confidence-ordered fill for spans and words), plus their likelihood of the text.
 */
import type { WordSpan } from '../evaluation-plans'
import { wordPositions } from '../evaluation-plans'
import { contextAt, greedyTrigramFill, sequenceNll, type KneserNeyTrigram } from './kneser-ney'

type Chunks = readonly (readonly number[])[]

/** The chunk with -1 at `positions`. */
function maskedCopy(chunk: readonly number[], positions: readonly number[]): Int32Array {
  const ids = Int32Array.from(chunk)
  for (const p of positions) ids[p] = -1
  return ids
}

/** Top-1 at the masked positions of `plan`: the trigram from both sides, and the unigram. */
export function baselineMaskedAccuracy(
  kn: KneserNeyTrigram,
  chunks: Chunks,
  plan: readonly (readonly number[])[],
  banned?: Uint8Array,
): { trigramCorrect: number; unigramCorrect: number; total: number } {
  const scratch = new Float64Array(kn.vocab)
  let trigramCorrect = 0
  let unigramCorrect = 0
  let total = 0
  chunks.forEach((chunk, c) => {
    const ids = maskedCopy(chunk, plan[c])
    for (const p of plan[c]) {
      total++
      if (kn.bestAt(contextAt(ids, p), banned, scratch).token === chunk[p]) trigramCorrect++
      if (chunk[p] === kn.mostFrequent) unigramCorrect++
    }
  })
  return { trigramCorrect, unigramCorrect, total }
}

/** Greedy trigram fill of each chunk's span; tokens right at their position. */
export function trigramSpanAccuracy(
  kn: KneserNeyTrigram,
  chunks: Chunks,
  spans: readonly { start: number; length: number }[],
  banned?: Uint8Array,
): { correct: number; total: number } {
  let correct = 0
  let total = 0
  chunks.forEach((chunk, c) => {
    const slots = Array.from({ length: spans[c].length }, (_, k) => spans[c].start + k)
    const fill = greedyTrigramFill(kn, maskedCopy(chunk, slots), slots, banned)
    slots.forEach((p, k) => {
      total++
      if (fill[k] === chunk[p]) correct++
    })
  })
  return { correct, total }
}

/**
 * Whole-word accuracy of the greedy trigram fill (all masked words of a chunk filled
 * together, as the model fills them) and of the unigram word baseline (always `topWord`).
 * A word counts when its text equals the original's (`wordText` of its tokens).
 */
export function baselineWordAccuracy(
  kn: KneserNeyTrigram,
  chunks: Chunks,
  plan: readonly (readonly WordSpan[])[],
  opts: { wordText: (ids: readonly number[]) => string; topWord: string; banned?: Uint8Array },
): { trigramCorrect: number; unigramCorrect: number; total: number } {
  let trigramCorrect = 0
  let unigramCorrect = 0
  let total = 0
  chunks.forEach((chunk, c) => {
    const slots = wordPositions(plan[c])
    const fill = greedyTrigramFill(kn, maskedCopy(chunk, slots), slots, opts.banned)
    const filled = Int32Array.from(chunk)
    slots.forEach((p, k) => (filled[p] = fill[k]))
    for (const w of plan[c]) {
      total++
      const truth = opts.wordText(chunk.slice(w.start, w.end))
      if (opts.wordText(Array.from(filled.subarray(w.start, w.end))) === truth) trigramCorrect++
      if (truth === opts.topWord) unigramCorrect++
    }
  })
  return { trigramCorrect, unigramCorrect, total }
}

/** −ln P of every token of the chunks (nats, summed): the trigram left to right within each chunk, and the unigram. */
export function baselineNll(kn: KneserNeyTrigram, chunks: Chunks): { trigram: number; unigram: number } {
  let trigram = 0
  let unigram = 0
  for (const chunk of chunks) {
    trigram += sequenceNll(kn, chunk)
    for (const t of chunk) unigram -= Math.log(kn.unigram(t))
  }
  return { trigram, unigram }
}
