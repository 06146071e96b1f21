/**
 * Word neighbours for "Other words": a distributional thesaurus of the model's training text
 * (models/train/thesaurus.py writes it; experts.json names it `thesaurus`). Each frequent word
 * has a unit vector of the company it keeps; two words are alike by the cosine of theirs
 * ("wind": sun, rain, sea, fire; "walked": ran, moved, went). It says which words could stand
 * for the original, never whether one fits the sentence: that is the fused score's call.
 *
 * File (little-endian): "INFTHS01", u32 words, u32 dims, u32 byte length of the words (UTF-8,
 * one a line, each in the case it mostly has in the text, distinct lower-cased), the words,
 * then words × dims int8 (unit vectors × 127).
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
  ) {
    words.forEach((w, i) => this.index.set(w.toLowerCase(), i))
  }

  /** Whether `word` (any case) has a vector. */
  has(word: string): boolean {
    return this.index.has(word.toLowerCase())
  }

  /** Cosine of two words' vectors, or null when either has none. */
  similarity(a: string, b: string): number | null {
    const i = this.index.get(a.toLowerCase())
    const j = this.index.get(b.toLowerCase())
    if (i === undefined || j === undefined) return null
    return this.dot(i, j)
  }

  /** The `k` words most like `word` (any case; itself left out), most alike first, in their own case; [] for a word with no vector. */
  neighbours(word: string, k: number): Neighbour[] {
    const i = this.index.get(word.toLowerCase())
    if (i === undefined || k <= 0) return []
    const best: Neighbour[] = []
    for (let j = 0; j < this.words.length; j++) {
      if (j === i) continue
      const s = this.dot(i, j)
      if (best.length === k && s <= best[k - 1].similarity) continue
      let at = best.length < k ? best.length : k - 1
      while (at > 0 && best[at - 1].similarity < s) at--
      best.splice(at, 0, { word: this.words[j], similarity: s })
      if (best.length > k) best.pop()
    }
    return best
  }

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
  const expected = HEADER + blob + n * dims
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
  const start = HEADER + blob
  const vectors = new Int8Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + n * dims))
  return new Thesaurus(words, dims, vectors)
}
