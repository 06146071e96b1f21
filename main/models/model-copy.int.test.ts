/**
 * Adding a model folder from anywhere: copied into the app's models folder (checked before and
 * after, renamed into place only when complete), listed as the writer's own ('added'), usable;
 * a folder that is not a model copies nothing; a second copy of the same name gets its own.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ModelManager } from './model-manager'
import { readRegistry, registryPath } from './model-registry'

const FIXTURE = resolve('models/fixtures/bert-wordpiece')
let root: string
beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'infill-model-copy-'))))
afterEach(() => rmSync(root, { recursive: true, force: true }))

function manager(allowed: string[] = []): ModelManager {
  const engine = { loadModel: async (dir: string) => Promise.reject(new Error(`no engine here (${dir})`)), activeDir: () => null }
  return new ModelManager({ appRoot: resolve('.'), userDataDir: join(root, 'user-data'), engine, allowModelDir: async (d) => void allowed.push(d) })
}

describe('a model folder added by copying it', () => {
  it('is checked, copied into the models folder, listed as added, and independent of the original', async () => {
    const original = join(root, 'Downloads', 'my model (bert)')
    cpSync(FIXTURE, original, { recursive: true })
    const allowed: string[] = []
    const m = manager(allowed)
    const added = await m.copyFolder(original)
    const dest = join(m.modelsDir, 'my-model-bert-')
    expect(added).toMatchObject({ dir: dest, origin: 'added', problem: null })
    expect(readdirSync(dest).sort()).toEqual(readdirSync(FIXTURE).sort())
    expect(readdirSync(m.modelsDir)).toEqual(['my-model-bert-'])
    expect(allowed).toEqual([dest])
    expect((await readRegistry(registryPath(join(root, 'user-data')))).added).toEqual([dest])
    rmSync(original, { recursive: true })
    expect((await m.list()).find((x) => x.dir === dest)).toMatchObject({ origin: 'added', problem: null })
    // The same folder again: a copy of its own.
    cpSync(FIXTURE, original, { recursive: true })
    expect((await m.copyFolder(original)).dir).toBe(`${dest}-2`)
  })

  it('copies nothing from a folder that is not a model', async () => {
    const notModel = join(root, 'photos')
    mkdirSync(notModel)
    writeFileSync(join(notModel, 'cat.jpg'), 'not a model')
    const m = manager()
    await expect(m.copyFolder(notModel)).rejects.toThrow(/is not a model folder: missing model\.onnx/)
    expect(existsSync(m.modelsDir) ? readdirSync(m.modelsDir) : []).toEqual([])
  })
})
