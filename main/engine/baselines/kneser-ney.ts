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
  private readonly bigramIndex: KeyIndex
  private readonly bigramCounts: Int32Array
  /** N1+(•vw) for each distinct bigram. */
  private readonly bigramCont: Float64Array
  /** c(v•) and N1+(v•) for each v. */
  private readonly histRaw2: Float64Array
  private readonly typesRaw2: Float64Array
  /** N1+(•v•) and the number of w with N1+(•vw) > 0, for each v. */
  private readonly histCont2: Float64Array
  private readonly typesCont2: Float64Array
  private readonly trigramIndex: KeyIndex
  private readonly trigramCounts: Int32Array
  /** Trigram histories (u, v): c(uv•) and N1+(uv•). */
  private readonly histIndex: KeyIndex
  private readonly histCount: Float64Array
  private readonly histTypes: Float64Array
  /** Most frequent id in the counts (the unigram baseline), skipping `banned`. */
  readonly mostFrequent: number

  constructor(counts: NgramCounts, opts: { discounts?: Partial<Discounts>; banned?: Uint8Array } = {}) {
    const V = counts.vocab
    assertPackable(V)
    this.vocab = V
    const VV = V * V
    this.bigramIndex = new KeyIndex(counts.bigramKeys)
    this.bigramCounts = counts.bigramCounts
    this.trigramIndex = new KeyIndex(counts.trigramKeys)
    this.trigramCounts = counts.trigramCounts

    // Continuation counts of bigrams, and the trigram histories (keys ascend, so each history is one run).
    const nb = counts.bigramKeys.length
    const bigramCont = new Float64Array(nb)
    const histKeys: number[] = []
    const histCount: number[] = []
    const histTypes: number[] = []
    for (let i = 0; i < counts.trigramKeys.length; i++) {
      const key = counts.trigramKeys[i]
      const hist = Math.floor(key / V)
      const suffix = key - Math.floor(key / VV) * VV
      const b = this.bigramIndex.get(suffix)
      if (b < 0) throw new Error('n-gram counts: a trigram whose suffix is not a bigram (corrupt counts)')
      bigramCont[b]++
      if (histKeys.length === 0 || histKeys[histKeys.length - 1] !== hist) {
        histKeys.push(hist)
        histCount.push(0)
        histTypes.push(0)
      }
      histCount[histCount.length - 1] += counts.trigramCounts[i]
      histTypes[histTypes.length - 1]++
    }
    this.bigramCont = bigramCont
    this.histIndex = new KeyIndex(Float64Array.from(histKeys))
    this.histCount = Float64Array.from(histCount)
    this.histTypes = Float64Array.from(histTypes)

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
    const i = this.bigramIndex.get(v * this.vocab + w)
    const c = i >= 0 ? this.bigramCont[i] : 0
    const d = this.discounts.bigramContinuation
    return (Math.max(c - d, 0) + d * this.typesCont2[v] * this.uniCont[w]) / h
  }

  /** P(w | v) with the bigram as the top order (raw counts). */
  bigram(w: number, v: number): number {
    const h = this.histRaw2[v]
    if (h === 0) return this.uniCont[w]
    const i = this.bigramIndex.get(v * this.vocab + w)
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
    const i = this.trigramIndex.get((u * V + v) * V + w)
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
   * Unnormalised bidirectional scores of every id at a slot, into `out` (length vocab):
   * P(w | l2 l1) · P(r1 | l1 w) · P(r2 | w r1). Returns the sum over ids not `banned`.
   */
  slotScores(ctx: SlotContext, out: Float64Array, banned?: Uint8Array): number {
    const l1 = ctx.l1
    const l2 = l1 >= 0 ? ctx.l2 : -1
    const r1 = ctx.r1
    const r2 = r1 >= 0 ? ctx.r2 : -1
    let sum = 0
    for (let w = 0; w < this.vocab; w++) {
      if (banned?.[w]) {
        out[w] = 0
        continue
      }
      let s = this.prob(w, l2, l1)
      if (r1 >= 0) {
        s *= this.prob(r1, l1, w)
        if (r2 >= 0) s *= this.trigram(r2, w, r1)
      }
      out[w] = s
      sum += s
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
