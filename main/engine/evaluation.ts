/**
 * Scoring a model on plain text (used by `npm run eval`): masked-token accuracy, span
 * infill accuracy and whole-word accuracy through the reverse process, at positions drawn
 * by evaluation-plans.ts (so the baselines score the same ones), and the ELBO bound on the
 * text's likelihood. Works over any `Denoise` (unit tests use fakes).
 */
import type { SamplingSettings } from '../contract'
import type { WordSpan } from './evaluation-plans'
import type { LoadedModel } from './model-dir'
import { choosePositions, wordPositions } from './evaluation-plans'
import { runReverseProcess, type Denoise } from './reverse-process'
import { rngStream } from './rng'

export interface EvalModel {
  vocab: number
  maskId: number
  /** Ids never predicted by the engine (accuracy uses this, like a real fill). */
  banned: Uint8Array
  shiftedLogits: boolean
  denoise: Denoise
  /** Special ids around every window (BERT's [CLS] ... [SEP]). */
  wrap: { prefix: readonly number[]; suffix: readonly number[] }
  /** The pad id of variable-length fills, when the model has one. */
  padId?: number
}

/** The evaluator's view of a loaded model directory (the full graph's logits at every position). */
export function evalModelOf(loaded: LoadedModel): EvalModel {
  const { manifest, info, codec } = loaded
  return {
    vocab: info.vocabSize,
    maskId: manifest.tokens.mask,
    banned: loaded.banned,
    shiftedLogits: manifest.shiftedLogits,
    denoise: (ids, b, n) => loaded.denoiser.run(ids, b, n),
    wrap: codec.wrap,
    padId: manifest.tokens.pad,
  }
}

/** Non-overlapping chunks of `size` tokens (a shorter text gives one shorter chunk). */
export function tokenChunks(tokens: readonly number[], size: number, limit = Infinity): number[][] {
  const chunks: number[][] = []
  for (let i = 0; i + size <= tokens.length && chunks.length < limit; i += size) chunks.push(tokens.slice(i, i + size))
  if (chunks.length === 0 && tokens.length > 0) chunks.push(tokens.slice())
  return chunks
}

/** The model input for a chunk: wrap + chunk ids; `offset` is where the chunk starts. */
function windowIds(model: EvalModel, chunk: readonly number[]): { ids: Int32Array; offset: number } {
  const ids = Int32Array.from([...model.wrap.prefix, ...chunk, ...model.wrap.suffix])
  return { ids, offset: model.wrap.prefix.length }
}

/** Logits offset of position `pos` in row `row` (shifted models read pos - 1). */
function logitsAt(model: EvalModel, row: number, length: number, pos: number): number {
  const src = model.shiftedLogits ? Math.max(0, pos - 1) : pos
  return (row * length + src) * model.vocab
}

/** Runs `rows` (all the same length) through the model in batches of `batchSize`. */
async function forBatches(
  model: EvalModel,
  rows: Int32Array[],
  batchSize: number,
  visit: (logits: Float32Array, row: number, indexInBatch: number, length: number) => void,
): Promise<void> {
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize)
    const n = batch[0].length
    const same = batch.every((r) => r.length === n)
    const groups = same ? [batch] : batch.map((r) => [r])
    let offset = start
    for (const g of groups) {
      const input = new BigInt64Array(g.length * n)
      g.forEach((r, b) => r.forEach((id, i) => (input[b * r.length + i] = BigInt(id))))
      const len = g[0].length
      const logits = await model.denoise(input, g.length, len)
      g.forEach((_, b) => visit(logits, offset + b, b, len))
      offset += g.length
    }
  }
}

/** Top-1 accuracy at the masked positions of `plan` (chunk positions): one forward pass per chunk predicts every masked token. */
export async function maskedTokenAccuracy(
  model: EvalModel,
  chunks: readonly number[][],
  opts: { plan: readonly (readonly number[])[]; batchSize?: number },
): Promise<{ correct: number; total: number }> {
  const rows: Int32Array[] = []
  const masked: number[][] = []
  chunks.forEach((chunk, c) => {
    const { ids, offset } = windowIds(model, chunk)
    const positions = opts.plan[c].map((p) => p + offset)
    for (const p of positions) ids[p] = model.maskId
    rows.push(ids)
    masked.push(positions)
  })
  let correct = 0
  let total = 0
  await forBatches(model, rows, opts.batchSize ?? 8, (logits, row, b, n) => {
    const { offset } = windowIds(model, [])
    for (const p of masked[row]) {
      total++
      if (argmaxAllowed(model, logits, logitsAt(model, b, n, p)) === chunks[row][p - offset]) correct++
    }
  })
  return { correct, total }
}

