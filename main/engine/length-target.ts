/**
 * A span's length target in words (shorter / about the same / longer than its original, or
 * a range) turned into what the reverse process works with: a slot budget, and the first
 * slot from which the fill may end (pad may be revealed).
 *
 * Words and tokens differ by a ratio that depends on the text (about 1.3 tokens a word for
 * plain English prose with the default model's tokenizer, more for names and numbers), so
 * the ratio is measured on the span's own text, or on the text around it when the span is
 * short or empty.
 */
import type { LengthTarget } from '../contract'
import type { TextCodec } from './text-codec'

/** Words an empty span (an insertion point) counts as when a target is relative to it. */
export const EMPTY_SPAN_WORDS = 8

/** Tokens per word assumed when there is too little text to measure. */
const DEFAULT_TOKENS_PER_WORD = 1.35

/** Words in a text (runs of non-space characters). */
export function wordCount(text: string): number {
  const m = text.match(/\S+/g)
  return m ? m.length : 0
}

export interface WordRange {
  minWords: number
  maxWords: number
}

/**
 * The word range a target asks for, given the original's word count (0 = an empty span,
 * counted as EMPTY_SPAN_WORDS):
 * - shorter: 35% to 75% of the original (at least 1 word);
 * - same: 75% to 125% (at least one word either way);
 * - longer: 130% to 200% (at least 2 and 4 words more);
 * - a range MIN–MAX as given (MIN 0: the fill may be empty, a deletion).
 * The engine holds every candidate to it (reverse-process.ts, word-rules.ts).
 */
export function wordRange(target: LengthTarget, originalWords: number): WordRange {
  if (typeof target !== 'string') return { minWords: target.minWords, maxWords: Math.max(1, target.maxWords) }
  const w = originalWords > 0 ? originalWords : EMPTY_SPAN_WORDS
  let min: number
  let max: number
  switch (target) {
    case 'shorter':
      min = Math.ceil(0.35 * w)
      max = Math.floor(0.75 * w)
      break
    case 'same':
      min = Math.min(w - 1, Math.round(0.75 * w))
      max = Math.max(w + 1, Math.round(1.25 * w))
      break
    case 'longer':
      min = Math.max(w + 2, Math.ceil(1.3 * w))
      max = Math.max(w + 4, 2 * w)
      break
  }
  min = Math.max(1, min)
  return { minWords: min, maxWords: Math.max(min, max) }
}

/** Words a span without a length target holds at most (no limit but its budget). */
export const NO_MAX_WORDS = 1 << 20

/**
 * The word range of a span without a length target: at least one word (an empty fill is a
 * deletion the writer asks for), and one word at most where the writer masked a single word
 * and asked for no room (`slots`): they are choosing a word, and its pieces' budget let the
 * model write "connection in" for "severalty" and "second skin" for "goat" (rated 0 in
 * session 7's blind sheet).
 */
export function untargetedRange(original: string, roomAsked: boolean): WordRange {
  return { minWords: 1, maxWords: !roomAsked && wordCount(original) === 1 ? 1 : NO_MAX_WORDS }
}

/** The words a span's fill may hold: its length target's range, or without one untargetedRange. */
export function spanWordRange(spec: { length?: LengthTarget; slots?: number }, original: string): WordRange {
  return spec.length !== undefined ? wordRange(spec.length, wordCount(original)) : untargetedRange(original, spec.slots !== undefined)
}

/** Tokens per word measured on `text` (undefined when it has fewer than `minWords` words). */
export function tokensPerWord(codec: TextCodec, text: string, minWords = 4): number | undefined {
  const words = wordCount(text)
  if (words < minWords) return undefined
  return Math.max(1, codec.encode(text.trim()).length / words)
}

/**
 * Tokens per word for a span: measured on its original when it has 4 words or more, else on
 * up to 600 characters around it, else DEFAULT_TOKENS_PER_WORD.
 */
export function spanTokensPerWord(codec: TextCodec, text: string, from: number, to: number): number {
  return (
    tokensPerWord(codec, text.slice(from, to)) ??
    tokensPerWord(codec, text.slice(Math.max(0, from - 300), Math.min(text.length, to + 300))) ??
    DEFAULT_TOKENS_PER_WORD
  )
}

export interface SlotPlan {
  /** Mask slots of the span. */
  slots: number
  /** Slots that must hold text before the fill may end (pad allowed from this index on; 0: it may be empty). */
  minSlots: number
}

/**
 * The default model's fills take more tokens a word than the text they replace (line
 * breaks, punctuation, rarer words split up): a fill ended at its floor had about 0.8 of the
 * words the floor was sized for (bench/fill-length.ts). The floor is raised by this factor.
 */
export const FLOOR_TOKENS_FACTOR = 1.25

/**
 * Slot budget for a word range: room for `maxWords` words at `perWord` tokens a word (and at
 * least a slot a word), and text required in the first `minWords` × FLOOR_TOKENS_FACTOR
 * words' worth of slots (at least `minWords` slots, none when `minWords` is 0, the budget at
 * most). Budgets are capped at `maxSlots` (the window). Where the fill ends inside these
 * bounds is the model's choice (reverse-process.ts, 'first-step'); the word counts are held
 * at every reveal.
 */
export function slotPlan(range: WordRange, perWord: number, maxSlots: number): SlotPlan {
  const slots = Math.max(1, Math.min(maxSlots, Math.max(range.maxWords, Math.round(range.maxWords * perWord))))
  const minSlots = range.minWords <= 0 ? 0 : Math.max(1, Math.min(slots, Math.max(range.minWords, Math.round(range.minWords * perWord * FLOOR_TOKENS_FACTOR))))
  return { slots, minSlots }
}
