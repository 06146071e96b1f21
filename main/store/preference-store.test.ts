import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DecisionInput, ExportFormat } from '../contract'
import { PreferenceStoreError } from './errors'
import { INFILL_PROMPT_TEMPLATE, PREFERENCE_LINE_SCHEMAS, infillPrompt } from './export-lines'
import { LOGGING_OFF_MESSAGE, PreferenceStore } from './preference-store'
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema'
import { sampleDecision } from './test-fixtures/decisions'

let dir: string
let store: PreferenceStore | undefined
const fixedNow = () => new Date('2026-11-27T02:40:00.123Z')

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infill-store-'))
})
afterEach(() => {
  store?.close()
  store = undefined
  rmSync(dir, { recursive: true, force: true })
})

function openStore(name = 'prefs.sqlite'): PreferenceStore {
  store = PreferenceStore.open(join(dir, name), { now: fixedNow })
  return store
}

/** One decision of each action, as the writer's session would produce them. */
const session: DecisionInput[] = [
  sampleDecision({ requestId: 'r1', spanId: 's1', action: 'accepted', candidates: ['A1', 'B1', 'C1'], chosenIndex: 0, finalText: 'A1' }),
  sampleDecision({ requestId: 'r2', spanId: 's2', action: 'accepted_edited', candidates: ['A2', 'B2'], chosenIndex: 1, finalText: 'B2 edited' }),
  sampleDecision({ requestId: 'r3', spanId: 's3', action: 'rejected_all', spanOriginal: 'orig3', candidates: ['A3', 'B3'], chosenIndex: null, finalText: 'orig3' }),
  sampleDecision({ requestId: 'r4', spanId: 's4', action: 'regenerated', candidates: ['A4', 'B4'], chosenIndex: null, finalText: 'orig4' }),
]

function exportLines(s: PreferenceStore, format: ExportFormat): unknown[] {
  const out = join(dir, `out-${format}.jsonl`)
  const result = s.export(format, out)
  expect(result.path).toBe(out)
  const text = readFileSync(out, 'utf8')
  const lines = text.split('\n')
  expect(lines.pop()).toBe('') // newline-terminated
  expect(lines).toHaveLength(result.lines)
  return lines.map((line) => PREFERENCE_LINE_SCHEMAS[format].parse(JSON.parse(line)))
}

