/**
 * What the bench measured, as records, and the pure summaries the tables, the chart and
 * bench/results.json are made from.
 */
import { rngStream } from '../main/engine/rng'
import { median, percentile, ratio, sum } from './stats'
import type { SpanCostResults } from './span-cost'

/** One fill of the strategy sweep. */
export interface FillRecord {
  setting: string
  task: string
  config: string
  slots: number
  passes: number
  /** Host-side wall time: request sent to result received. */
  wallMs: number
  correct: number
  exactSpans: number
  spans: number
  /** Slots whose original is a text token (not padding), and how many of them matched. */
  textSlots: number
  textCorrect: number
  /** Spans filled with padding only. */
  emptySpans: number
}

export interface SettingRow {
  setting: string
  fills: number
  slots: number
  passesPerToken: number
  tokensPerSecond: number
  msPerFillMedian: number
  msPerFillP95: number
  /** Slot-level span infill accuracy, 0..1. */
  accuracy: number
  /** Accuracy over the slots whose original is a text token (padding targets left out). */
  textAccuracy: number
  exactSpanRate: number
  /** Share of spans filled with padding only. */
  emptySpanRate: number
}

/** The sweep's row for one setting (tokens are slots: every slot is decided, padding included). */
export function summarizeSetting(setting: string, records: readonly FillRecord[]): SettingRow {
  const rs = records.filter((r) => r.setting === setting)
  const slots = sum(rs.map((r) => r.slots))
  const ms = rs.map((r) => r.wallMs)
  return {
    setting,
    fills: rs.length,
    slots,
    passesPerToken: ratio(sum(rs.map((r) => r.passes)), slots),
    tokensPerSecond: ratio(slots, sum(ms) / 1000),
    msPerFillMedian: median(ms),
    msPerFillP95: percentile(ms, 0.95),
    accuracy: ratio(sum(rs.map((r) => r.correct)), slots),
    textAccuracy: ratio(sum(rs.map((r) => r.textCorrect)), sum(rs.map((r) => r.textSlots))),
    exactSpanRate: ratio(sum(rs.map((r) => r.exactSpans)), sum(rs.map((r) => r.spans))),
    emptySpanRate: ratio(sum(rs.map((r) => r.emptySpans)), sum(rs.map((r) => r.spans))),
  }
}

/** Accuracy of `setting` per task config, in config order of first appearance. */
export function accuracyByConfig(setting: string, records: readonly FillRecord[]): { config: string; accuracy: number; passesPerToken: number; slots: number }[] {
  const rs = records.filter((r) => r.setting === setting)
  const configs = [...new Set(rs.map((r) => r.config))]
  return configs.map((config) => {
    const c = rs.filter((r) => r.config === config)
    const slots = sum(c.map((r) => r.slots))
    return { config, slots, accuracy: ratio(sum(c.map((r) => r.correct)), slots), passesPerToken: ratio(sum(c.map((r) => r.passes)), slots) }
  })
}

export interface Comparison {
  baseline: string
  candidate: string
  /** Baseline forward passes / candidate forward passes, over the same tasks. */
  passSpeedup: number
  /** Baseline wall time / candidate wall time, over the same tasks. */
  wallSpeedup: number
  baselineAccuracy: number
  candidateAccuracy: number
  /** candidate - baseline, in percentage points. */
  accuracyDiffPoints: number
  /** The same over text-token targets only (padding targets left out). */
  baselineTextAccuracy: number
  candidateTextAccuracy: number
  /** 95% interval of accuracyDiffPoints, from a paired bootstrap over tasks. */
  diffCi95: [number, number]
}

/** Threshold decoding (or any setting) against the baseline, over the tasks both ran. */
export function compareSettings(baseline: string, candidate: string, records: readonly FillRecord[]): Comparison {
  const tasks = new Set(records.filter((r) => r.setting === candidate).map((r) => r.task))
  const pick = (s: string) => records.filter((r) => r.setting === s && tasks.has(r.task))
  const b = pick(baseline)
  const c = pick(candidate)
  const acc = (rs: FillRecord[]) => ratio(sum(rs.map((r) => r.correct)), sum(rs.map((r) => r.slots)))
  return {
    baseline,
    candidate,
    passSpeedup: ratio(sum(b.map((r) => r.passes)), sum(c.map((r) => r.passes))),
    wallSpeedup: ratio(sum(b.map((r) => r.wallMs)), sum(c.map((r) => r.wallMs))),
    baselineAccuracy: acc(b),
    candidateAccuracy: acc(c),
    accuracyDiffPoints: (acc(c) - acc(b)) * 100,
    baselineTextAccuracy: ratio(sum(b.map((r) => r.textCorrect)), sum(b.map((r) => r.textSlots))),
    candidateTextAccuracy: ratio(sum(c.map((r) => r.textCorrect)), sum(c.map((r) => r.textSlots))),
    diffCi95: bootstrapDiff(b, c, [...tasks], 2000, 17),
  }
}

/**
 * Paired bootstrap of the pooled accuracy difference (points): tasks are drawn with
 * replacement, each drawn task bringing both settings' fills of it.
 */
export function bootstrapDiff(base: readonly FillRecord[], cand: readonly FillRecord[], tasks: readonly string[], iterations: number, seed: number): [number, number] {
  if (tasks.length === 0) return [NaN, NaN]
  const per = (rs: readonly FillRecord[]) => new Map(tasks.map((t) => [t, rs.filter((r) => r.task === t)]))
  const b = per(base)
  const c = per(cand)
  const rng = rngStream(seed, 0)
  const diffs: number[] = []
  for (let i = 0; i < iterations; i++) {
    let bc = 0
    let bs = 0
    let cc = 0
    let cs = 0
    for (let k = 0; k < tasks.length; k++) {
      const t = tasks[Math.floor(rng() * tasks.length)]
      for (const r of b.get(t)!) (bc += r.correct), (bs += r.slots)
      for (const r of c.get(t)!) (cc += r.correct), (cs += r.slots)
    }
    diffs.push((ratio(cc, cs) - ratio(bc, bs)) * 100)
  }
  return [percentile(diffs, 0.025), percentile(diffs, 0.975)]
}

