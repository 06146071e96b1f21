/**
 * Hostile-input suite for the browser-mode host (issue 12, items 1-6 and 11). The host runs
 * in its own process (hostile-host.fixture.ts: the real services and web host over a
 * stand-in engine), so every group can also check that it is still alive. 127.0.0.1 only,
 * bounded loops, a few seconds each.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { RequestHandlers } from '../contract'
import { recoveryFileName } from '../services/recovery'
import { writeUrlFile } from './url-file'
import { MAX_FRAME_BYTES, startWebHost } from './web-host'

const FIXTURE = fileURLToPath(new URL('./hostile-host.fixture.ts', import.meta.url))

interface Fixture {
  child: ChildProcess
  port: number
  token: string
  cookieName: string
  base: string
  appRoot: string
  workspace: string
  userData: string
  outside: string
}

async function startFixture(): Promise<Fixture> {
  const base = mkdtempSync(join(tmpdir(), 'infill-hostile-'))
  const dirs = { appRoot: join(base, 'app'), workspace: join(base, 'workspace'), userData: join(base, 'user-data'), renderer: join(base, 'renderer'), outside: join(base, 'outside') }
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true })
  mkdirSync(join(dirs.appRoot, 'models', 'default'), { recursive: true })
  writeFileSync(join(dirs.renderer, 'index.html'), '<!doctype html><title>Infill</title>')
  const child = fork(FIXTURE, [dirs.appRoot, dirs.workspace, dirs.userData, dirs.renderer], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let out = ''
  const info = await new Promise<{ port: number; token: string; cookieName: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hostile host printed nothing in 30 s:\n${out}`)), 30_000)
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) {
        clearTimeout(timer)
        resolve(JSON.parse(line))
      }
    })
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()))
    child.on('exit', (code) => reject(new Error(`hostile host exited (${code}):\n${out}`)))
  })
  return { child, ...info, base, ...dirs }
}

/** One WebSocket connection speaking the contract's wire format. */
class Client {
  private nextId = 1
  private readonly pending = new Map<number, (r: { ok: boolean; value?: unknown; error?: string }) => void>()
  readonly closed: Promise<{ code: number; reason: string }>
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const msg = JSON.parse(String(d)) as { kind: string; id: number; ok: boolean; value?: unknown; error?: string }
      if (msg.kind === 'result') this.pending.get(msg.id)?.(msg)
    })
    this.closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })))
  }
  static async open(f: { port: number; token: string; cookieName: string }): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${f.port}/ws`, {
      headers: { Origin: `http://127.0.0.1:${f.port}`, Cookie: `${f.cookieName}=${f.token}` },
      maxPayload: 1024 * 1024,
    })
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    return new Client(ws)
  }
  send(channel: string, payload?: unknown): Promise<{ ok: boolean; value?: unknown; error?: string }> {
    const id = this.nextId++
    const answer = new Promise<{ ok: boolean; value?: unknown; error?: string }>((r) => this.pending.set(id, r))
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
  close(): Promise<{ code: number; reason: string }> {
    this.ws.close()
    return this.closed
  }
}

/** A WebSocket upgraded by hand, for frames no client library would send. */
async function rawSocket(f: Fixture): Promise<Socket> {
  const socket = connect(f.port, '127.0.0.1')
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.write(
    [
      'GET /ws HTTP/1.1',
      `Host: 127.0.0.1:${f.port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      `Origin: http://127.0.0.1:${f.port}`,
      `Cookie: ${f.cookieName}=${f.token}`,
      '',
      '',
    ].join('\r\n'),
  )
  await new Promise<void>((resolve, reject) => {
    setTimeout(() => reject(new Error('no answer to the upgrade within 5 s (is the host still running?)')), 5_000).unref()
    socket.once('close', () => reject(new Error('the host closed the connection during the upgrade')))
    let head = ''
    const onData = (c: Buffer): void => {
      head += c.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      if (head.startsWith('HTTP/1.1 101')) resolve()
      else reject(new Error(`upgrade refused: ${head}`))
    }
    socket.on('data', onData)
  })
  return socket
}

/** A masked client frame. `declaredLength` lies about the payload size when given. */
function frame(opcode: number, payload: Buffer, opts: { rsv1?: boolean; declaredLength?: number } = {}): Buffer {
  const length = opts.declaredLength ?? payload.length
  const head: number[] = [0x80 | (opts.rsv1 ? 0x40 : 0) | opcode]
  if (length < 126) head.push(0x80 | length)
  else if (length < 65536) head.push(0x80 | 126, length >> 8, length & 0xff)
  else {
    head.push(0x80 | 127)
    const big = Buffer.alloc(8)
    big.writeBigUInt64BE(BigInt(length))
    head.push(...big)
  }
  const mask = [1, 2, 3, 4]
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))
  return Buffer.concat([Buffer.from([...head, ...mask]), body])
}

