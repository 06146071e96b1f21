/**
 * `npm run bench:tune -- [--sizes 100,300,1000] [--fresh 100] [--model DIR] [--valid FILE]
 *   [--seed N] [--out DIR] [--tune="extra model:tune options"] [--keep]`
 *
 * Does tuning on the writer's decisions teach the model their taste? The simulated writer
 * (bench/tune-writer.ts, taste: terse) masks spans of held-out text, has the base model fill
 * them through the real engine (its own process), decides through the real preference store
 * (a SQLite file per size) and exports. For each size N the first N decisions are tuned on
 * with npm run model:tune (VRPO), and the table compares base and tuned:
 * - acceptance rate on fresh held-out spans (other documents than the decided ones);
 * - held-out pair accuracy and mean margin (tune.py's held-out share of the N decisions);
 * - masked-token accuracy on the validation split (the forgetting guard: the first
 *   documents of valid.txt, which the writer never masks);
 * - CPU time of the tuning run.
 * Prints the table with the targets marked met / not met, and writes bench/TUNE.md and
 * bench/tune-results.json.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING, type DecisionInput, type FillRequest, type SamplingSettings } from '../main/contract'
import { EngineClient, forkWithNode } from '../main/engine/engine-client'
import { PreferenceStore } from '../main/store/preference-store'
import { runTuneCommand } from '../main/tune/tune-cli'
import { countWords, decide, makeTasks, type WriterTask } from './tune-writer'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

const TARGETS = { acceptanceGainAt300: 15, validDropMax: 1, tuneMinutesAt300: 10 }

interface Figures {
  n: number
  decisions: number
  pairs: number
  accepted: number
  fresh: number
  acceptance: number
  meanWords: number
  pairAccBefore: number | null
  pairAccAfter: number | null
  marginBefore: number | null
  marginAfter: number | null
  heldoutPairs: number
  validBefore: number | null
  validAfter: number | null
  cpuSeconds: number
  wallSeconds: number
  stopped: string
}

function log(msg: string): void {
  process.stderr.write(`[bench:tune ${new Date().toISOString().slice(11, 19)}] ${msg}\n`)
}

/** Documents of a split file (pipeline's corpus.read_split: blank-line separated). */
function readDocs(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n\n')
    .filter((d) => d.trim() !== '')
}

function settingsFor(seed: number): SamplingSettings {
  return { ...DEFAULT_SAMPLING, seed, candidates: 3 }
}

function requestOf(task: WriterTask, seed: number): FillRequest {
  return { requestId: task.id, text: task.text, spans: [{ id: 's', from: task.from, to: task.to }], locked: [], settings: settingsFor(seed) }
}

async function fillCandidates(engine: EngineClient, task: WriterTask, seed: number): Promise<string[]> {
  const { result } = engine.fill(requestOf(task, seed))
  const done = await result
  return done.spans[0].candidates.map((c) => c.text)
}

