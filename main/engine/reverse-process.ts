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
 * - Dream's strategies (maskgit_plus, topk_margin, entropy, origin) follow Dream's own
 *   schedule instead: timesteps linspace(1, 1e-3, steps + 1); at step i (t, s the i-th and
 *   next timesteps) the confidence strategies reveal int(masked · (1 − s/t)) slots (possibly
 *   none; all remaining at the last step), drawn from softmax(confidence / algTemp) when
 *   algTemp > 0; 'origin' reveals each masked slot with probability 1 − s/t.
 * - Variable-length spans (`padOrder`): a fill is text followed by pad slots (a suffix),
 *   never pad alone, and a pad revealed at a slot pads the rest of its span with it. Two
 *   rules say where a pad may be revealed:
 *   - 'suffix' (what runFill uses): at any slot the span's minimum allows (`mayPad`) with no text to
 *     its right, so a pad can win wherever the model prefers it, including the last slot,
 *     which low-confidence decoding often reveals first; the fill then ends early.
 *   - 'after-text' (the default here, the rule before): only right after a text slot, so
 *     where a fill ends is decided left to right (a last slot revealed first as text keeps
 *     the whole budget).
 *   A slot where pad is not allowed yet ranks by its token's probability with the pad's
 *   mass kept in (low_confidence and threshold), so a slot the model thinks empty waits
 *   rather than taking the best word it can find.
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
  padOrder?: PadOrder
  /** Per-candidate window ids (later windows see earlier windows' fills); default `ids` for all. */
  candidateIds?: Int32Array[]
  /**
   * Forced diversity for deterministic decoding (greedy, ranked strategies): at its first
   * step candidate c reveals its most confident slot as the c-th most likely token there
   * (candidate 0 the top one), then decodes greedily; N candidates are N different fills.
   */
  diversify?: boolean
}

/** Where a pad may be revealed (see the module comment). */
export type PadRule = 'suffix' | 'after-text'

export interface PadOrder {
  padId: number
  /** Span of each slot; a span's slots are consecutive. */
  spanOf: Int32Array
  /** Default 'after-text' (runFill passes 'suffix' with a floor in `mayPad`). */
  rule?: PadRule
  /** 1 at slots that may ever hold pad (a span's minimum length); default every slot but a span's first. */
  mayPad?: Uint8Array
}

/** Dream's strategies, which use Dream's schedule. */
export function isDreamStrategy(strategy: SamplingSettings['strategy']): boolean {
  return strategy === 'maskgit_plus' || strategy === 'topk_margin' || strategy === 'entropy' || strategy === 'origin'
}

/** Dream's last timestep (generation_utils' eps). */
export const DREAM_EPS = 1e-3

/**
 * Share of the masked slots Dream reveals at step `i` of `n`: 1 − s/t with t, s the i-th
 * and (i+1)-th of linspace(1, eps, n + 1); 1 at the last step.
 */
export function dreamRevealShare(i: number, n: number, eps = DREAM_EPS): number {
  if (i >= n - 1) return 1
  const t = 1 - ((1 - eps) * i) / n
  const s = 1 - ((1 - eps) * (i + 1)) / n
  return 1 - s / t
}

/** Dream's reveal count at step `i` of `n` with `masked` slots still masked. */
export function dreamRevealCount(masked: number, i: number, n: number): number {
  return i >= n - 1 ? masked : Math.floor(masked * dreamRevealShare(i, n))
}

/**
 * `k` distinct indices drawn without replacement with weights softmax(scores / temp)
 * (torch.multinomial on Dream's alg_temp confidences).
 */
