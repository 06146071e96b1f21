/**
 * Documents on disk: Markdown or plain text, with Infill's marks in a sidecar file
 * (`notes.md` → `notes.md.infill.json`; names in document-files.ts). The two are one unit:
 *
 * - Saves and opens of one path run one at a time (PathQueue).
 * - A save writes the next sidecar as `pending` (recording the hash of the Markdown it
 *   belongs to) and the next Markdown as a temporary file, both fsynced; then renames the
 *   Markdown into place (the commit point), then the sidecar. A kill before the Markdown's
 *   rename leaves the old pair; after it, the open that follows finds the pending sidecar
 *   matching the Markdown and finishes the rename: the new pair.
 * - A sidecar whose hash does not match its Markdown (edited in another program) is moved
 *   aside, never deleted, and handed to the renderer, which restores its marks where the
 *   text still matches, and tells the writer.
 * - Saving onto an existing file that was not confirmed answers `exists` and writes nothing.
 * - Text is UTF-8 only; other encodings are refused by name (document-encoding.ts). Open and
 *   save share one size limit (MAX_DOCUMENT_BYTES in the contract).
 */
import { createHash } from 'node:crypto'
import { constants, promises as fs } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'
import { z } from 'zod'
import {
  DocumentSidecar,
  MAX_DOCUMENT_BYTES,
  type DocumentFile,
  type SaveOutcome,
  type WorkspaceEntry,
} from '../contract'
import { O_NOFOLLOW, renameVerified, syncDirectory, writeNewFile, WriteVerifyError } from './atomic-write'
import { decodeDocument, encodeDocument, UTF8_BOM } from './document-encoding'
import { documentFiles, nameFits, NAME_MAX_BYTES, type DocumentFiles } from './document-files'
import { PathQueue } from './document-queue'

export { MAX_DOCUMENT_BYTES }
export { sidecarPath } from './document-files'

/** File extensions Infill opens and saves. */
export const DOCUMENT_EXTENSIONS = ['.md', '.markdown', '.txt'] as const

export function markdownHash(markdown: string): string {
  return createHash('sha256').update(markdown, 'utf8').digest('hex')
}

export class DocumentError extends Error {
  override name = 'DocumentError'
}

/** Every open and save goes through this queue: one at a time per path. */
export const documentQueue = new PathQueue()

/** What a save of a document without marks leaves as its pending sidecar: "no sidecar for this text". */
const NoMarks = z.object({ format: z.literal('infill-no-marks'), markdownHash: z.string() })
const PendingSidecar = z.union([DocumentSidecar, NoMarks])
type PendingSidecar = z.infer<typeof PendingSidecar>

