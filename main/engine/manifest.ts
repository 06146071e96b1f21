/**
 * The model manifest (models/<name>/manifest.json): its schema, and the manifest derived
 * for an Optimum `fill-mask` export that ships config.json instead.
 */
import { z } from 'zod'
import { ModelFamily } from '../contract'

const TokenId = z.number().int().min(0)

/** Longest window the engine accepts from a manifest (ModernBERT's 8,192 fits; 100,000 is a typo or a lie). */
export const MAX_WINDOW = 32_768

/** A graph file beside model.onnx: a bare file name ending in .onnx. */
const GraphFile = z.string().regex(/^[\w.-]+\.onnx$/, 'must be a file name in the model directory ending in .onnx').refine((f) => f !== 'model.onnx', 'model.onnx is the contract graph; name the extra graph another file')

/**
 * Extra graphs a model directory has beside the contract graph model.onnx (issue 17); the
 * engine uses them when present and checks each against model.onnx at load:
 * - positions: input_ids [batch, length] + positions [batch, k] -> logits [batch, k, vocab];
 * - context: input_ids -> keys, values [layers, batch, heads, length, headDim];
 * - span: slot_ids [batch, k] + positions [batch, k] + keys + values -> logits [batch, k, vocab].
 */
export const ModelGraphs = z
  .strictObject({ positions: GraphFile.optional(), context: GraphFile.optional(), span: GraphFile.optional() })
  .refine((g) => !g.context === !g.span, 'context and span come as a pair (the span graph reads what the context graph returns)')
export type ModelGraphs = z.infer<typeof ModelGraphs>

/** manifest.json of a model directory. Extra keys are kept (eval figures, training notes...). */
export const ModelManifest = z.looseObject({
  name: z.string().min(1),
  family: ModelFamily,
  /** Longest token sequence the model accepts (one window); checked by a forward pass at load. */
  maxLength: z.number().int().min(8).max(MAX_WINDOW, `must be at most ${MAX_WINDOW} tokens (one window the model sees at once)`),
  /** Size of the logits' last dimension. */
  vocabSize: z.number().int().positive(),
  tokens: z.looseObject({
    mask: TokenId,
    pad: TokenId,
    eos: TokenId.nullable().optional(),
    unk: TokenId.nullable().optional(),
  }),
  /** Dream-style models predict position i at output i-1. */
  shiftedLogits: z.boolean().default(false),
  /** Extra graphs beside model.onnx (see ModelGraphs); absent: the plain contract only. */
  graphs: ModelGraphs.optional(),
  license: z.string().optional(),
  /** What the "Faster, approximate" path (the DualCache graphs) costs, as measured; shown beside the setting. */
  approximateCost: z.string().max(400).optional(),
  eval: z.record(z.string(), z.unknown()).optional(),
}).superRefine((m, ctx) => {
  // Each special token is its own id, inside the vocabulary: a pad that is also the mask
  // would make every fill read as "nothing here", an id past vocabSize has no logit.
  const named = (['mask', 'pad', 'eos', 'unk'] as const).flatMap((k) => (m.tokens[k] == null ? [] : [[k, m.tokens[k]] as const]))
  for (const [k, id] of named)
    if (id >= m.vocabSize) ctx.addIssue({ code: 'custom', path: ['tokens', k], message: `id ${id} is outside the vocabulary (vocabSize ${m.vocabSize})` })
  for (let i = 0; i < named.length; i++)
    for (let j = i + 1; j < named.length; j++)
      if (named[i][1] === named[j][1])
        ctx.addIssue({ code: 'custom', path: ['tokens', named[j][0]], message: `${named[j][0]} and ${named[i][0]} are both id ${named[i][1]}; every special token needs its own id` })
})
export type ModelManifest = z.infer<typeof ModelManifest>

/** The parts of a Hugging Face config.json an Optimum fill-mask export needs. */
export const OptimumConfig = z.looseObject({
  max_position_embeddings: z.number().int().positive(),
  vocab_size: z.number().int().positive().optional(),
  model_type: z.string().optional(),
  pad_token_id: z.number().int().nullable().optional(),
  _name_or_path: z.string().optional(),
})
export type OptimumConfig = z.infer<typeof OptimumConfig>

/** Added tokens of a tokenizer, as the derivation needs them: content -> id. */
export type AddedTokenIds = ReadonlyMap<string, number>

const MASK_NAMES = ['[MASK]', '<mask>', '<MASK>']
const PAD_NAMES = ['[PAD]', '<pad>', '<PAD>']
const EOS_NAMES = ['[SEP]', '</s>', '<|endoftext|>', '<eos>']
const UNK_NAMES = ['[UNK]', '<unk>', '<UNK>']

/** Models whose position table is offset by padding_idx + 1 (fairseq heritage). */
const OFFSET_POSITIONS = new Set(['roberta', 'xlm-roberta', 'camembert', 'longformer', 'data2vec-text'])

function firstPresent(names: string[], tokens: AddedTokenIds): number | undefined {
  for (const n of names) {
    const id = tokens.get(n)
    if (id !== undefined) return id
  }
  return undefined
}

/**
 * Builds a manifest for an Optimum `fill-mask` export from its config.json and the
 * tokenizer's added tokens. Returns a problem string instead when a required token is
 * missing (the caller wraps it in a ModelDirError naming the file).
 */
export function deriveManifest(
  config: OptimumConfig,
  addedTokens: AddedTokenIds,
  tokenizerVocabSize: number,
  fallbackName: string,
): { manifest: ModelManifest } | { problem: string } {
  const mask = firstPresent(MASK_NAMES, addedTokens)
  if (mask === undefined) return { problem: `no mask token among the tokenizer's added tokens (looked for ${MASK_NAMES.join(', ')})` }
  const pad = firstPresent(PAD_NAMES, addedTokens)
  if (pad === undefined) return { problem: `no padding token among the tokenizer's added tokens (looked for ${PAD_NAMES.join(', ')})` }
  const offset = config.model_type && OFFSET_POSITIONS.has(config.model_type) ? (config.pad_token_id ?? 1) + 1 : 0
  const maxLength = config.max_position_embeddings - offset
  return {
    manifest: {
      name: config._name_or_path?.split('/').pop() || fallbackName,
      family: 'mlm',
      maxLength,
      vocabSize: config.vocab_size ?? tokenizerVocabSize,
      tokens: { mask, pad, eos: firstPresent(EOS_NAMES, addedTokens) ?? null, unk: firstPresent(UNK_NAMES, addedTokens) ?? null },
      shiftedLogits: false,
      license: 'unknown (Optimum export without manifest.json)',
    },
  }
}
