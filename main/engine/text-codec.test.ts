import { describe, expect, it } from 'vitest'
import { TokenizerCodec } from './text-codec'
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
