/** A hint in the empty document (a node decoration; CSS draws it from data-placeholder). */
import { Plugin, PluginKey } from 'prosemirror-state'
import { Decoration, DecorationSet } from 'prosemirror-view'

export const placeholderKey = new PluginKey('infill-placeholder')

export function placeholder(text: string): Plugin {
  return new Plugin({
    key: placeholderKey,
    props: {
      decorations(state) {
        const doc = state.doc
        if (doc.childCount !== 1 || !doc.firstChild!.isTextblock || doc.firstChild!.content.size > 0) return null
        return DecorationSet.create(doc, [Decoration.node(0, doc.firstChild!.nodeSize, { class: 'placeholder', 'data-placeholder': text })])
      },
    },
  })
}
