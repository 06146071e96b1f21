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
}

/**
 * Chooses the token for one masked position.
 * @param logits the model output; the position's logits start at `offset`
 * @param banned 1 at ids that may never be predicted (mask, unk, other specials)
 * @param scratch reusable buffer of at least `vocab` entries
 */
export function pickToken(
  logits: Float32Array,
  offset: number,
  vocab: number,
  banned: Uint8Array,
  settings: PickSettings,
  rng: Rng,
  scratch: Float64Array,
): TokenPick {
  let max = -Infinity
  let argmax = -1
  for (let i = 0; i < vocab; i++) {
    if (banned[i]) continue
    const l = logits[offset + i]
    if (l > max) {
      max = l
      argmax = i
    }
  }
  if (argmax < 0 || !Number.isFinite(max)) throw new Error('no token can be predicted at this position: every logit is banned or not finite')

  const greedy = settings.temperature === 0
  const invT = greedy ? 1 : 1 / settings.temperature
  // scratch[i] = tempered weight; z1 = untempered partition (for `prob`).
  let z1 = 0
  let zT = 0
  for (let i = 0; i < vocab; i++) {
    if (banned[i]) {
      scratch[i] = 0
      continue
    }
    const d = logits[offset + i] - max
    const e = Math.exp(d)
    z1 += e
    const w = greedy || invT === 1 ? e : Math.exp(d * invT)
    scratch[i] = w
    zT += w
  }

  let token = argmax
  let zSample = zT
  if (!greedy) {
    if (settings.topP < 1) zSample = applyTopP(scratch, vocab, zT, settings.topP)
    token = sampleFrom(scratch, vocab, zSample, rng)
  }
  const prob = Math.exp(logits[offset + token] - max) / z1

  let score: number
  switch (settings.strategy) {
    case 'low_confidence':
    case 'threshold':
      score = prob
      break
    case 'random':
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
        if (w > 0) {
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

/**
 * Zeroes every weight outside the nucleus (the smallest set of most likely tokens whose
 * mass reaches topP) and returns the nucleus mass. Tokens lighter than (1 - topP) / vocab
 * of the total can never be in the nucleus, so only the others are sorted.
 */
export function applyTopP(weights: Float64Array, vocab: number, total: number, topP: number): number {
  const floor = ((1 - topP) / vocab) * total
  const heavy: number[] = []
  for (let i = 0; i < vocab; i++) if (weights[i] >= floor && weights[i] > 0) heavy.push(i)
  heavy.sort((a, b) => weights[b] - weights[a] || a - b)
  const target = topP * total
  let mass = 0
  let keep = 0
  while (keep < heavy.length && mass < target) mass += weights[heavy[keep++]]
  // Mark the nucleus by negating it, zero the rest, then restore the sign.
  for (let j = 0; j < keep; j++) weights[heavy[j]] = -weights[heavy[j]]
  for (let i = 0; i < vocab; i++) weights[i] = weights[i] < 0 ? -weights[i] : 0
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
