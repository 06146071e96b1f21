/**
 * The exported line formats (JSON Lines, one object per line) and pure functions that
 * turn one logged decision into its lines.
 *
 * Formats, after TRL's preference datasets:
 * - `standard`: `prompt`, `chosen`, `rejected`, one line per preference pair;
 * - `implicit`: `chosen`, `rejected` as full texts (prefix + span + suffix), no `prompt`;
 * - `unpaired` (KTO): `prompt`, `completion`, `label`, one line per labelled text.
 *
 * Every line also carries the infill fields: `prefix`, `suffix`, `span_original`,
 * `model` ({name, hash}), `sampling` (the settings of the fill), `action`, `created_at`,
 * `shown_at`, `decided_at` and the ids `decision_id`, `document_id`, `request_id`, `span_id`.
 *
 * The prompt template (INFILL_PROMPT_TEMPLATE):
 *
 *     Fill in the blank marked <|fill|>.
 *
 *     {prefix}<|fill|>{suffix}
 *
 * `chosen` / `rejected` / `completion` are the span text only (what replaces `<|fill|>`).
 * The marker is not escaped: a prefix or suffix that itself contains `<|fill|>` is
 * ambiguous in the prompt, but `prefix` and `suffix` are exported verbatim beside it.
 */
import { z } from 'zod'
import { CompareOrder, ComparedModels, DecisionAction, SamplingSettings, type DecisionRecord, type ExportFormat } from '../contract'
import { deriveLabelled, derivePairs } from './preference-pairs'

/** The marker that stands for the span in a prompt. */
export const FILL_MARKER = '<|fill|>'

/** The documented prompt template; `{prefix}` and `{suffix}` are replaced verbatim. */
export const INFILL_PROMPT_TEMPLATE = `Fill in the blank marked ${FILL_MARKER}.\n\n{prefix}${FILL_MARKER}{suffix}`

/** The prompt for a span between `prefix` and `suffix`. */
export function infillPrompt(prefix: string, suffix: string): string {
  return INFILL_PROMPT_TEMPLATE.replace('{prefix}', () => prefix).replace('{suffix}', () => suffix)
}

/** Who wrote a text of a comparison decision: one model, both (the same text), or the writer (the original, an edit). */
export const TextSource = z.enum(['base', 'tuned', 'both', 'writer'])
export type TextSource = z.infer<typeof TextSource>

/**
 * A comparison decision's fields on each of its lines: the two models, the columns' order,
 * whose candidate was kept, and who wrote this line's texts — so a line with chosen_from
 * "tuned" and rejected_from "base" is a preference of the tuned model's fill over the base's.
 */
export const LineComparison = z
  .object({
    models: ComparedModels,
    order: CompareOrder,
    kept_from: z.enum(['base', 'tuned', 'neither']),
    chosen_from: TextSource.optional(),
    rejected_from: TextSource.optional(),
    completion_from: TextSource.optional(),
  })
  .strict()
export type LineComparison = z.infer<typeof LineComparison>

/** Fields every exported line carries besides the preference itself. */
const InfillFields = z.object({
  decision_id: z.number().int(),
  document_id: z.string(),
  request_id: z.string(),
  span_id: z.string(),
  prefix: z.string(),
  suffix: z.string(),
  span_original: z.string(),
  model: z.object({ name: z.string(), hash: z.string() }).strict(),
  sampling: SamplingSettings,
  action: DecisionAction,
  shown_at: z.string(),
  decided_at: z.string(),
  created_at: z.string(),
  /** Only on decisions taken in comparison mode. */
  compare: LineComparison.optional(),
})

/** A line of the standard format: explicit prompt, span-only chosen and rejected. */
export const StandardPreferenceLine = InfillFields.extend({
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
}).strict()
export type StandardPreferenceLine = z.infer<typeof StandardPreferenceLine>

/** A line of the implicit-prompt format: chosen and rejected are whole texts, there is no prompt. */
export const ImplicitPreferenceLine = InfillFields.extend({
  chosen: z.string(),
  rejected: z.string(),
}).strict()
export type ImplicitPreferenceLine = z.infer<typeof ImplicitPreferenceLine>

