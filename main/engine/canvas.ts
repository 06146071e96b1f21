/**
 * The canvas: a document, its locked ranges and its masked spans turned into the token
 * windows the model sees, and the way back from a span's tokens to its text.
 *
 * - Text between spans is tokenized segment by segment, so every span border falls on a
 *   character boundary; that text is never decoded again, so it stays byte-identical.
 * - Spaces just before a span are tokenized with the span (a Metaspace tokenizer reads
 *   "the cat" as "the", "▁cat"; cutting before the space would give a lone "▁" the model
 *   never saw). The fill's leading space is stripped again when it is mapped back, so a
 *   fill joins the text before it naturally ("the" + " cat"). Spaces at the end of a span
 *   (a double-click selects "cat ") are tokenized with the text after it instead, and put
 *   back after the fill (not after an empty fill, which would leave two spaces).
 * - Each span becomes `slots` mask ids: its own `slots`, else the token count of its
 *   original text, else (an empty insertion point) `emptySpanSlots`.
 * - A canvas longer than the model's window is cut into windows around the spans: spans
 *   close together share a window, spans far apart get their own, and the remaining room
 *   is split evenly between left and right context. Slots of spans owned by another window
 *   stay mask ids in the context (the model knows text goes there, not what).
 * - Padding tokens are dropped from a fill wherever they appear: the default model emits
 *   them in a span's tail when its budget is longer than needed; a pad in the middle is
 *   treated the same way (it stands for "no token here").
 */
import type { CharRange, SpanSpec } from '../contract'
import { CanvasError } from './errors'
import { bindsToPrevious, MAX_PIECE_CHARS, pieceEnd, type TextCodec } from './text-codec'

/** Default slot budget of an empty span (an insertion point) without explicit slots. */
export const DEFAULT_EMPTY_SPAN_SLOTS = 8

export interface CanvasOptions {
  /** The model's maximum sequence length (window size, special tokens included). */
  maxLength: number
  maskId: number
  /** Slots of an empty span that does not say how many it wants. */
  emptySpanSlots?: number
}

/** One masked span, placed on the canvas. */
export interface CanvasSpan {
  id: string
  from: number
  to: number
  /** The text from..to. */
  original: string
  /** Spaces just before `from`, tokenized with the span (stripped again from its fill). */
  leadingSpace: string
  /** Spaces ending the span, tokenized with the text after it (put back after the fill). */
  trailingSpace: string
  /** Tokens of leadingSpace + original. */
  originalIds: number[]
  slots: number
  /** Index of the first slot in the whole-document token sequence. */
  start: number
}

/** A span's slots inside one window. */
export interface WindowSpan {
  /** Index into Canvas.spans. */
  span: number
  /** Position of the span's first slot in the window's ids. */
  offset: number
}

/** One model input: ids (wrap tokens included) and the spans it fills. */
export interface CanvasWindow {
  ids: Int32Array
  spans: WindowSpan[]
}

export interface Canvas {
  /** Spans in document order. */
  spans: CanvasSpan[]
  windows: CanvasWindow[]
  /** Tokens on the canvas, wrap tokens excluded (text beyond every window's reach is left out). */
  totalTokens: number
}

/** Checks spans against the text, each other and the locked ranges; returns them sorted. */
export function validateSpans(text: string, spans: readonly SpanSpec[], locked: readonly CharRange[]): SpanSpec[] {
  const ids = new Set<string>()
  for (const s of spans) {
    if (ids.has(s.id)) throw new CanvasError(`two spans share the id "${s.id}"; give every span its own id`)
    ids.add(s.id)
    if (s.to < s.from) throw new CanvasError(`span "${s.id}" ends (${s.to}) before it starts (${s.from})`)
    if (s.to > text.length)
      throw new CanvasError(`span "${s.id}" (chars ${s.from}-${s.to}) runs past the end of the text (${text.length} chars); send the current text with the request`)
  }
  const sorted = [...spans].sort((a, b) => a.from - b.from || a.to - b.to)
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]
    const b = sorted[i]
    const overlap = a.to > b.from || (a.from === b.from && (a.to === a.from || b.to === b.from))
    if (overlap)
      throw new CanvasError(`spans "${a.id}" (chars ${a.from}-${a.to}) and "${b.id}" (chars ${b.from}-${b.to}) overlap; merge them into one span or move one`)
  }
  // Locked ranges sorted by start, with the running maximum of their ends: a span meets
  // locked text iff some range starting before its end reaches past its start.
  const byStart = [...locked].sort((a, b) => a.from - b.from)
  const maxTo: number[] = []
  byStart.forEach((l, i) => maxTo.push(Math.max(l.to, i > 0 ? maxTo[i - 1] : -1)))
  const startingBefore = (x: number) => {
    let lo = 0
    let hi = byStart.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (byStart[mid].from < x) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  for (const s of sorted) {
    const empty = s.from === s.to
    // Nonempty: from < l.to && l.from < to. Empty (insertion point p): l.from < p < l.to.
    const n = startingBefore(empty ? s.from : s.to)
    if (n === 0 || maxTo[n - 1] <= s.from) continue
    const l = byStart.slice(0, n).find((r) => r.to > s.from)!
    throw new CanvasError(`span "${s.id}" (chars ${s.from}-${s.to}) overlaps locked text (chars ${l.from}-${l.to}); unlock that text or shrink the span`)
  }
  return sorted
}

