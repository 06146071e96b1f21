/**
 * Following a range through edits: map it with the transaction's mapping, and tell
 * whether a step changed anything inside it.
 *
 * "Inside" means: a replaced range overlapping it, an insertion strictly between its ends,
 * or a mark change overlapping it. An insertion exactly at either end is beside the range,
 * not in it (the range keeps its text; the new text is the writer's, next to it).
 */
import type { Transaction } from 'prosemirror-state'
import { AddMarkStep, RemoveMarkStep, type Step } from 'prosemirror-transform'

export interface TrackedRange {
  from: number
  to: number
}

/** True when `step` changes content or marks inside [from, to). */
export function stepTouches(step: Step, range: TrackedRange): boolean {
  if (step instanceof AddMarkStep || step instanceof RemoveMarkStep) {
    return step.from < range.to && step.to > range.from
  }
  let hit = false
  step.getMap().forEach((oldStart, oldEnd) => {
    if (hit) return
    if (oldStart < oldEnd) hit = oldStart < range.to && oldEnd > range.from
    else hit = oldStart > range.from && oldStart < range.to
  })
  return hit
}

/**
 * Maps `range` through `tr` step by step. Returns the mapped range and whether any step
 * touched it (a range whose content was deleted whole comes back collapsed).
 */
export function trackRange(
  tr: Transaction,
  range: TrackedRange,
  /**
   * Whether text inserted exactly at the range's end joins it: 'never' (a span keeps its own
   * text), 'touched' (once a step of this transaction changed the range: the writer is
   * editing in it), 'always' (a range the writer already edited).
   */
  growEnd: 'never' | 'touched' | 'always' = 'never',
): { range: TrackedRange; touched: boolean } {
  let cur = range
  let touched = false
  tr.steps.forEach((step) => {
    if (!touched && stepTouches(step, cur)) touched = true
    const map = step.getMap()
    const grow = growEnd === 'always' || (growEnd === 'touched' && touched)
    const from = map.map(cur.from, grow && cur.from === cur.to ? -1 : 1)
    const to = Math.max(from, map.map(cur.to, grow ? 1 : -1))
    cur = { from, to }
  })
  return { range: cur, touched }
}
