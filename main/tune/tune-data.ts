/**
 * The writer's decisions read back from an export (any of prefs:export's four forms) for
 * tuning: grouped per decision, each with its context (prefix, suffix), its texts (what
 * could fill the span) labelled preferred or not, and its (chosen, rejected) pairs.
 *
 * - standard: `prompt`, `chosen`, `rejected` (span texts); one line per pair.
 * - implicit: `chosen`, `rejected` as whole texts; the span is what lies between the line's
 *   `prefix` and `suffix`.
 * - conversational: `prompt`, `chosen`, `rejected` as chat messages (the span texts are the
 *   assistant messages' content).
 * - unpaired: `completion` + `label`; a decision's true completion is preferred to each of
 *   its false ones (the pairs derivePairs gives), so VRPO can use this form too.
 *
 * Pure: text in, decisions out. Every bad line is a TuneDataError naming the line and what
 * is wrong with it.
 */
import {
  ConversationalPreferenceLine,
  ImplicitPreferenceLine,
  StandardPreferenceLine,
  UnpairedPreferenceLine,
} from '../store/export-lines'
import type { ExportFormat } from '../contract'

/** One decision: the context and the texts the writer judged. */
export interface TuneDecision {
  /** Stable id of the decision across lines (decision id, document id, time logged). */
  group: string
  /** The document the decision was made in (tune.py holds out whole documents). */
  document: string
  prefix: string
  suffix: string
  /** Distinct texts; `preferred` true for the one the writer kept (at most one). */
  texts: { text: string; preferred: boolean }[]
  /** Index pairs into `texts`: [chosen, rejected]. */
  pairs: [number, number][]
}

export interface TuneData {
  decisions: TuneDecision[]
  /** Non-empty lines read. */
  lines: number
  /** Lines per export form. */
  forms: Record<ExportFormat, number>
}

export class TuneDataError extends Error {
  override name = 'TuneDataError'
}

type Parsed =
  | { form: 'standard' | 'implicit' | 'conversational'; line: StandardPreferenceLine | ImplicitPreferenceLine | ConversationalPreferenceLine; chosen: string; rejected: string }
  | { form: 'unpaired'; line: UnpairedPreferenceLine; completion: string; label: boolean }

/** The span text inside an implicit line's whole text (between its prefix and suffix). */
function spanOf(whole: string, prefix: string, suffix: string, where: string): string {
  if (!whole.startsWith(prefix) || !whole.endsWith(suffix) || whole.length < prefix.length + suffix.length)
    throw new TuneDataError(`${where}: the whole text does not start with the line's prefix and end with its suffix; re-export with npm run prefs:export`)
  return whole.slice(prefix.length, whole.length - suffix.length)
}

function parseLine(raw: unknown, where: string): Parsed {
  const o = raw as Record<string, unknown>
  if (o && typeof o === 'object' && 'completion' in o) {
    const r = UnpairedPreferenceLine.safeParse(raw)
    if (!r.success) throw new TuneDataError(`${where}: not an unpaired (KTO) line: ${issues(r.error)}`)
    return { form: 'unpaired', line: r.data, completion: r.data.completion, label: r.data.label }
  }
  if (o && typeof o === 'object' && Array.isArray(o.prompt)) {
    const r = ConversationalPreferenceLine.safeParse(raw)
    if (!r.success) throw new TuneDataError(`${where}: not a conversational preference line: ${issues(r.error)}`)
    return { form: 'conversational', line: r.data, chosen: r.data.chosen[0].content, rejected: r.data.rejected[0].content }
  }
  if (o && typeof o === 'object' && 'prompt' in o) {
    const r = StandardPreferenceLine.safeParse(raw)
    if (!r.success) throw new TuneDataError(`${where}: not a standard preference line: ${issues(r.error)}`)
    return { form: 'standard', line: r.data, chosen: r.data.chosen, rejected: r.data.rejected }
  }
  const r = ImplicitPreferenceLine.safeParse(raw)
  if (!r.success) throw new TuneDataError(`${where}: not a line of npm run prefs:export (standard, implicit or unpaired): ${issues(r.error)}`)
  const { prefix, suffix } = r.data
  return {
    form: 'implicit',
    line: r.data,
    chosen: spanOf(r.data.chosen, prefix, suffix, `${where} (chosen)`),
    rejected: spanOf(r.data.rejected, prefix, suffix, `${where} (rejected)`),
  }
}

function issues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(line)'}: ${i.message}`)
    .join('; ')
}

/** Reads JSON Lines text of an export into decisions. `name` is used in messages. */
export function readTuneData(text: string, name: string): TuneData {
  const forms: Record<ExportFormat, number> = { standard: 0, implicit: 0, unpaired: 0, conversational: 0 }
  const byGroup = new Map<string, TuneDecision>()
  let lines = 0
  const rows = text.split('\n')
  for (const [i, row] of rows.entries()) {
    if (row.trim() === '') continue
    lines++
    const where = `${name} line ${i + 1}`
    let raw: unknown
    try {
      raw = JSON.parse(row)
    } catch (e) {
      throw new TuneDataError(`${where}: not JSON (${(e as Error).message}); give the file npm run prefs:export wrote`)
    }
    const p = parseLine(raw, where)
    forms[p.form]++
    const l = p.line
    // One decision's lines may name different requests (each its rejected text's round): grouped by the decision.
    const group = `${l.decision_id}:${l.document_id}:${l.created_at}`
    let d = byGroup.get(group)
    if (!d) {
      d = { group, document: l.document_id, prefix: l.prefix, suffix: l.suffix, texts: [], pairs: [] }
      byGroup.set(group, d)
    } else if (d.prefix !== l.prefix || d.suffix !== l.suffix) {
      throw new TuneDataError(`${where}: decision ${l.decision_id} appears with another prefix or suffix than on an earlier line; the file mixes two logs with the same ids`)
    }
    if (p.form === 'unpaired') addText(d, p.completion, p.label)
    else {
      const c = addText(d, p.chosen, true)
      const r = addText(d, p.rejected, false)
      if (c !== r && !d.pairs.some(([a, b]) => a === c && b === r)) d.pairs.push([c, r])
    }
  }
  const decisions = [...byGroup.values()]
  for (const d of decisions) {
    if (d.pairs.length === 0) {
      // unpaired lines: the preferred text against each of the others (derivePairs)
      const c = d.texts.findIndex((t) => t.preferred)
      if (c >= 0) d.texts.forEach((_, j) => j !== c && d.pairs.push([c, j]))
    }
    const preferred = d.texts.filter((t) => t.preferred).length
    if (preferred > 1) throw new TuneDataError(`${name}: decision ${d.group.split(':')[0]} prefers ${preferred} different texts; a decision keeps one`)
  }
  return { decisions, lines, forms }
}

function addText(d: TuneDecision, text: string, preferred: boolean): number {
  const i = d.texts.findIndex((t) => t.text === text)
  if (i >= 0) {
    if (preferred) d.texts[i].preferred = true
    return i
  }
  d.texts.push({ text, preferred })
  return d.texts.length - 1
}
