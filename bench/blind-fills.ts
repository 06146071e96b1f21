/**
 * Blind ratings of fills (issues 21 and 22): the same fixed inputs filled by several systems
 * through the real engine process, shuffled into one sheet that names no system, rated 0
 * (nonsense), 1 (grammatical but off) or 2 (a writer could keep it) by a reader who sees
 * only the sheet, then scored per system.
 *
 *   npx tsx bench/blind-fills.ts make --system base=DIR:off --system new=DIR:on \
 *       [--phrases models/train/card-phrase-fills.json] [--book FILE --words 15] [--alternatives 3] \
 *       [--seed 5] --sheet DIR --key DIR
 *   npx tsx bench/blind-fills.ts score --key DIR --ratings FILE
 *
 * Inputs: the phrase inputs of a committed file (`[[+N]]` markup, first candidate rated), and,
 * with --book, one-word tasks: the book's first 70% is the writer's manuscript (sent to the
 * engine as one document) and single words of the last 30% are masked (seeded choice of
 * lower-case words of 3+ letters, one per paragraph), each shown with the sentence around it.
 * A system `NAME=DIR:on` fills with the count experts (and the manuscript), `:off` with the
 * model alone. With --alternatives N the systems with experts also give Other words for each
 * masked word, every alternative rated as an item of its own. The sheet (sheet.md, items.json)
 * and the key (key.json) go to different folders: the reader gets the sheet only.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SAMPLING, type FillRequest } from '../main/contract'
import { parseSpanMarkup } from '../main/cli/span-markup'
import { EngineClient, forkWithNode } from '../main/engine/engine-client'
import { applyBorderedFills } from '../main/engine/span-borders'
import { rngStream } from '../main/engine/rng'

interface SystemSpec {
  name: string
  dir: string
  experts: boolean
}

interface Task {
  id: string
  kind: 'phrase' | 'word'
  /** Text with the span to fill. */
  text: string
  from: number
  to: number
  slots?: number
}

interface Item {
  id: string
  kind: 'phrase' | 'word' | 'alternative'
  /** The passage as the reader sees it, the fill between ⟦ ⟧. */
  shown: string
}

interface KeyEntry {
  system: string
  task: string
  kind: Item['kind']
  fill: string
}

function parseSystem(s: string): SystemSpec {
  const m = /^([\w-]+)=(.+):(on|off)$/.exec(s)
  if (!m) throw new Error(`--system ${s}: expected NAME=DIR:on or NAME=DIR:off`)
  return { name: m[1], dir: resolve(m[2]), experts: m[3] === 'on' }
}

/** Phrase tasks from a committed input file ({ fills: ["... [[+N]] ..."] }). */
function phraseTasks(file: string): Task[] {
  const inputs = (JSON.parse(readFileSync(file, 'utf8')) as { fills: string[] }).fills
  return inputs.map((input, i) => {
    const parsed = parseSpanMarkup(input)
    if (parsed.spans.length !== 1) throw new Error(`${file}: input ${i + 1} has ${parsed.spans.length} spans; one expected`)
    const s = parsed.spans[0]
    return { id: `p${i + 1}`, kind: 'phrase', text: parsed.text, from: s.from, to: s.to, slots: s.slots }
  })
}

