/**
 * The simulated writers of `npm run bench:tune`: deterministic, each with one stated taste
 * that the engine's length controls cannot meet (issue 24).
 *
 * Every writer keeps only fills of about the original's length: the engine's Same band
 * (`wordRange('same', words of the original)`, main/engine/length-target.ts). Inside the band
 * each has a taste about WHICH words a fill uses, and its edits never change a word count:
 *
 * - `no-echo`: turns down a fill that repeats a content word already in the passage (a word
 *   of 3+ letters, not a function word, that occurs in the text before or after the span).
 *   Its edit puts the original's word back where the echo stood (the original's word at the
 *   same index, its last word past its end).
 * - `word-list`: never keeps a banned word and wants at least one listed (preferred) word:
 *   WORD_SWAPS maps each banned word to the listed word its edit puts in its place.
 *
 * Shown a span's candidates, in order, the writer
 * - ACCEPTS the first candidate inside the band that meets the taste;
 * - else EDITS the first candidate inside the band whose edit meets the taste
 *   (accepted_edited: the edit is the text kept, as many words as the candidate);
 * - else REJECTS them all and keeps the original.
 * `alike` lists the other candidates the writer would have kept as they are: a preference
 * between the kept text and one of those says nothing about the taste, and bench:tune drops
 * such pairs before tuning (pairs only between texts the writer treated differently).
 *
 * Tasks come from held-out documents: a passage of PASSAGE_WORDS consecutive words of one
 * document (lines joined as they stand) and one span of 4-8 whole words inside one line of
 * it. `passagesOf` cuts a document into non-overlapping passages; bench:tune draws them
 * without replacement, so no two tasks share a word.
 */
import { wordRange } from '../main/engine/length-target'
import { rngStream } from '../main/engine/rng'
import type { DecisionAction } from '../main/contract'

export const PASSAGE_WORDS = 64
export const SPAN_WORDS = { min: 4, max: 8 } as const

/** Words of a text (runs of non-space), as the engine counts them. */
export function countWords(text: string): number {
  const t = text.trim()
  return t === '' ? 0 : t.split(/\s+/).length
}

/** The Same band of an original: the word counts the writers keep. */
export function sameBand(original: string): { minWords: number; maxWords: number } {
  return wordRange('same', countWords(original))
}

export function inBand(text: string, original: string): boolean {
  const n = countWords(text)
  const r = sameBand(original)
  return n >= r.minWords && n <= r.maxWords
}

