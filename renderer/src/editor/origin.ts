/**
 * Who made a transaction. Writer input carries no origin meta; everything else says what
 * it is, so the lock guard and the auto-lock plugin can tell the model's changes from the
 * writer's.
 */
import type { Transaction } from 'prosemirror-state'

export type Origin =
  /** A change the model made (accepting a fill). Never allowed to touch locked text. */
  | 'model'
  /** A mark command or document load issued by the app on the writer's behalf (not auto-locked). */
  | 'command'

const ORIGIN_META = 'infill:origin'

export function setOrigin(tr: Transaction, origin: Origin): Transaction {
  return tr.setMeta(ORIGIN_META, origin)
}

export function originOf(tr: Transaction): Origin | null {
  return (tr.getMeta(ORIGIN_META) as Origin | undefined) ?? null
}