/** The book split at 70%: the manuscript, and `n` one-word tasks from the rest (seeded). */
function wordTasks(book: string, n: number, seed: number): { manuscript: string; tasks: Task[] } {
  const cut = book.indexOf('\n', Math.floor(book.length * 0.7))
  const manuscript = book.slice(0, cut)
  const rest = book.slice(cut + 1)
  const paragraphs = rest.split(/\n\s*\n/).filter((p) => p.length >= 120 && p.length <= 1200)
  const rng = rngStream(seed, 77)
  const order = paragraphs.map((p, i) => ({ p, k: rng() })).sort((a, b) => a.k - b.k).map((x) => x.p)
  const tasks: Task[] = []
  for (const p of order) {
    if (tasks.length >= n) break
    const words = [...p.matchAll(/(?<=[\s(])([a-z]{3,})(?=[\s,.;:!?)])/g)]
    if (words.length < 6) continue
    const w = words[Math.floor(rng() * words.length)]
    const text = p.replace(/\s+/g, ' ')
    // the word itself, not the start of a longer one (" the" in " there")
    const whole = new RegExp(`(?<=\\s)${w[1]}(?=[\\s,.;:!?)])`, 'g')
    whole.lastIndex = Math.max(0, (w.index ?? 0) - 40)
    const at = whole.exec(text)?.index ?? -1
    if (at < 0) continue
    tasks.push({ id: `w${tasks.length + 1}`, kind: 'word', text, from: at, to: at + w[1].length })
  }
  if (tasks.length < n) throw new Error(`the book gave ${tasks.length} one-word tasks, ${n} asked`)
  return { manuscript, tasks }
}

/** The sentence(s) around a fill, at most ~260 characters, the fill marked. */
function shown(text: string, from: number, to: number, fill: string, trimBefore: number): string {
  const filled = applyBorderedFills(text, [{ id: 's', from, to }], new Map([['s', { text: `⟦${fill}⟧`, trimBefore }]]))
  const at = filled.indexOf('⟦')
  const end = filled.indexOf('⟧') + 1
  const left = Math.max(0, filled.lastIndexOf('. ', Math.max(0, at - 160)) + 1)
  const right = Math.min(filled.length, end + 140)
  return `${left > 0 ? '…' : ''}${filled.slice(left, right).trim()}${right < filled.length ? '…' : ''}`
}

async function make(values: Record<string, string | string[] | boolean | undefined>): Promise<void> {
  const systems = ((values.system as string[] | undefined) ?? []).map(parseSystem)
  if (systems.length < 2) throw new Error('give at least two --system NAME=DIR:on|off')
  const seed = Number(values.seed ?? 5)
  const tasks: Task[] = values.phrases ? phraseTasks(values.phrases as string) : []
  let manuscript: string | null = null
  if (values.book) {
    const w = wordTasks(readFileSync(values.book as string, 'utf8'), Number(values.words ?? 15), seed)
    manuscript = w.manuscript
    tasks.push(...w.tasks)
  }
  const alternatives = Number(values.alternatives ?? 0)
  const items: (Item & KeyEntry)[] = []
  for (const system of systems) {
    const engine = new EngineClient(forkWithNode())
    engine.start()
    try {
      await engine.loadModel(system.dir)
      if (manuscript && system.experts) engine.setManuscriptDocument('manuscript', manuscript)
      for (const task of tasks) {
        const request: FillRequest = {
          requestId: `${system.name}-${task.id}`,
          text: task.text,
          spans: [{ id: 's', from: task.from, to: task.to, ...(task.slots ? { slots: task.slots } : {}) }],
          locked: [],
          settings: { ...DEFAULT_SAMPLING, seed: 1 },
          experts: system.experts ? { yourWords: 0.5 } : { yourWords: 0, enabled: false },
        }
        const result = await engine.fill(request).result
        const c = result.spans[0].candidates[0]
        items.push({ id: '', kind: task.kind, shown: shown(task.text, task.from, task.to, c.text, c.trimBefore ?? 0), system: system.name, task: task.id, fill: c.text })
        if (task.kind === 'word' && system.experts && alternatives > 0) {
          const alt = await engine.alternatives({ requestId: `${system.name}-${task.id}-alt`, text: task.text, from: task.from, to: task.to, count: alternatives, experts: { yourWords: 0.5 } })
          for (const a of alt.alternatives)
            items.push({ id: '', kind: 'alternative', shown: shown(task.text, task.from, task.to, a.text, 0), system: system.name, task: task.id, fill: a.text })
        }
      }
    } finally {
      await engine.dispose()
    }
  }
  // shuffle, then number: the id says nothing about the system
  const rng = rngStream(seed, 99)
  const order = items.map((it) => ({ it, k: rng() })).sort((a, b) => a.k - b.k).map((x) => x.it)
  order.forEach((it, i) => (it.id = `i${String(i + 1).padStart(3, '0')}`))
  const sheetDir = resolve(values.sheet as string)
  const keyDir = resolve(values.key as string)
  mkdirSync(sheetDir, { recursive: true })
  mkdirSync(keyDir, { recursive: true })
  const sheet = order.map(({ id, kind, shown: s }) => ({ id, kind: kind === 'alternative' ? 'word' : kind, shown: s }))
  writeFileSync(join(sheetDir, 'items.json'), JSON.stringify(sheet, null, 1) + '\n')
  writeFileSync(
    join(sheetDir, 'sheet.md'),
    [
      '# Rate each fill',
      '',
      'Each item is a passage with a fill between ⟦ and ⟧ (a word or a phrase the writing assistant proposed for that place). Rate the fill in its place: 0 = nonsense there, 1 = grammatical but off in meaning or tone, 2 = a writer could keep it. An empty ⟦⟧ means the fill removed the words. Write ratings.json as {"i001": 2, ...}.',
      '',
      ...sheet.map((s) => `- **${s.id}** (${s.kind}): ${s.shown}`),
      '',
    ].join('\n'),
  )
  writeFileSync(join(keyDir, 'key.json'), JSON.stringify(Object.fromEntries(order.map(({ id, system, task, kind, fill }) => [id, { system, task, kind, fill }])), null, 1) + '\n')
  process.stdout.write(`${order.length} items: sheet ${sheetDir}/sheet.md, key ${keyDir}/key.json\n`)
}

