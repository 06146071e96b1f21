/**
 * Mapping between decisions and rows of the `decisions` table. Rows are validated on the
 * way out: the file is a boundary, and a row edited outside Infill must not pass as data.
 */
import { DecisionRecord, type DecisionInput } from '../contract'
import { PreferenceStoreError } from './errors'

/** A row of the `decisions` table as SQLite returns it. */
export interface DecisionRow {
  id: number
  document_id: string
  request_id: string
  span_id: string
  prefix: string
  suffix: string
  span_original: string
  candidates_json: string
  action: string
  chosen_index: number | null
  final_text: string
  model_name: string
  model_hash: string
  sampling_json: string
  shown_at: string
  decided_at: string
  created_at: string
  retracted_at: string | null
  /** A comparison decision's `compare` as JSON (schema 3); null for an ordinary fill and for older rows. */
  compare_json: string | null
  /** What the writer asked for in the round on show (schema 4); null for older rows. */
  request_kind: string | null
  /** `{ rounds, candidateRounds }` as JSON (schema 4); null for older rows. */
  rounds_json: string | null
  /** Why the decision was taken back (schema 4); null while it stands, and for older rows. */
  retracted_why: string | null
}

/** Named parameters of the INSERT statement (every column but id). */
export type DecisionRowInput = Omit<DecisionRow, 'id' | 'retracted_at' | 'retracted_why'>

/** The columns of a decision, in the order of INSERT_DECISION_SQL. */
export const INSERT_DECISION_SQL = `
  INSERT INTO decisions (
    document_id, request_id, span_id, prefix, suffix, span_original, candidates_json, action,
    chosen_index, final_text, model_name, model_hash, sampling_json, shown_at, decided_at, created_at, compare_json,
    request_kind, rounds_json
  ) VALUES (
    @document_id, @request_id, @span_id, @prefix, @suffix, @span_original, @candidates_json, @action,
    @chosen_index, @final_text, @model_name, @model_hash, @sampling_json, @shown_at, @decided_at, @created_at, @compare_json,
    @request_kind, @rounds_json
  )`

/** The row to insert for a (validated) decision logged at `createdAt`. */
export function toRow(d: DecisionInput, createdAt: string): DecisionRowInput {
  return {
    document_id: d.documentId,
    request_id: d.requestId,
    span_id: d.spanId,
    prefix: d.prefix,
    suffix: d.suffix,
    span_original: d.spanOriginal,
    candidates_json: JSON.stringify(d.candidates),
    action: d.action,
    chosen_index: d.chosenIndex,
    final_text: d.finalText,
    model_name: d.model.name,
    model_hash: d.model.hash,
    sampling_json: JSON.stringify(d.sampling),
    shown_at: d.shownAt,
    decided_at: d.decidedAt,
    created_at: createdAt,
    compare_json: d.compare ? JSON.stringify(d.compare) : null,
    request_kind: d.kind ?? null,
    rounds_json: d.rounds ? JSON.stringify({ rounds: d.rounds, candidateRounds: d.candidateRounds ?? null }) : null,
  }
}

/** The record a row holds; throws 'unreadable-row' naming the row when it does not match the schema. */
export function fromRow(row: DecisionRow, dbPath: string): DecisionRecord {
  let candidates: unknown
  let sampling: unknown
  let compare: unknown
  let rounds: { rounds?: unknown; candidateRounds?: unknown } | undefined
  try {
    candidates = JSON.parse(row.candidates_json)
    sampling = JSON.parse(row.sampling_json)
    compare = row.compare_json == null ? undefined : JSON.parse(row.compare_json)
    rounds = row.rounds_json == null ? undefined : (JSON.parse(row.rounds_json) as typeof rounds)
  } catch (err) {
    throw unreadable(row.id, dbPath, `its JSON does not parse (${(err as Error).message})`)
  }
  const parsed = DecisionRecord.safeParse({
    id: row.id,
    documentId: row.document_id,
    requestId: row.request_id,
    spanId: row.span_id,
    prefix: row.prefix,
    suffix: row.suffix,
    spanOriginal: row.span_original,
    candidates,
    action: row.action,
    chosenIndex: row.chosen_index,
    finalText: row.final_text,
    model: { name: row.model_name, hash: row.model_hash },
    sampling,
    shownAt: row.shown_at,
    decidedAt: row.decided_at,
    createdAt: row.created_at,
    ...(row.retracted_at ? { retractedAt: row.retracted_at } : {}),
    ...(compare !== undefined ? { compare } : {}),
    ...(row.request_kind != null ? { kind: row.request_kind } : {}),
    ...(rounds?.rounds !== undefined ? { rounds: rounds.rounds } : {}),
    ...(rounds?.candidateRounds != null ? { candidateRounds: rounds.candidateRounds } : {}),
    ...(row.retracted_at && row.retracted_why ? { retractedWhy: row.retracted_why } : {}),
  })
  if (!parsed.success) throw unreadable(row.id, dbPath, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '))
  return parsed.data
}

function unreadable(id: number, dbPath: string, why: string): PreferenceStoreError {
  return new PreferenceStoreError(
    'unreadable-row',
    `Decision ${id} in the preference log ${dbPath} cannot be read: ${why}. The row was probably edited outside Infill; fix or delete that row with a SQLite tool.`,
  )
}
