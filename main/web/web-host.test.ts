import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { RequestHandlers } from '../contract'
import { startWebHost, type WebHost } from './web-host'

/** Raw HTTP GET so the test controls the Host and Origin headers exactly. */
function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers, setHost: false }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const handlers = {
  'host:info': async () => ({ version: 'test', nativeDialogs: false, workspaceDir: '/tmp/ws', platform: 'linux' }),
} as unknown as RequestHandlers

describe('browser-mode web host', () => {
  let host: WebHost
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'infill-web-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Infill</title>')
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)')
    host = await startWebHost({ rendererDir: dir, handlers })
  })
  afterAll(async () => host.close())

  const local = (): string => `127.0.0.1:${host.port}`

  it('binds to 127.0.0.1 and prints a URL carrying the token', () => {
    expect(host.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/\\?token=`))
    expect(host.token.length).toBeGreaterThanOrEqual(32)
  })

  it('refuses a request without the token with 403', async () => {
    const res = await get(host.port, '/', { Host: local() })
    expect(res.status).toBe(403)
    const asset = await get(host.port, '/assets/app.js', { Host: local() })
    expect(asset.status).toBe(403)
  })

  it('refuses a wrong token with 403', async () => {
    const res = await get(host.port, '/?token=nope', { Host: local() })
    expect(res.status).toBe(403)
  })

  it('refuses a foreign Host header even with the right token', async () => {
    const res = await get(host.port, `/?token=${host.token}`, { Host: `evil.example:${host.port}` })
    expect(res.status).toBe(421)
    expect(res.body).toContain('Host')
  })

  it('refuses a foreign Origin', async () => {
    const res = await get(host.port, '/', { Host: local(), Origin: 'http://evil.example', Cookie: `${host.cookieName}=${host.token}` })
    expect(res.status).toBe(403)
  })

  it('trades the token for a cookie, then serves the renderer with a CSP', async () => {
    const first = await get(host.port, `/?token=${host.token}`, { Host: local() })
    expect(first.status).toBe(303)
    const cookie = String(first.headers['set-cookie']).split(';')[0]
    expect(cookie).toBe(`${host.cookieName}=${host.token}`)
    expect(String(first.headers['set-cookie'])).toContain('HttpOnly')
    const page = await get(host.port, '/', { Host: local(), Cookie: cookie })
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>Infill</title>')
    expect(String(page.headers['content-security-policy'])).toContain("default-src 'self'")
  })

  it('does not serve files outside the renderer folder', async () => {
    const res = await get(host.port, '/..%2f..%2fetc%2fpasswd', { Host: local(), Cookie: `${host.cookieName}=${host.token}` })
    expect(res.status).toBe(404)
  })

  it('answers contract requests over the WebSocket only with the token and a local Origin', async () => {
    const origin = `http://127.0.0.1:${host.port}`
    const bad = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, { headers: { Origin: origin } })
    const badResult = await new Promise<string>((r) => {
      bad.on('unexpected-response', (_req, res) => r(`status ${res.statusCode}`))
      bad.on('open', () => r('open'))
      bad.on('error', () => r('error'))
    })
    expect(badResult).toBe('status 403')

    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, { headers: { Origin: origin, Cookie: `${host.cookieName}=${host.token}` } })
    await new Promise((r) => ws.on('open', r))
    const reply = new Promise<unknown>((r) => ws.on('message', (d) => r(JSON.parse(String(d)))))
    ws.send(JSON.stringify({ kind: 'invoke', id: 7, channel: 'host:info' }))
    expect(await reply).toMatchObject({ kind: 'result', id: 7, ok: true, value: { version: 'test' } })

    const invalid = new Promise<unknown>((r) => ws.once('message', (d) => r(JSON.parse(String(d)))))
    ws.send(JSON.stringify({ kind: 'invoke', id: 8, channel: 'doc:open', payload: { path: 42 } }))
    const answer = (await invalid) as { ok: boolean; error: string }
    expect(answer.ok).toBe(false)
    expect(answer.error).toContain('doc:open')
    ws.close()
  })
})
