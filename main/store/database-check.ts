/**
 * Inspects a database file before the store uses it: is it Infill's preference log, a
 * foreign SQLite database, or not a readable database at all? Opens the file read-only,
 * so a file that fails the check is never changed (never checkpointed, never migrated).
 */
import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { sqliteBindingOption } from './native-binding'
import { PreferenceStoreError } from './errors'
import { APPLICATION_ID, SCHEMA_VERSION } from './schema'

/** What a database file turned out to be. */
export type DatabaseVerdict =
  | { kind: 'absent' }
  | { kind: 'ok'; version: number }
  | { kind: 'corrupt'; detail: string }
  | { kind: 'foreign'; detail: string }
  | { kind: 'newer'; version: number }

/** Checks the file at `path`; throws only for problems that say nothing about its content (permissions, a folder). */
export function inspectDatabaseFile(path: string): DatabaseVerdict {
  if (!existsSync(path)) return { kind: 'absent' }
  let db: Database.Database
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, ...sqliteBindingOption() })
  } catch (err) {
    if (isCorruptionError(err)) return { kind: 'corrupt', detail: sqliteMessage(err) }
    throw cannotOpenError(path, err)
  }
  try {
    const applicationId = db.pragma('application_id', { simple: true }) as number
    const version = db.pragma('user_version', { simple: true }) as number
    const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
      (t) => t.name,
    )
    const empty = applicationId === 0 && version === 0 && tables.length === 0
    if (applicationId !== APPLICATION_ID && !empty) {
      const owner = applicationId === 0 ? 'no application id' : `application id 0x${(applicationId >>> 0).toString(16)}`
      const listed = tables.length ? `tables ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}` : 'no tables'
      return { kind: 'foreign', detail: `it is a SQLite database of another application (${owner}, ${listed})` }
    }
    const results = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check)
    if (results.length !== 1 || results[0] !== 'ok') {
      const problems = results.flatMap((r) => r.split('\n')).filter((line) => line && !line.startsWith('*** in database'))
      return { kind: 'corrupt', detail: `its integrity check failed: ${problems.slice(0, 3).join('; ')}` }
    }
    if (version > SCHEMA_VERSION) return { kind: 'newer', version }
    return { kind: 'ok', version }
  } catch (err) {
    if (isCorruptionError(err)) return { kind: 'corrupt', detail: sqliteMessage(err) }
    throw cannotOpenError(path, err)
  } finally {
    db.close()
  }
}

/** True for SQLite's "not a database" and "malformed" errors: the file's content is the problem. */
export function isCorruptionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
}

function sqliteMessage(err: unknown): string {
  return `SQLite says "${err instanceof Error ? err.message : String(err)}"`
}

function cannotOpenError(path: string, err: unknown): PreferenceStoreError {
  const reason = err instanceof Error ? err.message : String(err)
  return new PreferenceStoreError(
    'cannot-open',
    `Could not open the preference log ${path}: ${reason}. Check that it is a readable file (not a folder) and that no other program holds it.`,
    { cause: err },
  )
}
