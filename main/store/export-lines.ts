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
 * Which round each text came from: a span asked again keeps its earlier rounds, and a
 * decision's candidates may come from several (each with its own request, seed, settings and
 * time shown). The line's own `request_id`, `span_id`, `sampling`, `shown_at`, `round` and
 * `request_kind` are those of the round its model-written text came from: the rejected text
 * (standard, implicit, conversational: always a candidate), or the completion (unpaired; for
 * the writer's own text, the round on show when the writer decided). `chosen_round` /
 * `rejected_round` / `completion_round` spell out each text's round (request, what was asked,
 * seed, settings, time shown), absent for a text the writer wrote. Decisions logged before
 * schema 4 carry no rounds: their lines have the decision's own request and no round fields.
 *
 * The prompt template (INFILL_PROMPT_TEMPLATE) holds the marker once, at the blank, and ends
 * with a cue on its own line, after which TRL appends the completion:
 *
 *     Write the words that fill the blank in this text.
 *
 *     {prefix}<|fill|>{suffix}
 *
 *     Words for the blank:
 *
 * `chosen` / `rejected` / `completion` are the span text only (what replaces `<|fill|>`).
 * The marker is not escaped: a prefix or suffix that itself contains `<|fill|>` is
 * ambiguous in the prompt, but `prefix` and `suffix` are exported verbatim beside it.
 *
 * `conversational`: TRL's conversational preference form, the same pair as messages:
 * `prompt` [{role: user, content: the instruction and the text with the blank}], `chosen` /
 * `rejected` [{role: assistant, content: the span text}]; TRL applies the model's chat
 * template to them.
 */
import { z } from 'zod'
import {
  CompareOrder,
  ComparedModels,
  DecisionAction,
  LengthTarget,
  RequestKind,
  SamplingSettings,
  type DecisionRecord,
  type DecisionRound,
  type ExportFormat,
} from '../contract'
import { deriveLabelled, derivePairs } from './preference-pairs'

/** The marker that stands for the span in a prompt. */
export const FILL_MARKER = '<|fill|>'

/** The instruction before the text. */
export const FILL_INSTRUCTION = 'Write the words that fill the blank in this text.'

/** The cue after the text: the completion follows it on the next line. */
export const FILL_CUE = 'Words for the blank:'

/** The documented prompt template; `{prefix}` and `{suffix}` are replaced verbatim. */
export const INFILL_PROMPT_TEMPLATE = `${FILL_INSTRUCTION}\n\n{prefix}${FILL_MARKER}{suffix}\n\n${FILL_CUE}\n`

/** The prompt for a span between `prefix` and `suffix`. */
export function infillPrompt(prefix: string, suffix: string): string {
  return INFILL_PROMPT_TEMPLATE.replace('{prefix}', () => prefix).replace('{suffix}', () => suffix)
}

