/**
 * The one contract between the renderer and the hosts (Electron main + preload, or the
 * browser-mode HTTP/WebSocket host). Every request and event crossing a process boundary
 * is declared here as a zod schema; the TypeScript types are inferred from the schemas.
 *
 * Runtime-agnostic: imports nothing from Node or Electron, so the renderer, the hosts,
 * the engine and the tests can all import it.
 */
import { z } from 'zod'

// ---------------------------------------------------------------------------------------
// Sampling: how the reverse process reveals masked slots
// ---------------------------------------------------------------------------------------

/** Remasking strategies (see REFERENCES.md: LLaDA, Dream, Fast-dLLM). */
export const Strategy = z.enum([
  'low_confidence', // LLaDA: reveal the k most confident masked slots per step
  'random', // LLaDA: reveal k random masked slots per step
  'maskgit_plus', // Dream: confidence = top-1 probability
  'topk_margin', // Dream: confidence = top-1 minus top-2 probability
  'entropy', // Dream: confidence = negative entropy
  'threshold', // Fast-dLLM: reveal every slot with confidence >= threshold (at least one)
  'origin', // Dream: each masked slot is revealed with probability 1 - s/t, in random order
])
export type Strategy = z.infer<typeof Strategy>

export const SamplingSettings = z.object({
  strategy: Strategy,
  /** Number of reverse steps (ignored by 'threshold', which stops when all slots are revealed). */
  steps: z.number().int().min(1).max(4096),
  /** Semi-autoregressive block length in slots; 0 = one block spanning every slot. */
  blockLength: z.number().int().min(0).max(4096),
  /** Fast-dLLM confidence threshold, 0..1. */
  threshold: z.number().min(0).max(1),
  /** 0 = greedy. */
  temperature: z.number().min(0).max(5),
  /** Nucleus sampling mass, (0, 1]. */
  topP: z.number().gt(0).max(1),
  /** Seed of the request's RNG: the same seed reproduces the same fill. */
  seed: z.number().int().min(0).max(0xffffffff),
  /** Candidates per request, decoded together through the batch dimension. */
  candidates: z.number().int().min(1).max(16),
  /** Keep only the k most likely tokens before sampling (Dream's top_k); 0 or absent = off. */
  topK: z.number().int().min(0).max(1_000_000).optional(),
  /**
   * Dream's alg_temp (maskgit_plus, topk_margin, entropy): > 0 draws the slots to reveal from
   * softmax(confidence / algTemp) instead of taking the most confident; 0 or absent = top ones.
   */
  algTemp: z.number().min(0).max(100).optional(),
  /**
   * "Faster, approximate": the DualCache path (Fast-dLLM), the context's keys and values reused
   * between rebuilds, where the model ships the graphs for it. Absent or false: exact logits
   * every step. Its measured accuracy cost is in the model card.
   */
  approximate: z.boolean().optional(),
})
export type SamplingSettings = z.infer<typeof SamplingSettings>

export const DEFAULT_SAMPLING: SamplingSettings = {
  strategy: 'threshold',
  steps: 32,
  blockLength: 0,
  threshold: 0.9,
  temperature: 0.7,
  topP: 0.95,
  seed: 1,
  candidates: 3,
}

// ---------------------------------------------------------------------------------------
// The engine: models and fills
// ---------------------------------------------------------------------------------------

export const ModelFamily = z.enum(['mdlm', 'llada', 'dream', 'mlm'])
export type ModelFamily = z.infer<typeof ModelFamily>

export const ModelInfo = z.object({
  name: z.string(),
  family: ModelFamily,
  dir: z.string(),
  maxLength: z.number().int().positive(),
  vocabSize: z.number().int().positive(),
  /** sha256 of model.onnx, hex (first 16 chars are enough to show). */
  hash: z.string(),
  /** Execution provider actually in use: 'cuda', 'dml', 'coreml', 'webgpu' or 'cpu'. */
  provider: z.string(),
  /** Why a preferred GPU provider was not used, if it was not. */
  fallbackReason: z.string().optional(),
  /**
   * Present when the model has the "Faster, approximate" path (the DualCache graphs): `cost`
   * is what it costs in accuracy as measured for this model (manifest `approximateCost`), or
   * null when nobody measured it.
   */
  approximate: z.object({ cost: z.string().nullable() }).optional(),
})
export type ModelInfo = z.infer<typeof ModelInfo>

export const EngineStatus = z.enum(['starting', 'loading', 'ready', 'filling', 'error', 'crashed'])
export type EngineStatus = z.infer<typeof EngineStatus>

/** What the manuscript expert draws on (the status bar shows `words`). */
export const ManuscriptStatus = z.object({
  /** Documents the host sent (manuscript:set with text). */
  documents: z.number().int().min(0),
  /** Words in them (whitespace-separated runs). */
  words: z.number().int().min(0),
  /** Tokens counted, in the loaded model's tokenizer (0 while no model is loaded). */
  tokens: z.number().int().min(0),
  /**
   * True in the report the engine sends once the counts and the expert over them are rebuilt
   * for these documents (a fill then does not wait for them); absent in the report of a change.
   */
  counted: z.boolean().optional(),
})
export type ManuscriptStatus = z.infer<typeof ManuscriptStatus>

