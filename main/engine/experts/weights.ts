/**
 * How much each count expert weighs at a slot, by what it has to go on there (infini-gram's
 * separate weights for sparse and dense contexts, made two-sided for infill). The weights are
 * fitted per model on held-out text (models/train/count-experts.ts) and stored in the model
 * directory's `experts.json`, named by manifest `experts`.
 */
import { z } from 'zod'

/**
 * A slot's context class for one count expert:
 * - 0 'none': no known neighbour (inside a fully masked span): the counts would only echo
 *   frequent tokens and drag fills into loops, so this class is pinned to weight 0;
 * - 1 'one': one known neighbour;
 * - 2 'both-unseen': both neighbours known, never seen with one token between them;
 * - 3 'both-rare': seen 1-4 times;
 * - 4 'both-seen': seen 5 times or more.
 */
export const CONTEXT_CLASSES = ['none', 'one', 'both-unseen', 'both-rare', 'both-seen'] as const
export type ContextClass = 0 | 1 | 2 | 3 | 4

/** Gap count (c(l1 · r1)) from which class 4 starts. */
export const SEEN_GAP = 5

/** Class of a slot from its known neighbours and the expert's gap count c(l1 · r1). */
export function contextClass(leftKnown: boolean, rightKnown: boolean, gapCount: number): ContextClass {
  if (!leftKnown && !rightKnown) return 0
  if (!leftKnown || !rightKnown) return 1
  if (gapCount <= 0) return 2
  return gapCount < SEEN_GAP ? 3 : 4
}

/** One weight per context class (index = ContextClass); class 0 must be 0. */
const ClassWeights = z
  .array(z.number().min(0).max(10))
  .length(CONTEXT_CLASSES.length)
  .refine((w) => w[0] === 0, { message: "the 'none' class (no known neighbour) must weigh 0" })

/** experts.json in a model directory. */
export const ExpertsFile = z.object({
  version: z.literal(1),
  /** How experts combine: log-linear, log q(w) = log p_model(w) + Σ_e weight_e[class] · log p_e(w), renormalised over text tokens. */
  combination: z.literal('log-linear'),
  /** The training text's counts (INFNGRM1, ngram-counts.ts), a file in the model directory; absent for a model without them. */
  trainingCounts: z.string().regex(/^[\w.-]+$/).optional(),
  /** The training text's token ids as little-endian uint16 (passages of the training text), a file in the model directory. */
  trainingStream: z.string().regex(/^[\w.-]+$/).optional(),
  /** Words of the training text, one a line (the unknown-word check), a file in the model directory. */
  trainingWords: z.string().regex(/^[\w.-]+$/).optional(),
  /** Word neighbours of the training text (thesaurus.ts: Other words keeps to words like the original), a file in the model directory. */
  thesaurus: z.string().regex(/^[\w.-]+$/).optional(),
  /** Weight of the training-text expert per context class. */
  training: ClassWeights,
  /** Weight of the manuscript expert per context class, at yourWords = 0.5 (scaled by 2 × yourWords). */
  manuscript: ClassWeights,
  /** How the weights were fitted (text, tokens, what was maximised, the figures). */
  fitted: z.record(z.string(), z.unknown()).optional(),
})
export type ExpertsFile = z.infer<typeof ExpertsFile>

/**
 * Weights for a model that ships none (a Hub model): the manuscript expert alone, at the
 * weights fitted for the default model (the form of the combination does not depend on
 * the tokenizer; a model's own experts.json replaces them).
 */
export const FALLBACK_MANUSCRIPT_WEIGHTS: readonly number[] = [0, 0.3, 0.3, 0.6, 0.8]

/** Per-class weights of the two count experts for one request. */
export interface ExpertWeights {
  training: readonly number[]
  manuscript: readonly number[]
}

/** The request's weights: the manuscript's scaled by the writer's control (0 → none, 0.5 → as fitted, 1 → twice). */
export function requestWeights(file: Pick<ExpertsFile, 'training' | 'manuscript'>, yourWords: number): ExpertWeights {
  const k = 2 * Math.min(1, Math.max(0, yourWords))
  return { training: file.training, manuscript: file.manuscript.map((w) => w * k) }
}
