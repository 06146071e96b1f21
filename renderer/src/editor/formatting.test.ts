import { describe, expect, it } from 'vitest'
import { EditorState, TextSelection } from 'prosemirror-state'
import { parseDocument, serializeDocument } from './markdown'
import { schema } from './schema'
import { toggleBold, toggleHeading, toggleItalic, toggleList, toggleQuote } from './formatting'

const n = schema.nodes
const doc = (text: string) => schema.nodes.doc.create(null, [n.paragraph.create(null, schema.text(text))])
function run(state: EditorState, cmd: (s: EditorState, d?: (tr: any) => void) => boolean): EditorState {
  let next = state
  expect(cmd(state, (tr) => (next = state.apply(tr)))).toBe(true)
  return next
}
const at = (s: EditorState, from: number, to = from) => s.apply(s.tr.setSelection(TextSelection.create(s.doc, from, to)))

describe('formatting through the Markdown schema', () => {
  it('bold, italic, heading, lists and quote save as Markdown and reopen the same', () => {
    let s = EditorState.create({ doc: doc('Notes on the lighthouse keeper') })
    s = run(at(s, 1, 6), toggleHeading(1))
    expect(s.doc.firstChild!.type).toBe(n.heading)
    const md = '# Notes\n\nThe **keeper** climbed the *narrow* stairs.\n\n* one\n\n* two\n\n1. first\n2. second\n\n> A quote.'
    const parsed = parseDocument(md, '/x/notes.md')
    const saved = serializeDocument(parsed, '/x/notes.md')
    const again = parseDocument(saved, '/x/notes.md')
    expect(again.eq(parsed)).toBe(true)
    expect(parsed.child(0).type).toBe(n.heading)
    expect(parsed.child(2).type).toBe(n.bullet_list)
    expect(parsed.child(3).type).toBe(n.ordered_list)
    expect(parsed.child(4).type).toBe(n.blockquote)
    expect(saved).toContain('**keeper**')
    expect(saved).toContain('*narrow*')
  })

  it('the commands make what the serializer writes', () => {
    let s = EditorState.create({ doc: doc('The keeper climbed.') })
    s = run(at(s, 5, 11), toggleBold)
    s = run(at(s, 12, 19), toggleItalic)
    expect(serializeDocument(s.doc, null)).toBe('The **keeper** *climbed*.')
    s = run(at(s, 3), toggleHeading(2))
    expect(serializeDocument(s.doc, null)).toBe('## The **keeper** *climbed*.')
    s = run(at(s, 3), toggleHeading(2)) // again: a paragraph
    s = run(at(s, 3), toggleList(n.bullet_list))
    expect(serializeDocument(s.doc, null)).toBe('* The **keeper** *climbed*.')
    s = run(at(s, 5), toggleList(n.bullet_list)) // again: out of the list
    s = run(at(s, 3), toggleQuote)
    expect(serializeDocument(s.doc, null)).toBe('> The **keeper** *climbed*.')
    const back = parseDocument(serializeDocument(s.doc, null), null)
    expect(back.eq(s.doc)).toBe(true)
  })
})