export const EngineState = z.object({
  status: EngineStatus,
  model: ModelInfo.nullable(),
  /** Human-readable message for 'error' / 'crashed' (what went wrong and what to do). */
  message: z.string().optional(),
  /** Requests waiting behind the running one. */
  queued: z.number().int().min(0),
  /**
   * Set while the engine runs without the model it had (reloading it after crashes kept
   * stopping the engine): why, and that model's directory. The UI offers to load a model.
   */
  noModel: z.object({ reason: z.string(), dir: z.string().nullable() }).optional(),
  /** What the manuscript expert draws on (absent until the host sends a document). */
  manuscript: ManuscriptStatus.optional(),
})
export type EngineState = z.infer<typeof EngineState>

/** A character range [from, to) in the plain text sent with a fill request. */
export const CharRange = z
  .object({ from: z.number().int().min(0), to: z.number().int().min(0) })
  .refine((r) => r.to >= r.from, { message: 'range end must not precede its start' })
export type CharRange = z.infer<typeof CharRange>

/**
 * A span's length target in words: 'shorter' / 'same' / 'longer' than its original text (an
 * empty span counts as 8 words), or an explicit range (minWords 0: the fill may be empty).
 * Every candidate's word count (runs of non-space characters) is inside it.
 */
export const LengthTarget = z.union([
  z.enum(['shorter', 'same', 'longer']),
  z
    .object({ minWords: z.number().int().min(0).max(500), maxWords: z.number().int().min(1).max(500) })
    .refine((r) => r.maxWords >= r.minWords, { message: 'maxWords must not be below minWords' }),
])
export type LengthTarget = z.infer<typeof LengthTarget>

/**
 * One masked span to fill. `from..to` is the original text the span replaces (may be
 * empty: an insertion point). `slots` is the budget of mask slots; when omitted the engine
 * uses the token count of the original text (and a default for an empty span).
 */
export const SpanSpec = z.object({
  id: z.string().min(1).max(200),
  from: z.number().int().min(0),
  to: z.number().int().min(0),
  slots: z.number().int().min(1).max(1024).optional(),
  /** How long the writer wants the fill, in words (see LengthTarget); overrides `slots`. */
  length: LengthTarget.optional(),
})
export type SpanSpec = z.infer<typeof SpanSpec>

/**
 * How the count experts weigh in a fill (issue 21). At every masked slot the engine combines
 * the model's softmax with a count model of the model's training text (where the model ships
 * one) and a count model of the writer's manuscript (the documents the host sent with
 * `manuscript:set`), reading both sides of the slot; every strategy samples from that one
 * fused distribution. How much each count model weighs where it has both neighbours, one or
 * none is fitted per model (model dir `experts.json`); the writer moves one control.
 */
export const ExpertSettings = z.object({
  /**
   * The writer's "Your words ↔ General" control: 0 = General (the model and its training text;
   * the manuscript does not count), 1 = lean hardest on the writer's own words. Default
   * DEFAULT_YOUR_WORDS. Scales the manuscript expert's fitted weight by 2 × yourWords.
   */
  yourWords: z.number().min(0).max(1),
  /** false = the model alone (no count experts, no manuscript phrases). Default true. */
  enabled: z.boolean().optional(),
  /**
   * The manuscript document this request's text is (its `manuscript:set` id): the tokens under
   * the request's masked spans are left out of the manuscript's counts for this fill, so the
   * text a mask hides never suggests itself.
   */
  documentId: z.string().min(1).max(4096).optional(),
})
export type ExpertSettings = z.infer<typeof ExpertSettings>

/** The middle of "Your words ↔ General": the manuscript at its fitted weight. */
export const DEFAULT_YOUR_WORDS = 0.5

/** Where a candidate comes from: the reverse process, or a passage of the writer's text or of the training text. */
export const CandidateOrigin = z.enum(['model', 'manuscript', 'training'])
export type CandidateOrigin = z.infer<typeof CandidateOrigin>

export const FillRequest = z.object({
  requestId: z.string().min(1).max(200),
  /** Plain text of the document (blocks joined by "\n\n"). */
  text: z.string().max(5_000_000),
  spans: z.array(SpanSpec).min(1).max(256),
  /** Locked ranges: conditioning only, never modified (a span may not overlap one). */
  locked: z.array(CharRange).max(100_000),
  settings: SamplingSettings,
  /** Count experts and the manuscript (issue 21); absent = enabled, yourWords DEFAULT_YOUR_WORDS. */
  experts: ExpertSettings.optional(),
})
export type FillRequest = z.infer<typeof FillRequest>

/** One slot revealed during a step. */
export const RevealedSlot = z.object({
  spanId: z.string(),
  candidate: z.number().int().min(0),
  /** Slot index within the span. */
  slot: z.number().int().min(0),
  tokenId: z.number().int().min(0),
  /** Decoded text of the token ('' for padding). */
  text: z.string(),
  /** Probability of the revealed token, 0..1. */
  confidence: z.number(),
  /** True when the slot was revealed as the padding token (dropped from the fill). */
  pad: z.boolean(),
})
export type RevealedSlot = z.infer<typeof RevealedSlot>

