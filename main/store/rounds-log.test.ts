/**
 * Schema 4: what the writer asked for (request kind) and each candidate's round in the
 * preference log, and on every exported line the round, request, seed, settings and "shown
 * at" of the texts it carries; why a decision was taken back; logs before schema 4 still read.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type DecisionInput, type DecisionRound, type ExportFormat } from '../contract'
import { readTuneData } from '../tune/tune-data'
import { toRow } from './decision-rows'
import { PREFERENCE_LINE_SCHEMAS, infillUserMessage } from './export-lines'
import { PreferenceStore } from './preference-store'
import { MIGRATIONS, SCHEMA_VERSION, migrate } from './schema'
import { sampleDecision } from './test-fixtures/decisions'

const round1: DecisionRound = {
  round: 1,
  requestId: 'req-a',
  spanId: 's1',
  kind: 'fill',
  sampling: { ...DEFAULT_SAMPLING, seed: 11 },
  shownAt: '2026-12-07T06:00:00.000Z',
}
const round2: DecisionRound = {
  round: 2,
  requestId: 'req-b',
  spanId: 's2',
  kind: 'range',
  length: { minWords: 2, maxWords: 3 },
  sampling: { ...DEFAULT_SAMPLING, seed: 22, temperature: 0 },
  shownAt: '2026-12-07T06:01:00.000Z',
}

/** Accepted round 1's 'trimmed the wick' after round 2 (a 2–3 word range) showed 'watched the sea'. */
function picked(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return sampleDecision({
    requestId: 'req-a',
    spanId: 's1',
    candidates: ['climbed the stairs', 'trimmed the wick', 'watched the sea'],
    chosenIndex: 1,
    finalText: 'trimmed the wick',
    sampling: round1.sampling,
    shownAt: round1.shownAt,
    kind: 'fill',
    rounds: [round1, round2],
    candidateRounds: [1, 1, 2],
    ...overrides,
  })
}

let dir: string
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'infill-rounds-log-'))))
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function exported(store: PreferenceStore, format: ExportFormat): Record<string, unknown>[] {
  const out = join(dir, `${format}.jsonl`)
  store.export(format, out)
  return readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => PREFERENCE_LINE_SCHEMAS[format].parse(JSON.parse(l)) as Record<string, unknown>)
}

