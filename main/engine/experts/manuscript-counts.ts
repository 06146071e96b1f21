/**
 * The manuscript's n-gram counts kept up to date as its documents change (issue 21: an update
 * after a pause in typing must not recount a 300k-word workspace).
 *
 * The counts are those of one stream: every non-empty document's ids followed by the separator,
 * in document order (`countNgrams` of that concatenation, see `countDocuments`). A change to one
 * document replaces its region of that stream (its ids and separator) by the new one; only the
 * n-grams that overlap the replaced tokens change. The old and new regions are trimmed to the
 * tokens that differ (a sentence typed at the end of a chapter touches a few tokens), widened by
 * two tokens of context each side (the stream's neighbours: the end of the document before, the
 * start of the one after), and the n-grams of the old window are taken out and those of the new
 * window put in: n-grams lying wholly in the unchanged context are in both and cancel, and every
 * other n-gram of the stream lies wholly before or after the change. The result equals a full
 * recount exactly (a property test replays random edits against `countDocuments`), so the
 * Kneser-Ney continuation counts built from it are exact too.
 *
 * Counts are never changed in place: a running fill keeps the counts (and the Kneser-Ney tables
 * over their arrays) it started with.
 */
import { countNgrams, type NgramCounts } from '../baselines/ngram-counts'

/** The full recount: the counts of `streams` (each followed by `separator`; empty ones skipped). */
export function countDocuments(streams: Iterable<ArrayLike<number>>, vocab: number, separator: number): NgramCounts {
  const parts = [...streams].filter((s) => s.length > 0)
  const all = new Int32Array(parts.reduce((n, s) => n + s.length + 1, 0))
  let at = 0
  for (const s of parts) {
    all.set(s, at)
    at += s.length
    all[at++] = separator
  }
  return countNgrams(all, vocab)
}

/** A document's region of the counted stream: its ids and the separator, or nothing when it has no ids. */
export function regionOf(ids: ArrayLike<number> | null, separator: number): Int32Array {
  if (!ids || ids.length === 0) return new Int32Array(0)
  const out = new Int32Array(ids.length + 1)
  out.set(ids)
  out[ids.length] = separator
  return out
}

/**
 * The counts after one region of the stream changed from `before` to `after`. `left`: the (at
 * most two) tokens of the stream just before the region; `right`: the (at most two) just after.
 * Returns `counts` itself when nothing changed.
 */
export function replaceRegion(counts: NgramCounts, before: ArrayLike<number>, after: ArrayLike<number>, left: readonly number[], right: readonly number[]): NgramCounts {
  const V = counts.vocab
  // The tokens that differ: common prefix and suffix trimmed.
  const limit = Math.min(before.length, after.length)
  let p = 0
  while (p < limit && before[p] === after[p]) p++
  let q = 0
  while (q < limit - p && before[before.length - 1 - q] === after[after.length - 1 - q]) q++
  if (p === before.length && p === after.length) return counts
  const oldMid = Array.from({ length: before.length - p - q }, (_, i) => before[p + i])
  const newMid = Array.from({ length: after.length - p - q }, (_, i) => after[p + i])
  // Two tokens of unchanged context each side (from the region itself, else the stream's neighbours).
  const lead = [...left, ...Array.from({ length: p }, (_, i) => before[i])].slice(-2)
  const trail = [...Array.from({ length: q }, (_, i) => before[before.length - q + i]), ...right].slice(0, 2)
  const oldWin = [...lead, ...oldMid, ...trail]
  const newWin = [...lead, ...newMid, ...trail]

  const unigram = Float64Array.from(counts.unigram)
  for (const t of oldMid) {
    if (!(unigram[t] > 0)) throw new Error('manuscript counts: a unigram went below 0 (the counts and the documents disagree)')
    unigram[t]--
  }
  for (const t of newMid) {
    if (!(t >= 0 && t < V && Number.isInteger(t))) throw new Error(`manuscript counts: id ${t} is outside the vocabulary of ${V}`)
    unigram[t]++
  }
  const bi = new Map<number, number>()
  const tri = new Map<number, number>()
  const add = (win: number[], sign: number) => {
    for (let i = 0; i + 1 < win.length; i++) {
      const k = win[i] * V + win[i + 1]
      bi.set(k, (bi.get(k) ?? 0) + sign)
    }
    for (let i = 0; i + 2 < win.length; i++) {
      const k = (win[i] * V + win[i + 1]) * V + win[i + 2]
      tri.set(k, (tri.get(k) ?? 0) + sign)
    }
  }
  add(oldWin, -1)
  add(newWin, 1)
  const bigrams = mergeDelta(counts.bigramKeys, counts.bigramCounts, bi)
  const trigrams = mergeDelta(counts.trigramKeys, counts.trigramCounts, tri)
  return {
    vocab: V,
    tokens: counts.tokens - oldMid.length + newMid.length,
    unigram,
    bigramKeys: bigrams.keys,
    bigramCounts: bigrams.counts,
    trigramKeys: trigrams.keys,
    trigramCounts: trigrams.counts,
  }
}

/** Sorted distinct keys with counts, plus a delta per key: new arrays, keys whose count reaches 0 dropped. */
function mergeDelta(keys: Float64Array, counts: Int32Array, delta: Map<number, number>): { keys: Float64Array; counts: Int32Array } {
  const d = [...delta].filter(([, n]) => n !== 0).sort((a, b) => a[0] - b[0])
  if (d.length === 0) return { keys, counts }
  const outKeys = new Float64Array(keys.length + d.length)
  const outCounts = new Int32Array(keys.length + d.length)
  let n = 0
  let i = 0
  const copyUntil = (key: number) => {
    // a run of untouched keys, copied at once
    let j = i
    while (j < keys.length && keys[j] < key) j++
    outKeys.set(keys.subarray(i, j), n)
    outCounts.set(counts.subarray(i, j), n)
    n += j - i
    i = j
  }
  for (const [key, change] of d) {
    // binary search for the first key >= key (the delta is small, the arrays are not)
    let lo = i
    let hi = keys.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (keys[mid] < key) lo = mid + 1
      else hi = mid
    }
    outKeys.set(keys.subarray(i, lo), n)
    outCounts.set(counts.subarray(i, lo), n)
    n += lo - i
    i = lo
    const have = i < keys.length && keys[i] === key ? counts[i++] : 0
    const now = have + change
    if (now < 0) throw new Error('manuscript counts: an n-gram went below 0 (the counts and the documents disagree)')
    if (now > 0) {
      outKeys[n] = key
      outCounts[n++] = now
    }
  }
  copyUntil(Infinity)
  return { keys: outKeys.slice(0, n), counts: outCounts.slice(0, n) }
}