export const FillStepEvent = z.object({
  requestId: z.string(),
  step: z.number().int().min(1),
  /** Planned number of steps (threshold decoding may finish early). */
  totalSteps: z.number().int().min(1),
  revealed: z.array(RevealedSlot),
  /** Slots still masked after this step, per span id (summed over candidates). */
  remaining: z.record(z.string(), z.number().int().min(0)),
})
export type FillStepEvent = z.infer<typeof FillStepEvent>

/**
 * Comparison mode: the two models whose candidates stand side by side. `tuned` is a model
 * tuned on the writer's decisions (its manifest has a `tuning` lineage), `base` the model it
 * was tuned from.
 */
export const CompareRole = z.enum(['base', 'tuned'])
export type CompareRole = z.infer<typeof CompareRole>

/** A model named in a comparison: its name and model.onnx hash. */
export const ComparedModels = z.object({
  base: z.object({ name: z.string(), hash: z.string() }),
  tuned: z.object({ name: z.string(), hash: z.string() }),
})
export type ComparedModels = z.infer<typeof ComparedModels>

/** Left and right column of one span's comparison, as shown (drawn at random per span). */
export const CompareOrder = z.tuple([CompareRole, CompareRole]).refine((o) => o[0] !== o[1], { message: 'the two columns must be different models' })
export type CompareOrder = z.infer<typeof CompareOrder>

export const SpanCandidate = z.object({
  text: z.string(),
  tokenIds: z.array(z.number().int()),
  /** Mean confidence of the revealed tokens. */
  confidence: z.number(),
  /**
   * Spaces just before the span's `from` that this fill removes (a fill starting with "'s" or
   * a comma joins the word before; an empty fill takes one of the two spaces around it).
   * Apply as: replace (from - trimBefore)..to with `text`. Absent = 0.
   */
  trimBefore: z.number().int().min(0).optional(),
  /** In a comparison fill: the model that wrote this candidate (its role, name and model.onnx hash). */
  source: z.object({ role: CompareRole, name: z.string(), hash: z.string() }).optional(),
  /**
   * Where the candidate's text comes from (issue 21): 'model' = the reverse process over the
   * fused experts; 'manuscript' / 'training' = a passage of the writer's text / the training
   * text whose left and right contexts match the span's. Absent = 'model'.
   */
  origin: CandidateOrigin.optional(),
  /**
   * The candidate's fused score (mean log-probability a token under model and count experts,
   * the one score candidates of every origin are ranked by); absent when no passage joined the
   * candidates (the model's order stands) or experts were off.
   */
  score: z.number().optional(),
  /** True when a word of the candidate occurs in neither the training text nor the manuscript (ranked last). */
  unknownWord: z.boolean().optional(),
})
export type SpanCandidate = z.infer<typeof SpanCandidate>

/**
 * "Other words" (issue 21): alternatives for one word in context, each fitting both sides,
 * ranked by the fused score. `from..to` is the word's range in `text`.
 */
export const AlternativesRequest = z
  .object({
    requestId: z.string().min(1).max(200),
    text: z.string().max(5_000_000),
    from: z.number().int().min(0),
    to: z.number().int().min(0),
    /** How many distinct alternatives (the original word is never one). */
    count: z.number().int().min(1).max(50),
    experts: ExpertSettings.optional(),
  })
  .refine((r) => r.to > r.from && r.to <= r.text.length, { message: 'from..to must be a non-empty range inside text' })
export type AlternativesRequest = z.infer<typeof AlternativesRequest>

export const Alternative = z.object({
  /** The word as it replaces from..to (no surrounding spaces). */
  text: z.string(),
  /** Fused score: mean log-probability a token under the model and the count experts. */
  score: z.number(),
  origin: CandidateOrigin,
})
export type Alternative = z.infer<typeof Alternative>

export const AlternativesResult = z.object({
  requestId: z.string(),
  original: z.string(),
  /** Best first, distinct, at most `count`. */
  alternatives: z.array(Alternative),
  ms: z.number().min(0),
})
export type AlternativesResult = z.infer<typeof AlternativesResult>

export const SpanFill = z.object({
  spanId: z.string(),
  /** The span's original text (the text of from..to in the request). */
  original: z.string(),
  slots: z.number().int().min(1),
  candidates: z.array(SpanCandidate).min(1),
})
export type SpanFill = z.infer<typeof SpanFill>

export const FillResult = z.object({
  requestId: z.string(),
  spans: z.array(SpanFill),
  forwardPasses: z.number().int().min(0),
  ms: z.number().min(0),
  model: ModelInfo,
  settings: SamplingSettings,
  /**
   * A comparison fill (the same request run by the base and the tuned model): the two models,
   * and per span id the left / right order of their candidates. A span listed here has the
   * left column's candidates first, then the right column's, each with its `source`.
   */
  compare: z.object({ models: ComparedModels, order: z.record(z.string(), CompareOrder) }).optional(),
})
export type FillResult = z.infer<typeof FillResult>

export const FillErrorEvent = z.object({
  requestId: z.string(),
  message: z.string(),
  cancelled: z.boolean(),
})
export type FillErrorEvent = z.infer<typeof FillErrorEvent>

// ---------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------

/** Infill's marks, stored beside the Markdown file (`notes.md` + `notes.md.infill.json`). */
export const MarkKind = z.enum(['masked', 'locked', 'generated'])
export type MarkKind = z.infer<typeof MarkKind>

