/**
 * Fill length against the writer's length target, where fills end without one, and distinct
 * candidates, on the default model (or --model), in process:
 *
 *   nice -n 15 npx tsx bench/fill-length.ts [--tasks 16] [--candidates 3] [--parts generous,targets]
 *     [--variants peak,absolute,suffix,floor] [--settings default,greedy] [--rounds 0] [--model models/default] [--valid FILE]
 *
 * Tasks: spans of 3-12 whole words drawn (seeded) from validation documents, each with up to
 * 700 characters of context either side.
 * - targets: every span filled with each length target (shorter / same / longer / the
 *   ranges 2-5, 2-3 and 0-2 words) at the app's default settings (threshold 0.9, temperature
 *   0.7); words counted on the candidate's text as the writer counts them.
 * - generous: each span gets a generous budget (twice its original's tokens, no target), at
 *   the default settings and greedy low_confidence, under the engine's rule (the end read
 *   from the first step's pad probabilities, 'first-step') and the rules before ('suffix'
 *   with no floor, and with the 3/4 floor). Reported: where fills end as a share of the
 *   original's words, the share that ends at the floor, and the cascade (a fill whose pads
 *   are revealed in two or more steps, right to left, before any of its text).
 * - distinct (--rounds N): N rounds of C candidates over the tasks, seeds 1..N, mixed one-
 *   and two-span requests, with and without targets, default and greedy settings: rounds
 *   holding two candidates equal on every span, and redraws.
 *
 * Prints Markdown tables, writes them into bench/RESULTS.md between the `fill-length`
 * markers (replacing the previous ones) and the figures into bench/fill-length.json. Rows
 * this run does not measure are kept from that file (each row names the run it comes from;
 * --fresh drops them).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING, type FillRequest, type LengthTarget, type SamplingSettings, type SpanSpec } from '../main/contract'
import { fillModelOf, runFill, type FillModel, type FillOptions } from '../main/engine/fill'
import { wordCount, wordRange } from '../main/engine/length-target'
import { loadModelDir } from '../main/engine/model-dir'
import { defaultModelDir } from '../main/engine/model-paths'
import { rngStream } from '../main/engine/rng'
import { findValidationText, splitDocuments, VALIDATION_HELP } from './corpus'
import { median, percentile } from './stats'
import { writeSection } from './results-section'

const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '16' },
    candidates: { type: 'string', default: '3' },
    parts: { type: 'string', default: 'generous,targets' },
    rounds: { type: 'string', default: '0' },
    variants: { type: 'string', default: 'peak,absolute,suffix,floor' },
    settings: { type: 'string', default: 'default,greedy' },
    targets: { type: 'string', default: 'shorter,same,longer,2-5 words,2-3 words,0-2 words' },
    fresh: { type: 'boolean', default: false },
    model: { type: 'string' },
    valid: { type: 'string' },
    seed: { type: 'string', default: '11' },
    threshold: { type: 'string' },
    results: { type: 'string', default: join('bench', 'RESULTS.md') },
    json: { type: 'string', default: join('bench', 'fill-length.json') },
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
  /** Start of the run that measured it. */
  run: string
  target: string
  fills: number
  medianWords: number
  p10: number
  p90: number
  inRange: number
  below: number
  above: number
  empty: number
  lineBreaks: number
  redraws: number
  msPerFill: number
}

const TARGETS: { name: string; target: LengthTarget }[] = [
  { name: 'shorter', target: 'shorter' },
  { name: 'same', target: 'same' },
  { name: 'longer', target: 'longer' },
  { name: '2-5 words', target: { minWords: 2, maxWords: 5 } },
  { name: '2-3 words', target: { minWords: 2, maxWords: 3 } },
  { name: '0-2 words', target: { minWords: 0, maxWords: 2 } },
]

interface Generous {
  run: string
  setting: string
  rule: string
  fills: number
  /** Words of the fill over words of the original. */
  medianShare: number
  p10Share: number
  p90Share: number
  /** Share of fills whose text ends exactly at the slot the rule's floor allows first. */
  atFloor: number
  /** Share of fills that use their whole budget. */
  wholeBudget: number
  /** Fills whose pads were revealed in two or more steps, right to left, before any of their text. */
  cascades: number
  msPerFill: number
}

