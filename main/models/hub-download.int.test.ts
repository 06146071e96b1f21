/**
 * Hub downloads against the fixture hub (127.0.0.1, the Hub's URL layout) serving the real
 * default model's files: a full download that loads and fills, an interrupted one resumed
 * with a Range request, a corrupted file caught by the checksum, a full disk, cancel, and
 * an unreachable hub.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING } from '../contract'
import { fillModelOf, runFill } from '../engine/fill'
import { loadModelDir } from '../engine/model-dir'
import { resolveAppRoot, resolveTestModel } from '../engine/model-paths'
import { FixtureHub, onnxExportLayout } from './fixture-hub'
import { downloadModel, DownloadError, ModelSource, SOURCE_FILE, stagingDirOf, type DownloadProgress } from './hub-download'

const modelDir = resolveTestModel()
const REPO = 'fixture/infill-default-onnx'

/** A local port nothing listens on (a server is opened on it, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

async function expectDownloadError(p: Promise<unknown>, kind: DownloadError['kind']): Promise<DownloadError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DownloadError)
  expect((err as DownloadError).kind).toBe(kind)
  return err as DownloadError
}

describe.skipIf(!modelDir)('downloadModel against the fixture hub', () => {
  const hub = new FixtureHub()
  let hubUrl: string
  let root: string
  let modelBytes: number

  beforeAll(async () => {
    hub.addRepo(REPO, onnxExportLayout(modelDir!))
    modelBytes = statSync(join(modelDir!, 'model.onnx')).size
    hubUrl = await hub.start()
  })
  afterAll(async () => {
    await hub.stop()
  })
  beforeEach(() => {
    hub.faults = {}
    hub.log.length = 0
    root = mkdtempSync(join(tmpdir(), 'infill-download-'))
    return () => rm(root, { recursive: true, force: true })
  })

  it('downloads, verifies and installs in one rename; the result loads and fills', async () => {
    const dest = join(root, 'models', 'fixture--infill-default-onnx-int8')
    const progress: DownloadProgress[] = []
    const result = await downloadModel({ repoId: REPO, variant: 'int8', dest, hubUrl, onProgress: (p) => progress.push(p) })
    expect(result.dir).toBe(dest)
    expect(existsSync(stagingDirOf(dest))).toBe(false)
    expect(readdirSync(dest).sort()).toEqual(['CARD.md', 'infill-source.json', 'manifest.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json'])
    expect(readFileSync(join(dest, 'model.onnx')).equals(readFileSync(join(modelDir!, 'model.onnx')))).toBe(true)
    const source = ModelSource.parse(JSON.parse(readFileSync(join(dest, SOURCE_FILE), 'utf8')))
    expect(source.commit).toBe(hub.repos.get(REPO)!.commit)
    expect(source.files.find((f) => f.localPath === 'model.onnx')).toMatchObject({ repoPath: 'onnx/model_int8.onnx', size: modelBytes })
    expect(source.files.find((f) => f.localPath === 'model.onnx')!.checksum).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(source.files.find((f) => f.localPath === 'manifest.json')!.checksum).toMatch(/^git-sha1:[0-9a-f]{40}$/)

    const last = progress.filter((p) => p.phase === 'downloading').at(-1)!
    expect(last.bytesDone).toBe(result.plan.totalBytes)
    expect(progress.some((p) => p.bytesPerSecond !== null && p.bytesPerSecond > 0)).toBe(true)
    expect(progress.at(-1)!.phase).toBe('installing')
    // Every file was fetched at the resolved commit, never at a moving branch.
    expect(hub.log.filter((r) => r.url.includes('/resolve/')).every((r) => r.url.includes(`/resolve/${source.commit}/`))).toBe(true)

    const loaded = await loadModelDir(dest, { providers: ['cpu'] })
    try {
      const text = 'The old man walked down to the river and sat on the bank.'
      const from = text.indexOf('river')
      const res = await runFill(fillModelOf(loaded), {
        requestId: 'r1',
        text,
        spans: [{ id: 's', from, to: from + 'river'.length }],
        locked: [],
        settings: { ...DEFAULT_SAMPLING, candidates: 1, seed: 3 },
      })
      expect(res.spans[0].candidates[0].tokenIds.length).toBeGreaterThan(0)
      expect(res.model.hash).toBe(loaded.info.hash)
    } finally {
      await loaded.dispose()
    }
  })

  it('resumes an interrupted download with a Range request and ends verified', async () => {
    const dest = join(root, 'resumed')
    const cutAt = 5_000_000
    hub.faults = { cutAfter: { path: 'onnx/model_int8.onnx', bytes: cutAt } }
    const first = await expectDownloadError(downloadModel({ repoId: REPO, variant: 'int8', dest, hubUrl }), 'interrupted')
    expect(first.message).toMatch(/resumes where it stopped/)
    expect(existsSync(dest)).toBe(false)
    // The part holds what reached the disk before the drop (the client discards chunks still queued in its stream).
    const kept = statSync(join(stagingDirOf(dest), 'model.onnx.part')).size
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThanOrEqual(cutAt)

    hub.log.length = 0
    const result = await downloadModel({ repoId: REPO, variant: 'int8', dest, hubUrl })
    expect(result.resumedFrom).toBeGreaterThanOrEqual(kept)
    const ranged = hub.log.filter((r) => r.url.endsWith('/onnx/model_int8.onnx') && r.range === `bytes=${kept}-${modelBytes - 1}`)
    expect(ranged).toHaveLength(1)
    expect(result.bytesFetched).toBe(result.plan.totalBytes - result.resumedFrom)
    expect(readFileSync(join(dest, 'model.onnx')).equals(readFileSync(join(modelDir!, 'model.onnx')))).toBe(true)
  })

  it('rejects a file that does not match its checksum, deletes it, and installs nothing', async () => {
    const dest = join(root, 'corrupt')
    hub.faults = { corrupt: 'onnx/model_int8.onnx' }
    const err = await expectDownloadError(downloadModel({ repoId: REPO, variant: 'int8', dest, hubUrl }), 'checksum')
    expect(err.message).toMatch(/onnx\/model_int8\.onnx did not match the Hub's checksum \(sha256/)
    expect(existsSync(dest)).toBe(false)
    expect(existsSync(join(stagingDirOf(dest), 'model.onnx.part'))).toBe(false)
    expect(existsSync(join(stagingDirOf(dest), 'model.onnx'))).toBe(false)

    hub.faults = {}
    await downloadModel({ repoId: REPO, variant: 'int8', dest, hubUrl })
    expect(readFileSync(join(dest, 'model.onnx')).equals(readFileSync(join(modelDir!, 'model.onnx')))).toBe(true)
  })

  it('refuses to start when the disk lacks the space, before fetching any file', async () => {
    const dest = join(root, 'full-disk')
    const statfs = async () => ({ bavail: 1000, bsize: 4096 })
    const err = await expectDownloadError(downloadModel({ repoId: REPO, variant: 'int8', dest, hubUrl, statfs }), 'no-space')
    expect(err.message).toMatch(/Not enough disk space: the download needs \d+\.\d MB .* has 4\.1 MB free/)
    expect(hub.log.some((r) => r.url.includes('/resolve/'))).toBe(false)
    expect(existsSync(dest)).toBe(false)
  })

  it('cancels mid-file: the staging folder is removed and nothing is installed', async () => {
    const dest = join(root, 'cancelled')
    hub.faults = { bytesPerSecond: 4_000_000 }
    const controller = new AbortController()
    const run = downloadModel({
      repoId: REPO,
      variant: 'int8',
      dest,
      hubUrl,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytesDone > 1_000_000) controller.abort(new DownloadError('The download was cancelled.', 'cancelled'))
      },
    })
    await expectDownloadError(run, 'cancelled')
    expect(existsSync(dest)).toBe(false)
    expect(existsSync(stagingDirOf(dest))).toBe(false)
  })

  it('names the variants a repository has when the asked one is missing', async () => {
    const err = await expectDownloadError(downloadModel({ repoId: REPO, variant: 'fp16', dest: join(root, 'x'), hubUrl }), 'layout')
    expect(err.message).toMatch(/has no fp16 graph .* It has: onnx\/model_int8\.onnx\. Try --variant int8/)
  })

  it.each(['modernbert-bpe', 'bert-wordpiece'])('downloads the %s fixture in the ONNX export layout (config.json, no manifest) and fills with it', async (name) => {
    const fixture = join(resolveAppRoot(), 'models', 'fixtures', name)
    if (!existsSync(join(fixture, 'model.onnx'))) return void console.warn(`skipped: ${fixture} is not there`)
    const repoId = `fixture/${name}`
    hub.addRepoFromDir(repoId, fixture, { 'model.onnx': 'onnx/model.onnx' })
    const dest = join(root, name)
    const result = await downloadModel({ repoId, variant: 'fp32', dest, hubUrl })
    expect(result.plan.files.map((f) => f.repoPath)).toEqual(['onnx/model.onnx', 'tokenizer.json', 'config.json', 'tokenizer_config.json'])
    const loaded = await loadModelDir(dest, { providers: ['cpu'] })
    try {
      const text = 'Hello World, the Café stays here.'
      const from = text.indexOf('World')
      const res = await runFill(fillModelOf(loaded), {
        requestId: 'f',
        text,
        spans: [{ id: 's', from, to: from + 'World'.length, slots: 3 }],
        locked: [],
        settings: { ...DEFAULT_SAMPLING, candidates: 2, seed: 5 },
      })
      expect(loaded.info.family).toBe('mlm')
      expect(res.spans[0].candidates).toHaveLength(2)
      for (const c of res.spans[0].candidates) expect(c.text).not.toMatch(/\[(CLS|SEP|MASK|PAD|UNK)\]/)
    } finally {
      await loaded.dispose()
    }
  })

  it('says the repository is not there, and that the hub is unreachable when offline', async () => {
    const missing = await expectDownloadError(downloadModel({ repoId: 'fixture/nope', variant: 'int8', dest: join(root, 'y'), hubUrl }), 'not-found')
    expect(missing.message).toMatch(/has no model "fixture\/nope" at revision "main"/)
    const closed = await closedPort()
    const offline = await expectDownloadError(downloadModel({ repoId: REPO, variant: 'int8', dest: join(root, 'z'), hubUrl: `http://127.0.0.1:${closed}` }), 'offline')
    expect(offline.message).toBe(
      `Cannot reach the Hugging Face Hub at http://127.0.0.1:${closed} (ECONNREFUSED). You seem to be offline. Connect and try again; a partial download resumes where it stopped. Without a network, copy a model folder onto this computer and add it (Models › Add folder, or start with --model DIR).`,
    )
  })
})
