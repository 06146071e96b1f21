/**
 * Interpolated Kneser-Ney trigram model (Chen & Goodman 1998, one discount per order) over
 * token ids, and the bidirectional use the eval makes of it.
 *
 * The highest order a query uses takes raw counts; the orders below it take continuation
 * counts (in how many distinct contexts a token follows), and the lowest is interpolated
 * with the uniform distribution, so every id has a non-zero probability:
 *
 *   P3(w | u v) = (max(c(uvw) − D3, 0) + D3 · N1+(uv•) · P2(w | v)) / c(uv•)
 *   P2(w | v)   = (max(N1+(•vw) − D2, 0) + D2 · N1+(v•) · P1(w)) / N1+(•v•)
 *   P1(w)       = (max(N1+(•w) − D1, 0) + D1 · N1+(types) / V) / N1+(••)
 *
 * A history never seen falls back to the order below it (its interpolation weight is 1).
 * With a shorter context the top order is the bigram (raw counts c(vw) over c(v•)) or the
 * raw unigram. Each discount is n1 / (n1 + 2·n2) of the counts that order uses.
 *
 * A masked slot is scored from both sides: the best w maximises
 *   P(w | l2 l1) · P(r1 | l1 w) · P(r2 | w r1),
 * a neighbour that is masked or outside the window is dropped (l2 needs l1, r2 needs r1).
 */
import { KeyIndex } from './key-index'
import { assertPackable, type NgramCounts } from './ngram-counts'

export interface Discounts {
  /** Raw trigram counts. */
  trigram: number
  /** Raw bigram counts (the bigram as the top order). */
  bigram: number
  /** Bigram continuation counts. */
  bigramContinuation: number
  /** Raw unigram counts (no context at all). */
  unigram: number
  /** Unigram continuation counts. */
  unigramContinuation: number
}

/** Neighbours of a slot; -1 where a neighbour is dropped. */
export interface SlotContext {
  l2: number
  l1: number
  r1: number
  r2: number
}

/** Chen & Goodman's D = n1 / (n1 + 2·n2) over the positive counts in `counts` (0.5 if none occur once). */
export function discountOf(counts: ArrayLike<number>): number {
  let n1 = 0
  let n2 = 0
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 1) n1++
    else if (counts[i] === 2) n2++
  }
  return n1 === 0 ? 0.5 : n1 / (n1 + 2 * n2)
}

export class KneserNeyTrigram {
  readonly vocab: number
  readonly discounts: Discounts
  /** P of each id with no context (raw unigram level). */
  private readonly uniRaw: Float64Array
  /** Continuation unigram P1 of each id. */
  private readonly uniCont: Float64Array
  /** Distinct bigrams, ascending (by v, then w). */
  private readonly bigramKeys: Float64Array
  private readonly bigramCounts: Int32Array
  /** N1+(•vw) for each distinct bigram. */
  private readonly bigramCont: Float64Array
  /** c(v•) and N1+(v•) for each v. */
  private readonly histRaw2: Float64Array
  private readonly typesRaw2: Float64Array
  /** N1+(•v•) and the number of w with N1+(•vw) > 0, for each v. */
  private readonly histCont2: Float64Array
  private readonly typesCont2: Float64Array
  /** Distinct trigrams, ascending (each history's followers are one run). */
  private readonly trigramKeys: Float64Array
  private readonly trigramCounts: Int32Array
  /** Trigram histories (u, v): c(uv•) and N1+(uv•). */
  private readonly histIndex: KeyIndex
  private readonly histCount: Float64Array
  private readonly histTypes: Float64Array
  /** First trigram (index into the sorted trigrams) of each history: its followers are a run. */
  private readonly histStart: Int32Array
  /** Bigrams are sorted by (v, w): the followers of v are bigrams bigramStart[v] .. bigramStart[v + 1]. */
  private readonly bigramStart: Int32Array
  /** Bigram indices sorted by their second id: the predecessors of w are predOrder[predStart[w] .. predStart[w + 1]]. */
  private readonly predOrder: Int32Array
  private readonly predStart: Int32Array
  /** Histories (u, ·) are hist indices histFirst[u] .. histFirst[u + 1]. */
  private readonly histFirst: Int32Array
  private readonly left: Float64Array
  private readonly right: Float64Array
  private readonly lower: Float64Array
  private readonly third: Float64Array
  private readonly rawUnigram: Float64Array
  /** Most frequent id in the counts (the unigram baseline), skipping `banned`. */
  readonly mostFrequent: number

