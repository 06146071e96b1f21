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
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING, type LengthTarget, type SamplingSettings, type SpanSpec } from '../main/contract'
import { fillModelOf, lengthPlans, runFill, type FillModel } from '../main/engine/fill'
import { wordCount, wordRange } from '../main/engine/length-target'
import { loadModelDir } from '../main/engine/model-dir'
import { defaultModelDir } from '../main/engine/model-paths'
import type { PadRule } from '../main/engine/reverse-process'
import { rngStream } from '../main/engine/rng'
import { findValidationText, splitDocuments, VALIDATION_HELP } from './corpus'
import { median, percentile } from './stats'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '10' },
    candidates: { type: 'string', default: '3' },
    rules: { type: 'string', default: 'suffix,after-text' },
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
    { name: 'greedy low_confidence, steps = slots', settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: 1024, temperature: 0, candidates: C } },
  ]
  const started = new Date().toISOString()
  const t0 = performance.now()
  const rows: Row[] = []
  const room = model.info.maxLength - model.codec.wrap.prefix.length - model.codec.wrap.suffix.length
  const rules = args.rules!.split(',') as PadRule[]
  for (const { name, settings } of settingsList.slice(0, 1))
    for (const rule of rules)
      for (const { name: tname, target } of TARGETS) {
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
          p10: percentile(words, 0.1),
          p90: percentile(words, 0.9),
          inRange: inRange / n,
          below: below / n,
          above: above / n,
          endedEarly: early / n,
          msPerFill: ms / tasks.length,
        })
        process.stderr.write(`${name} ${rule} ${tname}: ${(inRange / n * 100).toFixed(0)}% in range\n`)
      }

  // Generous budgets: twice the original's tokens, no target.
  const generous: { setting: string; rule: PadRule; fills: number; endedEarly: number; medianShare: number }[] = []
  for (const { name, settings } of settingsList)
    for (const rule of rules) {
      let early = 0
      const shares: number[] = []
      for (const [i, task] of tasks.entries()) {
        const originalTokens = model.codec.encode(task.text.slice(task.span.from, task.span.to)).length
        const slots = 2 * originalTokens
        const result = await runFill(model, { requestId: `g${i}`, text: task.text, spans: [{ ...task.span, slots }], locked: [], settings }, {}, { padRule: rule })
        for (const c of result.spans[0].candidates) {
          if (c.tokenIds.length < slots) early++
          shares.push(c.tokenIds.length / slots)
        }
      }
      generous.push({ setting: name, rule, fills: shares.length, endedEarly: early / shares.length, medianShare: median(shares) })
    }
  await loaded.dispose()

  const pct = (x: number) => `${(x * 100).toFixed(0)}%`
  const lines = [
    '## Fill length against the length target',
    '',
    `Model \`${model.info.name}\` (${model.info.dir}, sha256 ${model.info.hash.slice(0, 16)}…), ${tasks.length} spans of 3-12 words from \`${validPath}\` (seed ${args.seed}), ${C} candidates per fill, in process on the CPU.`,
    `Produced by \`npx tsx bench/fill-length.ts --tasks ${args.tasks} --candidates ${C} --rules ${args.rules}\` on ${started}; ${((performance.now() - t0) / 1000).toFixed(0)} s in all.`,
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
    'Generous budgets (twice the original\'s tokens, no length target): share of fills that end before the budget, and the median share of the budget used.',
    '',
    '| settings | pad rule | fills | ended early | budget used (median) |',
    '| --- | --- | ---: | ---: | ---: |',
    ...generous.map((g) => `| ${g.setting} | ${g.rule} | ${g.fills} | ${pct(g.endedEarly)} | ${pct(g.medianShare)} |`),
    '',
  ]
  const section = lines.join('\n')
  process.stdout.write(`${section}\n`)
  writeSection(args.results!, section)
  writeFileSync(join('bench', 'fill-length.json'), `${JSON.stringify({ started, model: model.info.name, tasks: tasks.length, candidates: C, rows, generous }, null, 2)}\n`)
}

const BEGIN = '<!-- fill-length:begin -->'
const END = '<!-- fill-length:end -->'

function writeSection(path: string, section: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : ''
  const block = `${BEGIN}\n${section}${END}\n`
  const start = current.indexOf(BEGIN)
  const end = current.indexOf(END)
  const next = start >= 0 && end > start ? current.slice(0, start) + block + current.slice(end + END.length + 1) : `${current.trimEnd()}\n\n${block}`
  writeFileSync(path, next)
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
