/**
 * The extra graphs of models/default (issue 17) against its contract graph: the positions
 * graph and a fresh DualCache give model.onnx's logits at the masked positions; greedy fills
 * through the positions graph equal fills through the full graph token for token; foreign
 * graphs (an Optimum-style fixture) keep the plain contract; a manifest naming a graph that
 * is missing or is not the graph it says is a ModelDirError.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillRequest } from '../contract'
import { ModelDirError } from './errors'
import { fillModelOf, runFill } from './fill'
import { loadModelDir, type LoadedModel } from './model-dir'
import { resolveAppRoot } from './model-paths'

const root = resolveAppRoot()
const defaultDir = join(root, 'models', 'default')
const fixtureDir = join(root, 'models', 'fixtures', 'bert-wordpiece')

/** Largest difference between `got` and `want` over the rows (b, p) where ids hold the mask. */
function maxDiffAtMasks(got: Float32Array, want: Float32Array, ids: BigInt64Array, mask: bigint, vocab: number): { diff: number; rows: number } {
  let diff = 0
  let rows = 0
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== mask) continue
    rows++
    for (let v = 0; v < vocab; v++) diff = Math.max(diff, Math.abs(got[i * vocab + v] - want[i * vocab + v]))
  }
  return { diff, rows }
}

describe('models/default extra graphs', () => {
  let model: LoadedModel
  beforeAll(async () => {
    model = await loadModelDir(defaultDir, { providers: ['cpu'] })
  }, 120_000)
  afterAll(async () => {
    await model?.dispose()
  })

  it('has the positions graph and the DualCache pair, and is exact by default: the cache only when a call asks for it', async () => {
    expect(model.denoiser.modes()).toEqual(['full', 'positions', 'cached'])
    expect(model.denoiser.mode).toBe('positions')
    const d = model.denoiser
    const length = 32
    const ids = BigInt64Array.from({ length }, (_, i) => BigInt(5 + i))
    ids[10] = BigInt(model.manifest.tokens.mask)
    d.resetCache()
    const before = { ...d.stats }
    await d.runMasked(ids, 1, length)
    expect(d.stats.spanPasses).toBe(before.spanPasses) // exact: no span-only pass
    await d.runMasked(ids, 1, length, true)
    expect(d.stats.spanPasses).toBe(before.spanPasses + 1) // "Faster, approximate": the DualCache
  })

  it('gives the full graph logits at the masked positions (positions graph and a fresh cache)', async () => {
    const d = model.denoiser
    const vocab = model.info.vocabSize
    const mask = BigInt(model.manifest.tokens.mask)
    const batch = 3
    const length = 200
    const ids = BigInt64Array.from({ length: batch * length }, (_, i) => BigInt(5 + ((i * 7919) % (vocab - 5))))
    // different masked positions per row (rows padded inside the graph call)
    for (let p = 60; p < 68; p++) ids[p] = mask
    for (let p = 10; p < 13; p++) ids[length + p] = mask
    for (const p of [0, 100, 199]) ids[2 * length + p] = mask
    const full = (await d.run(ids, batch, length)).slice()
    d.mode = 'positions'
    const viaPositions = maxDiffAtMasks(await d.runMasked(ids, batch, length), full, ids, mask, vocab)
    d.mode = 'cached'
    d.resetCache()
    const viaCache = maxDiffAtMasks(await d.runMasked(ids, batch, length), full, ids, mask, vocab)
    expect(viaPositions.rows).toBe(14)
    expect(viaPositions.diff).toBeLessThan(1e-3)
    expect(viaCache.diff).toBeLessThan(1e-3)
  }, 60_000)

  it('DualCache: keeps its cache until a row revealed refreshEvery slots, and narrows it to the rows left in the batch', async () => {
    const d = model.denoiser
    const vocab = model.info.vocabSize
    const mask = BigInt(model.manifest.tokens.mask)
    const length = 64
    const rows = 3
    const ids = BigInt64Array.from({ length: rows * length }, (_, i) => BigInt(5 + ((i * 7919 + Math.floor(i / length) * 13) % (vocab - 5))))
    for (let b = 0; b < rows; b++) for (let p = 20; p < 26; p++) ids[b * length + p] = mask
    d.mode = 'cached'
    d.refreshEvery = 3
    d.resetCache()
    const built = d.stats.windowPasses
    await d.runMasked(ids, rows, length)
    expect(d.stats.windowPasses).toBe(built + 1)
    // two reveals in row 0: still the same cache
    ids[20] = 50n
    ids[21] = 51n
    await d.runMasked(ids, rows, length)
    expect(d.stats.windowPasses).toBe(built + 1)
    // row 1 leaves the batch: the cache is narrowed to rows 0 and 2, not rebuilt
    const two = new BigInt64Array(2 * length)
    two.set(ids.subarray(0, length), 0)
    two.set(ids.subarray(2 * length), length)
    const narrowed = (await d.runMasked(two, 2, length)).slice()
    expect(d.stats.windowPasses).toBe(built + 1)
    // row 2 (now row 1) still has all its slots masked: a fresh cache gives the same logits there
    d.resetCache()
    const fresh = await d.runMasked(two, 2, length)
    let diff = 0
    for (let p = 20; p < 26; p++) for (let v = 0; v < vocab; v++) diff = Math.max(diff, Math.abs(narrowed[(length + p) * vocab + v] - fresh[(length + p) * vocab + v]))
    expect(diff).toBeLessThan(1e-3)
    // since that build, two reveals in row 0 keep the cache, the third (refreshEvery) rebuilds it
    const passes = d.stats.windowPasses
    two[22] = 52n
    two[23] = 53n
    await d.runMasked(two, 2, length)
    expect(d.stats.windowPasses).toBe(passes)
    two[24] = 54n
    await d.runMasked(two, 2, length)
    expect(d.stats.windowPasses).toBe(passes + 1)
    d.refreshEvery = 8
    d.mode = 'positions'
  }, 60_000)

  it('DualCache: candidates starting from the same window share one context pass', async () => {
    const d = model.denoiser
    const vocab = model.info.vocabSize
    const mask = BigInt(model.manifest.tokens.mask)
    const length = 48
    const rows = 4
    const ids = BigInt64Array.from({ length: rows * length }, (_, i) => BigInt(5 + (((i % length) * 7919) % (vocab - 5))))
    for (let b = 0; b < rows; b++) for (let p = 30; p < 34; p++) ids[b * length + p] = mask
    const full = (await d.run(ids, rows, length)).slice()
    d.mode = 'cached'
    d.resetCache()
    const before = d.stats.positionsComputed
    const cached = await d.runMasked(ids, rows, length)
    // one context row of 48 positions, then 4 rows of 4 slots
    expect(d.stats.positionsComputed - before).toBe(length + rows * 4)
    expect(maxDiffAtMasks(cached, full, ids, mask, vocab).diff).toBeLessThan(1e-3)
    d.mode = 'positions'
  }, 60_000)

  it('fills greedily token for token as the full graph does when going through the positions graph', async () => {
    const text = 'The old man walked down to the river and sat on the bank. He watched the water for a long time, and then he went home to his wife.'
    const from = text.indexOf('sat on')
    const request: FillRequest = {
      requestId: 'graphs',
      locked: [],
      text,
      spans: [{ id: 's', from, to: from + 'sat on the bank'.length }],
      settings: { ...DEFAULT_SAMPLING, candidates: 2, temperature: 0, strategy: 'low_confidence', steps: 8, seed: 3 },
    }
    const fills: Record<string, string[]> = {}
    for (const mode of ['full', 'positions'] as const) {
      model.denoiser.mode = mode
      const result = await runFill(fillModelOf(model), request)
      fills[mode] = result.spans.flatMap((s) => s.candidates.map((c) => JSON.stringify(c)))
    }
    model.denoiser.mode = 'positions'
    expect(fills.positions).toEqual(fills.full)
  }, 60_000)

  it("the default path's fills equal the full graph's for the same seed, with the app's sampling defaults", async () => {
    const text = 'She opened the letter slowly and read it twice. Then she put it back in the drawer, and said nothing to anyone about what it held.'
    const a = text.indexOf('read it twice')
    const b = text.indexOf('said nothing')
    const request: FillRequest = {
      requestId: 'default-path',
      locked: [],
      text,
      spans: [
        { id: 'a', from: a, to: a + 'read it twice'.length },
        { id: 'b', from: b, to: b + 'said nothing'.length },
      ],
      settings: { ...DEFAULT_SAMPLING, seed: 11 },
    }
    const fills: Record<string, string[]> = {}
    for (const mode of ['full', 'positions'] as const) {
      model.denoiser.mode = mode
      const result = await runFill(fillModelOf(model), request)
      fills[mode] = result.spans.flatMap((s) => s.candidates.map((c) => c.text))
    }
    model.denoiser.mode = 'positions'
    expect(fills.positions.length).toBeGreaterThan(0)
    expect(fills.positions).toEqual(fills.full)
  }, 60_000)
})

