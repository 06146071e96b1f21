/**
 * Fill length against the writer's length target, on the default model, in process:
 *
 *   nice -n 15 npx tsx bench/fill-length.ts [--tasks 16] [--candidates 2] [--model models/default] [--valid FILE]
 *
 * Tasks: spans of 3-12 whole words drawn (seeded) from validation documents, each with up to
 * 700 characters of context either side. Every span is filled with each length target
 * (shorter / same / longer / the range 2-5 words) under both pad rules ('suffix': a pad may
 * win at any slot that leaves text-then-pad; 'after-text': only right after a text slot),
 * at the app's default settings (threshold 0.9, temperature 0.7). A second part gives each
 * span a generous budget (twice its original's tokens, no target) and counts the fills that
 * end before the budget, at the default settings and greedy low_confidence.
 *
 * Prints Markdown tables, writes them into bench/RESULTS.md between the `fill-length`
 * markers (replacing the previous ones) and the figures into bench/fill-length.json.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING, type LengthTarget, type SamplingSettings, type SpanSpec } from '../main/contract'
import { fillModelOf, lengthPlans, NO_TARGET_MIN_SHARE, runFill, type FillModel } from '../main/engine/fill'
import { wordCount, wordRange } from '../main/engine/length-target'
import { loadModelDir } from '../main/engine/model-dir'
import { defaultModelDir } from '../main/engine/model-paths'
import type { PadRule } from '../main/engine/reverse-process'
import { rngStream } from '../main/engine/rng'
import { findValidationText, splitDocuments, VALIDATION_HELP } from './corpus'
import { median, percentile } from './stats'
import { writeSection } from './results-section'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '10' },
    candidates: { type: 'string', default: '3' },
    rules: { type: 'string', default: 'suffix,after-text' },
    parts: { type: 'string', default: 'generous,targets' },
    model: { type: 'string' },
    valid: { type: 'string' },
    seed: { type: 'string', default: '11' },
    results: { type: 'string', default: join('bench', 'RESULTS.md') },
  },
})

interface Task {
  text: string
  span: SpanSpec
  words: number
}

/** Seeded spans of 3-12 words inside documents of at least 80 words, with up to 700 chars of context a side. */
function drawTasks(docs: string[], n: number, seed: number): Task[] {
  const rng = rngStream(seed, 0)
  const tasks: Task[] = []
  const usable = docs.filter((d) => wordCount(d) >= 80)
  for (let tries = 0; tasks.length < n && tries < n * 20; tries++) {
    const doc = usable[Math.floor(rng() * usable.length)]
    const words = [...doc.matchAll(/\S+/g)]
    const w = 3 + Math.floor(rng() * 10)
    const first = 20 + Math.floor(rng() * (words.length - w - 40))
    const from = words[first].index!
    const last = words[first + w - 1]
    const to = last.index! + last[0].length
    if (/\n/.test(doc.slice(from, to))) continue
    const lo = Math.max(0, doc.lastIndexOf(' ', Math.max(0, from - 700)) + 1)
    const hiCut = doc.indexOf(' ', to + 700)
    const hi = hiCut < 0 ? doc.length : hiCut
    tasks.push({ text: doc.slice(lo, hi), span: { id: 's', from: from - lo, to: to - lo }, words: w })
  }
  return tasks
}

interface Row {
  setting: string
  rule: PadRule
  target: string
  fills: number
  medianWords: number
  p10: number
  p90: number
  inRange: number
  below: number
  above: number
  endedEarly: number
  msPerFill: number
}

const TARGETS: { name: string; target: LengthTarget }[] = [
  { name: 'shorter', target: 'shorter' },
  { name: 'same', target: 'same' },
  { name: 'longer', target: 'longer' },
  { name: '2-5 words', target: { minWords: 2, maxWords: 5 } },
]