const megabytes = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`

/** Checks that `path` names a file type Infill handles; throws a DocumentError saying what to do otherwise. */
export function assertDocumentPath(path: string): void {
  const name = basename(path)
  const ext = extname(path).toLowerCase()
  if (!(DOCUMENT_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new DocumentError(
      `"${name}" is not a Markdown or text file. Infill opens and saves ${DOCUMENT_EXTENSIONS.join(', ')} files; choose a name ending in .md.`,
    )
  }
  if (!nameFits(name)) {
    throw new DocumentError(
      `The file name is ${Buffer.byteLength(name, 'utf8')} bytes long; file systems allow ${NAME_MAX_BYTES}. Choose a shorter name.`,
    )
  }
}

/** Reads a document and its sidecar (finishing a save that was interrupted after its Markdown was in place). */
export async function readDocument(path: string): Promise<DocumentFile> {
  assertDocumentPath(path)
  return documentQueue.run(path, () => readQueued(path))
}

async function readQueued(path: string): Promise<DocumentFile> {
  const name = basename(path)
  let stat
  try {
    stat = await fs.stat(path)
  } catch {
    throw new DocumentError(`Cannot open "${path}": the file does not exist or cannot be read.`)
  }
  if (!stat.isFile()) throw new DocumentError(`Cannot open "${path}": it is not a file.`)
  if (stat.size > MAX_DOCUMENT_BYTES) {
    throw new DocumentError(`Cannot open "${name}": it is ${megabytes(stat.size)}; Infill opens and saves documents up to ${megabytes(MAX_DOCUMENT_BYTES)}.`)
  }
  const decoded = decodeDocument(await fs.readFile(path))
  if (!decoded.ok) {
    throw new DocumentError(
      `Cannot open "${name}": it is not UTF-8 text; it looks like ${decoded.encoding}: ${decoded.detail}. Infill edits UTF-8 only, so the file was not opened and nothing in it was changed. Convert it first, for example: iconv -f WINDOWS-1252 -t UTF-8 "${name}" > "utf8-${name}"`,
    )
  }
  const markdown = decoded.text
  if (markdown.includes('\u0000')) {
    throw new DocumentError(`Cannot open "${name}": it looks like a binary file, not text.`)
  }
  return { path, markdown, ...(await readSidecar(path, markdownHash(markdown))) }
}

type SidecarOnDisk = { kind: 'missing' } | { kind: 'unreadable'; why: string } | { kind: 'ok'; sidecar: DocumentSidecar }

/**
 * A sidecar-like file's text, read without following a link (O_NOFOLLOW) or blocking on a
 * pipe (O_NONBLOCK), from regular files within the document size limit only.
 */
async function readOwnFile(file: string): Promise<{ kind: 'missing' } | { kind: 'refused'; why: string } | { kind: 'text'; text: string }> {
  let handle
  try {
    handle = await fs.open(file, constants.O_RDONLY | O_NOFOLLOW | (constants.O_NONBLOCK ?? 0))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return { kind: 'missing' }
    if (code === 'ELOOP' || code === 'EMLINK') return { kind: 'refused', why: 'it is a link' }
    return { kind: 'refused', why: `it cannot be read (${code ?? 'error'})` }
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) return { kind: 'refused', why: 'it is not a regular file' }
    if (st.size > 2 * MAX_DOCUMENT_BYTES) return { kind: 'refused', why: `it is ${megabytes(st.size)}` }
    return { kind: 'text', text: await handle.readFile('utf8') }
  } finally {
    await handle.close()
  }
}

async function readSidecarFile(file: string): Promise<SidecarOnDisk> {
  const read = await readOwnFile(file)
  if (read.kind === 'missing') return { kind: 'missing' }
  if (read.kind === 'refused') return { kind: 'unreadable', why: read.why }
  let json: unknown
  try {
    json = JSON.parse(read.text)
  } catch {
    return { kind: 'unreadable', why: 'it is not valid JSON' }
  }
  const parsed = DocumentSidecar.safeParse(json)
  return parsed.success ? { kind: 'ok', sidecar: parsed.data } : { kind: 'unreadable', why: "it is not in Infill's format" }
}

async function readPending(file: string): Promise<PendingSidecar | null> {
  const read = await readOwnFile(file)
  if (read.kind !== 'text') return null
  try {
    const parsed = PendingSidecar.safeParse(JSON.parse(read.text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

async function readSidecar(path: string, hash: string): Promise<Pick<DocumentFile, 'sidecar' | 'sidecarNote' | 'setAside'>> {
  const files = documentFiles(path)
  const pending = await readPending(files.pendingSidecar)
  if (pending && pending.markdownHash === hash) {
    // A save was interrupted after its Markdown was in place (or wrote the same text): finish it.
    if (pending.format === 'infill-no-marks') {
      await fs.rm(files.sidecar, { force: true })
      await fs.rm(files.pendingSidecar, { force: true })
      await syncDirectory(dirname(path))
      return { sidecar: null }
    }
    await fs.rename(files.pendingSidecar, files.sidecar)
    await syncDirectory(dirname(path))
    return { sidecar: pending }
  }
  // A pending sidecar for other text belongs to a save that never put its Markdown in place.
  await fs.rm(files.pendingSidecar, { force: true })

  const current = await readSidecarFile(files.sidecar)
  if (current.kind === 'missing') return { sidecar: null }
  if (current.kind === 'ok' && current.sidecar.markdownHash === hash) return { sidecar: current.sidecar }

  const aside = files.setAside(new Date().toISOString().replace(/[:.]/g, '-'))
  await fs.rename(files.sidecar, aside)
  const sidecarName = basename(files.sidecar)
  if (current.kind === 'unreadable') {
    return {
      sidecar: null,
      sidecarNote: `The marks file ${sidecarName} could not be read (${current.why}); it was moved to ${basename(aside)} and the text opened without its masks, locks and provenance.`,
    }
  }
  return {
    sidecar: null,
    sidecarNote: `${basename(path)} was changed outside Infill since its marks were saved. The old marks file was kept as ${basename(aside)}.`,
    setAside: { path: aside, sidecar: current.sidecar },
  }
}

async function startsWithUtf8Bom(path: string): Promise<boolean> {
  const handle = await fs.open(path, constants.O_RDONLY | O_NOFOLLOW | (constants.O_NONBLOCK ?? 0))
  try {
    const head = Buffer.alloc(3)
    const { bytesRead } = await handle.read(head, 0, 3, 0)
    return bytesRead === 3 && head.equals(UTF8_BOM)
  } finally {
    await handle.close()
  }
}

export interface WriteOptions {
  /** See SaveRequest.ifExists: 'fail' (default) answers `exists` when the file is there. */
  ifExists?: 'fail' | 'replace'
}

/** Saves the Markdown and its sidecar as one unit (see the module comment), after earlier work on the same path. */
export async function writeDocument(path: string, markdown: string, sidecar: DocumentSidecar | null, options: WriteOptions = {}): Promise<SaveOutcome> {
  assertDocumentPath(path)
  const bytes = Buffer.byteLength(markdown, 'utf8')
  if (bytes > MAX_DOCUMENT_BYTES) {
    throw new DocumentError(`Cannot save "${basename(path)}": it is ${megabytes(bytes)}; Infill opens and saves documents up to ${megabytes(MAX_DOCUMENT_BYTES)}. Split it into smaller documents.`)
  }
  return documentQueue.run(path, () => writeQueued(path, markdown, sidecar, options.ifExists ?? 'fail'))
}

async function writeQueued(path: string, markdown: string, sidecar: DocumentSidecar | null, ifExists: 'fail' | 'replace'): Promise<SaveOutcome> {
  // lstat: a link at the document's own name is refused, never written through.
  const stat = await fs.lstat(path).catch(() => null)
  if (stat?.isSymbolicLink()) throw new DocumentError(`Cannot save "${basename(path)}": a link has that name; Infill does not write through links.`)
  if (stat && !stat.isFile()) throw new DocumentError(`Cannot save "${basename(path)}": a folder or other non-file has that name.`)
  if (stat && ifExists !== 'replace') return { status: 'exists', path, name: basename(path) }
  const bom = stat ? await startsWithUtf8Bom(path) : false
  const dir = dirname(path)
  const files = documentFiles(path)
  await fs.mkdir(dir, { recursive: true })
  const realDir = await fs.realpath(dir)
  await removeStaleTemps(dir, files)
  const hash = markdownHash(markdown)
  const pending: PendingSidecar = sidecar ? { ...sidecar, markdownHash: hash } : { format: 'infill-no-marks', markdownHash: hash }
  const body = encodeDocument(markdown, bom)
  // A replaced file keeps its permissions, and its marks (which hold its text too) get the same:
  // a private 0600 note stays private.
  const mode = stat ? stat.mode & 0o7777 : undefined
  // Both files are new, created exclusively at unpredictable names (atomic-write.ts); the
  // renames replace whatever stands at the fixed names (a planted link included) and are verified.
  const temps: string[] = []
  let pendingFile
  try {
    const pendingTemp = await writeNewFile(dir, files.tempPrefix, Buffer.from(JSON.stringify(pending), 'utf8'), mode)
    temps.push(pendingTemp.path)
    const markdownTemp = await writeNewFile(dir, files.tempPrefix, body, mode)
    temps.push(markdownTemp.path)
    pendingFile = await renameVerified(pendingTemp, files.pendingSidecar, realDir)
    await renameVerified(markdownTemp, path, realDir)
  } catch (err) {
    // Nothing is in place yet (or what is there is not what was written): the old pair stands.
    for (const t of temps) await fs.rm(t, { force: true })
    await fs.rm(files.pendingSidecar, { force: true })
    throw err instanceof WriteVerifyError ? new DocumentError(err.message) : err
  }
  // The Markdown is in place; make that durable before the sidecar follows it.
  await syncDirectory(dir)
  if (sidecar) {
    try {
      await renameVerified(pendingFile, files.sidecar, realDir)
    } catch (err) {
      throw err instanceof WriteVerifyError ? new DocumentError(err.message) : err
    }
  } else {
    await fs.rm(files.sidecar, { force: true })
    await fs.rm(files.pendingSidecar, { force: true })
  }
  await syncDirectory(dir)
  return { status: 'saved', path, bytes: body.byteLength, savedAt: new Date().toISOString() }
}

/** Removes the temporary files a killed save of this document left (saves of one path run one at a time). */
async function removeStaleTemps(dir: string, files: DocumentFiles): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) if (files.isTemp(name)) await fs.rm(join(dir, name), { force: true })
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
