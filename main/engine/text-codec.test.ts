import { describe, expect, it } from 'vitest'
import { splitPieces, TokenizerCodec } from './text-codec'
import { unigramTokenizerJson, wordPieceTokenizerJson } from './test-fixtures'

describe('TokenizerCodec (Unigram + Metaspace)', () => {
  const codec = new TokenizerCodec(unigramTokenizerJson())

  it('encodes segments without special tokens and keeps a leading space as ▁', () => {
    const ids = codec.encode(' cat')
    expect(ids).toEqual([codec.idOf('▁cat')])
    expect(codec.encode('the cat')).toEqual([codec.idOf('the'), codec.idOf('▁cat')])
    expect(codec.encode('')).toEqual([])
  })

  it('decodes a span with its leading space intact (the library strips it on its own)', () => {
    expect(codec.decodeSpan([codec.idOf('▁cat')!, codec.idOf('▁sat')!])).toBe(' cat sat')
    expect(codec.decodeSpan([codec.idOf('cat')!])).toBe('cat')
    expect(codec.tokenText(codec.idOf('▁sat')!)).toBe(' sat')
    expect(codec.tokenText(0)).toBe('')
  })

  it('reports vocabulary size, added tokens and no wrapping', () => {
    expect(codec.addedTokens.get('<mask>')).toBe(3)
    expect(codec.vocabSize).toBeGreaterThan(100)
    expect(codec.wrap).toEqual({ prefix: [], suffix: [] })
  })
})

describe('TokenizerCodec (WordPiece, BERT-style)', () => {
  const codec = new TokenizerCodec(wordPieceTokenizerJson())

  it('finds the [CLS] ... [SEP] wrapping from the post-processor', () => {
    expect(codec.wrap).toEqual({ prefix: [2], suffix: [3] })
  })

  it('decodes word pieces joined as words read', () => {
    const cat = codec.idOf('cat')!
    const s = codec.idOf('##s')!
    expect(codec.decodeSpan([cat, s])).toBe(' cats')
    expect(codec.vocabSize).toBe(13)
  })
})

describe('literal special-token text stays text (hostile input)', () => {
  const literals = ['<mask>', '<pad>', '</s>', '<unk>', '[MASK]', '[CLS]', '[SEP]', '[PAD]', '<MASK>']
  const cases: [string, TokenizerCodec][] = [
    ['Unigram', new TokenizerCodec(unigramTokenizerJson())],
    ['WordPiece', new TokenizerCodec(wordPieceTokenizerJson())],
  ]
  for (const [name, codec] of cases) {
    it(`${name}: no literal becomes a special id, alone or inside text`, () => {
      const specials = new Set([...codec.specialIds])
      for (const lit of literals) {
        for (const text of [lit, `the ${lit} cat`, `a${lit}${lit}b`, `${lit}\n${lit}`]) {
          const ids = codec.encode(text)
          expect(ids.length).toBeGreaterThan(0)
          const leaked = ids.filter((id) => specials.has(id) && codec.tokenizer.id_to_token(id) !== (name === 'Unigram' ? '<unk>' : '[UNK]'))
          expect(leaked, `${JSON.stringify(text)} -> ${ids.map((i) => codec.tokenizer.id_to_token(i)).join('|')}`).toEqual([])
        }
      }
    })
  }

  it('the library itself would have encoded them as special tokens (the test can fail)', () => {
    const codec = cases[0][1]
    expect(codec.tokenizer.encode('the <mask> cat', { add_special_tokens: false }).ids).toContain(3)
  })

  it('ordinary text encodes exactly as the library does', () => {
    const codec = cases[0][1]
    const text = 'the cat sat on the mat. The dog ran and a cat was on it'
    expect(codec.encode(text)).toEqual(codec.tokenizer.encode(text, { add_special_tokens: false }).ids)
  })
})

describe('pieces (bounded pre-tokenization)', () => {
  it('joined pieces give the text back; each is at most the limit; cuts fall before whitespace', () => {
    const text = 'word '.repeat(200) + 'x'.repeat(1000) + ' tail'
    const pieces = splitPieces(text, 64)
    expect(pieces.join('')).toBe(text)
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(64)
    for (const p of pieces.slice(1, 10)) expect(p.startsWith(' ')).toBe(true)
  })
  it('never splits a surrogate pair or a combining sequence', () => {
    const text = '😀'.repeat(100) + 'e\u0301'.repeat(100)
    for (const p of splitPieces(text, 7)) {
      expect(/^[\uDC00-\uDFFF\u0301]/.test(p)).toBe(false)
    }
    expect(splitPieces(text, 7).join('')).toBe(text)
  })
  it('200k characters without a space encode without throwing (Unigram and WordPiece)', () => {
    const cjk = Array.from({ length: 200_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7) % 2000))).join('')
    const b64 = Buffer.alloc(150_000, 7).toString('base64')
    for (const codec of [new TokenizerCodec(unigramTokenizerJson()), new TokenizerCodec(wordPieceTokenizerJson())]) {
      expect(codec.encode(cjk).length).toBeGreaterThan(0)
      expect(codec.encode(b64).length).toBeGreaterThan(0)
    }
  })
})

describe('a WordPiece tokenizer whose [UNK] is only an added token', () => {
  it('still encodes unknown text as the unk id', () => {
    const json = wordPieceTokenizerJson() as { model: { vocab: Record<string, number> }; added_tokens: { content: string; id: number }[] }
    const unk = json.model.vocab['[UNK]']
    delete json.model.vocab['[UNK]']
    const codec = new TokenizerCodec(json)
    expect(codec.encode('the zebra')).toEqual([codec.idOf('the'), unk])
  })
})
