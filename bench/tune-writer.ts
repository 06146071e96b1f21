/**
 * The simulated writer of `npm run bench:tune`: deterministic, with one stated taste.
 *
 * TASTE: terse. The writer wants a fill shorter than the text it masked: at most 3/4 of its
 * words, rounded down (at least one word; `wordLimit`). Shown the candidates of a fill, in order:
 * - the first candidate with 1..limit words is ACCEPTED as it is;
 * - else the writer EDITS: takes the shortest non-empty candidate (the first of equals) and
 *   keeps its first `limit` words (accepted_edited, the cut text is what they keep);
 * - else (every candidate empty) the writer REJECTS them all and keeps the original text.
 * So every decision prefers a short text over longer ones: accepted ones over the longer
 * candidates, a cut one over the candidate it was cut from.
 *
 * Why 3/4 and not half (the first statement of this taste): a fill without a length target
 * may not end before 3/4 of its slot budget (NO_TARGET_MIN_SHARE in main/engine/fill.ts,
 * added after this writer), and the budget is the original's token count, so no tuning
 * could ever bring a fill to half the words: of 180 base-model candidates on held-out spans,
 * 2 had at most half the original's words and 17 at most 3/4. A taste the engine cannot
 * reach measures the engine's floor, not what tuning learned.
 *
 * Tasks (which spans it masks) come from held-out text: passages of PASSAGE_WORDS words of
 * the validation documents, a span of 4 to 8 whole words inside each, all drawn from a
 * seeded generator, so the same seed gives the same tasks.
 */
import { rngStream } from '../main/engine/rng'
import type { DecisionAction } from '../main/contract'

export const PASSAGE_WORDS = 48
export const SPAN_WORDS = { min: 4, max: 8 } as const

/** Words of a text (runs of non-space). */
export function countWords(text: string): number {
  const t = text.trim()
  return t === '' ? 0 : t.split(/\s+/).length
}

/** Share of the original's words the writer accepts in a fill (see TASTE above). */
export const TERSE_SHARE = 0.75

/** The longest fill the writer accepts, in words: 3/4 of the original's rounded down, at least 1. */
export function wordLimit(original: string): number {
  return Math.max(1, Math.floor(TERSE_SHARE * countWords(original)))
}

export interface WriterDecision {
  action: DecisionAction
  chosenIndex: number | null
  finalText: string
}

/** The writer's decision on one span's candidates (see the module comment). */
export function decide(original: string, candidates: readonly string[]): WriterDecision {
  const limit = wordLimit(original)
  const ok = candidates.findIndex((c) => {
    const n = countWords(c)
    return n >= 1 && n <= limit
  })
  if (ok >= 0) return { action: 'accepted', chosenIndex: ok, finalText: candidates[ok] }
  let shortest = -1
  candidates.forEach((c, i) => {
    const n = countWords(c)
    if (n >= 1 && (shortest < 0 || n < countWords(candidates[shortest]))) shortest = i
  })
  if (shortest < 0) return { action: 'rejected_all', chosenIndex: null, finalText: original }
  const cut = candidates[shortest].trim().split(/\s+/).slice(0, limit).join(' ')
  return { action: 'accepted_edited', chosenIndex: shortest, finalText: cut }
}

/** One masked span of a passage. */
export interface WriterTask {
  id: string
  /** The passage (the document the fill sees). */
  text: string
  from: number
  to: number
}

/** Word spans (start, end char offsets) of a text. */
function wordRanges(text: string): [number, number][] {
  const out: [number, number][] = []
  for (const m of text.matchAll(/\S+/g)) out.push([m.index, m.index + m[0].length])
  return out
}

/**
 * `count` tasks from `docs`, drawn with `seed`: a passage of PASSAGE_WORDS words from a
 * random document (single lines only: a passage does not cross a paragraph break), and a
 * span of 4-8 words starting at least 8 words in.
 */
export function makeTasks(docs: readonly string[], count: number, seed: number, idPrefix: string): WriterTask[] {
  const rand = rngStream(seed, 0)
  const lines = docs.flatMap((d) => d.split('\n')).filter((l) => countWords(l) >= PASSAGE_WORDS)
  if (lines.length === 0) throw new Error(`no paragraph of ${PASSAGE_WORDS} words or more in the held-out text`)
  const tasks: WriterTask[] = []
  for (let i = 0; i < count; i++) {
    const line = lines[Math.floor(rand() * lines.length)]
    const words = wordRanges(line)
    const start = Math.floor(rand() * (words.length - PASSAGE_WORDS + 1))
    const passage = words.slice(start, start + PASSAGE_WORDS)
    const base = passage[0][0]
    const text = line.slice(base, passage[passage.length - 1][1])
    const len = SPAN_WORDS.min + Math.floor(rand() * (SPAN_WORDS.max - SPAN_WORDS.min + 1))
    const first = 8 + Math.floor(rand() * (PASSAGE_WORDS - 16 - len))
    tasks.push({ id: `${idPrefix}${i}`, text, from: passage[first][0] - base, to: passage[first + len - 1][1] - base })
  }
  return tasks
}
