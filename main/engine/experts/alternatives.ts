/**
 * "Other words" (issue 21): for one word in context, distinct alternatives that fit both
 * sides, ranked by the fused score (candidate-score.ts). Drawn from three places: the most
 * likely single tokens that make a whole word at the slot, the reverse process over a 3-slot
 * budget (words of up to three tokens, diversified candidates), and passages of the manuscript
 * and the training text that sit between the same neighbours. A word found in neither the
 * training text nor the manuscript is ranked last; the original word is never offered. Only
 * words of the original's kind are offered (sameKindOfWord in words.ts), others only when no
 * word of its kind fits at all.
 */
import type { Alternative, AlternativesRequest, AlternativesResult, SamplingSettings } from '../../contract'
import { piecesOf, type FillModel } from '../fill'
import { runReverseProcess } from '../reverse-process'
import { rngStream } from '../rng'
import { scoreCandidates } from './candidate-score'
import { withExperts } from './expert-denoise'
import { requestPanel, scoreWindow, spanPassages, type EngineExperts } from './fill-experts'
import { topIds } from './fit'
import { sameKindOfWord, unknownWordIn } from './words'

const ONE_WORD = /^[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*$/u

/** Slots of the reverse process's budget for a word. */
const WORD_SLOTS = 3

export async function otherWords(ex: EngineExperts, fm: FillModel, request: AlternativesRequest): Promise<AlternativesResult> {
  const started = performance.now()
  const { text, from, to, count } = request
  const original = text.slice(from, to)
  const panel = requestPanel(ex, fm, request.experts, text, [{ from, to }])
  const denoise = panel ? withExperts(fm.denoise, panel) : fm.denoise
  const window = scoreWindow(fm, text, from, to)
  const L = window.left.length
  const pool = new Map<string, { ids: number[]; origin: Alternative['origin']; sameKind: boolean }>()
  const exclude = original.trim().toLowerCase()
  const offer = (ids: readonly number[], origin: Alternative['origin']) => {
    const word = fm.codec.decodeSpan(ids).trim()
    const key = word.toLowerCase()
    if (!ONE_WORD.test(word) || key === exclude) return
    const had = pool.get(key)
    if (!had || (had.origin === 'model' && origin !== 'model')) pool.set(key, { ids: [...ids], origin: had && origin === 'model' ? had.origin : origin, sameKind: sameKindOfWord(original, word) })
  }
  const pieces = piecesOf(fm)
  const wordStart = (id: number) => pieces.leadText[id] === 0 && pieces.empty[id] === 0
  const startsWord = original.length > 0 && (from === 0 || /\s/.test(text[from - 1]))

  // 1. Single tokens that make a whole word at the slot.
  const row = [...window.left, fm.maskId, ...window.right]
  const logits = await denoise(BigInt64Array.from(row, (x) => BigInt(x)), 1, row.length)
  const src = fm.shiftedLogits ? L - 1 : L
  const slotLogits = logits.subarray(src * fm.vocab, (src + 1) * fm.vocab)
  // deep enough that words of the original's kind are among them (a name's slot is topped by "and", "the")
  for (const id of topIds(slotLogits, Math.max(48, count * 6), fm.banned)) if (id !== fm.padId && (!startsWord || wordStart(id))) offer([id], 'model')

  // 2. The reverse process over a 3-slot budget (pads after the first slot end a shorter word).
  const C = Math.min(16, Math.max(4, count))
  const settings: SamplingSettings = { strategy: 'low_confidence', steps: WORD_SLOTS, blockLength: 0, threshold: 0.9, temperature: 0, topP: 1, seed: 1, candidates: C }
  const ids = Int32Array.from([...window.left, ...Array<number>(WORD_SLOTS).fill(fm.maskId), ...window.right])
  const out = await runReverseProcess(
    {
      ids,
      slots: Int32Array.from({ length: WORD_SLOTS }, (_, k) => L + k),
      vocab: fm.vocab,
      banned: fm.banned,
      shiftedLogits: fm.shiftedLogits,
      settings,
      rngs: Array.from({ length: C }, (_, c) => rngStream(1, c)),
      padOrder: { padId: fm.padId, spanOf: new Int32Array(WORD_SLOTS), rule: 'suffix', mayPad: Uint8Array.from({ length: WORD_SLOTS }, (_, k) => (k > 0 ? 1 : 0)) },
      diversify: true,
    },
    denoise,
  )
  for (let c = 0; c < C; c++) {
    const words = Array.from(out.tokens.subarray(c * WORD_SLOTS, (c + 1) * WORD_SLOTS)).filter((t) => t !== fm.padId)
    if (!startsWord || (words.length > 0 && wordStart(words[0]))) offer(words, 'model')
  }

  // 3. Passages of the writer's text and the training text between the same neighbours.
  if (panel) for (const p of spanPassages(ex, fm, window, { slots: 4, spaceBefore: from > 0 && /\s/.test(text[from - 1]), exclude: original, documentId: request.experts?.documentId })) offer(p.ids, p.origin)

  // Words of the original's kind (sameKindOfWord); others only when none of its kind fits at all.
  const all = [...pool.values()]
  const entries = all.some((e) => e.sameKind) ? all.filter((e) => e.sameKind) : all
  // every word token by token: a name of 4 tokens read from an all-masked row would rank below 'it'
  const scores = await scoreCandidates(denoise, window, entries.map((e) => e.ids), fm.maskId, fm.vocab, fm.shiftedLogits, Infinity)
  const known = [ex.model.trainingWords, ex.manuscript.words()]
  const checkWords = ex.model.trainingWords.size > 0
  const ranked = entries
    .map((e, i) => {
      const word = fm.codec.decodeSpan(e.ids).trim()
      return { text: word, score: scores[i], origin: e.origin, unknown: checkWords && unknownWordIn(word, known) !== null }
    })
    .filter((a) => Number.isFinite(a.score))
    .sort((a, b) => Number(a.unknown) - Number(b.unknown) || b.score - a.score)
  return {
    requestId: request.requestId,
    original,
    alternatives: ranked.slice(0, count).map(({ text: t, score, origin }) => ({ text: t, score, origin })),
    ms: performance.now() - started,
  }
}
