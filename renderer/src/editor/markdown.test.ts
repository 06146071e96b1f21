import { describe, expect, it } from 'vitest'
import { DocumentSidecar } from '../../../main/contract'
import { buildSidecar, documentFromFile, parseDocument, serializeDocument } from './markdown'
import { schema } from './schema'
import { docOf, generated, locked, masked, para, slot } from './test-helpers'

describe('Markdown and sidecar', () => {
  const doc = docOf(
    schema.nodes.heading.create({ level: 1 }, [schema.text('The keeper', [schema.marks.locked.create()])]),
    para(locked('It was a '), masked('dark', 3), locked(' night, '), generated('cold and wet'), locked(' and '), slot(5), locked('.')),
    para(locked('Second '), { text: 'para', marks: ['locked'] }, ' with *stars*.'),
  )

  it('writes the text as Markdown without Infill marks', () => {
    expect(serializeDocument(doc, 'notes.md')).toBe('# The keeper\n\nIt was a dark night, cold and wet and .\n\nSecond para with \\*stars\\*.')
  })

  it('round-trips masks, locks, slots and provenance through the sidecar', () => {
    const md = serializeDocument(doc, 'notes.md')
    const sidecar = DocumentSidecar.parse(JSON.parse(JSON.stringify(buildSidecar(doc, 'doc-1'))))
    const opened = documentFromFile({ path: 'notes.md', markdown: md, sidecar })
    expect(opened.documentId).toBe('doc-1')
    expect(opened.doc.eq(doc)).toBe(true)
    const gen = opened.doc.child(1).child(3)
    expect(gen.marks[0].type.name).toBe('generated')
    expect(gen.marks[0].attrs).toEqual({ model: 'm', strategy: 's', requestId: 'r0' })
  })

  it('opens Markdown without a sidecar as locked writer text', () => {
    const opened = documentFromFile({ path: 'a.md', markdown: '# Title\n\nSome *words* here.\n', sidecar: null })
    expect(opened.doc.textContent).toBe('TitleSome words here.')
    opened.doc.descendants((n) => {
      if (n.isText) expect(n.marks.some((m) => m.type === schema.marks.locked)).toBe(true)
    })
  })

  it('reads and writes plain text files as paragraphs', () => {
    const d = parseDocument('One line\nnext line\n\nSecond.\n', 'a.txt')
    expect(d.childCount).toBe(2)
    expect(serializeDocument(d, 'a.txt')).toBe('One line\nnext line\n\nSecond.\n')
  })

  it('falls back to the text when the sidecar document is not valid', () => {
    const opened = documentFromFile({
      path: 'a.md',
      markdown: 'Hello.\n',
      sidecar: { format: 'infill-sidecar', version: 1, markdownHash: 'x', documentId: 'doc-2', doc: { type: 'nonsense' } },
    })
    expect(opened.doc.textContent).toBe('Hello.')
    expect(opened.note).toMatch(/marks file could not be read/)
    expect(opened.documentId).toBe('doc-2')
  })
})
