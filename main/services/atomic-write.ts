/**
 * Atomic file replacement: write a temporary file beside the target, fsync it, rename it
 * over the target, fsync the folder. A crash at any point leaves either the old file or
 * the new one, never a half-written file. Temporary names are short (a hash of the target's
 * name), so a target whose name uses the file system's whole 255-byte limit still works.
 */
import { createHash, randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** Writes `bytes` to `path` (created or truncated) and fsyncs it; the file is not yet in place of anything. */
export async function writeDurable(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await fs.open(path, 'w', 0o644)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<number> {
  const dir = dirname(path)
  await fs.mkdir(dir, { recursive: true })
  const h = createHash('sha256').update(basename(path), 'utf8').digest('hex').slice(0, 16)
  const tmp = join(dir, `.infill-${h}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  try {
    await writeDurable(tmp, bytes)
    await fs.rename(tmp, path)
  } catch (err) {
    await fs.rm(tmp, { force: true })
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
