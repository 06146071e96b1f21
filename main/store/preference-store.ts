/**
 * The preference log: every writer decision on a fill, one row each, in a SQLite file in
 * the user-data folder (the host passes the path; this module never imports Electron).
 *
 * Durability: WAL journal with `synchronous = FULL`, so `log()` returns only after the
 * decision is committed to disk; the UI confirms a decision only after that.
 * Safety: a corrupt or foreign file found at open is set aside (renamed, never deleted)
 * and a new log is started; `stats().setAside` names where it went.
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { sqliteBindingOption } from './native-binding'
import { z } from 'zod'
import {
  DecisionAction,
  DecisionInput,
  ExportFormat,
  type DecisionRecord,
  type RetractReason,
  type ExportResult,
  type PreferencePairPreview,
  type PreferenceStats,
} from '../contract'
import { inspectDatabaseFile, type DatabaseVerdict } from './database-check'
import { INSERT_DECISION_SQL, fromRow, toRow, type DecisionRow } from './decision-rows'
import { PreferenceStoreError } from './errors'
import { formatLine, preferenceLines, standardLines } from './export-lines'
import { writeLinesAtomic } from './atomic-lines'
import { decisionProblem, derivePairs } from './preference-pairs'
import { SCHEMA_VERSION, migrate, newerSchemaError } from './schema'
import { setAsideDatabase, type SetAsideFile } from './set-aside'

export type { SetAsideFile } from './set-aside'

/** Options for opening a store. */
export interface PreferenceStoreOptions {
  /** The clock for `created_at` and set-aside names (tests pass a fixed one). */
  now?: () => Date
}

/** What `log()` did: the new row's id, or why nothing was written. */
export type LogResult = { logged: true; id: number } | { logged: false; id: null; message: string }

/** The message `log()` returns while logging is turned off. */
export const LOGGING_OFF_MESSAGE =
  'Preference logging is off, so this decision was not recorded. Turn logging on in the preferences panel to record decisions.'

const LOGGING_ENABLED_KEY = 'logging_enabled'
/** How long a write waits for another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5000

/** A preference log over one SQLite file. Open with `PreferenceStore.open` (the app) or `openReadOnly` (tools). */
export class PreferenceStore {
  private closed = false
  private insertStatement: Database.Statement | undefined

  private constructor(
    private readonly db: Database.Database,
    /** Absolute path of the database file. */
    readonly path: string,
    /** True when opened with `openReadOnly`: every write throws. */
    readonly readOnly: boolean,
    /** The corrupt or foreign file found at this path and set aside when the store opened. */
    readonly setAside: SetAsideFile | undefined,
    private readonly now: () => Date,
  ) {}

