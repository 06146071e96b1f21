/**
 * Lengths as hard constraints and distinct candidates on the real default model (issue 23
 * item 1, issue 22 item 3), in the engine and through `npm run infill -- --length ...`:
 * Shorter on a 16-word sentence gives only 6-12-word candidates and a 2-3 word range only
 * 2-3-word candidates, over 10 seeds each; no candidate starts with (or holds) a line break
 * its original lacks; rounds of 3 candidates over mixed spans and seeds hold no two equal.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillRequest, type SpanSpec } from '../contract'
import { fillModelOf, runFill, type FillModel } from './fill'
import { wordCount } from './length-target'
import { loadModelDir, type LoadedModel } from './model-dir'
import { defaultModelDir, resolveAppRoot } from './model-paths'

const modelDir = defaultModelDir()
const haveModel = ['model.onnx', 'tokenizer.json', 'manifest.json'].every((f) => existsSync(join(modelDir, f)))
const run = promisify(execFile)
const root = resolveAppRoot()

const SENTENCE = 'The old man walked slowly down the hill to the river where his small boat waited.'
const TEXT = `It was early in the morning and the village was still asleep. ${SENTENCE} He untied the rope and pushed off from the bank.\n\nThe water was calm, and the mist lay low over the fields.`
const FROM = TEXT.indexOf(SENTENCE)
const PHRASE = 'pushed off from the bank'
const PHRASE_FROM = TEXT.indexOf(PHRASE)
const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1)

describe.skipIf(!haveModel)('lengths and distinct candidates on the default model', () => {
  let loaded: LoadedModel
  let model: FillModel
  beforeAll(async () => {
    loaded = await loadModelDir(modelDir, { providers: ['cpu'] })
    model = fillModelOf(loaded)
  })
  afterAll(async () => {
    await loaded?.dispose()
  })

  const fill = (spans: SpanSpec[], seed: number, s: Partial<FillRequest['settings']> = {}) =>
    runFill(model, { requestId: `r${seed}`, text: TEXT, spans, locked: [], settings: { ...DEFAULT_SAMPLING, seed, ...s } })

  it('Shorter on a 16-word sentence: every candidate has 6-12 words, no line break, over 10 seeds', async () => {
    expect(wordCount(SENTENCE)).toBe(16)
    const counts: number[] = []
    for (const seed of SEEDS) {
      const r = await fill([{ id: 's', from: FROM, to: FROM + SENTENCE.length, length: 'shorter' }], seed)
      for (const c of r.spans[0].candidates) {
        counts.push(wordCount(c.text))
        expect(c.text, `seed ${seed}`).not.toMatch(/\n/)
      }
    }
    expect(counts).toHaveLength(30)
    expect(counts.every((w) => w >= 6 && w <= 12), counts.join(' ')).toBe(true)
    process.stdout.write(`shorter (engine), words of the 30 candidates: ${counts.join(' ')}\n`)
  }, 600_000)

  it('a 2-3 word range: every candidate has 2-3 words, over 10 seeds', async () => {
    const counts: number[] = []
    for (const seed of SEEDS) {
      const r = await fill([{ id: 's', from: PHRASE_FROM, to: PHRASE_FROM + PHRASE.length, length: { minWords: 2, maxWords: 3 } }], seed)
      for (const c of r.spans[0].candidates) {
        counts.push(wordCount(c.text))
        expect(c.text, `seed ${seed}`).not.toMatch(/\n/)
      }
    }
    expect(counts.every((w) => w >= 2 && w <= 3), counts.join(' ')).toBe(true)
    process.stdout.write(`2-3 words (engine), words of the 30 candidates: ${counts.join(' ')}\n`)
  }, 600_000)

  it('rounds of 3 candidates over mixed spans, targets, seeds and settings hold no two candidates equal on every span', async () => {
    const words = [...TEXT.matchAll(/\S+/g)]
    let redraws = 0
    for (let k = 1; k <= 24; k++) {
      const at = 3 + ((k * 7) % (words.length - 8))
      const n = 1 + (k % 3)
      const a = words[at]
      const b = words[at + n - 1]
      const spans: SpanSpec[] = [{ id: 'a', from: a.index!, to: b.index! + b[0].length, ...(k % 4 === 0 ? { length: { minWords: 1, maxWords: 2 } } : {}) }]
      if (k % 2 === 0) {
        const c = words[(at + 12) % words.length]
        if (c.index! > b.index! + b[0].length + 1) spans.push({ id: 'b', from: c.index!, to: c.index! + c[0].length })
      }
      const greedy = k % 3 === 0
      const r = await runFill(
        model,
        { requestId: `d${k}`, text: TEXT, spans, locked: [], settings: { ...DEFAULT_SAMPLING, seed: k, ...(greedy ? { strategy: 'low_confidence' as const, temperature: 0, steps: 64 } : {}) } },
        { onRedraw: () => redraws++ },
      )
      const keys = [0, 1, 2].map((c) => r.spans.map((s) => s.candidates[c].text.replace(/\s+/g, ' ').trim()).join('|'))
      expect(new Set(keys).size, `round ${k}: ${JSON.stringify(keys)}`).toBe(3)
      for (const s of r.spans) for (const c of s.candidates) expect(wordCount(c.text)).toBeGreaterThanOrEqual(1)
    }
    process.stdout.write(`distinct rounds on the default model: 24 rounds, ${redraws} redraws\n`)
  }, 600_000)
})

async function infillCli(args: string[]): Promise<{ spans: { fills: string[] }[] }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, 'main', 'cli', 'infill.ts'), ...args], {
    cwd: root,
    env: { ...process.env, INFILL_EXECUTION_PROVIDER: 'cpu' },
    maxBuffer: 16 << 20,
  })
  return JSON.parse(stdout.trim())
}

describe.skipIf(!haveModel)('npm run infill -- --length on the default model', () => {
  const marked = (from: number, len: number) => `${TEXT.slice(0, from)}[[${TEXT.slice(from, from + len)}]]${TEXT.slice(from + len)}`

  it('--length shorter on the 16-word sentence: 6-12 words, over 10 seeds', async () => {
    const counts: number[] = []
    for (const seed of SEEDS) {
      const out = await infillCli(['--model', modelDir, '--text', marked(FROM, SENTENCE.length), '--length', 'shorter', '--seed', String(seed)])
      for (const f of out.spans[0].fills) {
        counts.push(wordCount(f))
        expect(f).not.toMatch(/^\s*\n/)
      }
    }
    expect(counts).toHaveLength(30)
    expect(counts.every((w) => w >= 6 && w <= 12), counts.join(' ')).toBe(true)
    process.stdout.write(`--length shorter (CLI), words of the 30 candidates: ${counts.join(' ')}\n`)
  }, 600_000)

  it('--length 2-3 on a phrase: 2-3 words, over 10 seeds', async () => {
    const counts: number[] = []
    for (const seed of SEEDS) {
      const out = await infillCli(['--model', modelDir, '--text', marked(PHRASE_FROM, PHRASE.length), '--length', '2-3', '--seed', String(seed)])
      for (const f of out.spans[0].fills) counts.push(wordCount(f))
    }
    expect(counts).toHaveLength(30)
    expect(counts.every((w) => w >= 2 && w <= 3), counts.join(' ')).toBe(true)
    process.stdout.write(`--length 2-3 (CLI), words of the 30 candidates: ${counts.join(' ')}\n`)
  }, 600_000)
})
