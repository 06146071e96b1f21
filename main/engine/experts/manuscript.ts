/**
 * The writer's manuscript as a count expert: the documents the host sends (manuscript:set),
 * tokenized paragraph by paragraph in the loaded model's tokenizer when they arrive (a
 * paragraph seen before is not tokenized again, so a change costs its own paragraphs), their trigram counts
 * counted once from the kept token streams when a fill first needs them, then kept up to date as
 * documents change: a change re-tokenizes that document's changed paragraphs and replaces only the
 * n-grams over the tokens that differ (manuscript-counts.ts), so a pause in typing costs the
 * edit, not the workspace (issue 21). For a fill of a document of the manuscript, the n-grams that hold a token of
 * a masked span are taken out of the counts for that request, so the text under a mask never
 * counts for its own fill.
 */
import type { ManuscriptStatus } from '../../contract'
import { KneserNeyTrigram } from '../baselines/kneser-ney'
import { type NgramCounts } from '../baselines/ngram-counts'
import { CountExpert } from './count-expert'
import { countDocuments, regionOf, replaceRegion } from './manuscript-counts'
import { wordsOf } from './words'

/** What the manuscript needs from the loaded model. */
export interface ManuscriptCodec {
  encode(text: string): number[]
  vocab: number
  /** Separator between documents in the counts (a special id: never predicted, never a context). */
  separator: number
  /** Ids the expert gives no probability (ExpertPanel.unknown). */
  never: Uint8Array
}

interface Doc {
  text: string
  words: number
  ids: Int32Array | null
  /** Its tokens, the separators between paragraphs left out (the status's count). */
  tokens: number
  /** Its paragraphs (the keys of the paragraph cache it uses). */
  parts: string[]
}

/** A character range of a document hidden by a mask. */
export interface HiddenRange {
  from: number
  to: number
}

/** Words of text as the status bar counts them: runs of non-space characters. */
export function countWords(text: string): number {
  const m = text.match(/\S+/g)
  return m ? m.length : 0
}

/** Paragraphs: runs of text between empty lines. */
const PARAGRAPH_BREAK = /\n[ \t]*\n\s*/

export class Manuscript {
  private readonly docs = new Map<string, Doc>()
  /** Token ids of every paragraph of the current documents, by its text. */
  private paragraphs = new Map<string, Int32Array>()
  /** How many documents hold each paragraph (a paragraph no document holds leaves the cache). */
  private readonly paragraphUses = new Map<string, number>()
  private tokenTotal = 0
  private wordTotal = 0
  private codec: ManuscriptCodec | null = null
  private counts: NgramCounts | null = null
  private expertCache: { key: string; expert: CountExpert } | null = null
  /** Lower-cased words of every document and how often each occurs, kept up to date once asked for. */
  private wordSet: Set<string> | null = null
  private wordUses: Map<string, number> | null = null
  private version = 0

  /** Sets or replaces (text) or removes (null) a document. Tokenizes it now when a model is loaded. */
  set(id: string, text: string | null): void {
    const old = this.docs.get(id)
    if (old && old.text === text) return
    let doc: Doc | null = null
    if (text !== null) {
      const parts = paragraphsOf(text)
      // its paragraphs are held before the old text lets go of them (the ones they share stay cached)
      for (const p of parts) this.paragraphUses.set(p, (this.paragraphUses.get(p) ?? 0) + 1)
      let ids: Int32Array | null
      try {
        ids = this.codec ? this.tokenize(parts) : null
      } catch (e) {
        this.release({ text, words: 0, ids: null, tokens: 0, parts })
        throw e
      }
      doc = { text, words: countWords(text), ids, tokens: this.tokensOf(ids), parts }
    }
    if (old) this.release(old)
    if (this.wordUses) {
      if (doc) this.countWordsOf(doc.text, 1)
      if (old) this.countWordsOf(old.text, -1)
    }
    if (this.counts && this.codec) {
      try {
        this.counts = this.replaceDocument(id, old?.ids ?? null, doc?.ids ?? null)
      } catch {
        this.counts = null // counts that disagree with the documents (never seen): counted again when next needed
      }
    }
    if (doc) {
      this.docs.set(id, doc)
      this.tokenTotal += doc.tokens
      this.wordTotal += doc.words
    } else this.docs.delete(id)
    this.changed(this.counts !== null)
  }

