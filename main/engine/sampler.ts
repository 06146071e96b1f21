/**
 * Per-position token choice over raw logits: SUBS exclusions (the mask token and the other
 * special tokens can never be predicted), temperature, nucleus (top-p) sampling with a
 * seeded RNG, and the confidence score each remasking strategy ranks positions by.
 *
 * Only masked positions are ever passed here, so softmax work is done where it matters.
 */
import type { Strategy } from '../contract'
import type { Rng } from './rng'

export interface TokenPick {
  token: number
  /** Probability of `token` under the model (softmax of the raw logits, SUBS applied). */
  prob: number
  /** What the strategy ranks positions by (higher reveals first). */
  score: number
}

export interface PickSettings {
  strategy: Strategy
  temperature: number
  topP: number
  /** Keep only the k most likely tokens (Dream's top_k, applied after top-p); 0 = off. */
  topK?: number
}

/**
 * Chooses the token for one masked position.
 * @param logits the model output; the position's logits start at `offset`
 * @param banned 1 at ids that may never be predicted (mask, unk, other specials)
 * @param scratch reusable buffer of at least `vocab` entries
 * @param zBound greedy low_confidence / threshold only: give up (return null) as soon as the
 *   softmax partition exceeds it, i.e. once the token's probability is known to be below
 *   1 / zBound (a caller ranking positions by probability needs no more)
 * @param partition 1 at ids left out of the partition `prob` is measured against (default
 *   `banned`): a slot whose choice is narrowed (no pad yet, a word limit) still reports, and
 *   ranks by, the token's probability among everything the model may predict
 */
