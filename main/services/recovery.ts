/**
 * Recovery copies: while a document has unsaved changes the renderer writes a copy here
 * every so often; after a crash the copies are offered at start-up. They live in the
 * user-data folder, one file per document id, named by the id's hash (so `doc.a` and
 * `doc_a` never share a file), written atomically, discarded once the document is saved
 * or closed. The path an entry carries is data shown to the writer, never a place the host
 * writes to or a grant for later requests.
 */
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { RecoveryEntry, type RecoveryWrite } from '../contract'
import { writeFileAtomic } from './atomic-write'

/** How many documents may have a recovery copy at once (bounds the disk a renderer can fill). */
export const MAX_RECOVERY_ENTRIES = 64
/** Largest recovery copy (characters of Markdown), the same bound as an opened document. */
export const MAX_RECOVERY_CHARS = 20 * 1024 * 1024

export class RecoveryError extends Error {
  override name = 'RecoveryError'
}

/** The file name of a document's recovery copy: sha256 of its id (collision-free, any characters). */
export function recoveryFileName(documentId: string): string {
  return `${createHash('sha256').update(documentId, 'utf8').digest('hex')}.json`
}

export class RecoveryStore {
  constructor(private readonly dir: string) {}

  private fileFor(documentId: string): string {
    return join(this.dir, recoveryFileName(documentId))
  }

  async write(entry: RecoveryWrite): Promise<void> {
    if (entry.markdown.length > MAX_RECOVERY_CHARS) {
      throw new RecoveryError(`The recovery copy of this document is ${entry.markdown.length} characters; the limit is ${MAX_RECOVERY_CHARS}. Save the document instead.`)
    }
    const file = this.fileFor(entry.documentId)
    const exists = await fs.stat(file).then(
      () => true,
      () => false,
    )
    if (!exists && (await this.fileNames()).length >= MAX_RECOVERY_ENTRIES) {
      throw new RecoveryError(`There are already ${MAX_RECOVERY_ENTRIES} recovery copies; save or close some documents first.`)
    }
    const record: RecoveryEntry = { ...entry, savedAt: new Date().toISOString() }
    await writeFileAtomic(file, JSON.stringify(record))
  }

  private async fileNames(): Promise<string[]> {
    try {
      return (await fs.readdir(this.dir)).filter((n) => n.endsWith('.json'))
    } catch {
      return []
    }
  }

  /** Every readable recovery copy, newest first; unreadable files are skipped, never deleted. */
  async list(): Promise<RecoveryEntry[]> {
    const out: RecoveryEntry[] = []
    for (const name of await this.fileNames()) {
      try {
        const parsed = RecoveryEntry.safeParse(JSON.parse(await fs.readFile(join(this.dir, name), 'utf8')))
        if (parsed.success) out.push(parsed.data)
      } catch {
        /* skip unreadable copy */
      }
    }
    return out.sort((a, b) => b.savedAt.localeCompare(a.savedAt))
  }

  async discard(documentId: string): Promise<void> {
    await fs.rm(this.fileFor(documentId), { force: true })
    // A copy written by an older Infill under the id's sanitized name goes too, if it is this document's.
    const legacy = join(this.dir, `${documentId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120)}.json`)
    try {
      const parsed = RecoveryEntry.safeParse(JSON.parse(await fs.readFile(legacy, 'utf8')))
      if (parsed.success && parsed.data.documentId === documentId) await fs.rm(legacy, { force: true })
    } catch {
      /* no legacy copy */
    }
  }
}
