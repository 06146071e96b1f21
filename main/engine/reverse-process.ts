/**
 * The reverse process over one window: start from mask slots, and each step run the
 * denoiser once for every candidate (the batch dimension), pick a token at each masked
 * slot of the current block, and reveal the ones the strategy ranks highest.
 *
 * - Per-step counts follow LLaDA: k[s] = masks // steps, the remainder spread over the
 *   first steps (steps == slots reveals one slot per step).
 * - Semi-autoregressive blocks: the masked slots, concatenated in span order, are cut into
 *   blocks of `blockLength`; a block is finished before the next one starts; the steps are
 *   split evenly between blocks.
 * - 'threshold' (Fast-dLLM) reveals every slot of the current block whose confidence is
 *   at least the threshold, and always at least the most confident one.
 * - The denoiser only runs when something was revealed since its last run (RADD caching;
 *   with at least one reveal per step it runs every step, but the loop stays honest).
 * - A candidate whose slots are all revealed leaves the batch (threshold decoding finishes
 *   candidates at different steps), so later steps run on the remaining rows only.
 * - Variable-length spans (`padOrder`): a fill is text followed by pad slots, and where it
 *   ends is decided left to right. A slot may be revealed as pad only when the slot before
 *   it in its span is text (so never the first slot: a fill is never empty); once one is,
 *   the rest of that span is revealed as pad with it. Until then a slot's confidence is its
 *   token's probability with the pad's mass left in (low_confidence and threshold), so a
 *   tail slot the model thinks empty waits rather than taking the best word it can find.
 *   Without this a weak model reveals the surest slots first, the tail pads, and the pads
 *   then spread back over the whole span (LLaDA saw the same with |EOS| padding and
 *   pure low-confidence remasking).
 */
import type { SamplingSettings } from '../contract'
import type { Rng } from './rng'
import { pickToken } from './sampler'

/** Runs the model: ids [batch, length] in, logits [batch, length, vocab] out. */
export type Denoise = (ids: BigInt64Array, batch: number, length: number) => Promise<Float32Array>

/** One slot revealed in a step. */
export interface Reveal {
  candidate: number
  /** Index into ReverseProcessInput.slots. */
  slot: number
  token: number
  /** Model probability of the token. */
  prob: number
}

export interface ReverseProcessInput {
  /** The window's ids, mask ids at the slots. */
  ids: Int32Array
  /** Window positions of the slots to fill, in span order (blocks cut this order). */
  slots: Int32Array
  vocab: number
  /** 1 at ids that may never be predicted. */
  banned: Uint8Array
  /** Dream-style models: logits for position i come from output i-1. */
  shiftedLogits: boolean
  settings: SamplingSettings
  /** One RNG stream per candidate. */
  rngs: Rng[]
  /** Pad-as-suffix decoding (see above): the pad id and each slot's span index. */
  padOrder?: { padId: number; spanOf: Int32Array }
}

export interface ReverseProcessHooks {
  /** Awaited before every step: yield to the event loop and throw to cancel. */
  beforeStep?: () => Promise<void> | void
  /** Called after every step with what it revealed. */
  onStep?: (step: number, reveals: Reveal[], remaining: Int32Array) => void
}

export interface ReverseProcessOutput {
  /** Revealed token per candidate and slot: tokens[c * slots.length + j]. */
  tokens: Int32Array
  /** Probability of each revealed token, same layout. */
  probs: Float32Array
  steps: number
  forwardPasses: number
}

/** LLaDA's per-step reveal counts: `masks` spread over `steps` steps, remainder first. */
export function stepCounts(masks: number, steps: number): number[] {
  const s = Math.max(1, Math.min(steps, masks))
  const base = Math.floor(masks / s)
  const rem = masks % s
  return Array.from({ length: s }, (_, i) => base + (i < rem ? 1 : 0))
}

/** A block of the concatenated slots [from, to) and the reveal count of each of its steps. */
export interface BlockPlan {
  from: number
  to: number
  counts: number[]
}

/** Cuts `slotCount` slots into blocks and plans each block's steps. */
export function planBlocks(slotCount: number, blockLength: number, steps: number): BlockPlan[] {
  const len = blockLength > 0 ? blockLength : slotCount
  const blocks: BlockPlan[] = []
  const numBlocks = Math.max(1, Math.ceil(slotCount / len))
  const perBlock = Math.max(1, Math.floor(steps / numBlocks))
  for (let from = 0; from < slotCount; from += len) {
    const to = Math.min(slotCount, from + len)
    blocks.push({ from, to, counts: stepCounts(to - from, perBlock) })
  }
  return blocks
}

