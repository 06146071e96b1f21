/**
 * Documents on disk: Markdown or plain text, with Infill's marks in a sidecar file
 * (`notes.md` → `notes.md.infill.json`). The sidecar records the hash of the Markdown it
 * belongs to; when the Markdown was changed by another program the sidecar is ignored
 * (and the writer told), so marks never land on the wrong text.
 */
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { DocumentSidecar, type DocumentFile, type SavedDocument, type WorkspaceEntry } from '../contract'
import { writeFileAtomic } from './atomic-write'

/** File extensions Infill opens and saves. */
export const DOCUMENT_EXTENSIONS = ['.md', '.markdown', '.txt'] as const

/** Largest document Infill opens (bytes). */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

export function sidecarPath(path: string): string {
  return `${path}.infill.json`
}

export function markdownHash(markdown: string): string {
  return createHash('sha256').update(markdown, 'utf8').digest('hex')
}

export class DocumentError extends Error {
  override name = 'DocumentError'
}

/** Checks that `path` names a file type Infill handles; throws a DocumentError saying what to do otherwise. */
export function assertDocumentPath(path: string): void {
  const ext = extname(path).toLowerCase()
  if (!(DOCUMENT_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new DocumentError(
      `"${basename(path)}" is not a Markdown or text file. Infill opens and saves ${DOCUMENT_EXTENSIONS.join(', ')} files; choose a name ending in .md.`,
    )
  }
}

/** Reads a document and its sidecar. */
export async function readDocument(path: string): Promise<DocumentFile> {
  assertDocumentPath(path)
  let stat
  try {
    stat = await fs.stat(path)
  } catch {
    throw new DocumentError(`Cannot open "${path}": the file does not exist or cannot be read.`)
  }
  if (!stat.isFile()) throw new DocumentError(`Cannot open "${path}": it is not a file.`)
  if (stat.size > MAX_DOCUMENT_BYTES) {
    throw new DocumentError(`Cannot open "${basename(path)}": it is ${(stat.size / 1048576).toFixed(1)} MB; Infill opens documents up to ${MAX_DOCUMENT_BYTES / 1048576} MB.`)
  }
  const buf = await fs.readFile(path)
  const markdown = new TextDecoder('utf-8', { fatal: false }).decode(buf)
  if (markdown.includes('\u0000')) {
    throw new DocumentError(`Cannot open "${basename(path)}": it looks like a binary file, not text.`)
  }
  const { sidecar, note } = await readSidecar(path, markdown)
  return { path, markdown, sidecar, ...(note ? { sidecarNote: note } : {}) }
}

async function readSidecar(path: string, markdown: string): Promise<{ sidecar: DocumentSidecar | null; note?: string }> {
  let raw: string
  try {
    raw = await fs.readFile(sidecarPath(path), 'utf8')
  } catch {
    return { sidecar: null }
  }
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    return { sidecar: null, note: `The marks file ${basename(sidecarPath(path))} is not valid JSON; the text opened without its masks, locks and provenance.` }
  }
  const parsed = DocumentSidecar.safeParse(json)
  if (!parsed.success) {
    return { sidecar: null, note: `The marks file ${basename(sidecarPath(path))} is not in Infill's format; the text opened without its marks.` }
  }
  if (parsed.data.markdownHash !== markdownHash(markdown)) {
    return { sidecar: null, note: `${basename(path)} was changed outside Infill since its marks were saved; the text opened without its masks, locks and provenance.` }
  }
  return { sidecar: parsed.data }
}

/** Saves the Markdown and its sidecar, each atomically (Markdown first). */
export async function writeDocument(path: string, markdown: string, sidecar: DocumentSidecar | null): Promise<SavedDocument> {
  assertDocumentPath(path)
  const bytes = await writeFileAtomic(path, markdown)
  if (sidecar) {
    const withHash: DocumentSidecar = { ...sidecar, markdownHash: markdownHash(markdown) }
    await writeFileAtomic(sidecarPath(path), JSON.stringify(withHash))
  } else {
    await fs.rm(sidecarPath(path), { force: true })
  }
  return { path, bytes, savedAt: new Date().toISOString() }
}

/** Lists the documents in a workspace folder (not recursive), newest first. */
export async function listWorkspace(dir: string): Promise<WorkspaceEntry[]> {
  await fs.mkdir(dir, { recursive: true })
  const names = await fs.readdir(dir)
  const entries: WorkspaceEntry[] = []
  for (const name of names) {
    if (name.startsWith('.')) continue
    if (!(DOCUMENT_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase())) continue
    const path = join(dir, name)
    const stat = await fs.stat(path).catch(() => null)
    if (!stat?.isFile()) continue
    entries.push({ path, name, modifiedAt: stat.mtime.toISOString(), bytes: stat.size })
  }
  return entries.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt))
}
