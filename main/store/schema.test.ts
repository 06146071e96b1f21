import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { PreferenceStore } from './preference-store'
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, migrate, type Migration } from './schema'
import { sampleDecision } from './test-fixtures/decisions'

let dir: string
let path: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infill-schema-'))
  path = join(dir, 'prefs.sqlite')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

it('versions are consecutive from 1, and the store writes the last one', () => {
  expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1))
  PreferenceStore.open(path).close()
  const db = new Database(path, { readonly: true })
  expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
  expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID)
  db.close()
})

it('migrating a current log is a no-op that keeps its data', () => {
  const store = PreferenceStore.open(path)
  store.log(sampleDecision())
  store.close()
  const db = new Database(path)
  expect(migrate(db, path)).toBe(SCHEMA_VERSION)
  expect(db.prepare('SELECT count(*) FROM decisions').pluck().get()).toBe(1)
  db.close()
})

it('applies later migrations in order and keeps the data', () => {
  const store = PreferenceStore.open(path)
  store.log(sampleDecision({ spanId: 'kept' }))
  store.close()
  const next: Migration[] = [
    ...MIGRATIONS,
    { version: SCHEMA_VERSION + 1, description: 'a tag column', sql: "ALTER TABLE decisions ADD COLUMN tag TEXT NOT NULL DEFAULT 'none'" },
    { version: SCHEMA_VERSION + 2, description: 'tags indexed', sql: 'CREATE INDEX decisions_by_tag ON decisions (tag)' },
  ]
  const db = new Database(path)
  expect(migrate(db, path, next)).toBe(SCHEMA_VERSION)
  expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 2)
  expect(db.prepare('SELECT span_id, tag FROM decisions').all()).toEqual([{ span_id: 'kept', tag: 'none' }])
  expect(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'decisions_by_tag'").pluck().get()).toBe('decisions_by_tag')
  db.close()
})

it('a failing migration rolls back entirely: version and data as before', () => {
  const store = PreferenceStore.open(path)
  store.log(sampleDecision())
  store.close()
  const broken: Migration[] = [
    ...MIGRATIONS,
    { version: SCHEMA_VERSION + 1, description: 'fine', sql: 'ALTER TABLE decisions ADD COLUMN tag TEXT' },
    { version: SCHEMA_VERSION + 2, description: 'broken', sql: 'ALTER TABLE no_such_table ADD COLUMN x TEXT' },
  ]
  const db = new Database(path)
  expect(() => migrate(db, path, broken)).toThrow(/no such table/)
  expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
  const columns = (db.prepare('PRAGMA table_info(decisions)').all() as { name: string }[]).map((c) => c.name)
  expect(columns).not.toContain('tag')
  expect(db.prepare('SELECT count(*) FROM decisions').pluck().get()).toBe(1)
  db.close()
})

it('refuses a log newer than the migrations it knows', () => {
  const db = new Database(path)
  db.pragma(`user_version = ${SCHEMA_VERSION + 3}`)
  expect(() => migrate(db, path)).toThrow(`schema version ${SCHEMA_VERSION + 3}, newer than this version of Infill understands (${SCHEMA_VERSION})`)
  db.close()
})
