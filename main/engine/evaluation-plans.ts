/**
 * Which positions an evaluation masks, drawn once so the model and every baseline are
 * scored on exactly the same ones: random tokens (masked-token accuracy), one contiguous
 * span per window (span infill), and whole whitespace-delimited words (word accuracy).
 * Positions are relative to the chunk (the window without its special tokens).
 */
import type { Rng } from './rng'
import { rngStream } from './rng'

/** `count` distinct positions in [0, n), drawn with `rng`, ascending. */
export function choosePositions(n: number, count: number, rng: Rng): number[] {
  const idx = Array.from({ length: n }, (_, i) => i)
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng() * (n - i))
    ;[idx[i], idx[j]] = [idx[j], idx[i]]
  }
  return idx.slice(0, count).sort((a, b) => a - b)
}

/** Random positions per chunk: round(ratio · length) of them, at least one. */
export function tokenMaskPlan(chunks: readonly (readonly number[])[], ratio: number, seed: number): number[][] {
  const rng = rngStream(seed, 101)
  return chunks.map((chunk) => choosePositions(chunk.length, Math.max(1, Math.round(chunk.length * ratio)), rng))
}

/** One span per chunk: its first position and length (the span length, or the chunk's if shorter). */
export function spanPlan(chunks: readonly (readonly number[])[], spanLength: number, seed: number): { start: number; length: number }[] {
  const rng = rngStream(seed, 202)
  return chunks.map((chunk) => {
    const length = Math.min(spanLength, chunk.length)
    return { start: Math.floor(rng() * (chunk.length - length + 1)), length }
  })
}

/** A word of a chunk: tokens [start, end). */
export interface WordSpan {
  start: number
  end: number
}

const isSpace = (c: string) => /\s/.test(c)

/**
 * The whitespace-delimited words of a chunk in token space, from each token's text as it
 * reads after preceding text (`tokenText`, with its leading space): a token whose text is
 * empty or all whitespace separates words; a token starts a new word when its text starts
 * with whitespace or the token before ends with it. Words cut by the chunk's edges (one
 * touching its first or last token) are left out, since part of them is outside.
 */
export function wordSpans(chunk: readonly number[], tokenText: (id: number) => string): WordSpan[] {
  const words: WordSpan[] = []
  let start = -1
  let prevText = ''
  const close = (end: number) => {
    if (start >= 0) words.push({ start, end })
    start = -1
  }
  for (let i = 0; i < chunk.length; i++) {
    const text = tokenText(chunk[i])
    if (text.trim().length === 0) {
      close(i)
    } else if (start < 0 || isSpace(text[0]) || (prevText.length > 0 && isSpace(prevText[prevText.length - 1]))) {
      close(i)
      start = i
    }
    prevText = text
  }
  close(chunk.length)
  return words.filter((w) => w.start > 0 && w.end < chunk.length)
}

/** Whole words masked in each chunk: round(ratio · words) of them (at least one where there are any). */
export function wordMaskPlan(words: readonly (readonly WordSpan[])[], ratio: number, seed: number): WordSpan[][] {
  const rng = rngStream(seed, 404)
  return words.map((ws) => {
    if (ws.length === 0) return []
    const picked = choosePositions(ws.length, Math.max(1, Math.round(ws.length * ratio)), rng)
    return picked.map((k) => ws[k])
  })
}

/** The token positions of the masked words, ascending. */
export function wordPositions(words: readonly WordSpan[]): number[] {
  const out: number[] = []
  for (const w of words) for (let p = w.start; p < w.end; p++) out.push(p)
  return out
}
