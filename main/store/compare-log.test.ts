/**
 * Comparison decisions in the preference log: schema 3's compare_json column, the tally in
 * stats, the export's compare fields, and logs written before schema 3 still readable.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DecisionInput } from '../contract'
import { readTuneData } from '../tune/tune-data'
import { PREFERENCE_LINE_SCHEMAS, textSource } from './export-lines'
import { PreferenceStore } from './preference-store'
import { toRow } from './decision-rows'
import { MIGRATIONS, migrate } from './schema'
import { sampleDecision } from './test-fixtures/decisions'

const models = { base: { name: 'infill-default-mdlm', hash: 'aa11' }, tuned: { name: 'infill-default-mdlm-tuned', hash: 'bb22' } }

/** A decision on a comparison fill: candidates tuned, tuned, base, base (tuned column left). */
function compared(overrides: Partial<DecisionInput> = {}, keptFrom: 'base' | 'tuned' | 'neither' = 'tuned'): DecisionInput {
  const d = sampleDecision({ candidates: ['lit a candle', 'trimmed the wick', 'climbed up', 'slept'], chosenIndex: 0, finalText: 'lit a candle', ...overrides })
  return { ...d, compare: { models, sources: ['tuned', 'tuned', 'base', 'base'], keptFrom, order: ['tuned', 'base'] } }
}

let dir: string
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'infill-compare-log-'))))
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('comparison decisions', () => {
  it('are stored, read back, and tallied by the model whose candidate was kept', () => {
    const store = PreferenceStore.open(join(dir, 'p.sqlite'))
    store.log(compared())
    store.log(compared({ chosenIndex: 2, finalText: 'climbed up' }, 'base'))
    store.log(compared({ action: 'rejected_all', chosenIndex: null, finalText: 'lit the lamp' }, 'neither'))
    const retracted = store.log(compared({ chosenIndex: 1, finalText: 'trimmed the wick' }, 'tuned'))
    store.retract(retracted.id!)
    store.log(sampleDecision())
    expect(store.stats().compare).toEqual({ tuned: 1, base: 1, neither: 1 })
    expect(store.list(10).find((r) => r.action === 'rejected_all')!.compare).toEqual({ models, sources: ['tuned', 'tuned', 'base', 'base'], keptFrom: 'neither', order: ['tuned', 'base'] })
    expect(store.list(10).find((r) => !r.compare)).toBeDefined()
    store.close()
  })

  it('a log without comparisons has no tally', () => {
    const store = PreferenceStore.open(join(dir, 'p.sqlite'))
    store.log(sampleDecision())
    expect(store.stats().compare).toBeUndefined()
    store.close()
  })

  it('refuses a keptFrom that is not the accepted candidate’s model, or sources that do not match the candidates', () => {
    const store = PreferenceStore.open(join(dir, 'p.sqlite'))
    expect(() => store.log(compared({}, 'base'))).toThrow(/keptFrom is "base" but must be "tuned"/)
    const d = compared()
    expect(() => store.log({ ...d, compare: { ...d.compare!, sources: ['tuned'] } })).toThrow(/names 1 models for 4 candidates/)
    expect(store.stats().total).toBe(0)
    store.close()
  })

  it('exports say who wrote each side of a pair, and every line passes its format’s schema', () => {
    const store = PreferenceStore.open(join(dir, 'p.sqlite'))
    store.log(compared())
    for (const format of ['standard', 'implicit', 'unpaired'] as const) {
      const out = join(dir, `${format}.jsonl`)
      store.export(format, out)
      const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      for (const line of lines) expect(PREFERENCE_LINE_SCHEMAS[format].safeParse(line).success).toBe(true)
      // model:tune reads it like any export: one decision, its texts.
      expect(readTuneData(readFileSync(out, 'utf8'), out).decisions).toHaveLength(1)
      if (format === 'unpaired') {
        expect(lines.map((l) => [l.completion, l.label, l.compare.completion_from])).toEqual([
          ['lit a candle', true, 'tuned'],
          ['trimmed the wick', false, 'tuned'],
          ['climbed up', false, 'base'],
          ['slept', false, 'base'],
        ])
      } else {
        // chosen: the tuned candidate kept; rejected: the other tuned one, then both base ones.
        expect(lines.map((l) => [l.compare.chosen_from, l.compare.rejected_from])).toEqual([
          ['tuned', 'tuned'],
          ['tuned', 'base'],
          ['tuned', 'base'],
        ])
        expect(lines[0].compare).toMatchObject({ models, order: ['tuned', 'base'], kept_from: 'tuned' })
      }
    }
    store.close()
  })

  it('textSource: the same text from both models is "both", a text no model wrote is the writer’s', () => {
    const r = { candidates: ['x', 'y', 'x'], compare: { models, sources: ['tuned', 'tuned', 'base'] as ('base' | 'tuned')[], keptFrom: 'neither' as const, order: ['base', 'tuned'] as ['base', 'tuned'] } }
    expect(textSource(r, 'x')).toBe('both')
    expect(textSource(r, 'y')).toBe('tuned')
    expect(textSource(r, 'the original')).toBe('writer')
  })

  it('a schema-2 log (written before comparisons) migrates to the current schema and its decisions stay readable', () => {
    const path = join(dir, 'old.sqlite')
    const db = new Database(path)
    migrate(db, path, MIGRATIONS.filter((m) => m.version <= 2))
    const { compare_json: _none, request_kind: _kind, rounds_json: _rounds, ...row } = toRow(sampleDecision(), '2026-11-27T02:00:06.000Z')
    const columns = Object.keys(row)
    db.prepare(`INSERT INTO decisions (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`).run(row)
    db.close()
    const reopened = PreferenceStore.open(path)
    expect(reopened.list(5)[0]).toMatchObject({ finalText: 'trimmed the wick' })
    expect(reopened.list(5)[0].compare).toBeUndefined()
    expect(reopened.stats()).toMatchObject({ total: 1, pairs: 2 })
    expect(reopened.stats().compare).toBeUndefined()
    reopened.log(compared())
    expect(reopened.stats().compare).toEqual({ tuned: 1, base: 0, neither: 0 })
    reopened.close()
    const raw = new Database(path, { readonly: true })
    expect(raw.pragma('user_version', { simple: true })).toBe(4)
    raw.close()
  })
})
