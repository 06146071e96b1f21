/**
 * Words counted from decoded pieces in any reveal order, the slot bans, the end read from pad
 * probabilities, and a fill's confidence. The counting is checked against the writer's count
 * (wordCount on the joined text) over random piece sequences and reveal orders (fast-check;
 * seed printed, INFILL_PROP_SEED / INFILL_PROP_RUNS).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fillConfidence } from './fill'
import { wordCount } from './length-target'
import { breakRuleOf, chooseEnd, countPieceWords, pieceTable, SlotBans, UNKNOWN, wordsAdded } from './word-rules'

const PIECES = ['', '<unk>', '', '<mask>', '\n', ' the', ' cat', 's', ',', ' a', 'ing', ' ', ' dog', 'x y', '\n\nThe', ' end.\n']
const table = pieceTable(PIECES.length, (id) => PIECES[id])
const SEED = process.env.INFILL_PROP_SEED !== undefined ? Number(process.env.INFILL_PROP_SEED) : Math.floor(Math.random() * 0x7fffffff)
const RUNS = Number(process.env.INFILL_PROP_RUNS ?? 300)

describe('pieceTable and wordsAdded', () => {
  it('classifies pieces by their text', () => {
    expect(table.empty[0]).toBe(1)
    expect([table.inner[5], table.leadText[5], table.trailSpace[5]]).toEqual([1, 0, 0]) // " the"
    expect([table.inner[7], table.leadText[7]]).toEqual([0, 1]) // "s"
    expect([table.inner[13], table.leadText[13]]).toEqual([1, 1]) // "x y"
    expect([table.lineBreak[4], table.startsBreak[4], table.trailSpace[4]]).toEqual([1, 1, 1])
    expect([table.lineBreak[15], table.startsBreak[15]]).toEqual([1, 0]) // " end.\n"
  })

  it('a fill\'s first piece starts a word even without a leading space; a continuation does not', () => {
    expect(wordsAdded(table, 7, true, UNKNOWN, UNKNOWN)).toBe(1)
    expect(wordsAdded(table, 7, false, 6, UNKNOWN)).toBe(0)
    // after a piece ending in a space (or line break) it does
    expect(wordsAdded(table, 7, false, 11, UNKNOWN)).toBe(1)
    // a space piece revealed after the text to its right counts that text's start
    expect(wordsAdded(table, 11, false, 6, 7)).toBe(1)
    expect(countPieceWords(table, [6, 7, 8, 11, 10], (id) => id === 0)).toBe(wordCount(' cats, ing'))
  })

  it(`the words revealed in any order add up to the writer's count (seed ${SEED}, ${RUNS} runs)`, () => {
    process.stdout.write(`word-rules property test: seed ${SEED} (set INFILL_PROP_SEED to replay), ${RUNS} runs\n`)
    const textIds = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...textIds), { minLength: 1, maxLength: 10 }).chain((ids) => fc.tuple(fc.constant(ids), fc.shuffledSubarray(ids.map((_, i) => i), { minLength: ids.length, maxLength: ids.length }))),
        ([ids, order]) => {
          const revealed: number[] = ids.map(() => UNKNOWN)
          let n = 0
          for (const k of order) {
            n += wordsAdded(table, ids[k], k === 0, k > 0 ? revealed[k - 1] : UNKNOWN, k + 1 < ids.length ? revealed[k + 1] : UNKNOWN)
            revealed[k] = ids[k]
            // the count never exceeds the final one (a word limit held at a reveal holds at the end)
            expect(n).toBeLessThanOrEqual(wordCount(ids.map((id) => PIECES[id]).join('')))
          }
          expect(n).toBe(wordCount(ids.map((id) => PIECES[id]).join('')))
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  })
})

describe('SlotBans', () => {
  const banned = Uint8Array.from(PIECES, (_, id) => (id === 1 || id === 2 || id === 3 ? 1 : 0))
  const bans = new SlotBans(table, banned, 0)
  const allowed = (m: Uint8Array) => PIECES.map((_, id) => id).filter((id) => !m[id])
  const base = { first: false, prev: UNKNOWN, next: UNKNOWN, nextMasked: false, lo: -5, hi: 5, breaks: 0 as const, pad: false }

  it('bans pad unless allowed, specials, empty pieces, a piece ending in a space and line breaks the original had none of', () => {
    expect(allowed(bans.mask(base))).toEqual([5, 6, 7, 8, 9, 10, 12, 13])
    expect(allowed(bans.mask({ ...base, pad: true }))).toContain(0)
    // line breaks inside, but not first, when the original had one inside
    expect(allowed(bans.mask({ ...base, breaks: 1 }))).toEqual(expect.arrayContaining([4, 14, 15]))
    expect(allowed(bans.mask({ ...base, breaks: 1, first: true }))).not.toContain(4)
    expect(allowed(bans.mask({ ...base, breaks: 1, first: true }))).toContain(15)
    expect(allowed(bans.mask({ ...base, breaks: 2, first: true }))).toContain(4)
  })

  it('holds a slot to the words it may add', () => {
    // at most 0 words after a revealed text piece: continuations only
    expect(allowed(bans.mask({ ...base, prev: 6, hi: 0 }))).toEqual([7, 8, 10])
    // a first slot's text starts a word: with none allowed, only pad
    expect(allowed(bans.mask({ ...base, first: true, hi: 0, pad: true }))).toEqual([0])
    // after a line break every piece starts a word: with none allowed, nothing fits, and the
    // mask falls back to the model's own bans (the judge then rejects the row)
    expect(bans.mask({ ...base, prev: 4, next: 7, hi: 0, breaks: 1 })).toBe(banned)
    // a line break before a masked slot counts the word that slot will start
    expect(allowed(bans.mask({ ...base, prev: 6, nextMasked: true, hi: 0, breaks: 1 }))).not.toContain(4)
    expect(allowed(bans.mask({ ...base, prev: 6, nextMasked: true, hi: 1, breaks: 1 }))).toContain(4)
    // at least one word
    expect(allowed(bans.mask({ ...base, prev: 6, lo: 1 }))).toEqual([5, 6, 9, 12, 13])
  })

  it('a first slot after the writer\'s space takes no piece that would glue onto the word before; punctuation it may', () => {
    const first = { ...base, first: true }
    // 's', 'ing' and 'x y' start with a letter and no space: "so⟦re⟧" would read "sore"
    expect(allowed(bans.mask({ ...first, afterSpace: true }))).toEqual([5, 6, 8, 9, 12])
    expect(allowed(bans.mask(first))).toEqual([5, 6, 7, 8, 9, 10, 12, 13])
    // only a span's first slot
    expect(allowed(bans.mask({ ...base, afterSpace: true }))).toEqual(allowed(bans.mask(base)))
  })
})

describe('chooseEnd', () => {
  it('absolute: ends at the first slot from the minimum whose pad probability reaches the threshold, else uses every slot', () => {
    expect(chooseEnd([0.1, 0.2, 0.6, 0.9], 1, 0.5, 'absolute')).toBe(2)
    expect(chooseEnd([0.7, 0.2, 0.6, 0.9], 1, 0.5, 'absolute')).toBe(2) // before the minimum does not count
    expect(chooseEnd([0.7, 0.2, 0.6, 0.9], 0, 0.5, 'absolute')).toBe(0) // a minimum of 0: the fill may be empty
    expect(chooseEnd([0.1, 0.2, 0.3], 1, 0.5, 'absolute')).toBe(3)
  })
  it('peak: the threshold is a share of the span\'s highest pad probability; the same as absolute for a calibrated model', () => {
    expect(chooseEnd([0.01, 0.05, 0.1, 0.2, 0.34, 0.2], 1)).toBe(3) // 0.2 >= 0.17
    expect(chooseEnd([0.01, 0.2, 0.6, 0.98, 1], 1)).toBe(2) // peak 1: the plain 0.5 crossing
    expect(chooseEnd([0.01, 0.02, 0.05, 0.08], 1)).toBe(4) // no slot looks like an end: the whole budget
    expect(chooseEnd([0.3, 0.02, 0.05, 0.08], 1)).toBe(4) // the peak counts from the minimum on
  })
})

describe('breakRuleOf', () => {
  it('allows as many kinds of line break as the original had', () => {
    expect(breakRuleOf('the cat')).toBe(0)
    expect(breakRuleOf('the cat.\n\nThen')).toBe(1)
    expect(breakRuleOf('\nThen')).toBe(2)
  })
})

describe('fillConfidence', () => {
  it('averages the text slots and the pad that ended the fill, not the pads copying it', () => {
    expect(fillConfidence([5, 6, 0, 0, 0], [0.9, 0.5, 0.4, 0.4, 0.4], 0)).toBeCloseTo((0.9 + 0.5 + 0.4) / 3)
    expect(fillConfidence([5, 6], [0.9, 0.5], 0)).toBeCloseTo(0.7)
    expect(fillConfidence([0, 0], [0.8, 0.8], 0)).toBeCloseTo(0.8)
  })
})
