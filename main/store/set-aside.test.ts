import { randomBytes } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { inspectDatabaseFile } from './database-check'
import { PreferenceStoreError } from './errors'
import { PreferenceStore } from './preference-store'
import { APPLICATION_ID, SCHEMA_VERSION } from './schema'
import { sampleDecision } from './test-fixtures/decisions'

let dir: string
let path: string
let store: PreferenceStore | undefined
const now = () => new Date('2026-11-27T02:40:00.123Z')
const STAMP = '2026-11-27T02-40-00Z'

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infill-setaside-'))
  path = join(dir, 'prefs.sqlite')
})
afterEach(() => {
  store?.close()
  store = undefined
  rmSync(dir, { recursive: true, force: true })
})

/** A foreign application's SQLite database at `file`. */
function writeForeignDatabase(file: string, applicationId: number): void {
  const db = new Database(file)
  if (applicationId) db.pragma(`application_id = ${applicationId}`)
  db.exec("CREATE TABLE contacts (name TEXT, phone TEXT); INSERT INTO contacts VALUES ('Ada', '123')")
  db.close()
}

/** A valid Infill log at `path` whose header then gets a wrong freelist count: ordinary reads work, quick_check fails. */
function writeLogFailingQuickCheck(): void {
  const s = PreferenceStore.open(path)
  s.log(sampleDecision())
  s.close()
  const bytes = readFileSync(path)
  bytes.writeUInt32BE(5, 36) // header field: number of freelist pages
  writeFileSync(path, bytes)
}

/** A valid Infill log at `path` with garbage over one of its b-tree pages. */
function writeLogWithGarbagePage(): void {
  const s = PreferenceStore.open(path)
  for (let i = 0; i < 100; i++) s.log(sampleDecision({ prefix: `row ${i} `.repeat(40) }))
  s.close()
  const bytes = readFileSync(path)
  bytes.fill(0xab, 4096 * 3, 4096 * 3 + 300)
  writeFileSync(path, bytes)
}

