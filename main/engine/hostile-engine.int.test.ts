/**
 * Hostile input to the engine on the real model (issue 12 items 8-10): special-token
 * literals in the text, 200k characters without a space, cancelling while the canvas is
 * built, and manifests that lie about their tokens or their window.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillRequest } from '../contract'
import { applyFills } from './canvas'
import { FillCancelled, ModelDirError } from './errors'
import { fillModelOf, runFill, type FillModel } from './fill'
import { loadModelDir, type LoadedModel } from './model-dir'
import { resolveTestModel } from './model-paths'

const modelDir = resolveTestModel()
const temps: string[] = []

const settings = { ...DEFAULT_SAMPLING, candidates: 2, steps: 4, strategy: 'low_confidence' as const }
const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7) % 2000))).join('')

afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true })
})

describe.skipIf(!modelDir)('hostile text on the test model', () => {
  let loaded: LoadedModel
  let model: FillModel
  beforeAll(async () => {
    loaded = await loadModelDir(modelDir!, { providers: ['cpu'] })
    model = fillModelOf(loaded)
  })
  afterAll(async () => {
    await loaded?.dispose()
  })

  it('literal <mask>, <pad>, </s>, [MASK], [CLS] in the document never reach the model as special tokens', async () => {
    const text = 'Type <mask> here, or </s> and <pad> then [MASK] [CLS] <unk>. The cat sat on the mat.'
    const from = text.indexOf('cat')
    const spans = [{ id: 's', from, to: from + 3 }]
    const seen: Int32Array[] = []
    const spy: FillModel = { ...model, denoise: (ids, b, l) => (seen.push(Int32Array.from(ids, Number)), model.denoise(ids, b, l)) }
    const result = await runFill(spy, { requestId: 'lit', text, spans, locked: [], settings })
    const specials = new Set([...loaded.codec.specialIds])
    // On the first canvas the only special ids are the span's own mask slots.
    const first = Array.from(seen[0].subarray(0, seen[0].length / settings.candidates))
    expect(first.filter((id) => id === loaded.manifest.tokens.mask)).toHaveLength(result.spans[0].slots)
    expect(first.filter((id) => specials.has(id) && id !== loaded.manifest.tokens.mask)).toEqual([])
    for (const c of result.spans[0].candidates) {
      const filled = applyFills(text, spans, new Map([['s', c.text]]))
      expect(filled.slice(0, from)).toBe(text.slice(0, from))
      expect(filled.endsWith(text.slice(from + 3))).toBe(true)
      expect(c.tokenIds.filter((id) => specials.has(id))).toEqual([])
    }
  })

  it('a fill inside 200k characters without a space completes (no stack overflow)', async () => {
    const text = cjk(100_000) + ' the cat sat ' + cjk(100_000)
    const from = 100_000 + 5
    const request: FillRequest = { requestId: 'long', text, spans: [{ id: 's', from, to: from + 3 }], locked: [], settings }
    const started = performance.now()
    const result = await runFill(model, request)
    const ms = performance.now() - started
    console.log(`fill in 200k unspaced characters: ${ms.toFixed(0)} ms`)
    expect(result.spans[0].candidates).toHaveLength(2)
    expect(ms).toBeLessThan(30_000) // sanity bound only; timing belongs to the bench
  })

  it('a fill of 200k unspaced characters can be cancelled while its canvas is built', async () => {
    const text = cjk(200_000)
    let checks = 0
    const request: FillRequest = { requestId: 'cancel', text, spans: [{ id: 's', from: 199_000, to: 199_000, slots: 4 }], locked: [], settings }
    const run = runFill(model, request, {
      checkpoint: () => {
        if (++checks === 2) throw new FillCancelled('cancel')
      },
    })
    await expect(run).rejects.toBeInstanceOf(FillCancelled)
    expect(checks).toBe(2)
  })
})

describe.skipIf(!modelDir)('manifests that lie', () => {
  async function withManifest(edit: (m: Record<string, any>) => void): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'infill-lie-'))
    temps.push(dir)
    for (const f of ['model.onnx', 'tokenizer.json']) await cp(join(modelDir!, f), join(dir, f))
    const m = JSON.parse(await readFile(join(modelDir!, 'manifest.json'), 'utf8'))
    edit(m)
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m))
    return dir
  }
  async function loadError(dir: string): Promise<ModelDirError> {
    const e = await loadModelDir(dir, { providers: ['cpu'] }).then(
      async (m) => {
        await m.dispose()
        throw new Error('should not load')
      },
      (err: unknown) => err,
    )
    expect(e).toBeInstanceOf(ModelDirError)
    return e as ModelDirError
  }

  it('a file that is not JSON is named, and none of its text is echoed back', async () => {
    const dir = await withManifest(() => {})
    await writeFile(join(dir, 'manifest.json'), 'SECRET-TOKEN-4711 = not json at all')
    const e = await loadError(dir)
    expect(e.message).toMatch(/manifest\.json: is not valid JSON/)
    expect(e.message).not.toMatch(/SECRET|4711/)
  })

  it('pad = mask is refused, naming both', async () => {
    const e = await loadError(await withManifest((m) => (m.tokens.pad = m.tokens.mask)))
    expect(e.message).toMatch(/pad and mask are both id \d+/)
  })
  it('a special id outside the vocabulary is refused', async () => {
    const e = await loadError(await withManifest((m) => (m.tokens.eos = m.vocabSize + 5)))
    expect(e.message).toMatch(/tokens\.eos: id \d+ is outside the vocabulary/)
  })
  it('maxLength 100000 is refused by the schema', async () => {
    const e = await loadError(await withManifest((m) => (m.maxLength = 100_000)))
    expect(e.message).toMatch(/maxLength: must be at most 32768/)
  })
  it('a maxLength the graph does not run is refused at load by a probe pass, not at the first fill', async () => {
    const e = await loadError(await withManifest((m) => (m.maxLength = 4096)))
    expect(e.message).toMatch(/says maxLength 4096, but model.onnx fails on a window of 1024 tokens/)
    expect(e.hint).toMatch(/max_position_embeddings/)
  })
})

describe.skipIf(!modelDir)('engine start is quiet', () => {
  it('loading the model with the default providers prints no Vulkan/WebGPU warning', async () => {
    const { spawnSync } = await import('node:child_process')
    const script = `import { loadModelDir } from './main/engine/model-dir.ts'; const m = await loadModelDir(${JSON.stringify(modelDir)}); console.log('provider', m.info.provider); await m.dispose()`
    const env = { ...process.env }
    delete env.INFILL_EXECUTION_PROVIDER
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env, timeout: 60_000 })
    expect(r.stdout).toMatch(/provider \w+/)
    expect(r.stderr).not.toMatch(/vulkan|webgpu|dawn/i)
  })
})