/** Planned number of steps (threshold decoding plans the worst case, one slot per step). */
export function plannedSteps(slotCount: number, settings: SamplingSettings): number {
  if (slotCount === 0) return 0
  if (settings.strategy === 'threshold') return slotCount
  return planBlocks(slotCount, settings.blockLength, settings.steps).reduce((n, b) => n + b.counts.length, 0)
}

/**
 * Which of `scores` to reveal: the `k` highest, or with a threshold every one at or above
 * it (at least the highest). Returns indices into `scores`, highest first.
 */
export function selectReveals(scores: ArrayLike<number>, rule: { k: number } | { threshold: number }): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b)
  if ('k' in rule) return order.slice(0, Math.max(1, Math.min(rule.k, order.length)))
  let n = 1
  while (n < order.length && scores[order[n]] >= rule.threshold) n++
  return order.slice(0, n)
}

/** Runs the reverse process on one window for every candidate at once. */
export async function runReverseProcess(input: ReverseProcessInput, denoise: Denoise, hooks: ReverseProcessHooks = {}): Promise<ReverseProcessOutput> {
  const { ids, slots, vocab, banned, settings, rngs } = input
  const batch = settings.candidates
  const n = ids.length
  const S = slots.length
  if (rngs.length < batch) throw new Error(`need ${batch} RNG streams, got ${rngs.length}`)
  const tokens = new Int32Array(batch * S).fill(-1)
  const probs = new Float32Array(batch * S)
  const remaining = new Int32Array(batch).fill(S)
  const blocks = planBlocks(S, settings.blockLength, settings.steps)
  const blockOf = new Int32Array(batch)
  const stepInBlock = new Int32Array(batch)
  const padOrder = input.padOrder && !banned[input.padOrder.padId] ? input.padOrder : undefined
  if (padOrder && padOrder.spanOf.length !== S) throw new Error(`padOrder.spanOf has ${padOrder.spanOf.length} entries for ${S} slots`)
  const padId = padOrder?.padId ?? -1
  const bannedNoPad = padOrder ? Uint8Array.from(banned, (b, i) => (i === padId ? 1 : b)) : banned
  const probRanked = settings.strategy === 'low_confidence' || settings.strategy === 'threshold'
  /** Pad may be revealed at slot j of candidate r: the slot before it, same span, is text. */
  const padAllowed = (r: number, j: number): boolean => {
    if (!padOrder || j === 0 || padOrder.spanOf[j - 1] !== padOrder.spanOf[j]) return false
    const before = tokens[r * S + j - 1]
    return before >= 0 && before !== padId
  }

  // Each candidate's current ids; the model input holds the active (unfinished) rows only.
  const rowIds = Array.from({ length: batch }, () => BigInt64Array.from(ids, (id) => BigInt(id)))
  let active: number[] = []
  let input64 = new BigInt64Array(0)
  const activeSlot = new Int32Array(batch).fill(-1)
  const compact = () => {
    active = []
    for (let r = 0; r < batch; r++) if (remaining[r] > 0) active.push(r)
    activeSlot.fill(-1)
    active.forEach((r, a) => (activeSlot[r] = a))
    input64 = new BigInt64Array(active.length * n)
    active.forEach((r, a) => input64.set(rowIds[r], a * n))
  }
  compact()

  const scratch = new Float64Array(vocab)
  const rowSize = n * vocab
  let logits: Float32Array | null = null
  let dirty = true
  let step = 0
  let passes = 0
  const pickSettings = { strategy: settings.strategy, temperature: settings.temperature, topP: settings.topP }
  const cand: number[] = []
  const picks: { token: number; prob: number; score: number }[] = []
  const scores: number[] = []
  // Greedy probability ranking: a position whose softmax partition already exceeds the k-th
  // smallest one seen this step (threshold: also 1 / threshold) cannot be revealed, so its
  // pick stops early. Positions are visited most confident (last step) first.
  const isRevealed = (r: number, b: BlockPlan): boolean => {
    for (let j = b.from; j < b.to; j++) if (tokens[r * S + j] < 0) return false
    return true
  }
  const pruneByProb = settings.temperature === 0 && (settings.strategy === 'low_confidence' || settings.strategy === 'threshold')
  const lastProb = new Float64Array(batch * S)
  const bestZ: number[] = []
  const PRUNED = { token: -1, prob: 0, score: -Infinity }

  while (active.length > 0) {
    if (hooks.beforeStep) await hooks.beforeStep()
    if (dirty || !logits) {
      logits = await denoise(input64, active.length, n)
      passes++
      dirty = false
      if (logits.length !== active.length * rowSize)
        throw new Error(`the model returned ${logits.length} logits, expected ${active.length}×${n}×${vocab}`)
    }
    const reveals: Reveal[] = []
    for (const r of active) {
      const a = activeSlot[r]
      const block = blocks[blockOf[r]]
      cand.length = 0
      for (let j = block.from; j < block.to; j++) if (tokens[r * S + j] < 0) cand.push(j)
      picks.length = cand.length
      scores.length = cand.length
      const rule: { k: number } | { threshold: number } =
        settings.strategy === 'threshold'
          ? { threshold: settings.threshold }
          : { k: block.counts[Math.min(stepInBlock[r], block.counts.length - 1)] }
      const keep = 'k' in rule ? Math.max(1, rule.k) : 1
      const visit = Array.from(cand.keys())
      if (pruneByProb) visit.sort((x, y) => lastProb[r * S + cand[y]] - lastProb[r * S + cand[x]] || x - y)
      bestZ.length = 0
      for (const c of visit) {
        const j = cand[c]
        const pos = slots[j]
        const src = input.shiftedLogits ? Math.max(0, pos - 1) : pos
        let bound = Infinity
        if (pruneByProb && bestZ.length >= keep) {
          bound = bestZ[keep - 1]
          if ('threshold' in rule) bound = Math.max(bound, 1 / rule.threshold)
          bound *= 1 + 1e-9 // strictly worse than the kept ones, whatever the rounding
        }
        const offset = a * rowSize + src * vocab
        const noPad = padOrder !== undefined && !padAllowed(r, j)
        const pick = pickToken(logits, offset, vocab, noPad ? bannedNoPad : banned, pickSettings, rngs[r], scratch, bound) ?? PRUNED
        picks[c] = pick
        scores[c] = pick.score
        if (noPad && probRanked && pick !== PRUNED) {
          // The token's probability with the pad's mass kept in the partition.
          scores[c] = pick.prob / (1 + pick.prob * Math.exp(logits[offset + padId] - logits[offset + pick.token]))
        }
        if (pruneByProb && pick !== PRUNED) {
          lastProb[r * S + j] = scores[c]
          const z = 1 / scores[c]
          let at = bestZ.length
          while (at > 0 && bestZ[at - 1] > z) at--
          if (at < keep) {
            bestZ.splice(at, 0, z)
            if (bestZ.length > keep) bestZ.length = keep
          }
        }
      }
      const reveal = (j: number, token: number, prob: number) => {
        tokens[r * S + j] = token
        probs[r * S + j] = prob
        rowIds[r][slots[j]] = BigInt(token)
        input64[a * n + slots[j]] = BigInt(token)
        reveals.push({ candidate: r, slot: j, token, prob })
        remaining[r]--
      }
      const chosen = selectReveals(scores, rule)
      for (const c of chosen) {
        const j = cand[c]
        if (tokens[r * S + j] >= 0) continue // already padded by an earlier reveal of this step
        reveal(j, picks[c].token, picks[c].prob)
        if (padOrder && picks[c].token === padId) {
          // the fill ends here: the rest of its span is pad
          for (let k = j + 1; k < S && padOrder.spanOf[k] === padOrder.spanOf[j]; k++)
            if (tokens[r * S + k] < 0) reveal(k, padId, picks[c].prob)
        }
      }
      stepInBlock[r]++
      if (isRevealed(r, block)) {
        // on to the next block that still has masked slots (pads may have filled some)
        do blockOf[r]++
        while (blockOf[r] < blocks.length && isRevealed(r, blocks[blockOf[r]]))
        stepInBlock[r] = 0
      }
    }
    if (reveals.length > 0) dirty = true
    if (active.some((r) => remaining[r] === 0)) {
      compact()
      logits = null
    }
    step++
    hooks.onStep?.(step, reveals, remaining)
  }
  return { tokens, probs, steps: step, forwardPasses: passes }
}
