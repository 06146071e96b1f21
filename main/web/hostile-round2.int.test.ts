/**
 * Hostile-input suite, round two (issue 25), against the real browser-mode host in its own
 * process (hostile-round2-host.fixture.ts: the real services and web host; engines are
 * stand-in child processes so they can be counted). Items: 1 links planted at a save's names,
 * 2 cookie tossing, 4 a named pipe as manifest.json, 5 concurrent compare:start, 8 a huge
 * manifest.json, 10 manifest errors that name the field. 127.0.0.1 only, bounded waits.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process'
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { documentFiles } from '../services/document-files'

const FIXTURE = fileURLToPath(new URL('./hostile-round2-host.fixture.ts', import.meta.url))

interface Fixture {
  child: ChildProcess
  port: number
  token: string
  cookieName: string
  appRoot: string
  workspace: string
  userData: string
  outside: string
}

async function startFixture(): Promise<Fixture> {
  const base = mkdtempSync(join(tmpdir(), 'infill-hostile2-'))
  const dirs = { appRoot: join(base, 'app'), workspace: join(base, 'workspace'), userData: join(base, 'user-data'), renderer: join(base, 'renderer'), outside: join(base, 'outside') }
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true })
  mkdirSync(join(dirs.appRoot, 'models', 'default'), { recursive: true })
  writeFileSync(join(dirs.renderer, 'index.html'), '<!doctype html><title>Infill</title>')
  const child = fork(FIXTURE, [dirs.appRoot, dirs.workspace, dirs.userData, dirs.renderer], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  let out = ''
  const info = await new Promise<{ port: number; token: string; cookieName: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host printed nothing in 30 s:\n${out}`)), 30_000)
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) {
        clearTimeout(timer)
        resolve(JSON.parse(line))
      }
    })
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
    child.on('exit', (code) => reject(new Error(`host exited (${code}):\n${out}`)))
  })
  return { child, ...info, ...dirs }
}

type Answer = { ok: boolean; value?: unknown; error?: string }

class Client {
  private nextId = 1
  private readonly pending = new Map<number, (r: Answer) => void>()
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const msg = JSON.parse(String(d)) as Answer & { kind: string; id: number }
      if (msg.kind === 'result') this.pending.get(msg.id)?.(msg)
    })
  }
  static async open(f: Fixture, cookie = `${f.cookieName}=${f.token}`): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${f.port}/ws`, { headers: { Origin: `http://127.0.0.1:${f.port}`, Cookie: cookie } })
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)))
      ws.once('error', reject)
    })
    return new Client(ws)
  }
  send(channel: string, payload?: unknown): Promise<Answer> {
    const id = this.nextId++
    const answer = new Promise<Answer>((r) => this.pending.set(id, r))
    this.ws.send(JSON.stringify({ kind: 'invoke', id, channel, payload }))
    return answer
  }
  async value(channel: string, payload?: unknown): Promise<unknown> {
    const r = await this.send(channel, payload)
    if (!r.ok) throw new Error(r.error)
    return r.value
  }
  async error(channel: string, payload?: unknown): Promise<string> {
    const r = await this.send(channel, payload)
    if (r.ok) throw new Error(`"${channel}" was accepted: ${JSON.stringify(r.value)}`)
    return r.error ?? ''
  }
  close(): void {
    this.ws.close()
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (the host is stalled)`)), ms).unref())])
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const SIDECAR = { format: 'infill-sidecar', version: 1, markdownHash: '', doc: { type: 'doc' }, documentId: 'doc-1' }

describe('hostile input, round two: the browser-mode host', () => {
  let f: Fixture
  beforeAll(async () => {
    f = await startFixture()
  }, 40_000)
  afterAll(async () => {
    if (f?.child.exitCode === null) f.child.kill('SIGKILL')
    // The 75 MB manifest and the rest of the workspace go with the test.
    if (f) rmSync(join(f.appRoot, '..'), { recursive: true, force: true })
  })

  it('1. a save never writes through links planted at its names', async () => {
    const c = await Client.open(f)
    const path = join(f.workspace, 'notes.md')
    const files = documentFiles(path)
    const victims = { sidecar: 'victim-sidecar.json', pending: 'victim-pending.json', oldTemp: 'victim-temp.md' }
    for (const name of Object.values(victims)) writeFileSync(join(f.outside, name), `keep ${name}\n`)
    // Every name a save used to write at, each a link to a file outside the workspace.
    symlinkSync(join(f.outside, victims.sidecar), files.sidecar)
    symlinkSync(join(f.outside, victims.pending), files.pendingSidecar)
    symlinkSync(join(f.outside, victims.oldTemp), join(f.workspace, `${files.tempPrefix}md.tmp`))
    // ... and dangling links where a new file would be created.
    symlinkSync(join(f.outside, 'created-by-save.json'), join(f.workspace, `${files.tempPrefix}pending.json.tmp`))
    for (let round = 0; round < 2; round++) {
      const saved = (await c.value('doc:save', { path: 'notes.md', markdown: `Round ${round}.`, sidecar: SIDECAR, ifExists: 'replace' })) as { status: string }
      expect(saved.status).toBe('saved')
    }
    for (const name of Object.values(victims)) expect(readFileSync(join(f.outside, name), 'utf8')).toBe(`keep ${name}\n`)
    expect(readdirSync(f.outside).sort()).toEqual(Object.values(victims).sort())
    expect(lstatSync(path).isFile()).toBe(true)
    expect(lstatSync(files.sidecar).isFile()).toBe(true)
    expect(readFileSync(path, 'utf8')).toBe('Round 1.')
    expect(JSON.parse(readFileSync(files.sidecar, 'utf8'))).toMatchObject({ format: 'infill-sidecar' })
    // No temporary file or pending sidecar is left, links included.
    expect(readdirSync(f.workspace).filter((n) => n.startsWith('.infill-'))).toEqual([])
    // The document reopens with its marks.
    expect(await c.value('doc:open', { path: 'notes.md' })).toMatchObject({ markdown: 'Round 1.', sidecar: { format: 'infill-sidecar' } })
    c.close()
  })

  it('2. a decoy cookie of the same name from a sibling port does not lock the writer out', async () => {
    const get = (path: string, cookie?: string): Promise<{ status: number; setCookie: string | undefined }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: f.port, path, headers: { Host: `127.0.0.1:${f.port}`, ...(cookie ? { Cookie: cookie } : {}) } }, (res) => {
          res.resume()
          res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie']?.[0] }))
        })
        req.on('error', reject)
        req.end()
      })
    const mine = `${f.cookieName}=${f.token}`
    const decoy = `${f.cookieName}=x`
    // A browser sends the cookie with the longer path (the decoy's path=/ws) first.
    expect((await get('/', `${decoy}; ${mine}`)).status).toBe(200)
    expect((await get('/', `${mine}; ${decoy}`)).status).toBe(200)
    const ws = await Client.open(f, `${decoy}; ${decoy}; ${mine}`)
    expect(await ws.value('host:info')).toMatchObject({ version: 'hostile-round2' })
    ws.close()
    // Only decoys: refused. Re-opening the token address recovers (a new cookie for path /).
    expect((await get('/', decoy)).status).toBe(403)
    await expect(Client.open(f, decoy)).rejects.toThrow(/403/)
    const exchange = await get(`/?token=${f.token}`, decoy)
    expect(exchange.status).toBe(303)
    expect(exchange.setCookie).toMatch(new RegExp(`^${f.cookieName}=${f.token};.*Path=/`))
  })

  it('4. a named pipe as manifest.json is refused without stalling the host', async () => {
    const dir = join(f.workspace, 'pipe-model')
    mkdirSync(dir)
    writeFileSync(join(dir, 'model.onnx'), 'x')
    writeFileSync(join(dir, 'tokenizer.json'), '{}')
    execFileSync('mkfifo', [join(dir, 'manifest.json')])
    const c = await Client.open(f)
    const started = Date.now()
    // More requests than libuv has threads (4): a blocking read of the pipe would stall them all.
    const answers = await within(10_000, 'models:addFolder x 8', Promise.all(Array.from({ length: 8 }, () => c.send('models:addFolder', { dir: 'pipe-model' }))))
    for (const a of answers) expect(a.error).toMatch(/manifest\.json is a named pipe, not a regular file/)
    const saved = await within(2_000, 'doc:save after the pipe', c.value('doc:save', { path: 'after-pipe.md', markdown: 'still here', sidecar: null }))
    expect(saved).toMatchObject({ status: 'saved' })
    await within(2_000, 'models:list after the pipe', c.value('models:list'))
    console.log(`8 addFolder requests on a FIFO manifest.json, then a save and a list: ${Date.now() - started} ms`)
    c.close()
  })

  it('8 + 10. a 75 MB manifest.json does not block models:list; a bad manifest names its field', async () => {
    const models = join(f.userData, 'models')
    const huge = join(models, 'huge')
    const bad = join(models, 'bad-field')
    for (const d of [huge, bad]) {
      mkdirSync(d, { recursive: true })
      writeFileSync(join(d, 'model.onnx'), 'x')
      writeFileSync(join(d, 'tokenizer.json'), '{}')
    }
    writeFileSync(join(huge, 'manifest.json'), `{"name":"huge","pad":"${'x'.repeat(75 * 1024 * 1024)}"}`)
    writeFileSync(join(bad, 'manifest.json'), JSON.stringify({ name: 'bad', family: 'mdlm', maxLength: '512', vocabSize: 100, tokens: { mask: 1, pad: 2 } }))
    const lister = await Client.open(f)
    const other = await Client.open(f)
    const times: number[] = []
    let slowestOther = 0
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now()
      const listing = lister.value('models:list')
      const t1 = Date.now()
      await other.value('host:info')
      slowestOther = Math.max(slowestOther, Date.now() - t1)
      const overview = (await listing) as { models: Array<{ dir: string; problem: string | null }> }
      times.push(Date.now() - t0)
      expect(overview.models.find((m) => m.dir === huge)?.problem).toMatch(/manifest\.json is 75\.0 MiB; a model's manifest\.json may be at most 1\.0 MiB/)
      expect(overview.models.find((m) => m.dir === bad)?.problem).toMatch(/manifest\.json does not describe a model: maxLength: expected number, received string/)
    }
    console.log(`models:list with a 75 MB manifest.json: ${times.join(', ')} ms; another tab's host:info meanwhile: at most ${slowestOther} ms`)
    expect(Math.max(...times)).toBeLessThan(2_000)
    expect(slowestOther).toBeLessThan(1_000)
    lister.close()
    other.close()
  })

  it('5. six concurrent compare:start leave one engine; compare:stop and the host exit end them', async () => {
    const pids = (): Promise<number[]> =>
      new Promise((resolve) => {
        f.child.once('message', (m) => resolve((m as { pids: number[] }).pids))
        f.child.send('pids')
      })
    await until(async () => (await pids()).length === 1, 'the main engine')
    const [mainPid] = await pids()
    // A "tuned" model whose lineage names the loaded one as its base.
    const tuned = join(f.appRoot, 'models', 'tuned')
    mkdirSync(tuned)
    writeFileSync(join(tuned, 'manifest.json'), JSON.stringify({ name: 'tuned', tuning: { base: { name: 'base', dir: join(f.appRoot, 'models', 'default'), hash: '0' } } }))
    const c = await Client.open(f)
    await until(async () => ((await c.value('engine:state')) as { model: unknown }).model !== null, 'the main model')
    const answers = await Promise.all(Array.from({ length: 6 }, () => c.send('compare:start', { dir: tuned })))
    expect(answers.every((a) => a.ok)).toBe(true)
    await until(async () => ((await c.value('compare:state')) as { status: string }).status === 'ready', 'comparison ready')
    const spawned = (await pids()).filter((p) => p !== mainPid)
    await until(() => spawned.filter(alive).length <= 1, 'overtaken comparison engines to end')
    const running = spawned.filter(alive)
    console.log(`6 concurrent compare:start: ${spawned.length} comparison engine(s) started, ${running.length} running`)
    expect(running.length).toBe(1)
    await c.value('compare:stop')
    await until(() => spawned.filter(alive).length === 0, 'compare:stop to end the comparison engine')
    // Once more, then the host exits (SIGTERM, as Ctrl+C on npm run serve): no engine outlives it.
    await c.value('compare:start', { dir: tuned })
    const all = await pids()
    expect(all.filter(alive).length).toBe(2)
    f.child.kill('SIGTERM')
    await until(() => f.child.exitCode !== null, 'the host to exit')
    await until(() => all.filter(alive).length === 0, 'every engine to end with the host')
  }, 30_000)
})

describe('hostile input, round two: the real engine process', () => {
  it('5. an engine whose host was killed outright (SIGKILL) ends by itself', async () => {
    // A host of one line: fork the real engine process, print its pid once it speaks, wait.
    const script = `const { forkWithNode } = await import(${JSON.stringify(fileURLToPath(new URL('../engine/engine-client.ts', import.meta.url)))}); const ch = forkWithNode()(); let told = false; ch.onMessage(() => { if (!told) console.log(ch.pid); told = true }); setTimeout(() => {}, 60000)`
    const host = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no engine pid in 20 s')), 20_000)
      host.stdout!.on('data', (d: Buffer) => {
        const n = Number(String(d).trim())
        if (n > 0) {
          clearTimeout(timer)
          resolve(n)
        }
      })
    })
    expect(alive(pid)).toBe(true)
    host.kill('SIGKILL')
    await until(() => !alive(pid), 'the orphaned engine to exit', 10_000)
  }, 40_000)
})
