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
 *   and a pad revealed at a slot pads the rest of its span with it. Three rules say where a
 *   pad may be revealed:
 *   - 'first-step' (what runFill uses): where each fill ends is read from the row's first
 *     pass, all slots masked: the first slot at or after the span's minimum (`mayPad`) whose
 *     pad probability reaches `endThreshold` (0.5: for a model trained on fully masked spans
 *     that is about P(the fill ends here or before), so the median length), by default as a
 *     share of the span's highest pad probability (word-rules.ts chooseEnd); the slots from
 *     there on are revealed as pad in that step, before any text, and the text is decoded
 *     after them. Later a pad is revealed only where a word limit ends the fill (`words`:
 *     the span holds its most words). So pads never spread from the right end leftwards one
 *     step after another (LLaDA's end-of-text cascade). A span whose minimum is its first
 *     slot may be empty.
 *   - 'suffix': at any slot the span's minimum allows (`mayPad`) with no text to its right,
 *     so a pad can win wherever the model prefers it, including the last slot, which
 *     low-confidence decoding often reveals first (and the cascade follows).
 *   - 'after-text' (the default here): only right after a text slot, so where a fill ends is
 *     decided left to right (a last slot revealed first as text keeps the whole budget).
 *   Probabilities are always measured against everything the model may predict (pad
 *   included), also where a slot's choice is narrowed (no pad yet, a word limit), so a slot
 *   the model thinks empty waits rather than taking the best word it can find.
 * - Word limits (`words`, word-rules.ts): at each reveal a slot may take only tokens that
 *   keep its span's word count reachable within its range (the words revealed so far plus
 *   one a masked slot, at most the maximum) and no line break its original lacked.
 * - Judged rows (`judge`): a finished row the judge rejects (a duplicate of another
 *   candidate, a count the pieces got wrong) is redrawn; see ReverseProcessInput.judge.
 */
import type { SamplingSettings } from '../contract'
import type { Rng } from './rng'
import { pickToken } from './sampler'
import { chooseEnd, SlotBans, UNKNOWN, wordsAdded, type BreakRule, type EndRule, type PieceTable } from './word-rules'

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
   * Diversity for deterministic decoding (greedy, ranked strategies): candidate 0 decodes
   * greedily; at its first text step candidate c > 0 reveals the (c−1)-th likeliest
   * alternative of the whole block (the non-top tokens of every masked slot, ranked by their
   * probability), so the branch lands where the model is least sure, never an unlikely token
   * in a confident slot; then it decodes greedily. A redraw takes the next alternatives.
   */
  diversify?: boolean
  /** Word ranges and line-break rules per span (word-rules.ts): enforced at every reveal. */
  words?: WordRules
  /**
   * Judges each finished candidate row (a request's distinct, in-range candidates): a row it
   * rejects is decoded again (redrawn) up to `maxRedraws` times; after that its last reveal
   * takes the likeliest token the judge accepts.
   */
  judge?: RowJudge
  /** Redraws of a rejected row (default 4). */
  maxRedraws?: number
}

/** Word limits and line-break rules, indexed by the span numbers of `padOrder.spanOf`. */
export interface WordRules {
  pieces: PieceTable
  minWords: Int32Array
  maxWords: Int32Array
  breaks: Uint8Array
  /** 1 at spans the writer's text has white space right before (see SlotContext.afterSpace); absent: none. */
  afterSpace?: Uint8Array
}

/** Accepts or rejects a finished row (`tokens`: one per slot, pads included). */
export interface RowJudge {
  ok(candidate: number, tokens: Int32Array): boolean
  /** The row is final (called once per candidate, after `ok` or when no accepted token was found). */
  keep(candidate: number, tokens: Int32Array): void
}

/** Where a pad may be revealed (see the module comment). */
export type PadRule = 'suffix' | 'after-text' | 'first-step'

export interface PadOrder {
  padId: number
  /** Span of each slot; a span's slots are consecutive. */
  spanOf: Int32Array
  /** Default 'after-text' (runFill passes 'suffix' with a floor in `mayPad`). */
  rule?: PadRule
  /** 1 at slots that may ever hold pad (a span's minimum length); default every slot but a span's first. */
  mayPad?: Uint8Array
  /** 'first-step': the pad probability at which a slot ends its fill (default 0.5), and how it is read (default 'peak'; see chooseEnd). */
  endThreshold?: number
  endRule?: EndRule
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
  /** A candidate's row is decoded again from its start (its slots are masked again). */
  onRedraw?: (candidate: number) => void
}

