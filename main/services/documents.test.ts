import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { DocumentSidecar } from '../contract'
import { DocumentError, listWorkspace, markdownHash, readDocument, sidecarPath, writeDocument } from './documents'
import { PathPolicy } from './path-policy'
import { RecoveryStore } from './recovery'

const dir = (): string => mkdtempSync(join(tmpdir(), 'infill-docs-'))
const sidecar = (doc: unknown): DocumentSidecar => ({ format: 'infill-sidecar', version: 1, markdownHash: '', doc, documentId: 'doc-1' })

describe('documents', () => {
  it('saves Markdown and its sidecar, and reads both back', async () => {
    const d = dir()
    const path = join(d, 'notes.md')
    const saved = await writeDocument(path, '# Title\n\nThe cat sat.\n', sidecar({ type: 'doc' }))
    expect(saved.bytes).toBe(Buffer.byteLength('# Title\n\nThe cat sat.\n'))
    const back = await readDocument(path)
    expect(back.markdown).toBe('# Title\n\nThe cat sat.\n')
    expect(back.sidecar?.doc).toEqual({ type: 'doc' })
    expect(back.sidecar?.markdownHash).toBe(markdownHash('# Title\n\nThe cat sat.\n'))
    // No temporary files are left behind.
    expect(readdirSync(d).sort()).toEqual(['notes.md', 'notes.md.infill.json'])
  })

  it('ignores a sidecar whose Markdown was changed elsewhere, and says so', async () => {
    const path = join(dir(), 'notes.md')
    await writeDocument(path, 'original text', sidecar({ type: 'doc' }))
    writeFileSync(path, 'edited in another editor')
    const back = await readDocument(path)
    expect(back.markdown).toBe('edited in another editor')
    expect(back.sidecar).toBeNull()
    expect(back.sidecarNote).toMatch(/changed outside Infill/)
  })

  it('ignores a malformed sidecar with a note, keeping the text', async () => {
    const path = join(dir(), 'notes.md')
    writeFileSync(path, 'text')
    writeFileSync(sidecarPath(path), '{not json')
    const back = await readDocument(path)
    expect(back.markdown).toBe('text')
    expect(back.sidecarNote).toMatch(/not valid JSON/)
  })

  it('refuses other file types and binary files with a clear error', async () => {
    const d = dir()
    await expect(writeDocument(join(d, 'image.png'), 'x', null)).rejects.toThrow(/not a Markdown or text file/)
    writeFileSync(join(d, 'bin.txt'), Buffer.from([0x41, 0x00, 0x42]))
    await expect(readDocument(join(d, 'bin.txt'))).rejects.toThrow(DocumentError)
    await expect(readDocument(join(d, 'missing.md'))).rejects.toThrow(/does not exist/)
  })

  it('overwrites atomically: the old content stays until the new one is complete', async () => {
    const path = join(dir(), 'a.md')
    await writeDocument(path, 'first', null)
    await writeDocument(path, 'second', null)
    expect(readFileSync(path, 'utf8')).toBe('second')
  })

  it('lists workspace documents only', async () => {
    const d = dir()
    writeFileSync(join(d, 'a.md'), 'a')
    writeFileSync(join(d, 'b.txt'), 'b')
    writeFileSync(join(d, 'c.json'), '{}')
    writeFileSync(join(d, '.hidden.md'), 'h')
    const names = (await listWorkspace(d)).map((e) => e.name).sort()
    expect(names).toEqual(['a.md', 'b.txt'])
  })
})

describe('path policy', () => {
  it('allows the workspace and granted paths only', () => {
    const ws = dir()
    const policy = new PathPolicy(ws)
    expect(policy.check('notes.md')).toBe(join(ws, 'notes.md'))
    expect(() => policy.check('../escape.md')).toThrow(/outside the workspace/)
    expect(() => policy.check('/etc/passwd')).toThrow(/outside the workspace/)
    const desktop = new PathPolicy(null)
    expect(() => desktop.check('/tmp/x.md')).toThrow(/file dialog/)
    desktop.grant('/tmp/x.md')
    expect(desktop.check('/tmp/x.md')).toBe('/tmp/x.md')
  })
})

describe('recovery copies', () => {
  it('writes, lists newest first, skips unreadable copies, discards', async () => {
    const d = dir()
    const store = new RecoveryStore(d)
    await store.write({ documentId: 'one', path: null, markdown: 'draft one', sidecar: null })
    await new Promise((r) => setTimeout(r, 5))
    await store.write({ documentId: 'two', path: '/tmp/two.md', markdown: 'draft two', sidecar: null })
    writeFileSync(join(d, 'broken.json'), 'garbage')
    const list = await store.list()
    expect(list.map((e) => e.documentId)).toEqual(['two', 'one'])
    await store.discard('two')
    expect((await store.list()).map((e) => e.documentId)).toEqual(['one'])
    expect(readdirSync(d)).toContain('broken.json')
  })
})