export function pickToken(
  logits: Float32Array,
  offset: number,
  vocab: number,
  banned: Uint8Array,
  settings: PickSettings,
  rng: Rng,
  scratch: Float64Array,
): TokenPick
export function pickToken(
  logits: Float32Array,
  offset: number,
  vocab: number,
  banned: Uint8Array,
  settings: PickSettings,
  rng: Rng,
  scratch: Float64Array,
  zBound: number,
  partition?: Uint8Array,
): TokenPick | null
export function pickToken(
  logits: Float32Array,
  offset: number,
  vocab: number,
  banned: Uint8Array,
  settings: PickSettings,
  rng: Rng,
  scratch: Float64Array,
  zBound = Infinity,
  partition: Uint8Array = banned,
): TokenPick | null {
  let max = -Infinity
  let argmax = -1
  let maxP = -Infinity
  for (let i = 0; i < vocab; i++) {
    const l = logits[offset + i]
    if (!partition[i] && l > maxP) maxP = l
    if (banned[i]) continue
    if (l > max) {
      max = l
      argmax = i
    }
  }
  if (argmax < 0 || !Number.isFinite(max)) throw new Error('no token can be predicted at this position: every logit is banned or not finite')
  // the partition holds every token the pick may take (it bans a subset of `banned`)
  if (!(maxP >= max)) maxP = max
  const narrowed = partition !== banned

  const greedy = settings.temperature === 0
  const invT = greedy ? 1 : 1 / settings.temperature
  const cutTopP = !greedy && settings.topP < 1
  let perNat = 0
  if (cutTopP) {
    bucketMass.fill(0)
    // Buckets span the position's actual log-weight range, so a flat distribution is
    // still spread over many buckets and the one sorted stays small.
    let min = Infinity
    for (let i = 0; i < vocab; i++) if (!banned[i] && logits[offset + i] < min) min = logits[offset + i]
    const range = (max - min) * invT
    perNat = range > 0 && Number.isFinite(range) ? (BUCKETS - 1) / range : 1
  }
  // scratch[i] = tempered weight; z1 = untempered partition (for `prob`); with top-p the
  // weights are binned by log-weight in the same pass.
  let z1 = 0
  let zT = 0
  if (greedy && (settings.strategy === 'low_confidence' || settings.strategy === 'threshold' || settings.strategy === 'random')) {
    // Greedy, ranked by the token's probability (or at random): only the partition is needed.
    // prob = e^(max - maxP) / z1 < 1 / zBound once z1 > zBound · e^(max - maxP)
    const lead = Math.exp(max - maxP)
    const bound = zBound * lead
    for (let i = 0; i < vocab; i++) {
      const d = logits[offset + i] - maxP
      if (!partition[i] && d > -Infinity) z1 += expNonPositive(d)
      if ((i & 511) === 511 && z1 > bound) return null
    }
    const prob = lead / z1
    return { token: argmax, prob, score: settings.strategy === 'random' ? rng() : prob }
  }
  for (let i = 0; i < vocab; i++) {
    if (banned[i]) {
      scratch[i] = 0
      continue
    }
    const d = logits[offset + i] - max
    if (!(d > -Infinity)) {
      // -Infinity or NaN: the token has no probability.
      scratch[i] = 0
      continue
    }
    const e = expNonPositive(d)
    z1 += e
    const w = greedy || invT === 1 ? e : expNonPositive(d * invT)
    scratch[i] = w
    zT += w
    if (cutTopP) bucketMass[bucketFor(-d * invT, perNat)] += w
  }

  let token = argmax
  let zSample = zT
  // Weights below `cutoff` are outside the nucleus (and the top k).
  let cutoff = 0
  if (cutTopP) {
    const cut = nucleusCut(scratch, vocab, zT, settings.topP, (i) => bucketFor((max - logits[offset + i]) * invT, perNat))
    cutoff = cut.cutoff
    zSample = cut.mass
  }
  const topK = settings.topK ?? 0
  if (topK > 0) {
    const kth = kthLargest(scratch, vocab, topK)
    if (kth > cutoff) {
      cutoff = kth
      zSample = 0
      for (let i = 0; i < vocab; i++) if (scratch[i] > 0 && scratch[i] >= cutoff) zSample += scratch[i]
    }
  }
  if (!greedy) token = sampleAbove(scratch, vocab, cutoff, zSample, rng)
  let prob = Math.exp(logits[offset + token] - max) / z1
  if (narrowed) {
    let zP = 0
    for (let i = 0; i < vocab; i++) {
      const d = logits[offset + i] - maxP
      if (!partition[i] && d > -Infinity) zP += expNonPositive(d)
    }
    prob = Math.exp(logits[offset + token] - maxP) / zP
  }

  let score: number
  switch (settings.strategy) {
    case 'low_confidence':
    case 'threshold':
      score = prob
      break
    case 'random':
    case 'origin':
      score = rng()
      break
    case 'maskgit_plus':
      score = scratch[token] / zSample
      break
    case 'topk_margin': {
      let p1 = 0
      let p2 = 0
      for (let i = 0; i < vocab; i++) {
        const w = scratch[i]
        if (w < cutoff) continue
        if (w > p1) {
          p2 = p1
          p1 = w
        } else if (w > p2) p2 = w
      }
      score = (p1 - p2) / zSample
      break
    }
    case 'entropy': {
      let negEntropy = 0
      for (let i = 0; i < vocab; i++) {
        const w = scratch[i]
        if (w > 0 && w >= cutoff) {
          const p = w / zSample
          negEntropy += p * Math.log(p)
        }
      }
      score = negEntropy
      break
    }
  }
  return { token, prob, score }
}

let kthScratch = new Float64Array(0)

/** The k-th largest of the positive `weights` (0 when fewer than k are positive). */
export function kthLargest(weights: Float64Array, vocab: number, k: number): number {
  if (kthScratch.length < vocab) kthScratch = new Float64Array(vocab)
  let n = 0
  for (let i = 0; i < vocab; i++) if (weights[i] > 0) kthScratch[n++] = weights[i]
  if (n < k) return 0
  return kthScratch.subarray(0, n).sort()[n - k]
}

/** 2^-k for k = 0..1075 (2^-1075 rounds to 0). */
const POW2_NEG = Float64Array.from({ length: 1076 }, (_, k) => 2 ** -k)
const LN2 = Math.LN2
const C2 = LN2 ** 2 / 2
const C3 = LN2 ** 3 / 6
const C4 = LN2 ** 4 / 24
const C5 = LN2 ** 5 / 120
const C6 = LN2 ** 6 / 720
const C7 = LN2 ** 7 / 5040
const C8 = LN2 ** 8 / 40320

