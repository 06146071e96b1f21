/**
 * `npm run eval -- --model DIR --file FILE [--limit N --seed S --baseline-corpus FILE ...]`
 *
 * Scores a model on a plain-text file cut into non-overlapping windows of the model's
 * maximum length, and beside it the count baselines fitted on training text (unigram and
 * interpolated Kneser-Ney trigram, same tokenizer) on exactly the same masked positions:
 * masked-token top-1 at 15% random masking, span infill (contiguous spans; the model's
 * reverse process, the trigram's greedy fill), whole-word accuracy (whole words masked,
 * exact word matches), and the likelihood of the text in bits per character (the model's
 * ELBO bound; the baselines' exact likelihood). Progress goes to stderr; the last stdout
 * line is one JSON object.
 */
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING } from '../contract'
import { loadBaselineCorpus } from '../engine/baselines/baseline-corpus'
import { baselineMaskedAccuracy, baselineNll, baselineWordAccuracy, trigramSpanAccuracy } from '../engine/baselines/baseline-scores'
import { KneserNeyTrigram } from '../engine/baselines/kneser-ney'
import { tokenizeTextFile } from '../engine/baselines/text-file'
import { bitsPerChar, elboBound, maskedTokenAccuracy, spanInfillAccuracy, tokenChunks, wholeWordAccuracy, evalModelOf } from '../engine/evaluation'
import { spanPlan, tokenMaskPlan, wordMaskPlan, wordSpans } from '../engine/evaluation-plans'
import { loadModelDir } from '../engine/model-dir'
import { piecesOf } from '../engine/fill'
import { loadModelExperts } from '../engine/experts/model-experts'
import { expertSystems, scoreSystem, type SystemScores } from './eval-experts'
import { defaultModelDir, resolveAppRoot } from '../engine/model-paths'
import { SAMPLING_HELP, SAMPLING_OPTIONS, samplingFromArgs } from './sampling-options'

const ROOT = resolveAppRoot()
const DEFAULT_CORPUS = 'models/train/work/train.txt'
const DEFAULT_CACHE = '.cache/eval'
/** Samples per window of the ELBO bound (seed-to-seed spread measured in the README). */
const DEFAULT_ELBO_SAMPLES = 16

const HELP = `usage: npm run eval -- --file FILE [options]

  --file FILE             plain UTF-8 text to score
  --model DIR             model directory (default: models/default)
  --limit N               score at most N windows
  --span-length N         tokens per infilled span (default 8)
  --mask-ratio X          masking ratio of the token accuracy test (default 0.15)
  --word-ratio X          share of whole words masked for word accuracy (default 0.15)
  --elbo-samples N        masked draws per window for the ELBO bound (default ${DEFAULT_ELBO_SAMPLES})
  --elbo-estimator E      count (k of L tokens masked, weight L/k; default) or ratio (each
                          token masked with probability t, weight 1/t): the same bound
  --batch N               windows per forward pass (default 8)
  --free-pads             span infill without the pad-as-suffix rule the app uses (a pad
                          may be revealed anywhere, first: for comparison)
  --baseline-corpus FILE  training text the unigram and trigram baselines are counted on
                          (default: ${DEFAULT_CORPUS}, the training split of models/default,
                          written by \`npm run model:train\`)
  --no-baselines          leave the baselines out
  --cache-dir DIR         where baseline counts are cached (default: ${DEFAULT_CACHE})
  --manuscript-split X    the first X of the file (0 < X < 1, e.g. 0.7) is the writer's
                          manuscript, the rest is scored: the model, each count expert
                          alone (training text, manuscript) and the fused system
  --no-experts            leave the count experts out (without --manuscript-split the
                          fused system, model + training text, is scored beside the model)
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

function ratioOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const x = Number(value)
  if (!(x > 0 && x < 1)) throw new Error(`--${name} must be between 0 and 1, got "${value}"`)
  return x
}

/** sha256 of the model's tokenizer files (the key of the baseline counts cache). */
async function tokenizerHash(modelDir: string): Promise<string> {
  const h = createHash('sha256')
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    const bytes = await readFile(join(modelDir, f)).catch(() => null)
    if (bytes) h.update(f).update(bytes)
  }
  return h.digest('hex')
}

/** Seconds since `t0`, for the progress log. */
const since = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`