  constructor(counts: NgramCounts, opts: { discounts?: Partial<Discounts>; banned?: Uint8Array } = {}) {
    const V = counts.vocab
    assertPackable(V)
    this.vocab = V
    const VV = V * V
    this.bigramKeys = counts.bigramKeys
    this.bigramCounts = counts.bigramCounts
    this.trigramKeys = counts.trigramKeys
    this.trigramCounts = counts.trigramCounts
    const nb = counts.bigramKeys.length
    const nt = counts.trigramKeys.length

    // Bigram runs by first id, and the bigrams ordered by second id (a counting sort).
    this.bigramStart = new Int32Array(V + 1)
    this.predStart = new Int32Array(V + 1)
    for (let i = 0; i < nb; i++) {
      const key = counts.bigramKeys[i]
      this.bigramStart[Math.floor(key / V) + 1]++
      this.predStart[key - Math.floor(key / V) * V + 1]++
    }
    for (let v = 0; v < V; v++) {
      this.bigramStart[v + 1] += this.bigramStart[v]
      this.predStart[v + 1] += this.predStart[v]
    }
    this.predOrder = new Int32Array(nb)
    const fill = this.predStart.slice(0, V)
    for (let i = 0; i < nb; i++) {
      const key = counts.bigramKeys[i]
      this.predOrder[fill[key - Math.floor(key / V) * V]++] = i
    }

    // Continuation counts N1+(•vw): the distinct trigrams' suffixes, sorted, merged with the bigrams.
    const suffixes = new Float64Array(nt)
    for (let i = 0; i < nt; i++) {
      const key = counts.trigramKeys[i]
      suffixes[i] = key - Math.floor(key / VV) * VV
    }
    suffixes.sort()
    const bigramCont = new Float64Array(nb)
    for (let i = 0, b = 0; i < nt; i++) {
      while (b < nb && counts.bigramKeys[b] < suffixes[i]) b++
      if (b === nb || counts.bigramKeys[b] !== suffixes[i]) throw new Error('n-gram counts: a trigram whose suffix is not a bigram (corrupt counts)')
      bigramCont[b]++
    }
    this.bigramCont = bigramCont

    // Trigram histories (u, v): trigrams ascend, so each history is one run.
    let nh = 0
    for (let i = 0; i < nt; i++) if (i === 0 || Math.floor(counts.trigramKeys[i] / V) !== Math.floor(counts.trigramKeys[i - 1] / V)) nh++
    const histKeys = new Float64Array(nh)
    this.histCount = new Float64Array(nh)
    this.histTypes = new Float64Array(nh)
    this.histStart = new Int32Array(nh)
    for (let i = 0, h = -1; i < nt; i++) {
      const hist = Math.floor(counts.trigramKeys[i] / V)
      if (h < 0 || histKeys[h] !== hist) {
        histKeys[++h] = hist
        this.histStart[h] = i
      }
      this.histCount[h] += counts.trigramCounts[i]
      this.histTypes[h]++
    }
    this.histIndex = new KeyIndex(histKeys)
    this.histFirst = new Int32Array(V + 1)
    for (const key of histKeys) this.histFirst[Math.floor(key / V) + 1]++
    for (let u = 0; u < V; u++) this.histFirst[u + 1] += this.histFirst[u]
    this.left = new Float64Array(V)
    this.right = new Float64Array(V)
    this.lower = new Float64Array(V)
    this.third = new Float64Array(V)

    this.histRaw2 = new Float64Array(V)
    this.typesRaw2 = new Float64Array(V)
    this.histCont2 = new Float64Array(V)
    this.typesCont2 = new Float64Array(V)
    const cont1 = new Float64Array(V)
    for (let i = 0; i < nb; i++) {
      const key = counts.bigramKeys[i]
      const v = Math.floor(key / V)
      const w = key - v * V
      this.histRaw2[v] += counts.bigramCounts[i]
      this.typesRaw2[v]++
      if (bigramCont[i] > 0) {
        this.histCont2[v] += bigramCont[i]
        this.typesCont2[v]++
      }
      cont1[w]++
    }

    const positive = (a: Float64Array) => a.filter((x) => x > 0)
    this.discounts = {
      trigram: discountOf(counts.trigramCounts),
      bigram: discountOf(counts.bigramCounts),
      bigramContinuation: discountOf(positive(bigramCont)),
      unigram: discountOf(positive(counts.unigram)),
      unigramContinuation: discountOf(positive(cont1)),
      ...opts.discounts,
    }
    this.rawUnigram = counts.unigram
    this.uniRaw = interpolatedUniform(counts.unigram, this.discounts.unigram)
    this.uniCont = interpolatedUniform(cont1, this.discounts.unigramContinuation)

    let best = -1
    for (let w = 0; w < V; w++) {
      if (opts.banned?.[w]) continue
      if (best < 0 || counts.unigram[w] > counts.unigram[best]) best = w
    }
    this.mostFrequent = best
  }