describe('foreign graphs', () => {
  it('an Optimum-style fixture keeps the plain contract (runMasked is run)', async () => {
    const m = await loadModelDir(fixtureDir, { providers: ['cpu'] })
    try {
      expect(m.denoiser.modes()).toEqual(['full'])
      const ids = BigInt64Array.from([101n, BigInt(m.manifest.tokens.mask), 102n])
      const a = (await m.denoiser.run(ids, 1, 3)).slice()
      const b = await m.denoiser.runMasked(ids, 1, 3)
      expect(Array.from(b)).toEqual(Array.from(a))
    } finally {
      await m.dispose()
    }
  }, 60_000)
})

describe('a manifest naming extra graphs', () => {
  let dir: string
  const manifest = JSON.parse(readFileSync(join(defaultDir, 'manifest.json'), 'utf8'))
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'infill-graphs-'))
    for (const f of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'model.positions.onnx', 'model.context.onnx', 'model.span.onnx'])
      symlinkSync(resolve(defaultDir, f), join(dir, f))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('fails clearly when a listed graph is missing', async () => {
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, graphs: { positions: 'model.gone.onnx' } }))
    await expect(loadModelDir(dir, { providers: ['cpu'] })).rejects.toThrow(ModelDirError)
    await expect(loadModelDir(dir, { providers: ['cpu'] })).rejects.toThrow(/model\.gone\.onnx: is missing/)
  }, 60_000)

  it('fails clearly when a listed graph is not the graph it is named as', async () => {
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, graphs: { positions: 'model.span.onnx' } }))
    await expect(loadModelDir(dir, { providers: ['cpu'] })).rejects.toThrow(/fails on a probe input/)
  }, 60_000)

  it('rejects a context graph without its span graph', async () => {
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, graphs: { context: 'model.context.onnx' } }))
    await expect(loadModelDir(dir, { providers: ['cpu'] })).rejects.toThrow(/context and span come as a pair/)
  })
})
