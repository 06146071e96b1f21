/**
 * The tokenizer as the engine uses it: encode a text segment without special tokens,
 * decode a span's tokens with its leading space intact, and the special tokens the
 * tokenizer's post-processor wraps a sequence in (BERT's [CLS] ... [SEP]).
 *
 * Text is always text: a literal `<mask>`, `</s>` or `[CLS]` in the document is encoded
 * as the characters it is made of, never as the special token (special ids only ever come
 * from the engine). @huggingface/tokenizers has no option to turn special-token splitting
 * off, so encoding uses a second tokenizer built without the special added tokens, and any
 * special id the model itself still produces for a literal (a Unigram vocabulary holds
 * `<mask>` as a piece) is avoided by splitting the text inside that literal.
 *
 * Encoding is linear in the text: text is cut into pieces of at most MAX_PIECE_CHARS
 * (before a whitespace where there is one), since the library's models are superlinear
 * in the length of one pre-tokenized word and a 200k-character run without spaces would
 * otherwise take minutes or overflow the stack.
 *
 * `TextCodec` is the interface the pure modules (canvas, fill assembly) depend on, so they
 * can be tested with a hand-made codec; `TokenizerCodec` implements it over
 * @huggingface/tokenizers.
 */
import { Tokenizer } from '@huggingface/tokenizers'

/** What the canvas and the decoder need from a tokenizer. */
export interface TextCodec {
  /** Token ids of a text segment, no special tokens added. */
  encode(text: string): number[]
  /** Text of a run of tokens as it reads after preceding text (keeps a leading space). */
  decodeSpan(ids: readonly number[]): string
  /** Text of one token as it reads after preceding text ('' for special tokens). */
  tokenText(id: number): string
  /** Special ids the model expects before and after every window. */
  readonly wrap: { readonly prefix: readonly number[]; readonly suffix: readonly number[] }
}

/** Longest text handed to the tokenizer at once (see the module comment). */
export const MAX_PIECE_CHARS = 256

const isWhitespace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029
/** True for a code unit that must stay with the one before it (low surrogate, combining mark, joiner, variation selector). */
export const bindsToPrevious = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i)
  if (c >= 0xdc00 && c <= 0xdfff) return true
  if (c === 0x200d || (c >= 0xfe00 && c <= 0xfe0f)) return true
  return /\p{M}/u.test(text[i])
}

/**
 * Where to end a piece that starts at `start` and may be at most `max` long: just before
 * the last whitespace in it (the next piece then starts with its space, as pre-tokenizers
 * attach a space to the word after it), else at `start + max` moved back off a surrogate
 * pair or combining sequence. Always > start.
 */
export function pieceEnd(text: string, start: number, max: number): number {
  const limit = start + max
  if (limit >= text.length) return text.length
  for (let k = limit; k > start; k--) if (isWhitespace(text.charCodeAt(k))) return k
  let cut = limit
  while (cut > start + 1 && bindsToPrevious(text, cut)) cut--
  return cut
}

/** The text cut into pieces of at most `max` characters (see pieceEnd); joined, they give the text back. */
export function splitPieces(text: string, max: number): string[] {
  const pieces: string[] = []
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start, max)
    pieces.push(text.slice(start, end))
    start = end
  }
  return pieces
}

/** Contents the context token is chosen from, in order of preference. */
const CONTEXT_CANDIDATES = ['a', 'the', 'A', 'x', 'I', 'The']

/** A Hugging Face tokenizer.json, wrapped as a TextCodec. */
export class TokenizerCodec implements TextCodec {
  readonly tokenizer: Tokenizer
  /** The same tokenizer without its special added tokens: what document text is encoded with. */
  private readonly textTokenizer: Tokenizer
  /** Special token contents, lowercased, for finding literals in text. */
  private readonly specialContents: string[]
  private readonly unkId: number | undefined
  /** Number of ids (largest id + 1, added tokens included). */
  readonly vocabSize: number
  /** Added tokens: content -> id. */
  readonly addedTokens: ReadonlyMap<string, number>
  /** Ids of every added special token. */
  readonly specialIds: ReadonlySet<number>
  readonly wrap: { prefix: number[]; suffix: number[] }
  private readonly contextId: number
  private readonly contextText: string
  private readonly textCache = new Map<number, string>()