  /** P1(w): the continuation unigram. */
  unigramContinuation(w: number): number {
    return this.uniCont[w]
  }

  /** P(w) with no context: the raw unigram, interpolated with uniform. */
  unigram(w: number): number {
    return this.uniRaw[w]
  }

  /** P2(w | v) over continuation counts (the bigram below a trigram). */
  bigramContinuation(w: number, v: number): number {
    const h = this.histCont2[v]
    if (h === 0) return this.uniCont[w]
    const i = this.bigramAt(v, w)
    const c = i >= 0 ? this.bigramCont[i] : 0
    const d = this.discounts.bigramContinuation
    return (Math.max(c - d, 0) + d * this.typesCont2[v] * this.uniCont[w]) / h
  }

  /** P(w | v) with the bigram as the top order (raw counts). */
  bigram(w: number, v: number): number {
    const h = this.histRaw2[v]
    if (h === 0) return this.uniCont[w]
    const i = this.bigramAt(v, w)
    const c = i >= 0 ? this.bigramCounts[i] : 0
    const d = this.discounts.bigram
    return (Math.max(c - d, 0) + d * this.typesRaw2[v] * this.uniCont[w]) / h
  }

  /** P3(w | u v). */
  trigram(w: number, u: number, v: number): number {
    const V = this.vocab
    const h = this.histIndex.get(u * V + v)
    const lower = this.bigramContinuation(w, v)
    if (h < 0) return lower
    const i = this.followerIndex(h, w)
    const c = i >= 0 ? this.trigramCounts[i] : 0
    const d = this.discounts.trigram
    return (Math.max(c - d, 0) + d * this.histTypes[h] * lower) / this.histCount[h]
  }

  /** P(w | l2 l1) with whatever context is there (-1 = none; l2 counts only with l1). */
  prob(w: number, l2: number, l1: number): number {
    if (l1 < 0) return this.uniRaw[w]
    if (l2 < 0) return this.bigram(w, l1)
    return this.trigram(w, l2, l1)
  }

  /**
   * P(w | l2 l1) for every id into `out` (-1 = no context, as in `prob`): the backed-off
   * part for all ids at once, then the ids seen after that context, from the sorted runs.
   */
  leftDistribution(l2: number, l1: number, out: Float64Array): void {
    const V = this.vocab
    if (l1 < 0) {
      out.set(this.uniRaw)
      return
    }
    const followers = (h: number, d: number, weight: (i: number) => number) => {
      for (let i = this.bigramStart[l1]; i < this.bigramStart[l1 + 1]; i++) {
        out[this.bigramKeys[i] - l1 * V] += Math.max(weight(i) - d, 0) / h
      }
    }
    if (l2 < 0) {
      const h = this.histRaw2[l1]
      if (h === 0) return void out.set(this.uniCont)
      const d = this.discounts.bigram
      const coef = (d * this.typesRaw2[l1]) / h
      for (let w = 0; w < V; w++) out[w] = coef * this.uniCont[w]
      followers(h, d, (i) => this.bigramCounts[i])
      return
    }
    const h2 = this.histCont2[l1]
    if (h2 === 0) out.set(this.uniCont)
    else {
      const d = this.discounts.bigramContinuation
      const coef = (d * this.typesCont2[l1]) / h2
      for (let w = 0; w < V; w++) out[w] = coef * this.uniCont[w]
      followers(h2, d, (i) => this.bigramCont[i])
    }
    const hist = this.histIndex.get(l2 * V + l1)
    if (hist < 0) return
    const d3 = this.discounts.trigram
    const count = this.histCount[hist]
    const coef3 = (d3 * this.histTypes[hist]) / count
    for (let w = 0; w < V; w++) out[w] *= coef3
    const base = (l2 * V + l1) * V
    const start = this.histStart[hist]
    for (let j = start; j < start + this.histTypes[hist]; j++) {
      out[this.trigramKeys[j] - base] += Math.max(this.trigramCounts[j] - d3, 0) / count
    }
  }