/** Reads the server's close frame: its code and reason. */
function closeFrame(socket: Socket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const timer = setTimeout(() => reject(new Error('no close frame within 5 s')), 5_000)
    socket.once('close', () => reject(new Error('the connection ended without a close frame')))
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c])
      if (buf.length < 2 || (buf[0] & 0x0f) !== 0x8) return
      const len = buf[1] & 0x7f
      if (buf.length < 2 + len) return
      clearTimeout(timer)
      resolve({ code: len >= 2 ? buf.readUInt16BE(2) : 1005, reason: buf.subarray(4, 2 + len).toString('utf8') })
    })
  })
}

function rss(f: Fixture): Promise<{ rss: number; queued: number }> {
  return new Promise((resolve) => {
    f.child.once('message', (m) => resolve(m as { rss: number; queued: number }))
    f.child.send('rss')
  })
}

async function until(check: () => Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const SETTINGS = { strategy: 'threshold', steps: 4, blockLength: 0, threshold: 0.9, temperature: 0, topP: 1, seed: 1, candidates: 1 }
const fill = (requestId: string, text = 'The cat sat.'): object => ({ requestId, text, spans: [{ id: 's', from: 4, to: 7 }], locked: [], settings: SETTINGS })

describe('hostile input: the browser-mode host', () => {
  let f: Fixture
  beforeAll(async () => {
    f = await startFixture()
  })
  afterAll(() => {
    f?.child.kill()
  })

  const alive = async (): Promise<void> => {
    expect(f.child.exitCode).toBeNull()
    const c = await Client.open(f)
    expect(await c.value('host:info')).toMatchObject({ version: 'hostile-test' })
    await c.close()
  }

  it('1. a bad frame closes only its connection, with a close code and a reason', async () => {
    const cases: Array<{ what: string; bytes: Buffer; code: number; reason: RegExp }> = [
      { what: 'frame over the limit', bytes: frame(0x1, Buffer.alloc(0), { declaredLength: MAX_FRAME_BYTES + 1 }), code: 1009, reason: /over 32 MiB/ },
      { what: 'invalid UTF-8', bytes: frame(0x1, Buffer.from([0xc3, 0x28, 0xff])), code: 1007, reason: /UTF-8/ },
      { what: 'RSV1 without an extension', bytes: frame(0x1, Buffer.from('{}'), { rsv1: true }), code: 1002, reason: /reserved bits/ },
      { what: 'unknown opcode', bytes: frame(0x3, Buffer.from('x')), code: 1002, reason: /unknown opcode/ },
      { what: 'binary frame', bytes: frame(0x2, Buffer.from([1, 2, 3])), code: 1003, reason: /binary/ },
      { what: 'not JSON', bytes: frame(0x1, Buffer.from('{nope')), code: 1003, reason: /malformed/ },
    ]
    for (const c of cases) {
      const socket = await rawSocket(f)
      socket.on('error', () => undefined)
      const closed = closeFrame(socket)
      socket.write(c.bytes)
      const got = await closed
      socket.destroy()
      expect({ what: c.what, code: got.code }).toEqual({ what: c.what, code: c.code })
      expect(got.reason).toMatch(c.reason)
    }
    // A connection that drops mid-frame and a half-sent upgrade do not end the host either.
    const half = await rawSocket(f)
    half.write(frame(0x1, Buffer.from('{"kind":"invoke"')).subarray(0, 9))
    half.destroy()
    const upgrade = connect(f.port, '127.0.0.1')
    upgrade.on('error', () => undefined)
    upgrade.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${f.port}\r\nUpgrade: websocket\r\n`)
    upgrade.destroy()
    await alive()
  })

  it('2+3. file requests follow links to their real place and stay in the workspace', async () => {
    const c = await Client.open(f)
    const doc = { markdown: 'text', sidecar: null }
    // A folder link and a file link inside the workspace, both pointing outside.
    symlinkSync(f.outside, join(f.workspace, 'linked-folder'), 'dir')
    writeFileSync(join(f.outside, 'secret.md'), 'outside secret')
    symlinkSync(join(f.outside, 'secret.md'), join(f.workspace, 'linked-file.md'))
    expect(await c.error('doc:save', { ...doc, path: 'linked-folder/new.md' })).toMatch(/outside the workspace/)
    expect(existsSync(join(f.outside, 'new.md'))).toBe(false)
    expect(await c.error('doc:open', { path: 'linked-file.md' })).toMatch(/outside the workspace/)
    expect(await c.error('doc:open', { path: join(f.outside, 'secret.md') })).toMatch(/outside the workspace/)
    expect(await c.error('doc:save', { ...doc, path: '../outside/dots.md' })).toMatch(/outside the workspace/)
    expect(readdirSync(f.outside).sort()).toEqual(['secret.md'])

    // A recovery entry's path is data: listing it grants nothing, exporting there is refused.
    writeFileSync(join(f.outside, 'victim.jsonl'), 'keep me\n')
    await c.value('recovery:write', { documentId: 'evil', path: join(f.outside, 'victim.jsonl'), markdown: 'x', sidecar: null })
    await c.value('recovery:write', { documentId: 'evil-md', path: join(f.outside, 'secret.md'), markdown: 'x', sidecar: null })
    const listed = (await c.value('recovery:list')) as Array<{ documentId: string; path: string | null }>
    expect(listed.map((e) => e.path)).toContain(join(f.outside, 'victim.jsonl'))
    expect(await c.error('prefs:export', { format: 'standard', path: join(f.outside, 'victim.jsonl'), replace: true })).toMatch(/outside the workspace/)
    expect(await c.error('doc:open', { path: join(f.outside, 'secret.md') })).toMatch(/outside the workspace/)
    expect(readFileSync(join(f.outside, 'victim.jsonl'), 'utf8')).toBe('keep me\n')

    // Recovery copies live in the user-data folder under the id's hash: doc.a and doc_a stay apart.
    await c.value('recovery:write', { documentId: 'doc.a', path: null, markdown: 'dot', sidecar: null })
    await c.value('recovery:write', { documentId: 'doc_a', path: null, markdown: 'underscore', sidecar: null })
    const after = (await c.value('recovery:list')) as Array<{ documentId: string; markdown: string }>
    expect(after.find((e) => e.documentId === 'doc.a')?.markdown).toBe('dot')
    expect(after.find((e) => e.documentId === 'doc_a')?.markdown).toBe('underscore')
    expect(existsSync(join(f.userData, 'recovery', recoveryFileName('doc.a')))).toBe(true)
    expect(readdirSync(f.workspace).some((n) => n.endsWith('.json'))).toBe(false)
    await c.close()
  })

  it('2. engine:loadModel opens only the models folders (links followed) and chosen directories', async () => {
    const c = await Client.open(f)
    writeFileSync(join(f.outside, 'manifest.json'), '{"secret": "do not echo"}')
    symlinkSync(f.outside, join(f.appRoot, 'models', 'linked'), 'dir')
    for (const dir of [f.outside, join(f.appRoot, 'models', 'linked'), join(f.appRoot, 'models', '..', '..', 'outside')]) {
      const message = await c.error('engine:loadModel', { dir })
      expect(message).toMatch(/models folders/)
      expect(message).not.toMatch(/do not echo/)
    }
    mkdirSync(join(f.appRoot, 'models', 'mine'))
    expect(await c.value('engine:loadModel', { dir: join(f.appRoot, 'models', 'mine') })).toMatchObject({ name: 'stand-in' })
    await c.close()
  })

  it('5. prefs:export writes only .jsonl in the workspace and asks before replacing', async () => {
    const c = await Client.open(f)
    writeFileSync(join(f.workspace, 'notes.md'), 'my document')
    writeFileSync(join(f.workspace, 'prefs.jsonl'), 'older export\n')
    expect(await c.error('prefs:export', { format: 'standard', path: 'notes.md', replace: true })).toMatch(/must end in \.jsonl/)
    expect(readFileSync(join(f.workspace, 'notes.md'), 'utf8')).toBe('my document')
    expect(await c.value('prefs:export', { format: 'standard', path: 'prefs.jsonl' })).toMatchObject({ status: 'exists', name: 'prefs.jsonl' })
    expect(readFileSync(join(f.workspace, 'prefs.jsonl'), 'utf8')).toBe('older export\n')
    expect(await c.value('prefs:export', { format: 'standard', path: 'prefs.jsonl', replace: true })).toMatchObject({ status: 'exported', lines: 0 })
    expect(readFileSync(join(f.workspace, 'prefs.jsonl'), 'utf8')).toBe('')
    // A dangling link to a file outside is not followed.
    symlinkSync(join(f.outside, 'created.jsonl'), join(f.workspace, 'dangling.jsonl'))
    await c.send('prefs:export', { format: 'standard', path: 'dangling.jsonl', replace: true })
    expect(existsSync(join(f.outside, 'created.jsonl'))).toBe(false)
    await c.close()
  })

  it('6. fills: a small cap per connection, only the starter cancels, a closed connection takes its fills along', async () => {
    const a = await Client.open(f)
    const b = await Client.open(f)
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => a.send('engine:fill', fill(`a-${i}`))))
    const accepted = answers.filter((r) => r.ok).length
    expect(accepted).toBe(4)
    expect(answers.find((r) => !r.ok)?.error).toMatch(/limit is 4/)
    expect(await b.error('engine:cancel', { requestId: 'a-1' })).toMatch(/another window/)
    expect(await b.error('engine:fill', fill('a-2'))).toMatch(/already queued or running/)
    expect((await rss(f)).queued).toBe(3)
    await a.close()
    await until(async () => (await rss(f)).queued === 0, "the closed connection's fills to leave the queue")
    // A new writer's fill now runs at once (nothing ahead of it).
    expect(await b.value('engine:fill', fill('b-0'))).toMatchObject({ requestId: 'b-0', queued: 0 })
    await b.value('engine:cancel', { requestId: 'b-0' })
    await b.close()
  })

  it('6. a flood of 5-million-character fills keeps the host memory bounded', async () => {
    const text = 'x'.repeat(5_000_000)
    const ROUNDS = 5
    const before = await rss(f)
    let peak = before.rss
    const sampler = setInterval(() => void rss(f).then((r) => (peak = Math.max(peak, r.rss))), 100)
    const clients = await Promise.all(Array.from({ length: 4 }, () => Client.open(f)))
    let accepted = 0
    let refused = 0
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all(clients.map((c, i) => c.send('engine:fill', fill(`flood-${i}-${round}`, text))))
      for (const r of answers) r.ok ? accepted++ : refused++
    }
    const during = await rss(f)
    await Promise.all(clients.map((c) => c.close()))
    await until(async () => (await rss(f)).queued === 0, 'the flood to leave the queue')
    f.child.send('gc')
    await new Promise((r) => setTimeout(r, 300))
    clearInterval(sampler)
    const after = await rss(f)
    peak = Math.max(peak, during.rss, after.rss)
    const mb = (n: number): string => (n / 1048576).toFixed(0)
    console.log(
      `host RSS under a flood of ${4 * ROUNDS} fills x 5,000,000 characters from 4 connections: ${mb(before.rss)} MB before, peak ${mb(peak)} MB, ${mb(after.rss)} MB after the connections closed (${accepted} accepted, ${refused} refused)`,
    )
    expect(accepted).toBeLessThanOrEqual(2) // 12 million queued characters in all
    expect(refused).toBe(4 * ROUNDS - accepted)
    expect(peak - before.rss).toBeLessThan(300 * 1048576)
    expect(f.child.exitCode).toBeNull()
  })
})

describe('hostile input: cookie, redirect, address file', () => {
  const handlers = { 'host:info': async () => ({ version: 't', nativeDialogs: false, workspaceDir: null, platform: 'linux' }) } as unknown as RequestHandlers
  const get = (port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }))
      })
      req.on('error', reject)
      req.end()
    })

  it('4. each instance has its own cookie: two hosts never share or overwrite it', async () => {
    const rendererDir = mkdtempSync(join(tmpdir(), 'infill-hostile-r-'))
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>')
    const one = await startWebHost({ rendererDir, handlers })
    const two = await startWebHost({ rendererDir, handlers })
    try {
      const c1 = String((await get(one.port, `/?token=${one.token}`)).headers['set-cookie']).split(';')[0]
      const c2 = String((await get(two.port, `/?token=${two.token}`)).headers['set-cookie']).split(';')[0]
      expect(c1.split('=')[0]).toBe(`infill_token_${one.port}`)
      expect(c1.split('=')[0]).not.toBe(c2.split('=')[0])
      // The browser sends both cookies to both ports: each host reads only its own.
      const both = `${c1}; ${c2}`
      expect((await get(one.port, '/', { Cookie: both })).status).toBe(200)
      expect((await get(two.port, '/', { Cookie: both })).status).toBe(200)
      expect((await get(two.port, '/', { Cookie: c1 })).status).toBe(403)
    } finally {
      await one.close()
      await two.close()
    }
  })

  it('11. the token exchange redirects only to the app itself', async () => {
    const rendererDir = mkdtempSync(join(tmpdir(), 'infill-hostile-r-'))
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>')
    const host = await startWebHost({ rendererDir, handlers })
    try {
      for (const path of ['/a/..//evil.example/', '//evil.example/', '/\\evil.example/', '/%2F%2Fevil.example/']) {
        const res = await get(host.port, `${path}?token=${host.token}`)
        expect({ path, status: res.status, location: res.headers.location }).toEqual({ path, status: 303, location: '/' })
      }
    } finally {
      await host.close()
    }
  })

  it('11. --url-file is readable by this user only, also when it existed before', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'infill-hostile-u-')), 'url.txt')
    writeFileSync(file, 'old', { mode: 0o644 })
    writeUrlFile(file, 'http://127.0.0.1:1/?token=secret')
    expect(readFileSync(file, 'utf8')).toBe('http://127.0.0.1:1/?token=secret')
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600)
  })
})
