/**
 * Hostile-input suite, round two (issue 25), for `npm run model:get` (the real CLI in its own
 * process) against hubs on 127.0.0.1 that this test starts: a hostile one (a 700 MB model-info
 * body, a listing that paginates forever, a file name with backslashes) and the fixture hub.
 * Items: 3 an unrelated <dest>.partial, 6 unbounded Hub answers, 10 repo ids, revisions and
 * file names checked for every platform, refusals naming the right repository.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FixtureHub } from './fixture-hub'
import { MAX_INFO_BYTES, MAX_LISTING_PAGES } from './hub-limits'

const APP_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = join(APP_ROOT, 'main', 'cli', 'model-get.ts')
const COMMIT = 'c0ffee'.padEnd(40, '0')
const sha = (n: number): string => n.toString(16).padStart(64, '0')

/** Runs model:get; resolves with its exit status and output (killed after 60 s). */
function modelGet(args: string[]): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: APP_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, INFILL_HUB_URL: '' } })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, out, ms: Date.now() - started })
    })
  })
}

/** A hub that answers like the Hugging Face Hub until it does not. Counts what it sent. */
class HostileHub {
  infoBytesSent = 0
  pagesServed = 0
  fileRequests = 0
  private server: Server | null = null
  url = ''

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)
      if (path === '/api/models/huge/info/revision/main') return this.endlessInfo(res)
      let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/main$/.exec(path)
      if (m) return this.json(res, { id: m[1], sha: COMMIT })
      m = /^\/api\/models\/endless\/listing\/tree\//.exec(path)
      if (m) return this.listingPage(res, Number(new URL(req.url ?? '/', 'http://x').searchParams.get('cursor') ?? 0))
      if (path.startsWith('/api/models/bad/names/tree/'))
        return this.json(res, [
          { type: 'file', path: 'model.onnx', size: 4, oid: 'a'.repeat(40), lfs: { oid: sha(1), size: 4 } },
          { type: 'file', path: '..\\..\\evil.onnx', size: 4, oid: 'b'.repeat(40), lfs: { oid: sha(2), size: 4 } },
          { type: 'file', path: 'tokenizer.json', size: 2, oid: 'c'.repeat(40) },
          { type: 'file', path: 'manifest.json', size: 2, oid: 'd'.repeat(40) },
        ])
      this.fileRequests++
      res.writeHead(404).end()
    })
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`
  }

  private json(res: import('node:http').ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(200, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body))
  }

  /** A model-info body of up to 700 MB, sent in 1 MiB chunks without a length, until the client hangs up. */
  private endlessInfo(res: import('node:http').ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json' })
    const chunk = Buffer.alloc(1024 * 1024, 'x')
    res.write('{"id":"huge/info","sha":"' + COMMIT + '","padding":"')
    const pump = (): void => {
      while (this.infoBytesSent < 700 * 1024 * 1024 && !res.destroyed) {
        this.infoBytesSent += chunk.length
        if (!res.write(chunk)) return void res.once('drain', pump)
      }
      if (!res.destroyed) res.end('"}')
    }
    res.on('close', () => undefined)
    pump()
  }

  /** Page `cursor` of a listing that always has a next page (1,000 entries each). */
  private listingPage(res: import('node:http').ServerResponse, cursor: number): void {
    this.pagesServed++
    const entries = Array.from({ length: 1000 }, (_, i) => ({ type: 'file', path: `shard-${cursor}-${i}.bin`, size: 1, oid: sha(cursor * 1000 + i).slice(0, 40) }))
    this.json(res, entries, { Link: `<${this.url}/api/models/endless/listing/tree/${COMMIT}?recursive=true&cursor=${cursor + 1}>; rel="next"` })
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r())
  }
}

describe('hostile input, round two: model:get against a hostile hub', () => {
  const hub = new HostileHub()
  const fixture = new FixtureHub()
  let fixtureUrl = ''
  let dir = ''
  beforeAll(async () => {
    await hub.start()
    fixture.addRepo(
      'fixture/tiny',
      new Map([
        ['model.onnx', Buffer.from('not really onnx')],
        ['tokenizer.json', Buffer.from('{}')],
        ['manifest.json', Buffer.from('{}')],
      ]),
    )
    fixtureUrl = await fixture.start()
    dir = mkdtempSync(join(tmpdir(), 'infill-hostile-hub-'))
  })
  afterAll(async () => {
    await hub.stop()
    await fixture.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('6. a 700 MB model-info body is cut off at its limit with a clear error', async () => {
    const r = await modelGet(['huge/info', '--hub-url', hub.url, '--to', join(dir, 'huge'), '--no-check'])
    console.log(`model:get on a 700 MB model-info body: exit ${r.code} after ${r.ms} ms; the hub sent ${(hub.infoBytesSent / 1048576).toFixed(0)} MiB before the CLI hung up`)
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/model information is larger than 8 MiB; Infill stopped reading it/)
    // What the hub could push before the client closed: the limit plus socket buffers, not 700 MB.
    expect(hub.infoBytesSent).toBeLessThan(MAX_INFO_BYTES + 48 * 1048576)
    expect(existsSync(join(dir, 'huge'))).toBe(false)
  }, 70_000)

  it('6. a listing that paginates forever stops at its bound with a clear error', async () => {
    const r = await modelGet(['endless/listing', '--hub-url', hub.url, '--to', join(dir, 'endless'), '--no-check'])
    console.log(`model:get on an endless listing: exit ${r.code} after ${r.ms} ms, ${hub.pagesServed} pages served`)
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/file listing (has more than 20,000 entries|goes on past \d+ pages)/)
    expect(hub.pagesServed).toBeLessThanOrEqual(MAX_LISTING_PAGES + 1)
  }, 70_000)

  it('10. repo ids and revisions are checked for every platform, untrimmed', async () => {
    const cases: Array<{ args: string[]; says: RegExp }> = [
      { args: ['a/b--c'], says: /the name "b--c" contains "--"/ },
      { args: ['a--b/c'], says: /the owner "a--b" contains "--"/ },
      { args: ['a/b\\c'], says: /backslash/ },
      { args: ['con/model'], says: /"con" is a device name on Windows/ },
      { args: ['a/b', '--revision', 'main '], says: /--revision "main " is not a branch, tag or commit id: it starts or ends with a space/ },
      { args: ['a/b', '--revision', 'main\t'], says: /control character/ },
      { args: ['a/b', '--revision', 'main\n'], says: /control character/ },
    ]
    for (const c of cases) {
      const r = await modelGet([...c.args, '--hub-url', hub.url, '--to', join(dir, 'never'), '--no-check'])
      expect({ args: c.args, code: r.code }).toEqual({ args: c.args, code: 2 })
      expect(r.out).toMatch(c.says)
    }
    expect(hub.fileRequests).toBe(0)
  }, 120_000)

  it('10. a file name with backslashes in the listing is refused before any file is fetched', async () => {
    const r = await modelGet(['bad/names', '--variant', 'fp32', '--hub-url', hub.url, '--to', join(dir, 'bad'), '--no-check'])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/bad\/names lists a file "\.\.\\\.\.\\evil\.onnx" whose name cannot be saved safely \(it contains a backslash/)
    expect(hub.fileRequests).toBe(0)
    expect(existsSync(join(dir, 'bad'))).toBe(false)
  }, 70_000)

  it('10. a taken install folder names the repository it holds', async () => {
    const taken = join(dir, 'taken')
    mkdirSync(taken)
    const source = { repoId: 'Fixture/Tiny', revision: 'main', commit: COMMIT, variant: 'fp32', hubUrl: null, downloadedAt: '2026-01-01T00:00:00Z', files: [] }
    writeFileSync(join(taken, 'infill-source.json'), JSON.stringify(source))
    const r = await modelGet(['fixture/tiny', '--variant', 'fp32', '--hub-url', fixtureUrl, '--to', taken, '--no-check'])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/already exists \(it holds Fixture\/Tiny, fp32\)/)
  }, 70_000)

  it('3. an unrelated <dest>.partial folder is refused, never deleted', async () => {
    const dest = join(dir, 'novel')
    mkdirSync(`${dest}.partial`)
    writeFileSync(join(`${dest}.partial`, 'chapter1.md'), 'It was a dark and stormy night.')
    const r = await modelGet(['fixture/tiny', '--variant', 'fp32', '--hub-url', fixtureUrl, '--to', dest, '--no-check'])
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/novel\.partial exists and was not made by an Infill download \(it has no download\.json\); it was left as it is/)
    expect(readdirSync(`${dest}.partial`)).toEqual(['chapter1.md'])
    expect(readFileSync(join(`${dest}.partial`, 'chapter1.md'), 'utf8')).toBe('It was a dark and stormy night.')
    expect(existsSync(dest)).toBe(false)
    expect(fixture.log.some((e) => e.url.includes('/resolve/'))).toBe(false)
  }, 70_000)
})
