import { describe, expect, it } from 'vitest'
import { EMPTY_SPAN_WORDS, FLOOR_TOKENS_FACTOR, slotPlan, spanTokensPerWord, wordCount, wordRange } from './length-target'
import { TokenizerCodec } from './text-codec'
import { unigramTokenizerJson } from './test-fixtures'

describe('length targets in words', () => {
  it('counts words as runs of non-space characters', () => {
    expect(wordCount('')).toBe(0)
    expect(wordCount('  The man,\nhe said  ')).toBe(4)
  })

  it('turns shorter / same / longer into ranges around the original, never below one word', () => {
    expect(wordRange('shorter', 10)).toEqual({ minWords: 4, maxWords: 7 })
    expect(wordRange('same', 10)).toEqual({ minWords: 8, maxWords: 13 })
    expect(wordRange('longer', 10)).toEqual({ minWords: 13, maxWords: 20 })
    expect(wordRange('shorter', 1)).toEqual({ minWords: 1, maxWords: 1 })
    expect(wordRange('same', 1)).toEqual({ minWords: 1, maxWords: 2 })
    expect(wordRange('longer', 2)).toEqual({ minWords: 4, maxWords: 6 })
    // an empty span (an insertion point) counts as EMPTY_SPAN_WORDS
    expect(wordRange('same', 0)).toEqual(wordRange('same', EMPTY_SPAN_WORDS))
    expect(wordRange({ minWords: 3, maxWords: 8 }, 40)).toEqual({ minWords: 3, maxWords: 8 })
  })

  it('every relative range is ordered and shorter < same < longer', () => {
    for (let w = 0; w <= 60; w++) {
      const [s, m, l] = (['shorter', 'same', 'longer'] as const).map((t) => wordRange(t, w))
      for (const r of [s, m, l]) expect(r.minWords).toBeGreaterThanOrEqual(1)
      for (const r of [s, m, l]) expect(r.maxWords).toBeGreaterThanOrEqual(r.minWords)
      expect(s.minWords).toBeLessThanOrEqual(m.minWords)
      expect(m.maxWords).toBeLessThan(l.maxWords)
    }
  })

  it('sizes the budget for the most words and the floor for the fewest (raised), within the window', () => {
    expect(slotPlan({ minWords: 4, maxWords: 8 }, 1.5, 200)).toEqual({ slots: 12, minSlots: Math.round(4 * 1.5 * FLOOR_TOKENS_FACTOR) })
    expect(slotPlan({ minWords: 8, maxWords: 8 }, 1.5, 200)).toEqual({ slots: 12, minSlots: 12 })
    expect(slotPlan({ minWords: 300, maxWords: 400 }, 1.3, 240)).toEqual({ slots: 240, minSlots: 240 })
    expect(slotPlan({ minWords: 1, maxWords: 1 }, 1, 200)).toEqual({ slots: 1, minSlots: 1 })
  })

  it("measures tokens per word on the span, else on the text around it", () => {
    const codec = new TokenizerCodec(unigramTokenizerJson())
    const text = 'the cat sat on the mat and the dog ran'
    // every word here is one token
    expect(spanTokensPerWord(codec, text, 0, text.length)).toBe(1)
    // a 2-word span: measured on the text around it
    expect(spanTokensPerWord(codec, text, 4, 11)).toBe(1)
    // spelled out letter by letter: many tokens a word
    const odd = 'xq zv wk jj'
    expect(spanTokensPerWord(codec, odd + ' and more', 0, odd.length)).toBeGreaterThan(1.5)
  })
})
