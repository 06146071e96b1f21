/**
 * The default model's tokenizer.json (converted from the sentencepiece Unigram model by
 * models/train/tokenizer.py) loads in @huggingface/tokenizers and agrees with sentencepiece.
 * tokenizer-reference.json holds encodings produced by Python sentencepiece for the same model.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const modelDir = join(root, 'models', 'default')
const readJson = (p: string): unknown => JSON.parse(readFileSync(p, 'utf8'))

const tokenizer = new Tokenizer(
  readJson(join(modelDir, 'tokenizer.json')) as object,
  readJson(join(modelDir, 'tokenizer_config.json')) as object,
)
const references = readJson(join(import.meta.dirname, 'tokenizer-reference.json')) as { text: string; ids: number[] }[]
const encode = (text: string): number[] => tokenizer.encode(text, { add_special_tokens: false }).ids
const decode = (ids: number[]): string => tokenizer.decode(ids, { skip_special_tokens: false })

describe('default tokenizer', () => {
  it('has the special ids of the model contract', () => {
    const manifestTokens = { '<pad>': 0, '<unk>': 1, '</s>': 2, '<mask>': 3, '\n': 4 }
    for (const [piece, id] of Object.entries(manifestTokens)) expect(tokenizer.token_to_id(piece)).toBe(id)
    expect(tokenizer.id_to_token(5)).toBe('▁the')
  })

  it.each(references)('encodes $text exactly as sentencepiece does', ({ text, ids }) => {
    expect(encode(text)).toEqual(ids)
  })

  it.each([
    'hello world',
    ' the cat',
    '  two leading spaces and a trailing one ',
    'Line one.\nLine two, with "quotes", (parentheses) and 3.14%!\n\nAfter an empty line.',
    'Call me Ishmael—never mind how long; it\'s "precisely" so.',
  ])('round-trips %j', (text) => {
    const ids = encode(text)
    expect(ids).not.toContain(1) // no <unk>
    expect(decode(ids)).toBe(text)
  })

  it('encodes newlines as their own piece', () => {
    const ids = encode('a\nb')
    expect(ids.filter((id) => id === 4)).toHaveLength(1)
    expect(decode(ids)).toBe('a\nb')
  })

  it('encodes a segment that starts with a space as a word-initial piece', () => {
    const tokens = tokenizer.encode(' cat', { add_special_tokens: false }).tokens
    expect(tokens[0]).toBe('▁cat')
    expect(tokenizer.encode('cat', { add_special_tokens: false }).tokens[0]).not.toBe('▁cat')
  })

  it('decodes concatenated segments to the concatenated text', () => {
    const parts = ['The old man', ' and the', ' sea.']
    const ids = parts.flatMap(encode)
    expect(decode(ids)).toBe(parts.join(''))
  })

  it('decodes the mask and pad tokens as their names (the engine drops pad itself)', () => {
    expect(decode([3])).toBe('<mask>')
    expect(tokenizer.decode([encode(' cat')[0]!, 0], { skip_special_tokens: true })).toBe(' cat')
  })
})
