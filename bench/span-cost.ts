/**
 * Issue 17, "a step should cost what the span costs": the plain contract graph (every
 * position, every logit: what every step cost before) against the positions graph (logits
 * at the masked slots only) and the DualCache pair (context keys/values cached, a span-only
 * pass per step, rebuilt every N reveals), side by side on the same model and tasks in one run:
 *
 * - window sweep (64 / 128 / the whole window), one 8-slot span, greedy one token per step:
 *   ms per step, ms per fill, positions computed and logits rows per step, span accuracy;
 * - batch scaling: the app's default sampling with 1 and 8 candidates in the whole window;
 * - engine peak memory: a fresh engine process per variant running the same 8-candidate fills.
 *
 * Fills run in the bench process through `runFill` (the engine's own code) with the
 * denoiser's mode switched fill by fill, variants interleaved task by task so load drift
 * hits them alike; memory needs one engine process per variant (INFILL_DENOISER).
 */
import { DEFAULT_SAMPLING, type FillRequest, type SamplingSettings } from '../main/contract'
import type { Canvas } from '../main/engine/canvas'
import { EngineClient, forkWithNode } from '../main/engine/engine-client'
import { fillModelOf, runFill } from '../main/engine/fill'
import type { LoadedModel } from '../main/engine/model-dir'
import type { DenoiseMode } from '../main/engine/onnx-denoiser'
import type { TokenizedDoc } from './corpus'
import { fillThroughEngine, processMemory } from './measure'
import { mean, round } from './stats'
import { BASELINE, sweepSettings } from './sweep'
import { sampleTasks, scoreFill, spanTargets, taskRequest, type BenchTask } from './tasks'

export interface CostVariant {
  label: string
  mode: DenoiseMode
  refreshEvery?: number
}

/** The plain contract first: the others are compared with it. */
export const COST_VARIANTS: readonly CostVariant[] = [
  { label: 'full graph (before)', mode: 'full' },
  { label: 'positions graph', mode: 'positions' },
  { label: 'DualCache, refresh 4', mode: 'cached', refreshEvery: 4 },
  { label: 'DualCache, refresh 8', mode: 'cached', refreshEvery: 8 },
]

export interface WindowRow {
  variant: string
  window: number
  fills: number
  msPerFill: number
  msPerStep: number
  stepsPerFill: number
  positionsPerStep: number
  logitRowsPerStep: number
  correct: number
  slots: number
  accuracy: number
}

export interface BatchRow {
  variant: string
  msOne: number
  msEight: number
  ratio: number
}

export interface MemoryRow {
  variant: string
  peakRssMiB: number | null
}

export interface Target {
  name: string
  variant: string
  value: string
  met: boolean
}

export interface SpanCostResults {
  tasksPerWindow: number
  windows: number[]
  slots: number
  windowRows: WindowRow[]
  accuracy: { variant: string; correct: number; slots: number; accuracy: number; pointsVsFull: number }[]
  batch: { window: number; tasks: number; settings: string; rows: BatchRow[] }
  memory: { fills: string; rows: MemoryRow[] }
  targets: Target[]
}

export interface SpanCostContext {
  model: LoadedModel
  modelDir: string
  docs: readonly TokenizedDoc[]
  seed: number
  quick: boolean
  /** Text + slot tokens the whole window holds. */
  room: number
  canvasOf: (t: BenchTask) => Canvas
  log: (msg: string) => void
}

const SLOTS = 8

/** One fill in this process with the denoiser in variant `v`: time, passes, what the denoiser computed, and candidate 0's slot tokens per span (-1 where never revealed). */
async function fillInProcess(ctx: SpanCostContext, v: CostVariant, request: FillRequest): Promise<{ ms: number; passes: number; positions: number; logitRows: number; slots: Map<string, Int32Array> }> {
  const d = ctx.model.denoiser
  d.mode = v.mode
  if (v.refreshEvery) d.refreshEvery = v.refreshEvery
  d.resetCache()
  const before = { ...d.stats }
  const slots = new Map(request.spans.map((s) => [s.id, new Int32Array(s.slots ?? 0).fill(-1)]))
  const t0 = performance.now()
  const result = await runFill(fillModelOf(ctx.model), request, {
    onStep: (e) => {
      for (const r of e.revealed) {
        const row = slots.get(r.spanId)
        if (r.candidate === 0 && row && r.slot < row.length) row[r.slot] = r.tokenId
      }
    },
  })
  const ms = performance.now() - t0
  const positions = d.stats.positionsComputed - before.positionsComputed
  const logitRows = d.stats.logitsComputed - before.logitsComputed
  return { ms, passes: result.forwardPasses, positions, logitRows, slots }
}