/** Rules compared on generous budgets. */
const GENEROUS: { key: string; label: string; options: FillOptions; floorShare: number }[] = [
  { key: 'peak', label: 'model end: first-step pad p ≥ half its peak (engine default)', options: { padRule: 'first-step' }, floorShare: 0 },
  { key: 'absolute', label: 'model end: first-step pad p ≥ 0.5', options: { padRule: 'first-step', endRule: 'absolute' }, floorShare: 0 },
  { key: 'suffix', label: 'suffix, no floor (the cascade)', options: { padRule: 'suffix', minShare: 0, rules: false }, floorShare: 0 },
  { key: 'floor', label: 'suffix, 3/4 floor (the engine before)', options: { padRule: 'suffix', minShare: 0.75, rules: false }, floorShare: 0.75 },
]

interface Distinct {
  run: string
  rounds: number
  candidates: number
  duplicateRounds: number
  duplicatePairs: number
  redrawnRounds: number
  redraws: number
  outOfRange: number
  msPerRound: number
}

async function main(): Promise<void> {
  const validPath = args.valid ?? findValidationText(process.cwd())
  if (!validPath) throw new Error(VALIDATION_HELP)
  const loaded = await loadModelDir(args.model ?? defaultModelDir(), { providers: ['cpu'] })
  const model: FillModel = fillModelOf(loaded)
  const tasks = drawTasks(splitDocuments(readFileSync(validPath, 'utf8')), Number(args.tasks), Number(args.seed))
  const C = Number(args.candidates)
  const endThreshold = args.threshold !== undefined ? Number(args.threshold) : undefined
  const settingsList: { key: string; name: string; settings: SamplingSettings }[] = [
    { key: 'default', name: 'default (threshold 0.9, T 0.7)', settings: { ...DEFAULT_SAMPLING, candidates: C } },
    { key: 'greedy', name: 'greedy low_confidence, steps = slots', settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: 1024, temperature: 0, candidates: C } },
  ]
  const variants = GENEROUS.filter((v) => args.variants!.split(',').includes(v.key))
  const generousSettings = settingsList.filter((s) => args.settings!.split(',').includes(s.key))
  const started = new Date().toISOString()
  const t0 = performance.now()
  const parts = args.parts!.split(',')
  // rows of earlier runs (same model) that this run does not measure again
  const previous = !args.fresh && existsSync(args.json!) ? (JSON.parse(readFileSync(args.json!, 'utf8')) as { hash?: string; rows?: Row[]; generous?: Generous[]; distinct?: Distinct | null }) : null
  const same = previous?.hash === model.info.hash
  const rows: Row[] = same ? (previous!.rows ?? []).filter((r) => r.run && !(parts.includes('targets') && args.targets!.split(',').includes(r.target))) : []
  const generous: Generous[] = same ? (previous!.generous ?? []).filter((g) => g.run && !(parts.includes('generous') && generousSettings.some((s) => s.name === g.setting) && variants.some((v) => v.label === g.rule))) : []
  let distinct: Distinct | null = same && Number(args.rounds) === 0 ? (previous!.distinct ?? null) : null
  const report = (final: boolean) => {
    const section = renderSection({ rows, generous, distinct, tasks: tasks.length, C, validPath, started, seconds: (performance.now() - t0) / 1000, model, partial: !final })
    if (final) process.stdout.write(`${section}\n`)
    writeSection(args.results!, 'fill-length', section)
    writeFileSync(args.json!, `${JSON.stringify({ started, model: model.info.name, hash: model.info.hash, tasks: tasks.length, candidates: C, endThreshold: endThreshold ?? 0.5, complete: final, rows, generous, distinct }, null, 2)}\n`)
  }

  if (parts.includes('generous'))
    for (const { name, settings } of generousSettings)
      for (const variant of variants) {
        const shares: number[] = []
        let atFloor = 0
        let whole = 0
        let cascades = 0
        let ms = 0
        for (const [i, task] of tasks.entries()) {
          const originalTokens = model.codec.encode(task.text.slice(task.span.from, task.span.to)).length
          const slots = 2 * originalTokens
          const floor = Math.max(1, Math.ceil(variant.floorShare * slots))
          const watch = cascadeWatch(C)
          const s0 = performance.now()
          const result = await runFill(model, { requestId: `g${i}`, text: task.text, spans: [{ ...task.span, slots }], locked: [], settings }, { onStep: watch.onStep, onRedraw: watch.onRedraw }, { ...variant.options, endThreshold })
          ms += performance.now() - s0
          for (const [c, cand] of result.spans[0].candidates.entries()) {
            shares.push(wordCount(cand.text) / task.words)
            if (cand.tokenIds.length === floor) atFloor++
            if (cand.tokenIds.length === slots) whole++
            if (watch.cascade(c)) cascades++
          }
        }
        const n = shares.length
        generous.push({ run: started, setting: name, rule: variant.label, fills: n, medianShare: median(shares), p10Share: percentile(shares, 0.1), p90Share: percentile(shares, 0.9), atFloor: atFloor / n, wholeBudget: whole / n, cascades, msPerFill: ms / tasks.length })
        process.stderr.write(`generous ${name} / ${variant.label}: median ${(median(shares) * 100).toFixed(0)}% of the original's words, ${cascades} cascades\n`)
        report(false)
      }

  if (parts.includes('targets'))
    for (const { name: tname, target } of TARGETS.filter((t) => args.targets!.split(',').includes(t.name))) {
      const settings = settingsList[0].settings
      const words: number[] = []
      let inRange = 0
      let below = 0
      let above = 0
      let empty = 0
      let breaks = 0
      let redraws = 0
      let ms = 0
      for (const [i, task] of tasks.entries()) {
        const range = wordRange(target, task.words)
        const request = { requestId: `t${i}`, text: task.text, spans: [{ ...task.span, length: target }], locked: [], settings }
        const s0 = performance.now()
        const result = await runFill(model, request, { onRedraw: () => redraws++ }, { endThreshold })
        ms += performance.now() - s0
        for (const c of result.spans[0].candidates) {
          const w = wordCount(c.text)
          words.push(w)
          if (w < range.minWords) below++
          else if (w > range.maxWords) above++
          else inRange++
          if (c.text === '') empty++
          if (/\n/.test(c.text)) breaks++
        }
      }
      const n = words.length
      rows.push({ run: started, target: tname, fills: n, medianWords: median(words), p10: round1(percentile(words, 0.1)), p90: round1(percentile(words, 0.9)), inRange: inRange / n, below: below / n, above: above / n, empty: empty / n, lineBreaks: breaks / n, redraws, msPerFill: ms / tasks.length })
      process.stderr.write(`target ${tname}: ${((inRange / n) * 100).toFixed(0)}% in range\n`)
      report(false)
    }

  const R = Number(args.rounds)
  if (R > 0)
    distinct = {
      run: started,
      ...(await distinctRounds(model, tasks, R, C, settingsList, (so) => {
        // every 50 rounds: the figures so far, so a run cut short still leaves them
        distinct = { run: started, ...so }
        report(false)
      })),
    }

  await loaded.dispose()
  report(true)
}