export const DocumentSidecar = z.object({
  format: z.literal('infill-sidecar'),
  version: z.literal(1),
  /** sha256 (hex) of the Markdown text the sidecar belongs to; a mismatch means the file changed elsewhere. */
  markdownHash: z.string(),
  /** The editor's document as ProseMirror JSON (marks included). */
  doc: z.unknown(),
  documentId: z.string(),
})
export type DocumentSidecar = z.infer<typeof DocumentSidecar>

/** Largest document Infill opens or saves: UTF-8 bytes of the Markdown file. Open and save share this one limit. */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

/**
 * Largest single message between renderer and host (in browser mode one WebSocket frame).
 * The renderer refuses to send a request that would be larger, so the editor keeps the text.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024

export const DocumentFile = z.object({
  path: z.string().min(1),
  /** File content as written on disk (Markdown or plain text). */
  markdown: z.string(),
  sidecar: DocumentSidecar.nullable(),
  /** Why a sidecar that exists was not used (e.g. the Markdown was edited elsewhere). */
  sidecarNote: z.string().optional(),
  /**
   * A sidecar that did not belong to this Markdown (edited elsewhere), moved aside to `path`
   * (never deleted); the renderer restores its marks where the text still matches.
   */
  setAside: z.object({ path: z.string(), sidecar: DocumentSidecar }).optional(),
})
export type DocumentFile = z.infer<typeof DocumentFile>

export const OpenRequest = z.object({
  /** Omitted: the host asks the writer (native dialog where the host has one). */
  path: z.string().min(1).optional(),
})
export const SaveRequest = z.object({
  /** Omitted: ask the writer where (Save As). */
  path: z.string().min(1).optional(),
  markdown: z.string(),
  sidecar: DocumentSidecar.nullable(),
  /**
   * When `path` names a file that exists: 'fail' (the default) writes nothing and answers
   * `{ status: 'exists' }`; 'replace' only when the writer confirmed, or it is the document's
   * own file. A path picked in a native dialog counts as confirmed (the dialog asked).
   */
  ifExists: z.enum(['fail', 'replace']).optional(),
})
export type SaveRequest = z.infer<typeof SaveRequest>
export const SavedDocument = z.object({ status: z.literal('saved'), path: z.string(), bytes: z.number().int(), savedAt: z.string() })
export type SavedDocument = z.infer<typeof SavedDocument>
/** Save refused because the file exists and replacing it was not confirmed; nothing was written. */
export const SaveExists = z.object({ status: z.literal('exists'), path: z.string(), name: z.string() })
export type SaveExists = z.infer<typeof SaveExists>
export const SaveOutcome = z.discriminatedUnion('status', [SavedDocument, SaveExists])
export type SaveOutcome = z.infer<typeof SaveOutcome>

export const WorkspaceEntry = z.object({ path: z.string(), name: z.string(), modifiedAt: z.string(), bytes: z.number().int() })
export type WorkspaceEntry = z.infer<typeof WorkspaceEntry>

export const RecoveryWrite = z.object({
  documentId: z.string().min(1).max(200),
  path: z.string().nullable(),
  markdown: z.string(),
  sidecar: DocumentSidecar.nullable(),
})
export type RecoveryWrite = z.infer<typeof RecoveryWrite>
export const RecoveryEntry = RecoveryWrite.extend({ savedAt: z.string() })
export type RecoveryEntry = z.infer<typeof RecoveryEntry>

// ---------------------------------------------------------------------------------------
// Preference log
// ---------------------------------------------------------------------------------------

export const DecisionAction = z.enum(['accepted', 'accepted_edited', 'rejected_all', 'regenerated'])
export type DecisionAction = z.infer<typeof DecisionAction>

/**
 * What the writer asked for when a round of candidates was made: a plain fill of masked
 * text (Regenerate, ↻), a Rewrite of a selection, or a length: Shorter / Same / Longer than
 * the original, or a range of words.
 */
export const RequestKind = z.enum(['fill', 'rewrite', 'shorter', 'same', 'longer', 'range'])
export type RequestKind = z.infer<typeof RequestKind>

/** One round of candidates a decision's texts came from: its request, what was asked, its settings and when it was shown. */
export const DecisionRound = z.object({
  /** The round's number among the span's rounds, from 1 (as the bar says "Round 2 of 3"). */
  round: z.number().int().min(1),
  requestId: z.string().min(1),
  spanId: z.string().min(1),
  kind: RequestKind,
  /** The length asked for, when the kind is a length. */
  length: LengthTarget.optional(),
  sampling: SamplingSettings,
  shownAt: z.string(),
})
export type DecisionRound = z.infer<typeof DecisionRound>

/**
 * Why a logged decision was taken back: the writer undid it, or (a 'regenerated' entry) the
 * writer went on to accept a candidate of the very round it said was turned down.
 */
export const RetractReason = z.enum(['undone', 'picked-earlier-round'])
export type RetractReason = z.infer<typeof RetractReason>