describe('PreferenceStore: log and export', () => {
  it('exports the standard format, each line valid, pairs matching the decisions', () => {
    const s = openStore()
    const ids = session.map((d) => {
      const result = s.log(d)
      expect(result.logged).toBe(true)
      return result.id
    })
    const lines = exportLines(s, 'standard') as { prompt: string; chosen: string; rejected: string; decision_id: number; action: string }[]
    expect(lines.map((l) => [l.decision_id, l.chosen, l.rejected])).toEqual([
      [ids[0], 'A1', 'B1'],
      [ids[0], 'A1', 'C1'],
      [ids[1], 'B2 edited', 'B2'],
      [ids[2], 'orig3', 'A3'],
      [ids[2], 'orig3', 'B3'],
    ])
    const first = lines[0] as Record<string, unknown>
    expect(first.prompt).toBe('Write the words that fill the blank in this text.\n\nThe lighthouse keeper <|fill|> every night.\n\nWords for the blank:\n')
    // The marker once, at the blank; the cue after the context, the completion on the next line.
    expect(String(first.prompt).split('<|fill|>')).toHaveLength(2)
    expect(first).toMatchObject({
      prefix: 'The lighthouse keeper ',
      suffix: ' every night.',
      span_original: 'lit the lamp',
      model: { name: 'infill-tiny', hash: 'ab12cd34ef56ab78' },
      sampling: session[0].sampling,
      action: 'accepted',
      created_at: '2026-11-27T02:40:00.123Z',
      document_id: 'doc-1',
      request_id: 'r1',
      span_id: 's1',
    })
  })

  it('exports the implicit-prompt form: whole texts, no prompt', () => {
    const s = openStore()
    s.log(session[0])
    const lines = exportLines(s, 'implicit') as Record<string, unknown>[]
    expect(lines).toHaveLength(2)
    expect(lines[0].prompt).toBeUndefined()
    expect(lines[0].chosen).toBe('The lighthouse keeper A1 every night.')
    expect(lines[0].rejected).toBe('The lighthouse keeper B1 every night.')
  })

  it('exports the unpaired (KTO) form with labels, regenerated candidates labelled false', () => {
    const s = openStore()
    for (const d of session) s.log(d)
    const lines = exportLines(s, 'unpaired') as { completion: string; label: boolean; action: string }[]
    expect(lines.map((l) => [l.action, l.completion, l.label])).toEqual([
      ['accepted', 'A1', true],
      ['accepted', 'B1', false],
      ['accepted', 'C1', false],
      ['accepted_edited', 'B2 edited', true],
      ['accepted_edited', 'B2', false],
      ['rejected_all', 'orig3', true],
      ['rejected_all', 'A3', false],
      ['rejected_all', 'B3', false],
      ['regenerated', 'A4', false],
      ['regenerated', 'B4', false],
    ])
  })

  it('the line schemas reject lines of another format', () => {
    const s = openStore()
    s.log(session[0])
    const [standard] = exportLines(s, 'standard')
    expect(PREFERENCE_LINE_SCHEMAS.implicit.safeParse(standard).success).toBe(false)
    expect(PREFERENCE_LINE_SCHEMAS.unpaired.safeParse(standard).success).toBe(false)
  })

  it('keeps text that needs escaping intact through the round trip', () => {
    const s = openStore()
    const tricky = sampleDecision({ prefix: 'He said "hi"\n\t', suffix: ' — ünïcode 😀 $& $1', candidates: ['a\u2028b', 'x'], chosenIndex: 0, finalText: 'a\u2028b' })
    s.log(tricky)
    const [line] = exportLines(s, 'standard') as { prompt: string; chosen: string; prefix: string; suffix: string }[]
    expect(line.prefix).toBe(tricky.prefix)
    expect(line.suffix).toBe(tricky.suffix)
    expect(line.chosen).toBe('a\u2028b')
    expect(line.prompt).toBe(infillPrompt(tricky.prefix, tricky.suffix))
    expect(line.prompt.endsWith('<|fill|> — ünïcode 😀 $& $1\n\nWords for the blank:\n')).toBe(true)
    expect(INFILL_PROMPT_TEMPLATE).toBe('Write the words that fill the blank in this text.\n\n{prefix}<|fill|>{suffix}\n\nWords for the blank:\n')
  })

  it('an export with no pairs writes an empty file', () => {
    const s = openStore()
    s.log(session[3]) // regenerated: no pairs
    expect(exportLines(s, 'standard')).toEqual([])
  })

  it('an export onto a folder fails with a clear error, leaving no temporary file', () => {
    const s = openStore()
    s.log(session[0])
    const folder = join(dir, 'exports')
    mkdirSync(join(folder, 'inside'), { recursive: true })
    expect(() => s.export('standard', folder)).toThrow(expect.objectContaining({ code: 'export-failed', message: expect.stringContaining(`Could not write the export to ${folder}`) }))
    expect(readdir(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
    expect(readdir(folder)).toEqual(['inside'])
  })

  it('refuses to export over the log itself', () => {
    const s = openStore()
    expect(() => s.export('standard', s.path)).toThrow(/Refusing to export over the preference log itself/)
  })

  it('a failed export leaves the previous file intact and no temporary file behind', () => {
    const s = openStore()
    s.log(session[0])
    const out = join(dir, 'out.jsonl')
    writeFileSync(out, 'previous export\n')
    // a row edited outside Infill makes the export fail midway
    s.log(session[1])
    const raw = new Database(s.path)
    raw.prepare("UPDATE decisions SET sampling_json = '{}' WHERE request_id = 'r2'").run()
    raw.close()
    expect(() => s.export('standard', out)).toThrow(/Decision 2 in the preference log .* cannot be read: sampling/)
    expect(readFileSync(out, 'utf8')).toBe('previous export\n')
    expect(existsSync(join(dir, 'prefs.sqlite'))).toBe(true)
    const leftovers = readdir(dir).filter((f) => f.endsWith('.tmp'))
    expect(leftovers).toEqual([])
    // the connection is not left busy by the abandoned query
    expect(s.log(session[2]).logged).toBe(true)
  })
})

describe('PreferenceStore: list, pairs, stats', () => {
  it('lists decisions newest first with every field', () => {
    const s = openStore()
    const ids = session.map((d) => s.log(d).id)
    const listed = s.list(10)
    expect(listed.map((r) => r.id)).toEqual([...ids].reverse())
    expect(listed[3]).toEqual({ ...session[0], id: ids[0], createdAt: '2026-11-27T02:40:00.123Z' })
    expect(s.list(2)).toHaveLength(2)
  })

  it('previews pairs, newest decision first, up to the limit', () => {
    const s = openStore()
    const ids = session.map((d) => s.log(d).id)
    const previews = s.pairs(3)
    expect(previews.map((p) => [p.decisionId, p.chosen, p.rejected, p.action])).toEqual([
      [ids[2], 'orig3', 'A3', 'rejected_all'],
      [ids[2], 'orig3', 'B3', 'rejected_all'],
      [ids[1], 'B2 edited', 'B2', 'accepted_edited'],
    ])
    expect(previews[0].prompt).toBe(infillPrompt(session[2].prefix, session[2].suffix))
  })

  it('counts decisions by action and pairs', () => {
    const s = openStore()
    for (const d of session) s.log(d)
    s.log(session[0])
    expect(s.stats()).toEqual({
      enabled: true,
      total: 5,
      byAction: { accepted: 2, accepted_edited: 1, rejected_all: 1, regenerated: 1 },
      pairs: 7,
      dbPath: join(dir, 'prefs.sqlite'),
    })
  })
})

describe('PreferenceStore: retract and delete one decision', () => {
  it('a retracted decision stays listed but leaves counts, pairs and exports', () => {
    const s = openStore()
    const ids = session.map((d) => s.log(d).id!)
    const stats = s.retract(ids[0])
    expect(stats).toMatchObject({ total: 3, pairs: 3, byAction: { accepted: 0, accepted_edited: 1, rejected_all: 1, regenerated: 1 } })
    expect(s.list(10).find((d) => d.id === ids[0])?.retractedAt).toBe(fixedNow().toISOString())
    expect(s.list(10).find((d) => d.id === ids[1])?.retractedAt).toBeUndefined()
    expect((exportLines(s, 'standard') as { decision_id: number }[]).map((l) => l.decision_id)).not.toContain(ids[0])
    expect(s.pairs(20).map((p) => p.decisionId)).not.toContain(ids[0])
    // Retracting twice changes nothing; an unknown id is an error that says so.
    expect(s.retract(ids[0]).total).toBe(3)
    expect(() => s.retract(9999)).toThrow(expect.objectContaining({ code: 'not-found' }))
  })

  it('upgrades a version-1 log (no retracted column): its decisions survive and stand', () => {
    const file = join(dir, 'v1.sqlite')
    const db = new Database(file)
    db.exec(MIGRATIONS[0].sql)
    db.pragma('user_version = 1')
    db.pragma(`application_id = ${APPLICATION_ID}`)
    db.close()
    const s1 = PreferenceStore.open(file, { now: fixedNow })
    const id = s1.log(session[0]).id!
    s1.close()
    // Reopen: the migration ran once, the decision is there and counts.
    const s2 = (store = PreferenceStore.open(file, { now: fixedNow }))
    expect(s2.stats()).toMatchObject({ total: 1, pairs: 2 })
    expect(s2.retract(id).total).toBe(0)
  })

  it('deletes one decision and its pairs, keeping the others', () => {
    const s = openStore()
    const ids = session.map((d) => s.log(d).id!)
    const stats = s.delete(ids[2])
    expect(stats).toMatchObject({ total: 3, pairs: 3, byAction: { accepted: 1, accepted_edited: 1, rejected_all: 0, regenerated: 1 } })
    expect(s.list(10).map((d) => d.id)).toEqual([ids[3], ids[1], ids[0]])
    expect(() => s.delete(ids[2])).toThrow(expect.objectContaining({ code: 'not-found' }))
    const again = s.log(session[2]).id!
    expect(again).toBeGreaterThan(ids[3]) // ids are never reused
  })
})

describe('PreferenceStore: logging switch, clear, validation', () => {
  it('writes nothing while logging is off, says so, and remembers the switch across reopening', () => {
    const s = openStore()
    s.log(session[0])
    expect(s.setEnabled(false).enabled).toBe(false)
    expect(s.log(session[1])).toEqual({ logged: false, id: null, message: LOGGING_OFF_MESSAGE })
    expect(s.stats().total).toBe(1)
    s.close()
    const reopened = openStore()
    expect(reopened.stats()).toMatchObject({ enabled: false, total: 1 })
    reopened.setEnabled(true)
    expect(reopened.log(session[1]).logged).toBe(true)
    expect(reopened.stats().total).toBe(2)
  })

  it('clears only with confirmation, keeps the logging switch, and the text leaves the file', () => {
    const s = openStore()
    s.log(sampleDecision({ prefix: 'SECRET-PREFIX-TEXT ' }))
    s.setEnabled(false)
    expect(() => s.clear(false as unknown as true)).toThrow(PreferenceStoreError)
    expect(s.stats().total).toBe(1)
    const after = s.clear(true)
    expect(after).toMatchObject({ total: 0, pairs: 0, enabled: false })
    s.close()
    store = undefined
    const bytes = readFileSync(join(dir, 'prefs.sqlite'))
    expect(bytes.includes('SECRET-PREFIX-TEXT')).toBe(false)
    const reopened = openStore()
    expect(reopened.list(10)).toEqual([])
    // ids are not reused after a clear
    expect(reopened.setEnabled(true).enabled).toBe(true)
    expect(reopened.log(session[0]).id).toBe(2)
  })

  it('rejects an invalid decision with a clear error and writes nothing', () => {
    const s = openStore()
    expect(() => s.log(sampleDecision({ action: 'accepted', chosenIndex: null }))).toThrow(
      /decision for span "span-1" was not logged: action "accepted" needs chosenIndex/,
    )
    expect(() => s.log({ ...sampleDecision(), candidates: [] })).toThrow(/not logged because it is invalid[\s\S]*candidates/)
    expect(() => s.log({ ...sampleDecision(), sampling: { strategy: 'nope' } } as unknown as DecisionInput)).toThrow(/sampling/)
    expect(s.stats().total).toBe(0)
  })

  it('throws a clear error after close', () => {
    const s = openStore()
    s.close()
    expect(() => s.log(session[0])).toThrow(/is closed/)
    s.close() // twice is fine
  })
})

describe('PreferenceStore: the file', () => {
  it('creates missing folders and stamps application_id, user_version, WAL', () => {
    const s = openStore(join('a', 'b', 'prefs.sqlite'))
    s.log(session[0])
    s.close()
    store = undefined
    const raw = new Database(join(dir, 'a', 'b', 'prefs.sqlite'), { readonly: true })
    expect(raw.pragma('application_id', { simple: true })).toBe(APPLICATION_ID)
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    raw.close()
  })

  it('commits each decision durably: WAL with synchronous=FULL, visible to another connection at once', () => {
    const s = openStore()
    expect(s.durability()).toEqual({ journalMode: 'wal', synchronous: 'full' })
    s.log(session[0])
    const raw = new Database(s.path, { readonly: true })
    expect((raw.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n).toBe(1)
    raw.close()
  })

  it('reopens an existing log with its data and schema unchanged', () => {
    const s = openStore()
    s.log(session[0])
    s.close()
    const again = openStore()
    expect(again.list(5)).toHaveLength(1)
    expect(again.setAside).toBeUndefined()
  })

  it('adopts an empty file as a new log', () => {
    writeFileSync(join(dir, 'prefs.sqlite'), '')
    const s = openStore()
    expect(s.setAside).toBeUndefined()
    expect(s.log(session[0]).logged).toBe(true)
  })

  it('leaves a log from a newer Infill untouched and says to update', () => {
    const path = join(dir, 'prefs.sqlite')
    const raw = new Database(path)
    raw.pragma(`application_id = ${APPLICATION_ID}`)
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    raw.exec('CREATE TABLE future (x)')
    raw.close()
    const before = readFileSync(path)
    expect(() => openStore()).toThrow(/newer than this version of Infill understands.*update Infill/)
    expect(readFileSync(path).equals(before)).toBe(true)
    expect(readdir(dir)).toEqual(['prefs.sqlite'])
  })

  it('opens read-only for tools: reads and exports, refuses writes', () => {
    const s = openStore()
    for (const d of session) s.log(d)
    s.close()
    store = PreferenceStore.openReadOnly(join(dir, 'prefs.sqlite'))
    expect(store.readOnly).toBe(true)
    expect(store.stats().total).toBe(4)
    expect(exportLines(store, 'standard')).toHaveLength(5)
    expect(() => store!.log(session[0])).toThrow(/opened read-only/)
    expect(() => store!.setEnabled(false)).toThrow(/opened read-only/)
  })

  it('read-only open of a missing or empty file says there is no log, and creates nothing', () => {
    expect(() => PreferenceStore.openReadOnly(join(dir, 'nope.sqlite'))).toThrow(/There is no preference log at .*nope\.sqlite/)
    expect(existsSync(join(dir, 'nope.sqlite'))).toBe(false)
    writeFileSync(join(dir, 'empty.sqlite'), '')
    expect(() => PreferenceStore.openReadOnly(join(dir, 'empty.sqlite'))).toThrow(/empty\.sqlite is an empty file, not a preference log/)
    expect(readFileSync(join(dir, 'empty.sqlite'))).toHaveLength(0)
  })
})

function readdir(path: string): string[] {
  return readdirSync(path).sort()
}