/**
 * R rounds of C candidates: round k takes task k (mod the tasks), seed k; every other round
 * adds a second span (the task's span shifted to a later sentence when there is one), every
 * third gives the first span a target, and rounds alternate default and greedy settings.
 * Counts rounds with two candidates equal on every span (by text), and redraws.
 */
async function distinctRounds(
  model: FillModel,
  tasks: Task[],
  R: number,
  C: number,
  settingsList: { settings: SamplingSettings }[],
  progress: (soFar: Omit<Distinct, 'run'>) => void,
): Promise<Omit<Distinct, 'run'>> {
  let duplicateRounds = 0
  let duplicatePairs = 0
  let redrawnRounds = 0
  let redraws = 0
  let outOfRange = 0
  const t0 = performance.now()
  for (let k = 1; k <= R; k++) {
    const task = tasks[k % tasks.length]
    const spans: SpanSpec[] = [{ ...task.span, id: 'a', ...(k % 3 === 0 ? { length: { minWords: 1, maxWords: 3 } } : {}) }]
    // a second span: the two words after the first span's end, two words on
    if (k % 2 === 0) {
      const after = [...task.text.slice(task.span.to).matchAll(/\S+/g)]
      if (after.length >= 5) {
        const from = task.span.to + after[2].index!
        const to = task.span.to + after[3].index! + after[3][0].length
        if (!/\n/.test(task.text.slice(task.span.to, to))) spans.push({ id: 'b', from, to })
      }
    }
    const settings = { ...settingsList[k % 2].settings, candidates: C, seed: k }
    const request: FillRequest = { requestId: `d${k}`, text: task.text, spans, locked: [], settings }
    let r = 0
    const result = await runFill(model, request, { onRedraw: () => r++ })
    const keys = Array.from({ length: C }, (_, c) => result.spans.map((s) => s.candidates[c].text.replace(/\s+/g, ' ').trim()).join('\u0001'))
    let pairs = 0
    for (let a = 0; a < C; a++) for (let b = a + 1; b < C; b++) if (keys[a] === keys[b]) pairs++
    if (pairs > 0) duplicateRounds++
    duplicatePairs += pairs
    if (r > 0) redrawnRounds++
    redraws += r
    for (const s of result.spans) {
      const spec = spans.find((x) => x.id === s.spanId)!
      const range = spec.length ? wordRange(spec.length, wordCount(task.text.slice(spec.from, spec.to))) : { minWords: 1, maxWords: Infinity }
      for (const c of s.candidates) if (wordCount(c.text) < range.minWords || wordCount(c.text) > range.maxWords) outOfRange++
    }
    if (k % 50 === 0) {
      process.stderr.write(`distinct: ${k} rounds, ${duplicateRounds} with duplicates, ${redraws} redraws\n`)
      progress({ rounds: k, candidates: C, duplicateRounds, duplicatePairs, redrawnRounds, redraws, outOfRange, msPerRound: (performance.now() - t0) / k })
    }
  }
  return { rounds: R, candidates: C, duplicateRounds, duplicatePairs, redrawnRounds, redraws, outOfRange, msPerRound: (performance.now() - t0) / R }
}

