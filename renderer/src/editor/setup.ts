/**
 * An editor state with Infill's plugins: history, the writer's keymap, auto-lock, the
 * lock guard, the fill state and its view.
 */
import { baseKeymap } from 'prosemirror-commands'
import { history, redo, undo } from 'prosemirror-history'
import { keymap } from 'prosemirror-keymap'
import type { Node as PMNode } from 'prosemirror-model'
import { EditorState, type Command, type Plugin, type Transaction } from 'prosemirror-state'
import { autoLock } from './auto-lock'
import { toggleLock, toggleMask } from './commands'
import type { BoardHandlers } from './fill-board'
import { fillStatePlugin } from './fill-state'
import { fillView } from './fill-view'
import { lockGuard } from './lock-guard'
import { placeholder } from './placeholder'
import { schema } from './schema'

/** What the keymap asks of the app (fills live outside the editor). */
export interface EditorActions extends BoardHandlers {
  /** Mod-Enter: regenerate the masked spans (those in the selection, if any). */
  regenerate(): boolean
  /** Tab / Esc / Alt-[ / Alt-]: act on the current span on offer; false when there is none. */
  acceptCurrent(): boolean
  rejectCurrent(): boolean
  cycleCurrent(delta: number): boolean
  /** Slot budget of a new empty slot (Mod-M at a bare cursor). */
  slotLength(): number
  /** A model transaction was refused by the lock guard. */
  onLockViolation?(tr: Transaction): void
}

const MOD = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl+'

/** The plugins of an Infill editor. */
export function editorPlugins(actions: EditorActions): Plugin[] {
  const cmd = (f: () => boolean): Command => () => f()
  return [
    history(),
    keymap({
      'Mod-z': undo,
      'Shift-Mod-z': redo,
      'Mod-y': redo,
      'Mod-m': (state, dispatch) => toggleMask(actions.slotLength())(state, dispatch),
      'Mod-l': toggleLock,
      'Mod-Enter': cmd(() => actions.regenerate()),
      Tab: cmd(() => actions.acceptCurrent()),
      Escape: cmd(() => actions.rejectCurrent()),
      'Alt-[': cmd(() => actions.cycleCurrent(-1)),
      'Alt-]': cmd(() => actions.cycleCurrent(1)),
    }),
    keymap(baseKeymap),
    autoLock(),
    lockGuard((tr) => actions.onLockViolation?.(tr)),
    fillStatePlugin(),
    fillView(actions),
    placeholder(`Write here. Select words and press ${MOD}M to mask them (at a bare cursor: an empty slot); ${MOD}Enter fills every mask.`),
  ]
}

export function emptyDoc(): PMNode {
  return schema.nodes.doc.create(null, [schema.nodes.paragraph.create()])
}

export function createEditorState(doc: PMNode, actions: EditorActions): EditorState {
  return EditorState.create({ doc, schema, plugins: editorPlugins(actions) })
}
