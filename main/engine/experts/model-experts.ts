/**
 * A loaded model's count experts: its experts.json (manifest `experts`), the training text's
 * counts and word list it names, or for a model without them (a Hub model) the manuscript
 * expert alone at fallback weights.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { KneserNeyTrigram } from '../baselines/kneser-ney'
import { readModelBytes, readModelJson, readModelText } from '../model-files'
import { readCountsFile } from '../baselines/ngram-counts'
import { CountExpert } from './count-expert'
import { parseThesaurus, type Thesaurus } from './thesaurus'
import { panelIds, type ExpertPanel } from './expert-denoise'
import { ExpertsFile, FALLBACK_MANUSCRIPT_WEIGHTS, CONTEXT_CLASSES } from './weights'

export interface ModelExperts {
  weights: Pick<ExpertsFile, 'training' | 'manuscript'>
  training: CountExpert | null
  /** The training text's token ids (training-text passages), where the model ships them. */
  trainingStream?: Uint16Array
  /** Lower-cased words of the training text (empty when the model ships none). */
  trainingWords: ReadonlySet<string>
  /** Word neighbours of the training text (Other words), where the model ships them. */
  thesaurus?: Thesaurus
  ids: Pick<ExpertPanel, 'unknown' | 'keep' | 'never' | 'leadText'>
}

/** What loading needs from a loaded model. */
export interface ExpertModelView {
  dir: string
  manifest: { tokens: { mask: number; pad: number }; experts?: unknown }
  banned: Uint8Array
  vocab: number
  /** 1 at pieces that start with a non-space (word-rules.ts `pieceTable`), where the caller has the tokenizer. */
  leadText?: Uint8Array
  /**
   * A thesaurus file for a model that ships none (the default model's: word neighbours depend on
   * the words of a text, not on a tokenizer, so Other words reads them for any model).
   */
  thesaurusFallback?: string
}

/**
 * Largest training-counts file, and the most a gzip-compressed one may decompress to (the
 * default model's experts.counts.gz is 13 MB, 55 MB decompressed), and word list (0.9 MB).
 */
const MAX_COUNTS_BYTES = 256 * 1024 * 1024
const MAX_WORDS_BYTES = 32 * 1024 * 1024
/** Largest thesaurus file (the default model's is 4.1 MB). */
const MAX_THESAURUS_BYTES = 64 * 1024 * 1024

/** Reads the model's experts (throws naming the file when one it names is broken). */
export async function loadModelExperts(model: ExpertModelView): Promise<ModelExperts> {
  const ids = panelIds(model.banned, model.manifest.tokens.mask, model.manifest.tokens.pad, model.leadText)
  const name = model.manifest.experts
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) {
    const thesaurus = await fallbackThesaurus(model.thesaurusFallback)
    return { weights: { training: new Array<number>(CONTEXT_CLASSES.length).fill(0), manuscript: [...FALLBACK_MANUSCRIPT_WEIGHTS] }, training: null, trainingWords: new Set(), ids, ...(thesaurus ? { thesaurus } : {}) }
  }
  const path = join(model.dir, name)
  // Model files are read bounded and from regular files only (model-files.ts).
  const parsed = ExpertsFile.safeParse(await readModelJson(path))
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.message}`)
  const file = parsed.data
  let training: CountExpert | null = null
  if (file.trainingCounts) {
    // Plain or gzip-compressed (magic bytes 1f 8b), decompressed bounded.
    const { counts, header } = await readCountsFile(await readModelBytes(join(model.dir, file.trainingCounts), MAX_COUNTS_BYTES), file.trainingCounts, MAX_COUNTS_BYTES)
    if (counts.vocab !== model.vocab) throw new Error(`${file.trainingCounts}: counts of a ${counts.vocab}-id vocabulary, the model has ${model.vocab}`)
    const discounts = typeof header.discounts === 'object' && header.discounts !== null ? (header.discounts as Partial<KneserNeyTrigram['discounts']>) : undefined
    training = new CountExpert(new KneserNeyTrigram(counts, { discounts }), ids.unknown)
  }
  const trainingWords = file.trainingWords ? new Set((await readModelText(join(model.dir, file.trainingWords), MAX_WORDS_BYTES)).split('\n').filter(Boolean)) : new Set<string>()
  let trainingStream: Uint16Array | undefined
  if (file.trainingStream) {
    const buf = await readModelBytes(join(model.dir, file.trainingStream), MAX_COUNTS_BYTES)
    const n = Math.floor(buf.byteLength / 2)
    trainingStream = buf.byteOffset % 2 === 0 ? new Uint16Array(buf.buffer, buf.byteOffset, n) : Uint16Array.from({ length: n }, (_, i) => buf.readUInt16LE(2 * i))
    for (let i = 0; i < trainingStream.length; i += 4096) if (trainingStream[i] >= model.vocab) throw new Error(`${file.trainingStream}: id ${trainingStream[i]} outside the vocabulary`)
  }
  const thesaurus = file.thesaurus ? parseThesaurus(await readModelBytes(join(model.dir, file.thesaurus), MAX_THESAURUS_BYTES), file.thesaurus) : await fallbackThesaurus(model.thesaurusFallback)
  return { weights: file, training, trainingWords, ids, ...(trainingStream ? { trainingStream } : {}), ...(thesaurus ? { thesaurus } : {}) }
}

/** The fallback thesaurus, or undefined when there is none or it cannot be read (said on stderr: Other words then goes without it). */
async function fallbackThesaurus(path: string | undefined): Promise<Thesaurus | undefined> {
  if (!path || !existsSync(path)) return undefined
  try {
    return parseThesaurus(await readModelBytes(path, MAX_THESAURUS_BYTES), path)
  } catch (e) {
    process.stderr.write(`model-experts: the thesaurus ${path} was not loaded: ${(e as Error).message}\n`)
    return undefined
  }
}
