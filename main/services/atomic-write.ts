/**
 * Writes that never follow links. A temporary file is created exclusively (O_CREAT|O_EXCL,
 * and O_NOFOLLOW where the platform has it) at an unpredictable name beside its target,
 * written and fsynced, then renamed over the target (rename replaces a link, never writes
 * through it), and the result is verified: the target's real path is where the caller meant
 * and the file there is the very file written (same device and inode). A link planted at any
 * name a save uses (a cloned repository or an unpacked archive can carry one) therefore never
 * sends bytes outside the folder, and a crash leaves the old file or the new one, never half.
 */
import { randomBytes } from 'node:crypto'
import { constants, promises as fs } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** O_NOFOLLOW where the platform has it (not Windows, which has no such links in a workspace by default). */
export const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0

/** A save could not be verified: something else than the file written sits at its name. */
export class WriteVerifyError extends Error {
  override name = 'WriteVerifyError'
}

/** A file this process created and wrote, not yet in place of anything. */
export interface WrittenFile {
  path: string
  dev: number
  ino: number
}

/** A name nobody can guess ahead: `<prefix><24 hex digits>.tmp`. */
export function unpredictableName(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}.tmp`
}

/**
 * Creates a new file in `dir` at an unpredictable name starting with `prefix` (exclusively,
 * never through a link), writes `bytes`, sets `mode` when given (a replaced file keeps its
 * permissions), fsyncs it, and says which file it is.
 */
export async function writeNewFile(dir: string, prefix: string, bytes: Uint8Array, mode?: number): Promise<WrittenFile> {
  const path = join(dir, unpredictableName(prefix))
  const handle = await fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o644)
  let written: WrittenFile | null = null
  try {
    await handle.writeFile(bytes)
    if (mode !== undefined) await handle.chmod(mode)
    await handle.sync()
    const st = await handle.stat()
    written = { path, dev: st.dev, ino: st.ino }
    return written
  } finally {
    await handle.close().catch(() => undefined)
    if (!written) await fs.rm(path, { force: true })
  }
}

/**
 * Renames a written file over `target` and checks the outcome: `target` is a regular file,
 * the one written, and its folder's real path is still `realDir` (taken before the write).
 * Throws WriteVerifyError otherwise (the bytes went somewhere the caller did not mean).
 */
export async function renameVerified(file: WrittenFile, target: string, realDir: string): Promise<WrittenFile> {
  await fs.rename(file.path, target)
  const st = await fs.lstat(target)
  const same = st.isFile() && st.dev === file.dev && (file.ino === 0 || st.ino === file.ino)
  const real = await fs.realpath(target).catch(() => null)
  if (!same || real !== join(realDir, basename(target)))
    throw new WriteVerifyError(`${basename(target)} was not saved: after the write, a link or another file stood at its name (its folder may have been swapped); nothing was written through it.`)
  return { ...file, path: target }
}

/** Writes `data` to `path` atomically (see the module comment); returns the bytes written. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<number> {
  const dir = dirname(path)
  await fs.mkdir(dir, { recursive: true })
  const realDir = await fs.realpath(dir)
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const written = await writeNewFile(dir, `.infill-${process.pid}.`, bytes)
  try {
    await renameVerified(written, path, realDir)
  } catch (err) {
    await fs.rm(written.path, { force: true })
    throw err
  }
  await syncDirectory(dir)
  return bytes.byteLength
}

export async function syncDirectory(dir: string): Promise<void> {
  // Not every platform can open a directory for fsync (Windows cannot); the rename is still atomic there.
  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(dir, 'r')
    await handle.sync()
  } catch {
    /* best effort */
  } finally {
    await handle?.close().catch(() => undefined)
  }
}
