/**
 * What "Faster, approximate" (the DualCache path) costs in accuracy, with an interval
 * (issue 22): the exact path (the positions graph, the app's default) and the DualCache on
 * the same tasks, one 8-slot span in the whole window, in this process through `runFill`,
 * the two interleaved task by task.
 *
 *   nice -n 15 npx tsx bench/approximate-cost.ts [--tasks 256] [--model DIR] [--valid FILE] [--seed 23]
 *
 * Two settings: greedy one token per step (low_confidence, steps = slots), and the app's
 * default sampling (threshold 0.9, temperature 0.7, 3 candidates; candidate 0 scored). Span
 * accuracy is slot-by-slot exact match with the original tokens (then padding); the
 * difference's 95% interval is a bootstrap over tasks (paired: each task is filled both ways).
 * Also reports how many fills came out identical. Prints a Markdown section, writes it into
 * bench/RESULTS.md between the `approximate-cost` markers, and prints the one-line cost for
 * the model's manifest (`approximateCost`).
 */
import { existsSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING, type FillRequest, type SamplingSettings } from '../main/contract'
import { buildCanvas } from '../main/engine/canvas'
import { fillModelOf, runFill } from '../main/engine/fill'
import { loadModelDir, type LoadedModel } from '../main/engine/model-dir'
import { defaultModelDir } from '../main/engine/model-paths'
import { rngStream } from '../main/engine/rng'
import { findValidationText, loadValidationDocs, VALIDATION_HELP } from './corpus'
import { writeSection } from './results-section'
import { BASELINE, sweepSettings } from './sweep'
import { sampleTasks, spanTargets, taskRequest, type BenchTask } from './tasks'

const SLOTS = 8

/** Slot-wise hits of candidate 0 against the targets, and its token ids (for "identical"). */
async function fillOnce(model: LoadedModel, request: FillRequest, approximate: boolean): Promise<{ ids: Map<string, number[]> }> {
  model.denoiser.resetCache()
  const slots = new Map(request.spans.map((s) => [s.id, new Array<number>(s.slots ?? 0).fill(-1)]))
  await runFill(fillModelOf(model), { ...request, settings: { ...request.settings, approximate } }, {
    onStep: (e) => {
      for (const r of e.revealed) {
        const row = slots.get(r.spanId)
        if (r.candidate === 0 && row && r.slot < row.length) row[r.slot] = r.tokenId
      }
    },
  })
  return { ids: slots }
}

/** Paired bootstrap 95% interval of mean(b) - mean(a) over tasks, in points of slots. */
export function pairedInterval(a: readonly number[], b: readonly number[], slotsPerTask: readonly number[], seed: number, draws = 4000): [number, number] {
  const rng = rngStream(seed, 4242)
  const n = a.length
  const out: number[] = []
  for (let d = 0; d < draws; d++) {
    let da = 0
    let db = 0
    let s = 0
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rng() * n)
      da += a[k]
      db += b[k]
      s += slotsPerTask[k]
    }
    out.push((100 * (db - da)) / Math.max(1, s))
  }
  out.sort((x, y) => x - y)
  return [out[Math.floor(0.025 * draws)], out[Math.floor(0.975 * draws)]]
}