/** The user message of the conversational form: the instruction and the text with its blank. */
export function infillUserMessage(prefix: string, suffix: string): string {
  return `${FILL_INSTRUCTION} Answer with those words only.\n\n${prefix}${FILL_MARKER}${suffix}`
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

/** The round a text of a line came from: its request, what was asked, seed, settings and when it was shown. */
export const TextRound = z
  .object({
    round: z.number().int().min(1),
    request_id: z.string(),
    span_id: z.string(),
    request_kind: RequestKind,
    length: LengthTarget.optional(),
    seed: z.number().int(),
    sampling: SamplingSettings,
    shown_at: z.string(),
  })
  .strict()
export type TextRound = z.infer<typeof TextRound>

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
  /** The round (from 1) and what was asked in it, of the line's model-written text (absent before schema 4). */
  round: z.number().int().min(1).optional(),
  request_kind: RequestKind.optional(),
  /** What the writer asked for in the round on show when deciding (absent before schema 4). */
  decision_kind: RequestKind.optional(),
  chosen_round: TextRound.optional(),
  rejected_round: TextRound.optional(),
  completion_round: TextRound.optional(),
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

/** One chat message of the conversational form. */
const Message = z.object({ role: z.enum(['user', 'assistant']), content: z.string() }).strict()

/** A line of the conversational form (TRL's conversational preference data): the same pair as chat messages. */
export const ConversationalPreferenceLine = InfillFields.extend({
  prompt: z.array(Message).length(1),
  chosen: z.array(Message).length(1),
  rejected: z.array(Message).length(1),
}).strict()
export type ConversationalPreferenceLine = z.infer<typeof ConversationalPreferenceLine>

/** The schema of each format's lines. */
export const PREFERENCE_LINE_SCHEMAS = {
  standard: StandardPreferenceLine,
  implicit: ImplicitPreferenceLine,
  unpaired: UnpairedPreferenceLine,
  conversational: ConversationalPreferenceLine,
} as const satisfies Record<ExportFormat, z.ZodType>

/** Any exported line. */
export type PreferenceLine = StandardPreferenceLine | ImplicitPreferenceLine | UnpairedPreferenceLine | ConversationalPreferenceLine

/** The lines one decision contributes to an export in `format` (possibly none). */
export function preferenceLines(record: DecisionRecord, format: ExportFormat): PreferenceLine[] {
  switch (format) {
    case 'standard':
      return standardLines(record)
    case 'implicit':
      return implicitLines(record)
    case 'unpaired':
      return unpairedLines(record)
    case 'conversational':
      return conversationalLines(record)
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
  return deriveLabelled(record).map(({ completion, label }) => ({ prompt, completion, label, ...infillFields(record, { completion, label }) }))
}

/** Conversational lines of one decision: one per preference pair, as chat messages. */
export function conversationalLines(record: DecisionRecord): ConversationalPreferenceLine[] {
  const prompt = [{ role: 'user' as const, content: infillUserMessage(record.prefix, record.suffix) }]
  const said = (content: string) => [{ role: 'assistant' as const, content }]
  return derivePairs(record).map(({ chosen, rejected }) => ({ prompt, chosen: said(chosen), rejected: said(rejected), ...infillFields(record, { chosen, rejected }) }))
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

/**
 * The round `text` came from in decision `r`, or null when the writer wrote it (or the
 * decision has no rounds). `role` says which of the line's texts it is: the chosen text is a
 * candidate only when accepted as it was; a rejected or labelled-false text is a candidate
 * (the accepted one, for an edit: its own round first).
 */
export function roundOfText(r: DecisionRecord, text: string, role: 'chosen' | 'rejected'): DecisionRound | null {
  if (!r.rounds || !r.candidateRounds) return null
  let index: number
  if (role === 'chosen') {
    if (r.action !== 'accepted' || r.chosenIndex === null) return null
    index = r.chosenIndex
  } else {
    index = r.chosenIndex !== null && r.candidates[r.chosenIndex] === text ? r.chosenIndex : r.candidates.indexOf(text)
    if (index < 0) return null
  }
  const n = r.candidateRounds[index]
  return r.rounds.find((x) => x.round === n) ?? null
}

/** The round on show when the writer decided (the decision's own request). */
function decisionRound(r: DecisionRecord): DecisionRound | null {
  return r.rounds?.find((x) => x.requestId === r.requestId && x.spanId === r.spanId) ?? null
}

function textRound(x: DecisionRound): TextRound {
  return {
    round: x.round,
    request_id: x.requestId,
    span_id: x.spanId,
    request_kind: x.kind,
    ...(x.length !== undefined ? { length: x.length } : {}),
    seed: x.sampling.seed,
    sampling: x.sampling,
    shown_at: x.shownAt,
  }
}

function infillFields(r: DecisionRecord, texts: { chosen?: string; rejected?: string; completion?: string; label?: boolean }): z.infer<typeof InfillFields> {
  const compare = lineComparison(r, texts)
  const chosenRound = texts.chosen !== undefined ? roundOfText(r, texts.chosen, 'chosen') : null
  const rejectedRound = texts.rejected !== undefined ? roundOfText(r, texts.rejected, 'rejected') : null
  const completionRound = texts.completion !== undefined ? roundOfText(r, texts.completion, texts.label ? 'chosen' : 'rejected') : null
  // The line's own request: that of its model-written text (see the module comment).
  const own = rejectedRound ?? completionRound ?? decisionRound(r)
  return {
    ...(compare ? { compare } : {}),
    decision_id: r.id,
    document_id: r.documentId,
    request_id: own?.requestId ?? r.requestId,
    span_id: own?.spanId ?? r.spanId,
    prefix: r.prefix,
    suffix: r.suffix,
    span_original: r.spanOriginal,
    model: { name: r.model.name, hash: r.model.hash },
    sampling: own?.sampling ?? r.sampling,
    action: r.action,
    shown_at: own?.shownAt ?? r.shownAt,
    decided_at: r.decidedAt,
    created_at: r.createdAt,
    ...(own ? { round: own.round, request_kind: own.kind } : {}),
    ...(r.kind ? { decision_kind: r.kind } : {}),
    ...(chosenRound ? { chosen_round: textRound(chosenRound) } : {}),
    ...(rejectedRound ? { rejected_round: textRound(rejectedRound) } : {}),
    ...(completionRound ? { completion_round: textRound(completionRound) } : {}),
  }
}
