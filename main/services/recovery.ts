/**
 * Recovery copies: while a document has unsaved changes the renderer writes a copy here
 * every so often; after a crash the copies are offered at start-up. One file per
 * document id, written atomically; discarded once the document is saved or closed.
 */
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { RecoveryEntry, type RecoveryWrite } from '../contract'
import { writeFileAtomic } from './atomic-write'

export class RecoveryStore {
  constructor(private readonly dir: string) {}

  private fileFor(documentId: string): string {
    const safe = documentId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120)
    return join(this.dir, `${safe}.json`)
  }

  async write(entry: RecoveryWrite): Promise<void> {
    const record: RecoveryEntry = { ...entry, savedAt: new Date().toISOString() }
    await writeFileAtomic(this.fileFor(entry.documentId), JSON.stringify(record))
  }

  /** Every readable recovery copy, newest first; unreadable files are skipped, never deleted. */
  async list(): Promise<RecoveryEntry[]> {
    let names: string[]
    try {
      names = await fs.readdir(this.dir)
    } catch {
      return []
    }
    const out: RecoveryEntry[] = []
    for (const name of names.filter((n) => n.endsWith('.json'))) {
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
  }
}
