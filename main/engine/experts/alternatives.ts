/**
 * "Other words" (issue 21): for one word in context, distinct alternatives that fit both
 * sides. Drawn from four places: the most likely single tokens that make a whole word at the
 * slot, the reverse process over a 3-slot budget (words of up to three tokens, diversified
 * candidates), passages of the manuscript and the training text that sit between the same
 * neighbours, and the original's nearest neighbours in the model's thesaurus (thesaurus.ts).
 * Only words of the original's kind are offered (sameKindOfWord in words.ts), others only when
 * no word of its kind fits at all; where the thesaurus knows the original, only words alike to
 * it (others only when too few are). Ranked by the fused score (candidate-score.ts) plus the
 * likeness: a thesaurus that reads the sentence ("The wind howled": sun, clouds, waves, sea,
 * heat, rain). A word found in neither the training text nor the manuscript is never offered
 * (a thesaurus offers words: the reverse process can make "Marsen" of "Mar" + "sen"), nor is
 * the original word.
 */
import type { Alternative, AlternativesRequest, AlternativesResult, SamplingSettings } from '../../contract'
import { piecesOf, type FillModel } from '../fill'
import { runReverseProcess } from '../reverse-process'
import { rngStream } from '../rng'
import { scoreCandidates } from './candidate-score'
import { withExperts } from './expert-denoise'
import { requestPanel, scoreWindow, spanPassages, type EngineExperts } from './fill-experts'
import { topIds } from './fit'
import type { Thesaurus } from './thesaurus'
import { FUNCTION_WORDS, sameKindOfWord, unknownWordIn } from './words'

