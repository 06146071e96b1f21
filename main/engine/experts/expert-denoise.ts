/**
 * The one entry the reverse process goes through: a Denoise whose logits at every masked slot
 * are the fused distribution of the model and the count experts (fuse.ts). Wrapping the
 * denoiser, not the sampler, means every strategy (low-confidence, threshold, Dream's,
 * candidates through the batch) sees only the fused distribution, with no change to how it
 * picks or reveals.
 */
import type { Denoise } from '../reverse-process'
import { expertContext, type CountExpert } from './count-expert'
import { fuseSlot, type ExpertPart } from './fuse'
import type { ExpertWeights } from './weights'

/** The experts of one request and the model's ids they must know about. */
export interface ExpertPanel {
  training?: CountExpert
  manuscript?: CountExpert
  weights: ExpertWeights
  vocab: number
  maskId: number
  padId: number
  /** Ids the count experts never predict and never read as context (specials, mask, pad). */
  unknown: Uint8Array
  /** Ids that keep the model's probability in the fusion (pad and specials other than the mask). */
  keep: Uint8Array
  /** Ids that get no probability at all (the mask). */
  never: Uint8Array
  /** 1 at pieces that start with a non-space: the model keeps its say on whether a slot starts a word (fuse.ts). */
  leadText?: Uint8Array
  /** Dream-style models: the logits of position i sit at i − 1. */
  shiftedLogits: boolean
  /** 0 leaves the model out (a count expert alone, for the eval); default 1. */
  modelWeight?: number
  /**
   * The reverse process of a fill: a run of more text slots than this is the model's alone
   * (EXPERT_MAX_RUN). Absent when scoring given candidates, where each token is read with its
   * candidate in place.
   */
  maxRun?: number
}

/**
 * The panel's ids for a model: `banned` as the model has it (pad not banned), plus its mask
 * and pad; `leadText` (word-rules.ts's table) where the model's pieces are known.
 */
export function panelIds(banned: Uint8Array, maskId: number, padId: number, leadText?: Uint8Array): Pick<ExpertPanel, 'unknown' | 'keep' | 'never' | 'leadText'> {
  const unknown = Uint8Array.from(banned)
  unknown[maskId] = 1
  unknown[padId] = 1
  const keep = Uint8Array.from(banned)
  keep[padId] = 1
  keep[maskId] = 0
  const never = new Uint8Array(banned.length)
  never[maskId] = 1
  return { unknown, keep, never, ...(leadText ? { leadText } : {}) }
}

/**
 * The slots of the window a denoiser is being called on: every position that was masked in
 * any call since the text outside them last changed (a new window, or a new eval row). The
 * count experts read the document's own text only: a token this fill revealed is not context
 * for them (counts reading the fill's own guesses drag a phrase into frequent n-grams, "the
 * United States"), so inside a span only the slots at its edges hear from them.
 */
export class WindowSlots {
  private slots: Uint8Array | null = null
  private ref: Int32Array | null = null

  /**
   * Updates from a call (row 0 names the window) and returns, per row, 1 at the window's slots,
   * or null for a row that is another text (an eval batch of different windows): its own masks
   * are then all it hides.
   */
  update(ids: BigInt64Array | Int32Array, batch: number, length: number, maskId: number): (Uint8Array | null)[] {
    const rowOf = (b: number) => Int32Array.from({ length }, (_, i) => Number(ids[b * length + i]))
    const first = rowOf(0)
    if (!this.sameText(first)) {
      this.slots = new Uint8Array(length)
      this.ref = first
    }
    for (let i = 0; i < length; i++) if (first[i] === maskId) this.slots![i] = 1
    const out: (Uint8Array | null)[] = [this.slots]
    for (let b = 1; b < batch; b++) out.push(this.sameText(rowOf(b)) ? this.slots : null)
    return out
  }

  /** `row` holds the window's text outside its slots. */
  private sameText(row: Int32Array): boolean {
    if (!this.slots || !this.ref || this.ref.length !== row.length) return false
    for (let i = 0; i < row.length; i++) if (!this.slots[i] && row[i] !== this.ref[i]) return false
    return true
  }
}

