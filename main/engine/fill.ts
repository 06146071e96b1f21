/**
 * One fill request from start to result: size each span's slot budget (its length target
 * in words, else its original's tokens), build the canvas, run the reverse process on each
 * window (candidates through the batch dimension), stream a FillStepEvent per step, and map
 * each span's slot tokens back to text with its border spaces fitted (span-borders.ts).
 *
 * - Where a fill ends is the model's: its pad probabilities at the first step (the
 *   'first-step' pad rule), inside what the writer's length choice allows.
 * - Every candidate is inside its span's word range (a target's, else at least one word),
 *   held at every reveal and checked on the fill's text; a line break only where the
 *   original had one.
 * - The candidates of a request are distinct: a finished row whose fills equal another
 *   candidate's on every span is redrawn (see ReverseProcessInput.judge).
 *
 * - Windows are filled left to right and a later window sees the fills of earlier windows'
 *   spans (candidate c sees candidate c's fills), as LLaDA's semi-autoregressive blocks see
 *   what was revealed before them; spans not filled yet stay masks.
 * - Greedy decoding with a ranked strategy is deterministic, so N candidates would be N
 *   copies: they are diversified instead (candidate c branches at the (c−1)-th likeliest
 *   alternative token of its block; see ReverseProcessInput.diversify).
 * Host-agnostic: the engine process, the CLI and the tests all call `runFill`.
 */
import type { FillRequest, FillResult, FillStepEvent, ModelInfo, RevealedSlot, SamplingSettings, SpanFill, SpanSpec } from '../contract'
import { buildCanvasCancellable, type Canvas } from './canvas'
import { slotPlan, spanTokensPerWord, spanWordRange, wordCount, wordRange, type WordRange } from './length-target'
import type { LoadedModel } from './model-dir'
import { plannedSteps, runReverseProcess, type Denoise, type PadRule, type RowJudge } from './reverse-process'
import { rngStream } from './rng'
import { spanFill, type SpanBorders } from './span-borders'
import type { TextCodec } from './text-codec'
import { breakRuleOf, pieceTable, type EndRule, type PieceTable } from './word-rules'

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
  /** The writer's "Faster, approximate" path (the DualCache), where the model has one. */
  denoiseApproximate?: Denoise
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
    // logits are read at masked slots only: the denoiser may compute just those (issue 17)
    denoise: (ids, batch, length) => model.denoiser.runMasked(ids, batch, length),
    denoiseApproximate: model.denoiser.modes().includes('cached') ? (ids, batch, length) => model.denoiser.runMasked(ids, batch, length, true) : undefined,
  }
}

export interface FillHooks {
  /** Awaited before every step; throw (FillCancelled) to stop the fill there. */
  checkpoint?: () => Promise<void> | void
  onStep?: (event: FillStepEvent) => void
  /** A candidate was decoded again (a duplicate, or a count outside its range): its slots are masked again. */
  onRedraw?: (candidate: number) => void
}

export interface FillOptions {
  /** Slots of an empty span without explicit slots (default 8). */
  emptySpanSlots?: number
  /** Where a pad may be revealed (default 'first-step'; the length bench compares the rules). */
  padRule?: PadRule
  /** Windows see earlier windows' fills (default true; false for comparison only). */
  crossWindow?: boolean
  /**
   * Share of the budget a fill without a length target must fill before it may end (default
   * 0: from its second slot on, at least one word). Only the length bench sets it, to show
   * the 3/4 floor the engine had before.
   */
  minShare?: number
  /** Word limits, line-break rules and distinct candidates (default true; false for comparison only). */
  rules?: boolean
  /** 'first-step': the pad probability at which a fill ends (default 0.5), and how it is read (default 'peak'; word-rules.ts chooseEnd). */
  endThreshold?: number
  endRule?: EndRule
}

/** Greedy decoding that gives every candidate the same fill unless diversified. */
export function deterministicDecoding(settings: SamplingSettings): boolean {
  if (settings.temperature > 0) return false
  if (settings.strategy === 'random' || settings.strategy === 'origin') return false
  const dream = settings.strategy === 'maskgit_plus' || settings.strategy === 'topk_margin' || settings.strategy === 'entropy'
  return !(dream && (settings.algTemp ?? 0) > 0)
}

/** Each span's slot budget, minimum and word range from its length target (spans without one are left out). */
export function lengthPlans(request: Pick<FillRequest, 'text' | 'spans'>, codec: TextCodec, maxSlots: number): Map<string, { slots: number; minSlots: number; range: WordRange }> {
  const plans = new Map<string, { slots: number; minSlots: number; range: WordRange }>()
  for (const s of request.spans) {
    if (s.length === undefined) continue
    const range = wordRange(s.length, wordCount(request.text.slice(s.from, s.to)))
    plans.set(s.id, { ...slotPlan(range, spanTokensPerWord(codec, request.text, s.from, s.to), maxSlots), range })
  }
  return plans
}

const pieceTables = new WeakMap<TextCodec, PieceTable>()

