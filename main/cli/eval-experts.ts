/**
 * The eval's systems with count experts (issue 21): the model, each count expert alone, and
 * the fused system, every one a Denoise over the same windows and masked positions, so each
 * is scored by the same reverse process and metrics (masked-token top-1, span infill, whole
 * words, bits per character from the ELBO bound). The fused system twice: its distribution
 * at every masked slot ("fused": what ranks candidates, passages and Other words), and as a
 * fill's reverse process uses it ("fused fills": the experts only at a slot between the
 * writer's own words, EXPERT_MAX_RUN).
 */
import type { SamplingSettings } from '../contract'
import { KneserNeyTrigram } from '../engine/baselines/kneser-ney'
import { countNgrams } from '../engine/baselines/ngram-counts'
import { bitsPerChar, elboBound, maskedTokenAccuracy, spanInfillAccuracy, wholeWordAccuracy, type EvalModel, type ElboEstimator } from '../engine/evaluation'
import type { WordSpan } from '../engine/evaluation-plans'
import { CountExpert } from '../engine/experts/count-expert'
import { EXPERT_MAX_RUN, withExperts, type ExpertPanel } from '../engine/experts/expert-denoise'
import type { ModelExperts } from '../engine/experts/model-experts'
import { CONTEXT_CLASSES } from '../engine/experts/weights'

export interface SystemScores {
  maskedTokenAccuracy: number
  spanInfillAccuracy: number
  wholeWordAccuracy: number
  bitsPerChar: number
}

export interface EvalPlans {
  chunks: number[][]
  tokenPlan: number[][]
  spans: { start: number; length: number }[]
  wordPlan: WordSpan[][]
  chars: number
}

export interface EvalRun {
  settings: SamplingSettings
  wordText: (ids: readonly number[]) => string
  elboSamples: number
  estimator: ElboEstimator
  batchSize: number
  padOrder: boolean
  log: (msg: string) => void
}

/** The four figures of one system. */
export async function scoreSystem(name: string, model: EvalModel, plans: EvalPlans, run: EvalRun): Promise<SystemScores> {
  const t0 = performance.now()
  const masked = await maskedTokenAccuracy(model, plans.chunks, { plan: plans.tokenPlan, batchSize: run.batchSize })
  const span = await spanInfillAccuracy(model, plans.chunks, { plan: plans.spans, settings: run.settings, padOrder: run.padOrder })
  const words = await wholeWordAccuracy(model, plans.chunks, { plan: plans.wordPlan, settings: run.settings, wordText: run.wordText, padOrder: run.padOrder })
  const elbo = await elboBound(model, plans.chunks, { samples: run.elboSamples, seed: run.settings.seed, batchSize: run.batchSize, estimator: run.estimator })
  const round = (x: number) => Number(x.toFixed(4))
  const out = {
    maskedTokenAccuracy: round(masked.correct / masked.total),
    spanInfillAccuracy: round(span.correct / span.total),
    wholeWordAccuracy: round(words.correct / Math.max(1, words.total)),
    bitsPerChar: round(bitsPerChar(elbo.nats, plans.chars)),
  }
  run.log(`${name}: masked-token ${out.maskedTokenAccuracy}, span ${out.spanInfillAccuracy}, whole-word ${out.wholeWordAccuracy}, ${out.bitsPerChar} bits/char (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  return out
}

/** Weights of a count expert standing alone: every class, the no-neighbour one included (its unigram). */
const ALONE = new Array<number>(CONTEXT_CLASSES.length).fill(1)
const NONE = new Array<number>(CONTEXT_CLASSES.length).fill(0)

/** The systems to score: the model, each count expert alone, and the fused system twice (a manuscript when given). */
export function expertSystems(model: EvalModel, experts: ModelExperts, manuscriptTokens: readonly number[] | null): { name: string; model: EvalModel }[] {
  if (model.padId === undefined) throw new Error('the experts need a model with a pad id')
  const base = { ...experts.ids, vocab: model.vocab, maskId: model.maskId, padId: model.padId, shiftedLogits: model.shiftedLogits }
  const manuscript = manuscriptTokens && manuscriptTokens.length > 0 ? new CountExpert(new KneserNeyTrigram(countNgrams(manuscriptTokens, model.vocab)), experts.ids.unknown) : null
  const training = experts.training
  const wrap = (panel: ExpertPanel): EvalModel => ({ ...model, denoise: withExperts(model.denoise, panel) })
  const out: { name: string; model: EvalModel }[] = [{ name: 'model', model }]
  if (training) out.push({ name: 'training-text expert', model: wrap({ ...base, training, weights: { training: ALONE, manuscript: NONE }, modelWeight: 0 }) })
  if (manuscript) out.push({ name: 'manuscript expert', model: wrap({ ...base, manuscript, weights: { training: NONE, manuscript: ALONE }, modelWeight: 0 }) })
  const weights = { training: training ? experts.weights.training : NONE, manuscript: manuscript ? experts.weights.manuscript : NONE }
  const fused = { ...base, training: training ?? undefined, manuscript: manuscript ?? undefined, weights }
  const parts = manuscript ? 'model + training text + manuscript' : 'model + training text'
  // The fused distribution at every masked slot: what ranks candidates, passages and Other words.
  out.push({ name: `fused (${parts})`, model: wrap(fused) })
  // A fill's reverse process as the app runs it: the experts only at a slot between the writer's words.
  out.push({ name: `fused fills (${parts})`, model: wrap({ ...fused, maxRun: EXPERT_MAX_RUN }) })
  return out
}