/** The highest-scoring id the model may predict, from the logits at `base`. */
function argmaxAllowed(model: EvalModel, logits: Float32Array, base: number): number {
  let best = -1
  let max = -Infinity
  for (let v = 0; v < model.vocab; v++) {
    if (model.banned[v]) continue
    if (logits[base + v] > max) {
      max = logits[base + v]
      best = v
    }
  }
  return best
}

/** Fills `slots` of one window (mask ids there) with the reverse process; `spanOf` groups slots into spans for the pad rule. */
async function fillSlots(
  model: EvalModel,
  ids: Int32Array,
  slots: Int32Array,
  spanOf: Int32Array,
  settings: SamplingSettings,
  stream: number,
  padOrder: boolean,
): Promise<{ tokens: number[]; forwardPasses: number }> {
  const out = await runReverseProcess(
    {
      ids,
      slots,
      vocab: model.vocab,
      banned: model.banned,
      shiftedLogits: model.shiftedLogits,
      settings,
      rngs: [rngStream(settings.seed, stream)],
      padOrder: padOrder && model.padId !== undefined ? { padId: model.padId, spanOf } : undefined,
    },
    model.denoise,
  )
  return { tokens: Array.from(out.tokens), forwardPasses: out.forwardPasses }
}

/**
 * Span infill accuracy: in each chunk the span of `plan` is masked and filled by the
 * reverse process with `settings`; each slot counts as right when it equals the original
 * token at that position. The budget is the true length, so a pad is always wrong;
 * `emptySpans` counts fills that came back all pad. `padOrder` (default on, as in the app)
 * applies the pad-as-suffix rule of the reverse process.
 */
export async function spanInfillAccuracy(
  model: EvalModel,
  chunks: readonly number[][],
  opts: {
    plan: readonly { start: number; length: number }[]
    settings: SamplingSettings
    padOrder?: boolean
    onProgress?: (done: number, total: number) => void
  },
): Promise<{ correct: number; total: number; forwardPasses: number; spans: number; emptySpans: number }> {
  const settings = { ...opts.settings, candidates: 1 }
  let correct = 0
  let total = 0
  let forwardPasses = 0
  let done = 0
  let emptySpans = 0
  for (const [c, chunk] of chunks.entries()) {
    const { start, length: len } = opts.plan[c]
    const { ids, offset } = windowIds(model, chunk)
    const slots = Int32Array.from({ length: len }, (_, k) => offset + start + k)
    for (const p of slots) ids[p] = model.maskId
    const out = await fillSlots(model, ids, slots, new Int32Array(len), settings, total, opts.padOrder ?? true)
    forwardPasses += out.forwardPasses
    if (model.padId !== undefined && out.tokens.every((t) => t === model.padId)) emptySpans++
    for (let k = 0; k < len; k++) {
      total++
      if (out.tokens[k] === chunk[start + k]) correct++
    }
    opts.onProgress?.(++done, chunks.length)
  }
  return { correct, total, forwardPasses, spans: chunks.length, emptySpans }
}

/**
 * Whole-word accuracy: every token of the words in `plan` is masked (a chunk's words
 * together), the reverse process fills them with `settings` (each word a span, its true
 * length as budget), and a word counts as right when its text (`wordText`) equals the
 * original word's. Steps = masked words (whatever the tokenizer, the same number of
 * model calls per word; a word of k tokens is revealed over about one step on average).
 */
export async function wholeWordAccuracy(
  model: EvalModel,
  chunks: readonly number[][],
  opts: {
    plan: readonly (readonly WordSpan[])[]
    settings: SamplingSettings
    wordText: (ids: readonly number[]) => string
    padOrder?: boolean
    onProgress?: (done: number, total: number) => void
  },
): Promise<{ correct: number; total: number; forwardPasses: number }> {
  let correct = 0
  let total = 0
  let forwardPasses = 0
  let done = 0
  for (const [c, chunk] of chunks.entries()) {
    const words = opts.plan[c]
    if (words.length === 0) continue
    const positions = wordPositions(words)
    const { ids, offset } = windowIds(model, chunk)
    const slots = Int32Array.from(positions, (p) => p + offset)
    const spanOf = Int32Array.from(words.flatMap((w, k) => Array.from({ length: w.end - w.start }, () => k)))
    for (const p of slots) ids[p] = model.maskId
    const settings = { ...opts.settings, candidates: 1, steps: words.length }
    const out = await fillSlots(model, ids, slots, spanOf, settings, c, opts.padOrder ?? true)
    forwardPasses += out.forwardPasses
    const filled = chunk.slice()
    positions.forEach((p, k) => (filled[p] = out.tokens[k]))
    for (const w of words) {
      total++
      if (opts.wordText(filled.slice(w.start, w.end)) === opts.wordText(chunk.slice(w.start, w.end))) correct++
    }
    opts.onProgress?.(++done, chunks.length)
  }
  return { correct, total, forwardPasses }
}