/** Lower-case letters of a word (punctuation and digits dropped). */
export function normWord(word: string): string {
  return word.toLowerCase().replace(/[^a-z']/g, '').replace(/^'+|'+$/g, '')
}

/** Function words: never content, so never an echo. */
const FUNCTION_WORDS = new Set(
  (
    'the a an and or but nor so yet for of in on at to from by with without into onto upon over under about above below after before ' +
    'between through during against among within as than then that this these those there here where when while which who whom whose what ' +
    'why how all any both each few more most other some such no not only own same too very can will just should would could may might must ' +
    'shall is am are was were be been being have has had having do does did doing i me my mine we us our ours you your yours he him his she ' +
    'her hers it its they them their theirs myself yourself himself herself itself ourselves themselves one ones also even still again ever ' +
    'upon unto thee thou thy thine ye hath doth shalt said says say let us now'
  ).split(/\s+/),
)

export function isContentWord(w: string): boolean {
  return w.length >= 3 && !FUNCTION_WORDS.has(w)
}

/** A span and what the writer sees around it. */
export interface SpanContext {
  prefix: string
  suffix: string
  original: string
}

export interface Taste {
  name: TasteName
  /** One line for the report. */
  describe: string
  /** Whether a text (already inside the band) meets the taste. */
  meets(text: string, ctx: SpanContext): boolean
  /** The writer's edit of a text (same word count), or null when they would not edit it. */
  edit(text: string, ctx: SpanContext): string | null
}

export const TASTES = ['no-echo', 'word-list'] as const
export type TasteName = (typeof TASTES)[number]

/** Content words of the passage outside the span. */
function contextWords(ctx: SpanContext): Set<string> {
  const out = new Set<string>()
  for (const w of `${ctx.prefix} ${ctx.suffix}`.split(/\s+/)) {
    const n = normWord(w)
    if (isContentWord(n)) out.add(n)
  }
  return out
}

/** Indices of a text's words that echo a content word of the context. */
export function echoes(text: string, ctx: SpanContext): number[] {
  const seen = contextWords(ctx)
  const words = text.trim() === '' ? [] : text.trim().split(/\s+/)
  return words.flatMap((w, i) => (seen.has(normWord(w)) ? [i] : []))
}

export const NO_ECHO: Taste = {
  name: 'no-echo',
  describe: 'no echo: a fill that repeats a content word of the passage is turned down; the edit puts the original\'s word back',
  meets: (text, ctx) => echoes(text, ctx).length === 0,
  edit(text, ctx) {
    const at = echoes(text, ctx)
    if (at.length === 0) return null
    const words = text.trim().split(/\s+/)
    const orig = ctx.original.trim().split(/\s+/)
    for (const i of at) words[i] = orig[Math.min(i, orig.length - 1)]
    const edited = words.join(' ')
    return NO_ECHO.meets(edited, ctx) ? edited : null
  },
}

/** Banned word -> the listed word the writer's edit puts in its place (the listed words are the preferred ones). */
export const WORD_SWAPS: Readonly<Record<string, string>> = { the: 'a', and: 'but', very: 'quite', great: 'grand', said: 'replied' }
export const BANNED_WORDS: readonly string[] = Object.keys(WORD_SWAPS)
export const PREFERRED_WORDS: readonly string[] = Object.values(WORD_SWAPS)

function words(text: string): string[] {
  return text.trim() === '' ? [] : text.trim().split(/\s+/)
}

export const WORD_LIST: Taste = {
  name: 'word-list',
  describe: `word list: never keeps ${BANNED_WORDS.join('/')}, wants at least one of ${PREFERRED_WORDS.join('/')}; the edit swaps each banned word for its listed one`,
  meets(text) {
    const ws = words(text).map(normWord)
    return !ws.some((w) => BANNED_WORDS.includes(w)) && ws.some((w) => PREFERRED_WORDS.includes(w))
  },
  edit(text, ctx) {
    const ws = words(text)
    let swapped = false
    const out = ws.map((w) => {
      const n = normWord(w)
      if (!BANNED_WORDS.includes(n)) return w
      swapped = true
      const core = w.match(/[A-Za-z']+/)?.[0] ?? w
      let to = WORD_SWAPS[n]
      if (/^[A-Z]/.test(core)) to = to[0].toUpperCase() + to.slice(1)
      return w.replace(core, to)
    })
    if (!swapped) return null
    const edited = out.join(' ')
    return WORD_LIST.meets(edited, ctx) ? edited : null
  },
}

export function tasteOf(name: string): Taste {
  if (name === 'no-echo') return NO_ECHO
  if (name === 'word-list') return WORD_LIST
  throw new Error(`unknown taste ${name}: expected one of ${TASTES.join(', ')}`)
}

/** Whether the writer would keep a text as it is: inside the band and meeting the taste. */
export function keeps(taste: Taste, text: string, ctx: SpanContext): boolean {
  return inBand(text, ctx.original) && taste.meets(text, ctx)
}

export interface WriterDecision {
  action: DecisionAction
  chosenIndex: number | null
  finalText: string
  /** Other candidates the writer would have kept as they are (pairs against them are dropped). */
  alike: number[]
}

/** The writer's decision on one span's candidates (see the module comment). */
export function decide(taste: Taste, ctx: SpanContext, candidates: readonly string[]): WriterDecision {
  const kept = candidates.flatMap((c, i) => (keeps(taste, c, ctx) ? [i] : []))
  if (kept.length > 0) return { action: 'accepted', chosenIndex: kept[0], finalText: candidates[kept[0]], alike: kept.slice(1) }
  for (const [i, c] of candidates.entries()) {
    if (!inBand(c, ctx.original)) continue
    const e = taste.edit(c, ctx)
    if (e !== null && countWords(e) === countWords(c)) return { action: 'accepted_edited', chosenIndex: i, finalText: e, alike: [] }
  }
  return { action: 'rejected_all', chosenIndex: null, finalText: ctx.original, alike: [] }
}

/** One masked span of a passage. */
export interface WriterTask {
  id: string
  /** The document the passage comes from (splits are by document). */
  doc: string
  source: string
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

/** A document's non-overlapping passages of PASSAGE_WORDS words (the text as it stands, line breaks kept). */
export function passagesOf(doc: string): string[] {
  const ws = wordRanges(doc)
  const out: string[] = []
  for (let i = 0; i + PASSAGE_WORDS <= ws.length; i += PASSAGE_WORDS) out.push(doc.slice(ws[i][0], ws[i + PASSAGE_WORDS - 1][1]))
  return out
}

/**
 * The span of a passage, drawn with `rand`: 4-8 whole words inside one line, at least 8 words
 * in and 8 from the end; null when no line of the passage has room.
 */
export function spanOf(passage: string, rand: () => number): { from: number; to: number } | null {
  const ws = wordRanges(passage)
  const len = SPAN_WORDS.min + Math.floor(rand() * (SPAN_WORDS.max - SPAN_WORDS.min + 1))
  const starts: number[] = []
  for (let i = 8; i + len <= ws.length - 8; i++) if (!passage.slice(ws[i][0], ws[i + len - 1][1]).includes('\n')) starts.push(i)
  if (starts.length === 0) return null
  const i = starts[Math.floor(rand() * starts.length)]
  return { from: ws[i][0], to: ws[i + len - 1][1] }
}

/**
 * `count` tasks drawn WITHOUT replacement from the passages of `docs` (each a {id, source,
 * text}), taking the sources in turn so that every source is in the draw (a source whose
 * passages run out drops out); the same seed gives the same tasks. Throws when the documents
 * hold fewer passages than `count`.
 */
export function drawTasks(docs: readonly { id: string; source: string; text: string }[], count: number, seed: number, idPrefix: string): WriterTask[] {
  const rand = rngStream(seed, 0)
  const pools = new Map<string, { doc: string; source: string; text: string }[]>()
  for (const d of docs) for (const p of passagesOf(d.text)) {
    const pool = pools.get(d.source) ?? []
    pool.push({ doc: d.id, source: d.source, text: p })
    pools.set(d.source, pool)
  }
  // shuffle each source's pool (Fisher-Yates), then take the sources in turn
  for (const pool of pools.values())
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      ;[pool[i], pool[j]] = [pool[j], pool[i]]
    }
  const sources = [...pools.keys()].sort()
  const tasks: WriterTask[] = []
  while (tasks.length < count) {
    let took = false
    for (const s of sources) {
      if (tasks.length >= count) break
      const pool = pools.get(s)!
      while (pool.length > 0) {
        const p = pool.pop()!
        const span = spanOf(p.text, rand)
        if (!span) continue
        tasks.push({ id: `${idPrefix}${tasks.length}`, doc: p.doc, source: p.source, text: p.text, ...span })
        took = true
        break
      }
    }
    if (!took) throw new Error(`the documents hold ${tasks.length} passages of ${PASSAGE_WORDS} words with room for a span; ${count} asked`)
  }
  return tasks
}

/** An exported pair line as the random-label control reads it (the other fields pass through). */
export interface LabelLine {
  decision_id: number
  chosen: string
  rejected: string
}

/**
 * The random-label control's export: in each decision, the kept text is one of the decision's
 * texts drawn uniformly (seeded), preferred over each of the others, so the writer's own choice is
 * kept only as often as any other text (1 in n). The first version kept the writer's label in
 * half the decisions (and a random one in the rest), which left a real signal: its no-echo
 * control learned the writer's longer texts (+21.7 and +35.3 points in seeds 2 and 3 of the
 * N = 300 run, bench/TUNE.md).
 */
export function randomLabels<L extends LabelLine>(lines: readonly L[], seed: number): L[] {
  const rand = rngStream(seed, 11)
  const groups = new Map<number, L[]>()
  for (const l of lines) groups.set(l.decision_id, [...(groups.get(l.decision_id) ?? []), l])
  const out: L[] = []
  for (const g of groups.values()) {
    const texts = [...new Set(g.flatMap((l) => [l.chosen, l.rejected]))]
    const chosen = texts[Math.floor(rand() * texts.length)]
    for (const t of texts) if (t !== chosen) out.push({ ...g[0], chosen, rejected: t })
  }
  return out
}