  /**
   * Σ_w c(l1 w r1): how often the counts saw `l1` and `r1` with one token between them (how
   * much a both-sided guess at a slot between them has to go on).
   */
  gapCount(l1: number, r1: number): number {
    if (l1 < 0 || r1 < 0 || l1 >= this.vocab || r1 >= this.vocab) return 0
    let n = 0
    for (let h = this.histFirst[l1]; h < this.histFirst[l1 + 1]; h++) {
      const j = this.followerIndex(h, r1)
      if (j >= 0) n += this.trigramCounts[j]
    }
    return n
  }

  /** Raw count of the unigram `w` (0 for an id outside the vocabulary). */
  count(w: number): number {
    return w >= 0 && w < this.vocab ? this.rawUnigram[w] : 0
  }

  /** Index of bigram (v, w) among the sorted bigrams, or -1: a binary search in v's run. */
  private bigramAt(v: number, w: number): number {
    return indexInRun(this.bigramKeys, this.bigramStart[v], this.bigramStart[v + 1] - 1, v * this.vocab + w)
  }

  /** Index of trigram (history `h`, then `x`) among the sorted trigrams, or -1: a binary search in the history's run. */
  private followerIndex(h: number, x: number): number {
    const lo = this.histStart[h]
    return indexInRun(this.trigramKeys, lo, lo + this.histTypes[h] - 1, this.histIndex.keys[h] * this.vocab + x)
  }

  /**
   * P(r1 | l1 w) · P(r2 | w r1) for every w into `out` (r1 >= 0; l1, r2 may be -1). Every w
   * never seen before r1 backs off the same way (array arithmetic); the ids seen before r1
   * (a sorted run) and the histories (l1, w) (another) are then set exactly.
   */
  private rightFactors(l1: number, r1: number, r2: number, out: Float64Array): void {
    const V = this.vocab
    const uc = this.uniCont[r1]
    const predFrom = this.predStart[r1]
    const predTo = this.predStart[r1 + 1]
    const predId = (k: number) => Math.floor(this.bigramKeys[this.predOrder[k]] / V)
    if (l1 < 0) {
      // P(r1 | w), the raw bigram as the top order
      const d = this.discounts.bigram
      for (let w = 0; w < V; w++) {
        const h = this.histRaw2[w]
        out[w] = h === 0 ? uc : (d * this.typesRaw2[w] * uc) / h
      }
      for (let k = predFrom; k < predTo; k++) out[predId(k)] += Math.max(this.bigramCounts[this.predOrder[k]] - d, 0) / this.histRaw2[predId(k)]
    } else {
      // P2(r1 | w), then P3(r1 | l1 w) where the history (l1, w) was seen
      const p2 = this.lower
      const d = this.discounts.bigramContinuation
      for (let w = 0; w < V; w++) {
        const h = this.histCont2[w]
        p2[w] = h === 0 ? uc : (d * this.typesCont2[w] * uc) / h
      }
      for (let k = predFrom; k < predTo; k++) {
        const w = predId(k)
        const h = this.histCont2[w]
        if (h > 0) p2[w] += Math.max(this.bigramCont[this.predOrder[k]] - d, 0) / h
      }
      out.set(p2)
      const d3 = this.discounts.trigram
      for (let h = this.histFirst[l1]; h < this.histFirst[l1 + 1]; h++) {
        const w = this.histIndex.keys[h] - l1 * V
        const j = this.followerIndex(h, r1)
        const c = j >= 0 ? this.trigramCounts[j] : 0
        out[w] = (Math.max(c - d3, 0) + d3 * this.histTypes[h] * p2[w]) / this.histCount[h]
      }
    }
    if (r2 < 0) return
    // P3(r2 | w r1): the history (w, r1) exists only for w seen before r1
    const r2Lower = this.bigramContinuation(r2, r1)
    const third = this.third
    third.fill(r2Lower)
    const d3 = this.discounts.trigram
    for (let k = predFrom; k < predTo; k++) {
      const w = predId(k)
      const h = this.histIndex.get(w * V + r1)
      if (h < 0) continue
      const j = this.followerIndex(h, r2)
      const c = j >= 0 ? this.trigramCounts[j] : 0
      third[w] = (Math.max(c - d3, 0) + d3 * this.histTypes[h] * r2Lower) / this.histCount[h]
    }
    for (let w = 0; w < V; w++) out[w] *= third[w]
  }

