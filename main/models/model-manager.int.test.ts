/**
 * The model manager and its CLIs against the fixture hub serving the default model's files:
 * list / add folder / activate with the engine seen as loadModel, background downloads with
 * progress events and cancel, and `npm run model:get` / `model:list` as a writer runs them.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ModelInfo } from '../contract'
import { resolveAppRoot, resolveTestModel } from '../engine/model-paths'
import { runModelGet } from '../cli/model-get'
import { runModelList } from '../cli/model-list'
import { FixtureHub } from './fixture-hub'
import { stagingDirOf } from './hub-download'
import { ModelManager, type DownloadJob } from './model-manager'
import { readRegistry, registryPath } from './model-registry'

const modelDir = resolveTestModel()
const REPO = 'fixture/infill-default'

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (c: Buffer) => (text += c.toString()))
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text }
}

/** A fake engine: records loads, answers with a ModelInfo for the folder. */
function fakeEngine() {
  let active: string | null = null
  const loads: string[] = []
  return {
    loads,
    activeDir: () => active,
    loadModel: async (dir: string): Promise<ModelInfo> => {
      loads.push(dir)
      if (!existsSync(join(dir, 'model.onnx'))) throw new Error(`${dir}/model.onnx is missing`)
      active = dir
      return { name: 'm', family: 'mdlm', dir, maxLength: 256, vocabSize: 8192, hash: 'x', provider: 'cpu' }
    },
  }
}

function waitForJob(events: DownloadJob[], jobId: string, phases: DownloadJob['phase'][]): Promise<DownloadJob> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const poll = () => {
      const hit = events.find((e) => e.jobId === jobId && phases.includes(e.phase))
      if (hit) return resolve(hit)
      if (Date.now() - started > 60_000) return reject(new Error(`no ${phases.join('/')} event; saw ${events.map((e) => e.phase).join(', ')}`))
      setTimeout(poll, 20)
    }
    poll()
  })
}