interface Row {
  setting: string
  tasks: number
  slots: number
  exact: number
  approx: number
  identical: number
  interval: [number, number]
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string', default: '256' },
      model: { type: 'string' },
      valid: { type: 'string' },
      seed: { type: 'string', default: '23' },
      results: { type: 'string', default: join('bench', 'RESULTS.md') },
    },
  })
  const nTasks = Number(values.tasks)
  if (!Number.isInteger(nTasks) || nTasks < 2) throw new Error(`--tasks must be an integer of at least 2, got "${values.tasks}"`)
  const seed = Number(values.seed)
  const modelDir = resolve(values.model ?? defaultModelDir())
  const validFile = values.valid ? resolve(values.valid) : findValidationText(process.cwd())
  if (!validFile || !existsSync(validFile)) throw new Error(VALIDATION_HELP)
  const started = new Date()
  const loadStart = loadavg()
  const model = await loadModelDir(modelDir, { providers: ['cpu'] })
  if (!model.denoiser.modes().includes('cached')) throw new Error(`${modelDir} has no DualCache graphs: nothing to compare`)
  const { codec, info, manifest } = model
  const room = info.maxLength - codec.wrap.prefix.length - codec.wrap.suffix.length
  const canvasOf = (t: BenchTask) => buildCanvas(t.text, t.spans, [], codec, { maxLength: info.maxLength, maskId: manifest.tokens.mask })
  const docs = await loadValidationDocs(validFile, { encode: (t) => codec.encode(t), piece: (id) => codec.tokenizer.id_to_token(id) }, 64, room + 8)
  const tasks = sampleTasks(docs, [{ budget: SLOTS, spans: 1, context: room }], nTasks, seed, (t) => canvasOf(t).windows.length === 1)
  const settings: [string, (s: number) => SamplingSettings][] = [
    ['greedy, one token per step', (s) => sweepSettings(BASELINE, SLOTS, s)],
    ['app default (threshold 0.9, T 0.7, 3 candidates)', (s) => ({ ...DEFAULT_SAMPLING, seed: s })],
  ]
  const rows: Row[] = []
  for (const [label, make] of settings) {
    const a: number[] = []
    const b: number[] = []
    const slotsPer: number[] = []
    let identical = 0
    for (const [i, task] of tasks.entries()) {
      const targets = spanTargets(canvasOf(task), manifest.tokens.pad)
      const request = taskRequest(task, make(seed + i), `ac-${i}`)
      const exact = await fillOnce(model, request, false)
      const approx = await fillOnce(model, request, true)
      let ha = 0
      let hb = 0
      let n = 0
      let same = true
      for (const [id, t] of targets) {
        const ea = exact.ids.get(id)!
        const eb = approx.ids.get(id)!
        for (let k = 0; k < t.length; k++) {
          n++
          if (ea[k] === t[k]) ha++
          if (eb[k] === t[k]) hb++
          if (ea[k] !== eb[k]) same = false
        }
      }
      a.push(ha)
      b.push(hb)
      slotsPer.push(n)
      if (same) identical++
      if ((i + 1) % 32 === 0) process.stderr.write(`approximate-cost: ${label}: ${i + 1}/${tasks.length}\n`)
    }
    const slots = slotsPer.reduce((x, y) => x + y, 0)
    rows.push({ setting: label, tasks: tasks.length, slots, exact: a.reduce((x, y) => x + y, 0), approx: b.reduce((x, y) => x + y, 0), identical, interval: pairedInterval(a, b, slotsPer, seed) })
  }
  const pct = (x: number, n: number) => `${((100 * x) / n).toFixed(2)}%`
  const pts = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`
  const lines = [
    '## What "Faster, approximate" costs (`bench/approximate-cost.ts`)',
    '',
    `Model \`${info.name}\` (${relative(process.cwd(), modelDir) || modelDir}, sha256 ${info.hash.slice(0, 16)}…), ${tasks.length} tasks of one ${SLOTS}-slot span in the whole ${info.maxLength}-token window from \`${relative(process.cwd(), validFile)}\` (seed ${seed}); each task filled by the exact path (positions graph, the app's default) and by the DualCache (refresh every 8 reveals), interleaved. Produced by \`npx tsx bench/approximate-cost.ts --tasks ${nTasks}\` on ${started.toISOString()}, ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores, load average ${loadStart.map((x) => x.toFixed(2)).join(' ')} at start; ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s.`,
    '',
    '| setting | tasks | slots | exact: span accuracy | approximate: span accuracy | difference, points (95% CI, paired bootstrap over tasks) | identical fills |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.setting} | ${r.tasks} | ${r.slots} | ${pct(r.exact, r.slots)} | ${pct(r.approx, r.slots)} | ${pts((100 * (r.approx - r.exact)) / r.slots)} (${pts(r.interval[0])} to ${pts(r.interval[1])}) | ${r.identical} of ${r.tasks} |`),
    '',
  ]
  const section = lines.join('\n')
  process.stdout.write(section + '\n')
  const g = rows[0]
  const d = rows[1]
  process.stdout.write(
    `approximateCost: Measured on ${g.slots} span slots of held-out text: span accuracy ${pts((100 * (g.approx - g.exact)) / g.slots)} points greedy (95% CI ${pts(g.interval[0])} to ${pts(g.interval[1])}), ${pts((100 * (d.approx - d.exact)) / d.slots)} points at the app's defaults (${pts(d.interval[0])} to ${pts(d.interval[1])}); ${d.identical} of ${d.tasks} default fills identical to the exact ones.\n`,
  )
  writeSection(values.results!, 'approximate-cost', section)
  await model.dispose()
}

main().catch((e: unknown) => {
  process.stderr.write(`approximate-cost: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