/** A line of the unpaired (KTO) format: one completion, labelled desirable or not. */
export const UnpairedPreferenceLine = InfillFields.extend({
  prompt: z.string(),
  completion: z.string(),
  label: z.boolean(),
}).strict()
export type UnpairedPreferenceLine = z.infer<typeof UnpairedPreferenceLine>

/** The schema of each format's lines. */
export const PREFERENCE_LINE_SCHEMAS = {
  standard: StandardPreferenceLine,
  implicit: ImplicitPreferenceLine,
  unpaired: UnpairedPreferenceLine,
} as const satisfies Record<ExportFormat, z.ZodType>

/** Any exported line. */
export type PreferenceLine = StandardPreferenceLine | ImplicitPreferenceLine | UnpairedPreferenceLine

/** The lines one decision contributes to an export in `format` (possibly none). */
export function preferenceLines(record: DecisionRecord, format: ExportFormat): PreferenceLine[] {
  switch (format) {
    case 'standard':
      return standardLines(record)
    case 'implicit':
      return implicitLines(record)
    case 'unpaired':
      return unpairedLines(record)
  }
}

/** Standard-format lines of one decision: one per preference pair. */
export function standardLines(record: DecisionRecord): StandardPreferenceLine[] {
  const prompt = infillPrompt(record.prefix, record.suffix)
  return derivePairs(record).map(({ chosen, rejected }) => ({ prompt, chosen, rejected, ...infillFields(record, { chosen, rejected }) }))
}

/** Implicit-prompt lines of one decision: chosen and rejected are prefix + span + suffix. */
export function implicitLines(record: DecisionRecord): ImplicitPreferenceLine[] {
  const whole = (span: string) => record.prefix + span + record.suffix
  return derivePairs(record).map(({ chosen, rejected }) => ({ chosen: whole(chosen), rejected: whole(rejected), ...infillFields(record, { chosen, rejected }) }))
}

/** Unpaired (KTO) lines of one decision: the chosen text labelled true, each rejected one false. */
export function unpairedLines(record: DecisionRecord): UnpairedPreferenceLine[] {
  const prompt = infillPrompt(record.prefix, record.suffix)
  return deriveLabelled(record).map(({ completion, label }) => ({ prompt, completion, label, ...infillFields(record, { completion }) }))
}

/** One line of JSON Lines: the object serialised, newline-terminated. */
export function formatLine(line: PreferenceLine): string {
  return JSON.stringify(line) + '\n'
}

/** Who wrote `text` among a comparison decision's candidates (see TextSource). */
export function textSource(r: Pick<DecisionRecord, 'candidates' | 'compare'>, text: string): TextSource {
  const roles = new Set(r.candidates.flatMap((c, i) => (c === text && r.compare ? [r.compare.sources[i]] : [])))
  if (roles.size === 0) return 'writer'
  return roles.size > 1 ? 'both' : [...roles][0]
}

function lineComparison(r: DecisionRecord, texts: { chosen?: string; rejected?: string; completion?: string }): LineComparison | undefined {
  if (!r.compare) return undefined
  const from = (t: string | undefined) => (t === undefined ? undefined : textSource(r, t))
  const line: LineComparison = { models: r.compare.models, order: r.compare.order, kept_from: r.compare.keptFrom }
  const chosen = from(texts.chosen)
  const rejected = from(texts.rejected)
  const completion = from(texts.completion)
  if (chosen) line.chosen_from = chosen
  if (rejected) line.rejected_from = rejected
  if (completion) line.completion_from = completion
  return line
}

function infillFields(r: DecisionRecord, texts: { chosen?: string; rejected?: string; completion?: string }): z.infer<typeof InfillFields> {
  const compare = lineComparison(r, texts)
  return {
    ...(compare ? { compare } : {}),
    decision_id: r.id,
    document_id: r.documentId,
    request_id: r.requestId,
    span_id: r.spanId,
    prefix: r.prefix,
    suffix: r.suffix,
    span_original: r.spanOriginal,
    model: { name: r.model.name, hash: r.model.hash },
    sampling: r.sampling,
    action: r.action,
    shown_at: r.shownAt,
    decided_at: r.decidedAt,
    created_at: r.createdAt,
  }
}
