/**
 * Atomic file replacement: write a temporary file beside the target, fsync it, rename it
 * over the target, fsync the folder. A crash at any point leaves either the old file or
 * the new one, never a half-written file.
 */
import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { basename, dirname, join } from 'node:path'

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<number> {
  const dir = dirname(path)
  await fs.mkdir(dir, { recursive: true })
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const handle = await fs.open(tmp, 'w', 0o644)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } catch (err) {
    await handle.close().catch(() => undefined)
    await fs.rm(tmp, { force: true })
    throw err
  }
  await handle.close()
  try {
    await fs.rename(tmp, path)
  } catch (err) {
    await fs.rm(tmp, { force: true })
    throw err
  }
  await syncDirectory(dir)
  return bytes.byteLength
}

async function syncDirectory(dir: string): Promise<void> {
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