function progress(what: string): (done: number, total: number) => void {
  let last = performance.now()
  return (done, total) => {
    if (performance.now() - last < 5000 && done < total) return
    last = performance.now()
    log(`${what}: ${done}/${total} windows`)
  }
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
      'word-ratio': { type: 'string' },
      'elbo-samples': { type: 'string' },
      'elbo-estimator': { type: 'string', default: 'count' },
      batch: { type: 'string' },
      'free-pads': { type: 'boolean', default: false },
      'baseline-corpus': { type: 'string' },
      'no-baselines': { type: 'boolean', default: false },
      'cache-dir': { type: 'string' },
      'manuscript-split': { type: 'string' },
      'no-experts': { type: 'boolean', default: false },
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
  const elboSamples = intOption(values['elbo-samples'], 'elbo-samples', DEFAULT_ELBO_SAMPLES)
  const batchSize = intOption(values.batch, 'batch', 8)
  const estimator = values['elbo-estimator']
  if (estimator !== 'count' && estimator !== 'ratio') throw new Error(`--elbo-estimator must be count or ratio, got "${estimator}"`)
  const ratio = ratioOption(values['mask-ratio'], 'mask-ratio', 0.15)
  const wordRatio = ratioOption(values['word-ratio'], 'word-ratio', 0.15)
  const settings = samplingFromArgs(values, { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: spanLength, temperature: 0, candidates: 1 })
  const withBaselines = !values['no-baselines']
  const corpusPath = values['baseline-corpus'] ?? join(ROOT, DEFAULT_CORPUS)

  const started = performance.now()
  const modelDir = values.model ?? defaultModelDir()
  const loaded = await loadModelDir(modelDir)
  try {
    const { codec, info } = loaded
    log(`model ${info.name} (${info.provider}), window ${info.maxLength} tokens`)
    const chunkSize = info.maxLength - codec.wrap.prefix.length - codec.wrap.suffix.length
    const split = values['manuscript-split'] !== undefined ? ratioOption(values['manuscript-split'], 'manuscript-split', 0.7) : null
    const text = await tokenizeTextFile(values.file, codec, { needed: Number.isFinite(limit) && split === null ? limit * chunkSize : Infinity })
    // With a manuscript split, the first part is the manuscript and only the rest is scored.
    const cut = split === null ? 0 : Math.floor(text.tokens.length * split)
    const manuscriptTokens = split === null ? null : text.tokens.slice(0, cut)
    const chunks = tokenChunks(text.tokens.slice(cut), chunkSize, limit)
    if (chunks.length === 0) throw new Error(`--file ${values.file} holds no text to score`)
    const scored = chunks.flat()
    const chars = text.chars.slice(cut, cut + scored.length).reduce((a, b) => a + b, 0)
    if (manuscriptTokens) log(`manuscript: the first ${(split! * 100).toFixed(0)}% (${manuscriptTokens.length} tokens)`)
    log(`${chunks.length} windows, ${scored.length} tokens, ${chars} characters`)

    const tokenPlan = tokenMaskPlan(chunks, ratio, settings.seed)
    const spans = spanPlan(chunks, spanLength, settings.seed)
    const tokenText = (id: number) => codec.tokenText(id)
    const wordText = (ids: readonly number[]) => codec.decodeSpan(ids).trim()
    const wordPlan = wordMaskPlan(chunks.map((c) => wordSpans(c, tokenText)), wordRatio, settings.seed)

    // Baselines first: a missing corpus fails before the long model runs.
    let baselines: Record<string, unknown> | undefined
    if (withBaselines) {
      const t0 = performance.now()
      const corpus = await loadBaselineCorpus({
        corpusPath,
        codec,
        vocab: info.vocabSize,
        tokenizerHash: await tokenizerHash(modelDir),
        cacheDir: values['cache-dir'] ?? join(ROOT, DEFAULT_CACHE),
        missingHint:
          values['baseline-corpus'] === undefined
            ? 'It is the training split of models/default, written by the corpus stage of `npm run model:train` (models/train/corpus.py). Run that, or pass --baseline-corpus FILE (training text), or --no-baselines.'
            : 'Pass an existing plain-text file (the model\'s training text), or --no-baselines.',
        log,
      })
      const kn = new KneserNeyTrigram(corpus.counts, { banned: loaded.banned })
      log(`baseline counts: ${corpus.counts.tokens} tokens, ${corpus.counts.trigramKeys.length} distinct trigrams (${corpus.fromCache ? 'cached' : 'counted'}, ${since(t0)})`)
      const t1 = performance.now()
      const masked = baselineMaskedAccuracy(kn, chunks, tokenPlan, loaded.banned)
      const span = trigramSpanAccuracy(kn, chunks, spans, loaded.banned)
      const words = baselineWordAccuracy(kn, chunks, wordPlan, { wordText, topWord: corpus.topWord.word, banned: loaded.banned })
      const nll = baselineNll(kn, chunks)
      log(`trigram: masked-token ${(masked.trigramCorrect / masked.total).toFixed(4)}, span ${(span.correct / span.total).toFixed(4)}, whole-word ${(words.trigramCorrect / Math.max(1, words.total)).toFixed(4)}, ${bitsPerChar(nll.trigram, chars).toFixed(3)} bits/char (${since(t1)})`)
      const round = (x: number) => Number(x.toFixed(4))
      const d = kn.discounts
      baselines = {
        corpus: corpusPath,
        corpusHash: corpus.corpusHash.slice(0, 16),
        corpusTokens: corpus.counts.tokens,
        unigram: {
          token: codec.tokenizer.id_to_token(kn.mostFrequent) ?? String(kn.mostFrequent),
          maskedTokenAccuracy: round(masked.unigramCorrect / masked.total),
          word: corpus.topWord.word,
          wholeWordAccuracy: round(words.unigramCorrect / Math.max(1, words.total)),
          bitsPerChar: round(bitsPerChar(nll.unigram, chars)),
        },
        trigram: {
          method: 'interpolated Kneser-Ney; masked tokens: argmax P(w|l2 l1)·P(r1|l1 w)·P(r2|w r1); spans and words: greedy confidence-ordered fill',
          maskedTokenAccuracy: round(masked.trigramCorrect / masked.total),
          spanInfillAccuracy: round(span.correct / span.total),
          wholeWordAccuracy: round(words.trigramCorrect / Math.max(1, words.total)),
          bitsPerChar: round(bitsPerChar(nll.trigram, chars)),
          discounts: { trigram: round(d.trigram), bigram: round(d.bigram), bigramContinuation: round(d.bigramContinuation), unigram: round(d.unigram), unigramContinuation: round(d.unigramContinuation) },
        },
      }
    }

    const model = evalModelOf(loaded)
    let t = performance.now()
    const masked = await maskedTokenAccuracy(model, chunks, { plan: tokenPlan, batchSize })
    log(`masked-token accuracy ${(masked.correct / masked.total).toFixed(4)} over ${masked.total} tokens (${since(t)})`)
    const padOrder = !values['free-pads']
    t = performance.now()
    const span = await spanInfillAccuracy(model, chunks, { plan: spans, settings, padOrder, onProgress: progress('span infill') })
    log(`span infill accuracy ${(span.correct / span.total).toFixed(4)} over ${span.total} tokens (${settings.strategy}), ${span.emptySpans}/${span.spans} fills empty (${since(t)})`)
    t = performance.now()
    const words = await wholeWordAccuracy(model, chunks, { plan: wordPlan, settings, wordText, padOrder, onProgress: progress('whole words') })
    log(`whole-word accuracy ${(words.correct / Math.max(1, words.total)).toFixed(4)} over ${words.total} words (${since(t)})`)
    t = performance.now()
    const elbo = await elboBound(model, chunks, { samples: elboSamples, seed: settings.seed, batchSize, estimator })
    log(`ELBO bound ${bitsPerChar(elbo.nats, chars).toFixed(3)} bits/char, perplexity ${elbo.perplexity.toFixed(2)} (${since(t)})`)

    // The count experts (issue 21): each alone and fused, on the same windows and positions.
    let experts: Record<string, unknown> | undefined
    if (!values['no-experts']) {
      const modelExperts = await loadModelExperts({ dir: info.dir, manifest: loaded.manifest, banned: loaded.banned, vocab: info.vocabSize, leadText: piecesOf({ codec: loaded.codec, vocab: info.vocabSize }).leadText })
      const systems: Record<string, SystemScores> = {
        model: { maskedTokenAccuracy: Number((masked.correct / masked.total).toFixed(4)), spanInfillAccuracy: Number((span.correct / span.total).toFixed(4)), wholeWordAccuracy: Number((words.correct / Math.max(1, words.total)).toFixed(4)), bitsPerChar: Number(bitsPerChar(elbo.nats, chars).toFixed(4)) },
      }
      const plans = { chunks, tokenPlan, spans, wordPlan, chars }
      const run = { settings, wordText, elboSamples, estimator, batchSize, padOrder, log } as const
      for (const system of expertSystems(model, modelExperts, manuscriptTokens)) if (system.name !== 'model') systems[system.name] = await scoreSystem(system.name, system.model, plans, run)
      experts = { manuscriptSplit: split, manuscriptTokens: manuscriptTokens?.length ?? 0, weights: { training: modelExperts.weights.training, manuscript: modelExperts.weights.manuscript }, systems }
    }

    const round = (x: number) => Number(x.toFixed(4))
    const result = {
      model: { name: info.name, hash: info.hash.slice(0, 16), provider: info.provider },
      file: values.file,
      windows: chunks.length,
      tokens: scored.length,
      chars,
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
      wordRatio,
      wholeWordAccuracy: round(words.correct / Math.max(1, words.total)),
      maskedWords: words.total,
      wordForwardPasses: words.forwardPasses,
      elboBitsPerChar: round(bitsPerChar(elbo.nats, chars)),
      elboPerplexity: Number(elbo.perplexity.toFixed(2)),
      elboNllPerToken: round(elbo.nllPerToken),
      elboSamples,
      elboEstimator: estimator,
      elboEmptyDraws: elbo.emptyDraws,
      ...(baselines ? { baselines } : {}),
      ...(experts ? { experts } : {}),
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
