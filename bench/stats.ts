/** Small descriptive statistics over plain number arrays (pure). */

/** Sum of `xs` (0 for none). */
export function sum(xs: readonly number[]): number {
  let s = 0
  for (const x of xs) s += x
  return s
}

/** Arithmetic mean (NaN for none). */
export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : sum(xs) / xs.length
}

/**
 * The q-quantile (0..1) of `xs`, linear between closest ranks (the "R-7" / NumPy default
 * rule). NaN for an empty array.
 */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within 0..1, got ${q}`)
  const sorted = [...xs].sort((a, b) => a - b)
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo])
}

/** The median of `xs` (NaN for an empty array). */
export function median(xs: readonly number[]): number {
  return percentile(xs, 0.5)
}

/** a / b, or NaN when b is 0. */
export function ratio(a: number, b: number): number {
  return b === 0 ? NaN : a / b
}

/** `x` rounded to `digits` decimals (for figures in JSON and tables). */
export function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x
  const f = 10 ** digits
  return Math.round(x * f) / f
}