async function main(): Promise<void> {
  const validPath = args.valid ?? findValidationText(process.cwd())
  if (!validPath) throw new Error(VALIDATION_HELP)
  const loaded = await loadModelDir(args.model ?? defaultModelDir(), { providers: ['cpu'] })
  const model: FillModel = fillModelOf(loaded)
  const tasks = drawTasks(splitDocuments(readFileSync(validPath, 'utf8')), Number(args.tasks), Number(args.seed))
  const C = Number(args.candidates)
  const settingsList: { name: string; settings: SamplingSettings }[] = [
    { name: 'default (threshold 0.9, T 0.7)', settings: { ...DEFAULT_SAMPLING, candidates: C } },
    { name: 'greedy low_confidence, steps = slots, 1 candidate', settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: 1024, temperature: 0, candidates: 1 } },
  ]
  const started = new Date().toISOString()
  const t0 = performance.now()
  const rows: Row[] = []
  const generous: Generous[] = []
  const parts = args.parts!.split(',')
  const rulesPlanned = args.rules!.split(',').length
  const cellsPlanned = (parts.includes('targets') ? rulesPlanned * TARGETS.length : 0) + (parts.includes('generous') ? GENEROUS.length * settingsList.length : 0)
  // A run of one part keeps the other part's figures from the last run (bench/fill-length.json).
  const jsonPath = join('bench', 'fill-length.json')
  const previous = existsSync(jsonPath) ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as { started: string; rows: Row[]; generous: Generous[] }) : null
  if (previous && !parts.includes('targets')) rows.push(...previous.rows)
  if (previous && !parts.includes('generous')) generous.push(...previous.generous)
  const previousStarted = previous && parts.length < 2 ? previous.started : null
  /** Writes what is measured so far (a run cut short still leaves its figures, marked partial). */
  const report = (final: boolean) => {
    const done = rows.length + generous.length
    const section = renderSection({ rows, generous, tasks: tasks.length, C, validPath, started, previousStarted, seconds: (performance.now() - t0) / 1000, model, partial: final ? null : `${done} of ${cellsPlanned} cells` })
    if (final) process.stdout.write(`${section}\n`)
    writeSection(args.results!, 'fill-length', section)
    writeFileSync(join('bench', 'fill-length.json'), `${JSON.stringify({ started, model: model.info.name, tasks: tasks.length, candidates: C, complete: final, rows, generous }, null, 2)}\n`)
  }
  const rules = args.rules!.split(',') as PadRule[]
  // Generous budgets: twice the original's tokens, no target.
  if (parts.includes('generous'))
    for (const { name, settings } of settingsList)
      for (const variant of GENEROUS) {
        let early = 0
        const shares: number[] = []
        for (const [i, task] of tasks.entries()) {
          const originalTokens = model.codec.encode(task.text.slice(task.span.from, task.span.to)).length
          const slots = 2 * originalTokens
          const result = await runFill(model, { requestId: `g${i}`, text: task.text, spans: [{ ...task.span, slots }], locked: [], settings }, {}, { padRule: variant.rule, minShare: variant.minShare })
          for (const c of result.spans[0].candidates) {
            if (c.tokenIds.length < slots) early++
            shares.push(c.tokenIds.length / slots)
          }
        }
        generous.push({ setting: name, rule: variant.rule, floor: variant.label, fills: shares.length, endedEarly: early / shares.length, medianShare: median(shares), p10Share: percentile(shares, 0.1) })
        report(false)
      }
  const room = model.info.maxLength - model.codec.wrap.prefix.length - model.codec.wrap.suffix.length
  for (const { name: tname, target } of parts.includes('targets') ? TARGETS : [])
    for (const { name, settings } of settingsList.slice(0, 1))
      for (const rule of rules) {
        const words: number[] = []
        let inRange = 0
        let below = 0
        let above = 0
        let early = 0
        let ms = 0
        for (const [i, task] of tasks.entries()) {
          const span = { ...task.span, length: target }
          const range = wordRange(target, task.words)
          const request = { requestId: `t${i}`, text: task.text, spans: [span], locked: [], settings }
          const slots = lengthPlans(request, model.codec, room - 16).get('s')!.slots
          const s0 = performance.now()
          const result = await runFill(model, request, {}, { padRule: rule })
          ms += performance.now() - s0
          for (const c of result.spans[0].candidates) {
            const w = wordCount(c.text)
            words.push(w)
            if (w < range.minWords) below++
            else if (w > range.maxWords) above++
            else inRange++
            if (c.tokenIds.length < slots) early++
          }
        }
        const n = words.length
        rows.push({
          setting: name,
          rule,
          target: tname,
          fills: n,
          medianWords: median(words),
          p10: Math.round(percentile(words, 0.1) * 10) / 10,
          p90: Math.round(percentile(words, 0.9) * 10) / 10,
          inRange: inRange / n,
          below: below / n,
          above: above / n,
          endedEarly: early / n,
          msPerFill: ms / tasks.length,
        })
        process.stderr.write(`${name} ${rule} ${tname}: ${(inRange / n * 100).toFixed(0)}% in range\n`)
        report(false)
      }

  await loaded.dispose()
  report(true)
}

