/**
 * What the count experts cost (issue 21), in one run:
 *
 *   npx tsx bench/experts-cost.ts [--model DIR] [--reps 3] [--results bench/RESULTS.md]
 *
 * 1. Fills on the default model with and without the experts: the same requests (a word or a
 *    4-word phrase masked in validation paragraphs, default sampling, 3 candidates), alternated,
 *    in process through the engine's own path (runFill over the fused denoiser, then the
 *    candidates' passages, fused scores and unknown-word ranking), with a 300,000-word
 *    manuscript; the median ratio of the two times.
 * 2. A 50k vocabulary: the experts' own time per step at 50,368 ids (counts of a 2M-token
 *    Zipf stream, 12 masked slots × 3 candidates a step), against the per-step time of the
 *    ModernBERT-base-sized graph measured on this machine (bench/modernbert-speed.json).
 * 3. The manuscript in the engine: 300,000 words in 30 documents tokenized and counted (the
 *    first fill's counts built), the memory that adds, and one document changed by a sentence.
 * 4. Other words for the masked single words, with the model's thesaurus and without it.
 * Prints a Markdown section and writes it into --results between the `experts-cost` markers.
 */
import { existsSync, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING, type FillRequest } from '../main/contract'
import { KneserNeyTrigram } from '../main/engine/baselines/kneser-ney'
import { countNgrams } from '../main/engine/baselines/ngram-counts'
import { CountExpert } from '../main/engine/experts/count-expert'
import { fuseMasked, panelIds, type ExpertPanel } from '../main/engine/experts/expert-denoise'
import { NEIGHBOURS, otherWords } from '../main/engine/experts/alternatives'
import { finishCandidates, requestPanel, withPanel, type EngineExperts } from '../main/engine/experts/fill-experts'
import { Manuscript } from '../main/engine/experts/manuscript'
import { loadModelExperts } from '../main/engine/experts/model-experts'
import { fillModelOf, piecesOf, runFill } from '../main/engine/fill'
import { loadModelDir } from '../main/engine/model-dir'
import { defaultModelDir, resolveAppRoot } from '../main/engine/model-paths'
import { rngStream } from '../main/engine/rng'
import { writeSection } from './results-section'
import { median } from './stats'

const ROOT = resolveAppRoot()
const { values } = parseArgs({ options: { model: { type: 'string' }, reps: { type: 'string', default: '3' }, results: { type: 'string' } } })
const reps = Number(values.reps)
const log = (m: string) => process.stderr.write(`experts-cost: ${m}\n`)
const mb = (b: number) => (b / 1048576).toFixed(0)