  /** Forgets every document. */
  clear(): void {
    this.docs.clear()
    this.wordSet = null
    this.wordUses = null
    this.paragraphs = new Map()
    this.paragraphUses.clear()
    this.tokenTotal = 0
    this.wordTotal = 0
    this.changed()
  }

  /** A model was loaded: every document is tokenized again in its tokenizer. */
  useCodec(codec: ManuscriptCodec | null): void {
    this.codec = codec
    this.paragraphs = new Map()
    this.tokenTotal = 0
    for (const doc of this.docs.values()) {
      doc.ids = codec ? this.tokenize(doc.parts) : null
      doc.tokens = this.tokensOf(doc.ids)
      this.tokenTotal += doc.tokens
    }
    this.changed()
  }

  /** A document is replaced or removed: its paragraphs no other document holds leave the cache. */
  private release(doc: Doc): void {
    for (const p of doc.parts) {
      const n = (this.paragraphUses.get(p) ?? 0) - 1
      if (n > 0) this.paragraphUses.set(p, n)
      else {
        this.paragraphUses.delete(p)
        this.paragraphs.delete(p)
      }
    }
    this.tokenTotal -= doc.tokens
    this.wordTotal -= doc.words
  }

  private tokensOf(ids: Int32Array | null): number {
    if (!ids || !this.codec) return 0
    let n = 0
    for (let i = 0; i < ids.length; i++) if (ids[i] !== this.codec.separator) n++
    return n
  }

  /**
   * The counts with document `id`'s region of the stream (documents in the map's order, each
   * followed by the separator) replaced. A new document goes last (it is not in the map yet).
   */
  private replaceDocument(id: string, before: Int32Array | null, after: Int32Array | null): NgramCounts {
    const sep = this.codec!.separator
    // The stream's tokens either side of the region: the end of the last non-empty document
    // before it, the start of the first non-empty one after it.
    let left: number[] = []
    let right: number[] = []
    let found = false
    for (const [other, d] of this.docs) {
      if (other === id) {
        found = true
        continue
      }
      if (!d.ids || d.ids.length === 0) continue
      if (!found) left = [d.ids[d.ids.length - 1], sep]
      else if (right.length === 0) right = [d.ids[0], d.ids.length > 1 ? d.ids[1] : sep]
    }
    return replaceRegion(this.counts!, regionOf(before, sep), regionOf(after, sep), left, right)
  }

  /** A document's ids: its paragraphs' (cached by text), the separator between them. */
  private tokenize(parts: string[]): Int32Array {
    const codec = this.codec!
    const ids = parts.map((p) => {
      let hit = this.paragraphs.get(p)
      if (!hit) {
        hit = Int32Array.from(codec.encode(p))
        this.paragraphs.set(p, hit)
      }
      return hit
    })
    const out = new Int32Array(ids.reduce((n, x) => n + x.length + 1, 0) - (ids.length > 0 ? 1 : 0))
    let at = 0
    ids.forEach((x, i) => {
      if (i > 0) out[at++] = codec.separator
      out.set(x, at)
      at += x.length
    })
    return out
  }

  status(): ManuscriptStatus {
    return { documents: this.docs.size, words: this.wordTotal, tokens: this.tokenTotal }
  }

  has(id: string): boolean {
    return this.docs.has(id)
  }

  /** Document texts (the phrase finder reads passages from them). */
  texts(): Map<string, string> {
    return new Map([...this.docs].map(([id, d]) => [id, d.text]))
  }