/** One writer decision on one span's fill, as the renderer reports it. */
export const DecisionInput = z.object({
  documentId: z.string().min(1),
  requestId: z.string().min(1),
  spanId: z.string().min(1),
  prefix: z.string(),
  suffix: z.string(),
  spanOriginal: z.string(),
  candidates: z.array(z.string()).min(1),
  action: DecisionAction,
  /** Index of the accepted candidate (accepted / accepted_edited). */
  chosenIndex: z.number().int().min(0).nullable(),
  /** The text that ended up in the document. */
  finalText: z.string(),
  model: z.object({ name: z.string(), hash: z.string() }),
  sampling: SamplingSettings,
  shownAt: z.string(),
  decidedAt: z.string(),
  /** What the writer asked for in the round on show (the kept candidate's round). Absent in logs before schema 4. */
  kind: RequestKind.optional(),
  /**
   * The rounds the candidates came from, and `candidateRounds[i]` the `round` number of
   * `candidates[i]`: each text's request, seed, settings and "shown at". Absent in logs
   * before schema 4 (every candidate then counts as the entry's own request's).
   */
  rounds: z.array(DecisionRound).min(1).optional(),
  candidateRounds: z.array(z.number().int().min(1)).optional(),
  /** A decision on a comparison fill: which model wrote each candidate, and which one the writer kept. */
  compare: z
    .object({
      models: ComparedModels,
      /** The model that wrote each entry of `candidates`, in the same order. */
      sources: z.array(CompareRole).min(1),
      /** The model whose candidate the writer accepted (and maybe edited); 'neither' for a reject or a regenerate. */
      keptFrom: z.enum(['base', 'tuned', 'neither']),
      /** Left and right column as shown. */
      order: CompareOrder,
    })
    .optional(),
})
export type DecisionInput = z.infer<typeof DecisionInput>
export type DecisionComparison = NonNullable<DecisionInput['compare']>

export const DecisionRecord = DecisionInput.extend({
  id: z.number().int(),
  createdAt: z.string(),
  /** When an undo took the decision back (it no longer counts); absent while it stands. */
  retractedAt: z.string().optional(),
  /** Why it was taken back (schema 4; absent before): an undo, or a candidate picked from the round it had turned down. */
  retractedWhy: RetractReason.optional(),
})
export type DecisionRecord = z.infer<typeof DecisionRecord>

export const PreferenceStats = z.object({
  enabled: z.boolean(),
  total: z.number().int(),
  byAction: z.record(DecisionAction, z.number().int()),
  pairs: z.number().int(),
  dbPath: z.string(),
  /** Set when a corrupt or foreign database was set aside at start-up. */
  setAside: z.string().optional(),
  /** A sentence for the writer: which file was set aside, what was wrong with it, where it went. */
  setAsideReason: z.string().optional(),
  /** Decisions on comparison fills (standing ones): whose candidate the writer kept. */
  compare: z.object({ tuned: z.number().int(), base: z.number().int(), neither: z.number().int() }).optional(),
})
export type PreferenceStats = z.infer<typeof PreferenceStats>

export const ExportFormat = z.enum(['standard', 'implicit', 'unpaired', 'conversational'])
export type ExportFormat = z.infer<typeof ExportFormat>

export const ExportRequest = z.object({
  format: ExportFormat,
  /** Omitted: ask the writer where. Only a `.jsonl` file inside the workspace (or one chosen in a dialog). */
  path: z.string().min(1).optional(),
  /** The writer confirmed replacing an existing file; without it an existing target answers `exists`. */
  replace: z.boolean().optional(),
})
export type ExportRequest = z.infer<typeof ExportRequest>
export const ExportResult = z.object({ path: z.string(), lines: z.number().int() })
export type ExportResult = z.infer<typeof ExportResult>
/** The export target already exists: nothing was written; ask the writer, then send `replace: true`. */
export const ExportExists = z.object({ status: z.literal('exists'), path: z.string(), name: z.string() })
export type ExportExists = z.infer<typeof ExportExists>
export const ExportOutcome = z.discriminatedUnion('status', [ExportResult.extend({ status: z.literal('exported') }), ExportExists])
export type ExportOutcome = z.infer<typeof ExportOutcome>

/** One exported line (standard form) as shown in the panel's preview. */
export const PreferencePairPreview = z.object({
  decisionId: z.number().int(),
  prompt: z.string(),
  chosen: z.string(),
  rejected: z.string(),
  action: DecisionAction,
})
export type PreferencePairPreview = z.infer<typeof PreferencePairPreview>

// ---------------------------------------------------------------------------------------
// Models: installed models, Hub downloads (main/models)
// ---------------------------------------------------------------------------------------

export const ModelVariantName = z.enum(['int8', 'fp16', 'fp32'])
export type ModelVariantName = z.infer<typeof ModelVariantName>

/** One installed model as the Models panel lists it (described from its files, not loaded). */
export const InstalledModelEntry = z.object({
  dir: z.string(),
  name: z.string(),
  family: z.string(),
  origin: z.enum(['embedded', 'downloaded', 'added']),
  sizeBytes: z.number().int().min(0),
  /** Hub repository and variant of a downloaded model. */
  repoId: z.string().nullable(),
  variant: ModelVariantName.nullable(),
  /** Numeric eval figures from its manifest (name -> value). */
  evalFigures: z.record(z.string(), z.number()),
  /** Why it cannot be loaded as it is; null when it looks complete. */
  problem: z.string().nullable(),
  active: z.boolean(),
})
export type InstalledModelEntry = z.infer<typeof InstalledModelEntry>

