/**
 * A hash index over integer keys held in a Float64Array (token pairs and triples packed as
 * `a·V + b` and `(a·V + b)·V + c`, exact below 2^53): open addressing with linear probing
 * in an Int32Array of slots, so millions of keys cost a few bytes each and a lookup is a
 * few typed-array reads, with no Map entries or boxed numbers.
 */

const TWO_32 = 4294967296

/** 32-bit mix of an integer key below 2^53. */
function hashKey(key: number): number {
  const lo = key >>> 0
  const hi = Math.floor(key / TWO_32) >>> 0
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

export class KeyIndex {
  private readonly slots: Int32Array
  private readonly mask: number

  /** Indexes `keys` (distinct integers); `get(keys[i])` returns i. */
  constructor(readonly keys: Float64Array) {
    let capacity = 16
    while (capacity < keys.length * 2) capacity *= 2
    this.slots = new Int32Array(capacity).fill(-1)
    this.mask = capacity - 1
    for (let i = 0; i < keys.length; i++) {
      let s = hashKey(keys[i]) & this.mask
      while (this.slots[s] !== -1) {
        if (keys[this.slots[s]] === keys[i]) throw new Error(`KeyIndex: key ${keys[i]} appears twice`)
        s = (s + 1) & this.mask
      }
      this.slots[s] = i
    }
  }

  /** Index of `key` in `keys`, or -1. */
  get(key: number): number {
    let s = hashKey(key) & this.mask
    for (;;) {
      const i = this.slots[s]
      if (i === -1 || this.keys[i] === key) return i
      s = (s + 1) & this.mask
    }
  }

  get size(): number {
    return this.keys.length
  }
}