  /** Token streams of the documents (the passage finder reads them), all but `except`'s when named. */
  streams(except?: string): Int32Array[] {
    return [...this.docs]
      .filter(([id]) => id !== except)
      .map(([, d]) => d.ids)
      .filter((ids): ids is Int32Array => ids !== null)
  }

  /**
   * Lower-cased words of every document (the unknown-word check): gathered in one pass the first
   * time, then kept up to date by set() (a change reads the words of that document only). The
   * set is live: it follows later changes.
   */
  words(): ReadonlySet<string> {
    if (!this.wordSet || !this.wordUses) {
      this.wordSet = new Set()
      this.wordUses = new Map()
      for (const d of this.docs.values()) this.countWordsOf(d.text, 1)
    }
    return this.wordSet
  }

  private countWordsOf(text: string, delta: 1 | -1): void {
    const uses = this.wordUses!
    const set = this.wordSet!
    for (const w of wordsOf(text)) {
      const n = (uses.get(w) ?? 0) + delta
      if (n > 0) {
        uses.set(w, n)
        if (delta > 0) set.add(w)
      } else {
        uses.delete(w)
        set.delete(w)
      }
    }
  }

  /** The counts of every document (null when there is no text or no model). */
  ngramCounts(): NgramCounts | null {
    if (!this.codec) return null
    // Counted in one pass the first time; kept up to date by set() from then on.
    this.counts ??= countDocuments(this.streams(), this.codec.vocab, this.codec.separator)
    return this.counts.tokens > 0 ? this.counts : null
  }

  /**
   * The manuscript expert for one request: null without text. With `hidden` (a document of the
   * manuscript and the ranges its masks hide), the n-grams holding a hidden token are taken out.
   */
  expert(hidden?: { documentId: string; text: string; ranges: readonly HiddenRange[] }): CountExpert | null {
    const counts = this.ngramCounts()
    if (!counts || !this.codec) return null
    const doc = hidden && this.docs.get(hidden.documentId)
    const removed = doc && hidden.ranges.length > 0 ? hiddenNgrams(hidden.text, hidden.ranges, this.codec) : null
    const key = `${this.version}|${removed ? removed.key : ''}`
    if (this.expertCache?.key === key) return this.expertCache.expert
    const effective = removed ? subtractNgrams(counts, removed) : counts
    if (effective.tokens <= 0) return null
    const expert = new CountExpert(new KneserNeyTrigram(effective), this.codec.never)
    this.expertCache = { key, expert }
    return expert
  }

  /** `countsKept`: set() has brought the counts up to date (else they are counted again when next needed). */
  private changed(countsKept = false): void {
    this.version++
    if (!countsKept) this.counts = null
    this.expertCache = null
  }
}

/** A text's paragraphs that hold anything but whitespace. */
function paragraphsOf(text: string): string[] {
  return text.split(PARAGRAPH_BREAK).filter((p) => p.trim() !== '')
}

/** n-grams (as token arrays) to take out of the counts, and a key naming them. */
export interface RemovedNgrams {
  unigrams: number[]
  bigrams: [number, number][]
  trigrams: [number, number, number][]
  key: string
}

/** Characters of context each side of a hidden range that are tokenized with it. */
const CONTEXT_CHARS = 40

/**
 * The n-grams of `text` that hold a token of a hidden range: each range is tokenized with a
 * little text on each side (cut at whitespace), its own part separately, so the range's tokens
 * are known; every n-gram over those tokens that includes one of the range's is listed.
 */
