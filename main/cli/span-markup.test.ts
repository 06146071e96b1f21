import { describe, expect, it } from 'vitest'
import { MarkupError, parseSpanMarkup } from './span-markup'

describe('parseSpanMarkup', () => {
  it('keeps span contents in the text and records their ranges', () => {
    const p = parseSpanMarkup('The [[cat]] sat on [[the mat]].')
    expect(p.text).toBe('The cat sat on the mat.')
    expect(p.spans).toEqual([
      { id: 's1', from: 4, to: 7 },
      { id: 's2', from: 15, to: 22 },
    ])
  })
  it('reads [[+N]] as an insertion of N slots', () => {
    const p = parseSpanMarkup('The cat[[+5]] sat.')
    expect(p.text).toBe('The cat sat.')
    expect(p.spans).toEqual([{ id: 's1', from: 7, to: 7, slots: 5 }])
  })
  it('gives clear errors', () => {
    expect(() => parseSpanMarkup('no spans')).toThrow(/no span to fill/)
    expect(() => parseSpanMarkup('a [[b')).toThrow(/never closed/)
    expect(() => parseSpanMarkup('a ]] [[b]]')).toThrow(MarkupError)
    expect(() => parseSpanMarkup('a [[]]')).toThrow(/\[\[\+N\]\]/)
    expect(() => parseSpanMarkup('a [[+0]]')).toThrow(/1 to 1024/)
  })
})
