/** The engine client with a real engine process (child_process.fork) on the test model. */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { getPriority, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type EngineState, type FillRequest, type FillStepEvent } from '../contract'
import { EngineClient, FillFailed, forkWithNode } from './engine-client'
import { resolveTestModel } from './model-paths'
import { ENGINE_NICENESS } from './process-priority'

/** The nice value of every thread of a process (Linux: field 19 of /proc/PID/task/TID/stat). */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
  })
}

const modelDir = resolveTestModel()

const TEXT = 'The old man walked down to the river and sat on the bank. He watched the water for a long time, and then he went home to his wife.'

/** A fill with many slots and one slot per step, so it runs long enough to interrupt. */
function longFill(requestId: string): FillRequest {
  const at = (w: string) => TEXT.indexOf(w)
  return {
    requestId,
    text: TEXT,
    spans: [
      { id: 'a', from: at('river'), to: at('river') + 5, slots: 24 },
      { id: 'b', from: at('water'), to: at('water') + 5, slots: 24 },
    ],
    locked: [],
    settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence', steps: 48, candidates: 4 },
  }
}

function shortFill(requestId: string): FillRequest {
  const from = TEXT.indexOf('river')
  return { requestId, text: TEXT, spans: [{ id: 's', from, to: from + 5 }], locked: [], settings: { ...DEFAULT_SAMPLING, candidates: 1 } }
}

describe.skipIf(!modelDir)('EngineClient with a real engine process', () => {
  let client: EngineClient
  const states: EngineState[] = []

  beforeAll(async () => {
    client = new EngineClient(forkWithNode({ env: { ...process.env, INFILL_EXECUTION_PROVIDER: 'cpu' } }))
    client.onState((s) => states.push(s))
    client.start()
    const info = await client.loadModel(modelDir!)
    expect(info.provider).toBe('cpu')
  })

  afterAll(async () => {
    await client?.dispose()
  })

  it('fills through the process, streaming one step event per forward pass', async () => {
    const steps: FillStepEvent[] = []
    const { result } = client.fill(shortFill('f1'), { onStep: (e) => steps.push(e) })
    const r = await result
    expect(r.requestId).toBe('f1')
    expect(r.spans[0].candidates).toHaveLength(1)
    expect(steps.length).toBe(r.forwardPasses)
    expect(steps[steps.length - 1].remaining).toEqual({ s: 0 })
    expect(client.state().status).toBe('ready')
  })

  it.skipIf(process.platform !== 'linux' || getPriority() > ENGINE_NICENESS)(
    'the engine runs every thread, ONNX Runtime pool included, below the app priority',
    async () => {
      await client.fill(shortFill('nice')).result
      const nice = threadNiceness(client.pid()!)
      expect(nice.length).toBeGreaterThan(3) // node's own threads and ORT's pool
      expect(new Set(nice)).toEqual(new Set([ENGINE_NICENESS]))
    },
  )

  it('cancelling mid-fill stops within one step', async () => {
    let afterCancel = 0
    let cancelledAt = 0
    const { result } = client.fill(longFill('c1'), {
      onStep: (e) => {
        if (cancelledAt) afterCancel++
        else if (e.step === 2) {
          cancelledAt = e.step
          client.cancel('c1')
        }
      },
    })
    const err = await result.then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(FillFailed)
    expect((err as FillFailed).event.cancelled).toBe(true)
    expect(cancelledAt).toBe(2)
    expect(afterCancel).toBeLessThanOrEqual(1)
  })

  it('a queued fill can be cancelled before it starts; the running one completes', async () => {
    const first = client.fill(shortFill('q1'))
    const second = client.fill(shortFill('q2'))
    expect(second.queued).toBe(1)
    client.cancel('q2')
    await expect(second.result).rejects.toMatchObject({ event: { requestId: 'q2', cancelled: true } })
    await expect(first.result).resolves.toMatchObject({ requestId: 'q1' })
  })

  it('a bad model directory is refused and the model in use stays', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'infill-empty-'))
    try {
      await expect(client.loadModel(empty)).rejects.toThrow(/model\.onnx: is missing/)
      expect(client.state().model?.dir).toBe(modelDir)
      await expect(client.fill(shortFill('after-bad-load')).result).resolves.toMatchObject({ requestId: 'after-bad-load' })
    } finally {
      await rm(empty, { recursive: true, force: true })
    }
  })

  it('killing the engine mid-fill yields an error event, and the next request succeeds', async () => {
    const errors: string[] = []
    const off = client.onError((e) => errors.push(e.requestId))
    const firstPid = client.pid()
    const { result } = client.fill(longFill('k1'), {
      onStep: (e) => {
        if (e.step === 1) process.kill(client.pid()!, 'SIGKILL')
      },
    })
    const err = await result.then(
      () => null,
      (e: unknown) => e,
    )
    off()
    expect(err).toBeInstanceOf(FillFailed)
    expect((err as FillFailed).event).toMatchObject({ requestId: 'k1', cancelled: false })
    expect((err as FillFailed).message).toMatch(/engine process stopped \(signal SIGKILL\)/)
    expect(errors).toEqual(['k1'])
    expect(states.some((s) => s.status === 'crashed')).toBe(true)
    // The client restarted the process and reloads the model before the next fill.
    const r = await client.fill(shortFill('k2')).result
    expect(r.requestId).toBe('k2')
    expect(client.pid()).not.toBe(firstPid)
    expect(client.state()).toMatchObject({ status: 'ready', model: { dir: modelDir } })
  })
})

describe.skipIf(!modelDir)('crash storm on a real engine process', () => {
  it('8 SIGKILLs in quick succession (each as soon as the new process is up): the engine comes back with the model and fills', async () => {
    const client = new EngineClient(forkWithNode({ env: { ...process.env, INFILL_EXECUTION_PROVIDER: 'cpu' } }), { backoffMs: 200, maxBackoffMs: 1000 })
    try {
      client.start()
      await client.loadModel(modelDir!)
      const pids = new Set<number>()
      for (let i = 0; i < 8; i++) {
        const until = Date.now() + 30_000
        while (client.pid() === undefined || pids.has(client.pid()!)) {
          if (Date.now() > until) throw new Error(`no new engine process after kill ${i}`)
          await new Promise((r) => setTimeout(r, 5))
        }
        const pid = client.pid()!
        pids.add(pid)
        process.kill(pid, 'SIGKILL')
      }
      expect(pids.size).toBe(8)
      const r = await client.fill(shortFill('after-storm')).result
      expect(r.requestId).toBe('after-storm')
      expect(client.state()).toMatchObject({ status: 'ready', model: { dir: modelDir } })
      expect(client.state().noModel).toBeUndefined()
    } finally {
      await client.dispose()
    }
  }, 240_000) // nine engine starts on a loaded machine
})