/** A known-good repository; `approxBytes` only where a source for the size is named. */
export const CuratedModelEntry = z.object({
  repoId: z.string(),
  title: z.string(),
  variant: ModelVariantName,
  approxBytes: z.number().nullable(),
  sizeSource: z.string().nullable(),
  parameters: z.string(),
  note: z.string(),
})
export type CuratedModelEntry = z.infer<typeof CuratedModelEntry>

export const ModelDownloadState = z.object({
  jobId: z.string(),
  repoId: z.string(),
  variant: ModelVariantName,
  phase: z.enum(['planning', 'downloading', 'verifying', 'installing', 'done', 'failed', 'cancelled']),
  file: z.string(),
  fileIndex: z.number().int().min(0),
  fileCount: z.number().int().min(0),
  bytesDone: z.number().min(0),
  bytesTotal: z.number().min(0),
  bytesPerSecond: z.number().nullable(),
  secondsLeft: z.number().nullable(),
  /** What went wrong (failed, cancelled) or where the model went (done). */
  message: z.string().nullable(),
  dir: z.string().nullable(),
})
export type ModelDownloadState = z.infer<typeof ModelDownloadState>

/** Whether the Hub answers, asked before a download is tried (`message`: what the writer reads when it does not). */
export const HubStatus = z.object({ reachable: z.boolean(), hubUrl: z.string(), message: z.string().nullable() })
export type HubStatus = z.infer<typeof HubStatus>

export const ModelsOverview = z.object({
  models: z.array(InstalledModelEntry),
  curated: z.array(CuratedModelEntry),
  downloads: z.array(ModelDownloadState),
  /** Where downloads are installed (<user data>/models). */
  modelsDir: z.string(),
})
export type ModelsOverview = z.infer<typeof ModelsOverview>

// ---------------------------------------------------------------------------------------
// Tuning on the writer's decisions (main/tune)
// ---------------------------------------------------------------------------------------

export const TuneMethod = z.enum(['vrpo', 'kto'])
export type TuneMethod = z.infer<typeof TuneMethod>

/** The tune service: whether the training tools are here, and the run in progress or last finished. */
export const TuneState = z.object({
  /** True when a Python with torch is installed (the tune can run in the app). */
  available: z.boolean(),
  /** What to install where it is not (a command line), else null. */
  install: z.string().nullable(),
  /** The exact command that tunes the active model on the log (also shown when the tools are missing). */
  command: z.string(),
  phase: z.enum(['idle', 'exporting', 'reference', 'tuning', 'writing', 'done', 'failed', 'cancelled']),
  /** Optimizer steps done / planned (tuning phase), else null. */
  step: z.number().int().min(0).nullable(),
  totalSteps: z.number().int().min(0).nullable(),
  /** A sentence for the writer: progress, the reason of a failure, or where the tuned model went. */
  message: z.string().nullable(),
  /** The tuned model's folder (done), listed under Models. */
  outDir: z.string().nullable(),
  /** Held-out pair accuracy before -> after and the validation guard, when done. */
  figures: z.record(z.string(), z.number().nullable()).nullable(),
})
export type TuneState = z.infer<typeof TuneState>

/** A model of the comparison pair: its role, name, hash and folder. */
export const CompareModel = z.object({ role: CompareRole, name: z.string(), hash: z.string(), dir: z.string() })
export type CompareModel = z.infer<typeof CompareModel>

/** Comparison mode (main/services/compare-service): a second engine holds the other model of the pair. */
export const CompareState = z.object({
  status: z.enum(['off', 'loading', 'ready', 'error']),
  /** The pair (while loading or ready); the loaded model is one of them, the second engine holds the other. */
  base: CompareModel.nullable(),
  tuned: CompareModel.nullable(),
  /** A sentence for the writer: why comparison failed or ended, or a caution about the pair. */
  message: z.string().nullable(),
  /** The loaded model's tuning lineage (its base), when it is a tuned model: "Compare with base" is offered. */
  activeBase: z.object({ name: z.string(), dir: z.string(), hash: z.string() }).nullable(),
})
export type CompareState = z.infer<typeof CompareState>

// ---------------------------------------------------------------------------------------
// The writer's own text the fills draw on (main/manuscript, issue 21)
// ---------------------------------------------------------------------------------------

/** Which texts the fills draw on: none, the open document, or every document in the workspace too. */
export const ManuscriptScope = z.enum(['off', 'document', 'workspace'])
export type ManuscriptScope = z.infer<typeof ManuscriptScope>

/** The manuscript as the host keeps it (its index lives in the user-data folder only). */
export const ManuscriptState = z.object({
  scope: ManuscriptScope,
  /** "Your words ↔ General" (ExpertSettings.yourWords), kept with the scope. */
  yourWords: z.number().min(0).max(1),
  /** Texts in the index now, the words in them, and how many different words. */
  documents: z.number().int().min(0),
  words: z.number().int().min(0),
  distinct: z.number().int().min(0),
  /** The folder 'workspace' reads (null: none known yet, e.g. on the desktop before a document is opened or saved). */
  workspaceDir: z.string().nullable(),
  /** Reading the workspace's files is under way. */
  indexing: z.boolean(),
})
export type ManuscriptState = z.infer<typeof ManuscriptState>