  /**
   * Opens (or creates, folders included) the log at `path` for reading and writing, and
   * migrates it to the current schema. A corrupt or foreign file there is set aside and a
   * new log started (see `setAside`). Throws 'newer-schema' for a log from a newer Infill
   * (left untouched) and 'cannot-open' when the path cannot be opened at all (a folder, no permission).
   */
  static open(path: string, options: PreferenceStoreOptions = {}): PreferenceStore {
    const file = resolve(path)
    const now = options.now ?? (() => new Date())
    mkdirSync(dirname(file), { recursive: true })
    const verdict = inspectDatabaseFile(file)
    if (verdict.kind === 'newer') throw newerSchemaError(file, verdict.version)
    const setAside = verdict.kind === 'corrupt' || verdict.kind === 'foreign' ? setAsideBadFile(file, verdict, now()) : undefined

    let db: Database.Database
    try {
      db = new Database(file, sqliteBindingOption())
    } catch (err) {
      throw new PreferenceStoreError('cannot-open', `Could not create the preference log ${file}: ${(err as Error).message}.`, { cause: err })
    }
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL') // fsync the WAL at every commit: log() returns only once the decision is on disk
      db.pragma('secure_delete = ON') // clear() leaves no old text in freed pages
      migrate(db, file)
      return new PreferenceStore(db, file, false, setAside, now)
    } catch (err) {
      db.close()
      throw err
    }
  }

  /**
   * Opens an existing log read-only, for tools such as the export CLI. Never changes,
   * migrates or sets aside the file: a missing, corrupt, foreign or older/newer log is an
   * error that says what is wrong.
   */
  static openReadOnly(path: string): PreferenceStore {
    const file = resolve(path)
    const verdict = inspectDatabaseFile(file)
    switch (verdict.kind) {
      case 'absent':
        throw new PreferenceStoreError('missing', `There is no preference log at ${file}. Check the path (Infill keeps it as prefs.sqlite in its user-data folder).`)
      case 'corrupt':
      case 'foreign':
        throw new PreferenceStoreError(
          verdict.kind,
          `${file} is not a usable Infill preference log: ${verdict.detail}. It was left unchanged; use the prefs.sqlite file in Infill's user-data folder.`,
        )
      case 'newer':
        throw newerSchemaError(file, verdict.version)
      case 'ok':
        if (verdict.version === 0) {
          throw new PreferenceStoreError('missing', `${file} is an empty file, not a preference log. Check the path (Infill keeps it as prefs.sqlite in its user-data folder).`)
        }
        if (verdict.version < SCHEMA_VERSION) {
          throw new PreferenceStoreError(
            'older-schema',
            `The preference log ${file} has schema version ${verdict.version}; this tool reads version ${SCHEMA_VERSION}. Open Infill once to upgrade it, then export again.`,
          )
        }
    }
    const db = new Database(file, { readonly: true, fileMustExist: true, ...sqliteBindingOption() })
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    return new PreferenceStore(db, file, true, undefined, () => new Date())
  }

  /**
   * Records one decision, committed durably before returning. Throws 'invalid-decision'
   * (nothing written) when the decision fails validation. While logging is turned off,
   * writes nothing and returns `{ logged: false }` with a message for the writer.
   */
  log(decision: DecisionInput): LogResult {
    this.assertWritable()
    const parsed = DecisionInput.safeParse(decision)
    if (!parsed.success) {
      throw new PreferenceStoreError('invalid-decision', `The decision was not logged because it is invalid: ${z.prettifyError(parsed.error)}`)
    }
    const problem = decisionProblem(parsed.data)
    if (problem) {
      throw new PreferenceStoreError('invalid-decision', `The decision for span "${parsed.data.spanId}" was not logged: ${problem}.`)
    }
    if (!this.loggingEnabled()) return { logged: false, id: null, message: LOGGING_OFF_MESSAGE }
    this.insertStatement ??= this.db.prepare(INSERT_DECISION_SQL)
    const info = this.insertStatement.run(toRow(parsed.data, this.now().toISOString()))
    return { logged: true, id: Number(info.lastInsertRowid) }
  }

  /** The most recent decisions, newest first (retracted ones included, with `retractedAt`). */
  list(limit: number): DecisionRecord[] {
    this.assertOpen()
    const rows = this.db.prepare('SELECT * FROM decisions ORDER BY id DESC LIMIT ?').all(positive(limit)) as DecisionRow[]
    return rows.map((row) => fromRow(row, this.path))
  }

  /** A preview of the most recent preference pairs (standard format), newest decision first. */
  pairs(limit: number): PreferencePairPreview[] {
    this.assertOpen()
    const max = positive(limit)
    const previews: PreferencePairPreview[] = []
    for (const record of this.decisions('DESC')) {
      for (const line of standardLines(record)) {
        previews.push({ decisionId: record.id, prompt: line.prompt, chosen: line.chosen, rejected: line.rejected, action: record.action })
        if (previews.length >= max) return previews
      }
    }
    return previews
  }

  /** Counts for the panel: decisions by action, pairs, whether logging is on, and any file set aside. */
  stats(): PreferenceStats {
    this.assertOpen()
    const byAction = Object.fromEntries(DecisionAction.options.map((a) => [a, 0])) as Record<DecisionAction, number>
    let total = 0
    let pairs = 0
    let compared: NonNullable<PreferenceStats['compare']> | undefined
    for (const record of this.decisions('ASC')) {
      total++
      byAction[record.action]++
      pairs += derivePairs(record).length
      if (record.compare) {
        compared ??= { tuned: 0, base: 0, neither: 0 }
        compared[record.compare.keptFrom]++
      }
    }
    const stats: PreferenceStats = { enabled: this.loggingEnabled(), total, byAction, pairs, dbPath: this.path }
    if (compared) stats.compare = compared
    if (this.setAside) {
      stats.setAside = this.setAside.renamedTo
      stats.setAsideReason = this.setAside.message
    }
    return stats
  }

  /** Turns logging on or off (remembered in the log itself); returns the new stats. */
  setEnabled(enabled: boolean): PreferenceStats {
    this.assertWritable()
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
      LOGGING_ENABLED_KEY,
      enabled ? '1' : '0',
    )
    return this.stats()
  }

  /**
   * Deletes every logged decision (settings stay). `confirm` must be `true`: the writer
   * confirmed. Freed pages are zeroed and the WAL truncated, so the text does not linger in the file.
   */
  clear(confirm: true): PreferenceStats {
    this.assertWritable()
    if (confirm !== true) {
      throw new PreferenceStoreError('not-confirmed', 'The preference log was not cleared: clearing needs the writer\'s confirmation (confirm: true).')
    }
    this.db.transaction(() => this.db.exec('DELETE FROM decisions')).immediate()
    this.db.pragma('wal_checkpoint(TRUNCATE)')
    return this.stats()
  }

  /**
   * Takes back one decision (the writer undid it): the row stays, marked retracted, and no
   * longer counts in stats, pairs or exports. Throws 'not-found' for an unknown id.
   */
  retract(id: number, reason: RetractReason = 'undone'): PreferenceStats {
    this.assertWritable()
    const info = this.db
      .prepare('UPDATE decisions SET retracted_at = ?, retracted_why = ? WHERE id = ? AND retracted_at IS NULL')
      .run(this.now().toISOString(), reason, id)
    if (info.changes === 0 && !this.db.prepare('SELECT 1 FROM decisions WHERE id = ?').get(id)) {
      throw new PreferenceStoreError('not-found', `Decision ${id} is not in the preference log (it may have been deleted or the log cleared); nothing was changed.`)
    }
    return this.stats()
  }

  /**
   * Deletes one decision, and so every pair it yields (the writer corrects the log). Freed
   * pages are zeroed (secure_delete). Throws 'not-found' for an unknown id.
   */
  delete(id: number): PreferenceStats {
    this.assertWritable()
    const info = this.db.prepare('DELETE FROM decisions WHERE id = ?').run(id)
    if (info.changes === 0) {
      throw new PreferenceStoreError('not-found', `Decision ${id} is not in the preference log (it may already have been deleted); nothing was changed.`)
    }
    return this.stats()
  }

  /**
   * Writes every decision's lines in `format` to `outPath` as JSON Lines, atomically (a
   * failed export leaves any previous file intact). Returns the absolute path and the line count.
   */
  export(format: ExportFormat, outPath: string): ExportResult {
    this.assertOpen()
    const parsedFormat = ExportFormat.safeParse(format)
    if (!parsedFormat.success) {
      throw new PreferenceStoreError('export-failed', `Unknown export format "${String(format)}": use one of ${ExportFormat.options.join(', ')}.`)
    }
    const target = resolve(outPath)
    if ([this.path, `${this.path}-wal`, `${this.path}-shm`].includes(target)) {
      throw new PreferenceStoreError('export-failed', `Refusing to export over the preference log itself (${target}); choose another file, e.g. preferences.jsonl.`)
    }
    const chosenFormat = parsedFormat.data
    const decisions = this.decisions('ASC')
    function* lines(): Generator<string> {
      for (const record of decisions) for (const line of preferenceLines(record, chosenFormat)) yield formatLine(line)
    }
    try {
      return { path: target, lines: writeLinesAtomic(target, lines()) }
    } catch (err) {
      if (err instanceof PreferenceStoreError) throw err
      throw new PreferenceStoreError('export-failed', `Could not write the export to ${target}: ${(err as Error).message}. Any previous file there is unchanged.`, {
        cause: err,
      })
    }
  }

  /** The connection's journal mode and synchronous level, for diagnostics ('wal' and 'full' when opened with `open`). */
  durability(): { journalMode: string; synchronous: string } {
    this.assertOpen()
    const level = this.db.pragma('synchronous', { simple: true }) as number
    return { journalMode: this.db.pragma('journal_mode', { simple: true }) as string, synchronous: ['off', 'normal', 'full', 'extra'][level] ?? String(level) }
  }

  /** Closes the database (a clean close checkpoints the WAL into the file). Safe to call twice. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }

  /** Every standing (not retracted) decision, validated, in id order; one statement, so one consistent snapshot. */
  private *decisions(order: 'ASC' | 'DESC'): Generator<DecisionRecord> {
    const rows = this.db.prepare(`SELECT * FROM decisions WHERE retracted_at IS NULL ORDER BY id ${order}`).iterate() as IterableIterator<DecisionRow>
    for (const row of rows) yield fromRow(row, this.path)
  }

  private loggingEnabled(): boolean {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(LOGGING_ENABLED_KEY) as { value: string } | undefined
    return row?.value !== '0'
  }

  private assertOpen(): void {
    if (this.closed) throw new PreferenceStoreError('closed', `The preference log ${this.path} is closed; open it again.`)
  }

  private assertWritable(): void {
    this.assertOpen()
    if (this.readOnly) throw new PreferenceStoreError('read-only', `The preference log ${this.path} was opened read-only; nothing was written.`)
  }
}

function setAsideBadFile(file: string, verdict: DatabaseVerdict & { kind: 'corrupt' | 'foreign' }, at: Date): SetAsideFile {
  const renamedTo = setAsideDatabase(file, verdict.kind, at)
  const problem = verdict.kind === 'corrupt' ? `is corrupt (${verdict.detail})` : `is not an Infill preference log: ${verdict.detail}`
  return {
    kind: verdict.kind,
    originalPath: file,
    renamedTo,
    message: `The preference log ${file} ${problem}. It was set aside as ${renamedTo} (nothing was deleted) and a new, empty log was started.`,
  }
}

function positive(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer (got ${limit})`)
  return limit
}