export async function runSpanCost(ctx: SpanCostContext): Promise<SpanCostResults> {
  const { model, seed, quick, room, log } = ctx
  const pad = model.manifest.tokens.pad
  const saved = { mode: model.denoiser.mode, refresh: model.denoiser.refreshEvery }
  const variants = COST_VARIANTS.filter((v) => model.denoiser.modes().includes(v.mode))
  const windows = [64, 128, room]
  const perWindow = quick ? 6 : 16
  const fits = (t: BenchTask) => ctx.canvasOf(t).windows.length === 1
  const greedy = (s: number): SamplingSettings => sweepSettings(BASELINE, SLOTS, s)
  const rows: WindowRow[] = []
  const perTask = new Map<string, number[]>() // variant -> correct per task (paired)
  let n = 0
  try {
    for (const window of windows) {
      const tasks = sampleTasks(ctx.docs, [{ budget: SLOTS, spans: 1, context: window }], perWindow + 1, seed + 17, fits)
      // warm-up on the first task: sessions plan each new shape once
      for (const v of variants) await fillInProcess(ctx, v, taskRequest(tasks[0], greedy(seed), `cost-warm-${n++}`))
      const acc = new Map(variants.map((v) => [v.label, { ms: [] as number[], passes: 0, positions: 0, logitRows: 0, correct: 0, slots: 0, fills: 0 }]))
      for (const t of tasks.slice(1)) {
        const targets = spanTargets(ctx.canvasOf(t), pad)
        for (const v of variants) {
          const m = await fillInProcess(ctx, v, taskRequest(t, greedy(seed), `cost-${n++}`))
          const a = acc.get(v.label)!
          const length = ctx.canvasOf(t).windows[0].ids.length
          a.ms.push(m.ms)
          a.passes += m.passes
          // the full graph keeps no statistics of its own: every pass is the whole window with all logits
          a.positions += v.mode === 'full' ? m.passes * length : m.positions
          a.logitRows += v.mode === 'full' ? m.passes * length : m.logitRows
          const score = scoreFill(targets, m.slots, pad)
          a.correct += score.correct
          a.slots += score.slots
          a.fills++
          perTask.set(v.label, [...(perTask.get(v.label) ?? []), score.correct])
        }
      }
      for (const v of variants) {
        const a = acc.get(v.label)!
        const totalMs = a.ms.reduce((x, y) => x + y, 0)
        rows.push({
          variant: v.label,
          window,
          fills: a.fills,
          msPerFill: round(mean(a.ms), 1),
          msPerStep: round(totalMs / Math.max(1, a.passes), 2),
          stepsPerFill: round(a.passes / Math.max(1, a.fills), 2),
          positionsPerStep: round(a.positions / Math.max(1, a.passes), 1),
          logitRowsPerStep: round(a.logitRows / Math.max(1, a.passes), 1),
          correct: a.correct,
          slots: a.slots,
          accuracy: round(a.correct / Math.max(1, a.slots), 4),
        })
      }
      log(`span cost: window ${window} done (${perWindow} tasks × ${variants.length} variants)`)
    }

    const accuracy = variants.map((v) => {
      const vr = rows.filter((r) => r.variant === v.label)
      const correct = vr.reduce((x, r) => x + r.correct, 0)
      const slots = vr.reduce((x, r) => x + r.slots, 0)
      const full = rows.filter((r) => r.variant === variants[0].label)
      const fullAcc = full.reduce((x, r) => x + r.correct, 0) / Math.max(1, full.reduce((x, r) => x + r.slots, 0))
      return { variant: v.label, correct, slots, accuracy: round(correct / Math.max(1, slots), 4), pointsVsFull: round(100 * (correct / Math.max(1, slots) - fullAcc), 2) }
    })

    // batch scaling: default sampling, whole window, 1 vs 8 candidates
    const batchTasks = sampleTasks(ctx.docs, [{ budget: SLOTS, spans: 1, context: room }], quick ? 2 : 4, seed + 23, fits)
    const batchMs = new Map(variants.map((v) => [v.label, { one: [] as number[], eight: [] as number[] }]))
    for (const v of variants) await fillInProcess(ctx, v, taskRequest(batchTasks[0], { ...DEFAULT_SAMPLING, seed, candidates: 8 }, `cost-bwarm-${n++}`))
    for (const [r, t] of batchTasks.entries())
      for (const candidates of [1, 8])
        for (const v of variants) {
          const m = await fillInProcess(ctx, v, taskRequest(t, { ...DEFAULT_SAMPLING, seed: seed + r, candidates }, `cost-b-${n++}`))
          batchMs.get(v.label)![candidates === 1 ? 'one' : 'eight'].push(m.ms)
        }
    const batchRows: BatchRow[] = variants.map((v) => {
      const b = batchMs.get(v.label)!
      return { variant: v.label, msOne: round(mean(b.one), 1), msEight: round(mean(b.eight), 1), ratio: round(mean(b.eight) / mean(b.one), 2) }
    })
    log('span cost: batch scaling done')

    // engine peak memory: one fresh engine process per variant, the same 8-candidate fills
    const memRows: MemoryRow[] = []
    for (const v of variants) {
      const env = { ...process.env, INFILL_ENGINE_NICE: '0', INFILL_DENOISER: v.mode, ...(v.refreshEvery ? { INFILL_CACHE_REFRESH: String(v.refreshEvery) } : {}) }
      const engine = new EngineClient(forkWithNode({ env }))
      try {
        engine.start()
        await engine.loadModel(ctx.modelDir)
        for (const [r, t] of batchTasks.entries()) await fillThroughEngine(engine, taskRequest(t, { ...DEFAULT_SAMPLING, seed: seed + r, candidates: 8 }, `cost-mem-${n++}`))
        const pid = engine.pid()
        const mem = pid ? await processMemory(pid) : null
        memRows.push({ variant: v.label, peakRssMiB: mem ? round(mem.peakRssMiB, 1) : null })
      } finally {
        await engine.dispose()
      }
    }
    log('span cost: memory done')

    const targets: Target[] = []
    const full = variants[0].label
    const at = (variant: string) => rows.find((r) => r.variant === variant && r.window === room)!
    for (const v of variants.slice(1)) {
      const speed = at(full).msPerFill / at(v.label).msPerFill
      const drop = -accuracy.find((a) => a.variant === v.label)!.pointsVsFull
      targets.push({ name: `8-slot span, ${room}-token window: ≥4× less time per fill, ≤0.5 points lower span accuracy`, variant: v.label, value: `${round(speed, 2)}× less time, ${round(drop, 2)} points lower`, met: speed >= 4 && drop <= 0.5 })
      const b = batchRows.find((x) => x.variant === v.label)!
      // issue 22: a compute-bound CPU pays for every candidate row; the cost to report is per row
      targets.push({ name: '8 candidates: ms per fill per candidate row at most one candidate\'s', variant: v.label, value: `${round(b.ratio / 8, 2)}× per row (${b.ratio}× in all)`, met: b.ratio / 8 <= 1 })
      const mv = memRows.find((x) => x.variant === v.label)?.peakRssMiB
      const mf = memRows.find((x) => x.variant === full)?.peakRssMiB
      targets.push({ name: 'engine peak memory no higher than before', variant: v.label, value: mv != null && mf != null ? `${mv} MiB vs ${mf} MiB` : 'not measured', met: mv != null && mf != null && mv <= mf })
    }
    return {
      tasksPerWindow: perWindow,
      windows,
      slots: SLOTS,
      windowRows: rows,
      accuracy,
      batch: { window: room, tasks: batchTasks.length, settings: 'threshold 0.9, temperature 0.7, top-p 0.95 (the app default)', rows: batchRows },
      memory: { fills: `${batchTasks.length} fills of 8 candidates, ${room}-token window, in a fresh engine process per variant`, rows: memRows },
      targets,
    }
  } finally {
    model.denoiser.mode = saved.mode
    model.denoiser.refreshEvery = saved.refresh
    model.denoiser.resetCache()
  }
}

