/**
 * `npm run eval -- --model DIR --file FILE [--limit N --seed S --strategy X]`
 *
 * Scores a model on a plain-text file cut into non-overlapping windows of the model's
 * maximum length: masked-token top-1 accuracy at 15% random masking, span infill token
 * accuracy (contiguous spans filled by the reverse process), the ELBO perplexity bound and
 * the unigram baseline. Progress goes to stderr; the last stdout line is one JSON object.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING } from '../contract'
import { elboPerplexity, maskedTokenAccuracy, mostFrequentToken, spanInfillAccuracy, tokenChunks, type EvalModel } from '../engine/evaluation'
import { loadModelDir } from '../engine/model-dir'
import { defaultModelDir } from '../engine/model-paths'
import type { TokenizerCodec } from '../engine/text-codec'
import { SAMPLING_HELP, SAMPLING_OPTIONS, samplingFromArgs } from './sampling-options'

const HELP = `usage: npm run eval -- --file FILE [options]

  --file FILE           plain UTF-8 text to score
  --model DIR           model directory (default: models/default)
  --limit N             score at most N windows
  --span-length N       tokens per infilled span (default 8)
  --mask-ratio X        masking ratio of the accuracy test (default 0.15)
  --elbo-samples N      masking ratios sampled per window for the ELBO bound (default 4)
  --batch N             windows per forward pass (default 8)
  --free-pads           span infill without the pad-as-suffix rule the app uses (a pad
                        may be revealed anywhere, first: for comparison)
${SAMPLING_HELP}
  (eval defaults: --strategy low_confidence --steps <span length> --temperature 0)
`

const log = (msg: string) => process.stderr.write(`eval: ${msg}\n`)

function intOption(value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${value}"`)
  return n
}

/** Tokens of the file, line by line, until `needed` tokens are read. */
async function tokenizeFile(path: string, codec: TokenizerCodec, needed: number): Promise<number[]> {
  const tokens: number[] = []
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })
  for await (const line of lines) {
    for (const id of codec.encode(line + '\n')) tokens.push(id)
    if (tokens.length >= needed) break
  }
  lines.close()
  return tokens
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...SAMPLING_OPTIONS,
      model: { type: 'string' },
      file: { type: 'string' },
      limit: { type: 'string' },
      'span-length': { type: 'string' },
      'mask-ratio': { type: 'string' },
      'elbo-samples': { type: 'string' },
      batch: { type: 'string' },
      'free-pads': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  if (!values.file) throw new Error('--file is required (a plain-text file to score)')
  const fileStat = await stat(values.file).catch(() => null)
  if (!fileStat?.isFile()) throw new Error(`--file ${values.file}: no such file`)
  const limit = values.limit !== undefined ? intOption(values.limit, 'limit', 0) : Infinity
  const spanLength = intOption(values['span-length'], 'span-length', 8)
  const elboSamples = intOption(values['elbo-samples'], 'elbo-samples', 4)
  const batchSize = intOption(values.batch, 'batch', 8)
  const ratio = values['mask-ratio'] !== undefined ? Number(values['mask-ratio']) : 0.15
  if (!(ratio > 0 && ratio < 1)) throw new Error(`--mask-ratio must be between 0 and 1, got "${values['mask-ratio']}"`)
  const settings = samplingFromArgs(values, { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: spanLength, temperature: 0, candidates: 1 })

  const started = performance.now()
  const loaded = await loadModelDir(values.model ?? defaultModelDir())
  try {
    const { codec, manifest, info } = loaded
    log(`model ${info.name} (${info.provider}), window ${info.maxLength} tokens`)
    const chunkSize = info.maxLength - codec.wrap.prefix.length - codec.wrap.suffix.length
    const tokens = await tokenizeFile(values.file, codec, Number.isFinite(limit) ? limit * chunkSize : Infinity)
    const chunks = tokenChunks(tokens, chunkSize, limit)
    if (chunks.length === 0) throw new Error(`--file ${values.file} holds no text to score`)
    const scored = chunks.flat()
    const unigram = mostFrequentToken(scored)
    log(`${chunks.length} windows, ${scored.length} tokens`)

    const model: EvalModel = {
      vocab: info.vocabSize,
      maskId: manifest.tokens.mask,
      banned: loaded.banned,
      shiftedLogits: manifest.shiftedLogits,
      denoise: (ids, b, n) => loaded.denoiser.run(ids, b, n),
      wrap: codec.wrap,
      padId: manifest.tokens.pad,
    }
    const masked = await maskedTokenAccuracy(model, chunks, { ratio, seed: settings.seed, unigramToken: unigram.token, batchSize })
    log(`masked-token accuracy ${(masked.correct / masked.total).toFixed(4)} over ${masked.total} tokens`)
    let lastReport = performance.now()
    const onProgress = (done: number, total: number) => {
      if (performance.now() - lastReport < 5000 && done < total) return
      lastReport = performance.now()
      log(`span infill: ${done}/${total} windows`)
    }
    const padOrder = !values['free-pads']
    const span = await spanInfillAccuracy(model, chunks, { spanLength, settings, padOrder, onProgress })
    log(`span infill accuracy ${(span.correct / span.total).toFixed(4)} over ${span.total} tokens (${settings.strategy}), ${span.emptySpans}/${span.spans} fills empty`)
    const elbo = await elboPerplexity(model, chunks, { samples: elboSamples, seed: settings.seed, batchSize })
    log(`ELBO perplexity bound ${elbo.perplexity.toFixed(2)}`)

    const round = (x: number) => Number(x.toFixed(4))
    const result = {
      model: { name: info.name, hash: info.hash.slice(0, 16), provider: info.provider },
      file: values.file,
      windows: chunks.length,
      tokens: scored.length,
      seed: settings.seed,
      maskRatio: ratio,
      maskedTokenAccuracy: round(masked.correct / masked.total),
      maskedTokens: masked.total,
      spanInfillAccuracy: round(span.correct / span.total),
      spanTokens: span.total,
      spanLength,
      spanForwardPasses: span.forwardPasses,
      spanEmptyFills: round(span.emptySpans / span.spans),
      padOrder,
      strategy: settings.strategy,
      steps: settings.steps,
      elboPerplexity: Number(elbo.perplexity.toFixed(2)),
      elboNllPerToken: round(elbo.nllPerToken),
      elboSamples,
      unigramToken: codec.tokenizer.id_to_token(unigram.token) ?? String(unigram.token),
      unigramAccuracy: round(masked.unigramCorrect / masked.total),
      ms: Math.round(performance.now() - started),
    }
    process.stdout.write(JSON.stringify(result) + '\n')
  } finally {
    await loaded.dispose()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`eval: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
