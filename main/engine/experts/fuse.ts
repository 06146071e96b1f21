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
 * In the same way, given `leadText` (1 at pieces that start with a non-space), the model's
 * mass on pieces that continue the text before them and on pieces that start with a space is
 * kept, and the experts choose within each: whether a slot starts a new word is the model's
 * call. A count model reads "we" + "ep" as "weep"; it cannot know that the writer's space
 * before a span is inside the span's first slot, and without this it glued pieces onto the
 * word before a fill ("we⟦ep⟧", "so⟦re,⟧" in the blind ratings of session 5).
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
export function fuseSlot(
  logits: Float32Array,
  offset: number,
  vocab: number,
  parts: readonly ExpertPart[],
  keep: Uint8Array,
  never: Uint8Array,
  modelWeight = 1,
  scratch = new Float64Array(vocab),
  leadText?: Uint8Array,
): void {
  // The model's log-softmax over every id but the never ones.
  let max = -Infinity
  for (let v = 0; v < vocab; v++) if (!never[v] && logits[offset + v] > max) max = logits[offset + v]
  let z = 0
  for (let v = 0; v < vocab; v++) if (!never[v]) z += Math.exp(logits[offset + v] - max)
  const logZ = max + Math.log(z)
  // The model's mass on the kept ids, and on the text ids of each group (all one group without leadText).
  const groupOf = (v: number): number => (leadText ? leadText[v] : 0)
  let keptMass = 0
  const groupMass = [0, 0]
  for (let v = 0; v < vocab; v++) {
    if (never[v]) continue
    const p = Math.exp(logits[offset + v] - logZ)
    if (keep[v]) keptMass += p
    else groupMass[groupOf(v)] += p
  }
  // Text tokens: the weighted mean of log-probabilities, normalised within each group.
  let total = modelWeight
  for (const part of parts) total += part.weight
  const inv = total > 0 ? 1 / total : 1
  const best = [-Infinity, -Infinity]
  for (let v = 0; v < vocab; v++) {
    if (keep[v] || never[v]) {
      scratch[v] = -Infinity
      continue
    }
    let s = modelWeight === 0 ? 0 : modelWeight * (logits[offset + v] - logZ)
    for (const part of parts) if (part.weight !== 0) s += part.weight * part.logp[v]
    s *= inv
    scratch[v] = s
    if (s > best[groupOf(v)]) best[groupOf(v)] = s
  }
  const zg = [0, 0]
  for (let v = 0; v < vocab; v++) if (scratch[v] > -Infinity) zg[groupOf(v)] += Math.exp(scratch[v] - best[groupOf(v)])
  // A model left out (modelWeight 0) has no say on the groups: the experts' own normalisation over all text ids.
  if (modelWeight === 0 && leadText) {
    const top = Math.max(best[0], best[1])
    const all = zg[0] * Math.exp(best[0] - top) + zg[1] * Math.exp(best[1] - top)
    for (const g of [0, 1]) groupMass[g] = zg[g] > 0 ? ((1 - keptMass) * zg[g] * Math.exp(best[g] - top)) / all : 0
  } else if (!leadText) groupMass[0] = 1 - keptMass
  const textLog = [0, 1].map((g) => (zg[g] > 0 ? Math.log(Math.max(1e-30, groupMass[g])) - best[g] - Math.log(zg[g]) : -Infinity))
  for (let v = 0; v < vocab; v++) {
    if (never[v]) logits[offset + v] = -Infinity
    else if (keep[v]) logits[offset + v] = logits[offset + v] - logZ
    else logits[offset + v] = scratch[v] + textLog[groupOf(v)]
  }
}