/** What the ELBO bound came to over the chunks. */
export interface ElboEstimate {
  /** The bound on −ln P of all the chunks' tokens, in nats. */
  nats: number
  nllPerToken: number
  perplexity: number
  tokens: number
  /** Draws that masked no token (they add 0 and need no forward pass). */
  emptyDraws: number
}

/**
 * How the ELBO's masking is drawn (both estimate the same bound, MDLM's linear schedule
 * α_t = 1 − t, with `samples` draws per chunk, stratified: one uniform u per chunk, draw s
 * at (u + s) / samples):
 * - 'ratio': t in (eps, 1), each token masked with probability t, NLL_t = (1/t) Σ_masked
 *   −ln p(x_i | x_t). A draw that masks nothing contributes 0 (its NLL_t), not one forced
 *   mask. At small t one masked token is weighted by 1/t, so the estimate has a heavy tail.
 * - 'count' (default): k in 1..L tokens masked uniformly, NLL_k = (L/k) Σ_masked −ln p.
 *   The same bound in expectation (given |M| = k, ∫ (1/t) P(|M| = k | t) dt = 1/k; the form
 *   LLaDA evaluates), without the 1/t weight: far lower spread for the same forward passes.
 */
export type ElboEstimator = 'ratio' | 'count'

/**
 * ELBO bound on −ln P of each chunk (see ElboEstimator), summed over the chunks. Only the
 * mask token is excluded from p (SUBS), so every text token has a finite likelihood.
 */
export async function elboBound(
  model: EvalModel,
  chunks: readonly number[][],
  opts: { samples: number; seed: number; batchSize?: number; estimator?: ElboEstimator },
): Promise<ElboEstimate> {
  const rng = rngStream(opts.seed, 303)
  const eps = 1e-3
  const rows: Int32Array[] = []
  const meta: { chunk: number; weight: number; masked: number[] }[] = []
  let emptyDraws = 0
  for (let c = 0; c < chunks.length; c++) {
    const u = rng()
    const L = chunks[c].length
    for (let s = 0; s < opts.samples; s++) {
      const { ids, offset } = windowIds(model, chunks[c])
      let masked: number[]
      let weight: number
      if (opts.estimator === 'ratio') {
        const t = eps + ((1 - eps) * (u + s)) / opts.samples
        masked = []
        for (let i = 0; i < L; i++) if (rng() < t) masked.push(offset + i)
        weight = 1 / t
      } else {
        const k = 1 + Math.min(L - 1, Math.floor((L * (u + s)) / opts.samples))
        masked = choosePositions(L, k, rng).map((p) => p + offset)
        weight = L / k
      }
      if (masked.length === 0) {
        emptyDraws++
        continue
      }
      for (const p of masked) ids[p] = model.maskId
      rows.push(ids)
      meta.push({ chunk: c, weight, masked })
    }
  }
  let weighted = 0
  await forBatches(model, rows, opts.batchSize ?? 8, (logits, row, b, n) => {
    const { chunk, weight, masked } = meta[row]
    const { offset } = windowIds(model, [])
    let nll = 0
    for (const p of masked) {
      const base = logitsAt(model, b, n, p)
      let max = -Infinity
      for (let v = 0; v < model.vocab; v++) if (v !== model.maskId && logits[base + v] > max) max = logits[base + v]
      let z = 0
      for (let v = 0; v < model.vocab; v++) if (v !== model.maskId) z += Math.exp(logits[base + v] - max)
      nll += max + Math.log(z) - logits[base + chunks[chunk][p - offset]]
    }
    weighted += nll * weight
  })
  const tokens = chunks.reduce((n, c) => n + c.length, 0)
  const nats = weighted / opts.samples
  const nllPerToken = tokens ? nats / tokens : 0
  return { nats, nllPerToken, perplexity: Math.exp(nllPerToken), tokens, emptyDraws }
}

/** Bits per character of `nats` spread over `chars` characters. */
export function bitsPerChar(nats: number, chars: number): number {
  if (!(chars > 0)) throw new Error(`bits per character needs a positive character count, got ${chars}`)
  return nats / chars / Math.LN2
}
