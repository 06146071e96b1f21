/**
 * The manuscript index: which texts of the writer's the fills draw on, and how many words
 * they hold. One entry per text (an id: a document's path, or `unsaved:<document id>`);
 * each entry's words are counted once and kept up to date as the text changes: an edit
 * recounts only the whitespace-separated chunks it touched (common prefix and suffix of the
 * old and new text stay counted), so typing in a long chapter costs what the keystroke costs.
 *
 * Pure and runtime-agnostic: the host's manuscript service (main/manuscript/service.ts) owns
 * one, the model-based test replays random edits against a rebuild from scratch.
 */
import { isBreak, wordsOf } from './words'

/** What the status bar and the settings say: how much of the writer's text the fills draw on. */
export interface IndexSummary {
  documents: number
  words: number
  /** Different words (as written: "Mara" and "mara" are two). */
  distinct: number
}

/** The index's whole content, for comparing two indexes (tests) or showing it. */
export interface IndexSnapshot {
  texts: Record<string, string>
  wordsById: Record<string, number>
  /** Word -> occurrences over every text, sorted by word. */
  vocabulary: [string, number][]
  total: number
}

export class ManuscriptIndex {
  private readonly texts = new Map<string, string>()
  private readonly wordsById = new Map<string, number>()
  private readonly vocabulary = new Map<string, number>()
  private total = 0

  /** An index of `texts` counted from scratch. */
  static rebuild(texts: Iterable<readonly [string, string]>): ManuscriptIndex {
    const index = new ManuscriptIndex()
    for (const [id, text] of texts) index.set(id, text)
    return index
  }

  /** Sets the text of `id` (null removes it); true when anything changed. */
  set(id: string, text: string | null): boolean {
    if (text === null) return this.remove(id)
    const old = this.texts.get(id)
    if (old === text) return false
    const { from, oldTo, newTo } = changedChunks(old ?? '', text)
    const gone = wordsOf((old ?? '').slice(from, oldTo))
    const added = wordsOf(text.slice(from, newTo))
    for (const w of gone) this.count(w, -1)
    for (const w of added) this.count(w, 1)
    this.texts.set(id, text)
    this.wordsById.set(id, (this.wordsById.get(id) ?? 0) - gone.length + added.length)
    this.total += added.length - gone.length
    return true
  }

  remove(id: string): boolean {
    const old = this.texts.get(id)
    if (old === undefined) return false
    for (const w of wordsOf(old)) this.count(w, -1)
    this.total -= this.wordsById.get(id) ?? 0
    this.texts.delete(id)
    this.wordsById.delete(id)
    return true
  }

  clear(): void {
    this.texts.clear()
    this.wordsById.clear()
    this.vocabulary.clear()
    this.total = 0
  }

  has(id: string): boolean {
    return this.texts.has(id)
  }

  text(id: string): string | undefined {
    return this.texts.get(id)
  }

  ids(): string[] {
    return [...this.texts.keys()]
  }

  /** How often `word` occurs in the writer's text (as written). */
  occurrences(word: string): number {
    return this.vocabulary.get(word) ?? 0
  }

  summary(): IndexSummary {
    return { documents: this.texts.size, words: this.total, distinct: this.vocabulary.size }
  }

  snapshot(): IndexSnapshot {
    const sorted = <T>(m: Map<string, T>): [string, T][] => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    return {
      texts: Object.fromEntries(sorted(this.texts)),
      wordsById: Object.fromEntries(sorted(this.wordsById)),
      vocabulary: sorted(this.vocabulary),
      total: this.total,
    }
  }

  private count(word: string, delta: number): void {
    const n = (this.vocabulary.get(word) ?? 0) + delta
    if (n > 0) this.vocabulary.set(word, n)
    else this.vocabulary.delete(word)
  }
}

/**
 * The part of `before` that an edit into `after` touched, widened to whole chunks (runs
 * without whitespace): `before[from, oldTo)` became `after[from, newTo)`, and everything
 * outside is the same characters in the same chunks, so its words are unchanged.
 */
export function changedChunks(before: string, after: string): { from: number; oldTo: number; newTo: number } {
  const limit = Math.min(before.length, after.length)
  let prefix = 0
  while (prefix < limit && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++
  let suffix = 0
  while (suffix < limit - prefix && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++
  // Back to the start of the chunk the prefix ends in (the prefix is the same in both texts).
  let from = prefix
  while (from > 0 && !isBreak(before[from - 1])) from--
  // On to the end of the chunk the suffix starts in (the suffix is the same in both texts).
  let tail = suffix
  while (tail > 0 && !isBreak(before[before.length - tail])) tail--
  return { from, oldTo: before.length - tail, newTo: after.length - tail }
}
