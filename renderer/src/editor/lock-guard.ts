/**
 * The lock guard: a transaction the model originated is rejected whole when any of its
 * steps would change locked text — replace it, insert inside it, or change its marks.
 * The writer's own transactions pass (locked text is protected from the model, not from
 * its author).
 *
 * One exception, by design (see border-spaces.ts): the spaces directly before a masked span
 * belong to the mask, so a step that replaces them together with the span passes — a fill
 * such as "'s" may join the word before it. Nothing but those spaces is ever open to it.
 */
import { Plugin, PluginKey, type Transaction } from 'prosemirror-state'
import { AddMarkStep, RemoveMarkStep, type Step } from 'prosemirror-transform'
import type { Node as PMNode } from 'prosemirror-model'
import { replacesBorderWithSpan } from './border-spaces'
import { originOf } from './origin'
import { schema } from './schema'

export const lockGuardKey = new PluginKey('infill-lock-guard')

/** True when `pos` lies strictly inside a run of locked text (locked characters on both sides). */
function insideLocked(doc: PMNode, pos: number): boolean {
  const $pos = doc.resolve(pos)
  const before = $pos.nodeBefore
  const after = $pos.nodeAfter
  return !!(before?.isText && after?.isText && schema.marks.locked.isInSet(before.marks) && schema.marks.locked.isInSet(after.marks))
}

/** True when applying `step` to `doc` would change locked text. */
export function stepTouchesLocked(step: Step, doc: PMNode): boolean {
  if (step instanceof AddMarkStep || step instanceof RemoveMarkStep) {
    return step.from < step.to && doc.rangeHasMark(step.from, step.to, schema.marks.locked)
  }
  let hit = false
  step.getMap().forEach((oldStart, oldEnd) => {
    if (hit) return
    if (oldStart < oldEnd) hit = doc.rangeHasMark(oldStart, oldEnd, schema.marks.locked) && !replacesBorderWithSpan(doc, oldStart, oldEnd)
    else hit = insideLocked(doc, oldStart)
  })
  return hit
}

/** True when a transaction changes locked text anywhere. */
export function transactionTouchesLocked(tr: Transaction): boolean {
  return tr.steps.some((step, i) => stepTouchesLocked(step, tr.docs[i]))
}

/** Rejects model transactions that touch locked text. */
export function lockGuard(onReject?: (tr: Transaction) => void): Plugin {
  return new Plugin({
    key: lockGuardKey,
    filterTransaction(tr) {
      if (originOf(tr) !== 'model' || !tr.docChanged) return true
      if (!transactionTouchesLocked(tr)) return true
      onReject?.(tr)
      return false
    },
  })
}
