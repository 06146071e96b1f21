/** Model directory validation on the real model (copied into temp folders and broken). */
import { cp, mkdtemp, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ModelDirError } from './errors'
import { loadModelDir } from './model-dir'
import { resolveTestModel } from './model-paths'
import { wordPieceTokenizerJson } from './test-fixtures'

const modelDir = resolveTestModel()
const temps: string[] = []

/** A copy of the test model in a temp folder, optionally broken by `breakIt`. */
async function copyModel(breakIt: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'infill-model-'))
  temps.push(dir)
  for (const f of ['model.onnx', 'tokenizer.json', 'manifest.json']) await cp(join(modelDir!, f), join(dir, f))
  await breakIt(dir)
  return dir
}

async function loadError(dir: string): Promise<ModelDirError> {
  try {
    const m = await loadModelDir(dir, { providers: ['cpu'] })
    await m.dispose()
  } catch (e) {
    expect(e).toBeInstanceOf(ModelDirError)
    return e as ModelDirError
  }
  throw new Error(`loading ${dir} should have failed`)
}

afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true })
})

describe.skipIf(!modelDir)('loadModelDir on the test model', () => {
  it('loads and reports the model, the provider and any fallback', async () => {
    const m = await loadModelDir(modelDir!)
    const manifest = JSON.parse(await readFile(join(modelDir!, 'manifest.json'), 'utf8'))
    expect(m.info).toMatchObject({ name: manifest.name, family: manifest.family, maxLength: manifest.maxLength, vocabSize: manifest.vocabSize })
    expect(m.info.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(['cuda', 'dml', 'coreml', 'webgpu', 'cpu']).toContain(m.info.provider)
    if (m.info.provider === 'cpu' && process.env.INFILL_EXECUTION_PROVIDER !== 'cpu') expect(m.info.fallbackReason).toMatch(/unavailable/)
    expect(m.banned[manifest.tokens.mask]).toBe(1)
    expect(m.banned[manifest.tokens.pad]).toBe(0)
    await m.dispose()
  })

  it('a missing file', async () => {
    const dir = await copyModel((d) => unlink(join(d, 'tokenizer.json')))
    const e = await loadError(dir)
    expect(e.file).toBe(join(dir, 'tokenizer.json'))
    expect(e.message).toMatch(/is missing/)
  })

  it('a truncated model.onnx', async () => {
    const dir = await copyModel(async (d) => {
      const size = (await readFile(join(d, 'model.onnx'))).length
      await truncate(join(d, 'model.onnx'), Math.floor(size / 3))
    })
    const e = await loadError(dir)
    expect(e.file).toBe(join(dir, 'model.onnx'))
    expect(e.message).toMatch(/truncated or not an ONNX model.*Export or copy model\.onnx again/s)
  })

  it('a tokenizer from another model', async () => {
    const dir = await copyModel((d) => writeFile(join(d, 'tokenizer.json'), JSON.stringify(wordPieceTokenizerJson())))
    const e = await loadError(dir)
    expect(e.file).toBe(join(dir, 'tokenizer.json'))
    expect(e.message).toMatch(/another model/)
  })

  it('a manifest missing fields', async () => {
    const dir = await copyModel(async (d) => {
      const m = JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8'))
      delete m.maxLength
      delete m.tokens.mask
      await writeFile(join(d, 'manifest.json'), JSON.stringify(m))
    })
    const e = await loadError(dir)
    expect(e.file).toBe(join(dir, 'manifest.json'))
    expect(e.message).toMatch(/maxLength/)
    expect(e.message).toMatch(/tokens\.mask/)
  })

  it('a manifest whose vocabulary size disagrees with the model', async () => {
    const dir = await copyModel(async (d) => {
      const m = JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8'))
      m.vocabSize += 7
      await writeFile(join(d, 'manifest.json'), JSON.stringify(m))
    })
    expect((await loadError(dir)).message).toMatch(/vocabSize .* but model\.onnx returns logits over/)
  })

  it('a mask id that is not a mask token', async () => {
    const dir = await copyModel(async (d) => {
      const m = JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8'))
      m.tokens.mask = m.tokens.mask + 100
      await writeFile(join(d, 'manifest.json'), JSON.stringify(m))
    })
    expect((await loadError(dir)).message).toMatch(/not a mask token/)
  })

  it('an Optimum fill-mask export (config.json, no manifest) gets a derived manifest', async () => {
    const manifest = JSON.parse(await readFile(join(modelDir!, 'manifest.json'), 'utf8'))
    const dir = await copyModel(async (d) => {
      await unlink(join(d, 'manifest.json'))
      await writeFile(join(d, 'config.json'), JSON.stringify({ model_type: 'custom', max_position_embeddings: manifest.maxLength, vocab_size: manifest.vocabSize }))
    })
    const m = await loadModelDir(dir, { providers: ['cpu'] })
    expect(m.info).toMatchObject({ family: 'mlm', maxLength: manifest.maxLength, provider: 'cpu' })
    expect(m.manifest.tokens).toMatchObject({ mask: manifest.tokens.mask, pad: manifest.tokens.pad })
    await m.dispose()
  })

  it('not a directory', async () => {
    const e = await loadError(join(tmpdir(), 'no-such-model-dir-infill'))
    expect(e.message).toMatch(/not a model directory/)
  })
})
