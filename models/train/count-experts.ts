/**
 * Builds what the default model's count experts need (issue 21) and fits their weights:
 *
 *   npx tsx models/train/count-experts.ts [--model models/default] [--work models/train/work]
 *
 * - experts.counts.gz: unigram, bigram and trigram counts of the training split's token stream
 *   (work/train_ids.npy, the ids the model trained on; each document border, eos in training,
 *   counted as a blank line as the app joins paragraphs, `--borders eos` keeps eos), unpruned
 *   (`--min-trigram N` drops the trigrams seen fewer than N times), gzip-compressed
 *   (`--counts-file experts.counts` writes them plain); the Kneser-Ney discounts of the
 *   unpruned counts in its header;
 * - experts.words.txt: the training text's words (work/train.txt), one a line, lower-cased;
 * - experts.train.u16: the training split's ids as uint16 (passages of the training text);
 * - experts.json: the weight of each count expert per context class (weights.ts), fitted on
 *   the validation split (work/valid_ids.npy): its first 70% stands for a manuscript, and the
 *   model's masked slots in the last 30% (15% of tokens masked, and 8-token spans) are scored
 *   with the model's logits, the training counts and those manuscript counts; the weights that
 *   give the fused argmax the best top-1 accuracy are kept (fit.ts).
 * and names experts.json in the model's manifest.json (`experts`). Depends on the tokenizer
 * only (new weights of the same tokenizer keep the counts; refit the weights then).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { KneserNeyTrigram } from '../../main/engine/baselines/kneser-ney'
import { countNgrams, readCountsFile, writeCounts, writeCountsGzip, type NgramCounts } from '../../main/engine/baselines/ngram-counts'
import { CountExpert, expertContext } from '../../main/engine/experts/count-expert'
import { panelIds } from '../../main/engine/experts/expert-denoise'
import { fitSlot, fitWeights, fusedAccuracy, type FitSlot } from '../../main/engine/experts/fit'
import { wordsOf } from '../../main/engine/experts/words'
import { CONTEXT_CLASSES, ExpertsFile } from '../../main/engine/experts/weights'
import { choosePositions } from '../../main/engine/evaluation-plans'
import { loadModelDir } from '../../main/engine/model-dir'
import { rngStream } from '../../main/engine/rng'
import { withBlankLineBorders } from './stream-borders'

const log = (m: string) => process.stderr.write(`count-experts: ${m}\n`)

/** A 1-D little-endian int16/int32/uint16 .npy file as numbers. */
export function readNpy(path: string): Int32Array {
  const buf = readFileSync(path)
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not a .npy file`)
  const major = buf[6]
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8)
  const start = (major === 1 ? 10 : 12) + headerLen
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start)
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1]
  const n = (buf.length - start) / (descr?.endsWith('2') ? 2 : 4)
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    if (descr === '<i2') out[i] = buf.readInt16LE(start + 2 * i)
    else if (descr === '<u2') out[i] = buf.readUInt16LE(start + 2 * i)
    else if (descr === '<i4') out[i] = buf.readInt32LE(start + 4 * i)
    else throw new Error(`${path}: dtype ${descr} not supported`)
  }
  return out
}

/** Counts with the trigrams seen fewer than `min` times dropped (bigrams and unigrams kept whole). */
export function pruneTrigrams(c: NgramCounts, min: number): NgramCounts {
  let n = 0
  for (let i = 0; i < c.trigramCounts.length; i++) if (c.trigramCounts[i] >= min) n++
  const keys = new Float64Array(n)
  const counts = new Int32Array(n)
  for (let i = 0, j = 0; i < c.trigramCounts.length; i++)
    if (c.trigramCounts[i] >= min) {
      keys[j] = c.trigramKeys[i]
      counts[j++] = c.trigramCounts[i]
    }
  return { ...c, trigramKeys: keys, trigramCounts: counts }
}

/**
 * Masked slots of `stream`'s last 30% (alternate windows: 15% of tokens masked, one 8-token
 * span), each with the model's, the training expert's and a manuscript expert's (the counts of
 * the first 70%) log-probabilities and classes.
 */
async function scoreSlots(loaded: Awaited<ReturnType<typeof loadModelDir>>, training: CountExpert, stream: Int32Array, maxWindows: number): Promise<FitSlot[]> {
  const V = loaded.info.vocabSize
  const maskId = loaded.manifest.tokens.mask
  const padId = loaded.manifest.tokens.pad
  const ids = panelIds(loaded.banned, maskId, padId)
  const cut = Math.floor(stream.length * 0.7)
  const manuscript = new CountExpert(new KneserNeyTrigram(countNgrams(stream.subarray(0, cut), V)), ids.unknown)
  const chunk = loaded.info.maxLength - loaded.codec.wrap.prefix.length - loaded.codec.wrap.suffix.length
  const rows: { ids: Int32Array; masked: number[] }[] = []
  const rng = rngStream(7, 21)
  for (let at = cut; at + chunk <= stream.length && rows.length < maxWindows; at += chunk) {
    const tokens = Array.from(stream.subarray(at, at + chunk))
    const off = loaded.codec.wrap.prefix.length
    const spanRow = rows.length % 2 === 1
    let masked: number[]
    if (spanRow) {
      const s = Math.floor(rng() * (chunk - 8))
      masked = Array.from({ length: 8 }, (_, k) => off + s + k)
    } else masked = choosePositions(chunk, Math.round(chunk * 0.15), rng).map((p) => p + off)
    const row = Int32Array.from([...loaded.codec.wrap.prefix, ...tokens, ...loaded.codec.wrap.suffix])
    const truth = Int32Array.from(row)
    for (const p of masked) row[p] = maskId
    rows.push({ ids: row, masked: masked.filter((p) => !ids.unknown[truth[p]]).map((p) => p * 100000 + truth[p]) })
  }
  const slots: FitSlot[] = []
  const modelRow = new Float64Array(V)
  for (let b = 0; b < rows.length; b += 8) {
    const group = rows.slice(b, b + 8)
    const n = group[0].ids.length
    const input = new BigInt64Array(group.length * n)
    group.forEach((r, i) => r.ids.forEach((id, j) => (input[i * n + j] = BigInt(id))))
    const logits = await loaded.denoiser.run(input, group.length, n)
    group.forEach((r, i) => {
      for (const code of r.masked) {
        const p = Math.floor(code / 100000)
        const truth = code % 100000
        const base = (i * n + p) * V
        let max = -Infinity
        for (let v = 0; v < V; v++) if (!ids.unknown[v] && logits[base + v] > max) max = logits[base + v]
        let z = 0
        for (let v = 0; v < V; v++) if (!ids.unknown[v]) z += Math.exp(logits[base + v] - max)
        for (let v = 0; v < V; v++) modelRow[v] = ids.unknown[v] ? -Infinity : logits[base + v] - max - Math.log(z)
        const ctx = expertContext(r.ids, p, ids.unknown, padId)
        const t = training.at(ctx)
        const m = manuscript.at(ctx)
        slots.push(fitSlot(truth, { model: modelRow, training: t.logp, manuscript: m.logp }, { training: t.cls, manuscript: m.cls }, 48, ids.unknown))
      }
    })
  }
  return slots
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'models/default' },
      work: { type: 'string', default: 'models/train/work' },
      'min-trigram': { type: 'string', default: '1' },
      'counts-file': { type: 'string', default: 'experts.counts.gz' },
      windows: { type: 'string', default: '240' },
      'skip-counts': { type: 'boolean', default: false },
      'manuscript-text': { type: 'string' },
      borders: { type: 'string', default: 'blank-line' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(`npx tsx models/train/count-experts.ts [options]
  --model DIR            the model folder (models/default)
  --work DIR             the training work folder with train_ids.npy, train.txt, valid_ids.npy (models/train/work)
  --min-trigram N        drop trigrams seen fewer than N times (1: unpruned, the default)
  --counts-file NAME     the counts file written (experts.counts.gz; a name ending in .gz is gzip-compressed)
  --windows N            validation windows scored for the fit (240)
  --skip-counts          keep the model's counts, words and stream; refit the weights only
  --manuscript-text FILE fit the manuscript weights on this text (its first 70% as the manuscript)
  --borders blank-line|eos  how documents are joined in the counted stream and the fit's text:
                         a blank line, as the app joins paragraphs (the default), or eos as in training
`)
    return
  }
  const dir = values.model!
  const work = values.work!
  const countsFile = values['counts-file']!
  if (!/^[\w.-]+$/.test(countsFile)) throw new Error(`--counts-file ${countsFile}: a plain file name`)
  const wordsFile = 'experts.words.txt'
  const streamFile = 'experts.train.u16'
  const loaded = await loadModelDir(dir)
  const V = loaded.info.vocabSize
  const maskId = loaded.manifest.tokens.mask
  const padId = loaded.manifest.tokens.pad
  const ids = panelIds(loaded.banned, maskId, padId)
  if (values.borders !== 'blank-line' && values.borders !== 'eos') throw new Error(`--borders ${values.borders}: blank-line or eos`)
  const newline = loaded.codec.encode('\n')
  if (newline.length !== 1) throw new Error(`the tokenizer has no single newline token ("\\n" encodes to ${newline.length} ids)`)
  const eos = loaded.manifest.tokens.eos
  const asShown = (stream: Int32Array) => (values.borders === 'blank-line' && eos != null ? withBlankLineBorders(stream, eos, newline[0]) : stream)
  try {
    let t0 = performance.now()
    let discounts: KneserNeyTrigram['discounts']
    let trainCounts: NgramCounts
    if (!values['skip-counts']) {
      const train = asShown(readNpy(join(work, 'train_ids.npy')))
      const full = countNgrams(train, V)
      discounts = new KneserNeyTrigram(full).discounts
      trainCounts = Number(values['min-trigram']) > 1 ? pruneTrigrams(full, Number(values['min-trigram'])) : full
      log(`${train.length} tokens: ${full.bigramKeys.length} bigrams, ${full.trigramKeys.length} trigrams, ${trainCounts.trigramKeys.length} kept (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
      const header = { source: 'models/train/work/train_ids.npy', borders: values.borders, minTrigramCount: Number(values['min-trigram']), discounts }
      const buf = countsFile.endsWith('.gz') ? writeCountsGzip(trainCounts, header) : writeCounts(trainCounts, header)
      writeFileSync(join(dir, countsFile), buf)
      log(`${countsFile}: ${(buf.length / 1e6).toFixed(1)} MB`)
      const words = new Set(wordsOf(readFileSync(join(work, 'train.txt'), 'utf8')))
      writeFileSync(join(dir, wordsFile), [...words].sort().join('\n') + '\n')
      log(`${wordsFile}: ${words.size} words, ${(statSync(join(dir, wordsFile)).size / 1e6).toFixed(2)} MB`)
    } else {
      const read = await readCountsFile(readFileSync(join(dir, countsFile)), countsFile, 1024 * 1024 * 1024)
      trainCounts = read.counts
      discounts = read.header.discounts as KneserNeyTrigram['discounts']
    }
    if (!values['skip-counts'] || !existsSync(join(dir, streamFile))) {
      const train = readNpy(join(work, 'train_ids.npy'))
      const u16 = Uint16Array.from(train)
      writeFileSync(join(dir, streamFile), Buffer.from(u16.buffer, u16.byteOffset, u16.byteLength))
      log(`${streamFile}: ${train.length} ids, ${(u16.byteLength / 1e6).toFixed(1)} MB`)
    }
    const training = new CountExpert(new KneserNeyTrigram(trainCounts, { discounts }), ids.unknown)

    // The validation split: its first 70% as a manuscript, slots of the last 30% scored.
    t0 = performance.now()
    const valid = asShown(readNpy(join(work, 'valid_ids.npy')))
    const slots = await scoreSlots(loaded, training, valid, Number(values.windows))
    log(`${slots.length} validation slots scored (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
    // The manuscript's weights from a held-out text (a book-like text, its own earlier part as the manuscript).
    let manuscriptSlots = slots
    let manuscriptText = 'models/train/work/valid_ids.npy'
    if (values['manuscript-text']) {
      manuscriptText = values['manuscript-text']
      const stream = Int32Array.from(loaded.codec.encode(readFileSync(manuscriptText, 'utf8')))
      manuscriptSlots = await scoreSlots(loaded, training, stream, Number(values.windows))
      log(`${manuscriptSlots.length} slots of ${manuscriptText} scored`)
    }
    const zero = new Array<number>(CONTEXT_CLASSES.length).fill(0)
    const modelAcc = fusedAccuracy(slots, zero, zero)
    const trainOnly = fitWeights(slots, { useTraining: true, useManuscript: false })
    const withManuscript = fitWeights(manuscriptSlots, { useTraining: false, useManuscript: true, start: trainOnly })
    const manuscriptBefore = fusedAccuracy(manuscriptSlots, trainOnly.training, zero)
    const byClass = (cls: 'trainingClass' | 'manuscriptClass') => CONTEXT_CLASSES.map((_, c) => slots.filter((x) => x[cls] === c).length)
    log(`model ${modelAcc.toFixed(4)}, + training ${trainOnly.accuracy.toFixed(4)} ${JSON.stringify(trainOnly.training)}, + manuscript ${withManuscript.accuracy.toFixed(4)} ${JSON.stringify(withManuscript.manuscript)}`)
    // The thesaurus (models/train/thesaurus.py) depends on the training text only: kept as it was.
    const before = existsSync(join(dir, 'experts.json')) ? ExpertsFile.safeParse(JSON.parse(readFileSync(join(dir, 'experts.json'), 'utf8'))) : null
    const kept = before?.success && before.data.thesaurus ? before.data : null
    const file: ExpertsFile = ExpertsFile.parse({
      version: 1,
      ...(kept ? { thesaurus: kept.thesaurus } : {}),
      combination: 'log-linear',
      trainingCounts: countsFile,
      trainingWords: wordsFile,
      trainingStream: streamFile,
      training: trainOnly.training,
      manuscript: withManuscript.manuscript,
      fitted: {
        training: `models/train/work/valid_ids.npy${values.borders === 'blank-line' ? ', documents joined by a blank line as the counts are' : ''}: masked slots of its last 30% (15% token masks and 8-token spans, alternate windows)`,
        manuscript: `${manuscriptText}: its first 70% as the manuscript, masked slots of the last 30% (as above), the training weights fixed`,
        script: 'models/train/count-experts.ts',
        slots: slots.length,
        slotsPerTrainingClass: byClass('trainingClass'),
        manuscriptSlots: manuscriptSlots.length,
        maximised: 'top-1 accuracy of the fused argmax (coordinate search over a grid)',
        top1Validation: { model: Number(modelAcc.toFixed(4)), modelAndTraining: Number(trainOnly.accuracy.toFixed(4)) },
        top1ManuscriptText: { model: Number(fusedAccuracy(manuscriptSlots, zero, zero).toFixed(4)), modelAndTraining: Number(manuscriptBefore.toFixed(4)), all: Number(withManuscript.accuracy.toFixed(4)) },
        trainingAlone: Number(fusedAccuracy(slots, zero.map((_, c) => (c === 0 ? 0 : 1)), zero, 0).toFixed(4)),
        ...(kept?.fitted?.thesaurus ? { thesaurus: kept.fitted.thesaurus } : {}),
      },
    })
    writeFileSync(join(dir, 'experts.json'), JSON.stringify(file, null, 2) + '\n')
    const manifestPath = join(dir, 'manifest.json')
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>
    if (manifest.experts !== 'experts.json') {
      manifest.experts = 'experts.json'
      writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n')
    }
    log('wrote experts.json')
  } finally {
    await loaded.dispose()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`count-experts: ${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(1)
})