export interface ReverseProcessOutput {
  /** Revealed token per candidate and slot: tokens[c * slots.length + j]. */
  tokens: Int32Array
  /** Probability of each revealed token, same layout. */
  probs: Float32Array
  steps: number
  forwardPasses: number
  /** Redraws per candidate (the judge rejected its row). */
  redraws?: number[]
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
  const dream = isDreamStrategy(settings.strategy)
  const algTemp = settings.algTemp ?? 0
  const isText = (r: number, j: number) => tokens[r * S + j] >= 0 && tokens[r * S + j] !== padId
  // Span of each slot (one span when there is no padOrder) and the bounds of its run.
  const spanOf = padOrder?.spanOf ?? new Int32Array(S)
  const spanStart = new Int32Array(S)
  const spanEnd = new Int32Array(S)
  for (let j = 0; j < S; j++) spanStart[j] = j > 0 && spanOf[j - 1] === spanOf[j] ? spanStart[j - 1] : j
  for (let j = S - 1; j >= 0; j--) spanEnd[j] = j < S - 1 && spanOf[j + 1] === spanOf[j] ? spanEnd[j + 1] : j + 1
  const words = input.words
  const spanIds = words ? Math.max(0, ...Array.from(spanOf)) + 1 : 0
  if (words && (words.minWords.length < spanIds || words.maxWords.length < spanIds || words.breaks.length < spanIds))
    throw new Error(`words: limits for ${spanIds} spans expected`)
  const bans = words ? new SlotBans(words.pieces, banned, padId) : null
  /** Words revealed so far: wordCount[r * spanIds + span]. */
  const wordCount = new Int32Array(batch * Math.max(1, spanIds))
  const endsFirst = padRule === 'first-step'
  const ended = new Uint8Array(batch)
  const maskedIn = (r: number, from: number, to: number) => {
    let m = 0
    for (let k = from; k < to; k++) if (tokens[r * S + k] < 0) m++
    return m
  }
  /** Pad may be revealed at slot j of candidate r now. */
  const padAllowed = (r: number, j: number): boolean => {
    if (!padOrder || !mayPad[j]) return false
    const first = spanStart[j] === j
    if (first && !endsFirst) return false
    if (padRule === 'after-text' && !isText(r, j - 1)) return false
    for (let k = j + 1; k < spanEnd[j]; k++) if (isText(r, k)) return false
    if (endsFirst) {
      // after the first step's end: only where a word limit ends the fill
      if (!words || !ended[r] || wordCount[r * spanIds + spanOf[j]] < words.maxWords[spanOf[j]]) return false
    }
    // the text left of j can still reach the span's fewest words
    if (words && wordCount[r * spanIds + spanOf[j]] + maskedIn(r, spanStart[j], j) < words.minWords[spanOf[j]]) return false
    return true
  }
  const neighbour = (r: number, k: number, j: number) => (k >= spanStart[j] && k < spanEnd[j] && isText(r, k) ? tokens[r * S + k] : UNKNOWN)
  /** The ids slot j of candidate r may not take now. */
  const maskFor = (r: number, j: number, pad: boolean): Uint8Array => {
    if (!bans || !words) return pad ? banned : bannedNoPad
    const sp = spanOf[j]
    const w = wordCount[r * spanIds + sp]
    const others = maskedIn(r, spanStart[j], spanEnd[j]) - (tokens[r * S + j] < 0 ? 1 : 0)
    // Words other masked slots will add whatever they hold: the span's first slot (text here
    // means text there, and a fill's first piece starts a word) and a slot after a piece
    // ending in a space (a line break). Held back, so every slot can always be filled.
    let reserve = 0
    for (let k = spanStart[j]; k < spanEnd[j]; k++) {
      if (k === j || tokens[r * S + k] >= 0) continue
      if (k === spanStart[j] || (isText(r, k - 1) && words.pieces.trailSpace[tokens[r * S + k - 1]])) reserve++
    }
    return bans.mask({
      first: spanStart[j] === j,
      afterSpace: words.afterSpace?.[sp] === 1,
      prev: neighbour(r, j - 1, j),
      next: neighbour(r, j + 1, j),
      nextMasked: j + 1 < spanEnd[j] && tokens[r * S + j + 1] < 0,
      lo: words.minWords[sp] - w - others,
      hi: words.maxWords[sp] - w - reserve,
      breaks: words.breaks[sp] as BreakRule,
      pad,
    })
  }