const ONE_WORD = /^[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*$/u

/** Slots of the reverse process's budget for a word. */
const WORD_SLOTS = 3

/** Neighbours of the original in the thesaurus (thesaurus.ts) offered beside the model's words. */
export const NEIGHBOURS = 40
/**
 * Times a word must have been seen in the training text for the thesaurus to speak: an original
 * seen less ("fable", 9 times; "severalty", 20) gets the fused score alone, and a neighbour seen
 * less ("bronchioles" for "severalty") is not offered. From the blind sheet of session 7.
 */
export const ORIGINAL_SEEN = 50
export const NEIGHBOUR_SEEN = 20
/**
 * Least likeness (cosine) of an alternative to an original the thesaurus knows. Among the
 * default model's 29,830 words, 1% of pairs are above 0.32; "wind"'s 40th neighbour is at 0.55,
 * "man" at 0.39, "rain" at 0.6.
 */
export const MIN_SIMILARITY = 0.5
/**
 * Weight of likeness beside the fused score (a mean log-probability a token) in the ranking:
 * 0.1 more likeness is worth 2 nats of fit. Tried by hand on twelve sentences at 0, 3, 8, 10
 * and 20 with the floor at 0.3, 0.45 and 0.5: below 10 the fit alone put "clouds, hills" first for
 * "The wind howled" and "sprang" among "slowly"'s alternatives.
 */
export const LIKENESS = 20

/**
 * How far (in the fused score, a mean log-probability a token) a function word's alternative may
 * fall under the original word's own score: "said to ⟦had⟧ been" for "have" is 6.5 nats under it.
 * On the blind sheets of session 7, the function-word alternatives more than 5 nats under their
 * original were rated 0 in 8 of 9 (one 1); content words are not held to it (an alternative that
 * changes the meaning costs fit and can still be kept: "older" for "elderly", 8.4 under, rated 2).
 */
export const FUNCTION_FIT_MARGIN = 5

/** People whose names stand for the thesaurus's person names (Thesaurus.names), and how many of those are offered. */
export const SEED_NAMES = ['John', 'David', 'Mary', 'Peter', 'James', 'Henry', 'Elizabeth', 'Ahab']
export const NAMES = 40

/** Whether the word at `from` starts a sentence, a paragraph or the text (opening quotes and brackets skipped). */
export function startsSentence(text: string, from: number): boolean {
  let i = from - 1
  while (i >= 0 && /[\s"“‘'(\[]/.test(text[i]) && text[i] !== '\n') i--
  return i < 0 || text[i] === '\n' || /[.!?:;…]/.test(text[i])
}

/**
 * Whether `word` at `from` reads as a name: capitalised (not all capitals, not a function
 * word), and either inside a sentence or a word the thesaurus has never seen.
 */
export function looksLikeName(text: string, from: number, word: string, thesaurus: Pick<Thesaurus, 'timesSeen'>): boolean {
  if (!/^\p{Lu}\p{Ll}/u.test(word) || FUNCTION_WORDS.has(word.toLowerCase())) return false
  return !startsSentence(text, from) || thesaurus.timesSeen(word) === 0
}

/** `word` (lower-case) in the case of `original`: all capitals, a capital first, or as it is. */
export function casedAs(original: string, word: string): string {
  if (original.length > 1 && original === original.toUpperCase() && original !== original.toLowerCase()) return word.toUpperCase()
  const first = original.charAt(0)
  if (first !== first.toLowerCase()) return word.charAt(0).toUpperCase() + word.slice(1)
  return word
}

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
    // a single letter is no word but "a" and "I" ("m", "s" were offered for a name)
    if (!ONE_WORD.test(word) || key === exclude || (word.length < 2 && original.trim().length > 1 && !FUNCTION_WORDS.has(key))) return
    const had = pool.get(key)
    if (!had || (had.origin === 'model' && origin !== 'model')) pool.set(key, { ids: [...ids], origin: had && origin === 'model' ? had.origin : origin, sameKind: sameKindOfWord(original, word) })
  }
  const pieces = piecesOf(fm)
  const wordStart = (id: number) => pieces.leadText[id] === 0 && pieces.empty[id] === 0
  const startsWord = original.length > 0 && (from === 0 || /\s/.test(text[from - 1]))
  /** A word's tokens as it would stand at the slot (after the writer's space, a space-led piece). */
  const atSlot = (word: string) => fm.codec.encode((startsWord && from > 0 ? ' ' : '') + word)

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

  // 4. Words like the original (thesaurus.ts), in its case, as they would stand at the slot.
  const like = ex.model.thesaurus
  const nameLike = looksLikeName(text, from, original, like ?? { timesSeen: () => 1 })
  const liked = like?.has(original, ORIGINAL_SEEN) ? like : null
  if (liked) for (const n of liked.neighbours(original, NEIGHBOURS, NEIGHBOUR_SEEN)) offer(atSlot(casedAs(original, n.word)), 'model')
  // A name it does not know ("Orla"): names of people it does.
  else if (like && nameLike) for (const name of like.names(SEED_NAMES, NAMES, ORIGINAL_SEEN)) offer(atSlot(name), 'model')

  // Words of the original's kind (sameKindOfWord); others only when none of its kind fits at all.
  // For an original the thesaurus knows, words like it; others only when too few are.
  const all = [...pool.values()].map((e) => ({ ...e, word: fm.codec.decodeSpan(e.ids).trim() }))
  const ofKind = all.some((e) => e.sameKind) ? all.filter((e) => e.sameKind) : all
  // a name gets names (capitalised words) only
  const kind = nameLike ? ofKind.filter((e) => /^\p{Lu}/u.test(e.word)) : ofKind
  const alikeOf = (e: (typeof all)[number]) => likeness(liked, original, e.word, e.origin)
  const alike = kind.filter((e) => (alikeOf(e) ?? MIN_SIMILARITY) >= MIN_SIMILARITY)
  const entries = alike.length >= count ? alike : kind
  // every word token by token: a name of 4 tokens read from an all-masked row would rank below 'it'
  // a function word's alternatives are held to the original's own fit (FUNCTION_FIT_MARGIN): scored with them
  const functionWord = FUNCTION_WORDS.has(original.trim().toLowerCase())
  const originalIds = functionWord ? atSlot(original.trim()) : []
  const scores = await scoreCandidates(denoise, window, [...entries.map((e) => e.ids), ...(functionWord ? [originalIds] : [])], fm.maskId, fm.vocab, fm.shiftedLogits, Infinity)
  const known = [ex.model.trainingWords, ex.manuscript.words()]
  const checkWords = ex.model.trainingWords.size > 0
  const ranked = rankAlternatives(
    entries.map((e, i) => ({ text: e.word, score: scores[i], origin: e.origin, unknown: checkWords && unknownWordIn(e.word, known) !== null, likeness: alikeOf(e) })),
    count,
    functionWord && Number.isFinite(scores[entries.length]) ? scores[entries.length] - FUNCTION_FIT_MARGIN : -Infinity,
  )
  // The first word of a sentence: its alternatives are capitalised as it is ("Slowly" -> "Quietly").
  const capital = /^\p{Lu}/u.test(original) && startsSentence(text, from)
  const shown = capital ? distinctByText(ranked.map((a) => ({ ...a, text: a.text.charAt(0).toUpperCase() + a.text.slice(1) }))) : ranked
  return {
    requestId: request.requestId,
    original,
    alternatives: shown,
    ms: performance.now() - started,
  }
}

/**
 * How alike `word` is to `original` for the ranking: the thesaurus's cosine; the writer's own
 * words it does not know count as just alike enough (a name from an earlier chapter for a name);
 * null where there is no thesaurus or it does not know the original (the fit alone ranks).
 */
export function likeness(thesaurus: Thesaurus | null | undefined, original: string, word: string, origin: Alternative['origin']): number | null {
  if (!thesaurus?.has(original, ORIGINAL_SEEN)) return null
  return thesaurus.similarity(original, word) ?? (origin === 'manuscript' ? MIN_SIMILARITY : 0)
}

/** A scored alternative before ranking. */
export interface ScoredAlternative extends Alternative {
  /** A word neither the training text nor the manuscript has. */
  unknown: boolean
  /** likeness(): null when the thesaurus cannot say. */
  likeness: number | null
}

/**
 * The `count` best alternatives: words alike enough to the original (likeness at least
 * MIN_SIMILARITY) before the rest, then by the fused score plus LIKENESS × likeness. Unknown
 * words, unscorable ones (a non-finite score) and those scoring under `floor` are dropped. Pure.
 */
export function rankAlternatives(scored: readonly ScoredAlternative[], count: number, floor = -Infinity): Alternative[] {
  const rank = (a: ScoredAlternative) => a.score + (a.likeness === null ? 0 : LIKENESS * a.likeness)
  const alike = (a: ScoredAlternative) => a.likeness === null || a.likeness >= MIN_SIMILARITY
  return scored
    .filter((a) => Number.isFinite(a.score) && !a.unknown && a.score >= floor)
    .sort((a, b) => Number(alike(b)) - Number(alike(a)) || rank(b) - rank(a))
    .slice(0, count)
    .map(({ text, score, origin }) => ({ text, score, origin }))
}

/** The first alternative of each text. */
function distinctByText(alternatives: readonly Alternative[]): Alternative[] {
  const seen = new Set<string>()
  return alternatives.filter((a) => !seen.has(a.text) && seen.add(a.text))
}
