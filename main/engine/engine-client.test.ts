/** EngineClient against an in-memory fake engine (no process, no model). */
import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillRequest, type ModelInfo } from '../contract'
import { EngineClient, FillFailed, type EngineChannel } from './engine-client'
import type { FromEngine, ToEngine } from './protocol'

const INFO: ModelInfo = { name: 'fake', family: 'mdlm', dir: '/m', maxLength: 64, vocabSize: 10, hash: 'h', provider: 'cpu' }

/** A fake engine: answers loads at once; fills wait until `finish` is called. */
class FakeEngine implements EngineChannel {
  readonly received: ToEngine[] = []
  private onMsg: (m: unknown) => void = () => {}
  private onExitFn: (d: string) => void = () => {}
  constructor(readonly pid: number) {}
  post(msg: ToEngine): void {
    this.received.push(msg)
    if (msg.type === 'load') {
      queueMicrotask(() => {
        this.emit({ type: 'state', state: { status: 'ready', model: { ...INFO, dir: msg.dir }, queued: 0 } })
        this.emit({ type: 'loaded', dir: msg.dir, model: { ...INFO, dir: msg.dir } })
      })
    }
  }
  onMessage(fn: (m: unknown) => void): void {
    this.onMsg = fn
  }
  onExit(fn: (d: string) => void): void {
    this.onExitFn = fn
  }
  kill(): void {
    this.onExitFn('signal SIGTERM')
  }
  emit(m: FromEngine): void {
    this.onMsg(m)
  }
  crash(description = 'signal SIGKILL'): void {
    this.onExitFn(description)
  }
  finish(requestId: string): void {
    this.emit({ type: 'done', result: { requestId, spans: [], forwardPasses: 1, ms: 1, model: INFO, settings: DEFAULT_SAMPLING } })
  }
}

function request(requestId: string): FillRequest {
  return { requestId, text: 'a b', spans: [{ id: 's', from: 0, to: 1 }], locked: [], settings: DEFAULT_SAMPLING }
}

function setup(options = {}) {
  const engines: FakeEngine[] = []
  const client = new EngineClient(() => {
    const e = new FakeEngine(engines.length + 1)
    engines.push(e)
    return e
  }, options)
  return { client, engines }
}

const flush = () => new Promise((r) => setTimeout(r, 0))

