/**
 * `npm run bench -- [--quick] [--model DIR] [--valid FILE] [--tasks N] [--reps N] [--seed N] [--out DIR]`
 *
 * What the reverse process costs on a fixed, seeded set of infill tasks from the
 * validation text, measured in one run through the real engine process:
 *   1. every sampling setting: forward passes per token, tokens/s, ms per fill, accuracy;
 *   2. threshold decoding (0.9) against one token per step;
 *   3. engine time per step against a bare session.run on the same input;
 *   4. 1, 2, 4 and 8 candidates;
 *   5. the engine process's peak memory;
 *   6. issue 17: the full graph against the positions graph and the DualCache pair
 *      (bench/span-cost.ts): window sweep, batch scaling, peak memory, targets;
 *   7. then the benches with sections of their own, each in a child process (fill length,
 *      the approximate path's accuracy cost, the count experts' cost with and without them
 *      and the manuscript's indexing, the ModernBERT-sized graph), each section
 *      noted with the load average it ran under: one run rewrites every section.
 * Writes results.json, RESULTS.md and chart.svg to --out (default bench/) and prints the
 * tables. Progress goes to stderr.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING, type SamplingSettings } from '../main/contract'
import { buildCanvas, type Canvas } from '../main/engine/canvas'
import { EngineClient, forkWithNode } from '../main/engine/engine-client'
import { loadModelDir, type LoadedModel } from '../main/engine/model-dir'
import { resolveAppRoot } from '../main/engine/model-paths'
import { renderChart, type ChartPoint } from './chart'
import { findValidationText, loadValidationDocs, VALIDATION_HELP } from './corpus'
import { bareRuns, batchedIds, fillThroughEngine, processMemory } from './measure'
import { resultsMarkdown } from './report'
import { markedSections, withSection } from './results-section'
import { runSpanCost, spanCostMarkdown, type SpanCostResults } from './span-cost'
import {
  accuracyByConfig,
  compareSettings,
  judgeTargets,
  summarizeBatch,
  summarizeOverhead,
  summarizeSetting,
  type BatchSample,
  type BenchResults,
  type FillRecord,
  type OverheadRow,
  type OverheadSample,
} from './results'
import { mean, median, round } from './stats'
import { BASELINE, FAST_DLLM, FULL_SWEEP, QUICK_SWEEP, sweepSettings } from './sweep'
import { configName, sampleTasks, scoreFill, spanTargets, taskGrid, taskRequest, taskSlots, type BenchTask, type TaskConfig } from './tasks'

const HELP = `usage: npm run bench -- [options]

  --quick          a small run (under 2 minutes): fewer configs, settings and repetitions
  --model DIR      model directory (default: models/default)
  --valid FILE     validation text to draw tasks from (default: models/train/work/valid.txt,
                   else models/smoke/work/valid.txt)
  --tasks N        tasks per config (default 4; quick: 1)
  --reps N         repetitions of the overhead and batch tests (default 3; quick: 2 and 1)
  --seed N         task and sampling seed (default 7)
  --out DIR        where results.json, RESULTS.md and chart.svg go (default: bench)
  --sections LIST  comma-separated subset of sweep,overhead,batch,cost (this script's engine
                   table) and length,approximate,experts,modernbert (bench scripts of their own,
                   each writing its section of RESULTS.md) (default: all)
`

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`)

function intOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`)
  return n
}

/** HEAD's short hash, with "+modified" when engine or bench sources differ from it. */
function gitCommit(root: string): string | null {
  const git = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  try {
    const dirty = git(['status', '--porcelain', '--', 'main/engine', 'main/contract.ts', 'bench']).split('\n').some((l) => l && !l.startsWith('??'))
    return git(['rev-parse', '--short', 'HEAD']) + (dirty ? '+modified' : '')
  } catch {
    return null
  }
}

function onnxruntimeVersion(root: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return null
  }
}

/** Settings as a short phrase for the tables. */
function describeSettings(s: SamplingSettings): string {
  const rule = s.strategy === 'threshold' ? `threshold ${s.threshold}` : `${s.strategy}, ${s.steps} steps`
  return `${rule}, temperature ${s.temperature}, top-p ${s.topP}, ${s.candidates} candidate${s.candidates > 1 ? 's' : ''}`
}

