/**
 * The experts around one fill: the request's panel (which count experts, at which weights,
 * the manuscript with the masked text taken out), the FillModel whose denoiser fuses them,
 * and what happens to the candidates after the reverse process: passages of the writer's text
 * that fit the span join them (and of the training text, for a phrase of 3 words or more), at
 * most MAX_PASSAGES, so a fill may return more candidates than it asked for; every candidate gets the one fused
 * score, a candidate holding a word found in neither the training text nor the manuscript is
 * marked and ranked last.
 */
import { DEFAULT_YOUR_WORDS, type ExpertSettings, type FillRequest, type FillResult, type SpanCandidate, type SpanFill } from '../../contract'
import type { FillModel } from '../fill'
import type { Denoise } from '../reverse-process'
import { spanWordRange, wordCount } from '../length-target'
import { spanFill } from '../span-borders'
import { scoreCandidates, type ScoreWindow } from './candidate-score'
import { EXPERT_MAX_RUN, withExperts, type ExpertPanel } from './expert-denoise'
import type { Manuscript } from './manuscript'
import type { ModelExperts } from './model-experts'
import { findPassages, type Passage } from './passages'
import { requestWeights } from './weights'
import { unknownWordIn } from './words'

/** The engine's experts: the loaded model's and the writer's manuscript. */
export interface EngineExperts {
  model: ModelExperts
  manuscript: Manuscript
  /** The training text's token stream, where the model ships it (training-text passages). */
  trainingStream?: ArrayLike<number>
}

/** Experts on, and the control's value, as a request asks (absent = on, DEFAULT_YOUR_WORDS). */
export function expertChoice(experts: ExpertSettings | undefined): { on: boolean; yourWords: number } {
  return { on: experts?.enabled !== false, yourWords: experts?.yourWords ?? DEFAULT_YOUR_WORDS }
}

/**
 * The panel for a request over `text` whose masks hide `hidden` (char ranges), or null when
 * the request turns the experts off or there is nothing to fuse.
 */
export function requestPanel(ex: EngineExperts, fm: Pick<FillModel, 'vocab' | 'maskId' | 'padId' | 'shiftedLogits'>, settings: ExpertSettings | undefined, text: string, hidden: readonly { from: number; to: number }[]): ExpertPanel | null {
  const { on, yourWords } = expertChoice(settings)
  if (!on) return null
  const weights = requestWeights(ex.model.weights, yourWords)
  const documentId = settings?.documentId
  const manuscript = weights.manuscript.some((w) => w > 0) ? ex.manuscript.expert(documentId && ex.manuscript.has(documentId) ? { documentId, text, ranges: hidden } : undefined) : null
  const training = ex.model.training && weights.training.some((w) => w > 0) ? ex.model.training : null
  if (!manuscript && !training) return null
  return { ...ex.model.ids, training: training ?? undefined, manuscript: manuscript ?? undefined, weights, vocab: fm.vocab, maskId: fm.maskId, padId: fm.padId, shiftedLogits: fm.shiftedLogits }
}

/** `fm` with the panel's experts fused into every denoiser it has, at most EXPERT_MAX_RUN text slots a run. */
export function withPanel(fm: FillModel, panel: ExpertPanel | null): FillModel {
  if (!panel) return fm
  const gated: ExpertPanel = { ...panel, maxRun: EXPERT_MAX_RUN }
  const out: FillModel = { ...fm, denoise: withExperts(fm.denoise, gated) }
  const approx = (fm as { denoiseApproximate?: Denoise }).denoiseApproximate
  if (approx) (out as { denoiseApproximate?: Denoise }).denoiseApproximate = withExperts(approx, gated)
  return out
}

/** Ids before and after a char range, as many as `context` each side, wrap included. */
export function scoreWindow(fm: Pick<FillModel, 'codec'>, text: string, from: number, to: number, context = SCORE_CONTEXT): ScoreWindow {
  let f = from
  while (f > 0 && text[f - 1] === ' ') f--
  const left = fm.codec.encode(text.slice(Math.max(0, f - context * 8), f)).slice(-context)
  const right = fm.codec.encode(text.slice(to, to + context * 8)).slice(0, context)
  return { left: [...fm.codec.wrap.prefix, ...left], right: [...right, ...fm.codec.wrap.suffix] }
}

/** Tokens of context each side of a span when candidates are scored (a row a token, so kept short). */
export const SCORE_CONTEXT = 24

/** A span this long (words of its original; an insertion: slots) is a phrase: training-text passages are offered for it too. */
export const PHRASE_WORDS = 3
export const PHRASE_SLOTS = 6

/** Most passages offered per span beside the model's candidates. */
export const MAX_PASSAGES = 3

/** The span's nearest known tokens each side (what passages must match). */
function neighbours(w: ScoreWindow, prefix: number, suffix: number): { l2: number; l1: number; r1: number; r2: number } {
  const L = w.left.length
  const R = w.right.length - suffix
  return {
    l1: L - 1 >= prefix ? w.left[L - 1] : -1,
    l2: L - 2 >= prefix ? w.left[L - 2] : -1,
    r1: R > 0 ? w.right[0] : -1,
    r2: R > 1 ? w.right[1] : -1,
  }
}

/** What spanPassages looks for. */
export interface PassageRequest {
  /** The span's slots (passages up to 1.5 times as many tokens). */
  slots: number
  /** The writer's text has white space right before the span (a passage then starts a word). */
  spaceBefore: boolean
  /** Text never offered (Other words: the word itself); default none. */
  exclude?: string
  /** Passages of the training text too (default true). */
  withTraining?: boolean
  /** The request's own document, left out of the search. */
  documentId?: string
}