interface Generous {
  setting: string
  rule: PadRule
  floor: string
  fills: number
  endedEarly: number
  medianShare: number
  p10Share: number
}

/** Pad rules and floors compared on generous budgets. */
const GENEROUS: { rule: PadRule; minShare: number; label: string }[] = [
  { rule: 'after-text', minShare: 0, label: 'none (the rule before)' },
  { rule: 'suffix', minShare: 0, label: 'none' },
  { rule: 'suffix', minShare: NO_TARGET_MIN_SHARE, label: `${NO_TARGET_MIN_SHARE * 100}% of the budget (engine default)` },
]

interface SectionInput {
  rows: Row[]
  generous: Generous[]
  previousStarted: string | null
  tasks: number
  C: number
  validPath: string
  started: string
  seconds: number
  model: FillModel
  partial: string | null
}

function renderSection({ rows, generous, tasks, C, validPath, started, previousStarted, seconds, model, partial }: SectionInput): string {

  const pct = (x: number) => `${(x * 100).toFixed(0)}%`
  const lines = [
    '## Fill length against the length target',
    '',
    ...(partial ? [`**Partial run: ${partial} measured.**`, ''] : []),
    `Model \`${model.info.name}\` (${relative(process.cwd(), model.info.dir)}, sha256 ${model.info.hash.slice(0, 16)}…), ${tasks} spans of 3-12 words from \`${relative(process.cwd(), validPath)}\` (seed ${args.seed}), ${C} candidates per fill, in process on the CPU.`,
    `Produced by \`npx tsx bench/fill-length.ts --tasks ${args.tasks} --candidates ${C} --rules ${args.rules} --parts ${args.parts}\` on ${started}; ${seconds.toFixed(0)} s in all, on a shared 2-core machine.${previousStarted ? ` The other part's figures are from the run of ${previousStarted} (same tasks and seed).` : ''}`,
    '',
    'Targets in words (original W words): shorter 35-75% of W, same 75-125% (at least W±1), longer 130-200% (at least W+2 to W+4); the budget is the maximum × the tokens per word measured on the span, and the fill may end from the minimum on. "ended early" = the fill used fewer slots than its budget.',
    '',
    '| settings | pad rule | target | fills | words: median (p10-p90) | in range | too short | too long | ended early | ms / fill |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.setting} | ${r.rule} | ${r.target} | ${r.fills} | ${r.medianWords} (${r.p10}-${r.p90}) | ${pct(r.inRange)} | ${pct(r.below)} | ${pct(r.above)} | ${pct(r.endedEarly)} | ${r.msPerFill.toFixed(0)} |`,
    ),
    '',
    'Generous budgets (twice the original\'s tokens, no length target): share of fills that end before the budget, and the share of the budget used (median and 10th percentile). "floor": how much of the budget must be text before the fill may end.',
    '',
    '| settings | pad rule | floor | fills | ended early | budget used: median | p10 |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
    ...generous.map((g) => `| ${g.setting} | ${g.rule} | ${g.floor ?? 'none'} | ${g.fills} | ${pct(g.endedEarly)} | ${pct(g.medianShare)} | ${g.p10Share === undefined ? '–' : pct(g.p10Share)} |`),
    '',
  ]
  return lines.join('\n')
}


main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
