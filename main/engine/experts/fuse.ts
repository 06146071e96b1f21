/**
 * The fused distribution at one masked slot, written back as logits so every strategy of the
 * reverse process samples from it unchanged:
 *
 *   q(w) ∝ (p_model(w) · Π_e p_e(w)^{λ_e})^{1 / (1 + Σ_e λ_e)}      for text tokens w,
 *
 * a weighted geometric mean: the weights set which word wins, the exponent keeps q no sharper
 * than its sharpest member, so confidences (threshold decoding, the scores) stay calibrated
 * whatever the weights,
 * while the tokens the count experts do not model (pad: where a fill ends; specials) keep
 * the model's own probability, so the experts decide which word, never how long a fill is.
 * Pure arithmetic over arrays; the count experts' log-distributions come from count-expert.ts.
 */

/** One expert's say at a slot: its log-probabilities over the vocabulary and its weight there. */
export interface ExpertPart {
  logp: Float32Array | Float64Array
  weight: number
}

/**
 * Fuses in place: `logits[offset .. offset + vocab)` (the model's) become log q. `keep` marks
 * ids that keep the model's probability (pad, specials), `never` ids that get none (the mask
 * token). `modelWeight` 0 leaves the model out (a count expert alone, for the eval).
 */
export function fuseSlot(logits: Float32Array, offset: number, vocab: number, parts: readonly ExpertPart[], keep: Uint8Array, never: Uint8Array, modelWeight = 1, scratch = new Float64Array(vocab)): void {
  // The model's log-softmax over every id but the never ones.
  let max = -Infinity
  for (let v = 0; v < vocab; v++) if (!never[v] && logits[offset + v] > max) max = logits[offset + v]
  let z = 0
  for (let v = 0; v < vocab; v++) if (!never[v]) z += Math.exp(logits[offset + v] - max)
  const logZ = max + Math.log(z)
  let keptMass = 0
  for (let v = 0; v < vocab; v++) if (keep[v] && !never[v]) keptMass += Math.exp(logits[offset + v] - logZ)
  // Text tokens: the weighted mean of log-probabilities, normalised over text tokens.
  let total = modelWeight
  for (const part of parts) total += part.weight
  const inv = total > 0 ? 1 / total : 1
  let best = -Infinity
  for (let v = 0; v < vocab; v++) {
    if (keep[v] || never[v]) {
      scratch[v] = -Infinity
      continue
    }
    let s = modelWeight === 0 ? 0 : modelWeight * (logits[offset + v] - logZ)
    for (const part of parts) if (part.weight !== 0) s += part.weight * part.logp[v]
    s *= inv
    scratch[v] = s
    if (s > best) best = s
  }
  let zt = 0
  for (let v = 0; v < vocab; v++) if (scratch[v] > -Infinity) zt += Math.exp(scratch[v] - best)
  const textLog = Math.log(Math.max(1e-30, 1 - keptMass)) - best - Math.log(zt)
  for (let v = 0; v < vocab; v++) {
    if (never[v]) logits[offset + v] = -Infinity
    else if (keep[v]) logits[offset + v] = logits[offset + v] - logZ
    else logits[offset + v] = scratch[v] + textLog
  }
}
