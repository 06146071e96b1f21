import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_HUB_URL, ModelManager } from './model-manager'

let dir: string | null = null
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }))

function manager(fetch: typeof globalThis.fetch, hubUrl?: string): ModelManager {
  dir = mkdtempSync(join(tmpdir(), 'infill-hub-status-'))
  const engine = { loadModel: async () => Promise.reject(new Error('not here')), activeDir: () => null }
  return new ModelManager({ appRoot: dir, userDataDir: dir, engine, fetch, ...(hubUrl ? { hubUrl } : {}) })
}

describe('whether the Hub can be reached, asked before a download', () => {
  it('any HTTP answer means the Hub is there (a 404 or 401 too); the mirror set is the one asked', async () => {
    const asked: string[] = []
    const answer = (status: number) => (async (url: string | URL | Request) => (asked.push(String(url)), new Response('{}', { status }))) as typeof fetch
    expect(await manager(answer(200)).hubStatus()).toEqual({ reachable: true, hubUrl: DEFAULT_HUB_URL, message: null })
    expect((await manager(answer(404), 'http://127.0.0.1:9/mirror/').hubStatus()).reachable).toBe(true)
    expect(asked).toEqual([`${DEFAULT_HUB_URL}/api/models?limit=1`, 'http://127.0.0.1:9/mirror/api/models?limit=1'])
  })

  it('a network error says so in a sentence, with what to do instead', async () => {
    const offline = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } })
    }) as typeof fetch
    const s = await manager(offline).hubStatus()
    expect(s.reachable).toBe(false)
    expect(s.message).toBe(
      `The Hugging Face Hub cannot be reached from this computer (${DEFAULT_HUB_URL}: ENOTFOUND), so a download would fail. Connect and check again, or copy a model folder onto this computer and add it below.`,
    )
  })

  it('no answer within the time allowed counts as unreachable', async () => {
    const silent = ((_u: unknown, init?: RequestInit) =>
      new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))) as typeof fetch
    const s = await manager(silent).hubStatus(50)
    expect([s.reachable, s.message?.includes('no answer within 0 s')]).toEqual([false, true])
  })
})