/** Passages of the manuscript and the training text that fit a span, with their origin. */
export function spanPassages(ex: EngineExperts, fm: Pick<FillModel, 'codec'>, w: ScoreWindow, req: PassageRequest): { ids: number[]; origin: 'manuscript' | 'training'; count: number }[] {
  const { slots, spaceBefore, exclude = '', withTraining = true, documentId } = req
  const n = neighbours(w, fm.codec.wrap.prefix.length, fm.codec.wrap.suffix.length)
  const q = { ...n, minLen: 1, maxLen: Math.max(2, Math.ceil(slots * 1.5)), limit: MAX_PASSAGES * 3, stop: ex.model.ids.unknown, leadText: ex.model.ids.leadText, spaceBefore }
  const seen = new Set<string>([exclude.trim().toLowerCase()])
  const out: { ids: number[]; origin: 'manuscript' | 'training'; count: number }[] = []
  const take = (ps: Passage[], origin: 'manuscript' | 'training') => {
    for (const p of ps) {
      const key = fm.codec.decodeSpan(p.ids).trim().toLowerCase()
      if (seen.has(key)) continue
      seen.add(key)
      out.push({ ids: p.ids, origin, count: p.count })
    }
  }
  // The request's own document is left out: its copy still holds the text under the masks, which never counts for its own fill.
  take(findPassages(ex.manuscript.streams(documentId), q), 'manuscript')
  if (ex.trainingStream && withTraining) take(findPassages([ex.trainingStream], q), 'training')
  return out
}

/**
 * The candidates of each span after the reverse process: passages that fit join them (with
 * experts on), all are scored by the fused score and ranked by it, unknown words last.
 */
export async function finishCandidates(ex: EngineExperts, fm: FillModel, panel: ExpertPanel | null, request: FillRequest, result: FillResult): Promise<FillResult> {
  const known = [ex.model.trainingWords, ex.manuscript.words()]
  const checkWords = ex.model.trainingWords.size > 0
  const spans: SpanFill[] = []
  for (const span of result.spans) {
    const spec = request.spans.find((s) => s.id === span.spanId)
    if (!spec) {
      spans.push(span)
      continue
    }
    let candidates: SpanCandidate[] = span.candidates.map((c) => ({ ...c, origin: c.origin ?? 'model' }))
    if (panel) {
      const window = scoreWindow(fm, request.text, spec.from, spec.to)
      // the writer's passages for any span; the training text's for phrases only (a word's would crowd every fill)
      const words = span.original.match(/\S+/g)?.length ?? 0
      const phrase = words >= PHRASE_WORDS || (words === 0 && span.slots >= PHRASE_SLOTS)
      const leading = /[ \t]*$/.exec(request.text.slice(0, spec.from))?.[0] ?? ''
      const spaceBefore = (spec.from > 0 && /\s/.test(request.text[spec.from - 1])) || /^\s/.test(span.original)
      // A passage may equal the original (a masked name from an earlier chapter is the point); the document's own copy is not searched.
      const passages = spanPassages(ex, fm, window, { slots: span.slots, spaceBefore, withTraining: phrase, documentId: request.experts?.documentId }).slice(0, MAX_PASSAGES)
      const trailing = /\s*$/.exec(span.original)?.[0] ?? ''
      const borders = { leadingSpace: leading, trailingSpace: trailing, before: request.text.slice(Math.max(0, spec.from - 200), spec.from), after: request.text.slice(spec.to, spec.to + 200), insertion: spec.from === spec.to, trimmable: leading.length }
      // a passage is held to the span's word range like every candidate of the model
      const range = spanWordRange(spec, span.original)
      for (const p of passages) {
        const fill = spanFill(p.ids, fm.padId, fm.codec, borders)
        if (candidates.some((c) => c.text.trim() === fill.text.trim())) continue
        if (wordCount(fill.text) < range.minWords || wordCount(fill.text) > range.maxWords) continue
        candidates.push({ text: fill.text, tokenIds: fill.kept, confidence: 0, origin: p.origin, ...(fill.trimBefore > 0 ? { trimBefore: fill.trimBefore } : {}) })
      }
      // One fused score ranks the passages with the model's candidates (with none, the model's order stands).
      if (candidates.some((c) => c.origin !== 'model')) {
        const scores = await scoreCandidates(withExperts(fm.denoise, panel), window, candidates.map((c) => c.tokenIds), fm.maskId, fm.vocab, fm.shiftedLogits)
        candidates = candidates.map((c, i) => ({ ...c, score: Number.isFinite(scores[i]) ? scores[i] : -99, ...(c.origin !== 'model' ? { confidence: Math.exp(Number.isFinite(scores[i]) ? scores[i] : -99) } : {}) }))
      }
    }
    if (checkWords) candidates = candidates.map((c) => (unknownWordIn(c.text, known) ? { ...c, unknownWord: true } : c))
    const order = candidates.map((c, i) => ({ c, i }))
    order.sort((a, b) => Number(a.c.unknownWord ?? false) - Number(b.c.unknownWord ?? false) || (b.c.score ?? 0) - (a.c.score ?? 0) || a.i - b.i)
    // A round holds as many candidates as the writer asked for: passages compete for those
    // places by the one fused score, they are not extra rows (a round of 3 is 3).
    const places = Math.max(request.settings.candidates, 1)
    spans.push({ ...span, candidates: order.slice(0, Math.max(places, span.candidates.length)).map((o) => o.c) })
  }
  return { ...result, spans }
}
