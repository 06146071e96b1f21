/**
 * Hostile-input suite, round two (issue 25), for the real engine process: model folders whose
 * files are not what their names say. Item 7: a 52 MB tokenizer.json, and one with 1.6 million
 * entries under the size limit, are refused before the tokenizer library sees them (that took an
 * engine to 4.4 GB and an out-of-memory abort); item 4 in the engine: a named pipe as
 * tokenizer.json or manifest.json is refused at once instead of hanging the load, and one as the
 * experts file leaves the model without its experts. After each,
 * the engine still holds its previous model and fills with it.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING } from '../contract'
import { EngineClient, forkWithNode } from './engine-client'
import { resolveTestModel } from './model-paths'

const modelDir = resolveTestModel()

/** Peak resident memory of a process in MB (Linux), or null. */
function peakMb(pid: number | undefined): number | null {
  if (!pid || !existsSync(`/proc/${pid}/status`)) return null
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return kb ? Math.round(Number(kb) / 1024) : null
}

describe.skipIf(!modelDir)('hostile input, round two: model folders the engine loads', () => {
  let engine: EngineClient
  let base: string
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'infill-hostile-model-'))
    engine = new EngineClient(forkWithNode({ env: { ...process.env, INFILL_EXECUTION_PROVIDER: 'cpu' } }))
    engine.start()
    await engine.loadModel(modelDir!)
  }, 120_000)
  afterAll(async () => {
    await engine?.dispose()
    if (base) rmSync(base, { recursive: true, force: true })
  })

  /** A model folder: the test model's files linked, with `files` written in place of its own. */
  function folder(name: string, files: Record<string, string | 'fifo'>): string {
    const dir = join(base, name)
    mkdirSync(dir)
    for (const f of readdirSync(modelDir!)) if (!(f in files)) symlinkSync(join(modelDir!, f), join(dir, f))
    for (const [f, content] of Object.entries(files)) {
      if (content === 'fifo') execFileSync('mkfifo', [join(dir, f)])
      else writeFileSync(join(dir, f), content)
    }
    return dir
  }

  async function refusedThenStillFills(dir: string, says: RegExp): Promise<number> {
    const t0 = Date.now()
    await expect(engine.loadModel(dir)).rejects.toThrow(says)
    const ms = Date.now() - t0
    expect(engine.state().model?.dir).toBe(modelDir)
    const text = 'The old man walked down to the river.'
    const { result } = engine.fill({ requestId: `after-${dir}`, text, spans: [{ id: 's', from: 4, to: 7 }], locked: [], settings: { ...DEFAULT_SAMPLING, seed: 1 } })
    expect((await result).spans[0].candidates.length).toBeGreaterThan(0)
    return ms
  }

  it('7. a 52 MB tokenizer.json is refused by its size before it is read', async () => {
    const tokenizer = JSON.parse(readFileSync(join(modelDir!, 'tokenizer.json'), 'utf8'))
    tokenizer.padding_note = 'x'.repeat(52 * 1024 * 1024)
    const ms = await refusedThenStillFills(folder('big-tokenizer', { 'tokenizer.json': JSON.stringify(tokenizer) }), /tokenizer\.json: is 52\.\d MiB; a model's tokenizer\.json may be at most 32\.0 MiB/)
    console.log(`52 MB tokenizer.json refused in ${ms} ms; engine peak RSS so far ${peakMb(engine.pid())} MB`)
  }, 60_000)

  it('7. a tokenizer.json with 1.6 million entries is refused before the tokenizer is built', async () => {
    const tokenizer = JSON.parse(readFileSync(join(modelDir!, 'tokenizer.json'), 'utf8')) as { model: { vocab: [string, number][] } }
    for (let i = 0; tokenizer.model.vocab.length < 1_600_000; i++) tokenizer.model.vocab.push([`t${i}`, -20])
    const text = JSON.stringify(tokenizer)
    expect(text.length).toBeLessThan(32 * 1024 * 1024)
    const ms = await refusedThenStillFills(folder('many-entries', { 'tokenizer.json': text }), /is too large to load: it has 1,600,00\d entries .* at most 300,000/)
    const peak = peakMb(engine.pid())
    console.log(`tokenizer.json of ${(text.length / 1048576).toFixed(0)} MiB with 1.6 M entries refused in ${ms} ms; engine peak RSS ${peak} MB`)
    if (peak !== null) expect(peak).toBeLessThan(2_000)
  }, 60_000)

  it('4. a named pipe as tokenizer.json or manifest.json is refused at once', async () => {
    for (const file of ['tokenizer.json', 'manifest.json']) {
      const ms = await refusedThenStillFills(folder(`pipe-${file}`, { [file]: 'fifo' }), new RegExp(`${file.replace('.', '\\.')}: is a named pipe, not a regular file`))
      expect(ms).toBeLessThan(5_000)
    }
  }, 60_000)

  it('4. a named pipe as the experts file the manifest names: the model loads without its experts, at once', async () => {
    const manifest = { ...JSON.parse(readFileSync(join(modelDir!, 'manifest.json'), 'utf8')), experts: 'experts.json' }
    const dir = folder('pipe-experts', { 'manifest.json': JSON.stringify(manifest), 'experts.json': 'fifo' })
    const t0 = Date.now()
    const info = await engine.loadModel(dir)
    expect(info.dir).toBe(dir)
    expect(Date.now() - t0).toBeLessThan(20_000)
    await engine.loadModel(modelDir!)
  }, 60_000)
})