/** The writer's decisions on `tasks` filled by the loaded model. */
async function writerDecisions(engine: EngineClient, tasks: WriterTask[], seed: number, model: { name: string; hash: string }, what: string) {
  const out: { input: DecisionInput; candidates: string[] }[] = []
  const started = performance.now()
  for (const [i, t] of tasks.entries()) {
    const candidates = await fillCandidates(engine, t, seed + i)
    const original = t.text.slice(t.from, t.to)
    const d = decide(original, candidates)
    const now = new Date().toISOString()
    out.push({
      candidates,
      input: {
        documentId: `bench-${t.id}`,
        requestId: t.id,
        spanId: 's',
        prefix: t.text.slice(0, t.from),
        suffix: t.text.slice(t.to),
        spanOriginal: original,
        candidates,
        action: d.action,
        chosenIndex: d.chosenIndex,
        finalText: d.finalText,
        model,
        sampling: settingsFor(seed + i),
        shownAt: now,
        decidedAt: now,
      },
    })
    if ((i + 1) % 50 === 0) log(`${what}: ${i + 1}/${tasks.length} fills (${((performance.now() - started) / 1000).toFixed(0)} s)`)
  }
  return out
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`
}

function num(x: number | null, d = 2): string {
  return x === null ? 'n/a' : x.toFixed(d)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      fresh: { type: 'string' },
      model: { type: 'string' },
      valid: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      tune: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0] + '*/\n')
    return
  }
  const sizes = (values.sizes ?? '100,300,1000').split(',').map((s) => Number(s.trim()))
  if (sizes.some((n) => !Number.isInteger(n) || n < 10)) throw new Error(`--sizes ${values.sizes}: expected whole numbers of decisions, each at least 10`)
  const fresh = Number(values.fresh ?? 100)
  const seed = Number(values.seed ?? 7)
  const modelDir = resolve(values.model ?? join(root, 'models', 'default'))
  const validFile = resolve(values.valid ?? join(root, 'models', 'train', 'work', 'valid.txt'))
  const outDir = resolve(values.out ?? join(root, 'bench'))
  if (!existsSync(validFile)) throw new Error(`${validFile} does not exist: the validation split of the training pipeline (npm run model:train writes it); or pass --valid FILE`)
  const validIds = join(dirname(validFile), 'valid_ids.npy')
  const extraTune = (values.tune ?? '').split(/\s+/).filter(Boolean)

  // Held-out text: the first documents (60% of the characters) are the forgetting guard;
  // the writer decides on the next two thirds of the rest and is measured on the last third.
  const docs = readDocs(validFile)
  const totalChars = docs.reduce((n, d) => n + d.length, 0)
  let guardDocs = 0
  for (let c = 0; guardDocs < docs.length && c < 0.6 * totalChars; guardDocs++) c += docs[guardDocs].length
  const writerDocs = docs.slice(guardDocs)
  const cut = Math.floor((writerDocs.length * 2) / 3)
  const maxN = Math.max(...sizes)
  const decisionTasks = makeTasks(writerDocs.slice(0, cut), maxN, seed, 'd')
  const freshTasks = makeTasks(writerDocs.slice(cut), fresh, seed + 1, 'f')
  log(`valid.txt: ${docs.length} documents; guard = first ${guardDocs}; writer decides on ${cut}, fresh spans from ${writerDocs.length - cut}`)

  const work = mkdtempSync(join(tmpdir(), 'bench-tune-'))
  const engine = new EngineClient(forkWithNode())
  const rows: Figures[] = []
  const load0 = loadavg()[0]
  try {
    engine.start()
    const base = await engine.loadModel(modelDir)
    const baseModel = { name: base.name, hash: base.hash }
    log(`base model ${base.name} (${base.hash.slice(0, 12)}); ${maxN} decisions, ${fresh} fresh spans`)
    const decided = await writerDecisions(engine, decisionTasks, seed * 1000, baseModel, 'decisions')
    const freshBase = await writerDecisions(engine, freshTasks, seed * 1000 + 500_000, baseModel, 'fresh spans (base)')
    const acceptanceOf = (ds: typeof freshBase) => ds.filter((d) => d.input.action === 'accepted').length
    const meanWords = (ds: typeof freshBase) => ds.reduce((n, d) => n + d.candidates.reduce((m, c) => m + countWords(c), 0) / d.candidates.length, 0) / ds.length
    const baseAccepted = acceptanceOf(freshBase)
    log(`base: ${baseAccepted}/${fresh} fresh spans accepted; decisions: ${['accepted', 'accepted_edited', 'rejected_all'].map((a) => `${a} ${decided.filter((d) => d.input.action === a).length}`).join(', ')}`)

    const report = (final: boolean) => {
    const baseRate = baseAccepted / fresh
    const lines: string[] = []
    lines.push(`Simulated writer (taste: terse, a fill at most 3/4 of the masked words), ${fresh} fresh held-out spans, 3 candidates each.`)
    lines.push(`Base model ${base.name}: acceptance ${pct(baseRate)} (${baseAccepted}/${fresh}), mean ${meanWords(freshBase).toFixed(2)} words a candidate.`)
    lines.push('')
    lines.push('| N decisions | pairs | acceptance (base -> tuned) | held-out pair acc. (before -> after) | mean margin (before -> after) | valid masked-token acc. (before -> after) | tune CPU s (wall s) |')
    lines.push('|---|---|---|---|---|---|---|')
    for (const r of rows) {
      lines.push(
        `| ${r.n} | ${r.pairs} | ${pct(baseRate)} -> ${pct(r.acceptance)} (${r.meanWords.toFixed(2)} words) | ${pct(r.pairAccBefore)} -> ${pct(r.pairAccAfter)} (${r.heldoutPairs} pairs) | ${num(r.marginBefore)} -> ${num(r.marginAfter)} | ${pct(r.validBefore)} -> ${pct(r.validAfter)} | ${r.cpuSeconds.toFixed(0)} (${r.wallSeconds.toFixed(0)}) |`,
      )
    }
    lines.push('')
    const at300 = rows.find((r) => r.n === 300)
    const mark = (ok: boolean | null) => (ok === null ? 'NOT MEASURED' : ok ? 'MET' : 'NOT MET')
    const gain = at300 ? 100 * (at300.acceptance - baseRate) : null
    lines.push(`- Target: acceptance +${TARGETS.acceptanceGainAt300} points after 300 decisions: ${gain === null ? 'n/a' : `${gain >= 0 ? '+' : ''}${gain.toFixed(1)} points`} -> ${mark(gain === null ? null : gain >= TARGETS.acceptanceGainAt300)}`)
    const drops = rows.filter((r) => r.validBefore !== null && r.validAfter !== null).map((r) => 100 * (r.validBefore! - r.validAfter!))
    const worst = drops.length ? Math.max(...drops) : null
    lines.push(`- Target: validation accuracy drops at most ${TARGETS.validDropMax} point: worst drop ${worst === null ? 'n/a' : `${worst.toFixed(2)} points`} -> ${mark(worst === null ? null : worst <= TARGETS.validDropMax)}`)
    lines.push(`- Target: 300 decisions tune in under ${TARGETS.tuneMinutesAt300} min: ${at300 ? `${(at300.cpuSeconds / 60).toFixed(1)} CPU min, ${(at300.wallSeconds / 60).toFixed(1)} min wall` : 'n/a'} -> ${mark(at300 ? at300.wallSeconds / 60 <= TARGETS.tuneMinutesAt300 : null)}`)
    const notRun = [100, 300, 1000].filter((n) => !rows.some((r) => r.n === n))
    lines.push('')
    lines.push(`Machine: ${cpus().length} cores, load average ${load0.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (shared with other work).` + (notRun.length ? ` Sizes not run here: ${notRun.join(', ')}.` : ''))
    lines.push(`Command: \`npm run bench:tune -- ${process.argv.slice(2).map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}\``)
    const table = lines.join('\n')
    if (final) process.stdout.write(table + '\n')
    mkdirSync(outDir, { recursive: true })
    writeFileSync(join(outDir, 'TUNE.md'), `# bench:tune\n\n${table}\n`)
    writeFileSync(
      join(outDir, 'tune-results.json'),
      JSON.stringify({ base: { name: base.name, hash: base.hash, accepted: baseAccepted, fresh, meanWords: meanWords(freshBase) }, rows, guardDocs, seed, sizes, measuredAt: new Date().toISOString() }, null, 1) + '\n',
    )
    }

    for (const n of sizes) {
      const db = join(work, `prefs-${n}.sqlite`)
      const store = PreferenceStore.open(db)
      for (const d of decided.slice(0, n)) {
        const r = store.log(d.input)
        if (!r.logged) throw new Error(`the store did not log a decision: ${r.message}`)
      }
      const prefs = join(work, `prefs-${n}.jsonl`)
      const { lines } = store.export('standard', prefs)
      store.close()
      const tuned = join(work, `tuned-${n}`)
      log(`N=${n}: ${lines} pairs exported; tuning (npm run model:tune)`)
      const code = runTuneCommand(['--prefs', prefs, '--from', modelDir, '--out', tuned, '--valid-ids', validIds, '--guard-docs', String(guardDocs), ...extraTune])
      if (code !== 0) throw new Error(`model:tune exited with ${code} for N=${n}`)
      const t = JSON.parse(readFileSync(join(tuned, 'manifest.json'), 'utf8')).tuning
      await engine.loadModel(tuned)
      const freshTuned = await writerDecisions(engine, freshTasks, seed * 1000 + 500_000, baseModel, `fresh spans (tuned on ${n})`)
      const f = t.figures
      rows.push({
        n,
        decisions: t.data.decisions,
        pairs: t.data.pairs,
        accepted: acceptanceOf(freshTuned),
        fresh,
        acceptance: acceptanceOf(freshTuned) / fresh,
        meanWords: meanWords(freshTuned),
        pairAccBefore: f.heldoutPairAccuracyBefore,
        pairAccAfter: f.heldoutPairAccuracyAfter,
        marginBefore: f.heldoutMeanMarginBefore,
        marginAfter: f.heldoutMeanMarginAfter,
        heldoutPairs: f.heldoutPairs,
        validBefore: f.validMaskedTokenAccuracy15Before,
        validAfter: f.validMaskedTokenAccuracy15After,
        cpuSeconds: f.cpuSeconds,
        wallSeconds: f.wallSeconds,
        stopped: t.stopped,
      })
      await engine.loadModel(modelDir)
      report(false)
    }

    report(true)
    log(`wrote ${relative(root, join(outDir, 'TUNE.md'))} and tune-results.json`)
  } finally {
    await engine.dispose()
    if (values.keep) log(`kept the exports and tuned models in ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
}

main().catch((e) => {
  process.stderr.write(`bench:tune: ${(e as Error).message}\n`)
  process.exitCode = 1
})
