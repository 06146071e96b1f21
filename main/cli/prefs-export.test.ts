import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PREFERENCE_LINE_SCHEMAS } from '../store/export-lines'
import { PreferenceStore } from '../store/preference-store'
import { sampleDecision } from '../store/test-fixtures/decisions'
import { USAGE, runPrefsExport } from './prefs-export'

let dir: string
let db: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infill-cli-'))
  db = join(dir, 'prefs.sqlite')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function writeLog(): void {
  const store = PreferenceStore.open(db)
  store.log(sampleDecision({ action: 'accepted', candidates: ['a', 'b', 'c'], chosenIndex: 2, finalText: 'c' }))
  store.log(sampleDecision({ action: 'rejected_all', candidates: ['d'], chosenIndex: null, finalText: 'lit the lamp' }))
  store.close()
}

function readLines(path: string): unknown[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l))
}

describe('prefs:export', () => {
  it('writes the standard format by default and prints a one-line summary', () => {
    writeLog()
    const out = join(dir, 'export', 'prefs.jsonl')
    const outcome = runPrefsExport(['--db', db, '--out', out])
    expect(outcome).toEqual({ code: 0, stdout: `Wrote 3 lines (standard) to ${out}\n`, stderr: '' })
    const lines = readLines(out).map((l) => PREFERENCE_LINE_SCHEMAS.standard.parse(l))
    expect(lines.map((l) => [l.chosen, l.rejected])).toEqual([
      ['c', 'a'],
      ['c', 'b'],
      ['lit the lamp', 'd'],
    ])
  })

  it('writes the implicit, unpaired and conversational formats', () => {
    writeLog()
    for (const format of ['implicit', 'unpaired', 'conversational'] as const) {
      const out = join(dir, `${format}.jsonl`)
      const outcome = runPrefsExport(['--db', db, '--out', out, '--format', format])
      expect(outcome.code).toBe(0)
      const lines = readLines(out)
      expect(outcome.stdout).toBe(`Wrote ${lines.length} lines (${format}) to ${out}\n`)
      for (const line of lines) PREFERENCE_LINE_SCHEMAS[format].parse(line)
    }
  })

  it('says so when there is nothing to export', () => {
    PreferenceStore.open(db).close()
    const out = join(dir, 'empty.jsonl')
    expect(runPrefsExport(['--db', db, '--out', out]).stdout).toBe(`Wrote 0 lines (standard) to ${out} (the log holds no preference data for this format yet)\n`)
    expect(readFileSync(out, 'utf8')).toBe('')
  })

  it('reports bad arguments with the usage text (exit 2)', () => {
    const cases: [string[], RegExp][] = [
      [['--out', 'x.jsonl'], /--db is required/],
      [['--db', db], /--out is required/],
      [['--db', db, '--out', 'x', '--format', 'dpo'], /--format "dpo" is not a format; use one of standard, implicit, unpaired/],
      [['--db', db, '--out', 'x', '--frmat', 'standard'], /Unknown option '--frmat'/],
    ]
    for (const [args, problem] of cases) {
      const outcome = runPrefsExport(args)
      expect(outcome.code).toBe(2)
      expect(outcome.stderr).toMatch(problem)
      expect(outcome.stderr).toContain(USAGE)
    }
    expect(runPrefsExport(['--help'])).toEqual({ code: 0, stdout: USAGE + '\n', stderr: '' })
  })

  it('a missing db is a clear error and creates nothing', () => {
    const outcome = runPrefsExport(['--db', db, '--out', join(dir, 'out.jsonl')])
    expect(outcome.code).toBe(1)
    expect(outcome.stderr).toMatch(/There is no preference log at .*prefs\.sqlite/)
    expect(readdirSync(dir)).toEqual([])
  })

  it('a corrupt or foreign db is a clear error; the file is neither changed nor set aside', () => {
    writeFileSync(db, 'not a database at all')
    const outcome = runPrefsExport(['--db', db, '--out', join(dir, 'out.jsonl')])
    expect(outcome.code).toBe(1)
    expect(outcome.stderr).toMatch(/prefs\.sqlite is not a usable Infill preference log: SQLite says "file is not a database"\. It was left unchanged/)
    expect(readFileSync(db, 'utf8')).toBe('not a database at all')
    expect(readdirSync(dir)).toEqual(['prefs.sqlite'])
  })

  it('runs as a script: exit status and output', () => {
    writeLog()
    const out = join(dir, 'script.jsonl')
    const script = join(dirname(fileURLToPath(import.meta.url)), 'prefs-export.ts')
    const ok = spawnSync(process.execPath, ['--import', 'tsx', script, '--db', db, '--out', out, '--format', 'unpaired'], { encoding: 'utf8' })
    expect(ok.stderr).toBe('')
    expect(ok.status).toBe(0)
    expect(ok.stdout).toBe(`Wrote 5 lines (unpaired) to ${out}\n`)
    expect(existsSync(out)).toBe(true)
    const bad = spawnSync(process.execPath, ['--import', 'tsx', script, '--db', join(dir, 'nope.sqlite'), '--out', out], { encoding: 'utf8' })
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/There is no preference log/)
  })
})
