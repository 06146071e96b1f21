/**
 * Comparison mode on the real default model: two engine processes (the main one and the
 * comparison one), the same request on both, one merged result with labelled columns, and
 * a decision on it logged through a real SQLite file (tally and export). The "tuned" model
 * is the default model's weights under a lineage manifest (test-fixtures/lineage-model.ts),
 * so with the same request and seed both columns must hold the same candidates.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type CompareState, type DecisionInput, type FillRequest, type FillResult } from '../contract'
import { EngineClient, forkWithNode } from '../engine/engine-client'
import { resolveTestModel } from '../engine/model-paths'
import { PreferenceStore } from '../store/preference-store'
import { CompareService, comparingGateway } from './compare-service'
import { engineGateway } from './app-services'
import { writeLineageCopy } from './test-fixtures/lineage-model'

const modelDir = resolveTestModel()
const TEXT = 'The old man walked down to the river and sat on the bank. He watched the water for a long time, and then he went home.'

function request(requestId: string): FillRequest {
  const at = (w: string) => TEXT.indexOf(w)
  return {
    requestId,
    text: TEXT,
    spans: [
      { id: 'a', from: at('river'), to: at('river') + 5 },
      { id: 'b', from: at('water'), to: at('water') + 5 },
    ],
    locked: [],
    settings: { ...DEFAULT_SAMPLING, candidates: 2, seed: 4242 },
  }
}

describe.skipIf(!modelDir)('comparison with two engine processes on the default model', () => {
  let dir: string
  let tunedDir: string
  let main: EngineClient
  let compare: CompareService
  const states: CompareState[] = []
  const spawn = forkWithNode({ env: { ...process.env, INFILL_EXECUTION_PROVIDER: 'cpu' } })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'infill-compare-'))
    tunedDir = join(dir, 'tuned-copy')
    writeLineageCopy(modelDir!, tunedDir, 'infill-default-mdlm-copy')
    main = new EngineClient(spawn)
    main.start()
    await main.loadModel(tunedDir)
    compare = new CompareService({ main, spawnEngine: spawn, checkDir: async (d) => d, onState: (s) => states.push(s), coin: (() => { let n = 0; return () => n++ % 2 === 0 })() })
  }, 120_000)

  afterAll(async () => {
    await compare?.dispose()
    await main?.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  it('offers "Compare with base" for the loaded tuned model, then loads its base in a second engine', async () => {
    expect(compare.current()).toMatchObject({ status: 'off', activeBase: { dir: modelDir, name: 'infill-default-mdlm' } })
    const ready = await compare.start()
    expect(ready).toMatchObject({ status: 'ready', message: null, base: { name: 'infill-default-mdlm', dir: modelDir }, tuned: { name: 'infill-default-mdlm-copy', dir: tunedDir } })
    expect(states.map((s) => s.status)).toEqual(['loading', 'ready'])
    expect(compare.on()).toBe(true)
  }, 120_000)

  it('fills the same spans with both models and logs which one the writer kept', async () => {
    const gateway = comparingGateway(engineGateway(main), compare)
    let steps = 0
    const result = await new Promise<FillResult>((resolve, reject) => {
      gateway.fill(request('cmp-1'), { step: () => steps++, done: resolve, error: (e) => reject(new Error(e.message)) })
    })
    expect(steps).toBeGreaterThan(0)
    expect(result.compare!.models).toMatchObject({ base: { name: 'infill-default-mdlm' }, tuned: { name: 'infill-default-mdlm-copy' } })
    expect(result.compare!.models.base.hash).toBe(result.compare!.models.tuned.hash)
    // The fixed coin: span a base-left, span b tuned-left.
    expect(result.compare!.order).toEqual({ a: ['base', 'tuned'], b: ['tuned', 'base'] })
    for (const span of result.spans) {
      const sources = span.candidates.map((c) => c.source?.role)
      const left = result.compare!.order[span.spanId][0]
      expect(sources).toEqual([left, left, left === 'base' ? 'tuned' : 'base', left === 'base' ? 'tuned' : 'base'])
      // Same weights, same request, same seed: the two columns match candidate for candidate.
      const texts = span.candidates.map((c) => c.text)
      expect(texts.slice(0, 2)).toEqual(texts.slice(2))
    }
    console.log(`comparison fill: ${result.forwardPasses} forward passes over both engines, ${result.ms.toFixed(0)} ms; span a: ${JSON.stringify(result.spans[0].candidates.map((c) => `${c.source?.role}: ${c.text}`))}`)

    // The writer keeps the tuned model's first candidate of span a (index 2: the right column).
    const span = result.spans[0]
    const store = PreferenceStore.open(join(dir, 'prefs.sqlite'))
    const decision: DecisionInput = {
      documentId: 'doc',
      requestId: result.requestId,
      spanId: span.spanId,
      prefix: TEXT.slice(0, TEXT.indexOf('river')),
      suffix: TEXT.slice(TEXT.indexOf('river') + 5),
      spanOriginal: span.original,
      candidates: span.candidates.map((c) => c.text),
      action: 'accepted',
      chosenIndex: 2,
      finalText: span.candidates[2].text,
      model: result.compare!.models.tuned,
      sampling: result.settings,
      shownAt: new Date().toISOString(),
      decidedAt: new Date().toISOString(),
      compare: { models: result.compare!.models, sources: span.candidates.map((c) => c.source!.role), keptFrom: 'tuned', order: result.compare!.order.a },
    }
    store.log(decision)
    store.log({ ...decision, spanId: 'b', action: 'rejected_all', chosenIndex: null, finalText: 'water', compare: { ...decision.compare!, keptFrom: 'neither', order: result.compare!.order.b } })
    expect(store.stats().compare).toEqual({ tuned: 1, base: 0, neither: 1 })
    store.export('unpaired', join(dir, 'out.jsonl'))
    const lines = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines[0]).toMatchObject({ label: true, compare: { kept_from: 'tuned', order: ['base', 'tuned'] } })
    store.close()
  }, 180_000)

  it('turning comparison off shuts the second engine down; fills go to the loaded model alone', async () => {
    const off = await compare.stop()
    expect(off.status).toBe('off')
    expect(compare.on()).toBe(false)
    const gateway = comparingGateway(engineGateway(main), compare)
    const result = await new Promise<FillResult>((resolve, reject) => {
      gateway.fill(request('plain-1'), { step: () => {}, done: resolve, error: (e) => reject(new Error(e.message)) })
    })
    expect(result.compare).toBeUndefined()
    expect(result.spans[0].candidates).toHaveLength(2)
  }, 120_000)

  it('a model switch ends a comparison', async () => {
    await compare.start()
    expect(compare.on()).toBe(true)
    await main.loadModel(modelDir!)
    await new Promise((r) => setTimeout(r, 50))
    expect(compare.current()).toMatchObject({ status: 'off', activeBase: null })
    expect(compare.current().message).toMatch(/Comparison ended: the loaded model is now infill-default-mdlm/)
    await expect(compare.start()).rejects.toThrow(/not a tuned model/)
  }, 180_000)
})