/**
 * The open document's text after a pause in typing (and before every fill): the same plain text
 * a fill request carries. Requests then name it (ExpertSettings.documentId, the host's id for
 * it: its path, or `unsaved:<documentId>`), and the engine leaves each request's masked ranges
 * out of it for that request, so the text a mask hides never suggests itself.
 */
export const ManuscriptUpdate = z.object({
  documentId: z.string().min(1).max(200),
  /** The document's file, or null while unsaved (an id only: the host never reads it for this). */
  path: z.string().min(1).max(4096).nullable(),
  text: z.string().max(20_000_000),
})
export type ManuscriptUpdate = z.infer<typeof ManuscriptUpdate>

// ---------------------------------------------------------------------------------------
// Host
// ---------------------------------------------------------------------------------------

export const HostInfo = z.object({
  version: z.string(),
  /** True when the host shows native open/save dialogs; otherwise the renderer shows its own workspace picker. */
  nativeDialogs: z.boolean(),
  /** Folder the in-app picker lists (browser mode); null when native dialogs are used. */
  workspaceDir: z.string().nullable(),
  platform: z.string(),
})
export type HostInfo = z.infer<typeof HostInfo>

/** Commands a host menu sends to the renderer. */
export const MenuCommand = z.enum(['new', 'open', 'save', 'saveAs', 'exportPreferences', 'regenerate', 'togglePreferences'])
export type MenuCommand = z.infer<typeof MenuCommand>

// ---------------------------------------------------------------------------------------
// Channels: requests (renderer -> host, answered) and events (host -> renderer)
// ---------------------------------------------------------------------------------------

const Void = z.void()

/** Every request: its payload schema and its result schema. */
export const requests = {
  'host:info': { payload: Void, result: HostInfo },
  'doc:open': { payload: OpenRequest, result: DocumentFile.nullable() },
  'doc:save': { payload: SaveRequest, result: SaveOutcome.nullable() },
  'doc:list': { payload: Void, result: z.array(WorkspaceEntry) },
  /** The renderer's answer to a close request: true = close now (changes saved or discarded). */
  'doc:setDirty': { payload: z.object({ dirty: z.boolean(), title: z.string() }), result: Void },
  'recovery:write': { payload: RecoveryWrite, result: Void },
  'recovery:list': { payload: Void, result: z.array(RecoveryEntry) },
  'recovery:discard': { payload: z.object({ documentId: z.string() }), result: Void },
  'engine:state': { payload: Void, result: EngineState },
  'engine:loadModel': { payload: z.object({ dir: z.string().min(1) }), result: ModelInfo },
  'engine:fill': { payload: FillRequest, result: z.object({ requestId: z.string(), queued: z.number().int() }) },
  'engine:cancel': { payload: z.object({ requestId: z.string() }), result: Void },
  'prefs:log': {
    payload: DecisionInput,
    /** `logged: false` (with a message for the writer) when logging is turned off; nothing was written. */
    result: z.object({ id: z.number().int(), logged: z.boolean().optional(), message: z.string().optional() }),
  },
  'prefs:list': { payload: z.object({ limit: z.number().int().min(1).max(1000) }), result: z.array(DecisionRecord) },
  'prefs:pairs': { payload: z.object({ limit: z.number().int().min(1).max(1000) }), result: z.array(PreferencePairPreview) },
  'prefs:stats': { payload: Void, result: PreferenceStats },
  'prefs:setEnabled': { payload: z.object({ enabled: z.boolean() }), result: PreferenceStats },
  'prefs:clear': { payload: z.object({ confirm: z.literal(true) }), result: PreferenceStats },
  /** Takes back one decision the writer undid: it stays in the file, marked retracted, and leaves counts, pairs and exports. */
  'prefs:retract': { payload: z.object({ id: z.number().int().min(1), reason: RetractReason.optional() }), result: PreferenceStats },
  /** Deletes one decision (and so its pairs) from the log, as the writer asked in the panel. */
  'prefs:delete': { payload: z.object({ id: z.number().int().min(1) }), result: PreferenceStats },
  'prefs:export': { payload: ExportRequest, result: ExportOutcome.nullable() },
  'models:list': { payload: Void, result: ModelsOverview },
  /** Whether the Hugging Face Hub (or the mirror set) answers, before a download is tried. */
  'models:hub': { payload: Void, result: HubStatus },
  /** Adds a model folder: `dir` typed by the writer (checked like a document path), or omitted to pick one in a native dialog. */
  /**
   * `how`: 'copy' (the default) copies a model folder from anywhere into the app's models
   * folder, checked before and after; 'link' uses it where it is (in browser mode only inside
   * the workspace).
   */
  'models:addFolder': {
    payload: z.object({ dir: z.string().min(1).max(4096).optional(), how: z.enum(['copy', 'link']).optional() }),
    result: InstalledModelEntry.nullable(),
  },
  /** Makes an installed model the active one (the engine loads and validates it). */
  'models:activate': { payload: z.object({ dir: z.string().min(1).max(4096) }), result: ModelInfo },
  /** Starts a Hub download in the background; progress arrives as 'models:download' events. */
  'models:download': {
    payload: z.object({ repoId: z.string().min(3).max(200), variant: ModelVariantName, revision: z.string().min(1).max(200).optional() }),
    result: z.object({ jobId: z.string() }),
  },
  'models:cancelDownload': { payload: z.object({ jobId: z.string().min(1).max(100) }), result: Void },
  'tune:state': { payload: Void, result: TuneState },
  /** Starts tuning the active model on the preference log in the background; progress arrives as 'tune:state' events. */
  'tune:start': { payload: z.object({ method: TuneMethod.optional() }), result: TuneState },
  'tune:cancel': { payload: Void, result: TuneState },
  'compare:state': { payload: Void, result: CompareState },
  /**
   * Turns comparison on: `dir` is a tuned model to compare the loaded model against (or its base
   * when the loaded model is the tuned one); omitted, the loaded model must be tuned and its base is used.
   */
  'compare:start': { payload: z.object({ dir: z.string().min(1).max(4096).optional() }), result: CompareState },
  'compare:stop': { payload: Void, result: CompareState },
  'manuscript:state': { payload: Void, result: ManuscriptState },
  'manuscript:update': { payload: ManuscriptUpdate, result: ManuscriptState },
  'manuscript:settings': { payload: z.object({ scope: ManuscriptScope.optional(), yourWords: z.number().min(0).max(1).optional() }), result: ManuscriptState },
  /** Forget my text: deletes the index from the user-data folder, clears the engine's copy, turns the scope off. */
  'manuscript:forget': { payload: z.object({ confirm: z.literal(true) }), result: ManuscriptState },
  /** Other words: alternatives for one word in context, from the engine (queued like a fill). */
  'engine:alternatives': { payload: AlternativesRequest, result: AlternativesResult.extend({ model: ModelInfo }) },
} as const

