/**
 * The files one document is made of, and their names. `notes.md` has its marks in
 * `notes.md.infill.json`; a save in progress writes `.infill-<h>.<random>.tmp` files and
 * `.infill-<h>.pending.json` beside them (h: a hash of the document's file name), so
 * every name fits the file system's limit of 255 bytes even when the document's own name
 * uses all of it. A sidecar that did not match its Markdown is moved aside, never deleted.
 */
import { createHash } from 'node:crypto'
import { basename, dirname, join } from 'node:path'

/** Longest file name (one path component) in bytes on the file systems Infill supports. */
export const NAME_MAX_BYTES = 255

const SIDECAR_SUFFIX = '.infill.json'

function nameHash(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 32)
}

/** Whether a file name fits the file system's limit. */
export function nameFits(name: string): boolean {
  return Buffer.byteLength(name, 'utf8') <= NAME_MAX_BYTES
}

export interface DocumentFiles {
  /** The Markdown (or text) file itself. */
  markdown: string
  /** Its marks: `<name>.infill.json`, or a hashed hidden name when that would be too long. */
  sidecar: string
  /** The next sidecar while a save is in progress; it belongs to the Markdown whose hash it records. */
  pendingSidecar: string
  /**
   * How a save's temporary files begin (`.infill-<h>.`); each gets an unpredictable rest
   * (atomic-write.ts), so no link can be planted at it ahead. A kill can leave one behind:
   * the next save of the document removes those (isTemp).
   */
  tempPrefix: string
  /** Whether a file name in the document's folder is one of its save's temporary files. */
  isTemp(name: string): boolean
  /** Where a sidecar that does not match its Markdown is moved (named by `stamp`). */
  setAside(stamp: string): string
}

export function documentFiles(path: string): DocumentFiles {
  const dir = dirname(path)
  const name = basename(path)
  const h = nameHash(name)
  const plainSidecar = `${name}${SIDECAR_SUFFIX}`
  return {
    markdown: path,
    sidecar: join(dir, nameFits(plainSidecar) ? plainSidecar : `.infill-${h}${SIDECAR_SUFFIX}`),
    pendingSidecar: join(dir, `.infill-${h}.pending.json`),
    tempPrefix: `.infill-${h}.`,
    isTemp: (n) => n.startsWith(`.infill-${h}.`) && n.endsWith('.tmp'),
    setAside: (stamp) => {
      const readable = `${name}.infill-set-aside-${stamp}.json`
      return join(dir, nameFits(readable) ? readable : `.infill-${h}.set-aside-${stamp}.json`)
    },
  }
}

/** The sidecar's path for a document (`notes.md` → `notes.md.infill.json`). */
export function sidecarPath(path: string): string {
  return documentFiles(path).sidecar
}
