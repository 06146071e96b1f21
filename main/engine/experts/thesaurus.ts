/**
 * Word neighbours for "Other words": a distributional thesaurus of the model's training text
 * (models/train/thesaurus.py writes it; experts.json names it `thesaurus`). Each frequent word
 * has a unit vector of the company it keeps; two words are alike by the cosine of theirs
 * ("wind": sun, rain, sea, fire; "walked": ran, moved, went). It says which words could stand
 * for the original, never whether one fits the sentence: that is the fused score's call.
 *
 * A word's vector is only as good as the text it was seen in: "fable", seen 9 times, has
 * "windfall, textbook, synonym" for neighbours; "person", seen 1,000 times, "guy, girl, woman".
 * The file says how often each word was seen, so a caller can ask for words seen enough.
 *
 * File (little-endian): "INFTHS01", u32 words, u32 dims, u32 byte length of the words (UTF-8,
 * one a line, each in the case it mostly has in the text, distinct lower-cased), the words,
 * u32 times each was seen, then words × dims int8 (unit vectors × 127).
 */

const MAGIC = 'INFTHS01'
const HEADER = 8 + 12
/** Bounds a file must keep (the default model's: 29,830 words × 128). */
export const THESAURUS_LIMITS = { words: 200_000, dims: 1024 } as const

/** A word like another, and how alike (cosine, −1..1). */
export interface Neighbour {
  word: string
  similarity: number
}

export class Thesaurus {
  private readonly index = new Map<string, number>()

  constructor(
    readonly words: readonly string[],
    readonly dims: number,
    private readonly vectors: Int8Array,
    private readonly seen: Uint32Array,
  ) {
    words.forEach((w, i) => this.index.set(w.toLowerCase(), i))
  }

  /** Whether `word` (any case) has a vector from at least `minSeen` sightings. */
  has(word: string, minSeen = 0): boolean {
    return this.timesSeen(word) >= Math.max(1, minSeen)
  }

  /** Times `word` (any case) was seen in the text; 0 for a word with no vector. */
  timesSeen(word: string): number {
    const i = this.index.get(word.toLowerCase())
    return i === undefined ? 0 : this.seen[i]
  }

  /** Cosine of two words' vectors, or null when either has none. */
  similarity(a: string, b: string): number | null {
    const i = this.index.get(a.toLowerCase())
    const j = this.index.get(b.toLowerCase())
    if (i === undefined || j === undefined) return null
    return this.dot(i, j)
  }

  /**
   * The `k` words seen at least `minSeen` times most like `word` (any case; itself left out),
   * most alike first, in their own case; [] for a word with no vector.
   */
  neighbours(word: string, k: number, minSeen = 0): Neighbour[] {
    const i = this.index.get(word.toLowerCase())
    if (i === undefined || k <= 0) return []
    const best: Neighbour[] = []
    for (let j = 0; j < this.words.length; j++) {
      if (j === i || this.seen[j] < minSeen) continue
      const s = this.dot(i, j)
      if (best.length === k && s <= best[k - 1].similarity) continue
      let at = best.length < k ? best.length : k - 1
      while (at > 0 && best[at - 1].similarity < s) at--
      best.splice(at, 0, { word: this.words[j], similarity: s })
      if (best.length > k) best.pop()
    }
    return best
  }

  /**
   * The `k` capitalised words (seen at least `minSeen` times) nearest to the people named in
   * `seeds`: person names ("John, James, Thomas, Charles, Mary" for the default model), for a
   * name the thesaurus does not know. [] when it knows none of the seeds. Cached per arguments.
   */
  names(seeds: readonly string[], k: number, minSeen = 0): string[] {
    const key = `${seeds.join(',')}|${k}|${minSeen}`
    const hit = this.nameCache.get(key)
    if (hit) return hit
    const D = this.dims
    const centre = new Float64Array(D)
    let known = 0
    for (const seed of seeds) {
      const i = this.index.get(seed.toLowerCase())
      if (i === undefined) continue
      known++
      for (let d = 0; d < D; d++) centre[d] += this.vectors[i * D + d]
    }
    const out: string[] = []
    if (known > 0) {
      const capitalised = (w: string) => /^\p{Lu}/u.test(w) && /\p{Ll}/u.test(w) && !/['’]/.test(w)
      const scored: { word: string; s: number }[] = []
      for (let j = 0; j < this.words.length; j++) {
        if (this.seen[j] < minSeen || !capitalised(this.words[j])) continue
        let s = 0
        for (let d = 0; d < D; d++) s += centre[d] * this.vectors[j * D + d]
        scored.push({ word: this.words[j], s })
      }
      scored.sort((a, b) => b.s - a.s)
      for (const x of scored.slice(0, k)) out.push(x.word)
    }
    this.nameCache.set(key, out)
    return out
  }

  private readonly nameCache = new Map<string, string[]>()

  private dot(i: number, j: number): number {
    const D = this.dims
    const v = this.vectors
    let s = 0
    for (let d = 0, a = i * D, b = j * D; d < D; d++) s += v[a + d] * v[b + d]
    return s / (127 * 127)
  }
}

/** Parses a thesaurus file; throws naming `name` and what is wrong. */
export function parseThesaurus(bytes: Uint8Array, name: string): Thesaurus {
  const fail = (why: string): never => {
    throw new Error(`${name}: ${why} (rebuild it with models/train/thesaurus.py, or remove 'thesaurus' from experts.json)`)
  }
  if (bytes.byteLength < HEADER || new TextDecoder('latin1').decode(bytes.subarray(0, 8)) !== MAGIC) fail(`not a thesaurus file (expected it to start with ${MAGIC})`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = view.getUint32(8, true)
  const dims = view.getUint32(12, true)
  const blob = view.getUint32(16, true)
  if (n < 1 || n > THESAURUS_LIMITS.words) fail(`${n} words: expected 1 to ${THESAURUS_LIMITS.words}`)
  if (dims < 1 || dims > THESAURUS_LIMITS.dims) fail(`${dims} dimensions: expected 1 to ${THESAURUS_LIMITS.dims}`)
  const expected = HEADER + blob + 4 * n + n * dims
  if (bytes.byteLength !== expected) fail(`${bytes.byteLength} bytes where its header implies ${expected}`)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER, HEADER + blob))
  } catch {
    return fail('its words are not UTF-8')
  }
  const words = text.split('\n')
  if (words.length !== n) fail(`${words.length} words listed where its header says ${n}`)
  if (new Set(words.map((w) => w.toLowerCase())).size !== n || words.some((w) => w.length === 0)) fail('its words must be non-empty and distinct (ignoring case)')
  const seen = new Uint32Array(n)
  for (let i = 0; i < n; i++) seen[i] = view.getUint32(HEADER + blob + 4 * i, true)
  if (seen.some((c) => c === 0)) fail('a word seen 0 times')
  const start = HEADER + blob + 4 * n
  const vectors = new Int8Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + n * dims))
  return new Thesaurus(words, dims, vectors, seen)
}