export function sampleReveals(scores: ArrayLike<number>, k: number, temp: number, rng: Rng): number[] {
  const n = scores.length
  let max = -Infinity
  for (let i = 0; i < n; i++) if (scores[i] > max) max = scores[i]
  const w = Array.from({ length: n }, (_, i) => (Number.isFinite(scores[i]) ? Math.exp((scores[i] - max) / temp) : 0))
  const out: number[] = []
  for (let taken = 0; taken < Math.min(k, n); taken++) {
    let total = 0
    for (let i = 0; i < n; i++) total += w[i]
    let pick = -1
    if (total > 0) {
      let u = rng() * total
      for (let i = 0; i < n; i++) {
        if (w[i] <= 0) continue
        pick = i
        u -= w[i]
        if (u < 0) break
      }
    } else pick = w.findIndex((_, i) => !out.includes(i))
    out.push(pick)
    w[pick] = 0
  }
  return out
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

/** Steps per block under Dream's schedule (every block gets the same number, none skipped). */
function dreamStepsPerBlock(blocks: number, steps: number): number {
  return Math.max(1, Math.floor(steps / Math.max(1, blocks)))
}

/** Planned number of steps (threshold decoding plans the worst case, one slot per step). */
export function plannedSteps(slotCount: number, settings: SamplingSettings): number {
  if (slotCount === 0) return 0
  if (settings.strategy === 'threshold') return slotCount
  const blocks = planBlocks(slotCount, settings.blockLength, settings.steps)
  if (isDreamStrategy(settings.strategy)) return blocks.length * dreamStepsPerBlock(blocks.length, settings.steps)
  return blocks.reduce((n, b) => n + b.counts.length, 0)
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
  if (padOrder?.mayPad && padOrder.mayPad.length !== S) throw new Error(`padOrder.mayPad has ${padOrder.mayPad.length} entries for ${S} slots`)
  const padId = padOrder?.padId ?? -1
  const padRule: PadRule = padOrder?.rule ?? 'after-text'
  const mayPad = padOrder ? (padOrder.mayPad ?? Uint8Array.from({ length: S }, (_, j) => (j > 0 && padOrder.spanOf[j - 1] === padOrder.spanOf[j] ? 1 : 0))) : new Uint8Array(S)
  const bannedNoPad = padOrder ? Uint8Array.from(banned, (b, i) => (i === padId ? 1 : b)) : banned
  const probRanked = settings.strategy === 'low_confidence' || settings.strategy === 'threshold'
  const dream = isDreamStrategy(settings.strategy)
  const algTemp = settings.algTemp ?? 0
  const isText = (r: number, j: number) => tokens[r * S + j] >= 0 && tokens[r * S + j] !== padId
  const sameSpan = (a: number, b: number) => padOrder!.spanOf[a] === padOrder!.spanOf[b]
  /** Pad may be revealed at slot j of candidate r now. */
  const padAllowed = (r: number, j: number): boolean => {
    if (!padOrder || !mayPad[j] || j === 0 || !sameSpan(j - 1, j)) return false
    if (padRule === 'after-text' && !isText(r, j - 1)) return false
    for (let k = j + 1; k < S && sameSpan(k, j); k++) if (isText(r, k)) return false
    return true
  }

  // Each candidate's current ids; the model input holds the active (unfinished) rows only.
  if (input.candidateIds && input.candidateIds.length < batch) throw new Error(`need ${batch} candidate id rows, got ${input.candidateIds.length}`)
  for (const row of input.candidateIds ?? []) if (row.length !== n) throw new Error(`a candidate's ids have ${row.length} entries, the window ${n}`)
  const rowIds = Array.from({ length: batch }, (_, r) => BigInt64Array.from(input.candidateIds?.[r] ?? ids, (id) => BigInt(id)))
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
  const pickSettings = { strategy: settings.strategy, temperature: settings.temperature, topP: settings.topP, topK: settings.topK ?? 0 }
  const dreamSteps = dreamStepsPerBlock(blocks.length, settings.steps)
  const diversified = new Uint8Array(batch)
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
          : dream
            ? { k: dreamRevealCount(cand.length, stepInBlock[r], dreamSteps) }
            : { k: block.counts[Math.min(stepInBlock[r], block.counts.length - 1)] }
      // Dream's origin: which slots are revealed is drawn first, each with probability 1 - s/t.
      let originPick: Uint8Array | null = null
      if (settings.strategy === 'origin') {
        const share = dreamRevealShare(stepInBlock[r], dreamSteps)
        originPick = Uint8Array.from(cand, () => (share >= 1 || rngs[r]() < share ? 1 : 0))
      }
      const skipPicks = (dream && 'k' in rule && rule.k === 0) || (originPick !== null && !originPick.includes(1))
      const keep = 'k' in rule ? Math.max(1, rule.k) : 1
      const visit = skipPicks ? [] : Array.from(cand.keys()).filter((c) => !originPick || originPick[c])
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
      let chosen: number[]
      if (skipPicks) chosen = []
      else if (originPick) chosen = visit
      else if (dream && algTemp > 0 && 'k' in rule) chosen = sampleReveals(scores, rule.k, algTemp, rngs[r])
      else chosen = selectReveals(scores, rule)
      if (input.diversify && !diversified[r] && r > 0 && chosen.length > 0) {
        diversified[r] = 1
        const c = chosen[0]
        const src = input.shiftedLogits ? Math.max(0, slots[cand[c]] - 1) : slots[cand[c]]
        const noPad = padOrder !== undefined && !padAllowed(r, cand[c])
        picks[c] = { ...rankedToken(logits, a * rowSize + src * vocab, vocab, noPad ? bannedNoPad : banned, r), score: scores[c] }
      }
      for (const c of chosen) {
        const j = cand[c]
        if (tokens[r * S + j] >= 0) continue // already padded by an earlier reveal of this step
        // text revealed this step to the right of a pad pick: the pad would no longer be a
        // suffix, so the slot takes its best text token instead (the schedule stays as planned)
        if (padOrder && picks[c].token === padId && !padAllowed(r, j)) {
          const src = input.shiftedLogits ? Math.max(0, slots[j] - 1) : slots[j]
          picks[c] = pickToken(logits, a * rowSize + src * vocab, vocab, bannedNoPad, pickSettings, rngs[r], scratch)
        }
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

/** The `rank`-th most likely allowed token at a position (0 = the argmax; clamped) and its probability. */
export function rankedToken(logits: Float32Array, offset: number, vocab: number, banned: Uint8Array, rank: number): { token: number; prob: number } {
  const allowed: number[] = []
  for (let i = 0; i < vocab; i++) if (!banned[i] && logits[offset + i] > -Infinity) allowed.push(i)
  if (allowed.length === 0) throw new Error('no token can be predicted at this position: every logit is banned or not finite')
  allowed.sort((x, y) => logits[offset + y] - logits[offset + x] || x - y)
  const token = allowed[Math.min(rank, allowed.length - 1)]
  const max = logits[offset + allowed[0]]
  let z = 0
  for (const i of allowed) z += Math.exp(logits[offset + i] - max)
  return { token, prob: Math.exp(logits[offset + token] - max) / z }
}