/** Length of the run of ' ' characters ending at `end`, not reaching before `floor`. */
function trailingSpaces(text: string, floor: number, end: number): number {
  let i = end
  while (i > floor && text.charCodeAt(i - 1) === 32) i--
  return end - i
}

/** Placeholder for text left untokenized far from every span (never inside a window). */
const GAP = -1

/** Characters per token assumed when choosing how much text to tokenize (grown if short). */
const CHARS_PER_TOKEN_GUESS = 6

/** Characters encoded between two checkpoints while building a canvas. */
const CHUNK_CHARS = 4096

/**
 * Token ids of a text, encoded in chunks of at most CHUNK_CHARS (cut as the codec cuts
 * its pieces), yielding after each chunk so the caller can check for cancellation.
 */
function* encodeChunked(codec: TextCodec, text: string): Generator<void, number[]> {
  const ids: number[] = []
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start, CHUNK_CHARS)
    for (const id of codec.encode(text.slice(start, end))) ids.push(id)
    start = end
    if (start < text.length) yield
  }
  return ids
}

/** Where a tail of about `chars` characters starts: at a whitespace near there, else on a character boundary. */
function tailStart(text: string, chars: number): number {
  const at = Math.max(0, text.length - chars)
  for (let k = at; k >= Math.max(1, at - MAX_PIECE_CHARS); k--) if (/\s/.test(text[k])) return k
  let cut = at
  while (cut < text.length && bindsToPrevious(text, cut)) cut++
  return cut
}

/**
 * Tokens of a fixed segment, tokenizing only what a window can reach: the first
 * `head` and last `tail` tokens (0 = not needed). A long middle is replaced by one run of
 * GAP placeholders longer than any window, so spans on either side fall in different
 * windows. Cuts fall on whitespace where there is one nearby, and the tokens next to a cut
 * are discarded.
 */
function* encodeSegmentSteps(codec: TextCodec, text: string, head: number, tail: number, gapLength: number): Generator<void, number[]> {
  const need = head + tail
  for (let chars = Math.max(64, need * CHARS_PER_TOKEN_GUESS); ; chars *= 2) {
    if (text.length <= chars * 2) return yield* encodeChunked(codec, text)
    const headIds = head > 0 ? yield* encodeChunked(codec, text.slice(0, pieceEnd(text, 0, chars))) : []
    const tailIds = tail > 0 ? yield* encodeChunked(codec, text.slice(tailStart(text, chars))) : []
    if ((head > 0 && headIds.length < head + 2) || (tail > 0 && tailIds.length < tail + 2)) continue
    const gap = new Array<number>(gapLength).fill(GAP)
    return [...headIds.slice(0, head), ...gap, ...tailIds.slice(tailIds.length - tail)]
  }
}

/** encodeSegmentSteps run to the end (see there). */
export function encodeSegment(codec: TextCodec, text: string, head: number, tail: number, gapLength: number): number[] {
  return runToEnd(encodeSegmentSteps(codec, text, head, tail, gapLength))
}

function runToEnd<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}

/** Builds the canvas for a fill: validates, tokenizes, places slots, cuts windows. */
export function buildCanvas(
  text: string,
  specs: readonly SpanSpec[],
  locked: readonly CharRange[],
  codec: TextCodec,
  options: CanvasOptions,
): Canvas {
  return runToEnd(canvasSteps(text, specs, locked, codec, options))
}

/**
 * buildCanvas that awaits `checkpoint` between chunks of text (every few thousand
 * characters): a checkpoint that throws stops the build there, and one that yields to the
 * event loop keeps the process responsive while a long document is tokenized.
 */
export async function buildCanvasCancellable(
  text: string,
  specs: readonly SpanSpec[],
  locked: readonly CharRange[],
  codec: TextCodec,
  options: CanvasOptions,
  checkpoint: () => Promise<void> | void,
): Promise<Canvas> {
  const steps = canvasSteps(text, specs, locked, codec, options)
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
    await checkpoint()
  }
}

