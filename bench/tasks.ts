/**
 * The benchmark's infill tasks: a fixed, seeded set of passages from the validation text,
 * each with 1 or more spans of whole words masked and a slot budget per span. A span's
 * original text is drawn between half its budget and its whole budget long (in tokens),
 * then cut back to a word boundary, so the model has to end fills early with padding, as
 * the default model is trained to.
 *
 * `context` is the length of the canvas the model sees (text tokens plus slots), so a
 * 256-token task fills the model's whole window.
 */
import type { FillRequest, SamplingSettings, SpanSpec } from '../main/contract'
import type { Canvas } from '../main/engine/canvas'
import { rngStream, type Rng } from '../main/engine/rng'
import type { TokenizedDoc } from './corpus'

/** One cell of the task grid. */
export interface TaskConfig {
  /** Slot budget of each span. */
  budget: number
  /** Spans per task. */
  spans: number
  /** Canvas length in tokens (text + slots). */
  context: number
}

export interface BenchTask {
  id: string
  config: TaskConfig
  text: string
  spans: Required<Omit<SpanSpec, 'length'>>[]
}

/** Name of a grid cell, e.g. "b32×1 @256". */
export function configName(c: TaskConfig): string {
  return `b${c.budget}×${c.spans} @${c.context}`
}

/**
 * The grid: budgets × span counts × contexts, leaving out cells whose slots would take more
 * than half the canvas (32×4 slots in 128 tokens, 128 slots in 128 tokens, 4×128 anywhere).
 */
export function taskGrid(budgets: readonly number[], spanCounts: readonly number[], contexts: readonly number[]): { used: TaskConfig[]; skipped: TaskConfig[] } {
  const used: TaskConfig[] = []
  const skipped: TaskConfig[] = []
  for (const context of contexts)
    for (const budget of budgets)
      for (const spans of spanCounts) (budget * spans * 2 <= context ? used : skipped).push({ budget, spans, context })
  return { used, skipped }
}

const startsWord = (doc: TokenizedDoc, i: number) => doc.text.charCodeAt(doc.starts[i]) === 32
/** A span may end before token i: i starts a word, is a line break, or is the window end. */
const endsWord = (doc: TokenizedDoc, i: number, windowEnd: number) =>
  i === windowEnd || startsWord(doc, i) || doc.text.charCodeAt(doc.starts[i]) === 10

/** One task for `config` from `docs`, or null when this draw found no fitting place. */
function drawTask(docs: readonly TokenizedDoc[], config: TaskConfig, rng: Rng, id: string): BenchTask | null {
  const { budget, spans: k, context } = config
  const lengths = Array.from({ length: k }, () => budget - Math.floor(rng() * (Math.floor(budget / 2) + 1)))
  const textTokens = context - lengths.reduce((n, L) => n + (budget - L), 0)
  const doc = docs[Math.floor(rng() * docs.length)]
  if (doc.ids.length < textTokens + 2) return null
  let w = Math.floor(rng() * (doc.ids.length - textTokens))
  while (w < doc.ids.length - textTokens && !startsWord(doc, w)) w++
  const end = w + textTokens
  if (end > doc.ids.length) return null
  const seg = Math.floor(textTokens / k)
  const base = doc.starts[w] + (doc.text.charCodeAt(doc.starts[w]) === 32 ? 1 : 0)
  const spans: Required<Omit<SpanSpec, 'length'>>[] = []
  for (let i = 0; i < k; i++) {
    const lo = w + i * seg + 1
    const segEnd = i === k - 1 ? end : w + (i + 1) * seg
    const hi = segEnd - lengths[i] - 1
    if (hi < lo) return null
    let s = lo + Math.floor(rng() * (hi - lo + 1))
    while (s < segEnd - 1 && !startsWord(doc, s)) s++
    if (!startsWord(doc, s)) return null
    // The longest whole-word run of at most lengths[i] tokens, else the shortest one within budget.
    let e = -1
    for (let j = Math.min(s + lengths[i], segEnd); j > s; j--)
      if (endsWord(doc, j, end)) {
        e = j
        break
      }
    if (e < 0)
      for (let j = s + lengths[i] + 1; j <= Math.min(s + budget, segEnd); j++)
        if (endsWord(doc, j, end)) {
          e = j
          break
        }
    if (e < 0) return null
    const to = e === end ? doc.ends[end - 1] : doc.starts[e]
    spans.push({ id: `s${i}`, from: doc.starts[s] + 1 - base, to: to - base, slots: budget })
  }
  return { id, config, text: doc.text.slice(base, doc.ends[end - 1]), spans }
}

