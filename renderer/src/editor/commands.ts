/**
 * The writer's mark commands, as ProseMirror commands (state, dispatch) => boolean:
 * mask / unmask, insert an empty slot, lock / unlock, and make a span shorter or longer.
 * All carry the 'command' origin so auto-lock leaves what they do alone.
 */
import type { Command, EditorState, Transaction } from 'prosemirror-state'
import { NodeSelection, TextSelection } from 'prosemirror-state'
import { setOrigin } from './origin'
import { clampSlots, schema } from './schema'
import { estimateSlots, maskedRunsInBlock, type BlockSpan } from './spans'

/** The selection shrunk so it neither starts nor ends on whitespace. */
export function trimmedSelection(state: EditorState): { from: number; to: number } | null {
  let { from, to } = state.selection
  const doc = state.doc
  const isSpace = (a: number, b: number) => /^\s$/.test(doc.textBetween(a, b, ' ', ' '))
  while (from < to && isSpace(from, from + 1)) from++
  while (to > from && isSpace(to - 1, to)) to--
  return to > from ? { from, to } : null
}

function allText(state: EditorState, from: number, to: number, has: (marks: readonly import('prosemirror-model').Mark[]) => boolean): boolean {
  let all = true
  let any = false
  state.doc.nodesBetween(from, to, (node) => {
    if (!node.isText) return true
    any = true
    if (!has(node.marks)) all = false
    return false
  })
  return any && all
}

/** Locks the writer text (not model text) in from..to of the transaction's document. */
function relockWriterText(tr: Transaction, from: number, to: number): void {
  tr.doc.nodesBetween(from, to, (node, pos) => {
    if (!node.isText) return true
    if (schema.marks.generated.isInSet(node.marks)) return false
    tr.addMark(Math.max(pos, from), Math.min(pos + node.nodeSize, to), schema.marks.locked.create())
    return false
  })
}

/** Inserts an empty mask slot of `slots` slots at the cursor. */
export function insertSlot(slots: number): Command {
  return (state, dispatch) => {
    const node = schema.nodes.mask_slot.create({ slots: clampSlots(slots) })
    const { $from, $to } = state.selection
    if (!$from.parent.inlineContent || !$from.parent.canReplaceWith($from.index(), $to.indexAfter(), schema.nodes.mask_slot)) return false
    if (dispatch) {
      const tr = state.tr.replaceSelectionWith(node, false)
      dispatch(setOrigin(tr, 'command').scrollIntoView())
    }
    return true
  }
}

/**
 * Mod-M: mask the selection (trimmed of surrounding spaces); unmask it if it is all masked
 * already; at a bare cursor, insert an empty slot of `slotLength` slots. A bare cursor inside a masked
 * span unmasks that span.
 */
export function toggleMask(slotLength: number): Command {
  return (state, dispatch) => {
    if (state.selection instanceof NodeSelection && state.selection.node.type === schema.nodes.mask_slot) {
      if (dispatch) dispatch(setOrigin(state.tr.deleteSelection(), 'command'))
      return true
    }
    if (state.selection.empty) {
      // Inside masked text (not at its edge) the caret unmasks the span instead of splitting a word.
      const pos = state.selection.from
      const span = spanAtSelection(state)
      if (span && span.kind === 'text' && span.from < pos && pos < span.to) {
        if (dispatch) {
          const tr = state.tr.removeMark(span.from, span.to, schema.marks.masked)
          relockWriterText(tr, span.from, span.to)
          dispatch(setOrigin(tr, 'command'))
        }
        return true
      }
      return insertSlot(slotLength)(state, dispatch)
    }
    const range = trimmedSelection(state)
    if (!range) return false
    const { from, to } = range
    if (dispatch) {
      const tr = state.tr
      if (allText(state, from, to, (m) => !!schema.marks.masked.isInSet(m))) {
        tr.removeMark(from, to, schema.marks.masked)
        relockWriterText(tr, from, to)
      } else {
        tr.removeMark(from, to, schema.marks.masked)
        tr.removeMark(from, to, schema.marks.locked)
        tr.addMark(from, to, schema.marks.masked.create({ slots: null }))
        // The cursor rests at the span's end: the next Regenerate fills every mask, not just this one.
        tr.setSelection(TextSelection.create(tr.doc, to))
      }
      dispatch(setOrigin(tr, 'command'))
    }
    return true
  }
}

/** Mod-L: lock the selection, or unlock it if it is all locked. Locking a masked span unmasks it. */
export const toggleLock: Command = (state, dispatch) => {
  const range = trimmedSelection(state)
  if (!range) return false
  const { from, to } = range
  if (dispatch) {
    const tr = state.tr
    if (allText(state, from, to, (m) => !!schema.marks.locked.isInSet(m))) tr.removeMark(from, to, schema.marks.locked)
    else {
      tr.removeMark(from, to, schema.marks.masked)
      tr.addMark(from, to, schema.marks.locked.create())
      // An empty gap inside the range stays an open gap: locked, its fill could never be accepted.
      state.doc.nodesBetween(from, to, (node, pos) => {
        if (node.type === schema.nodes.mask_slot) tr.removeMark(pos, pos + node.nodeSize, schema.marks.locked)
      })
    }
    dispatch(setOrigin(tr, 'command'))
  }
  return true
}

/** The masked span holding the cursor (or touching the selection). */
export function spanAtSelection(state: EditorState): BlockSpan | null {
  const { from, to, $from } = state.selection
  // Only the textblock holding the selection's start is searched (cheap on every keystroke).
  if (!$from.parent.isTextblock) return null
  return maskedRunsInBlock($from.parent, $from.start()).find((s) => from <= s.to && to >= s.from) ?? null
}

/** The slot budget a span shows: explicit, else estimated from its text. */
export function spanSlots(span: BlockSpan): number {
  return span.slots ?? estimateSlots(span.original)
}

/** Sets the slot budget of the span at the selection (shorter / longer). */
export function setSpanSlots(slots: number | ((current: number) => number)): Command {
  return (state, dispatch) => {
    const span = spanAtSelection(state)
    if (!span) return false
    const next = clampSlots(typeof slots === 'function' ? slots(spanSlots(span)) : slots)
    if (dispatch) {
      const tr = state.tr
      if (span.kind === 'slot') tr.setNodeMarkup(span.from, undefined, { slots: next, length: span.length ?? null })
      else {
        tr.removeMark(span.from, span.to, schema.marks.masked)
        tr.addMark(span.from, span.to, schema.marks.masked.create({ slots: next, length: span.length ?? null }))
      }
      dispatch(setOrigin(tr, 'command'))
    }
    return true
  }
}

/** Whether every text node in the selection carries the mark (for toolbar states). */
export function selectionHasMark(state: EditorState, mark: 'masked' | 'locked' | 'generated'): boolean {
  const { from, to, empty, $from } = state.selection
  const type = schema.marks[mark]
  if (empty) return !!type.isInSet($from.marks()) || !!($from.nodeAfter && type.isInSet($from.nodeAfter.marks))
  return allText(state, from, to, (m) => !!type.isInSet(m))
}