/** One repetition of an overhead case: an engine fill and as many bare runs of the same shape. */
export interface OverheadSample {
  engineMsPerStep: number
  bareMsPerPass: number
}

export interface OverheadRow {
  case: string
  batch: number
  length: number
  reps: number
  steps: number
  engineMsPerStep: number
  bareMsPerPass: number
  /** Median over repetitions of (engine per step / bare per pass) - 1. */
  overhead: number
}

export function summarizeOverhead(name: string, batch: number, length: number, steps: number, samples: readonly OverheadSample[]): OverheadRow {
  return {
    case: name,
    batch,
    length,
    reps: samples.length,
    steps,
    engineMsPerStep: median(samples.map((s) => s.engineMsPerStep)),
    bareMsPerPass: median(samples.map((s) => s.bareMsPerPass)),
    overhead: median(samples.map((s) => s.engineMsPerStep / s.bareMsPerPass)) - 1,
  }
}

/** One repetition of the batch-scaling test at one candidate count. */
export interface BatchSample {
  candidates: number
  wallMs: number
  passes: number
  bareMsPerPass: number
}

export interface BatchRow {
  candidates: number
  msPerFillMedian: number
  /** msPerFillMedian / the same at 1 candidate. */
  relative: number
  passesMedian: number
  bareMsPerPass: number
  bareRelative: number
}

export function summarizeBatch(samples: readonly BatchSample[]): BatchRow[] {
  const counts = [...new Set(samples.map((s) => s.candidates))].sort((a, b) => a - b)
  const rows = counts.map((candidates) => {
    const s = samples.filter((x) => x.candidates === candidates)
    return {
      candidates,
      msPerFillMedian: median(s.map((x) => x.wallMs)),
      relative: NaN,
      passesMedian: median(s.map((x) => x.passes)),
      bareMsPerPass: median(s.map((x) => x.bareMsPerPass)),
      bareRelative: NaN,
    }
  })
  const one = rows.find((r) => r.candidates === 1)
  for (const r of rows) {
    r.relative = one ? r.msPerFillMedian / one.msPerFillMedian : NaN
    r.bareRelative = one ? r.bareMsPerPass / one.bareMsPerPass : NaN
  }
  return rows
}

export interface Target {
  name: string
  figure: string
  met: boolean
}

/** The three targets, judged on the summaries. */
export function judgeTargets(comparison: Comparison | null, overhead: readonly OverheadRow[], batch: readonly BatchRow[]): Target[] {
  const worst = overhead.reduce((m, r) => Math.max(m, r.overhead), -Infinity)
  const eight = batch.find((r) => r.candidates === 8)
  const c = comparison
  return [
    {
      name: 'threshold 0.9: ≥ 3× fewer forward passes than one token per step',
      figure: c ? `${c.passSpeedup.toFixed(2)}×` : 'not measured',
      met: !!c && c.passSpeedup >= 3,
    },
    {
      name: 'threshold 0.9: span accuracy at most 1 point below one token per step',
      figure: c ? `${c.accuracyDiffPoints >= 0 ? '+' : ''}${c.accuracyDiffPoints.toFixed(2)} points` : 'not measured',
      met: !!c && c.accuracyDiffPoints >= -1,
    },
    {
      name: 'engine overhead ≤ 15% over bare session.run per step (worst case)',
      figure: overhead.length ? `${(worst * 100).toFixed(1)}%` : 'not measured',
      met: overhead.length > 0 && worst <= 0.15,
    },
    {
      // A compute-bound CPU pays for every candidate row (issue 22 retired "8 under 3× one"):
      // what batching must give is no more than one row's cost per candidate.
      name: '8 candidates: ms per fill per candidate row at most one candidate\'s ms per fill',
      figure: eight ? `${(eight.relative / 8).toFixed(2)}× per row (${eight.relative.toFixed(2)}× in all)` : 'not measured',
      met: !!eight && eight.relative / 8 <= 1,
    },
  ]
}

/** Everything one bench run writes to bench/results.json. */
export interface BenchResults {
  meta: {
    date: string
    command: string
    quick: boolean
    seed: number
    gitCommit: string | null
    node: string
    onnxruntime: string | null
    cpu: string
    cores: number
    loadAverageStart: number[]
    loadAverageEnd: number[]
    model: { name: string; dir: string; hash: string; provider: string; maxLength: number; vocab: number }
    validation: { file: string; documents: number }
    tasks: { perConfig: number; configs: string[]; skippedConfigs: string[]; total: number; meanCanvasTokens: Record<string, number> }
    ms: number
  }
  settings: SettingRow[]
  byConfig: { setting: string; byConfig: { config: string; accuracy: number; passesPerToken: number; slots: number }[] }[]
  comparison: Comparison | null
  overhead: OverheadRow[]
  batch: { config: string; settings: string; rows: BatchRow[] } | null
  memory: { afterLoadMiB: number | null; peakRssMiB: number | null; source: string }
  targets: Target[]
  /** Issue 17: full graph vs positions graph vs DualCache (bench/span-cost.ts); null when the section did not run. */
  spanCost?: SpanCostResults | null
  records: FillRecord[]
}
