/**
 * Hand-made tokenizers for unit tests (no model needed): a tiny SentencePiece-style
 * Unigram with a Metaspace pre-tokenizer like the default model's, and a tiny WordPiece
 * with a different vocabulary size (the "tokenizer from another model").
 */

const SPECIALS = ['<pad>', '<unk>', '</s>', '<mask>']
const WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'a', 'dog', 'ran', 'and', 'was', 'The', 'It']

function addedToken(content: string, id: number) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }
}

/** Unigram + Metaspace (prepend_scheme "never"), <pad>=0 <unk>=1 </s>=2 <mask>=3, "\n" its own token. */
export function unigramTokenizerJson(): object {
  const vocab: [string, number][] = SPECIALS.map((s) => [s, 0])
  vocab.push(['▁', -3], ['\n', -2])
  for (const w of WORDS) vocab.push([w, -4], [`▁${w}`, -3.5])
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?\'"-()'
  for (const ch of chars) vocab.push([ch, -8], [`▁${ch}`, -8.5])
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map(addedToken),
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: true },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never', split: true },
    model: { type: 'Unigram', unk_id: 1, vocab, byte_fallback: false },
  }
}

/** A BERT-style WordPiece tokenizer with [CLS] ... [SEP] wrapping and a small vocabulary. */
export function wordPieceTokenizerJson(): object {
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
  const words = ['the', 'cat', 'sat', 'on', 'mat', 'a', '##s', '.']
  const vocab: Record<string, number> = {}
  ;[...specials, ...words].forEach((w, i) => (vocab[w] = i))
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map(addedToken),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  }
}
