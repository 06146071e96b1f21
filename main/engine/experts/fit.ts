/**
 * Fitting the count experts' per-class weights on held-out text: at each scored masked slot
 * keep the model's, the training text's and the manuscript's log-probabilities of a short list
 * of ids (the union of each one's top ids, and the true id), and search the weights of each
 * context class for the highest top-1 accuracy of the fused argmax (coordinate search over a
 * grid, a few rounds). Pure: the script that feeds it runs the model.
 */
import { CONTEXT_CLASSES } from './weights'

/** One scored slot: candidate ids and each expert's log-probability of them. */
export interface FitSlot {
  /** Index into `ids` of the true token (always present). */
  truth: number
  ids: Int32Array
  model: Float32Array
  training: Float32Array
  manuscript: Float32Array
  /** Context class of the slot for each count expert. */
  trainingClass: number
  manuscriptClass: number
}

/** Top `k` indices of a log-probability row (ids not in `skip`). */
export function topIds(logp: ArrayLike<number>, k: number, skip?: Uint8Array): number[] {
  const best: number[] = []
  for (let v = 0; v < logp.length; v++) {
    if (skip?.[v] || !(logp[v] > -Infinity)) continue
    if (best.length < k || logp[v] > logp[best[best.length - 1]]) {
      let at = best.length
      while (at > 0 && logp[best[at - 1]] < logp[v]) at--
      best.splice(at, 0, v)
      if (best.length > k) best.pop()
    }
  }
  return best
}

/** A FitSlot from full rows: the union of each row's top `k` ids and the truth. */
export function fitSlot(truth: number, rows: { model: ArrayLike<number>; training: ArrayLike<number>; manuscript: ArrayLike<number> }, classes: { training: number; manuscript: number }, k = 48, skip?: Uint8Array): FitSlot {
  const set = new Set<number>([truth, ...topIds(rows.model, k, skip), ...topIds(rows.training, k, skip), ...topIds(rows.manuscript, k, skip)])
  const ids = Int32Array.from(set)
  return {
    truth: 0,
    ids,
    model: Float32Array.from(ids, (v) => rows.model[v]),
    training: Float32Array.from(ids, (v) => rows.training[v]),
    manuscript: Float32Array.from(ids, (v) => rows.manuscript[v]),
    trainingClass: classes.training,
    manuscriptClass: classes.manuscript,
  }
}

/** True when the fused score of the truth at `slot` is strictly above every other id's (a tie is wrong). */
export function fusedCorrect(slot: FitSlot, modelWeight: number, wt: number, wm: number): boolean {
  const score = (i: number) => modelWeight * slot.model[i] + (wt !== 0 ? wt * slot.training[i] : 0) + (wm !== 0 ? wm * slot.manuscript[i] : 0)
  const truth = score(slot.truth)
  if (!(truth > -Infinity)) return false
  for (let i = 0; i < slot.ids.length; i++) if (i !== slot.truth && score(i) >= truth) return false
  return true
}

export interface FittedWeights {
  training: number[]
  manuscript: number[]
  accuracy: number
}

/** Top-1 accuracy of the fusion with per-class weights over `slots`. */
export function fusedAccuracy(slots: readonly FitSlot[], training: readonly number[], manuscript: readonly number[], modelWeight = 1): number {
  let right = 0
  for (const s of slots) if (fusedCorrect(s, modelWeight, training[s.trainingClass], manuscript[s.manuscriptClass])) right++
  return slots.length ? right / slots.length : 0
}

export const WEIGHT_GRID = [0, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5]

/**
 * Coordinate search: each class of each expert in turn takes the grid weight with the best
 * accuracy over the slots of that class (class 0 stays 0), `rounds` times. `useManuscript`
 * false fits the training expert alone (manuscript weights stay 0).
 */
export function fitWeights(slots: readonly FitSlot[], opts: { rounds?: number; useManuscript?: boolean; useTraining?: boolean; start?: FittedWeights } = {}): FittedWeights {
  const C = CONTEXT_CLASSES.length
  const training = opts.start ? [...opts.start.training] : new Array<number>(C).fill(0)
  const manuscript = opts.start ? [...opts.start.manuscript] : new Array<number>(C).fill(0)
  const experts: ('training' | 'manuscript')[] = []
  if (opts.useTraining !== false) experts.push('training')
  if (opts.useManuscript) experts.push('manuscript')
  for (let round = 0; round < (opts.rounds ?? 3); round++) {
    for (const e of experts) {
      for (let c = 1; c < C; c++) {
        const mine = slots.filter((s) => (e === 'training' ? s.trainingClass : s.manuscriptClass) === c)
        if (mine.length === 0) continue
        let bestW = (e === 'training' ? training : manuscript)[c]
        let bestAcc = -1
        for (const w of WEIGHT_GRID) {
          const t = e === 'training' ? training.map((x, i) => (i === c ? w : x)) : training
          const m = e === 'manuscript' ? manuscript.map((x, i) => (i === c ? w : x)) : manuscript
          const acc = fusedAccuracy(mine, t, m)
          if (acc > bestAcc + 1e-12) {
            bestAcc = acc
            bestW = w
          }
        }
        ;(e === 'training' ? training : manuscript)[c] = bestW
      }
    }
  }
  return { training, manuscript, accuracy: fusedAccuracy(slots, training, manuscript) }
}
