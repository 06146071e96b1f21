/**
 * One fill request from start to result: build the canvas, run the reverse process on
 * each window (candidates through the batch dimension), stream a FillStepEvent per step,
 * and map each span's slot tokens back to text. Host-agnostic: the engine process, the
 * CLI and the tests all call `runFill`.
 */
import type { FillRequest, FillResult, FillStepEvent, ModelInfo, RevealedSlot, SpanFill } from '../contract'
import { buildCanvasCancellable, spanFillText, type Canvas } from './canvas'
import type { LoadedModel } from './model-dir'
import { plannedSteps, runReverseProcess, type Denoise } from './reverse-process'
import { rngStream } from './rng'
import type { TextCodec } from './text-codec'

/** What a fill needs from a model (a LoadedModel, or a fake one in unit tests). */
export interface FillModel {
  info: ModelInfo
  codec: TextCodec
  maskId: number
  padId: number
  shiftedLogits: boolean
  vocab: number
  banned: Uint8Array
  denoise: Denoise
}

/** The FillModel view of a loaded model directory. */
export function fillModelOf(model: LoadedModel): FillModel {
  return {
    info: model.info,
    codec: model.codec,
    maskId: model.manifest.tokens.mask,
    padId: model.manifest.tokens.pad,
    shiftedLogits: model.manifest.shiftedLogits,
    vocab: model.info.vocabSize,
    banned: model.banned,
    denoise: (ids, batch, length) => model.denoiser.run(ids, batch, length),
  }
}

export interface FillHooks {
  /** Awaited before every step; throw (FillCancelled) to stop the fill there. */
  checkpoint?: () => Promise<void> | void
  onStep?: (event: FillStepEvent) => void
}

export interface FillOptions {
  /** Slots of an empty span without explicit slots (default 8). */
  emptySpanSlots?: number
}

/** Runs a fill request to completion (or until a checkpoint throws). */
export async function runFill(model: FillModel, request: FillRequest, hooks: FillHooks = {}, options: FillOptions = {}): Promise<FillResult> {
  const started = performance.now()
  const { settings } = request
  // Tokenizing a long document yields to the checkpoint between chunks, so it can be cancelled.
  const canvas = await buildCanvasCancellable(
    request.text,
    request.spans,
    request.locked,
    model.codec,
    { maxLength: model.info.maxLength, maskId: model.maskId, emptySpanSlots: options.emptySpanSlots },
    hooks.checkpoint ?? (() => {}),
  )
  const C = settings.candidates
  const rngs = Array.from({ length: C }, (_, c) => rngStream(settings.seed, c))
  const windowSlots = canvas.windows.map((w) => w.spans.reduce((n, s) => n + canvas.spans[s.span].slots, 0))
  const totalSteps = Math.max(1, windowSlots.reduce((n, s) => n + plannedSteps(s, settings), 0))

  // tokens[span][c * slots + k], probs likewise.
  const spanTokens = canvas.spans.map((s) => new Int32Array(C * s.slots))
  const spanProbs = canvas.spans.map((s) => new Float32Array(C * s.slots))
  const remaining: Record<string, number> = {}
  for (const s of canvas.spans) remaining[s.id] = s.slots * C

  let step = 0
  let passes = 0
  for (const window of canvas.windows) {
    const owner: { span: number; slot: number }[] = []
    const positions: number[] = []
    for (const ws of window.spans) {
      for (let k = 0; k < canvas.spans[ws.span].slots; k++) {
        owner.push({ span: ws.span, slot: k })
        positions.push(ws.offset + k)
      }
    }
    const out = await runReverseProcess(
      {
        ids: window.ids,
        slots: Int32Array.from(positions),
        vocab: model.vocab,
        banned: model.banned,
        shiftedLogits: model.shiftedLogits,
        settings,
        rngs,
        padOrder: { padId: model.padId, spanOf: Int32Array.from(owner, (o) => o.span) },
      },
      model.denoise,
      {
        beforeStep: hooks.checkpoint,
        onStep: (_s, reveals) => {
          step++
          const revealed: RevealedSlot[] = reveals.map((r) => {
            const o = owner[r.slot]
            const span = canvas.spans[o.span]
            remaining[span.id]--
            return {
              spanId: span.id,
              candidate: r.candidate,
              slot: o.slot,
              tokenId: r.token,
              text: r.token === model.padId ? '' : model.codec.tokenText(r.token),
              confidence: r.prob,
              pad: r.token === model.padId,
            }
          })
          hooks.onStep?.({ requestId: request.requestId, step, totalSteps: Math.max(totalSteps, step), revealed, remaining: { ...remaining } })
        },
      },
    )
    passes += out.forwardPasses
    const S = positions.length
    for (let c = 0; c < C; c++)
      for (let j = 0; j < S; j++) {
        const o = owner[j]
        const n = canvas.spans[o.span].slots
        spanTokens[o.span][c * n + o.slot] = out.tokens[c * S + j]
        spanProbs[o.span][c * n + o.slot] = out.probs[c * S + j]
      }
  }

  return {
    requestId: request.requestId,
    spans: spanFills(canvas, request, model, spanTokens, spanProbs),
    forwardPasses: passes,
    ms: performance.now() - started,
    model: model.info,
    settings,
  }
}

/** SpanFill per span, in the order the request listed them. */
function spanFills(canvas: Canvas, request: FillRequest, model: FillModel, tokens: Int32Array[], probs: Float32Array[]): SpanFill[] {
  const index = new Map(canvas.spans.map((s, i) => [s.id, i]))
  return request.spans.map((spec) => {
    const i = index.get(spec.id)!
    const span = canvas.spans[i]
    const n = span.slots
    const candidates = Array.from({ length: request.settings.candidates }, (_, c) => {
      const ids = Array.from(tokens[i].subarray(c * n, (c + 1) * n))
      const { text, kept } = spanFillText(span, ids, model.padId, model.codec)
      let sum = 0
      for (let k = 0; k < n; k++) sum += probs[i][c * n + k]
      return { text, tokenIds: kept, confidence: sum / n }
    })
    return { spanId: span.id, original: span.original, slots: n, candidates }
  })
}
