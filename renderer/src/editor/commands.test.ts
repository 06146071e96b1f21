import { describe, expect, it } from 'vitest'
import { TextSelection, type EditorState } from 'prosemirror-state'
import { setSpanSlots, spanAtSelection, toggleLock, toggleMask } from './commands'
import { findMaskedSpans } from './spans'
import { docOf, find, locked, para, stateOf } from './test-helpers'

function select(state: EditorState, text: string, extra = 0): EditorState {
  const from = find(state.doc, text)
  return state.apply(state.tr.setSelection(TextSelection.create(state.doc, from - extra, from + text.length + extra)))
}

function exec(state: EditorState, cmd: (s: EditorState, d?: (tr: any) => void) => boolean): EditorState {
  let next = state
  expect(cmd(state, (tr) => (next = state.apply(tr)))).toBe(true)
  return next
}

const marksAt = (s: EditorState, text: string) => s.doc.nodeAt(find(s.doc, text))!.marks.map((m) => m.type.name).sort()

describe('mark commands', () => {
  const base = () => stateOf(docOf(para(locked('The old lighthouse stood.'))))

  it('masks the selection trimmed of spaces, replacing its lock, and unmasks it again as locked text', () => {
    let s = select(base(), 'old', 1) // " old " with the spaces around it
    s = exec(s, toggleMask(8))
    expect(findMaskedSpans(s.doc).map((x) => x.original)).toEqual(['old'])
    expect(marksAt(s, 'old')).toEqual(['masked'])
    s = select(s, 'old')
    s = exec(s, toggleMask(8))
    expect(findMaskedSpans(s.doc)).toEqual([])
    expect(marksAt(s, 'old')).toEqual(['locked'])
  })

  it('inserts an empty slot of the chosen length at a bare cursor', () => {
    let s = base()
    const at = find(s.doc, ' stood')
    s = s.apply(s.tr.setSelection(TextSelection.create(s.doc, at)))
    s = exec(s, toggleMask(5))
    const spans = findMaskedSpans(s.doc)
    expect(spans).toMatchObject([{ kind: 'slot', slots: 5, charFrom: 18, charTo: 18 }])
  })

  it('locks and unlocks; locking masked text unmasks it', () => {
    let s = select(base(), 'lighthouse')
    s = exec(s, toggleLock)
    expect(marksAt(s, 'lighthouse')).toEqual([])
    s = exec(select(s, 'lighthouse'), toggleMask(8))
    s = exec(select(s, 'lighthouse'), toggleLock)
    expect(marksAt(s, 'lighthouse')).toEqual(['locked'])
  })

  it('locking a range with an empty gap in it leaves the gap unlocked (its fill can be accepted)', () => {
    const start = stateOf(docOf(para('It was a dark night.')))
    let s = exec(start.apply(start.tr.setSelection(TextSelection.create(start.doc, 9))), toggleMask(4))
    expect(findMaskedSpans(s.doc)).toMatchObject([{ kind: 'slot' }])
    s = exec(s.apply(s.tr.setSelection(TextSelection.create(s.doc, 1, s.doc.content.size - 1))), toggleLock)
    let slotMarks: string[] | null = null
    s.doc.descendants((n) => void (n.type.name === 'mask_slot' && (slotMarks = n.marks.map((m) => m.type.name))))
    expect(slotMarks).toEqual([])
    expect(findMaskedSpans(s.doc)).toMatchObject([{ kind: 'slot' }])
  })

  it('makes the span at the cursor shorter or longer, from the estimate when it had no budget', () => {
    let s = exec(select(base(), 'old lighthouse'), toggleMask(8))
    expect(spanAtSelection(s)).toMatchObject({ original: 'old lighthouse', slots: null })
    s = exec(s, setSpanSlots((n) => n + 1))
    expect(spanAtSelection(s)!.slots).toBe(5) // estimate 4, plus one
    s = exec(s, setSpanSlots((n) => n - 10))
    expect(spanAtSelection(s)!.slots).toBe(1)
    expect(findMaskedSpans(s.doc)).toMatchObject([{ original: 'old lighthouse', slots: 1 }])
  })
})
