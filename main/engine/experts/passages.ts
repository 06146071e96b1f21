/**
 * Passages of a token stream whose left and right contexts match a span's (the "phrases
 * from the writer's text" of issue 21): every run of `minLen..maxLen` tokens that sits
 * between the span's nearest left token l1 and right token r1, with at least one more
 * neighbour matching (l2 before l1, or r2 after r1) where the span has it, and no separator
 * or line break inside; kept when it recurs there (twice or more) or once with every
 * neighbour the span has matching: a run seen once between common words ("to ⟦jail,⟧ and")
 * is a coincidence of the text, not the writer's phrase, and the blind sheet rated such
 * passages below the model's own fills. Distinct runs, most frequent first. With `leadText` the first piece
 * must start with a space exactly when the writer's text has one before the span: a stream's
 * "▁we" is also the start of "weep", and "▁we|ep|▁at" is no passage for "so we … at".
 */

export interface PassageQuery {
  /** The span's known neighbours (-1 = none; l1 and r1 are required). */
  l2: number
  l1: number
  r1: number
  r2: number
  minLen: number
  maxLen: number
  /** At most this many distinct passages. */
  limit: number
  /** Ids a passage may not hold (separators, specials, line breaks). */
  stop: Uint8Array
  /** 1 at pieces that start with a non-space (word-rules.ts); with `spaceBefore`, checks a passage's first piece. */
  leadText?: Uint8Array
  /** The writer's text has white space between l1 and the span. */
  spaceBefore?: boolean
}

export interface Passage {
  ids: number[]
  /** How often it occurs between the contexts. */
  count: number
}

/** A run and whether one of its occurrences matched every neighbour the span has. */
interface Found extends Passage {
  full: boolean
}

/** Passages of `streams` that fit the query (see the module comment). */
export function findPassages(streams: readonly ArrayLike<number>[], q: PassageQuery): Passage[] {
  if (q.l1 < 0 || q.r1 < 0 || q.maxLen < 1) return []
  const found = new Map<string, Found>()
  for (const s of streams) {
    const n = s.length
    for (let i = 0; i < n; i++) {
      if (s[i] !== q.l1) continue
      const leftMatch = q.l2 >= 0 && i > 0 && s[i - 1] === q.l2
      if (q.leadText && q.spaceBefore !== undefined && i + 1 < n && q.leadText[s[i + 1]] !== (q.spaceBefore ? 0 : 1)) continue
      for (let len = 1; len <= q.maxLen && i + len + 1 < n; len++) {
        const t = s[i + len]
        if (t < 0 || t >= q.stop.length || q.stop[t]) break
        if (len < q.minLen || s[i + len + 1] !== q.r1) continue
        const rightMatch = q.r2 >= 0 && i + len + 2 < n && s[i + len + 2] === q.r2
        const needOneMore = q.l2 >= 0 || q.r2 >= 0
        if (needOneMore && !leftMatch && !rightMatch) continue
        const full = (q.l2 < 0 || leftMatch) && (q.r2 < 0 || rightMatch)
        const ids = Array.from({ length: len }, (_, k) => s[i + 1 + k])
        const key = ids.join(',')
        const p = found.get(key)
        if (p) {
          p.count++
          p.full ||= full
        } else found.set(key, { ids, count: 1, full })
      }
    }
  }
  return [...found.values()]
    .filter((p) => p.count >= 2 || p.full)
    .sort((a, b) => b.count - a.count || a.ids.length - b.ids.length)
    .slice(0, q.limit)
    .map(({ ids, count }) => ({ ids, count }))
}
