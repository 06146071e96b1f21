/**
 * Scoring a model on plain text (used by `npm run eval`): masked-token accuracy at a fixed
 * masking ratio, span infill accuracy through the reverse process, the ELBO perplexity
 * bound, and the unigram baseline. Works over any `Denoise` (unit tests use fakes).
 */
import type { SamplingSettings } from '../contract'
import type { Rng } from './rng'
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

/** Non-overlapping chunks of `size` tokens (a shorter text gives one shorter chunk). */
export function tokenChunks(tokens: readonly number[], size: number, limit = Infinity): number[][] {
  const chunks: number[][] = []
  for (let i = 0; i + size <= tokens.length && chunks.length < limit; i += size) chunks.push(tokens.slice(i, i + size))
  if (chunks.length === 0 && tokens.length > 0) chunks.push(tokens.slice())
  return chunks
}

/** The most frequent token and its share of `tokens`. */
export function mostFrequentToken(tokens: readonly number[]): { token: number; share: number } {
  const counts = new Map<number, number>()
  let best = -1
  let bestCount = 0
  for (const t of tokens) {
    const c = (counts.get(t) ?? 0) + 1
    counts.set(t, c)
    if (c > bestCount) {
      best = t
      bestCount = c
    }
  }
  return { token: best, share: tokens.length ? bestCount / tokens.length : 0 }
}

/** The model input for a chunk: wrap + chunk ids; `offset` is where the chunk starts. */
function windowIds(model: EvalModel, chunk: readonly number[]): { ids: Int32Array; offset: number } {
  const ids = Int32Array.from([...model.wrap.prefix, ...chunk, ...model.wrap.suffix])
  return { ids, offset: model.wrap.prefix.length }
}

/** `count` distinct positions in [0, n), drawn with `rng`. */
function choosePositions(n: number, count: number, rng: Rng): number[] {
  const idx = Array.from({ length: n }, (_, i) => i)
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng() * (n - i))
    ;[idx[i], idx[j]] = [idx[j], idx[i]]
  }
  return idx.slice(0, count).sort((a, b) => a - b)
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

export interface MaskedAccuracy {
  correct: number
  total: number
  /** How often the most frequent token would have been right at the same positions. */
  unigramCorrect: number
}

/** Top-1 accuracy at `ratio` random masking: one forward pass per chunk predicts every masked token. */
export async function maskedTokenAccuracy(
  model: EvalModel,
  chunks: readonly number[][],
  opts: { ratio: number; seed: number; unigramToken: number; batchSize?: number },
): Promise<MaskedAccuracy> {
  const rng = rngStream(opts.seed, 101)
  const rows: Int32Array[] = []
  const masked: number[][] = []
  for (const chunk of chunks) {
    const { ids, offset } = windowIds(model, chunk)
    const positions = choosePositions(chunk.length, Math.max(1, Math.round(chunk.length * opts.ratio)), rng).map((p) => p + offset)
    for (const p of positions) ids[p] = model.maskId
    rows.push(ids)
    masked.push(positions)
  }
  let correct = 0
  let total = 0
  let unigramCorrect = 0
  await forBatches(model, rows, opts.batchSize ?? 8, (logits, row, b, n) => {
    const { offset } = windowIds(model, [])
    for (const p of masked[row]) {
      const truth = chunks[row][p - offset]
      const base = logitsAt(model, b, n, p)
      let best = -1
      let max = -Infinity
      for (let v = 0; v < model.vocab; v++) {
        if (model.banned[v]) continue
        if (logits[base + v] > max) {
          max = logits[base + v]
          best = v
        }
      }
      total++
      if (best === truth) correct++
      if (truth === opts.unigramToken) unigramCorrect++
    }
  })
  return { correct, total, unigramCorrect }
}

/**
 * Span infill accuracy: in each chunk one contiguous span of `spanLength` tokens is masked
 * and filled by the reverse process with `settings`; each slot counts as right when it
 * equals the original token at that position. The budget is the true length, so a pad is
 * always wrong; `emptySpans` counts fills that came back all pad. `padOrder` (default on,
 * as in the app) applies the pad-as-suffix rule of the reverse process.
 */
export async function spanInfillAccuracy(
  model: EvalModel,
  chunks: readonly number[][],
  opts: { spanLength: number; settings: SamplingSettings; padOrder?: boolean; onProgress?: (done: number, total: number) => void },
): Promise<{ correct: number; total: number; forwardPasses: number; spans: number; emptySpans: number }> {
  const settings = { ...opts.settings, candidates: 1 }
  const rng = rngStream(settings.seed, 202)
  let correct = 0
  let total = 0
  let forwardPasses = 0
  let done = 0
  let emptySpans = 0
  const padOrder = (opts.padOrder ?? true) && model.padId !== undefined
  for (const chunk of chunks) {
    const len = Math.min(opts.spanLength, chunk.length)
    const start = Math.floor(rng() * (chunk.length - len + 1))
    const { ids, offset } = windowIds(model, chunk)
    const slots = Int32Array.from({ length: len }, (_, k) => offset + start + k)
    for (const p of slots) ids[p] = model.maskId
    const out = await runReverseProcess(
      {
        ids,
        slots,
        vocab: model.vocab,
        banned: model.banned,
        shiftedLogits: model.shiftedLogits,
        settings,
        rngs: [rngStream(settings.seed, total)],
        padOrder: padOrder ? { padId: model.padId!, spanOf: new Int32Array(len) } : undefined,
      },
      model.denoise,
    )
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
 * ELBO perplexity bound (MDLM, log-linear schedule): for t ~ U(eps, 1) mask each token with
 * probability t (at least one), and NLL_t = (1/t) Σ_masked -log p(x_i | x_t). The mean of
 * NLL_t over samples, divided by the tokens, bounds the per-token NLL; exp of it bounds
 * perplexity. Only the mask token is excluded from p here (SUBS), so every text token has
 * a finite likelihood.
 */
export async function elboPerplexity(
  model: EvalModel,
  chunks: readonly number[][],
  opts: { samples: number; seed: number; batchSize?: number },
): Promise<{ nllPerToken: number; perplexity: number; tokens: number }> {
  const rng = rngStream(opts.seed, 303)
  const eps = 1e-3
  const rows: Int32Array[] = []
  const meta: { chunk: number; t: number; masked: number[] }[] = []
  for (let c = 0; c < chunks.length; c++) {
    for (let s = 0; s < opts.samples; s++) {
      const t = eps + (1 - eps) * rng()
      const { ids, offset } = windowIds(model, chunks[c])
      let masked: number[] = []
      for (let i = 0; i < chunks[c].length; i++) if (rng() < t) masked.push(offset + i)
      if (masked.length === 0) masked = [offset + Math.floor(rng() * chunks[c].length)]
      for (const p of masked) ids[p] = model.maskId
      rows.push(ids)
      meta.push({ chunk: c, t, masked })
    }
  }
  let weighted = 0
  await forBatches(model, rows, opts.batchSize ?? 8, (logits, row, b, n) => {
    const { chunk, t, masked } = meta[row]
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
    weighted += nll / t
  })
  const tokens = chunks.reduce((n, c) => n + c.length, 0)
  const nllPerToken = weighted / opts.samples / tokens
  return { nllPerToken, perplexity: Math.exp(nllPerToken), tokens }
}