const badFiles: { name: string; kind: 'corrupt' | 'foreign'; problem: RegExp; make: () => void }[] = [
  { name: 'a text file', kind: 'corrupt', problem: /is corrupt \(SQLite says "file is not a database"\)/, make: () => writeFileSync(path, 'Chapter one.\n'.repeat(200)) },
  { name: 'random bytes', kind: 'corrupt', problem: /is corrupt \(SQLite says "file is not a database"\)/, make: () => writeFileSync(path, randomBytes(16384)) },
  { name: 'a log with a garbage page', kind: 'corrupt', problem: /is corrupt \((SQLite says "database disk image is malformed"|its integrity check failed: .*page)/, make: writeLogWithGarbagePage },
  { name: 'a log failing its integrity check', kind: 'corrupt', problem: /is corrupt \(its integrity check failed: Freelist: size is 0 but should be 5\)/, make: writeLogFailingQuickCheck },
  {
    name: 'another application\u2019s database',
    kind: 'foreign',
    problem: /is not an Infill preference log: it is a SQLite database of another application \(application id 0x1234abcd, tables contacts\)/,
    make: () => writeForeignDatabase(path, 0x1234abcd),
  },
  {
    name: 'a database with tables but no application id',
    kind: 'foreign',
    problem: /is not an Infill preference log: .*\(no application id, tables contacts\)/,
    make: () => writeForeignDatabase(path, 0),
  },
]

describe('a corrupt or foreign file at open', () => {
  for (const bad of badFiles) {
    it(`${bad.name}: set aside with its bytes intact, a new log started, stats say where it went`, () => {
      bad.make()
      const original = readFileSync(path)
      store = PreferenceStore.open(path, { now })

      const renamed = `${path}.${bad.kind}-${STAMP}`
      expect(store.setAside).toEqual({ kind: bad.kind, originalPath: path, renamedTo: renamed, message: expect.stringContaining(path) })
      expect(store.setAside!.message).toMatch(bad.problem)
      expect(store.setAside!.message).toContain(`set aside as ${renamed} (nothing was deleted)`)
      expect(readFileSync(renamed).equals(original)).toBe(true)

      const stats = store.stats()
      expect(stats).toMatchObject({ total: 0, setAside: renamed, setAsideReason: store.setAside!.message })
      expect(store.log(sampleDecision()).logged).toBe(true)
      store.close()

      const fresh = new Database(path, { readonly: true })
      expect(fresh.pragma('application_id', { simple: true })).toBe(APPLICATION_ID)
      expect(fresh.pragma('integrity_check', { simple: true })).toBe('ok')
      fresh.close()
      // the next open finds a healthy log and sets nothing aside
      store = PreferenceStore.open(path, { now })
      expect(store.setAside).toBeUndefined()
      expect(store.stats().total).toBe(1)
    })

    it(`${bad.name}: read-only open reports it and leaves it exactly where it was`, () => {
      bad.make()
      const before = readdirSync(dir).sort()
      const original = readFileSync(path)
      let error: unknown
      try {
        PreferenceStore.openReadOnly(path)
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(PreferenceStoreError)
      expect((error as PreferenceStoreError).code).toBe(bad.kind)
      expect((error as Error).message).toContain(`${path} is not a usable Infill preference log`)
      expect((error as Error).message).toContain('It was left unchanged')
      expect(readFileSync(path).equals(original)).toBe(true)
      expect(readdirSync(dir).filter((f) => !before.includes(f) && !/-(wal|shm)$/.test(f))).toEqual([])
    })
  }

  it('moves the foreign file\u2019s WAL with it, so its uncheckpointed data stays recoverable at the new name', () => {
    const source = join(dir, 'other.sqlite')
    const other = new Database(source)
    other.pragma('journal_mode = WAL')
    other.pragma('wal_autocheckpoint = 0')
    other.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('only in the WAL')")
    copyFileSync(source, path) // as if that application had crashed: data still in the -wal
    copyFileSync(`${source}-wal`, `${path}-wal`)
    other.close()

    store = PreferenceStore.open(path, { now })
    const renamed = `${path}.foreign-${STAMP}`
    expect(store.setAside?.renamedTo).toBe(renamed)
    expect(existsSync(`${renamed}-wal`)).toBe(true)
    const recovered = new Database(renamed, { readonly: true })
    expect(recovered.prepare('SELECT body FROM notes').pluck().all()).toEqual(['only in the WAL'])
    recovered.close()
    expect(store.stats().total).toBe(0)
  })

  it('never overwrites an earlier set-aside file with the same time stamp', () => {
    writeFileSync(path, 'first bad file')
    PreferenceStore.open(path, { now }).close()
    rmSync(path)
    rmSync(`${path}-wal`, { force: true })
    rmSync(`${path}-shm`, { force: true })
    writeFileSync(path, 'second bad file')
    store = PreferenceStore.open(path, { now })
    expect(store.setAside?.renamedTo).toBe(`${path}.corrupt-${STAMP}-2`)
    expect(readFileSync(`${path}.corrupt-${STAMP}`, 'utf8')).toBe('first bad file')
    expect(readFileSync(`${path}.corrupt-${STAMP}-2`, 'utf8')).toBe('second bad file')
  })

  it('a folder where the file should be is an error, not something to set aside', () => {
    const folder = join(dir, 'prefs.sqlite')
    mkdirSync(folder)
    expect(() => PreferenceStore.open(folder, { now })).toThrow(/Could not open the preference log .*prefs\.sqlite.*not a folder/)
    expect(() => PreferenceStore.open(folder, { now })).toThrow(expect.objectContaining({ code: 'cannot-open' }))
    expect(readdirSync(dir)).toEqual(['prefs.sqlite'])
  })

  it('inspectDatabaseFile tells the kinds apart', () => {
    expect(inspectDatabaseFile(path)).toEqual({ kind: 'absent' })
    writeFileSync(path, '')
    expect(inspectDatabaseFile(path)).toEqual({ kind: 'ok', version: 0 })
    PreferenceStore.open(path).close()
    expect(inspectDatabaseFile(path)).toEqual({ kind: 'ok', version: SCHEMA_VERSION })
  })
})