export function hiddenNgrams(text: string, ranges: readonly HiddenRange[], codec: Pick<ManuscriptCodec, 'encode'>): RemovedNgrams {
  const out: RemovedNgrams = { unigrams: [], bigrams: [], trigrams: [], key: '' }
  for (const r of ranges) {
    if (r.to <= r.from) continue
    let a = Math.max(0, r.from - CONTEXT_CHARS)
    while (a > 0 && a < r.from && !/\s/.test(text[a - 1])) a++
    let b = Math.min(text.length, r.to + CONTEXT_CHARS)
    while (b < text.length && b > r.to && !/\s/.test(text[b])) b--
    // the spaces before the range go with it, as the tokenizer attaches a space to the word after it
    let f = r.from
    while (f > a && /\s/.test(text[f - 1])) f--
    const left = a < f ? codec.encode(text.slice(a, f)) : []
    const mid = codec.encode(text.slice(f, r.to))
    const right = r.to < b ? codec.encode(text.slice(r.to, b)) : []
    const ids = [...left, ...mid, ...right]
    const lo = left.length
    const hi = left.length + mid.length // hidden tokens: [lo, hi)
    for (let i = lo; i < hi; i++) out.unigrams.push(ids[i])
    for (let i = Math.max(0, lo - 1); i < Math.min(hi, ids.length - 1); i++) out.bigrams.push([ids[i], ids[i + 1]])
    for (let i = Math.max(0, lo - 2); i < Math.min(hi, ids.length - 2); i++) out.trigrams.push([ids[i], ids[i + 1], ids[i + 2]])
    out.key += `${r.from}-${r.to}:${mid.join('.')};`
  }
  return out
}

/** Counts less the removed n-grams (never below 0; entries that reach 0 are dropped). */
export function subtractNgrams(counts: NgramCounts, removed: RemovedNgrams): NgramCounts {
  const V = counts.vocab
  const unigram = Float64Array.from(counts.unigram)
  let tokens = counts.tokens
  for (const t of removed.unigrams)
    if (unigram[t] > 0) {
      unigram[t]--
      tokens--
    }
  const less = (keys: Float64Array, vals: Int32Array, packed: number[]) => {
    const c = Int32Array.from(vals)
    for (const k of packed) {
      const i = sortedIndex(keys, k)
      if (i >= 0 && c[i] > 0) c[i]--
    }
    let n = 0
    for (let i = 0; i < c.length; i++) if (c[i] > 0) n++
    const outKeys = new Float64Array(n)
    const outCounts = new Int32Array(n)
    for (let i = 0, j = 0; i < c.length; i++)
      if (c[i] > 0) {
        outKeys[j] = keys[i]
        outCounts[j++] = c[i]
      }
    return { keys: outKeys, counts: outCounts }
  }
  const bi = less(counts.bigramKeys, counts.bigramCounts, removed.bigrams.map(([a, b]) => a * V + b))
  const tri = less(counts.trigramKeys, counts.trigramCounts, removed.trigrams.map(([a, b, c]) => (a * V + b) * V + c))
  // The removed lists come from re-tokenizing text around each range, and the windows of two
  // near ranges overlap (an n-gram across both is listed twice), so a bigram can reach 0 while a
  // trigram over it stays: such a trigram goes too, or the counts are not a Kneser-Ney model's
  // (a fill with four masked words failed with "a trigram whose suffix is not a bigram").
  const bigrams = new Set(bi.keys)
  const VV = V * V
  const keep: number[] = []
  for (let i = 0; i < tri.keys.length; i++) {
    const key = tri.keys[i]
    const prefix = Math.floor(key / V)
    const suffix = key - Math.floor(key / VV) * VV
    if (bigrams.has(prefix) && bigrams.has(suffix)) keep.push(i)
  }
  const triKeys = Float64Array.from(keep, (i) => tri.keys[i])
  const triCounts = Int32Array.from(keep, (i) => tri.counts[i])
  return { vocab: V, tokens, unigram, bigramKeys: bi.keys, bigramCounts: bi.counts, trigramKeys: triKeys, trigramCounts: triCounts }
}

function sortedIndex(keys: Float64Array, target: number): number {
  let lo = 0
  let hi = keys.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (keys[mid] === target) return mid
    if (keys[mid] < target) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}