/**
 * Watches a fill's steps for the cascade: for each candidate, the steps in which pads were
 * revealed before any of its text, and whether each such step's pads lie left of the
 * previous one's (two or more such steps moving right to left is a cascade).
 */
function cascadeWatch(C: number) {
  let padSteps: number[][] = Array.from({ length: C }, () => [])
  let text = new Uint8Array(C)
  let cascaded = new Uint8Array(C)
  return {
    onRedraw: (c: number) => {
      padSteps[c] = []
      text[c] = 0
      cascaded[c] = 0
    },
    onStep: (e: { revealed: { candidate: number; slot: number; pad: boolean }[] }) => {
      const first = new Map<number, number>()
      for (const r of e.revealed) {
        if (!r.pad) {
          text[r.candidate] = 1
          continue
        }
        if (text[r.candidate]) continue
        first.set(r.candidate, Math.min(first.get(r.candidate) ?? Infinity, r.slot))
      }
      for (const [c, slot] of first) {
        const prev = padSteps[c].at(-1)
        padSteps[c].push(slot)
        if (prev !== undefined && slot < prev) cascaded[c] = 1
      }
    },
    cascade: (c: number) => cascaded[c] === 1,
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10

/** A line naming the earlier runs whose rows are kept (same model and tasks), if any. */
function earlierRuns(measured: { run: string }[], started: string): string[] {
  const runs = [...new Set(measured.map((m) => m.run).filter((r) => r !== started))].sort()
  return runs.length > 0 ? [`Rows not measured by this run are kept from the run(s) of ${runs.join(', ')} (same model, tasks and seed; see \`run\` in bench/fill-length.json).`] : []
}

interface SectionInput {
  rows: Row[]
  generous: Generous[]
  distinct: Distinct | null
  tasks: number
  C: number
  validPath: string
  started: string
  seconds: number
  model: FillModel
  partial: boolean
}

function renderSection({ rows, generous, distinct, tasks, C, validPath, started, seconds, model, partial }: SectionInput): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`
  const command = `npx tsx bench/fill-length.ts --tasks ${args.tasks} --candidates ${C} --parts ${args.parts}${Number(args.rounds) > 0 ? ` --rounds ${args.rounds}` : ''}${args.model ? ` --model ${args.model}` : ''}${args.threshold ? ` --threshold ${args.threshold}` : ''}${args.variants !== 'peak,absolute,suffix,floor' ? ` --variants ${args.variants}` : ''}${args.settings !== 'default,greedy' ? ` --settings ${args.settings}` : ''}`
  const lines = [
    '## Fill length against the length target',
    '',
    ...(partial ? ['**Partial run: the figures so far.**', ''] : []),
    `Model \`${model.info.name}\` (${relative(process.cwd(), model.info.dir)}, sha256 ${model.info.hash.slice(0, 16)}…), ${tasks} spans of 3-12 words from \`${relative(process.cwd(), validPath)}\` (seed ${args.seed}), ${C} candidates per fill, in process on the CPU.`,
    `Produced by \`${command}\` on ${started}; ${seconds.toFixed(0)} s in all, on a shared 2-core machine.`,
    ...earlierRuns([...rows, ...generous, ...(distinct ? [distinct] : [])], started),
    '',
  ]
  if (rows.length > 0)
    lines.push(
      'Targets in words (original W words): shorter 35-75% of W, same 75-125% (at least W±1), longer 130-200% (at least W+2 to W+4), or a range; words counted on the candidate\'s text as the writer counts them (runs of non-space characters). Default settings (threshold 0.9, T 0.7). "redraws": rows decoded again (a copy of another candidate, or a count outside the range).',
      '',
      '| target | fills | words: median (p10-p90) | in range | too short | too long | empty | with a line break | redraws | ms / fill |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map((r) => `| ${r.target} | ${r.fills} | ${r.medianWords} (${r.p10}-${r.p90}) | ${pct(r.inRange)} | ${pct(r.below)} | ${pct(r.above)} | ${pct(r.empty)} | ${pct(r.lineBreaks)} | ${r.redraws} | ${r.msPerFill.toFixed(0)} |`),
      '',
    )
  if (generous.length > 0)
    lines.push(
      "Generous budgets (twice the original's tokens, no length target): the fill's words as a share of the original's (median, p10-p90), the share of fills ending exactly at the rule's floor (the first slot a pad may take: the second slot without a floor) and using the whole budget, and cascades (a fill whose pads were revealed in two or more steps, right to left, before any of its text).",
      '',
      "| settings | rule | fills | words / original's: median (p10-p90) | at the floor | whole budget | cascades | ms / fill |",
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...generous.map((g) => `| ${g.setting} | ${g.rule} | ${g.fills} | ${pct(g.medianShare)} (${pct(g.p10Share)}-${pct(g.p90Share)}) | ${pct(g.atFloor)} | ${pct(g.wholeBudget)} | ${g.cascades} | ${g.msPerFill.toFixed(0)} |`),
      '',
    )
  if (distinct)
    lines.push(
      `Distinct candidates: ${distinct.rounds} rounds of ${distinct.candidates} candidates (seeds 1-${distinct.rounds}; one or two spans, a 1-3 word target in a third of them, default and greedy settings alternating): **${distinct.duplicateRounds} rounds with two candidates equal on every span** (${distinct.duplicatePairs} pairs); ${distinct.redrawnRounds} rounds redrew a row (${distinct.redraws} redraws); ${distinct.outOfRange} candidates outside their span's range; ${distinct.msPerRound.toFixed(0)} ms a round.`,
      '',
    )
  return lines.join('\n')
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
