/**
 * Spaces at a span's borders follow its fill. The canvas tokenizes the spaces before a span
 * with it (so the model writes the fill's first word with its own leading space, or without
 * one when the word joins the one before: "'s", a comma); this module turns the decoded slot
 * tokens back into what replaces the span, with the spaces around it made consistent:
 *
 * - a fill whose first token has no leading space (nor a line break) joins the word before
 *   it: the spaces before the span are removed (`trimBefore`): "The man" + "'s a cat";
 * - at a line start (or the start of the text) a fill never starts with a space;
 * - an empty fill removes the spaces before it when a space, punctuation or a line end
 *   follows, so "The [big] cat" never reads "The  cat";
 * - a fill never ends with spaces when the text after it starts with one; the span's own
 *   trailing spaces (a double-click selects "cat ") are put back after a non-empty fill;
 * - a fill inserted right before a word (an insertion point after a space) ends with a space.
 */
import type { TextCodec } from './text-codec'

/** What a span needs to know about its surroundings. */
export interface SpanBorders {
  /** Spaces just before the span, tokenized with it (see canvas.ts). */
  leadingSpace: string
  /** Spaces ending the span's original, put back after a non-empty fill. */
  trailingSpace: string
  /** Document text before the span's `from` (only its tail matters). */
  before: string
  /** Document text after the span's `to` (only its head matters). */
  after: string
  /** The span's original text is empty (an insertion point). */
  insertion: boolean
  /** Spaces before `from` that belong to no other span (trimBefore never exceeds it). */
  trimmable: number
}

export interface BorderedFill {
  /** Text replacing from..to. */
  text: string
  /** Spaces just before `from` the fill removes. */
  trimBefore: number
}

const ENDS_LINE = /(^|\n)$/
const JOINS_AFTER = /^($|\s|[.,;:!?)\]}'"’”])/

/** Fits a decoded fill (its leading space intact, see TextCodec.decodeSpan) to the span's borders. */
export function fitBorders(decoded: string, b: SpanBorders): BorderedFill {
  let text = decoded
  let trimBefore = 0
  const lead = b.leadingSpace.length
  const lineStart = ENDS_LINE.test(b.before.slice(0, b.before.length - lead))
  if (text.trim() === '') {
    // empty fill: take the spaces before it away when what follows does not need them
    if (lead > 0 && JOINS_AFTER.test(b.after)) trimBefore = Math.min(lead, b.trimmable)
    return { text: '', trimBefore }
  }
  if (lineStart) {
    // nothing before on this line: the fill starts the line (an indent before it stays)
    text = text.replace(/^ +/, '')
  } else if (lead > 0) {
    // A fill that starts with its own space or line break keeps the spaces before it (at most
    // one run of spaces between them); only one that starts with a visible character joins.
    if (text.startsWith(' ')) text = text.slice(Math.min(lead, text.length - text.replace(/^ +/, '').length))
    else if (!/^\s/.test(text)) trimBefore = Math.min(lead, b.trimmable) // the first token joins the word before
  }
  if (b.trailingSpace) text = text.replace(/ +$/, '') + b.trailingSpace
  if (/^\s/.test(b.after)) text = text.replace(/ +$/, '')
  else if (b.insertion && lead > 0 && /^[\p{L}\p{N}]/u.test(b.after) && /[^\s]$/.test(text)) text += ' '
  return { text, trimBefore }
}

/** Decodes a span's slot tokens (pads dropped) and fits the result to its borders. */
export function spanFill(slotIds: readonly number[], padId: number, codec: TextCodec, b: SpanBorders): BorderedFill & { kept: number[] } {
  const kept = slotIds.filter((id) => id !== padId)
  return { ...fitBorders(codec.decodeSpan(kept), b), kept }
}

/**
 * The document with each span's fill applied: (from - trimBefore)..to replaced by its text;
 * an empty fill that leaves nothing before it on its line also takes the spaces after it (as
 * the editor does, renderer/src/editor/border-spaces.ts). Spans are applied right to left so
 * earlier offsets stay valid.
 */
export function applyBorderedFills(
  text: string,
  spans: readonly { id: string; from: number; to: number }[],
  fills: ReadonlyMap<string, BorderedFill>,
): string {
  const ordered = [...spans].sort((a, b) => b.from - a.from)
  let out = text
  for (const s of ordered) {
    const f = fills.get(s.id)
    if (!f) continue
    const start = s.from - f.trimBefore
    let end = s.to
    if (f.text === '' && ENDS_LINE.test(out.slice(0, start))) while (out[end] === ' ') end++
    out = out.slice(0, start) + f.text + out.slice(end)
  }
  return out
}
