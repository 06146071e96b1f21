/**
 * Speed a writer can plan for: per-step latency and a typical fill on a graph the size and
 * shape of ModernBERT-base (22 layers, hidden 768, vocab 50368; random weights from
 * bench/modernbert-graph.py), fp32 against dynamic int8, on this machine's CPU, through the
 * engine's own loader (loadModelDir: same provider choice and session options as the app).
 *
 *   nice -n 15 /usr/bin/python3 bench/modernbert-graph.py        # once: bench/tmp/modernbert/*.onnx
 *   nice -n 15 npx tsx bench/modernbert-speed.ts [--dir bench/tmp/modernbert] [--reps 3] [--variants fp32,int8]
 *
 * Prints a Markdown section, writes it into bench/RESULTS.md between the
 * `modernbert-speed` markers (replacing the previous one) and the figures into
 * bench/modernbert-speed.json.
 *
 * A model directory per variant is assembled next to the graphs: the graph hard-linked as
 * model.onnx, a WordPiece tokenizer.json with 50368 entries ([PAD] [UNK] [CLS] [SEP] [MASK]
 * and made-up words t5…t50367) and a config.json (ModernBERT's 8192-token context), so the
 * engine loads it like any Optimum fill-mask export. The weights are random, so threshold
 * decoding never reaches its threshold and reveals one slot per step: the typical fill runs
 * its planned worst case, one forward pass per slot.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING, type FillRequest } from '../main/contract'
import { fillModelOf, runFill } from '../main/engine/fill'
import { loadModelDir, type LoadedModel } from '../main/engine/model-dir'
import { plannedSteps } from '../main/engine/reverse-process'
import { median } from './stats'
import { writeSection } from './results-section'

const VOCAB = 50368
const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
const SHAPES: readonly [batch: number, length: number][] = [
  [1, 128],
  [1, 512],
  [3, 256],
]

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: join('bench', 'tmp', 'modernbert') },
    reps: { type: 'string', default: '3' },
    variants: { type: 'string', default: 'fp32,int8' },
    'fill-slots': { type: 'string', default: '12' },
    results: { type: 'string', default: join('bench', 'RESULTS.md') },
  },
})

function tokenizerJson(): object {
  const vocab: Record<string, number> = {}
  SPECIALS.forEach((t, i) => (vocab[t] = i))
  for (let i = SPECIALS.length; i < VOCAB; i++) vocab[`t${i}`] = i
  const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })
  const tmpl = (id: string) => ({ SpecialToken: { id, type_id: 0 } })
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((t, i) => special(t, i)),
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [tmpl('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, tmpl('[SEP]')],
      pair: [tmpl('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, tmpl('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, tmpl('[SEP]')],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: false },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  }
}

/** The model directory for one variant (graph hard-linked, tokenizer and config written once). */
function modelDirFor(dir: string, variant: string): string {
  const graph = join(dir, `model_${variant}.onnx`)
  if (!existsSync(graph)) throw new Error(`${graph} is missing: run  nice -n 15 /usr/bin/python3 bench/modernbert-graph.py  first`)
  const out = join(dir, `dir-${variant}`)
  mkdirSync(out, { recursive: true })
  if (!existsSync(join(out, 'model.onnx'))) linkSync(graph, join(out, 'model.onnx'))
  writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(tokenizerJson()))
  writeFileSync(
    join(out, 'config.json'),
    JSON.stringify({ model_type: 'modernbert', _name_or_path: `modernbert-base-shaped-random-${variant}`, max_position_embeddings: 8192, vocab_size: VOCAB, pad_token_id: 0 }),
  )
  return out
}

/** A paragraph of `words` made-up words, each one token. */
function paragraph(words: number, seed: number): string {
  const out: string[] = []
  let x = seed
  for (let i = 0; i < words; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    out.push(`t${SPECIALS.length + (x % (VOCAB - SPECIALS.length))}`)
  }
  return out.join(' ')
}

async function timeStep(model: LoadedModel, batch: number, length: number, reps: number): Promise<number[]> {
  const ids = new BigInt64Array(batch * length)
  for (let i = 0; i < ids.length; i++) ids[i] = BigInt(SPECIALS.length + ((i * 7919) % (VOCAB - SPECIALS.length)))
  await model.denoiser.run(ids, batch, length) // warm-up: first run allocates and plans
  const ms: number[] = []
  for (let r = 0; r < reps; r++) {
    const t = performance.now()
    await model.denoiser.run(ids, batch, length)
    ms.push(performance.now() - t)
  }
  return ms
}

interface VariantFigures {
  variant: string
  fileBytes: number
  loadMs: number
  provider: string
  steps: { batch: number; length: number; msMedian: number; ms: number[] }[]
  fill: { windowTokens: number; slots: number; candidates: number; plannedSteps: number; forwardPasses: number; ms: number; msPerStep: number }
}