async function main(): Promise<void> {
  const started = performance.now()
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      model: { type: 'string' },
      valid: { type: 'string' },
      tasks: { type: 'string' },
      reps: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      sections: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const root = resolveAppRoot()
  const quick = values.quick ?? false
  const seed = values.seed !== undefined ? intOption(values.seed, 'seed', 7) : 7
  const perConfig = intOption(values.tasks, 'tasks', quick ? 1 : 4)
  const reps = intOption(values.reps, 'reps', quick ? 2 : 3)
  const sections = new Set((values.sections ?? ALL_SECTIONS.join(',')).split(',').map((x) => x.trim()))
  for (const x of sections) if (!ALL_SECTIONS.includes(x)) throw new Error(`--sections: unknown section "${x}" (${ALL_SECTIONS.join(', ')})`)
  const engineSections = ENGINE_SECTIONS.some((x) => sections.has(x))
  const outDir = resolve(values.out ?? join(root, 'bench'))
  const modelDir = resolve(values.model ?? join(root, 'models', 'default'))
  if (!existsSync(join(modelDir, 'model.onnx')))
    throw new Error(
      `${relative(process.cwd(), modelDir) || modelDir} holds no model.onnx: train the default model with \`npm run model:train\`, ` +
        'or pass another model directory with --model DIR',
    )
  const validFile = values.valid ? resolve(values.valid) : (findValidationText(root) ?? prepareValidationText(root))
  if (!validFile) throw new Error(VALIDATION_HELP)
  if (!existsSync(validFile)) throw new Error(`--valid ${values.valid}: no such file`)
  const valid: string = validFile
  if (engineSections) await runEngineSections()
  // Benches of their own, each owning a marked RESULTS.md section, run after the engine table
  // so every section of the page describes today's engine (issue 22).
  for (const name of Object.keys(SCRIPT_SECTIONS)) if (sections.has(name)) runScriptSection(root, name, quick, modelDir, valid, join(outDir, 'RESULTS.md'))
  log(`all sections done in ${((performance.now() - started) / 1000).toFixed(0)} s`)

  async function runEngineSections(): Promise<void> {
    const loadStart = loadavg()

    // The model in this process: tokenizer for the tasks, session for the bare runs.
    const model = await loadModelDir(modelDir)
    // The engine at this process's own CPU priority (the app lowers it below the editor's):
    // its time per step is compared with bare session.run calls made here.
    const engine = new EngineClient(forkWithNode({ env: { ...process.env, INFILL_ENGINE_NICE: '0' } }))
    try {
      const { info, manifest, codec } = model
      log(`model ${info.name} (${info.provider}), window ${info.maxLength}, vocab ${info.vocabSize}`)
      const canvasOf = (t: BenchTask): Canvas => buildCanvas(t.text, t.spans, [], codec, { maxLength: info.maxLength, maskId: manifest.tokens.mask })
      const fitsOneWindow = (t: BenchTask) => canvasOf(t).windows.length === 1

      const room = info.maxLength - codec.wrap.prefix.length - codec.wrap.suffix.length
      const contexts = [128, room]
      const grid = quick ? taskGrid([8, 32], [1, 4], [128]) : taskGrid([8, 32, 128], [1, 4], contexts)
      if (quick) grid.used.push({ budget: 32, spans: 1, context: room })
      const docs = await loadValidationDocs(valid, { encode: (t) => codec.encode(t), piece: (id) => codec.tokenizer.id_to_token(id) }, 64, room + 8)
      if (docs.length === 0) throw new Error(`${valid} has no document of at least ${room + 8} tokens the tokenizer can align; ${VALIDATION_HELP}`)
      const tasks = sampleTasks(docs, grid.used, perConfig, seed, fitsOneWindow)
      log(`${tasks.length} tasks (${grid.used.map(configName).join(', ')}) from ${docs.length} documents of ${valid}`)

      engine.start()
      await engine.loadModel(modelDir)
      const pid = engine.pid()
      const afterLoad = pid ? await processMemory(pid) : null

      // Warm-up: both sessions, both window sizes.
      for (const c of [128, room]) {
        const t = sampleTasks(docs, [{ budget: 8, spans: 1, context: c }], 1, seed + 99, fitsOneWindow)[0]
        await fillThroughEngine(engine, taskRequest(t, { ...sweepSettings(FAST_DLLM, 8, seed), candidates: 1 }, `warm-${c}`))
        const w = canvasOf(t).windows[0].ids
        await bareRuns(model.denoiser, batchedIds(w, 1), 1, w.length, 2)
      }

      // 1 + 2: the sweep, settings interleaved task by task so load drift hits them alike.
      const sweep = quick ? QUICK_SWEEP : FULL_SWEEP
      const records: FillRecord[] = []
      let n = 0
      for (const task of sections.has('sweep') ? tasks : []) {
        const targets = spanTargets(canvasOf(task), manifest.tokens.pad)
        const slots = taskSlots(task)
        for (const entry of sweep) {
          const m = await fillThroughEngine(engine, taskRequest(task, sweepSettings(entry, slots, seed), `sweep-${n++}`))
          const filled = new Map([...m.slots].map(([id, rows]) => [id, rows[0]]))
          const score = scoreFill(targets, filled, manifest.tokens.pad)
          records.push({
            setting: entry.label,
            task: task.id,
            config: configName(task.config),
            slots,
            passes: m.result.forwardPasses,
            wallMs: round(m.wallMs, 2),
            correct: score.correct,
            exactSpans: score.exactSpans,
            spans: score.spans,
            textSlots: score.textSlots,
            textCorrect: score.textCorrect,
            emptySpans: score.emptySpans,
          })
        }
        log(`sweep: ${task.id} done (${records.length}/${tasks.length * sweep.length} fills, ${((performance.now() - started) / 1000).toFixed(0)} s)`)
      }
      const settings = sweep.filter(() => sections.has('sweep')).map((e) => summarizeSetting(e.label, records))
      const comparison = sections.has('sweep') ? compareSettings(BASELINE.label, FAST_DLLM.label, records) : null
      const byConfig = (comparison ? [BASELINE, FAST_DLLM] : []).map((e) => ({ setting: e.label, byConfig: accuracyByConfig(e.label, records) }))

      // 3: engine time per step against bare session.run on the same ids.
      const overheadCases: { name: string; config: TaskConfig; settings: (slots: number, rep: number) => SamplingSettings }[] = [
        { name: 'greedy, one token per step', config: { budget: 8, spans: 4, context: 128 }, settings: (s, r) => sweepSettings(BASELINE, s, seed + r) },
        ...(quick
          ? []
          : [
              { name: 'greedy, one token per step', config: { budget: 128, spans: 1, context: room }, settings: (s: number, r: number) => sweepSettings(BASELINE, s, seed + r) },
              { name: 'default sampling, 3 candidates', config: { budget: 32, spans: 1, context: room }, settings: (_s: number, r: number) => ({ ...DEFAULT_SAMPLING, seed: seed + r }) },
            ]),
      ]
      const overhead: OverheadRow[] = []
      for (const oc of sections.has('overhead') ? overheadCases : []) {
        const ts = sampleTasks(docs, [oc.config], reps, seed + 1, fitsOneWindow)
        const samples: OverheadSample[] = []
        let batch = 1
        let length = 0
        let steps = 0
        for (const [r, t] of ts.entries()) {
          const s = oc.settings(taskSlots(t), r)
          const w = canvasOf(t).windows[0].ids
          batch = s.candidates
          length = w.length
          const ids = batchedIds(w, batch)
          // Bare runs straddle the engine fill in time (half before, half after), so load drift hits both alike.
          const half = Math.max(3, Math.ceil(Math.min(taskSlots(t), 48) / 2))
          await bareRuns(model.denoiser, ids, batch, length, 1)
          const bare = await bareRuns(model.denoiser, ids, batch, length, half)
          const m = await fillThroughEngine(engine, taskRequest(t, s, `overhead-${n++}`))
          bare.push(...(await bareRuns(model.denoiser, ids, batch, length, half)))
          // Both per-step figures are totals over counts (means), so they compare alike.
          steps = m.result.forwardPasses
          samples.push({ engineMsPerStep: m.wallMs / m.result.forwardPasses, bareMsPerPass: mean(bare) })
        }
        overhead.push(summarizeOverhead(`${oc.name}, ${configName(oc.config)}`, batch, length, steps, samples))
        log(`overhead: ${oc.name} ${configName(oc.config)}: ${(overhead[overhead.length - 1].overhead * 100).toFixed(1)}%`)
      }

      // 4: batch scaling with the app's default sampling.
      const batchConfig: TaskConfig = quick ? { budget: 8, spans: 1, context: 128 } : { budget: 32, spans: 1, context: room }
      const batchReps = !sections.has('batch') ? 0 : quick ? 1 : reps
      const batchTasks = batchReps > 0 ? sampleTasks(docs, [batchConfig], batchReps, seed + 2, fitsOneWindow) : []
      const batchSamples: BatchSample[] = []
      for (const [r, t] of batchTasks.entries()) {
        for (const candidates of [1, 2, 4, 8]) {
          const s: SamplingSettings = { ...DEFAULT_SAMPLING, seed: seed + r, candidates }
          const m = await fillThroughEngine(engine, taskRequest(t, s, `batch-${n++}`))
          const w = canvasOf(t).windows[0].ids
          const ids = batchedIds(w, candidates)
          await bareRuns(model.denoiser, ids, candidates, w.length, 1)
          const bare = await bareRuns(model.denoiser, ids, candidates, w.length, 2)
          batchSamples.push({ candidates, wallMs: m.wallMs, passes: m.result.forwardPasses, bareMsPerPass: median(bare) })
        }
        log(`batch: rep ${r + 1}/${batchTasks.length} done`)
      }
      const batchRows = summarizeBatch(batchSamples)

      // 6: issue 17, the full graph against the positions graph and the DualCache pair.
      let spanCost: SpanCostResults | null = null
      if (sections.has('cost')) {
        if (model.denoiser.modes().length > 1) spanCost = await runSpanCost({ model, modelDir, docs, seed, quick, room, canvasOf, log })
        else log(`span cost: ${info.name} has no extra graphs (manifest "graphs"); only the plain contract to measure, section skipped`)
      }

      // 5: memory of the engine process, after everything above.
      const mem = pid ? await processMemory(pid) : null

      const results: BenchResults = {
        meta: {
          date: new Date().toISOString(),
          command: `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
          quick,
          seed,
          gitCommit: gitCommit(root),
          node: process.versions.node,
          onnxruntime: onnxruntimeVersion(root),
          cpu: cpus()[0]?.model ?? 'unknown CPU',
          cores: cpus().length,
          loadAverageStart: loadStart.map((x) => round(x, 2)),
          loadAverageEnd: loadavg().map((x) => round(x, 2)),
          model: { name: info.name, dir: relative(root, modelDir) || modelDir, hash: info.hash, provider: info.provider, maxLength: info.maxLength, vocab: info.vocabSize },
          validation: { file: relative(root, valid) || valid, documents: docs.length },
          tasks: {
            perConfig,
            configs: grid.used.map(configName),
            skippedConfigs: grid.skipped.map(configName),
            total: tasks.length,
            meanCanvasTokens: Object.fromEntries(
              grid.used.map((c) => {
                const ts = tasks.filter((t) => configName(t.config) === configName(c))
                return [configName(c), round(ts.reduce((a, t) => a + canvasOf(t).windows[0].ids.length, 0) / Math.max(1, ts.length), 1)]
              }),
            ),
          },
          ms: Math.round(performance.now() - started),
        },
        settings,
        byConfig,
        comparison,
        overhead,
        batch: batchRows.length === 0 ? null : { config: `${configName(batchConfig)}, ${batchReps} task${batchReps > 1 ? 's' : ''}`, settings: describeSettings({ ...DEFAULT_SAMPLING, candidates: 1 }).replace(/, 1 candidate$/, ''), rows: batchRows },
        memory: {
          afterLoadMiB: afterLoad ? round(afterLoad.rssMiB, 1) : null,
          peakRssMiB: mem ? round(mem.peakRssMiB, 1) : null,
          source: mem?.source.replace(/\/proc\/\d+\//, '/proc/<pid>/') ?? 'not available (needs Linux /proc)',
        },
        targets: judgeTargets(comparison, overhead, batchRows),
        spanCost,
        records,
      }

      const points: ChartPoint[] = settings.filter((s) => s.fills > 0).map((s) => ({
        label: s.setting,
        group: s.setting.split(' ')[0],
        passesPerToken: s.passesPerToken,
        accuracy: s.accuracy,
      }))
      const chart = renderChart(points, 'Span infill accuracy against forward passes per token', `${info.name}, ${tasks.length} tasks, greedy, 1 candidate (${results.meta.date.slice(0, 16)}Z)`)
      const markdown = resultsMarkdown(results) + (spanCost ? '\n' + spanCostMarkdown(spanCost) : '')
      await mkdir(outDir, { recursive: true })
      await writeFile(join(outDir, 'results.json'), JSON.stringify(results, null, 1) + '\n')
      await writeFile(join(outDir, 'chart.svg'), chart)
      // keep the sections other benches own (fill-length, modernbert-speed, …)
      const resultsPath = join(outDir, 'RESULTS.md')
      const previous = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : ''
      let page = markdown
      for (const [name, section] of markedSections(previous)) page = withSection(page, name, section)
      await writeFile(resultsPath, page)
      process.stdout.write(markdown)
      log(`wrote ${['results.json', 'RESULTS.md', 'chart.svg'].map((f) => relative(process.cwd(), join(outDir, f))).join(', ')} in ${(results.meta.ms / 1000).toFixed(0)} s`)
    } finally {
      await engine.dispose()
      await model.dispose()
    }
  }
}

/** The engine sections of this script; the others run a bench script of their own. */
const ENGINE_SECTIONS = ['sweep', 'overhead', 'batch', 'cost']

/** Sections another script writes (its marked RESULTS.md section), with its arguments. */
const SCRIPT_SECTIONS: Record<string, { marker: string; script: string; args: (quick: boolean, model: string, valid: string) => string[]; before?: (root: string) => boolean }> = {
  length: {
    marker: 'fill-length',
    script: 'bench/fill-length.ts',
    args: (quick, model, valid) => ['--model', model, '--valid', valid, ...(quick ? ['--tasks', '4', '--candidates', '2'] : ['--tasks', '8', '--candidates', '3'])],
  },
  approximate: {
    marker: 'approximate-cost',
    script: 'bench/approximate-cost.ts',
    args: (quick, model, valid) => ['--model', model, '--valid', valid, '--tasks', quick ? '16' : '256'],
  },
  experts: {
    marker: 'experts-cost',
    script: 'bench/experts-cost.ts',
    args: (quick, model) => ['--model', model, '--reps', quick ? '1' : '3'],
  },
  modernbert: {
    marker: 'modernbert-speed',
    script: 'bench/modernbert-speed.ts',
    args: (quick) => ['--reps', quick ? '1' : '3'],
    // its graphs are made once by a Python script (torch): bench/tmp/modernbert/*.onnx
    before: (root) => {
      if (existsSync(join(root, 'bench', 'tmp', 'modernbert', 'model_fp32.onnx')) && existsSync(join(root, 'bench', 'tmp', 'modernbert', 'model_int8.onnx'))) return true
      log('modernbert: making the ModernBERT-base-sized graphs once (python3 bench/modernbert-graph.py)')
      const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
      return spawnSync(python, [join(root, 'bench', 'modernbert-graph.py')], { cwd: root, stdio: ['ignore', 2, 2] }).status === 0
    },
  },
}

const ALL_SECTIONS = [...ENGINE_SECTIONS, ...Object.keys(SCRIPT_SECTIONS)]

/**
 * Runs one script section in a child process (it writes its own section of RESULTS.md),
 * then notes under that section the load average it ran under and that `npm run bench` ran it.
 * A failing script is reported and the run goes on: its section says so.
 */
function runScriptSection(root: string, name: string, quick: boolean, modelDir: string, validFile: string, resultsPath: string): void {
  const spec = SCRIPT_SECTIONS[name]
  const loadBefore = loadavg()
  const t0 = performance.now()
  log(`section ${name}: ${spec.script}`)
  const ready = spec.before ? spec.before(root) : true
  const args = [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, spec.script), ...spec.args(quick, modelDir, validFile), '--results', resultsPath]
  const r = ready ? spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] }) : null
  const seconds = ((performance.now() - t0) / 1000).toFixed(0)
  const page = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : ''
  const current = markedSections(page).get(spec.marker)
  const ok = r?.status === 0
  const note = ok
    ? `_Run by \`npm run bench\` (section \`${name}\`) on ${new Date().toISOString()}, commit ${gitCommit(root) ?? 'unknown'}: load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} at start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} at end; ${seconds} s._\n`
    : `_The last \`npm run bench\` (${new Date().toISOString()}) could not rerun this section (${ready ? `${spec.script} exited with ${r?.status ?? r?.signal}` : 'its graphs could not be made'}): the figures below are older than the engine._\n`
  if (current !== undefined) writeFileSync(resultsPath, withSection(page, spec.marker, current.replace(/_Run by `npm run bench`[^\n]*\n|_The last `npm run bench`[^\n]*\n/g, '') + '\n' + note))
  if (!ok) log(`section ${name} failed (${r ? `exit ${r.status ?? r.signal}` : 'not started'}); the rest goes on`)
}

/**
 * A fresh clone has no validation text: write the training pipeline's validation split
 * (models/train/work/valid.txt, the documents the default model was not trained on) with
 * its corpus stage alone. Returns its path, or null when that stage failed (its output says why).
 */
function prepareValidationText(root: string): string | null {
  log('no validation text yet: preparing the held-out split with `npm run model:train -- --corpus-only` (a minute or two)')
  const r = spawnSync(process.execPath, [join(root, 'models', 'train', 'run.mjs'), '--corpus-only'], { cwd: root, stdio: ['ignore', 2, 2] })
  if (r.status !== 0) return null
  return findValidationText(root)
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