  /**
   * Unnormalised bidirectional scores of every id at a slot, into `out` (length vocab):
   * P(w | l2 l1) · P(r1 | l1 w) · P(r2 | w r1). Returns the sum over ids not `banned`.
   * (The arithmetic of `prob`, over sorted runs of the counts instead of one lookup per id.)
   */
  slotScores(ctx: SlotContext, out: Float64Array, banned?: Uint8Array): number {
    const V = this.vocab
    const l1 = ctx.l1
    const l2 = l1 >= 0 ? ctx.l2 : -1
    const r1 = ctx.r1
    const r2 = r1 >= 0 ? ctx.r2 : -1
    this.leftDistribution(l2, l1, this.left)
    if (r1 < 0) out.set(this.left)
    else {
      this.rightFactors(l1, r1, r2, this.right)
      for (let w = 0; w < V; w++) out[w] = this.left[w] * this.right[w]
    }
    let sum = 0
    for (let w = 0; w < V; w++) {
      if (banned?.[w]) out[w] = 0
      else sum += out[w]
    }
    return sum
  }

  /** The best id at a slot and its normalised probability among ids not `banned`. */
  bestAt(ctx: SlotContext, banned?: Uint8Array, scratch = new Float64Array(this.vocab)): { token: number; prob: number } {
    const sum = this.slotScores(ctx, scratch, banned)
    let best = -1
    let max = -1
    for (let w = 0; w < this.vocab; w++) {
      if (scratch[w] > max) {
        max = scratch[w]
        best = w
      }
    }
    return { token: best, prob: sum > 0 ? max / sum : 0 }
  }
}

/** (max(c − D, 0) + D · types / V) / Σc for every id: discounted counts interpolated with uniform. */
function interpolatedUniform(counts: Float64Array, d: number): Float64Array {
  const V = counts.length
  let total = 0
  let types = 0
  for (let w = 0; w < V; w++) {
    total += counts[w]
    if (counts[w] > 0) types++
  }
  const out = new Float64Array(V)
  if (total === 0) return out.fill(1 / V)
  for (let w = 0; w < V; w++) out[w] = (Math.max(counts[w] - d, 0) + (d * types) / V) / total
  return out
}

/** Context of position `p` in `ids` (-1 marks a masked id): neighbours, dropped where masked or outside. */
export function contextAt(ids: ArrayLike<number>, p: number): SlotContext {
  const at = (i: number) => (i >= 0 && i < ids.length ? ids[i] : -1)
  return { l2: at(p - 2), l1: at(p - 1), r1: at(p + 1), r2: at(p + 2) }
}

/**
 * Fills the masked positions `slots` of `ids` (-1 at each of them) greedily by confidence,
 * as the model's low-confidence decoding does: each step scores every open slot from both
 * sides with what is known, fixes the slot whose best id is most probable, and rescores
 * the open slots within two positions of it. Returns the ids chosen, in `slots` order.
 */
export function greedyTrigramFill(kn: KneserNeyTrigram, ids: Int32Array, slots: readonly number[], banned?: Uint8Array): number[] {
  const work = Int32Array.from(ids)
  const scratch = new Float64Array(kn.vocab)
  const open = new Set(slots.map((_, k) => k))
  const best = slots.map((p) => kn.bestAt(contextAt(work, p), banned, scratch))
  while (open.size > 0) {
    let pick = -1
    for (const k of open) if (pick < 0 || best[k].prob > best[pick].prob) pick = k
    open.delete(pick)
    work[slots[pick]] = best[pick].token
    for (const k of open) {
      if (Math.abs(slots[k] - slots[pick]) <= 2) best[k] = kn.bestAt(contextAt(work, slots[k]), banned, scratch)
    }
  }
  return slots.map((p) => work[p])
}

/** −ln P of each token of `ids` left to right, the context cut at the start of `ids`. Sum in nats. */
export function sequenceNll(kn: KneserNeyTrigram, ids: ArrayLike<number>): number {
  let nll = 0
  for (let i = 0; i < ids.length; i++) nll -= Math.log(kn.prob(ids[i], i >= 2 ? ids[i - 2] : -1, i >= 1 ? ids[i - 1] : -1))
  return nll
}

/** Index of `target` in the sorted run keys[lo..hi] (inclusive), or -1: a binary search. */
function indexInRun(keys: ArrayLike<number>, lo: number, hi: number, target: number): number {
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const k = keys[mid]
    if (k === target) return mid
    if (k < target) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}
