/**
 * An editor state with Infill's plugins: history, the writer's keymap, auto-lock, the
 * lock guard, the fill state and its view.
 */
import { baseKeymap } from 'prosemirror-commands'
import { history, redo, undo } from 'prosemirror-history'
import { keymap } from 'prosemirror-keymap'
import type { Node as PMNode } from 'prosemirror-model'
import { EditorState, Plugin, type Command, type Transaction } from 'prosemirror-state'
import { autoLock } from './auto-lock'
import { toggleLock, toggleMask } from './commands'
import type { BoardHandlers } from './fill-board'
import { fillStatePlugin } from './fill-state'
import { formattingInputRules, formattingKeymap } from './formatting'
import { fillView } from './fill-view'
import { lockGuard } from './lock-guard'
import { placeholder } from './placeholder'
import { schema } from './schema'

/** What the keymap asks of the app (fills live outside the editor). */
export interface EditorActions extends BoardHandlers {
  /** Mod-Enter: regenerate the masked spans (those in the selection, if any). */
  regenerate(): boolean
  /** Tab / Esc / Alt-[ / Alt-]: act on the span on offer under the caret; false when there is none. */
  acceptCurrent(): boolean
  rejectCurrent(): boolean
  cycleCurrent(delta: number): boolean
  /**
   * The writer is about to type, delete or paste: with the caret inside a span on offer,
   * accept its candidate for editing first (true when it did). Optional for tests.
   */
  beforeWriterInput?(): boolean
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
      // On a span on offer under the caret, Tab accepts; elsewhere it stays in the editor and
      // inserts a tab as an editor does (not at a paragraph's start, where Markdown would
      // read it as an indented code block).
      Tab: (state, dispatch) => actions.acceptCurrent() || insertTab(state, dispatch),
      Escape: cmd(() => actions.rejectCurrent()),
      'Alt-[': cmd(() => actions.cycleCurrent(-1)),
      'Alt-]': cmd(() => actions.cycleCurrent(1)),
    }),
    writerInput(actions),
    formattingInputRules(),
    formattingKeymap(),
    keymap(baseKeymap),
    autoLock(),
    lockGuard((tr) => actions.onLockViolation?.(tr)),
    fillStatePlugin(),
    fillView(actions),
    placeholder(`Write here. Select words and press ${MOD}M to mask them (at a bare cursor: an empty gap for new words); ${MOD}Enter fills every mask.`),
  ]
}

/** Tab outside a span: a tab character mid-line; at a line's start nothing (focus stays in the editor). */
export const insertTab: Command = (state, dispatch) => {
  const { $from } = state.selection
  if (!$from.parent.isTextblock) return true
  if ($from.parentOffset === 0 && state.selection.empty) return true
  dispatch?.(state.tr.insertText('\t').scrollIntoView())
  return true
}

/**
 * Typing, deleting or pasting with the caret inside a span whose candidate is on show:
 * the candidate is accepted for editing first, and the input edits it (never dropped).
 */
function writerInput(actions: EditorActions): Plugin {
  const accepted = (): boolean => actions.beforeWriterInput?.() ?? false
  return new Plugin({
    props: {
      handleTextInput(view, _from, _to, text) {
        if (!accepted()) return false
        view.dispatch(view.state.tr.insertText(text).scrollIntoView())
        return true
      },
      handleKeyDown(_view, event) {
        // After the accept, the keymap below deletes inside the accepted text.
        if ((event.key === 'Backspace' || event.key === 'Delete') && !event.altKey) accepted()
        return false
      },
      handlePaste() {
        accepted()
        return false
      },
      handleDOMEvents: {
        // Before the browser changes the DOM: a span's text is hidden behind its board, so
        // the browser would type into a place the writer cannot see.
        beforeinput(view, event) {
          const e = event as InputEvent
          if (e.inputType !== 'insertText' || !e.data || view.composing) return false
          if (!accepted()) return false
          e.preventDefault()
          view.dispatch(view.state.tr.insertText(e.data).scrollIntoView())
          return true
        },
      },
    },
  })
}

export function emptyDoc(): PMNode {
  return schema.nodes.doc.create(null, [schema.nodes.paragraph.create()])
}

export function createEditorState(doc: PMNode, actions: EditorActions): EditorState {
  return EditorState.create({ doc, schema, plugins: editorPlugins(actions) })
}