  // Each candidate's current ids; the model input holds the active (unfinished) rows only.
  if (input.candidateIds && input.candidateIds.length < batch) throw new Error(`need ${batch} candidate id rows, got ${input.candidateIds.length}`)
  for (const row of input.candidateIds ?? []) if (row.length !== n) throw new Error(`a candidate's ids have ${row.length} entries, the window ${n}`)
  const rowIds = Array.from({ length: batch }, (_, r) => BigInt64Array.from(input.candidateIds?.[r] ?? ids, (id) => BigInt(id)))
  const startIds = rowIds.map((row) => Int32Array.from(slots, (pos) => Number(row[pos])))
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
  const attempts = new Int32Array(batch)
  const kept = new Uint8Array(batch)
  const maxRedraws = input.maxRedraws ?? 4
  const cand: number[] = []
  const picks: { token: number; prob: number; score: number }[] = []
  const scores: number[] = []
  const slotMasks: Uint8Array[] = []
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
  const src = (j: number) => (input.shiftedLogits ? Math.max(0, slots[j] - 1) : slots[j])

  /** A row decoded again from its start (the judge rejected it). */
  const redraw = (r: number) => {
    for (let j = 0; j < S; j++) {
      tokens[r * S + j] = -1
      probs[r * S + j] = 0
      rowIds[r][slots[j]] = BigInt(startIds[r][j])
    }
    lastProb.fill(0, r * S, (r + 1) * S)
    wordCount.fill(0, r * spanIds, (r + 1) * spanIds)
    remaining[r] = S
    blockOf[r] = 0
    stepInBlock[r] = 0
    ended[r] = 0
    diversified[r] = 0
    attempts[r]++
    hooks.onRedraw?.(r)
  }
  /** The row as it would be with `token` revealed at j (pads pad the rest of the span), or null when slots stay masked. */
  const completedWith = (r: number, j: number, token: number): Int32Array | null => {
    const row = tokens.slice(r * S, (r + 1) * S)
    row[j] = token
    if (token === padId) for (let k = j + 1; k < spanEnd[j]; k++) if (row[k] < 0) row[k] = padId
    return row.includes(-1) ? null : row
  }