describe('schema 4: request kinds and rounds', () => {
  it('each exported line names the round, request, seed, settings and time shown of each text it carries', () => {
    const store = PreferenceStore.open(join(dir, 'prefs.sqlite'))
    store.log(picked())
    const [stairs, sea] = exported(store, 'standard')
    // chosen: round 1's; rejected 'climbed the stairs' also round 1's, 'watched the sea' round 2's.
    expect(stairs).toMatchObject({ chosen: 'trimmed the wick', rejected: 'climbed the stairs', request_id: 'req-a', span_id: 's1', round: 1, request_kind: 'fill', decision_kind: 'fill' })
    expect(stairs.sampling).toEqual(round1.sampling)
    expect(stairs.shown_at).toBe(round1.shownAt)
    expect(sea).toMatchObject({ rejected: 'watched the sea', request_id: 'req-b', span_id: 's2', round: 2, request_kind: 'range', shown_at: round2.shownAt })
    expect(sea.sampling).toEqual(round2.sampling)
    expect(sea.rejected_round).toEqual({
      round: 2,
      request_id: 'req-b',
      span_id: 's2',
      request_kind: 'range',
      length: { minWords: 2, maxWords: 3 },
      seed: 22,
      sampling: round2.sampling,
      shown_at: round2.shownAt,
    })
    expect(sea.chosen_round).toMatchObject({ round: 1, request_id: 'req-a', seed: 11, shown_at: round1.shownAt })
    store.close()
  })

  it('the writer’s own text has no round; an edit’s rejected text is the accepted candidate’s round', () => {
    const store = PreferenceStore.open(join(dir, 'prefs.sqlite'))
    store.log(picked({ action: 'accepted_edited', chosenIndex: 2, finalText: 'watched the grey sea', requestId: 'req-b', spanId: 's2', kind: 'range', sampling: round2.sampling, shownAt: round2.shownAt }))
    const [line] = exported(store, 'standard')
    expect(line).toMatchObject({ chosen: 'watched the grey sea', rejected: 'watched the sea', request_id: 'req-b', round: 2, request_kind: 'range', decision_kind: 'range' })
    expect(line.chosen_round).toBeUndefined()
    const unpaired = exported(store, 'unpaired')
    expect(unpaired.map((l) => [l.completion, l.label, (l.completion_round as { round: number } | undefined)?.round])).toEqual([
      ['watched the grey sea', true, undefined],
      ['watched the sea', false, 2],
    ])
    store.close()
  })

  it('the conversational form: the pair as chat messages, the marker once, read back for tuning', () => {
    const store = PreferenceStore.open(join(dir, 'prefs.sqlite'))
    store.log(picked())
    const lines = exported(store, 'conversational')
    expect(lines[0].prompt).toEqual([{ role: 'user', content: infillUserMessage('The lighthouse keeper ', ' every night.') }])
    expect((lines[0].prompt as { content: string }[])[0].content.split('<|fill|>')).toHaveLength(2)
    expect(lines.map((l) => (l.rejected as { content: string }[])[0].content)).toEqual(['climbed the stairs', 'watched the sea'])
    expect(lines[0].chosen).toEqual([{ role: 'assistant', content: 'trimmed the wick' }])
    const data = readTuneData(readFileSync(join(dir, 'conversational.jsonl'), 'utf8'), 'conversational.jsonl')
    expect(data.forms.conversational).toBe(2)
    expect(data.decisions[0].texts.map((t) => [t.text, t.preferred])).toEqual([
      ['trimmed the wick', true],
      ['climbed the stairs', false],
      ['watched the sea', false],
    ])
    store.close()
  })

  it('records why a decision was taken back', () => {
    const store = PreferenceStore.open(join(dir, 'prefs.sqlite'))
    const a = store.log(picked({ action: 'regenerated', chosenIndex: null, finalText: 'lit the lamp' })).id!
    const b = store.log(picked()).id!
    store.retract(a, 'picked-earlier-round')
    store.retract(b)
    const [second, first] = store.list(2)
    expect([first.retractedWhy, second.retractedWhy]).toEqual(['picked-earlier-round', 'undone'])
    store.close()
  })

  it('refuses candidate rounds that do not match the candidates', () => {
    const store = PreferenceStore.open(join(dir, 'prefs.sqlite'))
    expect(() => store.log(picked({ candidateRounds: [1, 2] }))).toThrow(/candidateRounds names 2 rounds for 3 candidates/)
    expect(() => store.log(picked({ candidateRounds: [1, 1, 3] }))).toThrow(/round 3, which is not among rounds/)
    expect(() => store.log(picked({ rounds: undefined }))).toThrow(/come together/)
    store.close()
  })

  it('a schema-3 log migrates to schema 4: its decisions read as before, with no kind or rounds', () => {
    const path = join(dir, 'old.sqlite')
    const db = new Database(path)
    migrate(db, path, MIGRATIONS.filter((m) => m.version <= 3))
    const { request_kind: _k, rounds_json: _r, ...row } = toRow(sampleDecision(), '2026-11-27T02:00:06.000Z')
    const columns = Object.keys(row)
    db.prepare(`INSERT INTO decisions (${columns.join(', ')}) VALUES (${columns.map((c) => '@' + c).join(', ')})`).run(row)
    db.close()
    const store = PreferenceStore.open(path)
    const [old] = store.list(1)
    expect(old).toMatchObject({ requestId: 'req-1', finalText: 'trimmed the wick' })
    expect([old.kind, old.rounds, old.candidateRounds]).toEqual([undefined, undefined, undefined])
    store.log(picked())
    const lines = exported(store, 'standard')
    // The old decision's lines: its own request, no round fields.
    expect(lines[0]).toMatchObject({ request_id: 'req-1', span_id: 'span-1' })
    expect(['round', 'request_kind', 'decision_kind', 'chosen_round', 'rejected_round'].filter((k) => k in lines[0])).toEqual([])
    expect(lines[2]).toMatchObject({ request_id: 'req-a', round: 1 })
    store.close()
    const raw = new Database(path, { readonly: true })
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(SCHEMA_VERSION).toBe(4)
    raw.close()
  })
})