  /** Throws when the json is not a tokenizer the library can build. */
  constructor(tokenizerJson: object, tokenizerConfig: object = {}) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig)
    const json = tokenizerJson as { added_tokens?: { special?: boolean }[] }
    this.textTokenizer = new Tokenizer({ ...json, added_tokens: (json.added_tokens ?? []).filter((t) => !t.special) }, tokenizerConfig)
    const vocab = this.tokenizer.get_vocab(true)
    let maxId = -1
    for (const id of vocab.values()) if (id > maxId) maxId = id
    const added = new Map<string, number>()
    const special = new Set<number>()
    for (const [id, tok] of this.tokenizer.get_added_tokens_decoder()) {
      added.set(tok.content, id)
      if (tok.special) special.add(id)
      if (id > maxId) maxId = id
    }
    this.vocabSize = maxId + 1
    this.addedTokens = added
    this.specialIds = special
    this.wrap = this.findWrap()
    this.specialContents = [...added].filter(([, id]) => special.has(id)).map(([content]) => content.toLowerCase()).filter((c) => c.length > 0)
    const unkContent = (this.tokenizer.model as { unk_token?: string } | null)?.unk_token
    this.unkId = (unkContent !== undefined ? this.idOf(unkContent) : undefined) ?? added.get('[UNK]') ?? added.get('<unk>')
    const ctx = this.findContextToken(vocab)
    this.contextId = ctx.id
    this.contextText = ctx.text
  }

  encode(text: string): number[] {
    const ids: number[] = []
    for (const piece of splitPieces(text, MAX_PIECE_CHARS)) for (const id of this.encodeLiteral(piece)) ids.push(id)
    return ids
  }

  /**
   * Ids of a short text with no special token among them (an unknown character may still
   * give the unk id). Where the model turns a literal into a special id, the text is split
   * after the first character of that literal and each part encoded on its own.
   */
  private encodeLiteral(text: string): number[] {
    if (text.length === 0) return []
    let ids = this.textTokenizer.encode(text, { add_special_tokens: false }).ids
    // A model whose unk token exists only as an added token: the copy without special
    // tokens cannot name it, so map what it could not to the real unk id.
    if (ids.some((id) => typeof id !== 'number')) ids = ids.flatMap((id) => (typeof id === 'number' ? [id] : this.unkId !== undefined ? [this.unkId] : []))
    let special = false
    let unk = false
    for (const id of ids) {
      if (id === this.unkId) unk = true
      else if (this.specialIds.has(id)) special = true
    }
    if (!special && !unk) return ids
    const lower = text.toLowerCase()
    let at = -1
    if (lower.length === text.length)
      for (const c of this.specialContents) {
        const i = lower.indexOf(c)
        if (i >= 0 && (at < 0 || i < at)) at = i
      }
    if (at < 0 && !special) return ids // unk for a real unknown character
    // Cut after the literal's first character, or (none found) in the middle.
    let cut = at >= 0 ? at + 1 : text.length >> 1
    while (cut > 0 && cut < text.length && bindsToPrevious(text, cut)) cut++
    if (cut <= 0 || cut >= text.length) {
      cut = text.length >> 1
      while (cut > 0 && bindsToPrevious(text, cut)) cut--
    }
    // One character the model still reads as a special token: leave it out of the context.
    if (cut <= 0) return ids.filter((id) => id === this.unkId || !this.specialIds.has(id))
    return [...this.encodeLiteral(text.slice(0, cut)), ...this.encodeLiteral(text.slice(cut))]
  }

  /**
   * A byte-level model can end a span inside a multi-byte character or put stray
   * continuation bytes in it; those decode to U+FFFD and are dropped: a fill shows only
   * whole characters.
   */
  decodeSpan(ids: readonly number[]): string {
    return this.decodeWithContext(ids).replace(/\uFFFD/g, '')
  }

  private decodeWithContext(ids: readonly number[]): string {
    if (ids.length === 0) return ''
    if (this.contextId < 0) return this.tokenizer.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false })
    const joined = this.tokenizer.decode([this.contextId, ...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false })
    if (joined.startsWith(this.contextText)) return joined.slice(this.contextText.length)
    return this.tokenizer.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false })
  }

  tokenText(id: number): string {
    let t = this.textCache.get(id)
    if (t === undefined) {
      t = this.specialIds.has(id) ? '' : this.decodeSpan([id])
      this.textCache.set(id, t)
    }
    return t
  }

  /** Id of a token by its exact content, or undefined. */
  idOf(content: string): number | undefined {
    return this.addedTokens.get(content) ?? this.tokenizer.token_to_id(content)
  }

  /** Compares an encoding with and without special tokens to find the wrapping ids. */
  private findWrap(): { prefix: number[]; suffix: number[] } {
    const probe = 'a b'
    const bare = this.tokenizer.encode(probe, { add_special_tokens: false }).ids
    const full = this.tokenizer.encode(probe, { add_special_tokens: true }).ids
    for (let i = 0; i + bare.length <= full.length; i++) {
      if (bare.every((id, j) => full[i + j] === id)) return { prefix: full.slice(0, i), suffix: full.slice(i + bare.length) }
    }
    return { prefix: [], suffix: [] }
  }

  /** A plain word token used as left context when decoding, so leading spaces survive. */
  private findContextToken(vocab: Map<string, number>): { id: number; text: string } {
    const tryId = (id: number | undefined) => {
      if (id === undefined || this.specialIds.has(id)) return undefined
      const text = this.tokenizer.decode([id], { skip_special_tokens: true, clean_up_tokenization_spaces: false })
      return /^[A-Za-z]+$/.test(text) ? { id, text } : undefined
    }
    for (const c of CONTEXT_CANDIDATES) {
      const found = tryId(vocab.get(c))
      if (found) return found
    }
    for (const id of vocab.values()) {
      const found = tryId(id)
      if (found) return found
    }
    // No alphabetic token at all (an unusual vocabulary): decode without context.
    return { id: -1, text: '\u0000' }
  }
}
