/**
 * `npx tsx bench/elbo-spread.ts [--model DIR] [--file FILE] [--limit N] [--samples 4,16] [--seeds 5] [--estimator count|ratio]`
 *
 * How much the eval's ELBO bound moves from seed to seed: for each sample count, the bound
 * over the same windows with seeds 1..K, and its spread ((max − min) / mean) in bits per
 * character and in perplexity. The eval's default sample count is chosen from this.
 */
import { parseArgs } from 'node:util'
import { tokenizeTextFile } from '../main/engine/baselines/text-file'
import { bitsPerChar, elboBound, tokenChunks, type ElboEstimator, evalModelOf } from '../main/engine/evaluation'
import { loadModelDir } from '../main/engine/model-dir'
import { defaultModelDir } from '../main/engine/model-paths'

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    file: { type: 'string', default: 'models/train/work/valid.txt' },
    limit: { type: 'string', default: '64' },
    samples: { type: 'string', default: '4,16' },
    seeds: { type: 'string', default: '5' },
    estimator: { type: 'string', default: 'count' },
  },
})
const limit = Number(values.limit)
const sampleCounts = values.samples!.split(',').map(Number)
const seeds = Number(values.seeds)
const estimator = values.estimator as ElboEstimator
if (estimator !== 'count' && estimator !== 'ratio') throw new Error(`--estimator must be count or ratio, got "${estimator}"`)

const loaded = await loadModelDir(values.model ?? defaultModelDir())
try {
  const { codec, info } = loaded
  const chunkSize = info.maxLength - codec.wrap.prefix.length - codec.wrap.suffix.length
  const text = await tokenizeTextFile(values.file!, codec, { needed: limit * chunkSize })
  const chunks = tokenChunks(text.tokens, chunkSize, limit)
  const chars = text.chars.slice(0, chunks.flat().length).reduce((a, b) => a + b, 0)
  const model = evalModelOf(loaded)
  console.log(`${info.name}, ${values.file}, ${chunks.length} windows, ${chars} characters, ${estimator} estimator`)
  console.log('samples | seeds | bits/char per seed | bpc spread | perplexity per seed | ppl spread | s')
  for (const samples of sampleCounts) {
    const t0 = performance.now()
    const bpc: number[] = []
    const ppl: number[] = []
    for (let seed = 1; seed <= seeds; seed++) {
      const e = await elboBound(model, chunks, { samples, seed, batchSize: 8, estimator })
      bpc.push(bitsPerChar(e.nats, chars))
      ppl.push(e.perplexity)
    }
    const spread = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / (xs.reduce((a, b) => a + b, 0) / xs.length)
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`
    console.log(
      `${samples} | ${seeds} | ${bpc.map((x) => x.toFixed(4)).join(' ')} | ${pct(spread(bpc))} | ${ppl.map((x) => x.toFixed(1)).join(' ')} | ${pct(spread(ppl))} | ${((performance.now() - t0) / 1000).toFixed(0)}`,
    )
  }
} finally {
  await loaded.dispose()
}
