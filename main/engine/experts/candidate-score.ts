/**
 * One fused score for any candidate text of a span, whatever wrote it: the mean over its
 * tokens of log q(token), q the fused distribution (model and count experts). For a candidate
 * of up to PLL_TOKENS tokens (a word, a name) q at each token's slot is read with only that slot
 * masked and the rest of the candidate in place (a pseudo-log-likelihood, as masked LMs score
 * text: a row a token); a longer one is read from one row with its whole span masked, the
 * distribution the reverse process starts from (one row per length: a row a token made a
 * phrase fill 1.6× slower in bench/experts-cost.ts). Candidates of the reverse process and
 * passages of the writer's or the training text are ranked by it together. A name is often
 * 3–4 pieces ("▁Qua|r|re|nder"): read from an all-masked row its inner pieces have no
 * neighbour and it scored under every 2-token candidate read token by token, so 4.
 */

/** Longest candidate scored token by token (pseudo-log-likelihood) by default; Other words scores every word so. */
export const PLL_TOKENS = 4
import type { Denoise } from '../reverse-process'

/** The span's surroundings as the scorer sees them: ids before and after it (wrap included). */
export interface ScoreWindow {
  left: readonly number[]
  right: readonly number[]
}

/** Mean fused log-probability a token of each candidate (−Infinity for an empty one). */
export async function scoreCandidates(denoise: Denoise, window: ScoreWindow, candidates: readonly (readonly number[])[], maskId: number, vocab: number, shiftedLogits = false, pllTokens = PLL_TOKENS): Promise<number[]> {
  const scores = candidates.map(() => -Infinity)
  const byLength = new Map<number, number[]>()
  candidates.forEach((c, i) => {
    if (c.length === 0) return
    byLength.set(c.length, [...(byLength.get(c.length) ?? []), i])
  })
  for (const [k, members] of byLength) {
    const n = window.left.length + k + window.right.length
    const pll = k <= pllTokens
    const rows = pll ? members.length * k : 1
    const ids = new BigInt64Array(rows * n)
    if (pll)
      members.forEach((ci, m) => {
        for (let i = 0; i < k; i++) {
          const r = m * k + i
          const row = [...window.left, ...candidates[ci], ...window.right]
          row[window.left.length + i] = maskId
          for (let j = 0; j < n; j++) ids[r * n + j] = BigInt(row[j])
        }
      })
    else [...window.left, ...Array<number>(k).fill(maskId), ...window.right].forEach((id, j) => (ids[j] = BigInt(id)))
    const logits = await denoise(ids, rows, n)
    members.forEach((ci, m) => {
      let sum = 0
      for (let i = 0; i < k; i++) {
        const r = pll ? m * k + i : 0
        const pos = window.left.length + i
        const src = shiftedLogits ? Math.max(0, pos - 1) : pos
        const base = (r * n + src) * vocab
        let max = -Infinity
        for (let v = 0; v < vocab; v++) if (v !== maskId && logits[base + v] > max) max = logits[base + v]
        let z = 0
        for (let v = 0; v < vocab; v++) if (v !== maskId) z += Math.exp(logits[base + v] - max)
        sum += logits[base + candidates[ci][i]] - max - Math.log(z)
      }
      scores[ci] = sum / k
    })
  }
  return scores
}