/** The model's piece table (word-rules.ts), built once per tokenizer. */
export function piecesOf(model: Pick<FillModel, 'codec' | 'vocab'>): PieceTable {
  let t = pieceTables.get(model.codec)
  if (!t) {
    // logit rows past the tokenizer (banned anyway) read as no text
    t = pieceTable(model.vocab, (id) => {
      try {
        return model.codec.tokenText(id)
      } catch {
        return ''
      }
    })
    pieceTables.set(model.codec, t)
  }
  return t
}

/** Text that tells two candidates apart (spaces at the ends and runs of spaces do not). */
function sameTextKey(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

/** Runs a fill request to completion (or until a checkpoint throws). */
export async function runFill(model: FillModel, request: FillRequest, hooks: FillHooks = {}, options: FillOptions = {}): Promise<FillResult> {
  const started = performance.now()
  const { settings } = request
  const room = model.info.maxLength - model.codec.wrap.prefix.length - model.codec.wrap.suffix.length
  const plans = lengthPlans(request, model.codec, Math.max(1, room - 16))
  const specs: SpanSpec[] = request.spans.map((s) => (plans.has(s.id) ? { ...s, slots: plans.get(s.id)!.slots } : s))
  // Tokenizing a long document yields to the checkpoint between chunks, so it can be cancelled.
  const canvas = await buildCanvasCancellable(
    request.text,
    specs,
    request.locked,
    model.codec,
    { maxLength: model.info.maxLength, maskId: model.maskId, emptySpanSlots: options.emptySpanSlots },
    hooks.checkpoint ?? (() => {}),
  )
  const minShare = options.minShare ?? 0
  const minSlots = canvas.spans.map((s) => plans.get(s.id)?.minSlots ?? Math.max(1, Math.ceil(minShare * s.slots)))
  const rules = options.rules ?? true
  const asked = new Map(request.spans.map((s) => [s.id, s]))
  const ranges = canvas.spans.map((s) => spanWordRange(asked.get(s.id)!, s.original))
  const words = rules
    ? {
        pieces: piecesOf(model),
        minWords: Int32Array.from(ranges, (r) => r.minWords),
        maxWords: Int32Array.from(ranges, (r) => r.maxWords),
        breaks: Uint8Array.from(canvas.spans, (s) => breakRuleOf(s.original)),
        afterSpace: Uint8Array.from(canvas.spans, (s) => (s.leadingSpace.length > 0 || /^\s/.test(s.original) ? 1 : 0)),
      }
    : undefined
  const borders = canvas.spans.map((_, i) => spanBorders(canvas, request, i))
  const crossWindow = options.crossWindow ?? true
  const filled = new Uint8Array(canvas.spans.length)
  const C = settings.candidates
  const rngs = Array.from({ length: C }, (_, c) => rngStream(settings.seed, c))
  const windowSlots = canvas.windows.map((w) => w.spans.reduce((n, s) => n + canvas.spans[s.span].slots, 0))
  const totalSteps = Math.max(1, windowSlots.reduce((n, s) => n + plannedSteps(s, settings), 0))

  // tokens[span][c * slots + k], probs likewise; shown[span][c * slots + k]: revealed in the stream.
  const spanTokens = canvas.spans.map((s) => new Int32Array(C * s.slots))
  const spanProbs = canvas.spans.map((s) => new Float32Array(C * s.slots))
  const shown = canvas.spans.map((s) => new Uint8Array(C * s.slots))
  const remaining: Record<string, number> = {}
  for (const s of canvas.spans) remaining[s.id] = s.slots * C
  // Each candidate's fills of the spans finished so far (distinct candidates differ in one of them).
  const prior: string[] = Array.from({ length: C }, () => '')
  const keys = new Set<string>()

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
    /** Candidate c's key over every span so far, or null when a fill is outside its word range. */
    const rowKey = (c: number, row: Int32Array): string | null => {
      const texts: string[] = []
      let at = 0
      for (const ws of window.spans) {
        const n = canvas.spans[ws.span].slots
        const { text } = spanFill(Array.from(row.subarray(at, at + n)), model.padId, model.codec, borders[ws.span])
        const w = wordCount(text)
        if (w < ranges[ws.span].minWords || w > ranges[ws.span].maxWords) return null
        texts.push(sameTextKey(text))
        at += n
      }
      return `${prior[c]}\u0001${texts.join('\u0001')}`
    }
    const judge: RowJudge = {
      ok: (c, row) => {
        const key = rowKey(c, row)
        return key !== null && !keys.has(key)
      },
      keep: (c, row) => {
        const key = rowKey(c, row) ?? `${prior[c]}\u0001?${c}`
        keys.add(key)
        prior[c] = key
      },
    }
    const out = await runReverseProcess(
      {
        ids: window.ids,
        candidateIds: crossWindow ? candidateWindowIds(canvas, window, spanTokens, filled, C, model.codec.wrap.prefix.length) : undefined,
        slots: Int32Array.from(positions),
        vocab: model.vocab,
        banned: model.banned,
        shiftedLogits: model.shiftedLogits,
        settings,
        rngs,
        padOrder: {
          padId: model.padId,
          spanOf: Int32Array.from(owner, (o) => o.span),
          rule: options.padRule ?? 'first-step',
          mayPad: Uint8Array.from(owner, (o) => (o.slot >= minSlots[o.span] ? 1 : 0)),
          endThreshold: options.endThreshold,
          endRule: options.endRule,
        },
        diversify: C > 1 && deterministicDecoding(settings),
        words,
        judge: rules ? judge : undefined,
      },
      settings.approximate && model.denoiseApproximate ? model.denoiseApproximate : model.denoise,
      {
        beforeStep: hooks.checkpoint,
        onRedraw: (c) => {
          hooks.onRedraw?.(c)
          for (const ws of window.spans) {
            const span = canvas.spans[ws.span]
            for (let k = 0; k < span.slots; k++)
              if (shown[ws.span][c * span.slots + k]) {
                shown[ws.span][c * span.slots + k] = 0
                remaining[span.id]++
              }
          }
        },
        onStep: (_s, reveals) => {
          step++
          const revealed: RevealedSlot[] = reveals.map((r) => {
            const o = owner[r.slot]
            const span = canvas.spans[o.span]
            if (!shown[o.span][r.candidate * span.slots + o.slot]) remaining[span.id]--
            shown[o.span][r.candidate * span.slots + o.slot] = 1
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
    for (const ws of window.spans) filled[ws.span] = 1
  }

  return {
    requestId: request.requestId,
    spans: spanFills(canvas, request, model, spanTokens, spanProbs, borders),
    forwardPasses: passes,
    ms: performance.now() - started,
    model: model.info,
    settings,
  }
}

/**
 * Each candidate's ids for a window: the window's ids with the slots of spans filled by
 * earlier windows replaced by that candidate's tokens (pads included: the model was trained
 * on pad-terminated spans). Undefined when no earlier fill reaches into the window.
 */
export function candidateWindowIds(
  canvas: Canvas,
  window: Canvas['windows'][number],
  spanTokens: readonly Int32Array[],
  filled: Uint8Array,
  candidates: number,
  prefixLength: number,
): Int32Array[] | undefined {
  // The window's first canvas position, from one of its own spans' offsets.
  const own = window.spans[0]
  const from = canvas.spans[own.span].start - (own.offset - prefixLength)
  const rows = Array.from({ length: candidates }, () => Int32Array.from(window.ids))
  let any = false
  canvas.spans.forEach((span, i) => {
    if (!filled[i]) return
    for (let k = 0; k < span.slots; k++) {
      const at = prefixLength + span.start + k - from
      if (at < prefixLength || at >= window.ids.length) continue
      any = true
      for (let c = 0; c < candidates; c++) rows[c][at] = spanTokens[i][c * span.slots + k]
    }
  })
  return any ? rows : undefined
}

/** What fitting span i's fill to its borders needs (span-borders.ts). */
function spanBorders(canvas: Canvas, request: FillRequest, i: number): SpanBorders {
  const span = canvas.spans[i]
  const prevTo = i > 0 ? canvas.spans[i - 1].to : 0
  return {
    leadingSpace: span.leadingSpace,
    trailingSpace: span.trailingSpace,
    before: request.text.slice(Math.max(0, span.from - 200), span.from),
    after: request.text.slice(span.to, span.to + 200),
    insertion: span.from === span.to,
    trimmable: Math.max(0, Math.min(span.leadingSpace.length, span.from - prevTo)),
  }
}

/**
 * A candidate's confidence in its fill: the mean probability of its text slots and of the pad
 * that ended it, if any (the pads after that one copy its probability and are left out).
 */
export function fillConfidence(tokens: ArrayLike<number>, probs: ArrayLike<number>, padId: number): number {
  let sum = 0
  let n = 0
  for (let k = 0; k < tokens.length; k++) {
    sum += probs[k]
    n++
    if (tokens[k] === padId) break
  }
  return n > 0 ? sum / n : 0
}

/** SpanFill per span, in the order the request listed them. */
function spanFills(canvas: Canvas, request: FillRequest, model: FillModel, tokens: Int32Array[], probs: Float32Array[], borders: SpanBorders[]): SpanFill[] {
  const index = new Map(canvas.spans.map((s, i) => [s.id, i]))
  return request.spans.map((spec) => {
    const i = index.get(spec.id)!
    const span = canvas.spans[i]
    const n = span.slots
    const candidates = Array.from({ length: request.settings.candidates }, (_, c) => {
      const ids = Array.from(tokens[i].subarray(c * n, (c + 1) * n))
      const { text, kept, trimBefore } = spanFill(ids, model.padId, model.codec, borders[i])
      const confidence = fillConfidence(ids, probs[i].subarray(c * n, (c + 1) * n), model.padId)
      return { text, tokenIds: kept, confidence, ...(trimBefore > 0 ? { trimBefore } : {}) }
    })
    return { spanId: span.id, original: span.original, slots: n, candidates }
  })
}