  while (active.length > 0) {
    if (hooks.beforeStep) await hooks.beforeStep()
    if (dirty || !logits) {
      logits = await denoise(input64, active.length, n)
      passes++
      dirty = false
      if (logits.length !== active.length * rowSize)
        throw new Error(`the model returned ${logits.length} logits, expected ${active.length}×${n}×${vocab}`)
    }
    const stepLogits: Float32Array = logits
    const reveals: Reveal[] = []
    for (const r of active) {
      const a = activeSlot[r]
      const reveal = (j: number, token: number, prob: number) => {
        tokens[r * S + j] = token
        probs[r * S + j] = prob
        rowIds[r][slots[j]] = BigInt(token)
        input64[a * n + slots[j]] = BigInt(token)
        reveals.push({ candidate: r, slot: j, token, prob })
        remaining[r]--
        if (words && token !== padId)
          wordCount[r * spanIds + spanOf[j]] += wordsAdded(words.pieces, token, spanStart[j] === j, neighbour(r, j - 1, j), neighbour(r, j + 1, j))
      }
      /** A row past its redraws is kept as soon as it is finished, so rows finishing later in this step see it. */
      const keepIfStrict = () => {
        if (input.judge && attempts[r] >= maxRedraws && remaining[r] === 0 && !kept[r]) {
          input.judge.keep(r, tokens.slice(r * S, (r + 1) * S))
          kept[r] = 1
        }
      }
      const advanceBlock = () => {
        if (blockOf[r] < blocks.length && isRevealed(r, blocks[blockOf[r]])) {
          // on to the next block that still has masked slots (pads may have filled some)
          do blockOf[r]++
          while (blockOf[r] < blocks.length && isRevealed(r, blocks[blockOf[r]]))
          stepInBlock[r] = 0
        }
      }
      if (endsFirst && !ended[r]) {
        // Where each fill ends, from this first pass (every slot masked): pads from there on.
        ended[r] = 1
        const ends: { j: number; prob: number }[] = []
        for (let j0 = 0; j0 < S; j0 = spanEnd[j0]) {
          const j1 = spanEnd[j0]
          let from = -1
          for (let j = j0; j < j1 && from < 0; j++) if (mayPad[j]) from = j - j0
          if (from < 0) continue
          const padProbs = Array.from({ length: j1 - j0 }, (_, k) => (k >= from ? tokenProb(stepLogits, a * rowSize + src(j0 + k) * vocab, vocab, banned, padId) : 0))
          const end = chooseEnd(padProbs, from, padOrder?.endThreshold ?? 0.5, padOrder?.endRule ?? 'peak')
          for (let k = end; k < j1 - j0; k++) ends.push({ j: j0 + k, prob: padProbs[k] })
        }
        if (input.judge && attempts[r] >= maxRedraws && ends.length === remaining[r]) {
          // a row still rejected after its redraws, all pad: decoded as text instead
          const row = tokens.slice(r * S, (r + 1) * S)
          for (const e of ends) row[e.j] = padId
          if (!input.judge.ok(r, row)) ends.length = 0
        }
        let padded = false
        for (const e of ends)
          if (tokens[r * S + e.j] < 0) {
            reveal(e.j, padId, e.prob)
            padded = true
          }
        keepIfStrict()
        if (padded) {
          // the text is decoded against where it ends: next pass
          advanceBlock()
          continue
        }
      }
      const block = blocks[blockOf[r]]
      cand.length = 0
      for (let j = block.from; j < block.to; j++) if (tokens[r * S + j] < 0) cand.push(j)
      picks.length = cand.length
      scores.length = cand.length
      slotMasks.length = cand.length
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
        let bound = Infinity
        if (pruneByProb && bestZ.length >= keep) {
          bound = bestZ[keep - 1]
          if ('threshold' in rule) bound = Math.max(bound, 1 / rule.threshold)
          bound *= 1 + 1e-9 // strictly worse than the kept ones, whatever the rounding
        }
        const offset = a * rowSize + src(j) * vocab
        slotMasks[c] = maskFor(r, j, padAllowed(r, j))
        // prob (and the ranking) is measured against everything the model may predict
        const pick = pickToken(logits, offset, vocab, slotMasks[c], pickSettings, rngs[r], scratch, bound, banned) ?? PRUNED
        picks[c] = pick
        scores[c] = pick.score
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
      let chosen: number[]
      if (skipPicks) chosen = []
      else if (originPick) chosen = visit
      else if (dream && algTemp > 0 && 'k' in rule) chosen = sampleReveals(scores, rule.k, algTemp, rngs[r])
      else chosen = selectReveals(scores, rule)
      if (input.diversify && !diversified[r] && chosen.length > 0 && visit.length > 0) {
        diversified[r] = 1
        const rank = branchRank(r, attempts[r], batch)
        if (rank >= 0) {
          // the rank-th likeliest alternative (a non-top token) over every visited slot
          const alts: { c: number; token: number; prob: number }[] = []
          for (const c of visit) {
            const top = topTokens(logits, a * rowSize + src(cand[c]) * vocab, vocab, slotMasks[c], banned, rank + 2)
            for (const t of top.slice(1)) alts.push({ c, ...t })
          }
          alts.sort((x, y) => y.prob - x.prob || x.c - y.c || x.token - y.token)
          const alt = alts[Math.min(rank, alts.length - 1)]
          if (alt) {
            picks[alt.c] = { token: alt.token, prob: alt.prob, score: scores[alt.c] }
            chosen = [alt.c, ...chosen.filter((c) => c !== alt.c)].slice(0, chosen.length)
          }
        }
      }
      const strict = input.judge !== undefined && attempts[r] >= maxRedraws
      for (const c of chosen) {
        const j = cand[c]
        if (tokens[r * S + j] >= 0) continue // already padded by an earlier reveal of this step
        // Reveals earlier in this step may have changed what the slot may take (text to the
        // right of a pad pick, a word count reached): the pick is redone under the new mask.
        let mask = maskFor(r, j, padAllowed(r, j))
        const offset = a * rowSize + src(j) * vocab
        if (mask[picks[c].token]) picks[c] = pickToken(logits, offset, vocab, mask, pickSettings, rngs[r], scratch, Infinity, banned)!
        if (strict && input.judge) {
          // a redrawn row still rejected: its last reveal takes the likeliest token it accepts
          let row = completedWith(r, j, picks[c].token)
          for (let tries = 0; row && !input.judge.ok(r, row) && tries < 64; tries++) {
            const narrower = Uint8Array.from(mask)
            narrower[picks[c].token] = 1
            if (narrower.every((b) => b === 1)) break
            mask = narrower
            picks[c] = pickToken(logits, offset, vocab, mask, pickSettings, rngs[r], scratch, Infinity, banned)!
            row = completedWith(r, j, picks[c].token)
          }
        }
        reveal(j, picks[c].token, picks[c].prob)
        if (padOrder && picks[c].token === padId) {
          // the fill ends here: the rest of its span is pad
          for (let k = j + 1; k < spanEnd[j]; k++) if (tokens[r * S + k] < 0) reveal(k, padId, picks[c].prob)
        }
        keepIfStrict()
      }
      stepInBlock[r]++
      advanceBlock()
    }
    if (reveals.length > 0) dirty = true
    let changed = false
    for (const r of active) {
      if (remaining[r] > 0) continue
      changed = true
      if (kept[r]) continue
      const row = tokens.slice(r * S, (r + 1) * S)
      if (!input.judge) continue
      if (input.judge.ok(r, row) || attempts[r] >= maxRedraws) {
        input.judge.keep(r, row)
        kept[r] = 1
      } else redraw(r)
    }
    if (changed) {
      compact()
      logits = null
    }
    step++
    hooks.onStep?.(step, reveals, remaining)
  }
  return { tokens, probs, steps: step, forwardPasses: passes, redraws: Array.from(attempts) }
}