function* canvasSteps(
  text: string,
  specs: readonly SpanSpec[],
  locked: readonly CharRange[],
  codec: TextCodec,
  options: CanvasOptions,
): Generator<void, Canvas> {
  const sorted = validateSpans(text, specs, locked)
  const emptySlots = options.emptySpanSlots ?? DEFAULT_EMPTY_SPAN_SLOTS
  const room = options.maxLength - codec.wrap.prefix.length - codec.wrap.suffix.length
  // Text further than a window from every span is never seen by the model.
  const reach = room + 8
  const tokens: number[] = []
  const spans: CanvasSpan[] = []
  let cursor = 0
  for (const [i, s] of sorted.entries()) {
    const lead = trailingSpaces(text, cursor, s.from)
    const segment = yield* encodeSegmentSteps(codec, text.slice(cursor, s.from - lead), i === 0 ? 0 : reach, reach, room + 1)
    for (const id of segment) tokens.push(id)
    const leadingSpace = text.slice(s.from - lead, s.from)
    const original = text.slice(s.from, s.to)
    const trail = trailingSpaces(text, s.from, s.to)
    const trailingSpace = text.slice(s.to - trail, s.to)
    const core = original.slice(0, original.length - trail)
    const originalIds = yield* encodeChunked(codec, leadingSpace + core)
    const slots = s.slots ?? (core.length > 0 && originalIds.length > 0 ? originalIds.length : emptySlots)
    spans.push({ id: s.id, from: s.from, to: s.to, original, leadingSpace, trailingSpace, originalIds, slots, start: tokens.length })
    for (let k = 0; k < slots; k++) tokens.push(options.maskId)
    cursor = s.to - trail
  }
  for (const id of yield* encodeSegmentSteps(codec, text.slice(cursor), reach, 0, room + 1)) tokens.push(id)
  return { spans, windows: cutWindows(tokens, spans, codec.wrap, options.maxLength), totalTokens: tokens.length }
}

/** Cuts the whole-document sequence into windows of at most maxLength ids around the spans. */
export function cutWindows(
  tokens: readonly number[],
  spans: readonly CanvasSpan[],
  wrap: TextCodec['wrap'],
  maxLength: number,
): CanvasWindow[] {
  const room = maxLength - wrap.prefix.length - wrap.suffix.length
  const window = (from: number, to: number, owned: number[]): CanvasWindow => {
    const ids = new Int32Array(wrap.prefix.length + (to - from) + wrap.suffix.length)
    ids.set(wrap.prefix, 0)
    for (let i = from; i < to; i++) {
      if (tokens[i] === GAP) throw new Error(`internal: window ${from}-${to} reaches untokenized text at ${i}`)
      ids[wrap.prefix.length + i - from] = tokens[i]
    }
    ids.set(wrap.suffix, wrap.prefix.length + to - from)
    return { ids, spans: owned.map((span) => ({ span, offset: wrap.prefix.length + spans[span].start - from })) }
  }
  for (const s of spans) {
    if (s.slots > room)
      throw new CanvasError(
        `span "${s.id}" needs ${s.slots} slots but the model sees at most ${room} tokens at once; shorten the span or split it into several`,
      )
  }
  if (tokens.length <= room) return [window(0, tokens.length, spans.map((_, i) => i))]

  // Spans share a window while together they leave at least a quarter of it for context.
  const reach = room - Math.floor(room / 4)
  const groups: number[][] = []
  for (let i = 0; i < spans.length; i++) {
    const g = groups[groups.length - 1]
    const end = spans[i].start + spans[i].slots
    if (g && end - spans[g[0]].start <= reach) g.push(i)
    else groups.push([i])
  }
  return groups.map((g) => {
    const first = spans[g[0]].start
    const last = spans[g[g.length - 1]]
    const extent = last.start + last.slots - first
    const context = room - extent
    let from = Math.max(0, first - Math.floor(context / 2))
    const to = Math.min(tokens.length, from + room)
    from = Math.max(0, to - room)
    return window(from, to, g)
  })
}

/**
 * Text of a span's fill (what replaces from..to) from its slot tokens: pad dropped, the
 * absorbed leading space stripped, the span's trailing spaces put back.
 */
export function spanFillText(
  span: Pick<CanvasSpan, 'leadingSpace' | 'trailingSpace'>,
  slotIds: readonly number[],
  padId: number,
  codec: TextCodec,
): { text: string; kept: number[] } {
  const kept = slotIds.filter((id) => id !== padId)
  let text = codec.decodeSpan(kept)
  let strip = 0
  while (strip < span.leadingSpace.length && text.charCodeAt(strip) === 32) strip++
  text = text.slice(strip)
  if (span.trailingSpace && text !== '') text = text.replace(/ +$/, '') + span.trailingSpace
  return { text, kept }
}

/** The document with each span's from..to replaced by its fill (texts keyed by span id). */
export function applyFills(text: string, spans: readonly { id: string; from: number; to: number }[], fills: ReadonlyMap<string, string>): string {
  const ordered = [...spans].sort((a, b) => a.from - b.from)
  let out = ''
  let cursor = 0
  for (const s of ordered) {
    const fill = fills.get(s.id)
    if (fill === undefined) continue
    out += text.slice(cursor, s.from) + fill
    cursor = s.to
  }
  return out + text.slice(cursor)
}
