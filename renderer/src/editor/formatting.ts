/**
 * Editor basics through the Markdown schema: bold, italic, headings, bullet and numbered
 * lists and quotes, as commands (for the toolbar), keys and Markdown-style input rules
 * ("# " a heading, "> " a quote, "- " or "* " a list, "1. " a numbered list). Whatever they
 * make is CommonMark, so it saves to the .md file and reopens as it was.
 */
import { setBlockType, toggleMark, wrapIn, lift } from 'prosemirror-commands'
import { inputRules, textblockTypeInputRule, wrappingInputRule } from 'prosemirror-inputrules'
import { keymap } from 'prosemirror-keymap'
import type { NodeType } from 'prosemirror-model'
import type { Command, EditorState, Plugin } from 'prosemirror-state'
import { liftListItem, sinkListItem, splitListItem, wrapInList } from 'prosemirror-schema-list'
import { setOrigin } from './origin'
import { schema } from './schema'

const nodes = schema.nodes
const marks = schema.marks

/** A command whose transactions carry the 'command' origin (formatting is not writing). */
function asCommand(cmd: Command): Command {
  return (state, dispatch, view) => cmd(state, dispatch && ((tr) => dispatch(setOrigin(tr, 'command'))), view)
}

export const toggleBold: Command = asCommand(toggleMark(marks.strong))
export const toggleItalic: Command = asCommand(toggleMark(marks.em))

/** The block type at the selection's start: 'heading1'..'heading6', 'paragraph', ... */
export function blockAt(state: EditorState): { type: NodeType; level: number | null } {
  const parent = state.selection.$from.parent
  return { type: parent.type, level: parent.type === nodes.heading ? (parent.attrs.level as number) : null }
}

/** Whether the selection sits inside a node of `type` (a list, a quote). */
export function insideNode(state: EditorState, type: NodeType): boolean {
  const $from = state.selection.$from
  for (let d = $from.depth; d > 0; d--) if ($from.node(d).type === type) return true
  return false
}

/** Heading of `level` on the selected blocks, or back to a paragraph when they are one already. */
export function toggleHeading(level: number): Command {
  return asCommand((state, dispatch) => {
    const { type, level: now } = blockAt(state)
    if (type === nodes.heading && now === level) return setBlockType(nodes.paragraph)(state, dispatch)
    return setBlockType(nodes.heading, { level })(state, dispatch)
  })
}

/** Wraps the selected blocks in a list of `type`, or lifts them out of the list they are in. */
export function toggleList(type: NodeType): Command {
  return asCommand((state, dispatch) => {
    if (insideNode(state, type)) return liftListItem(nodes.list_item)(state, dispatch)
    return wrapInList(type)(state, dispatch)
  })
}

/** Wraps the selected blocks in a quote, or lifts them out of one. */
export const toggleQuote: Command = asCommand((state, dispatch) => (insideNode(state, nodes.blockquote) ? lift(state, dispatch) : wrapIn(nodes.blockquote)(state, dispatch)))

/** Markdown-style shortcuts typed at a line's start. */
export function formattingInputRules(): Plugin {
  return inputRules({
    rules: [
      textblockTypeInputRule(/^(#{1,6})\s$/, nodes.heading, (m) => ({ level: m[1].length })),
      wrappingInputRule(/^\s*>\s$/, nodes.blockquote),
      wrappingInputRule(/^\s*([-+*])\s$/, nodes.bullet_list),
      wrappingInputRule(
        /^(\d+)\.\s$/,
        nodes.ordered_list,
        (m) => ({ order: Number(m[1]) }),
        (m, node) => node.childCount + (node.attrs.order as number) === Number(m[1]),
      ),
    ],
  })
}

/** Keys: bold, italic, headings, lists, quote; Enter and Tab inside a list item. */
export function formattingKeymap(): Plugin {
  return keymap({
    'Mod-b': toggleBold,
    'Mod-i': toggleItalic,
    'Mod-Alt-0': asCommand(setBlockType(nodes.paragraph)),
    'Mod-Alt-1': toggleHeading(1),
    'Mod-Alt-2': toggleHeading(2),
    'Mod-Alt-3': toggleHeading(3),
    'Shift-Mod-8': toggleList(nodes.bullet_list),
    'Shift-Mod-9': toggleList(nodes.ordered_list),
    'Mod-\'': toggleQuote,
    Enter: splitListItem(nodes.list_item),
    'Mod-[': liftListItem(nodes.list_item),
    'Mod-]': sinkListItem(nodes.list_item),
  })
}
