/**
 * Documents on disk: the text as Markdown (or plain text for .txt), and Infill's marks in
 * the sidecar (`notes.md.infill.json`, see DocumentSidecar in main/contract.ts) as the
 * editor's ProseMirror JSON. The Markdown file stays the writer's: masks, locks and
 * provenance do not show in it (an empty mask slot writes nothing), and opening a file
 * without a usable sidecar parses the Markdown and locks all of its text (it is the
 * writer's).
 */
import MarkdownIt from 'markdown-it'
import { MarkdownParser, MarkdownSerializer, defaultMarkdownParser, defaultMarkdownSerializer } from 'prosemirror-markdown'
import { Node as PMNode } from 'prosemirror-model'
import { Transform } from 'prosemirror-transform'
import type { DocumentFile, DocumentSidecar } from '../../../main/contract'
import { plainText } from './plain-text'
import { schema } from './schema'

const infillMark = { open: '', close: '', mixable: true, expelEnclosingWhitespace: false }

export const markdownSerializer = new MarkdownSerializer(
  { ...defaultMarkdownSerializer.nodes, mask_slot: () => {} },
  { ...defaultMarkdownSerializer.marks, masked: infillMark, locked: infillMark, generated: infillMark },
)

export const markdownParser = new MarkdownParser(schema, MarkdownIt('commonmark', { html: false }), defaultMarkdownParser.tokens)

export function isPlainTextPath(path: string | null): boolean {
  return !!path && /\.txt$/i.test(path)
}

/** The file content of `doc` for `path` (.txt: plain text; otherwise Markdown). */
export function serializeDocument(doc: PMNode, path: string | null): string {
  if (isPlainTextPath(path)) return plainText(doc).text + '\n'
  return markdownSerializer.serialize(doc)
}

/** A document with all of its text locked (text from a file is the writer's). */
export function lockAll(doc: PMNode): PMNode {
  const tr = new Transform(doc)
  tr.addMark(0, doc.content.size, schema.marks.locked.create())
  return tr.doc
}

/** Parses file content (Markdown, or plain text for .txt) into a document. */
export function parseDocument(content: string, path: string | null): PMNode {
  if (isPlainTextPath(path)) {
    const paras = content
      .replace(/\r\n?/g, '\n')
      .split(/\n{2,}/)
      .map((p) => p.replace(/\n+$/, ''))
      .filter((p, i, all) => p.length > 0 || all.length === 1)
    const blocks = paras.map((p) => {
      const inline: PMNode[] = []
      p.split('\n').forEach((line, i) => {
        if (i > 0) inline.push(schema.nodes.hard_break.create())
        if (line) inline.push(schema.text(line))
      })
      return schema.nodes.paragraph.create(null, inline)
    })
    return schema.nodes.doc.create(null, blocks.length ? blocks : [schema.nodes.paragraph.create()])
  }
  return markdownParser.parse(content) ?? schema.nodes.doc.create(null, [schema.nodes.paragraph.create()])
}

/** The sidecar for `doc` (the host fills in the Markdown's hash when it saves). */
export function buildSidecar(doc: PMNode, documentId: string): DocumentSidecar {
  return { format: 'infill-sidecar', version: 1, markdownHash: '', doc: doc.toJSON(), documentId }
}

/** The document a file opens as: the sidecar's when there is a valid one, else the parsed, locked text. */
export function documentFromFile(file: Pick<DocumentFile, 'markdown' | 'sidecar' | 'path'>): { doc: PMNode; documentId: string | null; note: string | null } {
  if (file.sidecar) {
    try {
      const doc = PMNode.fromJSON(schema, file.sidecar.doc)
      doc.check()
      return { doc, documentId: file.sidecar.documentId, note: null }
    } catch (e) {
      return {
        doc: lockAll(parseDocument(file.markdown, file.path)),
        documentId: file.sidecar.documentId,
        note: `The marks file could not be read (${(e as Error).message}); the text opened without its marks.`,
      }
    }
  }
  return { doc: lockAll(parseDocument(file.markdown, file.path)), documentId: null, note: null }
}
