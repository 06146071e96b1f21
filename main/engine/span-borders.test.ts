import { describe, expect, it } from 'vitest'
import { applyBorderedFills, fitBorders, spanFill, type SpanBorders } from './span-borders'
import { TokenizerCodec } from './text-codec'
import { unigramTokenizerJson } from './test-fixtures'

/** Borders of span `from..to` in `text`, as fill.ts derives them (leading spaces tokenized with the span). */
function borders(text: string, from: number, to: number): SpanBorders {
  let lead = 0
  while (from - lead > 0 && text[from - lead - 1] === ' ') lead++
  let trail = 0
  while (to - trail > from && text[to - trail - 1] === ' ') trail++
  return {
    leadingSpace: ' '.repeat(lead),
    trailingSpace: ' '.repeat(trail),
    before: text.slice(0, from),
    after: text.slice(to),
    insertion: from === to,
    trimmable: lead,
  }
}

/** The document after filling `from..to` with `decoded` (the fill as the tokens decode, leading space intact). */
function filled(text: string, from: number, to: number, decoded: string): string {
  return applyBorderedFills(text, [{ id: 's', from, to }], new Map([['s', fitBorders(decoded, borders(text, from, to))]]))
}

describe('span borders follow the fill', () => {
  it('a fill that starts without a space joins the word before it', () => {
    const text = 'The man is a cat.'
    const from = text.indexOf('is')
    expect(filled(text, from, from + 'is a cat'.length, "'s a dog")).toBe("The man's a dog.")
    expect(filled(text, from, from + 2, ', he said,')).toBe('The man, he said, a cat.')
    expect(fitBorders("'s a dog", borders(text, from, from + 2)).trimBefore).toBe(1)
  })

  it('a fill with its own leading space keeps exactly one space before it', () => {
    const text = 'The man is a cat.'
    const from = text.indexOf('is')
    expect(filled(text, from, from + 2, ' was')).toBe('The man was a cat.')
  })

  it('a fill that starts with a line break keeps the space before it (it does not join the word before)', () => {
    const text = 'The night was long.'
    const from = text.indexOf('long')
    expect(fitBorders('\ngrey', borders(text, from, from + 4))).toEqual({ text: '\ngrey', trimBefore: 0 })
    expect(filled(text, from, from + 4, ' \ngrey')).toBe('The night was \ngrey.')
  })

  it('an empty fill at a line start takes the spaces after it', () => {
    const text = 'First.\nSlowly it ended.'
    const from = text.indexOf('Slowly')
    expect(filled(text, from, from + 6, '')).toBe('First.\nit ended.')
    expect(filled('Slowly it ended.', 0, 6, '')).toBe('it ended.')
  })

  it('never starts a line (or the text) with a space', () => {
    const text = 'First line.\nSecond line here.'
    const from = text.indexOf('Second')
    expect(filled(text, from, from + 'Second'.length, ' Third')).toBe('First line.\nThird line here.')
    expect(filled(text, 0, 5, ' Last')).toBe('Last line.\nSecond line here.')
  })

  it('an empty fill leaves one space between its neighbours, not two', () => {
    const text = 'The big black cat sat.'
    const from = text.indexOf('black')
    expect(filled(text, from, from + 5, '')).toBe('The big cat sat.')
    expect(filled(text, text.indexOf('sat'), text.indexOf('sat') + 3, '')).toBe('The big black cat.')
    // two adjacent spans, the first filled with nothing
    const a = { id: 'a', from: text.indexOf('big'), to: text.indexOf('big') + 3 }
    const b = { id: 'b', from: text.indexOf('black'), to: text.indexOf('black') + 5 }
    const fills = new Map([
      ['a', fitBorders('', borders(text, a.from, a.to))],
      ['b', fitBorders(' brown', borders(text, b.from, b.to))],
    ])
    expect(applyBorderedFills(text, [a, b], fills)).toBe('The brown cat sat.')
  })

  it("puts a span's trailing spaces back after a non-empty fill, and never doubles a space after it", () => {
    const text = 'The cat sat.'
    expect(filled(text, 4, 8, ' dog')).toBe('The dog sat.') // the span is "cat "
    expect(filled(text, 4, 7, ' dog ')).toBe('The dog sat.')
  })

  it('an insertion right before a word ends with a space', () => {
    const text = 'It ended. Next day'
    const at = text.indexOf('Next')
    expect(filled(text, at, at, ' Then it rained.')).toBe('It ended. Then it rained. Next day')
    // mid-word insertions are left as the model wrote them
    expect(filled('unbelievable', 2, 2, 'x')).toBe('unxbelievable')
  })

  it('never trims into another span: trimBefore stops at the spaces that belong to this span', () => {
    const f = fitBorders("'s", { ...borders('a b', 2, 3), trimmable: 0 })
    expect(f).toEqual({ text: "'s", trimBefore: 0 })
  })

  it('spanFill drops pads and decodes with the leading space intact before fitting', () => {
    const codec = new TokenizerCodec(unigramTokenizerJson())
    const ids = [codec.idOf("'")!, codec.idOf('s')!, codec.idOf('▁dog')!, 0, 0]
    const text = 'The man is here'
    const from = text.indexOf('is')
    const f = spanFill(ids, 0, codec, borders(text, from, from + 2))
    expect(f.kept).toEqual(ids.slice(0, 3))
    expect(applyBorderedFills(text, [{ id: 's', from, to: from + 2 }], new Map([['s', f]]))).toBe("The man's dog here")
  })
})
