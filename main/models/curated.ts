/**
 * Repositories known to hold an ONNX fill-mask export that the engine loads. Sizes are
 * given only where there is a source for them (`sizeSource` says which); otherwise the
 * size is read from the Hub's listing before a download starts ("size from the Hub").
 */
import type { ModelVariant } from './hub-files'

export interface CuratedModel {
  repoId: string
  title: string
  /** The variant to offer first (int8: smallest and fastest on a CPU). */
  variant: ModelVariant
  /** Download size of that variant in bytes, when known from a named source. */
  approxBytes: number | null
  sizeSource: string | null
  parameters: string
  note: string
}

export const CURATED_MODELS: readonly CuratedModel[] = [
  {
    repoId: 'answerdotai/ModernBERT-base',
    title: 'ModernBERT-base',
    variant: 'int8',
    approxBytes: 151_000_000,
    sizeSource: 'onnx/model_int8.onnx as listed on the Hub when Infill issue 13 was written (151 MB)',
    parameters: '149M',
    note: 'English and code, 8,192-token context; byte-level BPE tokenizer.',
  },
  {
    repoId: 'answerdotai/ModernBERT-large',
    title: 'ModernBERT-large',
    variant: 'int8',
    approxBytes: 398_000_000,
    sizeSource: 'onnx/model_int8.onnx as listed on the Hub when Infill issue 13 was written (398 MB)',
    parameters: '395M',
    note: 'Larger and slower than -base; 8,192-token context.',
  },
  {
    repoId: 'Xenova/bert-base-uncased',
    title: 'BERT-base (uncased)',
    variant: 'int8',
    approxBytes: null,
    sizeSource: null,
    parameters: '110M',
    note: 'The original BERT, lowercasing WordPiece tokenizer, 512-token context (transformers.js ONNX export).',
  },
]
