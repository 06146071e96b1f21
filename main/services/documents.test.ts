import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_DOCUMENT_BYTES, type DocumentSidecar } from '../contract'
import { documentFiles } from './document-files'
import { DocumentError, listWorkspace, markdownHash, readDocument, sidecarPath, writeDocument } from './documents'
import { PathPolicy } from './path-policy'
import { RecoveryStore } from './recovery'

const made: string[] = []
const dir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'infill-docs-'))
  made.push(d)
  return d
}
afterAll(() => {
  // a folder made read-only by a test is made writable first
  for (const d of made) {
    try {
      chmodSync(d, 0o700)
    } catch {
      // already gone
    }
    rmSync(d, { recursive: true, force: true })
  }
})
const sidecar = (doc: unknown): DocumentSidecar => ({ format: 'infill-sidecar', version: 1, markdownHash: '', doc, documentId: 'doc-1' })
const replace = { ifExists: 'replace' } as const

describe('documents', () => {
  it('saves Markdown and its sidecar, and reads both back', async () => {
    const d = dir()
    const path = join(d, 'notes.md')
    const saved = await writeDocument(path, '# Title\n\nThe cat sat.\n', sidecar({ type: 'doc' }))
    expect(saved).toMatchObject({ status: 'saved', bytes: Buffer.byteLength('# Title\n\nThe cat sat.\n') })
    const back = await readDocument(path)
    expect(back.markdown).toBe('# Title\n\nThe cat sat.\n')
    expect(back.sidecar?.doc).toEqual({ type: 'doc' })
    expect(back.sidecar?.markdownHash).toBe(markdownHash('# Title\n\nThe cat sat.\n'))
    // No temporary or pending files are left behind.
    expect(readdirSync(d).sort()).toEqual(['notes.md', 'notes.md.infill.json'])
  })

  it('does not replace an existing file unless told to, and writes nothing when it does not', async () => {
    const d = dir()
    const path = join(d, 'lighthouse.md')
    await writeDocument(path, 'The whole story.', sidecar({ v: 'story' }))
    const before = readFileSync(path)
    const refused = await writeDocument(path, 'Essay draft.', sidecar({ v: 'essay' }))
    expect(refused).toEqual({ status: 'exists', path, name: 'lighthouse.md' })
    expect(readFileSync(path).equals(before)).toBe(true)
    expect((await readDocument(path)).sidecar?.doc).toEqual({ v: 'story' })
    expect(readdirSync(d).sort()).toEqual(['lighthouse.md', 'lighthouse.md.infill.json'])
    chmodSync(path, 0o600)
    const replaced = await writeDocument(path, 'Essay draft.', sidecar({ v: 'essay' }), replace)
    expect(replaced.status).toBe('saved')
    expect(statSync(path).mode & 0o777).toBe(0o600) // a replaced file keeps its permissions
    expect(statSync(sidecarPath(path)).mode & 0o777).toBe(0o600) // and its marks get the same
    const back = await readDocument(path)
    expect(back).toMatchObject({ markdown: 'Essay draft.', sidecar: { doc: { v: 'essay' } } })
  })

  it('keeps a sidecar whose Markdown was changed elsewhere aside, hands it over, and says so', async () => {
    const d = dir()
    const path = join(d, 'notes.md')
    await writeDocument(path, 'original text', sidecar({ type: 'doc' }))
    writeFileSync(path, 'edited in another editor')
    const back = await readDocument(path)
    expect(back.markdown).toBe('edited in another editor')
    expect(back.sidecar).toBeNull()
    expect(back.sidecarNote).toMatch(/changed outside Infill.*kept as notes\.md\.infill-set-aside-.*\.json/)
    expect(back.setAside?.sidecar.doc).toEqual({ type: 'doc' })
    expect(back.setAside?.sidecar.markdownHash).toBe(markdownHash('original text'))
    // Moved, not deleted: the set-aside file is there and holds the old marks.
    expect(existsSync(sidecarPath(path))).toBe(false)
    expect(JSON.parse(readFileSync(back.setAside!.path, 'utf8')).doc).toEqual({ type: 'doc' })
    // It is not listed as a document.
    expect((await listWorkspace(d)).map((e) => e.name)).toEqual(['notes.md'])
  })

  it('moves a malformed sidecar aside with a note, keeping the text', async () => {
    const d = dir()
    const path = join(d, 'notes.md')
    writeFileSync(path, 'text')
    writeFileSync(sidecarPath(path), '{not json')
    const back = await readDocument(path)
    expect(back.markdown).toBe('text')
    expect(back.sidecarNote).toMatch(/not valid JSON.*moved to/)
    expect(back.setAside).toBeUndefined()
    const aside = readdirSync(d).find((n) => n.includes('set-aside'))!
    expect(readFileSync(join(d, aside), 'utf8')).toBe('{not json')
  })

  it('refuses other file types and binary files with a clear error', async () => {
    const d = dir()
    await expect(writeDocument(join(d, 'image.png'), 'x', null)).rejects.toThrow(/not a Markdown or text file/)
    writeFileSync(join(d, 'bin.txt'), Buffer.from([0x41, 0x00, 0x42]))
    await expect(readDocument(join(d, 'bin.txt'))).rejects.toThrow(DocumentError)
    await expect(readDocument(join(d, 'missing.md'))).rejects.toThrow(/does not exist/)
  })

  it('refuses a Latin-1 file by name and leaves its bytes alone', async () => {
    const d = dir()
    const path = join(d, 'cafe.md')
    const latin1 = Buffer.from('Un caf\xe9 au lait, s\'il vous pla\xeet.\n', 'latin1')
    writeFileSync(path, latin1)
    await expect(readDocument(path)).rejects.toThrow(/not UTF-8 text; it looks like Latin-1 \(ISO-8859-1 \/ Windows-1252\): byte 0xE9 at offset 6 is not UTF-8\./)
    expect(readFileSync(path).equals(latin1)).toBe(true)
    expect(readdirSync(d)).toEqual(['cafe.md'])
  })

  it('refuses UTF-16 files by their byte-order mark', async () => {
    const d = dir()
    const le = join(d, 'le.txt')
    writeFileSync(le, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hello', 'utf16le')]))
    await expect(readDocument(le)).rejects.toThrow(/UTF-16 \(little-endian\)/)
    const be = join(d, 'be.txt')
    writeFileSync(be, Buffer.from([0xfe, 0xff, 0x00, 0x68, 0x00, 0x69]))
    await expect(readDocument(be)).rejects.toThrow(/UTF-16 \(big-endian\)/)
  })

  it('keeps a UTF-8 byte-order mark: an unchanged open and save leaves the bytes as they were', async () => {
    const path = join(dir(), 'bom.md')
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Caf\u00e9 cr\u00e8me.\n', 'utf8')])
    writeFileSync(path, bytes)
    const opened = await readDocument(path)
    expect(opened.markdown).toBe('Caf\u00e9 cr\u00e8me.\n')
    await writeDocument(path, opened.markdown, sidecar({}), replace)
    expect(readFileSync(path).equals(bytes)).toBe(true)
    expect((await readDocument(path)).sidecar?.markdownHash).toBe(markdownHash(opened.markdown))
  })

  it('opens and saves under one size limit: what saves, opens', async () => {
    const d = dir()
    const atLimit = 'a'.repeat(MAX_DOCUMENT_BYTES - 2) + '\u00e9' // 2-byte character: exactly the limit in bytes
    const path = join(d, 'big.md')
    expect((await writeDocument(path, atLimit, null)).status).toBe('saved')
    expect(statSync(path).size).toBe(MAX_DOCUMENT_BYTES)
    expect((await readDocument(path)).markdown.length).toBe(atLimit.length)
    await expect(writeDocument(join(d, 'bigger.md'), atLimit + 'x', null)).rejects.toThrow(/up to 20\.0 MB/)
    expect(existsSync(join(d, 'bigger.md'))).toBe(false)
    writeFileSync(join(d, 'outside.md'), Buffer.alloc(MAX_DOCUMENT_BYTES + 1, 0x61))
    await expect(readDocument(join(d, 'outside.md'))).rejects.toThrow(/up to 20\.0 MB/)
    rmSync(d, { recursive: true, force: true })
  })

  it('saves and opens names that use the whole 255-byte limit, marks included', async () => {
    const d = dir()
    const longAscii = 'a'.repeat(252) + '.md'
    const longUtf8 = '\u00e9'.repeat(126) + '.md' // 126 × 2 + 3 = 255 bytes
    for (const name of [longAscii, longUtf8]) {
      expect(Buffer.byteLength(name)).toBe(255)
      const path = join(d, name)
      await writeDocument(path, `text of ${name.length}`, sidecar({ name }))
      await writeDocument(path, `second text of ${name.length}`, sidecar({ name, second: true }), replace)
      const back = await readDocument(path)
      expect(back.markdown).toBe(`second text of ${name.length}`)
      expect(back.sidecar?.doc).toEqual({ name, second: true })
      expect(documentFiles(path).sidecar).not.toBe(`${path}.infill.json`) // too long: hashed hidden name
    }
    expect((await listWorkspace(d)).map((e) => e.name).sort()).toEqual([longAscii, longUtf8].sort())
    await expect(writeDocument(join(d, 'b'.repeat(253) + '.md'), 'x', null)).rejects.toThrow(/256 bytes long; file systems allow 255/)
  })

  it('finishes a save interrupted after its Markdown was in place (new pair)', async () => {
    const path = join(dir(), 'notes.md')
    await writeDocument(path, 'old text', sidecar({ v: 'old' }))
    const files = documentFiles(path)
    // The state a kill leaves between the Markdown's rename and the sidecar's.
    writeFileSync(files.pendingSidecar, JSON.stringify({ ...sidecar({ v: 'new' }), markdownHash: markdownHash('new text') }))
    writeFileSync(path, 'new text')
    const back = await readDocument(path)
    expect(back).toMatchObject({ markdown: 'new text', sidecar: { doc: { v: 'new' } } })
    expect(back.sidecarNote).toBeUndefined()
    expect(existsSync(files.pendingSidecar)).toBe(false)
    expect(JSON.parse(readFileSync(files.sidecar, 'utf8')).doc).toEqual({ v: 'new' })
  })

  it('drops the pending sidecar of a save killed before its Markdown was in place (old pair)', async () => {
    const path = join(dir(), 'notes.md')
    await writeDocument(path, 'old text', sidecar({ v: 'old' }))
    const files = documentFiles(path)
    writeFileSync(files.pendingSidecar, JSON.stringify({ ...sidecar({ v: 'new' }), markdownHash: markdownHash('new text') }))
    writeFileSync(join(path, '..', `${files.tempPrefix}0123456789abcdef01234567.tmp`), 'new te') // torn temporary file
    const back = await readDocument(path)
    expect(back).toMatchObject({ markdown: 'old text', sidecar: { doc: { v: 'old' } } })
    expect(existsSync(files.pendingSidecar)).toBe(false)
    // The next save removes what a killed save left: nothing accumulates.
    await writeDocument(path, 'next', sidecar({ v: 'next' }), replace)
    expect(readdirSync(join(path, '..')).sort()).toEqual(['notes.md', 'notes.md.infill.json'])
  })

  it('a save without marks removes the sidecar as part of the same unit', async () => {
    const path = join(dir(), 'plain.md')
    await writeDocument(path, 'with marks', sidecar({ v: 1 }))
    const files = documentFiles(path)
    // Killed between the Markdown's rename and the sidecar's removal.
    writeFileSync(files.pendingSidecar, JSON.stringify({ format: 'infill-no-marks', markdownHash: markdownHash('no marks') }))
    writeFileSync(path, 'no marks')
    const back = await readDocument(path)
    expect(back).toMatchObject({ markdown: 'no marks', sidecar: null })
    expect(back.sidecarNote).toBeUndefined()
    expect(existsSync(files.sidecar)).toBe(false)
    await writeDocument(path, 'again', null, replace)
    expect(readdirSync(join(path, '..'))).toEqual(['plain.md'])
  })

  it('serializes overlapping saves to one path: the last one issued wins and every open sees a pair', async () => {
    const d = dir()
    const path = join(d, 'race.md')
    await writeDocument(path, 'v0', sidecar({ v: 0 }))
    const writes: Promise<unknown>[] = []
    const reads: Promise<{ markdown: string; v: unknown }>[] = []
    for (let v = 1; v <= 40; v++) {
      // Sizes vary so that some writes take longer than others.
      const text = `v${v} ` + 'word '.repeat((v * 7919) % 5000)
      writes.push(writeDocument(path, text, sidecar({ v }), replace))
      if (v % 3 === 0) reads.push(readDocument(path).then((f) => ({ markdown: f.markdown, v: (f.sidecar?.doc as { v: number } | undefined)?.v })))
    }
    await Promise.all(writes)
    for (const r of await Promise.all(reads)) {
      expect(r.markdown.startsWith(`v${String(r.v)} `)).toBe(true)
    }
    const last = await readDocument(path)
    expect(last.markdown.startsWith('v40 ')).toBe(true)
    expect(last.sidecar?.doc).toEqual({ v: 40 })
    expect(readdirSync(d).sort()).toEqual(['race.md', 'race.md.infill.json'])
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
  // Written to hold whether the policy answers at once or as a promise.
  const attempt = (f: () => unknown): Promise<unknown> => Promise.resolve().then(f)
  it('allows the workspace and granted paths only', async () => {
    const ws = dir()
    const policy = new PathPolicy(ws)
    expect(await policy.check('notes.md')).toBe(join(ws, 'notes.md'))
    await expect(attempt(() => policy.check('../escape.md'))).rejects.toThrow(/outside the workspace/)
    await expect(attempt(() => policy.check('/etc/passwd'))).rejects.toThrow(/outside the workspace/)
    const desktop = new PathPolicy(null)
    const picked = join(dir(), 'x.md')
    await expect(attempt(() => desktop.check(picked))).rejects.toThrow(/file dialog/)
    await desktop.grant(picked)
    expect(await desktop.check(picked)).toBe(picked)
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
