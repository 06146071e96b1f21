/**
 * Decisions as the tokens tune.py trains on, made with the engine's own canvas: each text is
 * placed in its context exactly as a fill of that span would be (spaces before the span go
 * with the span, text far from it is cut off), in a window of `context` tokens.
 *
 * All texts of a decision get the same slot budget: the longest text's token count (at
 * least 1). A shorter text's tail slots hold the pad token, as the model was trained
 * (pad-as-suffix), so chosen and rejected texts of different lengths are scored over the
 * same slots with the same masks.
 */
import { buildCanvas } from '../engine/canvas'
import type { TextCodec } from '../engine/text-codec'
import type { TuneData, TuneDecision } from './tune-data'

export const ENCODED_FORMAT = 'infill-tune-set/1'

export interface EncodedText {
  /** The window's ids; the span's slots hold the mask id. */
  ids: number[]
  /** Index of the span's first slot in `ids`. */
  offset: number
  /** The text's tokens, pad-filled to the decision's budget. */
  tokens: number[]
  label: boolean
}

export interface EncodedDecision {
  group: string
  document: string
  budget: number
  texts: EncodedText[]
  pairs: [number, number][]
}

export interface EncodedSet {
  format: typeof ENCODED_FORMAT
  source: { lines: number; forms: TuneData['forms'] }
  contextLength: number
  tokens: { mask: number; pad: number }
  decisions: EncodedDecision[]
  /** Decisions left out, with the reason (a span longer than the window allows). */
  skipped: { group: string; reason: string }[]
}

export interface EncodeOptions {
  codec: TextCodec
  maskId: number
  padId: number
  /** Window length in tokens (wrap tokens included). */
  contextLength: number
}

/** The tokens of one text in its context, as the canvas places them (no slot budget yet). */
function spanTokens(d: TuneDecision, text: string, o: EncodeOptions): number[] {
  const whole = d.prefix + text + d.suffix
  const canvas = buildCanvas(whole, [{ id: 's', from: d.prefix.length, to: d.prefix.length + text.length }], [], o.codec, {
    maxLength: 1 << 20,
    maskId: o.maskId,
  })
  const span = canvas.spans[0]
  // an empty text (or only spaces) fills no token
  return span.original.trim() === '' ? [] : span.originalIds
}

function placed(d: TuneDecision, text: string, budget: number, o: EncodeOptions): { ids: number[]; offset: number } {
  const whole = d.prefix + text + d.suffix
  const canvas = buildCanvas(whole, [{ id: 's', from: d.prefix.length, to: d.prefix.length + text.length, slots: budget }], [], o.codec, {
    maxLength: o.contextLength,
    maskId: o.maskId,
  })
  const w = canvas.windows[0]
  return { ids: Array.from(w.ids), offset: w.spans[0].offset }
}

/** Encodes every decision; decisions whose budget does not fit the window are skipped. */
export function encodeTuneData(data: TuneData, o: EncodeOptions): EncodedSet {
  const decisions: EncodedDecision[] = []
  const skipped: EncodedSet['skipped'] = []
  const maxBudget = Math.floor(o.contextLength / 2)
  for (const d of data.decisions) {
    const toks = d.texts.map((t) => spanTokens(d, t.text, o))
    const budget = Math.max(1, ...toks.map((t) => t.length))
    if (budget > maxBudget) {
      skipped.push({ group: d.group, reason: `a text of ${budget} tokens does not fit half of a ${o.contextLength}-token window` })
      continue
    }
    const texts = d.texts.map((t, i) => {
      const { ids, offset } = placed(d, t.text, budget, o)
      const tokens = [...toks[i], ...new Array<number>(budget - toks[i].length).fill(o.padId)]
      return { ids, offset, tokens, label: t.preferred }
    })
    decisions.push({ group: d.group, document: d.document, budget, texts, pairs: d.pairs })
  }
  return {
    format: ENCODED_FORMAT,
    source: { lines: data.lines, forms: data.forms },
    contextLength: o.contextLength,
    tokens: { mask: o.maskId, pad: o.padId },
    decisions,
    skipped,
  }
}