const table = (head: string[], body: (string | number)[][]): string =>
  [`| ${head.join(' | ')} |`, `| ${head.map((h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n')

export function spanCostMarkdown(r: SpanCostResults): string {
  const full = r.windowRows.filter((x) => x.variant === r.windowRows[0].variant)
  const speedup = (x: WindowRow) => round(full.find((f) => f.window === x.window)!.msPerFill / x.msPerFill, 2)
  return [
    '## A step costs what the span costs (issue 17)',
    '',
    `Same model, same tasks, one run. One span of ${r.slots} slots, greedy, one token per step (low_confidence, steps = slots); ${r.tasksPerWindow} tasks per window length. ` +
      '"positions" counts the positions whose hidden states a step computed (rows × positions, cache builds included); "logit rows" the positions whose vocabulary-wide logits it computed.',
    '',
    table(
      ['variant', 'window', 'ms / fill', '× faster', 'ms / step', 'steps / fill', 'positions / step', 'logit rows / step', 'span accuracy'],
      r.windowRows.map((x) => [x.variant, x.window, x.msPerFill, speedup(x), x.msPerStep, x.stepsPerFill, x.positionsPerStep, x.logitRowsPerStep, `${(100 * x.accuracy).toFixed(1)}%`]),
    ),
    '',
    'Span accuracy over all window lengths (slots equal to the original, padding included):',
    '',
    table(['variant', 'correct / slots', 'accuracy', 'points vs full graph'], r.accuracy.map((a) => [a.variant, `${a.correct} / ${a.slots}`, `${(100 * a.accuracy).toFixed(2)}%`, a.pointsVsFull])),
    '',
    `Batch scaling (${r.batch.settings}; ${r.batch.window}-token window, ${r.batch.tasks} tasks):`,
    '',
    table(['variant', 'ms / fill, 1 candidate', 'ms / fill, 8 candidates', '8 / 1'], r.batch.rows.map((b) => [b.variant, b.msOne, b.msEight, `${b.ratio}×`])),
    '',
    `Engine peak memory (VmHWM; ${r.memory.fills}):`,
    '',
    table(['variant', 'peak RSS MiB'], r.memory.rows.map((m) => [m.variant, m.peakRssMiB ?? 'n/a'])),
    '',
    'Targets of issue 17:',
    '',
    table(['target', 'variant', 'measured', 'met'], r.targets.map((t) => [t.name, t.variant, t.value, t.met ? 'met' : 'NOT met'])),
    '',
  ].join('\n')
}
