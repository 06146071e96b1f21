import { describe, expect, it } from 'vitest'
import { cleanDevilsDictionary, ngramOverlap, normalizeLine } from './heldout-text'

/** The dict-devil layout in miniature: dictfmt header, PREFACE, wrapped prose, verse, attributions, alphabet line. */
const RAW = [
  '00-database-info',
  'The original data is available from the wiretap.',
  '',
  '                              PREFACE',
  '',
  '_The Devil\u2019s Dictionary_ was begun in a weekly paper in 1881, and was',
  'continued in a desultory way.',
  '    Meantime, too, some of the humorists had helped',
  'themselves to it.',
  '                                                                  A.B.',
  '',
  'ABDICATION, n.  An act whereby a sovereign attests his sense of the',
  'high temperature of the throne.',
  '',
  '    Poor Isabella\u2019s Dead, whose abdication',
  '    Set all tongues wagging in the Spanish nation.',
  '                                                                  G.J.',
  '',
  'ABRACADABRA.',
  '',
  '    By _Abracadabra_ we signify',
  '        An infinite number of things.',
  '',
  ' abcdefghijklmnopqrstuvwxyz',
].join('\n')

describe('held-out text cleaning', () => {
  it('keeps the text after PREFACE in the corpus format: one entry per document, paragraphs joined, verse kept', () => {
    expect(cleanDevilsDictionary(RAW)).toBe(
      [
        "The Devil's Dictionary was begun in a weekly paper in 1881, and was continued in a desultory way.",
        'Meantime, too, some of the humorists had helped themselves to it.',
        '',
        'ABDICATION, n. An act whereby a sovereign attests his sense of the high temperature of the throne.',
        "Poor Isabella's Dead, whose abdication",
        'Set all tongues wagging in the Spanish nation.',
        '',
        'ABRACADABRA.',
        'By Abracadabra we signify',
        'An infinite number of things.',
        '',
      ].join('\n'),
    )
  })

  it('refuses a file that is not the dictionary it knows', () => {
    expect(() => cleanDevilsDictionary('some other text')).toThrow(/no PREFACE line/)
  })

  it('normalises like the training corpus', () => {
    expect(normalizeLine('  \u201cQuoted\u201d  and\tspaced \uFB01ne ')).toBe('"Quoted" and spaced fine')
  })

  it('counts the held-out word 10-grams that also occur in training text', () => {
    const held = 'one two three four five six seven eight nine ten eleven'
    expect(ngramOverlap(held, ['x One two three four five', 'six seven eight nine ten! y'])).toEqual({ shared: 1, total: 2 })
    expect(ngramOverlap(held, ['nothing in common'])).toEqual({ shared: 0, total: 2 })
  })
})
