/** The bench's tables as Markdown text (pure: figures in, text out). */
import type { BatchRow, BenchResults, Comparison, OverheadRow, SettingRow, Target } from './results'

/** A Markdown table; numbers should already be formatted. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[] = []): string {
  const sep = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'))
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(sep), ...rows.map(line)].join('\n')
}

const fixed = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '–')
const pct = (x: number, d = 1) => (Number.isFinite(x) ? `${(x * 100).toFixed(d)}%` : '–')

export function settingsTable(rows: readonly SettingRow[]): string {
  return markdownTable(
    ['setting', 'fills', 'passes / token', 'tokens / s', 'ms / fill (median)', 'ms / fill (p95)', 'span accuracy', 'text-token accuracy', 'exact spans', 'empty fills'],
    rows.map((r) => [
      r.setting,
      String(r.fills),
      fixed(r.passesPerToken, 3),
      fixed(r.tokensPerSecond, 1),
      fixed(r.msPerFillMedian, 0),
      fixed(r.msPerFillP95, 0),
      pct(r.accuracy),
      pct(r.textAccuracy),
      pct(r.exactSpanRate),
      pct(r.emptySpanRate),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  )
}

export function comparisonTable(c: Comparison): string {
  return markdownTable(
    ['', c.baseline, c.candidate, 'change'],
    [
      ['forward passes', '1', fixed(1 / c.passSpeedup, 3), `${fixed(c.passSpeedup, 2)}× fewer`],
      ['wall time', '1', fixed(1 / c.wallSpeedup, 3), `${fixed(c.wallSpeedup, 2)}× faster`],
      ['span accuracy', pct(c.baselineAccuracy, 2), pct(c.candidateAccuracy, 2), `${c.accuracyDiffPoints >= 0 ? '+' : ''}${fixed(c.accuracyDiffPoints, 2)} points (95% CI ${fixed(c.diffCi95[0], 2)} to ${fixed(c.diffCi95[1], 2)})`],
      ['text-token accuracy', pct(c.baselineTextAccuracy, 2), pct(c.candidateTextAccuracy, 2), `${(c.candidateTextAccuracy - c.baselineTextAccuracy) * 100 >= 0 ? '+' : ''}${fixed((c.candidateTextAccuracy - c.baselineTextAccuracy) * 100, 2)} points`],
    ],
    ['l', 'r', 'r', 'r'],
  )
}

export function byConfigTable(settings: readonly string[], rows: readonly { setting: string; byConfig: { config: string; accuracy: number; passesPerToken: number }[] }[]): string {
  const configs = [...new Set(rows.flatMap((r) => r.byConfig.map((c) => c.config)))]
  return markdownTable(
    ['task config', ...settings.flatMap((s) => [`${s}: accuracy`, `${s}: passes / token`])],
    configs.map((config) => [
      config,
      ...settings.flatMap((s) => {
        const c = rows.find((r) => r.setting === s)?.byConfig.find((x) => x.config === config)
        return [c ? pct(c.accuracy) : '–', c ? fixed(c.passesPerToken, 3) : '–']
      }),
    ]),
    ['l', ...settings.flatMap(() => ['r', 'r'] as const)],
  )
}

export function overheadTable(rows: readonly OverheadRow[]): string {
  return markdownTable(
    ['case', 'input [batch, length]', 'steps', 'reps', 'engine ms / step', 'bare session.run ms', 'overhead'],
    rows.map((r) => [r.case, `[${r.batch}, ${r.length}]`, String(r.steps), String(r.reps), fixed(r.engineMsPerStep, 1), fixed(r.bareMsPerPass, 1), pct(r.overhead)]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
  )
}

export function batchTable(rows: readonly BatchRow[]): string {
  return markdownTable(
    ['candidates', 'ms / fill (median)', '× 1 candidate', 'passes / fill (median)', 'bare session.run ms / pass', '× batch 1'],
    rows.map((r) => [String(r.candidates), fixed(r.msPerFillMedian, 0), fixed(r.relative, 2), fixed(r.passesMedian, 1), fixed(r.bareMsPerPass, 1), fixed(r.bareRelative, 2)]),
    ['r', 'r', 'r', 'r', 'r', 'r'],
  )
}

export function targetsTable(targets: readonly Target[]): string {
  return markdownTable(
    ['target', 'measured', 'met'],
    targets.map((t) => [t.name, t.figure, t.met ? 'yes' : 'no']),
    ['l', 'r', 'l'],
  )
}

/** The whole RESULTS.md page for one run. */
export function resultsMarkdown(r: BenchResults): string {
  const m = r.meta
  const parts: string[] = []
  parts.push(`# Benchmark results`)
  parts.push(
    [
      `Model \`${m.model.name}\` (${m.model.dir}, sha256 ${m.model.hash.slice(0, 16)}…, ${m.model.provider} provider, window ${m.model.maxLength} tokens), ` +
        `${m.tasks.total} tasks from \`${m.validation.file}\` (${m.tasks.perConfig} per config: ${m.tasks.configs.join(', ')}; seed ${m.seed}).`,
      `Produced by \`${m.command}\` on ${m.date} (commit ${m.gitCommit ?? 'unknown'}), ${m.cpu}, ${m.cores} cores, ` +
        `load average ${m.loadAverageStart.map((x) => x.toFixed(2)).join(' ')} at start, Node ${m.node}, onnxruntime-node ${m.onnxruntime ?? '?'}; ${(m.ms / 1000).toFixed(0)} s in all.`,
    ].join('\n'),
  )
  if (m.tasks.skippedConfigs.length) parts.push(`Configs left out (slots would take more than half the canvas): ${m.tasks.skippedConfigs.join(', ')}.`)
  parts.push(`## Targets\n\n${targetsTable(r.targets)}`)
  parts.push(
    `## Sampling settings\n\nEvery fill greedy (temperature 0), one candidate, through the engine process; \`k=N\` reveals N slots per step ` +
      `(steps = slots / N), \`threshold X\` reveals every slot with confidence ≥ X (at least one). Tokens are slots (padding included); ` +
      `span accuracy is position-wise exact match of each slot against the original tokens followed by padding up to the budget; ` +
      `text-token accuracy counts only the slots whose original is a text token (an empty fill scores 0 there, while span accuracy ` +
      `credits its padding slots); an empty fill is a span filled with padding only; ` +
      `ms / fill is host-side wall time (request sent to result received).\n\n${settingsTable(r.settings)}\n\n![span accuracy against forward passes per token](chart.svg)`,
  )
  if (r.comparison) parts.push(`## Threshold decoding against one token per step\n\n${comparisonTable(r.comparison)}`)
  if (r.byConfig.length) parts.push(`### By task config\n\n${byConfigTable(r.byConfig.map((b) => b.setting), r.byConfig)}`)
  if (r.overhead.length)
    parts.push(
      `## Engine overhead per step\n\nEngine: wall time of a fill through EngineClient and the engine process (canvas, sampling, step events, ` +
        `process boundary) divided by its forward passes. Bare: \`OnnxDenoiser.run\` (one \`session.run\`) in the bench process on the same ids, ` +
        `run as many times, half just before the fill and half just after (both figures are means per step); overhead is the median over repetitions of engine / bare − 1. With several candidates a candidate that is done leaves the ` +
        `batch, so the engine's later steps run fewer rows than the bare [batch, length] input.\n\n${overheadTable(r.overhead)}`,
    )
  if (r.batch)
    parts.push(
      `## Batch scaling\n\n${r.batch.config}, ${r.batch.settings}; candidates are rows of one batch. The bare columns are one ` +
        `\`session.run\` on [candidates, length]: what the model itself costs per pass at that batch size.\n\n${batchTable(r.batch.rows)}`,
    )
  parts.push(
    `## Memory\n\nEngine process peak resident set: ${r.memory.peakRssMiB?.toFixed(0) ?? '–'} MiB ` +
      `(after loading the model: ${r.memory.afterLoadMiB?.toFixed(0) ?? '–'} MiB); source: ${r.memory.source}.`,
  )
  return parts.join('\n\n') + '\n'
}