function score(values: Record<string, string | string[] | boolean | undefined>): void {
  const key = JSON.parse(readFileSync(join(resolve(values.key as string), 'key.json'), 'utf8')) as Record<string, KeyEntry>
  const ratings = JSON.parse(readFileSync(resolve(values.ratings as string), 'utf8')) as Record<string, number>
  const groups = new Map<string, number[]>()
  for (const [id, k] of Object.entries(key)) {
    const r = ratings[id]
    if (r !== 0 && r !== 1 && r !== 2) throw new Error(`${id}: rating ${String(r)}; 0, 1 or 2 expected`)
    const g = `${k.system} | ${k.kind}`
    groups.set(g, [...(groups.get(g) ?? []), r])
  }
  const lines = ['| system | kind | items | mean rating (0-2) | rated 2 |', '| --- | --- | ---: | ---: | ---: |']
  for (const [g, rs] of [...groups].sort()) {
    const [system, kind] = g.split(' | ')
    lines.push(`| ${system} | ${kind} | ${rs.length} | ${(rs.reduce((a, b) => a + b, 0) / rs.length).toFixed(2)} | ${rs.filter((r) => r === 2).length} |`)
  }
  process.stdout.write(lines.join('\n') + '\n')
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      system: { type: 'string', multiple: true },
      phrases: { type: 'string' },
      book: { type: 'string' },
      words: { type: 'string' },
      alternatives: { type: 'string' },
      seed: { type: 'string' },
      sheet: { type: 'string' },
      key: { type: 'string' },
      ratings: { type: 'string' },
    },
  })
  if (positionals[0] === 'make') {
    if (!values.sheet || !values.key) throw new Error('make needs --sheet DIR and --key DIR')
    await make(values)
  } else if (positionals[0] === 'score') {
    if (!values.key || !values.ratings) throw new Error('score needs --key DIR and --ratings FILE')
    score(values)
  } else throw new Error('usage: blind-fills.ts make|score ... (see the comment at the top of bench/blind-fills.ts)')
}

main().catch((e: unknown) => {
  process.stderr.write(`blind-fills: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
