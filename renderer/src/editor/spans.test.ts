import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING } from '../../../main/contract'
import { charToPos, plainText, posToChar } from './plain-text'
import { buildFillRequest, findLockedRanges, findMaskedSpans } from './spans'
import { docOf, find, locked, masked, para, slot } from './test-helpers'

describe('plain text and position mapping', () => {
  const doc = docOf(para('Hello ', locked('world'), '.'), para('Second ', masked('block'), ' here.'))

  it('joins blocks with a blank line', () => {
    expect(plainText(doc).text).toBe('Hello world.\n\nSecond block here.')
  })

  it('maps every char offset to its PM position and back', () => {
    const pt = plainText(doc)
    for (let c = 0; c <= pt.text.length; c++) {
      if (pt.text[c - 1] === '\n' && pt.text[c] === '\n') continue // between the two separator chars
      const pos = charToPos(pt, c)
      expect(posToChar(pt, pos)).toBe(c)
    }
    const w = find(doc, 'world')
    expect(charToPos(pt, 6)).toBe(w)
    expect(doc.textBetween(charToPos(pt, 14), charToPos(pt, 20))).toBe('Second')
  })
})

describe('masked spans and locked ranges', () => {
  it('finds masked runs and empty slots with char ranges', () => {
    const doc = docOf(para(locked('The '), masked('old'), locked(' lighthouse'), slot(5), locked(' stood.')), para(masked('Ships', 3), ' passed.'))
    const spans = findMaskedSpans(doc)
    expect(spans.map((s) => [s.kind, s.original, s.charFrom, s.charTo, s.slots])).toEqual([
      ['text', 'old', 4, 7, null],
      ['slot', '', 18, 18, 5],
      ['text', 'Ships', 27, 32, 3],
    ])
    expect(doc.textBetween(spans[0].from, spans[0].to)).toBe('old')
    expect(doc.nodeAt(spans[1].from)?.type.name).toBe('mask_slot')
  })

  it('cuts locked runs at a slot so the slot is never inside locked text', () => {
    const doc = docOf(para(locked('Hello'), slot(4), locked(' world')))
    expect(findLockedRanges(doc)).toEqual([
      { from: 0, to: 5 },
      { from: 5, to: 11 },
    ])
  })

  it('merges adjacent locked text nodes with different marks', () => {
    const doc = docOf(para(locked('one '), { text: 'two', marks: ['locked', 'generated'] }, ' three'))
    expect(findLockedRanges(doc)).toEqual([{ from: 0, to: 7 }])
  })
})

describe('buildFillRequest', () => {
  const doc = docOf(
    para(locked('It was a '), masked('dark'), locked(' night. The keeper '), masked('climbed', 4), locked(' up.')),
    para(slot(6)),
  )

  it('sends every masked span with slot budgets, the text and the locked ranges', () => {
    const built = buildFillRequest(doc, 'r1', DEFAULT_SAMPLING)!
    const { request } = built
    expect(request.text).toBe('It was a dark night. The keeper climbed up.\n\n')
    expect(request.spans).toEqual([
      { id: 's1', from: 9, to: 13 },
      { id: 's2', from: 32, to: 39, slots: 4 },
      { id: 's3', from: 45, to: 45, slots: 6 },
    ])
    for (const s of request.spans) for (const l of request.locked) expect(s.from < l.to && l.from < s.to).toBe(false)
    expect(request.locked.map((l) => request.text.slice(l.from, l.to))).toEqual(['It was a ', ' night. The keeper ', ' up.'])
    expect(request.settings).toEqual(DEFAULT_SAMPLING)
  })

  it('sends only the chosen spans, and nothing when none is chosen', () => {
    const built = buildFillRequest(doc, 'r2', DEFAULT_SAMPLING, (s) => s.original === 'climbed')!
    expect(built.request.spans).toEqual([{ id: 's1', from: 32, to: 39, slots: 4 }])
    expect(buildFillRequest(docOf(para(locked('nothing masked'))), 'r3', DEFAULT_SAMPLING)).toBeNull()
  })
})
