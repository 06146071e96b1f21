/**
 * The tokenizer as the engine uses it: encode a text segment without special tokens,
 * decode a span's tokens with its leading space intact, and the special tokens the
 * tokenizer's post-processor wraps a sequence in (BERT's [CLS] ... [SEP]).
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

/** Contents the context token is chosen from, in order of preference. */
const CONTEXT_CANDIDATES = ['a', 'the', 'A', 'x', 'I', 'The']

/** A Hugging Face tokenizer.json, wrapped as a TextCodec. */
export class TokenizerCodec implements TextCodec {
  readonly tokenizer: Tokenizer
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
    const ctx = this.findContextToken(vocab)
    this.contextId = ctx.id
    this.contextText = ctx.text
  }

  encode(text: string): number[] {
    if (text.length === 0) return []
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids
  }

  decodeSpan(ids: readonly number[]): string {
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