/**
 * Which alternative a greedy candidate branches at: candidate 0's first draw none (−1); the
 * others, and redraws, each a different one (the (r−1)-th, then `batch` further per redraw).
 */
export function branchRank(candidate: number, attempt: number, batch: number): number {
  return candidate - 1 + attempt * batch
}

/** Probability of `id` at a position against every id `banned` allows. */
export function tokenProb(logits: Float32Array, offset: number, vocab: number, banned: Uint8Array, id: number): number {
  let max = -Infinity
  for (let i = 0; i < vocab; i++) if (!banned[i] && logits[offset + i] > max) max = logits[offset + i]
  let z = 0
  for (let i = 0; i < vocab; i++) if (!banned[i] && logits[offset + i] > -Infinity) z += Math.exp(logits[offset + i] - max)
  return banned[id] ? 0 : Math.exp(logits[offset + id] - max) / z
}

/** The `k` likeliest ids `mask` allows at a position, likeliest first, with probabilities against `partition`. */
export function topTokens(logits: Float32Array, offset: number, vocab: number, mask: Uint8Array, partition: Uint8Array, k: number): { token: number; prob: number }[] {
  const top: number[] = []
  for (let i = 0; i < vocab; i++) {
    if (mask[i] || !(logits[offset + i] > -Infinity)) continue
    const l = logits[offset + i]
    if (top.length === k && l <= logits[offset + top[k - 1]]) continue
    let at = Math.min(top.length, k - 1)
    if (top.length < k) top.push(i)
    while (at > 0 && logits[offset + top[at - 1]] < l) {
      top[at] = top[at - 1]
      at--
    }
    top[at] = i
  }
  let max = -Infinity
  for (let i = 0; i < vocab; i++) if (!partition[i] && logits[offset + i] > max) max = logits[offset + i]
  let z = 0
  for (let i = 0; i < vocab; i++) if (!partition[i] && logits[offset + i] > -Infinity) z += Math.exp(logits[offset + i] - max)
  return top.map((token) => ({ token, prob: Math.exp(logits[offset + token] - max) / z }))
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
