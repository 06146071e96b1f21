/** Builders for editor tests: documents from marked text runs, states, writer typing. */
import type { Mark, Node as PMNode } from 'prosemirror-model'
import { EditorState, TextSelection, type Transaction } from 'prosemirror-state'
import { createEditorState, type EditorActions } from './setup'
import { schema } from './schema'

export type Run = string | { text: string; marks: ('masked' | 'locked' | 'generated')[]; slots?: number } | { slot: number }

export const locked = (text: string): Run => ({ text, marks: ['locked'] })
export const masked = (text: string, slots?: number): Run => ({ text, marks: ['masked'], slots })
export const generated = (text: string): Run => ({ text, marks: ['generated'] })
export const slot = (n: number): Run => ({ slot: n })

function inline(run: Run): PMNode {
  if (typeof run === 'string') return schema.text(run)
  if ('slot' in run) return schema.nodes.mask_slot.create({ slots: run.slot })
  const marks: Mark[] = run.marks.map((m) =>
    m === 'masked' ? schema.marks.masked.create({ slots: run.slots ?? null }) : m === 'generated' ? schema.marks.generated.create({ model: 'm', strategy: 's', requestId: 'r0' }) : schema.marks.locked.create(),
  )
  return schema.text(run.text, marks)
}

export function para(...runs: Run[]): PMNode {
  return schema.nodes.paragraph.create(null, runs.map(inline))
}

export function docOf(...paras: PMNode[]): PMNode {
  return schema.nodes.doc.create(null, paras)
}

export const noopActions: EditorActions = {
  regenerate: () => false,
  acceptCurrent: () => false,
  rejectCurrent: () => false,
  cycleCurrent: () => false,
  slotLength: () => 8,
  accept: () => {},
  edit: () => {},
  reject: () => {},
  cycle: () => {},
  pick: () => {},
  regenerateSpan: () => {},
  dismiss: () => {},
  placeCaret: () => {},
}

export function stateOf(doc: PMNode): EditorState {
  return createEditorState(doc, noopActions)
}

/** Position of the first occurrence of `text` in the document (start of it). */
export function find(doc: PMNode, text: string): number {
  let found = -1
  doc.descendants((node, pos) => {
    if (found >= 0) return false
    if (node.isText) {
      const i = node.text!.indexOf(text)
      if (i >= 0) found = pos + i
    }
    return true
  })
  if (found < 0) throw new Error(`"${text}" is not in the document`)
  return found
}

/** The writer typing `text` at `pos` (a plain transaction, as the view would make it). */
export function typeAt(state: EditorState, pos: number, text: string): Transaction {
  const tr = state.tr.setSelection(TextSelection.create(state.doc, pos)).insertText(text)
  return tr
}

export function apply(state: EditorState, tr: Transaction): EditorState {
  return state.apply(tr)
}