/** A full garbage collection (the flag set at run time, so the bench needs no node option). */
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
/** JS heap and array buffers in use after a full collection: what the manuscript's structures hold. */
function liveBytes(): number {
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/** 300,000 words of the training text in 30 documents (the manuscript stand-in). */
function workspace(): string[] {
  const text = readFileSync(join(ROOT, 'models/train/work/train.txt'), 'utf8')
  const words = text.split(/(?<=\s)(?=\S)/).slice(0, 300_000)
  const per = words.length / 30
  return Array.from({ length: 30 }, (_, i) => words.slice(Math.round(i * per), Math.round((i + 1) * per)).join(''))
}

/** Requests: a word, or a 4-word phrase, masked in the middle of a validation paragraph. */
function requests(): FillRequest[] {
  const valid = readFileSync(join(ROOT, 'models/train/work/valid.txt'), 'utf8')
  const paras = valid.split(/\n\s*\n/).filter((p) => p.split(/\s+/).length > 60 && p.length < 1200).slice(0, 6)
  return paras.map((p, i) => {
    const starts = [...p.matchAll(/\S+/g)].map((m) => m.index!)
    const k = Math.floor(starts.length / 2)
    const n = i % 2 === 0 ? 1 : 4
    const from = starts[k]
    const to = starts[k + n] - 1
    return { requestId: `r${i}`, text: p, spans: [{ id: 's', from, to }], locked: [], settings: { ...DEFAULT_SAMPLING, candidates: 3 }, experts: { yourWords: 0.5 } }
  })
}

async function main(): Promise<void> {
  const lines: string[] = ['## Count experts: what they cost (issue 21)', '']
  const loaded = await loadModelDir(values.model ?? defaultModelDir())
  try {
    const fm = fillModelOf(loaded)
    const modelExperts = await loadModelExperts({ dir: loaded.info.dir, manifest: loaded.manifest, banned: loaded.banned, vocab: loaded.info.vocabSize, leadText: piecesOf(fm).leadText })
    const manuscript = new Manuscript()
    const tokens = loaded.manifest.tokens
    const docs = workspace()
    const words = docs.reduce((n, d) => n + (d.match(/\S+/g)?.length ?? 0), 0)

    // 3 first: the manuscript in the engine.
    const mem0 = liveBytes()
    let t = performance.now()
    docs.forEach((d, i) => manuscript.set(`doc${i}`, d))
    manuscript.useCodec({ encode: (x) => loaded.codec.encode(x), vocab: loaded.info.vocabSize, separator: tokens.eos ?? tokens.mask, never: modelExperts.ids.unknown })
    const tokenizeMs = performance.now() - t
    t = performance.now()
    manuscript.expert()
    const countMs = performance.now() - t
    const added = liveBytes() - mem0
    t = performance.now()
    manuscript.set('doc7', docs[7] + ' The keeper lit the lamp again before the storm came in.')
    const updateSetMs = performance.now() - t
    t = performance.now()
    manuscript.expert()
    const updateCountMs = performance.now() - t
    const status = manuscript.status()
    log(`manuscript: ${words} words, ${status.tokens} tokens: tokenized ${tokenizeMs.toFixed(0)} ms, counted ${countMs.toFixed(0)} ms, +${mb(added)} MB live; update ${updateSetMs.toFixed(0)} + ${updateCountMs.toFixed(0)} ms`)

    // 1. Fills with and without the experts.
    const ex: EngineExperts = { model: modelExperts, manuscript, trainingStream: modelExperts.trainingStream }
    const reqs = requests()
    const plain: number[] = []
    const fused: number[] = []
    const fusedFill = async (req: FillRequest) => {
      const panel = requestPanel(ex, fm, req.experts, req.text, req.spans)
      const result = await runFill(withPanel(fm, panel), req)
      return finishCandidates(ex, fm, panel, req, result)
    }
    // warm-up (JIT, ONNX Runtime's first run of each shape), not timed
    for (const req of reqs) {
      await runFill(fm, req)
      await fusedFill(req)
    }
    for (let r = 0; r < reps; r++) {
      for (const req of reqs) {
        t = performance.now()
        await runFill(fm, req)
        plain.push(performance.now() - t)
        t = performance.now()
        await fusedFill(req)
        fused.push(performance.now() - t)
      }
    }
    const ratio = median(fused) / median(plain)
    log(`default model: fill ${median(plain).toFixed(0)} ms without, ${median(fused).toFixed(0)} ms with experts (${ratio.toFixed(2)}×)`)

    // 4. Other words (count 8) on the same words, with the thesaurus and without it.
    const wordReqs = reqs.filter((_, i) => i % 2 === 0)
    const withoutThesaurus: EngineExperts = { ...ex, model: { ...modelExperts, thesaurus: undefined } }
    const asked = (req: FillRequest) => ({ requestId: `${req.requestId}-ow`, text: req.text, from: req.spans[0].from, to: req.spans[0].to, count: 8, experts: { yourWords: 0.5 } })
    const owPlain: number[] = []
    const owThesaurus: number[] = []
    for (const req of wordReqs) {
      await otherWords(withoutThesaurus, fm, asked(req))
      await otherWords(ex, fm, asked(req))
    }
    for (let r = 0; r < reps; r++) {
      for (const req of wordReqs) {
        t = performance.now()
        await otherWords(withoutThesaurus, fm, asked(req))
        owPlain.push(performance.now() - t)
        t = performance.now()
        await otherWords(ex, fm, asked(req))
        owThesaurus.push(performance.now() - t)
      }
    }
    log(`Other words: ${median(owPlain).toFixed(0)} ms without the thesaurus, ${median(owThesaurus).toFixed(0)} ms with it`)

    // 2. A 50k vocabulary: the experts' own time per step.
    const V = 50368
    const rng = rngStream(7, 50)
    const stream = new Int32Array(2_000_000)
    for (let i = 0; i < stream.length; i++) stream[i] = 5 + Math.min(V - 6, Math.floor(Math.exp(rng() * Math.log(V - 5))) - 1)
    const banned = new Uint8Array(V)
    banned[4] = 1
    const ids = panelIds(banned, 4, 0)
    const bigExpert = () => new CountExpert(new KneserNeyTrigram(countNgrams(stream, V)), ids.unknown)
    const panel: ExpertPanel = { ...ids, training: bigExpert(), manuscript: bigExpert(), weights: { training: [0, 1, 2, 2, 2], manuscript: [0, 1, 1, 1, 1] }, vocab: V, maskId: 4, padId: 0, shiftedLogits: false }
    const length = 256
    const batch = 3
    const row = new BigInt64Array(batch * length)
    for (let i = 0; i < row.length; i++) row[i] = BigInt(stream[1000 + i])
    const logits = new Float32Array(batch * length * V)
    const stepMs: number[] = []
    for (let step = 0; step < 12; step++) {
      // 12 slots masked, one more revealed each step (new contexts around it)
      for (let b = 0; b < batch; b++) for (let k = step; k < 12; k++) row[b * length + 120 + k] = 4n
      for (let b = 0; b < batch; b++) if (step > 0) row[b * length + 120 + step - 1] = BigInt(stream[2000 + step * 7 + b])
      t = performance.now()
      fuseMasked(panel, row, batch, length, logits)
      stepMs.push(performance.now() - t)
    }
    const mbPath = join(ROOT, 'bench/modernbert-speed.json')
    const mbStep = existsSync(mbPath) ? (JSON.parse(readFileSync(mbPath, 'utf8')) as { figures: { variant: string; fill: { msPerStep: number } }[] }).figures.find((f) => f.variant === 'int8')?.fill.msPerStep : undefined
    const expertStep = median(stepMs)
    log(`50k vocabulary: experts ${expertStep.toFixed(0)} ms a step${mbStep ? ` against the ModernBERT-base-sized int8 graph's ${mbStep.toFixed(0)} ms (${((mbStep + expertStep) / mbStep).toFixed(2)}×)` : ''}`)

    lines.push(`Run on ${new Date().toISOString()}, ${reps} repetitions after a warm-up round, median times; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end (this machine's 2 cores are shared with other work).`, '')
    lines.push('| | without experts | with experts | ratio (target ≤ 1.3×) |', '|---|---:|---:|---:|')
    lines.push(`| default model: a fill (word or 4-word phrase, 3 candidates, default sampling, 300k-word manuscript) | ${median(plain).toFixed(0)} ms | ${median(fused).toFixed(0)} ms | ${ratio.toFixed(2)}× |`)
    if (mbStep) lines.push(`| 50,368-id vocabulary: a step of 12 slots × 3 candidates (model: ModernBERT-base-sized int8 graph, bench/modernbert-speed.json) | ${mbStep.toFixed(0)} ms | ${(mbStep + expertStep).toFixed(0)} ms | ${((mbStep + expertStep) / mbStep).toFixed(2)}× |`)
    lines.push('', `The experts alone at 50,368 ids: ${expertStep.toFixed(0)} ms a step (two count experts over 2M-token counts, 36 masked slots).`, '')
    if (modelExperts.thesaurus)
      lines.push(`Other words (8 alternatives for one of the masked words above, with the manuscript): ${median(owPlain).toFixed(0)} ms without the thesaurus, ${median(owThesaurus).toFixed(0)} ms with it (its ${NEIGHBOURS} neighbours scored too; ${modelExperts.thesaurus.words.length.toLocaleString('en-US')} words).`, '')
    lines.push('| manuscript in the engine (300k words, 30 documents) | measured | target |', '|---|---:|---:|')
    lines.push(`| first index: tokenized + counted | ${((tokenizeMs + countMs) / 1000).toFixed(1)} s (${(tokenizeMs / 1000).toFixed(1)} + ${(countMs / 1000).toFixed(1)}) | < 60 s |`)
    lines.push(`| one document changed: re-tokenized + counted again | ${((updateSetMs + updateCountMs) / 1000).toFixed(2)} s | < 1 s |`)
    lines.push(`| memory added (JS heap and array buffers after a full collection: token streams, counts, the Kneser-Ney index) | ${mb(added)} MB | < 300 MB |`, '')
    lines.push(`${status.tokens} tokens of ${words} words.`)
    const section = lines.join('\n') + '\n'
    process.stdout.write(section)
    if (values.results) writeSection(values.results, 'experts-cost', section)
  } finally {
    await loaded.dispose()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`experts-cost: ${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(1)
})