/**
 * `perConfig` tasks for every config, drawn with a seeded RNG: the same docs, configs
 * and seed give the same tasks. `accept` can refuse a draw (the bench refuses tasks whose
 * canvas would not fit one window). Throws when no place is found for a config.
 */
export function sampleTasks(
  docs: readonly TokenizedDoc[],
  configs: readonly TaskConfig[],
  perConfig: number,
  seed: number,
  accept: (task: BenchTask) => boolean = () => true,
): BenchTask[] {
  if (docs.length === 0) throw new Error('no validation documents to draw tasks from')
  const tasks: BenchTask[] = []
  configs.forEach((config, ci) => {
    const rng = rngStream(seed, 1000 + ci)
    for (let n = 0, tries = 0; n < perConfig; tries++) {
      if (tries > 200 * perConfig) throw new Error(`could not place ${configName(config)} tasks in the validation text (documents too short?)`)
      const t = drawTask(docs, config, rng, `${configName(config)} #${n + 1}`)
      if (t && accept(t)) {
        tasks.push(t)
        n++
      }
    }
  })
  return tasks
}

/** The fill request of a task. */
export function taskRequest(task: BenchTask, settings: SamplingSettings, requestId: string): FillRequest {
  return { requestId, text: task.text, spans: task.spans, locked: [], settings }
}

/** Total slots of a task (the tokens a fill decides). */
export function taskSlots(task: BenchTask): number {
  return task.spans.reduce((n, s) => n + s.slots, 0)
}

/**
 * What each span's slots should hold: the original tokens the canvas found for it, then
 * padding up to the budget (cut to the budget if the original is longer).
 */
export function spanTargets(canvas: Canvas, padId: number): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>()
  for (const s of canvas.spans) {
    const t = new Int32Array(s.slots).fill(padId)
    for (let k = 0; k < Math.min(s.slots, s.originalIds.length); k++) t[k] = s.originalIds[k]
    out.set(s.id, t)
  }
  return out
}

export interface FillScore {
  /** Slots equal to their target, position by position. */
  correct: number
  slots: number
  /** Spans whose every slot matched. */
  exactSpans: number
  spans: number
  /** Slots whose target is a text token (not padding), and how many of those matched. */
  textSlots: number
  textCorrect: number
  /** Spans filled with padding only (an empty fill). */
  emptySpans: number
}

/**
 * Position-wise exact match of filled slots against their targets (pad counts as a token),
 * and the same over the slots whose target is text.
 */
export function scoreFill(targets: ReadonlyMap<string, Int32Array>, filled: ReadonlyMap<string, Int32Array>, padId: number): FillScore {
  const s: FillScore = { correct: 0, slots: 0, exactSpans: 0, spans: targets.size, textSlots: 0, textCorrect: 0, emptySpans: 0 }
  for (const [id, target] of targets) {
    const got = filled.get(id)
    let right = 0
    for (let k = 0; k < target.length; k++) {
      const hit = !!got && got[k] === target[k]
      if (hit) right++
      if (target[k] !== padId) {
        s.textSlots++
        if (hit) s.textCorrect++
      }
    }
    s.correct += right
    s.slots += target.length
    if (right === target.length) s.exactSpans++
    if (got && got.every((t) => t === padId)) s.emptySpans++
  }
  return s
}