/** Every event: its payload schema. */
export const events = {
  'engine:state': EngineState,
  'fill:step': FillStepEvent,
  'fill:done': FillResult,
  'fill:error': FillErrorEvent,
  'menu:command': MenuCommand,
  /** The host wants to close the window: the renderer asks about unsaved changes, then calls doc:setDirty. */
  'window:closeRequested': Void,
  /** A Hub download's progress, completion or failure (sent to every window). */
  'models:download': ModelDownloadState,
  /** The tune run's progress, completion or failure (sent to every window). */
  'tune:state': TuneState,
  /** Comparison mode turned on, ready, failed or off (sent to every window). */
  'compare:state': CompareState,
  /** The manuscript's scope, settings or size changed (sent to every window). */
  'manuscript:state': ManuscriptState,
} as const

export type RequestChannel = keyof typeof requests
export type EventChannel = keyof typeof events
export type RequestPayload<C extends RequestChannel> = z.infer<(typeof requests)[C]['payload']>
export type RequestResult<C extends RequestChannel> = z.infer<(typeof requests)[C]['result']>
export type EventPayload<C extends EventChannel> = z.infer<(typeof events)[C]>

/**
 * The API the renderer sees, identical in both hosts: `window.infill` from the preload
 * in Electron, a WebSocket client in browser mode.
 */
export interface InfillApi {
  invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<RequestResult<C>>
  on<C extends EventChannel>(channel: C, listener: (payload: EventPayload<C>) => void): () => void
}

/** Host-side handlers: one per request channel. `sender` identifies the window/connection. */
export type RequestHandlers = {
  [C in RequestChannel]: (payload: RequestPayload<C>, sender: SenderContext) => Promise<RequestResult<C>>
}

export interface SenderContext {
  /** Opaque id of the window (Electron) or WebSocket connection (browser mode). */
  id: string
  /** Send an event to this sender only. */
  emit<C extends EventChannel>(channel: C, payload: EventPayload<C>): void
}

/** Validates a request payload; throws a ContractError naming the channel and the problem. */
export function parseRequest<C extends RequestChannel>(channel: C, payload: unknown): RequestPayload<C> {
  const schema = requests[channel]?.payload
  if (!schema) throw new ContractError(`unknown request channel "${String(channel)}"`)
  const parsed = schema.safeParse(payload)
  if (!parsed.success) throw new ContractError(`invalid payload for "${channel}": ${z.prettifyError(parsed.error)}`)
  return parsed.data as RequestPayload<C>
}

export function isRequestChannel(c: unknown): c is RequestChannel {
  return typeof c === 'string' && Object.prototype.hasOwnProperty.call(requests, c)
}

export function isEventChannel(c: unknown): c is EventChannel {
  return typeof c === 'string' && Object.prototype.hasOwnProperty.call(events, c)
}

export class ContractError extends Error {
  override name = 'ContractError'
}

// ---------------------------------------------------------------------------------------
// Browser-mode wire format (WebSocket, JSON text frames)
// ---------------------------------------------------------------------------------------

export const WireMessage = z.union([
  z.object({ kind: z.literal('invoke'), id: z.number().int(), channel: z.string(), payload: z.unknown().optional() }),
  z.object({ kind: z.literal('result'), id: z.number().int(), ok: z.literal(true), value: z.unknown().optional() }),
  z.object({ kind: z.literal('result'), id: z.number().int(), ok: z.literal(false), error: z.string() }),
  z.object({ kind: z.literal('event'), channel: z.string(), payload: z.unknown().optional() }),
])
export type WireMessage = z.infer<typeof WireMessage>
