/**
 * Sets a bad database file aside by renaming it (never deleting it), together with its
 * SQLite side files, so the writer can still recover it and a new log can start.
 */
import { existsSync, renameSync } from 'node:fs'

/** Why a file was set aside; it becomes part of the new name (`prefs.sqlite.corrupt-<time>`). */
export type SetAsideKind = 'corrupt' | 'foreign'

/** A file the store set aside at open. */
export interface SetAsideFile {
  kind: SetAsideKind
  /** Where the file was. */
  originalPath: string
  /** Where it is now. */
  renamedTo: string
  /** A sentence for the writer: the file, what was wrong, where it went. */
  message: string
}

/** SQLite's side files; `<name>-wal` belongs to `<name>`, so they keep their suffix after the new name. */
const SIDE_SUFFIXES = ['-wal', '-shm', '-journal'] as const

/**
 * Renames `path` (and its -wal, -shm, -journal) to `path.<kind>-<UTC time>` and returns
 * the new path. Side files go first: a stale WAL left beside a new database would be replayed into it.
 */
export function setAsideDatabase(path: string, kind: SetAsideKind, now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')
  let target = `${path}.${kind}-${stamp}`
  for (let n = 2; [target, ...SIDE_SUFFIXES.map((s) => target + s)].some((p) => existsSync(p)); n++) {
    target = `${path}.${kind}-${stamp}-${n}`
  }
  for (const suffix of SIDE_SUFFIXES) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix)
  }
  renameSync(path, target)
  return target
}