/**
 * e^d for d <= 0, within 1e-6 relative down to e^-700 (logits are float32, ~6e-8): 2^-k
 * from a table times 2^f by its Taylor polynomial. Faster than Math.exp, which dominates a
 * step's sampling time (one call per vocabulary entry per masked position).
 */
export function expNonPositive(d: number): number {
  const t = -d * Math.LOG2E
  if (!(t < 1075)) return 0
  const k = Math.ceil(t)
  const f = k - t
  return (1 + f * (LN2 + f * (C2 + f * (C3 + f * (C4 + f * (C5 + f * (C6 + f * (C7 + f * C8)))))))) * POW2_NEG[k]
}

const BUCKETS = 128
const bucketMass = new Float64Array(BUCKETS)
let edgeWeights = new Float64Array(0)

/** Histogram bucket of a log-weight `nats` below the heaviest, `perNat` buckets per nat. */
function bucketFor(nats: number, perNat: number): number {
  const b = Math.floor(nats * perNat)
  return b < BUCKETS - 1 ? b : BUCKETS - 1
}

/**
 * The nucleus once `bucketMass` holds the mass of each log-weight bucket: walks the
 * buckets from the heaviest, then sorts (natively) only the bucket where the mass crosses
 * topP. Returns the lightest kept weight and the kept mass (ties with the cutoff kept).
 */
function nucleusCut(
  weights: Float64Array,
  vocab: number,
  total: number,
  topP: number,
  bucketOfIndex: (i: number) => number,
): { cutoff: number; mass: number } {
  const target = topP * total
  let mass = 0
  let edge = 0
  while (edge < BUCKETS - 1 && mass + bucketMass[edge] < target) mass += bucketMass[edge++]
  if (edgeWeights.length < vocab) edgeWeights = new Float64Array(vocab)
  let n = 0
  for (let i = 0; i < vocab; i++) if (weights[i] > 0 && bucketOfIndex(i) === edge) edgeWeights[n++] = weights[i]
  const inEdge = edgeWeights.subarray(0, n).sort()
  let cutoff = n > 0 ? inEdge[n - 1] : 0
  let k = n - 1
  for (; k >= 0 && mass < target; k--) {
    mass += inEdge[k]
    cutoff = inEdge[k]
  }
  // Ties with the cutoff are kept too.
  for (; k >= 0 && inEdge[k] === cutoff; k--) mass += inEdge[k]
  return { cutoff, mass }
}

/** Draws an index among weights >= cutoff, with probability weight / total. */
function sampleAbove(weights: Float64Array, vocab: number, cutoff: number, total: number, rng: Rng): number {
  const u = rng() * total
  let acc = 0
  let last = -1
  for (let i = 0; i < vocab; i++) {
    const w = weights[i]
    if (w <= 0 || w < cutoff) continue
    acc += w
    last = i
    if (u < acc) return i
  }
  return last
}

/**
 * Zeroes every weight outside the nucleus (the smallest set of most likely tokens whose
 * mass reaches topP) and returns the nucleus mass. Tokens tied with the lightest kept one
 * are kept too.
 */
export function applyTopP(weights: Float64Array, vocab: number, total: number, topP: number): number {
  let wMax = 0
  for (let i = 0; i < vocab; i++) if (weights[i] > wMax) wMax = weights[i]
  if (wMax <= 0) return 0
  const logMax = Math.log(wMax)
  const bucketOfIndex = (i: number) => bucketFor(logMax - Math.log(weights[i]), 4)
  bucketMass.fill(0)
  for (let i = 0; i < vocab; i++) if (weights[i] > 0) bucketMass[bucketOfIndex(i)] += weights[i]
  const { cutoff, mass } = nucleusCut(weights, vocab, total, topP, bucketOfIndex)
  for (let i = 0; i < vocab; i++) if (weights[i] < cutoff) weights[i] = 0
  return mass
}

/** Draws an index with probability weights[i] / total. */
export function sampleFrom(weights: Float64Array, vocab: number, total: number, rng: Rng): number {
  const u = rng() * total
  let acc = 0
  let last = -1
  for (let i = 0; i < vocab; i++) {
    const w = weights[i]
    if (w <= 0) continue
    acc += w
    last = i
    if (u < acc) return i
  }
  return last
}
