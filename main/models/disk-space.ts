/**
 * Free space on the disk that will hold a download, checked before the first byte is
 * fetched. `statfs` is injectable so tests can simulate a full disk.
 */
import { statfs as nodeStatfs } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { formatBytes } from './progress-meter'

/** The part of fs.statfs's answer used here. */
export type StatFs = (path: string) => Promise<{ bavail: number | bigint; bsize: number | bigint }>

/** Room kept free beyond the download itself (the OS, the preference log, recovery copies). */
export const SPARE_BYTES = 64 * 1024 * 1024

export class NoSpaceError extends Error {
  override name = 'NoSpaceError'
}

/** Bytes available to this user on the disk holding `path` (the nearest existing folder above it). */
export async function freeBytes(path: string, statfs: StatFs = nodeStatfs): Promise<number> {
  let dir = resolve(path)
  for (;;) {
    try {
      const s = await statfs(dir)
      return Number(s.bavail) * Number(s.bsize)
    } catch (err) {
      const up = dirname(dir)
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || up === dir) throw err
      dir = up
    }
  }
}

/** Throws NoSpaceError, naming both figures and the folder, when `needed` bytes (plus a spare) do not fit. */
export async function ensureSpace(path: string, needed: number, statfs: StatFs = nodeStatfs): Promise<void> {
  const free = await freeBytes(path, statfs)
  if (free < needed + SPARE_BYTES)
    throw new NoSpaceError(
      `Not enough disk space: the download needs ${formatBytes(needed)} (plus ${formatBytes(SPARE_BYTES)} to spare) but the disk holding ${path} has ${formatBytes(free)} free. Free some space or download to another disk with --to DIR.`,
    )
}