describe('EngineClient (fake engine)', () => {
  it('runs one request at a time, in order', async () => {
    const { client, engines } = setup()
    client.start()
    await client.loadModel('/m')
    const a = client.fill(request('a'))
    const b = client.fill(request('b'))
    expect([a.queued, b.queued]).toEqual([0, 1])
    expect(engines[0].received.filter((m) => m.type === 'fill')).toHaveLength(1)
    expect(client.state().queued).toBe(1)
    engines[0].finish('a')
    await expect(a.result).resolves.toMatchObject({ requestId: 'a' })
    expect(engines[0].received.filter((m) => m.type === 'fill').map((m) => m.type === 'fill' && m.request.requestId)).toEqual(['a', 'b'])
    engines[0].finish('b')
    await expect(b.result).resolves.toMatchObject({ requestId: 'b' })
  })

  it('refuses an invalid request without sending it', async () => {
    const { client, engines } = setup()
    const errors: string[] = []
    client.onError((e) => errors.push(e.message))
    const bad = client.fill({ ...request('x'), spans: [] })
    await expect(bad.result).rejects.toBeInstanceOf(FillFailed)
    expect(errors[0]).toMatch(/Invalid fill request[\s\S]*spans/)
    expect(engines).toHaveLength(0)
    await expect(client.loadModel('')).rejects.toThrow(/needs a model directory/)
  })

  it('fails a request whose result cannot be read instead of waiting forever', async () => {
    const { client, engines } = setup()
    await client.loadModel('/m')
    const r = client.fill(request('bad'))
    engines[0].emit({ type: 'done', result: { requestId: 'bad', spans: 'nope' } } as unknown as FromEngine)
    await expect(r.result).rejects.toThrow(/unreadable result/)
    const next = client.fill(request('next'))
    engines[0].finish('next')
    await expect(next.result).resolves.toMatchObject({ requestId: 'next' })
  })

  it('cancels the running request through the engine', async () => {
    const { client, engines } = setup()
    await client.loadModel('/m')
    client.fill(request('r'))
    client.cancel('r')
    expect(engines[0].received.at(-1)).toEqual({ type: 'cancel', requestId: 'r' })
  })

  it('after a crash: fails the running fill, restarts, reloads the model, then runs the queue', async () => {
    const { client, engines } = setup()
    const statuses: string[] = []
    client.onState((s) => statuses.push(s.status))
    await client.loadModel('/m')
    const running = client.fill(request('r'))
    const waiting = client.fill(request('w'))
    engines[0].crash()
    await expect(running.result).rejects.toMatchObject({ event: { requestId: 'r', cancelled: false } })
    expect(statuses).toContain('crashed')
    expect(engines).toHaveLength(2)
    expect(engines[1].received[0]).toEqual({ type: 'load', dir: '/m' })
    await flush()
    expect(engines[1].received[1]).toMatchObject({ type: 'fill', request: { requestId: 'w' } })
    engines[1].finish('w')
    await expect(waiting.result).resolves.toMatchObject({ requestId: 'w' })
  })

  it('a crash storm (8 crashes at once) never leaves it without the model: restarts back off, the model is reloaded, a fill succeeds', async () => {
    const { client, engines } = setup({ maxCrashes: 3, backoffMs: 5, maxBackoffMs: 20 })
    const messages: string[] = []
    client.onState((s) => s.message && messages.push(s.message))
    await client.loadModel('/m')
    for (let i = 0; i < 8; i++) {
      await waitFor(() => engines.length === i + 1)
      engines[i].crash()
    }
    await waitFor(() => engines.length === 9)
    const r = client.fill(request('after'))
    await waitFor(() => engines[8].received.some((m) => m.type === 'fill'))
    expect(engines[8].received[0]).toEqual({ type: 'load', dir: '/m' })
    engines[8].finish('after')
    await expect(r.result).resolves.toMatchObject({ requestId: 'after' })
    expect(client.state()).toMatchObject({ status: 'ready', model: { dir: '/m' } })
    expect(client.state().noModel).toBeUndefined()
    expect(messages.some((m) => /restarting in \d/.test(m))).toBe(true)
  })

  it('when reloading the model keeps crashing the engine, it runs without it and says so (noModel); a new load clears that', async () => {
    const { client, engines } = setup({ maxReloadCrashes: 2 })
    await client.loadModel('/m')
    engines[0].crash() // engine 1 starts and reloads /m ...
    engines[1].crash('signal SIGSEGV') // ... and dies during that reload
    engines[2].crash('signal SIGSEGV') // twice in a row: /m is given up
    await flush()
    expect(client.state().noModel).toMatchObject({ dir: '/m', reason: expect.stringMatching(/stopped the engine 2 times in a row[\s\S]*Load a model/) })
    expect(engines[3].received.filter((m) => m.type === 'load')).toEqual([])
    const refused = client.fill(request('x'))
    await expect(refused.result).rejects.toThrow(/Load a model/)
    await client.loadModel('/other')
    expect(client.state().noModel).toBeUndefined()
    expect(client.state().model).toMatchObject({ dir: '/other' })
  })

  it('kills from outside during the reload (SIGKILL) never make it give the model up', async () => {
    const { client, engines } = setup({ maxReloadCrashes: 2, maxCrashes: 100 })
    await client.loadModel('/m')
    for (let i = 0; i < 8; i++) engines[i].crash() // each one while the reload is in flight
    await flush()
    expect(client.state().noModel).toBeUndefined()
    expect(client.state().model).toMatchObject({ dir: '/m' })
  })

  it('a load that crashes the engine brings back the last good model', async () => {
    const { client, engines } = setup()
    await client.loadModel('/good')
    const bad = client.loadModel('/crasher')
    engines[0].crash()
    await expect(bad).rejects.toThrow(/stopped/)
    await flush()
    expect(engines[1].received[0]).toEqual({ type: 'load', dir: '/good' })
    expect(client.state().model).toMatchObject({ dir: '/good' })
  })
})

/** Polls until `ok()` holds (the client restarts on timers during a backoff). */
async function waitFor(ok: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!ok()) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 2))
  }
}
