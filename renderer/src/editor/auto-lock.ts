/**
 * Auto-lock: text the writer types or pastes becomes locked writer text. An appended
 * transaction adds `locked` (and strips `generated`, since the writer wrote it) on the
 * inserted text. Text typed inside a masked span stays masked (it is pending regeneration),
 * and undo/redo, model changes and app commands are left alone.
 */
import { Plugin, PluginKey, type Transaction, type EditorState } from 'prosemirror-state'
import { isHistoryTransaction } from 'prosemirror-history'
import { originOf } from './origin'
import { schema } from './schema'

export const autoLockKey = new PluginKey('infill-auto-lock')

/** Ranges (in the final document) of content the transactions inserted. */
export function insertedRanges(
  trs: readonly Transaction[],
  include: (tr: Transaction) => boolean = () => true,
): { from: number; to: number }[] {
  let ranges: { from: number; to: number }[] = []
  for (const tr of trs) {
    for (const map of tr.mapping.maps) {
      ranges = ranges.map((r) => ({ from: map.map(r.from, 1), to: map.map(r.to, -1) })).filter((r) => r.to > r.from)
      if (!include(tr)) continue
      map.forEach((_oldStart, _oldEnd, newStart, newEnd) => {
        if (newEnd > newStart) ranges.push({ from: newStart, to: newEnd })
      })
    }
  }
  return ranges
}

function isWriterInput(tr: Transaction): boolean {
  return tr.docChanged && originOf(tr) === null && !isHistoryTransaction(tr) && !tr.getMeta('appendedTransaction')
}

/** The appended transaction that locks freshly typed text, or null. */
export function autoLockTransaction(trs: readonly Transaction[], state: EditorState): Transaction | null {
  if (!trs.some(isWriterInput)) return null
  const ranges = insertedRanges(trs, isWriterInput)
  if (ranges.length === 0) return null
  const tr = state.tr
  const lock = schema.marks.locked.create()
  for (const { from, to } of ranges) {
    state.doc.nodesBetween(from, to, (node, pos) => {
      if (!node.isText) return true
      if (schema.marks.masked.isInSet(node.marks)) return false
      const a = Math.max(from, pos)
      const b = Math.min(to, pos + node.nodeSize)
      if (a >= b) return false
      if (schema.marks.generated.isInSet(node.marks)) tr.removeMark(a, b, schema.marks.generated)
      if (!schema.marks.locked.isInSet(node.marks)) tr.addMark(a, b, lock)
      return false
    })
  }
  return tr.docChanged ? tr : null
}

export function autoLock(): Plugin {
  return new Plugin({
    key: autoLockKey,
    appendTransaction: (trs, _old, state) => autoLockTransaction(trs, state),
  })
}