describe.skipIf(!modelDir)('ModelManager and the model CLIs', () => {
  const hub = new FixtureHub()
  let hubUrl: string
  let userData: string

  beforeAll(async () => {
    hub.addRepoFromDir(REPO, modelDir!)
    hubUrl = await hub.start()
  })
  afterAll(() => hub.stop())
  beforeEach(() => {
    hub.faults = {}
    userData = mkdtempSync(join(tmpdir(), 'infill-models-'))
    return () => rmSync(userData, { recursive: true, force: true })
  })

  it('lists the embedded model with its eval figures, adds a folder, refuses a non-model folder, and activates', async () => {
    const engine = fakeEngine()
    const allowed: string[] = []
    const manager = new ModelManager({ appRoot: resolveAppRoot(), userDataDir: userData, engine, hubUrl, allowModelDir: async (d) => void allowed.push(d) })
    const [embedded] = await manager.list()
    expect(embedded).toMatchObject({ origin: 'embedded', name: 'infill-default-mdlm', family: 'mdlm', problem: null, active: false })
    expect(embedded.evalFigures.maskedTokenAccuracy15).toBeGreaterThan(0)
    expect(embedded.sizeBytes).toBeGreaterThan(statSync(join(modelDir!, 'model.onnx')).size)

    const copy = join(userData, 'elsewhere', 'my-model')
    cpSync(modelDir!, copy, { recursive: true })
    const added = await manager.addFolder(copy)
    expect(added).toMatchObject({ origin: 'added', dir: copy, problem: null })
    expect(allowed).toContain(copy)
    expect((await readRegistry(registryPath(userData))).added).toEqual([copy])

    const empty = join(userData, 'empty')
    mkdirSync(empty)
    await expect(manager.addFolder(empty)).rejects.toThrow(/is not a model folder: missing model\.onnx, tokenizer\.json, manifest\.json or config\.json/)
    await expect(manager.activate(empty)).rejects.toThrow(/is not an installed model/)
    expect(engine.loads).toEqual([])

    await manager.activate(copy)
    expect(engine.loads).toEqual([copy])
    expect((await manager.list()).filter((m) => m.active).map((m) => m.dir)).toEqual([copy])
    expect((await readRegistry(registryPath(userData))).active).toBe(copy)
    expect(await manager.startupDir()).toBe(copy)

    rmSync(copy, { recursive: true })
    expect(await manager.startupDir()).toBe(manager.embeddedDir)
    expect((await manager.list()).find((m) => m.dir === copy)!.problem).toMatch(/does not exist/)
  })

  it('downloads in the background with progress events, lists the result, and cancels another', async () => {
    const events: DownloadJob[] = []
    const manager = new ModelManager({ appRoot: resolveAppRoot(), userDataDir: userData, engine: fakeEngine(), hubUrl, onDownload: (j) => events.push(j) })
    const jobId = manager.startDownload({ repoId: REPO, variant: 'fp32' })
    expect(() => manager.startDownload({ repoId: REPO, variant: 'fp32' })).toThrow(/already downloading/)
    const done = await waitForJob(events, jobId, ['done', 'failed'])
    expect(done.message).toMatch(/^Installed in /)
    expect(events[0].phase).toBe('planning')
    expect(events.some((e) => e.phase === 'downloading' && e.bytesTotal > 0)).toBe(true)
    expect(() => manager.startDownload({ repoId: REPO, variant: 'fp32' })).toThrow(/is already installed in .*fixture--infill-default-fp32\. Use it from the installed list/)
    expect(() => manager.startDownload({ repoId: REPO, variant: 'int8', revision: '../../etc' })).toThrow(/is not a revision/)
    expect(() => manager.startDownload({ repoId: 'nope', variant: 'int8' })).toThrow(/"nope" is not a repository id/)
    const listed = (await manager.list()).find((m) => m.origin === 'downloaded')!
    expect(listed).toMatchObject({ dir: done.dir, name: 'infill-default-mdlm (fp32)', problem: null })
    expect(listed.source?.repoId).toBe(REPO)

    hub.faults = { bytesPerSecond: 2_000_000 }
    const other = new ModelManager({ appRoot: resolveAppRoot(), userDataDir: mkdtempSync(join(tmpdir(), 'infill-models-')), engine: fakeEngine(), hubUrl, onDownload: (j) => events.push(j) })
    const second = other.startDownload({ repoId: REPO, variant: 'fp32' })
    await waitForJob(events, second, ['downloading'])
    other.cancel(second)
    const cancelled = await waitForJob(events, second, ['cancelled', 'failed', 'done'])
    expect(cancelled.phase).toBe('cancelled')
    expect(cancelled.message).toMatch(/cancelled; its partial files were removed/)
    expect(existsSync(stagingDirOf(join(other.modelsDir, 'fixture--infill-default-fp32')))).toBe(false)
  })

  it('model:get downloads, resumes after a dropped connection, rejects a corrupted file; model:list shows the result', async () => {
    const dest = join(userData, 'by-cli')
    hub.faults = { cutAfter: { path: 'model.onnx', bytes: 3_000_000 } }
    let out = capture()
    let err = capture()
    expect(await runModelGet([REPO, '--variant', 'fp32', '--to', dest, '--hub-url', hubUrl, '--no-check'], out.stream, err.stream)).toBe(1)
    expect(err.text()).toMatch(/model:get: The connection (closed|dropped).*resumes where it stopped/)

    out = capture()
    err = capture()
    expect(await runModelGet([REPO, '--variant', 'fp32', '--to', dest, '--hub-url', hubUrl], out.stream, err.stream)).toBe(0)
    expect(out.text()).toMatch(/verified against the Hub's checksums, commit [0-9a-f]{12} \(resumed: [1-3]\.\d MB were already there\)/)
    expect(out.text()).toMatch(/Loads: infill-default-mdlm, mdlm, vocabulary 8192, window 256 tokens, cpu provider/)
    expect(readFileSync(join(dest, 'model.onnx')).equals(readFileSync(join(modelDir!, 'model.onnx')))).toBe(true)

    hub.faults = { corrupt: 'manifest.json' }
    err = capture()
    expect(await runModelGet([REPO, '--variant', 'fp32', '--to', join(userData, 'bad'), '--hub-url', hubUrl], capture().stream, err.stream)).toBe(1)
    expect(err.text()).toMatch(/manifest\.json did not match the Hub's checksum \(git-sha1 /)
    expect(existsSync(join(userData, 'bad'))).toBe(false)

    err = capture()
    expect(await runModelGet(['not a repo'], capture().stream, err.stream)).toBe(2)
    expect(err.text()).toMatch(/is not a repository id: a repository id is owner\/name/)

    hub.faults = {}
    const installed = join(userData, 'models', 'fixture--infill-default-fp32')
    expect(await runModelGet([REPO, '--variant', 'fp32', '--user-data', userData, '--hub-url', hubUrl, '--no-check'], capture().stream, capture().stream)).toBe(0)
    out = capture()
    expect(await runModelList(['--user-data', userData], out.stream, capture().stream)).toBe(0)
    expect(out.text()).toContain(installed)
    expect(out.text()).toMatch(/\* infill-default-mdlm {2}\[mdlm, [\d.]+ MB, embedded\]/)
    expect(out.text()).toMatch(/infill-default-mdlm \(fp32\) {2}\[mdlm, [\d.]+ MB, downloaded from fixture\/infill-default@[0-9a-f]{8}\]/)
  })
})
