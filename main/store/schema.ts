/**
 * The preference log's SQLite schema and its ordered migrations.
 *
 * `PRAGMA application_id` marks the file as Infill's (so a foreign SQLite file is
 * recognised); `PRAGMA user_version` is the schema version. Each migration runs in the
 * same transaction as the version bump, so a crash leaves either the old or the new schema.
 */
import type Database from 'better-sqlite3'
import { PreferenceStoreError } from './errors'

/** "InFl" as a big-endian 32-bit integer: the value of PRAGMA application_id in Infill's logs. */
export const APPLICATION_ID = 0x496e466c

/** One step of the schema, from `version - 1` to `version`. */
export interface Migration {
  version: number
  description: string
  sql: string
}

/** Every migration, in order; the last one's version is the current schema version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'decisions and settings',
    sql: `
      CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        document_id TEXT NOT NULL,
        request_id TEXT NOT NULL,
        span_id TEXT NOT NULL,
        prefix TEXT NOT NULL,
        suffix TEXT NOT NULL,
        span_original TEXT NOT NULL,
        candidates_json TEXT NOT NULL CHECK (json_valid(candidates_json) AND json_type(candidates_json) = 'array'),
        action TEXT NOT NULL CHECK (action IN ('accepted', 'accepted_edited', 'rejected_all', 'regenerated')),
        chosen_index INTEGER CHECK (chosen_index IS NULL OR chosen_index >= 0),
        final_text TEXT NOT NULL,
        model_name TEXT NOT NULL,
        model_hash TEXT NOT NULL,
        sampling_json TEXT NOT NULL CHECK (json_valid(sampling_json)),
        shown_at TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX decisions_by_document ON decisions (document_id, id);
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
      INSERT INTO settings (key, value) VALUES ('logging_enabled', '1');
    `,
  },
  {
    version: 2,
    description: 'retracted decisions (taken back by an undo)',
    sql: `ALTER TABLE decisions ADD COLUMN retracted_at TEXT;`,
  },
  {
    version: 3,
    description: 'comparison decisions (base vs tuned: which model wrote each candidate, which one was kept)',
    sql: `ALTER TABLE decisions ADD COLUMN compare_json TEXT CHECK (compare_json IS NULL OR json_valid(compare_json));`,
  },
  {
    version: 4,
    description: "what the writer asked for (rewrite / shorter / same / longer / range / fill), each candidate's round, why a decision was taken back",
    sql: `
      ALTER TABLE decisions ADD COLUMN request_kind TEXT CHECK (request_kind IS NULL OR request_kind IN ('fill', 'rewrite', 'shorter', 'same', 'longer', 'range'));
      ALTER TABLE decisions ADD COLUMN rounds_json TEXT CHECK (rounds_json IS NULL OR (json_valid(rounds_json) AND json_type(rounds_json) = 'object'));
      ALTER TABLE decisions ADD COLUMN retracted_why TEXT CHECK (retracted_why IS NULL OR retracted_why IN ('undone', 'picked-earlier-round'));
    `,
  },
]

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

/**
 * Brings the database at `path` up to the last of `migrations` (default: MIGRATIONS) and
 * stamps it with APPLICATION_ID, all in one transaction: a failing migration leaves the
 * file as it was. Returns the version it started from. Throws 'newer-schema' for a log
 * written by a newer Infill (the file is left untouched).
 */
export function migrate(db: Database.Database, path: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations[migrations.length - 1]?.version ?? 0
  const from = db.pragma('user_version', { simple: true }) as number
  if (from > latest) throw newerSchemaError(path, from)
  db.transaction(() => {
    for (const migration of migrations) {
      if (migration.version <= from) continue
      db.exec(migration.sql)
      db.pragma(`user_version = ${migration.version}`)
    }
    if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) {
      db.pragma(`application_id = ${APPLICATION_ID}`)
    }
  }).immediate()
  return from
}

/** The error for a log whose schema is newer than this build understands. */
export function newerSchemaError(path: string, version: number): PreferenceStoreError {
  return new PreferenceStoreError(
    'newer-schema',
    `The preference log ${path} has schema version ${version}, newer than this version of Infill understands (${SCHEMA_VERSION}). ` +
      'It was left untouched; update Infill to use it.',
  )
}
