import { describe, expect, it } from 'vitest'
import { TextSelection, type EditorState } from 'prosemirror-state'
import { DEFAULT_SAMPLING } from '../../../main/contract'
import { toggleMask } from './commands'
import { buildFillRequest, findMaskedSpans } from './spans'
import { contextWords, countWords, describeLength, maskForRewrite, parseWordRange, selectionUnmasked, setSpanLength, spanLengthAtSelection } from './span-length'
import { docOf, find, locked, para, stateOf } from './test-helpers'

function select(state: EditorState, text: string): EditorState {
  const from = find(state.doc, text)
  return state.apply(state.tr.setSelection(TextSelection.create(state.doc, from, from + text.length)))
}
function exec(state: EditorState, cmd: (s: EditorState, d?: (tr: any) => void) => boolean): EditorState {
  let next = state
  expect(cmd(state, (tr) => (next = state.apply(tr)))).toBe(true)
  return next
}
const base = () => stateOf(docOf(para(locked('The old lighthouse stood on the cliff.')), para(locked('Gulls wheeled.'))))

describe('length in words', () => {
  it('counts words and says how much text the model sees', () => {
    expect(countWords('  the old  lighthouse ')).toBe(3)
    expect(countWords('')).toBe(0)
    expect(contextWords(256)).toBe(200) // the default model: 256 tokens
    expect(contextWords(32)).toBe(25)
  })

  it('describes targets in words', () => {
    expect(describeLength(null, 3)).toBe('about 3 words')
    // the range every candidate is held to (shorter than 16 words: 6–12)
    expect(describeLength('shorter', 16)).toBe('6–12 words (shorter)')
    expect(describeLength('shorter', 3)).toBe('2 words (shorter)')
    expect(describeLength('longer', 1)).toBe('3–5 words (longer)')
    expect(describeLength('same', 0)).toBe('6–10 words (about the same)')
    expect(describeLength({ minWords: 2, maxWords: 5 }, 3)).toBe('2–5 words')
    expect(describeLength({ minWords: 0, maxWords: 2 }, 3)).toBe('0–2 words')
  })

  it('parses a range and says what is wrong with a bad one', () => {
    expect(parseWordRange('2', '5')).toEqual({ minWords: 2, maxWords: 5 })
    expect(parseWordRange('4', '')).toEqual({ minWords: 4, maxWords: 4 })
    expect(parseWordRange('5', '2')).toMatch(/must not be below/)
    expect(parseWordRange('0', '3')).toEqual({ minWords: 0, maxWords: 3 }) // the fill may be empty
    expect(parseWordRange('0', '0')).toMatch(/1 or more/)
    expect(parseWordRange('-1', '3')).toMatch(/0 or more/)
    expect(parseWordRange('2.5', '3')).toMatch(/whole numbers/)
    expect(parseWordRange('1', '900')).toMatch(/500/)
  })
})

describe('span length commands', () => {
  it('sets a target on the span at the caret, keeps it across unrelated edits and sends it in the request', () => {
    let s = exec(select(base(), 'old lighthouse'), toggleMask(8))
    s = s.apply(s.tr.setSelection(TextSelection.create(s.doc, find(s.doc, 'lighthouse') + 2)))
    expect(spanLengthAtSelection(s)).toMatchObject({ words: 2, length: null })
    s = exec(s, setSpanLength('longer'))
    expect(spanLengthAtSelection(s)?.length).toBe('longer')
    s = exec(s, setSpanLength({ minWords: 3, maxWords: 6 }))
    const built = buildFillRequest(s.doc, 'r1', DEFAULT_SAMPLING)!
    expect(built.request.spans).toEqual([{ id: 's1', from: 4, to: 18, length: { minWords: 3, maxWords: 6 } }])
    // Survives a JSON round trip (the marks file).
    const again = s.doc.type.schema.nodeFromJSON(s.doc.toJSON())
    expect(findMaskedSpans(again)[0].length).toEqual({ minWords: 3, maxWords: 6 })
  })

  it('a span without a target sends none (the engine keeps its own budget)', () => {
    const s = exec(select(base(), 'old'), toggleMask(8))
    expect(buildFillRequest(s.doc, 'r1', DEFAULT_SAMPLING)!.request.spans[0]).toEqual({ id: 's1', from: 4, to: 7 })
  })

  it('an empty gap carries a target too', () => {
    let s = base()
    s = s.apply(s.tr.setSelection(TextSelection.create(s.doc, find(s.doc, ' stood'))))
    s = exec(s, toggleMask(8))
    s = s.apply(s.tr.setSelection(TextSelection.create(s.doc, find(s.doc, ' stood') - 1)))
    s = exec(s, setSpanLength('shorter'))
    expect(findMaskedSpans(s.doc)).toMatchObject([{ kind: 'slot', slots: 8, length: 'shorter' }])
  })

  it('rewrite masks an unmasked selection with its target and keeps it selected; refuses a masked one or two paragraphs', () => {
    let s = select(base(), 'old lighthouse')
    expect(selectionUnmasked(s)).toBe(true)
    s = exec(s, maskForRewrite('shorter'))
    expect(findMaskedSpans(s.doc)).toMatchObject([{ original: 'old lighthouse', length: 'shorter' }])
    expect(s.doc.textBetween(s.selection.from, s.selection.to)).toBe('old lighthouse')
    expect(selectionUnmasked(s)).toBe(false)
    expect(maskForRewrite(null)(s)).toBe(false)
    const both = base()
    const from = find(both.doc, 'cliff')
    const two = both.apply(both.tr.setSelection(TextSelection.create(both.doc, from, find(both.doc, 'wheeled'))))
    expect(selectionUnmasked(two)).toBe(true)
    expect(maskForRewrite(null)(two)).toBe(false)
  })
})

describe('Mod-M at a bare cursor inside a mask', () => {
  it('unmasks the span instead of inserting a gap mid-word; at its edge it still inserts a gap', () => {
    let s = exec(select(base(), 'old lighthouse'), toggleMask(8))
    s = s.apply(s.tr.setSelection(TextSelection.create(s.doc, find(s.doc, 'lighthouse') + 3)))
    s = exec(s, toggleMask(8))
    expect(findMaskedSpans(s.doc)).toEqual([])
    expect(s.doc.textContent).toContain('old lighthouse')
    let t = exec(select(base(), 'old'), toggleMask(8)) // caret rests at the span's end
    t = exec(t, toggleMask(8))
    expect(findMaskedSpans(t.doc).map((x) => x.kind)).toEqual(['text', 'slot'])
  })
})
