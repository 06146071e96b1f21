/**
 * Seedable pseudo-random numbers: mulberry32 streams, one per candidate, derived from the
 * request's seed with splitmix32, so the same seed reproduces the same fill.
 */

/** A stream of uniform numbers in [0, 1). */
export type Rng = () => number

/** splitmix32: scrambles (seed, stream) into a well-mixed 32-bit state. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/** mulberry32 seeded with `seed` (any 32-bit integer). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Independent stream number `stream` of a request seeded with `seed`. */
export function rngStream(seed: number, stream: number): Rng {
  return mulberry32(splitmix32(splitmix32(seed >>> 0) ^ Math.imul(stream + 1, 0x27d4eb2d)))
}
