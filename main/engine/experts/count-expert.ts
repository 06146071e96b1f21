/**
 * A count model as an expert at a masked slot: the interpolated Kneser-Ney trigram of
 * baselines/kneser-ney.ts read from both sides, P(w | l2 l1) · P(r1 | l1 w) · P(r2 | w r1),
 * normalised over the ids it may predict, as log-probabilities; and the slot's context as the
 * expert sees it (its nearest known neighbours, the context class that picks its weight).
 *
 * A slot's neighbours skip pad (a filled span's unused slots are dropped from the text, so the
 * text after them is the real neighbour) and stop at anything unknown: a mask, a special id,
 * the window's edge.
 */
import { KneserNeyTrigram, type SlotContext } from '../baselines/kneser-ney'
import { contextClass, type ContextClass } from './weights'

/** Neighbours of position `p` in `ids` as the count experts read them (-1 = unknown). */
export function expertContext(ids: ArrayLike<number>, p: number, unknown: Uint8Array, padId: number): SlotContext {
  const n = ids.length
  const side = (step: -1 | 1): [number, number] => {
    const out: number[] = []
    for (let i = p + step; i >= 0 && i < n && out.length < 2; i += step) {
      const t = ids[i]
      if (t === padId) continue
      if (t < 0 || t >= unknown.length || unknown[t]) break
      out.push(t)
    }
    return [out[0] ?? -1, out[1] ?? -1]
  }
  const [l1, l2] = side(-1)
  const [r1, r2] = side(1)
  return { l2, l1, r1, r2 }
}

/** A count model the experts read (the training text's, or the manuscript's). */
export class CountExpert {
  readonly vocab: number
  private readonly cache = new Map<string, { logp: Float32Array; cls: ContextClass }>()
  private readonly scores: Float64Array

  /**
   * `never`: ids the expert gives no probability (specials, pad, mask); `maxCached`: distinct
   * contexts kept (a fill revisits the same contexts step after step).
   */
  constructor(
    readonly kn: KneserNeyTrigram,
    private readonly never: Uint8Array,
    private readonly maxCached = 2048,
  ) {
    this.vocab = kn.vocab
    this.scores = new Float64Array(kn.vocab)
  }

  /** The context class of a slot for this expert (see weights.ts). */
  classOf(ctx: SlotContext): ContextClass {
    const gap = ctx.l1 >= 0 && ctx.r1 >= 0 ? this.kn.gapCount(ctx.l1, ctx.r1) : 0
    return contextClass(ctx.l1 >= 0, ctx.r1 >= 0, gap)
  }

  /** log P(w | both sides) for every id (−Infinity at `never` ids), and the slot's class. Cached per context. */
  at(ctx: SlotContext): { logp: Float32Array; cls: ContextClass } {
    const key = `${ctx.l2},${ctx.l1},${ctx.r1},${ctx.r2}`
    const hit = this.cache.get(key)
    if (hit) return hit
    const V = this.vocab
    const sum = this.kn.slotScores(ctx, this.scores, this.never)
    const logp = new Float32Array(V)
    const logSum = Math.log(sum > 0 ? sum : 1)
    for (let w = 0; w < V; w++) logp[w] = this.never[w] || !(this.scores[w] > 0) ? -Infinity : Math.log(this.scores[w]) - logSum
    const entry = { logp, cls: this.classOf(ctx) }
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value as string)
    this.cache.set(key, entry)
    return entry
  }
}
