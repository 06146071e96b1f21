/**
 * Writes a text file atomically from a stream of lines: temporary file beside the target,
 * fsync, rename over the target, fsync the folder. A crash or an error at any point
 * leaves either the previous file or the complete new one, never a partial file.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

const CHUNK_BYTES = 1 << 16

/** Writes every string of `lines` (each already newline-terminated) to `path`; returns how many there were. */
export function writeLinesAtomic(path: string, lines: Iterable<string>): number {
  const dir = dirname(path)
  mkdirSync(dir, { recursive: true })
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const fd = openSync(tmp, 'wx', 0o644)
  let count = 0
  try {
    let pending: string[] = []
    let pendingLength = 0
    for (const line of lines) {
      pending.push(line)
      pendingLength += line.length
      count++
      if (pendingLength >= CHUNK_BYTES) {
        writeAll(fd, pending.join(''))
        pending = []
        pendingLength = 0
      }
    }
    writeAll(fd, pending.join(''))
    fsyncSync(fd)
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  try {
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  syncFolder(dir)
  return count
}

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8')
  for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset)
}

function syncFolder(dir: string): void {
  // Windows cannot open a folder for fsync; the rename is atomic there all the same.
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
