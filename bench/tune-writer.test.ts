import { describe, expect, it } from 'vitest'
import { countWords, decide, drawTasks, echoes, inBand, NO_ECHO, PASSAGE_WORDS, passagesOf, sameBand, WORD_LIST, randomLabels } from './tune-writer'

const ctx = (prefix: string, original: string, suffix: string) => ({ prefix, original, suffix })

describe('the Same band', () => {
  it('is the engine\'s Same range of the original\'s words', () => {
    expect(sameBand('one two three four')).toEqual({ minWords: 3, maxWords: 5 })
    expect(inBand('a b c', 'one two three four')).toBe(true)
    expect(inBand('a b', 'one two three four')).toBe(false)
    expect(inBand('a b c d e f', 'one two three four')).toBe(false)
    expect(countWords('  a  b\nc ')).toBe(3)
  })
})

describe('the no-echo writer', () => {
  const c = ctx('The captain watched the whale rise ', 'slowly out of the grey water', ' while the sailors waited by the boats.')

  it('finds content words of the passage repeated in a fill, not function words', () => {
    expect(echoes('the whale swam to the boats', c)).toEqual([1, 5])
    expect(echoes('a long way from the sea', c)).toEqual([])
  })

  it('accepts the first candidate in the band without an echo, and lists the others it would keep', () => {
    const d = decide(NO_ECHO, c, ['far too short', 'near the whale in the sea', 'high above a calm grey sea', 'over the dark and quiet sea'])
    expect(d).toEqual({ action: 'accepted', chosenIndex: 2, finalText: 'high above a calm grey sea', alike: [3] })
  })

  it('edits an echo back to the original\'s word, keeping the word count', () => {
    const d = decide(NO_ECHO, c, ['up', 'slowly out of the captain water'])
    expect(d.action).toBe('accepted_edited')
    expect(d.chosenIndex).toBe(1)
    expect(d.finalText).toBe('slowly out of the grey water')
    expect(countWords(d.finalText)).toBe(countWords('slowly out of the captain water'))
  })

  it('keeps the original when nothing in the band can be kept or edited', () => {
    expect(decide(NO_ECHO, c, ['up', 'down there'])).toEqual({ action: 'rejected_all', chosenIndex: null, finalText: 'slowly out of the grey water', alike: [] })
  })
})

describe('the word-list writer', () => {
  const c = ctx('It was ', 'a long and quiet night', ' at the inn.')

  it('wants a listed word and no banned one', () => {
    expect(WORD_LIST.meets('a cold but quiet night', c)).toBe(true)
    expect(WORD_LIST.meets('the cold and quiet night', c)).toBe(false)
    expect(WORD_LIST.meets('one cold quiet night there', c)).toBe(false)
  })

  it('swaps each banned word for its listed one (case kept) and keeps that edit', () => {
    const d = decide(WORD_LIST, c, ['x', 'The cold and quiet night'])
    expect(d).toEqual({ action: 'accepted_edited', chosenIndex: 1, finalText: 'A cold but quiet night', alike: [] })
  })

  it('rejects all when no candidate in the band has a banned word to swap or meets the list', () => {
    expect(decide(WORD_LIST, c, ['one cold quiet night there']).action).toBe('rejected_all')
  })
})

describe('the tasks', () => {
  const doc = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ')
  const docs = [
    { id: 'd1', source: 'a', text: doc(300, 'a') },
    { id: 'd2', source: 'b', text: doc(200, 'b') },
    { id: 'd3', source: 'c', text: `${doc(70, 'c')}\n${doc(70, 'k')}` },
  ]

  it('cuts a document into non-overlapping passages', () => {
    const ps = passagesOf(docs[0].text)
    expect(ps).toHaveLength(Math.floor(300 / PASSAGE_WORDS))
    expect(new Set(ps.flatMap((p) => p.split(' '))).size).toBe(ps.length * PASSAGE_WORDS)
  })

  it('draws without replacement from every source, the same tasks for the same seed', () => {
    const tasks = drawTasks(docs, 8, 3, 't')
    expect(drawTasks(docs, 8, 3, 't')).toEqual(tasks)
    expect(new Set(tasks.map((t) => t.text)).size).toBe(8)
    expect(new Set(tasks.map((t) => t.source))).toEqual(new Set(['a', 'b', 'c']))
    for (const t of tasks) {
      const span = t.text.slice(t.from, t.to)
      expect(countWords(span)).toBeGreaterThanOrEqual(4)
      expect(countWords(span)).toBeLessThanOrEqual(8)
      expect(span).not.toContain('\n')
      expect(countWords(t.text.slice(0, t.from))).toBeGreaterThanOrEqual(8)
    }
    expect(() => drawTasks(docs, 10, 3, 't')).toThrow(/hold 9 passages/)
  })
})

describe('the random-label control', () => {
  it('keeps the writer\'s text no more often than any other, and pairs the kept text with every other', () => {
    // 600 decisions of 3 texts each, the writer's kept text first
    const lines = Array.from({ length: 600 }, (_, d) => [
      { decision_id: d, chosen: `w${d}`, rejected: `a${d}`, request_id: `r${d}` },
      { decision_id: d, chosen: `w${d}`, rejected: `b${d}`, request_id: `r${d}` },
    ]).flat()
    const out = randomLabels(lines, 3)
    const keptOf = new Map(out.map((l) => [l.decision_id, l.chosen]))
    expect(keptOf.size).toBe(600)
    const writers = [...keptOf.entries()].filter(([d, c]) => c === `w${d}`).length
    expect(writers / 600).toBeGreaterThan(0.25)
    expect(writers / 600).toBeLessThan(0.42) // 1 in 3, far from the 2 in 3 a half-kept label gives
    for (const [d, c] of keptOf) {
      const mine = out.filter((l) => l.decision_id === d)
      expect(mine).toHaveLength(2)
      expect(new Set(mine.map((l) => l.rejected))).toEqual(new Set([`w${d}`, `a${d}`, `b${d}`].filter((t) => t !== c)))
      expect(mine.every((l) => l.request_id === `r${d}`)).toBe(true)
    }
    expect(randomLabels(lines, 3)).toEqual(out) // seeded
  })
})
