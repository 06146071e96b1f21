import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cutPrefix, cutSuffix } from './decisions'

const TEXT =
  'The boat left at dawn. The fisherman looked back once, and wiped his hands on his coat. ' +
  'Gulls followed the wake for a mile! Then the sea was empty.'

describe('prefix and suffix cut at sentence, else word, boundaries', () => {
  it('a prefix starts at a sentence when one starts in the window', () => {
    const at = TEXT.indexOf('Gulls')
    expect(cutPrefix(TEXT, at, 80)).toBe('The fisherman looked back once, and wiped his hands on his coat. ')
  })

  it('a suffix ends at a sentence end when one lies in the window', () => {
    const at = TEXT.indexOf('The fisherman')
    expect(cutSuffix(TEXT, at, 80)).toBe('The fisherman looked back once, and wiped his hands on his coat.')
  })

  it('without a sentence border in reach, a word border (never "The fishe" or "k, and wiped")', () => {
    const at = TEXT.indexOf('his hands')
    const prefix = cutPrefix(TEXT, at, 20)
    expect(prefix).toBe('once, and wiped ')
    const suffix = cutSuffix(TEXT, TEXT.indexOf('The fisherman'), 9)
    expect(suffix).toBe('The')
  })

  it('the whole text when it fits', () => {
    expect(cutPrefix(TEXT, 10, 500)).toBe(TEXT.slice(0, 10))
    expect(cutSuffix(TEXT, 10, 500)).toBe(TEXT.slice(10))
  })

  it('any text: the cut is the text next to the span, at most w long, starting and ending at a word edge', () => {
    const word = fc.stringMatching(/^[a-z]{1,8}[.,!?]?$/)
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 40 }), fc.nat(), fc.integer({ min: 1, max: 60 }), (words, pos, w) => {
        const text = words.join(' ')
        const at = pos % (text.length + 1)
        const p = cutPrefix(text, at, w)
        const s = cutSuffix(text, at, w)
        expect(text.slice(0, at).endsWith(p)).toBe(true)
        expect(text.slice(at).startsWith(s)).toBe(true)
        expect(p.length).toBeLessThanOrEqual(w)
        expect(s.length).toBeLessThanOrEqual(w)
        // A word is never cut: the prefix starts the text or follows a space; the suffix ends the text or comes before a space.
        const pStart = at - p.length
        if (p.length > 0) expect(pStart === 0 || /\s/.test(text[pStart - 1])).toBe(true)
        const sEnd = at + s.length
        if (s.length > 0) expect(sEnd === text.length || /\s/.test(text[sEnd])).toBe(true)
      }),
      { numRuns: 500 },
    )
  })
})
