/**
 * The checksums the Hugging Face Hub publishes for a file, and checking a file against them:
 * the LFS object id (sha256 of the content) for large files, the git blob id (sha1 of
 * "blob <size>\0" + content) for small files kept in git.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** What the Hub's tree listing says a file must hash to. */
export type ExpectedChecksum = { kind: 'sha256'; hex: string } | { kind: 'git-sha1'; hex: string }

/** The checksum a listing entry carries: its LFS sha256 when it is an LFS file, else its git blob sha1. */
export function expectedChecksum(entry: { oid?: string; lfs?: { oid: string } }): ExpectedChecksum | null {
  if (entry.lfs?.oid) return { kind: 'sha256', hex: entry.lfs.oid.replace(/^sha256:/, '').toLowerCase() }
  if (entry.oid) return { kind: 'git-sha1', hex: entry.oid.toLowerCase() }
  return null
}

/** Hashes a file the way `expected` is computed; `size` is the file's byte length (the git blob header needs it). */
export async function fileChecksum(path: string, kind: ExpectedChecksum['kind'], size: number, signal?: AbortSignal): Promise<string> {
  const hash = kind === 'sha256' ? createHash('sha256') : createHash('sha1')
  if (kind === 'git-sha1') hash.update(`blob ${size}\0`)
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Hashes bytes in memory the same way (the fixture hub and tests use it). */
export function bytesChecksum(bytes: Uint8Array, kind: ExpectedChecksum['kind']): string {
  const hash = kind === 'sha256' ? createHash('sha256') : createHash('sha1')
  if (kind === 'git-sha1') hash.update(`blob ${bytes.byteLength}\0`)
  hash.update(bytes)
  return hash.digest('hex')
}