/**
 * The longest run of text slots the count experts speak in: one, a slot whose nearest
 * neighbours are the writer's own text on both sides (a span's slots that hold pad, where the
 * fill ends, do not count). In a longer run the model fills alone and passages of the
 * writer's and the training text are offered beside it (fill-experts.ts). Blind ratings of
 * session 5 (15 phrase fills each, 0–2): the model alone 0.47, with the experts at the edges
 * of every span 0.20; at 2–3 slot spans, with only one neighbour known, the counts' frequent
 * bigrams still wrote "the eat", "of a", "be that" where the model alone wrote "be sure",
 * "there were", "keep a" (session 6's sheet, before this limit).
 */
export const EXPERT_MAX_RUN = 1

/**
 * Text slots in the run of slots (or, with no slot map, of masks) that position `p` is in:
 * positions holding `padId` are part of the run but not counted.
 */
export function runLength(slots: Uint8Array | null | undefined, row: Int32Array, p: number, maskId: number, padId = -1): number {
  const inRun = (i: number) => (slots ? slots[i] === 1 : row[i] === maskId || row[i] === padId)
  let a = p
  while (a > 0 && inRun(a - 1)) a--
  let b = p
  while (b + 1 < row.length && inRun(b + 1)) b++
  let n = 0
  for (let i = a; i <= b; i++) if (row[i] !== padId) n++
  return n
}

/** `row` with the slots' revealed text hidden from the count experts (masks and pads stay). */
function documentView(row: Int32Array, slots: Uint8Array, maskId: number, padId: number, out: Int32Array): Int32Array {
  for (let i = 0; i < row.length; i++) out[i] = slots[i] && row[i] !== padId ? maskId : row[i]
  return out
}

/**
 * Fuses the experts into `logits` at every masked position of `ids` (batch rows of `length`).
 * `slots` (WindowSlots, per row): positions whose revealed tokens the count experts do not read.
 */
export function fuseMasked(panel: ExpertPanel, ids: BigInt64Array | Int32Array, batch: number, length: number, logits: Float32Array, slots?: readonly (Uint8Array | null)[]): void {
  const V = panel.vocab
  const row = new Int32Array(length)
  const view = new Int32Array(length)
  const scratch = new Float64Array(V)
  const parts: ExpertPart[] = []
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < length; i++) row[i] = Number(ids[b * length + i])
    const mine = slots?.[b]
    const seen = mine && mine.length === length ? documentView(row, mine, panel.maskId, panel.padId, view) : row
    for (let p = 0; p < length; p++) {
      if (row[p] !== panel.maskId) continue
      if (panel.maxRun !== undefined && panel.modelWeight !== 0 && runLength(mine && mine.length === length ? mine : null, row, p, panel.maskId, panel.padId) > panel.maxRun) continue
      const ctx = expertContext(seen, p, panel.unknown, panel.padId)
      parts.length = 0
      if (panel.training) {
        const { logp, cls } = panel.training.at(ctx)
        parts.push({ logp, weight: panel.weights.training[cls] })
      }
      if (panel.manuscript) {
        const { logp, cls } = panel.manuscript.at(ctx)
        parts.push({ logp, weight: panel.weights.manuscript[cls] })
      }
      const src = panel.shiftedLogits ? Math.max(0, p - 1) : p
      if (panel.modelWeight !== 0 && parts.every((x) => x.weight === 0)) continue // the model's own distribution
      fuseSlot(logits, (b * length + src) * V, V, parts, panel.keep, panel.never, panel.modelWeight ?? 1, scratch, panel.leadText)
    }
  }
}

/** `denoise` with the panel's experts fused in at the masked slots. */
export function withExperts(denoise: Denoise, panel: ExpertPanel): Denoise {
  const window = new WindowSlots()
  return async (ids, batch, length) => {
    const logits = panel.modelWeight === 0 ? new Float32Array(batch * length * panel.vocab) : await denoise(ids, batch, length)
    fuseMasked(panel, ids, batch, length, logits, window.update(ids, batch, length, panel.maskId))
    return logits
  }
}
