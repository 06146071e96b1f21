import { describe, expect, it } from 'vitest'
import { countWords, decide, makeTasks, PASSAGE_WORDS, wordLimit } from './tune-writer'

describe('the terse writer', () => {
  it('allows 3/4 of the masked words rounded down, at least one', () => {
    expect(wordLimit('one two three four five')).toBe(3)
    expect(wordLimit('one two three four')).toBe(3)
    expect(wordLimit('one two three four five six seven eight')).toBe(6)
    expect(wordLimit('one')).toBe(1)
    expect(countWords('  a  b\nc ')).toBe(3)
    expect(countWords('   ')).toBe(0)
  })

  it('accepts the first candidate short enough', () => {
    const d = decide('the old man walked home slowly', ['a long way to go now', 'quickly', 'he ran'])
    expect(d).toEqual({ action: 'accepted', chosenIndex: 1, finalText: 'quickly' })
  })

  it('cuts the shortest candidate to the limit when none is short enough', () => {
    const d = decide('one two three four', ['a b c d e', 'f g h i', 'j k l m n'])
    expect(d).toEqual({ action: 'accepted_edited', chosenIndex: 1, finalText: 'f g h' })
  })

  it('keeps the original when every candidate is empty', () => {
    expect(decide('one two', ['', ' '])).toEqual({ action: 'rejected_all', chosenIndex: null, finalText: 'one two' })
  })

  it('draws the same tasks from the same seed, each a passage with a 4-8 word span', () => {
    const doc = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ')
    const a = makeTasks([doc], 20, 3, 't')
    expect(makeTasks([doc], 20, 3, 't')).toEqual(a)
    expect(makeTasks([doc], 20, 4, 't')).not.toEqual(a)
    for (const t of a) {
      expect(countWords(t.text)).toBe(PASSAGE_WORDS)
      const span = t.text.slice(t.from, t.to)
      expect(countWords(span)).toBeGreaterThanOrEqual(4)
      expect(countWords(span)).toBeLessThanOrEqual(8)
      expect(span).toBe(span.trim())
      expect(countWords(t.text.slice(0, t.from))).toBeGreaterThanOrEqual(8)
    }
  })
})