async function measure(dir: string, variant: string, reps: number, fillSlots: number): Promise<VariantFigures> {
  const modelDir = modelDirFor(dir, variant)
  const t0 = performance.now()
  // CPU on purpose: the figures are for this machine's CPU (and a GPU provider tried first would time something else).
  const model = await loadModelDir(modelDir, { providers: ['cpu'] })
  const loadMs = performance.now() - t0
  try {
    const steps: VariantFigures['steps'] = []
    for (const [batch, length] of SHAPES) {
      const ms = await timeStep(model, batch, length, reps)
      steps.push({ batch, length, ms, msMedian: median(ms) })
      console.log(`${variant} [${batch}×${length}] ${ms.map((m) => m.toFixed(0)).join(' ')} ms`)
    }
    // A typical fill: one masked phrase in a 250-word paragraph, the app's default sampling (3 candidates).
    const text = paragraph(250, 11)
    const words = text.split(' ')
    const from = words.slice(0, 120).join(' ').length + 1
    const to = from + words.slice(120, 120 + fillSlots).join(' ').length
    const request: FillRequest = {
      requestId: `bench-${variant}`,
      text,
      spans: [{ id: 's', from, to, slots: fillSlots }],
      locked: [],
      settings: { ...DEFAULT_SAMPLING },
    }
    const t1 = performance.now()
    const result = await runFill(fillModelOf(model), request)
    const fillMs = performance.now() - t1
    const figures = {
      windowTokens: words.length + 2,
      slots: fillSlots,
      candidates: DEFAULT_SAMPLING.candidates,
      plannedSteps: plannedSteps(fillSlots, DEFAULT_SAMPLING),
      forwardPasses: result.forwardPasses,
      ms: fillMs,
      msPerStep: fillMs / Math.max(1, result.forwardPasses),
    }
    console.log(`${variant} fill: ${figures.forwardPasses} passes, ${fillMs.toFixed(0)} ms`)
    return { variant, fileBytes: statSync(join(modelDir, 'model.onnx')).size, loadMs, provider: model.info.provider, steps, fill: figures }
  } finally {
    await model.dispose()
  }
}

function markdown(figures: VariantFigures[], meta: { date: string; cpu: string; cores: number; load: string; reps: number; params: number | null }): string {
  const sec = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`)
  const lines = [
    '## ModernBERT-base-sized graph: fp32 against int8 (`bench/modernbert-speed.ts`)',
    '',
    `A graph of ModernBERT-base's shape (22 layers, hidden 768, 12 heads, GeGLU 1152, vocab 50368${meta.params ? `, ${(meta.params / 1e6).toFixed(1)}M parameters` : ''}) with random weights, built by \`bench/modernbert-graph.py\`; int8 is dynamic quantization of every linear layer (DynamicQuantizeLinear + MatMulInteger, int8 weights), embeddings float32. Loaded through the engine's loader (${figures[0]?.provider ?? 'cpu'} provider, graph optimizations on). Run at \`nice -n 15\` on ${meta.cpu}, ${meta.cores} cores shared with other work, ${meta.date}. Step times: median of ${meta.reps} runs after one warm-up.`,
    '',
    '| | ' + figures.map((f) => f.variant).join(' | ') + ' |',
    '| --- |' + figures.map(() => ' ---: |').join(''),
    '| graph file | ' + figures.map((f) => `${(f.fileBytes / 1e6).toFixed(0)} MB`).join(' | ') + ' |',
    '| load (read, hash, session, probe) | ' + figures.map((f) => sec(f.loadMs)).join(' | ') + ' |',
    ...SHAPES.map(([b, l], i) => `| one step, batch ${b} × ${l} tokens | ` + figures.map((f) => sec(f.steps[i].msMedian)).join(' | ') + ' |'),
    `| typical fill: ${figures[0]?.fill.slots} slots in a ${figures[0]?.fill.windowTokens}-token window, ${figures[0]?.fill.candidates} candidates, threshold 0.9 | ` +
      figures.map((f) => `${sec(f.fill.ms)} (${f.fill.forwardPasses} steps, ${sec(f.fill.msPerStep)} / step)`).join(' | ') +
      ' |',
    '',
  ]
  if (figures.length === 2) {
    const [a, b] = figures
    lines.push(
      `int8 against fp32: ${SHAPES.map(([bt, l], i) => `${(a.steps[i].msMedian / b.steps[i].msMedian).toFixed(2)}× faster at ${bt}×${l}`).join(', ')}; the typical fill ${(a.fill.ms / b.fill.ms).toFixed(2)}× faster.`,
      '',
    )
  }
  lines.push(
    `Contention: ${meta.load}. With more runnable threads than cores the figures measure this machine's share for the bench as much as the graph; compare fp32 and int8 only from runs on an idle machine.`,
    '',
    'Random weights never reach the 0.9 threshold, so the fill takes its planned worst case, one step per slot; a trained model reveals several slots in some steps and finishes sooner. The app estimates a fill before it starts as the measured time per step of the last fill on the same model × the planned steps.',
    '',
  )
  return lines.join('\n')
}


async function main(): Promise<void> {
  const reps = Number(args.reps)
  const fillSlots = Number(args['fill-slots'])
  const variants = args.variants!.split(',').map((v) => v.trim())
  const started = new Date().toISOString()
  const load = loadavg().map((x) => x.toFixed(2)).join(' ')
  const figures: VariantFigures[] = []
  const loads: string[] = []
  for (const v of variants) {
    loads.push(`${v} started at load average ${loadavg()[0].toFixed(2)}`)
    figures.push(await measure(args.dir!, v, reps, fillSlots))
  }
  loads.push(`${loadavg()[0].toFixed(2)} at the end (1-minute load averages, ${cpus().length} cores)`)
  const graphInfo = existsSync(join(args.dir!, 'graph.json')) ? (JSON.parse(readFileSync(join(args.dir!, 'graph.json'), 'utf8')) as { parameters?: number }) : {}
  const section = markdown(figures, { date: started, cpu: cpus()[0]?.model ?? 'unknown CPU', cores: cpus().length, load: loads.join('; '), reps, params: graphInfo.parameters ?? null })
  console.log(`\n${section}`)
  writeFileSync(join('bench', 'modernbert-speed.json'), `${JSON.stringify({ started, load, figures }, null, 2)}\n`)
  writeSection(args.results!, 'modernbert-speed', section)
  console.log(`wrote bench/modernbert-speed.json and the section in ${args.results}`)
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err))
  process.exit(1)
})
