/**
 * CompareService against in-memory fake engines (no process, no model): which engine loads
 * what, one outcome per fill whatever fails, cancel reaching both engines, and a randomized
 * model test (fast-check: seed printed on failure, shrinking) of turning comparison on and off,
 * switching models and filling, with its invariants checked after every command.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type CompareState, type FillErrorEvent, type FillRequest, type FillResult, type ModelInfo } from '../contract'
import { EngineClient, type EngineChannel } from '../engine/engine-client'
import type { FromEngine, ToEngine } from '../engine/protocol'
import { CompareService, comparingGateway } from './compare-service'
import { engineGateway } from './app-services'

const info = (dir: string): ModelInfo => ({ name: basename(dir), family: 'mdlm', dir, maxLength: 64, vocabSize: 10, hash: `${basename(dir)}-hash`, provider: 'cpu' })

/** How the fake engines answer: fills per model folder ('ok', 'fail', or 'hold' until cancelled); folders that fail to load. */
const behaviour = { fill: new Map<string, 'ok' | 'fail' | 'hold'>(), loadFails: new Set<string>() }

class FakeEngine implements EngineChannel {
  readonly pid = 1
  private dir = ''
  private onMsg: (m: unknown) => void = () => {}
  private onExitFn: (d: string) => void = () => {}
  alive = true
  constructor(private readonly registry: FakeEngine[]) {
    registry.push(this)
  }
  post(msg: ToEngine): void {
    queueMicrotask(() => this.answer(msg))
  }
  private answer(msg: ToEngine): void {
    if (msg.type === 'shutdown') {
      this.alive = false
      this.onExitFn('exit code 0')
    } else if (msg.type === 'load') {
      if (behaviour.loadFails.has(msg.dir)) return this.emit({ type: 'loadError', dir: msg.dir, message: 'model.onnx is missing' })
      this.dir = msg.dir
      this.emit({ type: 'state', state: { status: 'ready', model: info(msg.dir), queued: 0 } })
      this.emit({ type: 'loaded', dir: msg.dir, model: info(msg.dir) })
    } else if (msg.type === 'fill') {
      const mode = behaviour.fill.get(this.dir) ?? 'ok'
      const id = msg.request.requestId
      if (mode === 'fail') this.emit({ type: 'error', error: { requestId: id, message: 'out of memory', cancelled: false } })
      if (mode === 'ok')
        this.emit({
          type: 'done',
          result: { requestId: id, spans: [{ spanId: 's', original: 'x', slots: 1, candidates: [{ text: `${basename(this.dir)} fill`, tokenIds: [1], confidence: 1 }] }], forwardPasses: 1, ms: 1, model: info(this.dir), settings: msg.request.settings },
        })
    } else if (msg.type === 'cancel') {
      this.emit({ type: 'error', error: { requestId: msg.requestId, message: 'Cancelled.', cancelled: true } })
    }
  }
  onMessage(fn: (m: unknown) => void): void {
    this.onMsg = fn
  }
  onExit(fn: (d: string) => void): void {
    this.onExitFn = fn
  }
  kill(): void {
    this.alive = false
    this.onExitFn('signal SIGTERM')
  }
  private emit(m: FromEngine): void {
    this.onMsg(m)
  }
}

let root: string
let baseDir: string
let tunedDir: string
let otherDir: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'infill-compare-svc-'))
  baseDir = join(root, 'base')
  tunedDir = join(root, 'tuned')
  otherDir = join(root, 'other')
  for (const d of [baseDir, tunedDir, otherDir]) mkdirSync(d)
  writeFileSync(join(baseDir, 'manifest.json'), JSON.stringify({ name: 'base' }))
  writeFileSync(join(otherDir, 'manifest.json'), JSON.stringify({ name: 'other' }))
  writeFileSync(join(tunedDir, 'manifest.json'), JSON.stringify({ name: 'tuned', tuning: { base: { name: 'base', dir: baseDir, hash: 'base-hash' } } }))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

async function setup(mainDir: string) {
  behaviour.fill.clear()
  behaviour.loadFails.clear()
  const engines: FakeEngine[] = []
  const main = new EngineClient(() => new FakeEngine(engines))
  main.start()
  await main.loadModel(mainDir)
  const states: CompareState[] = []
  const compare = new CompareService({ main, spawnEngine: () => new FakeEngine(engines), checkDir: async (d) => d, onState: (s) => states.push(s), coin: () => true })
  const gateway = comparingGateway(engineGateway(main), compare)
  const fill = (requestId: string) =>
    new Promise<{ done?: FillResult; error?: FillErrorEvent; outcomes: number }>((resolve) => {
      let outcomes = 0
      let last: { done?: FillResult; error?: FillErrorEvent } = {}
      const settle = () => setTimeout(() => resolve({ ...last, outcomes }), 5)
      gateway.fill(request(requestId), {
        step: () => {},
        done: (r) => {
          outcomes++
          last = { done: r }
          settle()
        },
        error: (e) => {
          outcomes++
          last = { error: e }
          settle()
        },
      })
    })
  return { main, compare, states, engines, gateway, fill }
}

function request(requestId: string): FillRequest {
  return { requestId, text: 'x y', spans: [{ id: 's', from: 0, to: 1 }], locked: [], settings: DEFAULT_SAMPLING }
}

const flush = () => new Promise((r) => setTimeout(r, 5))

describe('CompareService (fake engines)', () => {
  it('a loaded tuned model: its base loads in a second engine; a fill merges both', async () => {
    const { compare, engines, fill } = await setup(tunedDir)
    expect((await compare.start()).status).toBe('ready')
    expect(engines).toHaveLength(2)
    const { done, outcomes } = await fill('r1')
    expect(outcomes).toBe(1)
    expect(done!.spans[0].candidates.map((c) => `${c.source!.role}:${c.text}`)).toEqual(['base:base fill', 'tuned:tuned fill'])
    await compare.stop()
    expect(engines[1].alive).toBe(false)
  })

  it('a loaded base and a tuned folder named: the second engine loads the tuned one', async () => {
    const { compare } = await setup(baseDir)
    expect(await compare.start(tunedDir)).toMatchObject({ status: 'ready', message: null, base: { dir: baseDir, name: 'base' }, tuned: { dir: tunedDir, name: 'tuned' } })
  })

  it('a base that is not the one the lineage names gets a note', async () => {
    const { compare } = await setup(tunedDir)
    const s = await compare.start(otherDir)
    expect(s.status).toBe('ready')
    expect(s.message).toMatch(/other .* is not the model the tuned one was tuned from/)
  })

  it('the comparison model failing to load: an error saying which, and fills go to the loaded model alone', async () => {
    const { compare, fill } = await setup(tunedDir)
    behaviour.loadFails.add(baseDir)
    const s = await compare.start()
    expect(s.status).toBe('error')
    expect(s.message).toMatch(/The base model in .* could not be loaded for comparison: model.onnx is missing/)
    expect(compare.on()).toBe(false)
    expect((await fill('r2')).done!.compare).toBeUndefined()
  })

  it('the comparison engine failing a fill: one error naming that model; the loaded model failing: its own error', async () => {
    const { compare, fill } = await setup(tunedDir)
    await compare.start()
    behaviour.fill.set(baseDir, 'fail')
    const a = await fill('r3')
    expect(a.outcomes).toBe(1)
    expect(a.error).toMatchObject({ requestId: 'r3', cancelled: false, message: 'The base model (base) could not fill: out of memory' })
    behaviour.fill.set(baseDir, 'hold')
    behaviour.fill.set(tunedDir, 'fail')
    const b = await fill('r4')
    expect(b.outcomes).toBe(1)
    expect(b.error).toMatchObject({ requestId: 'r4', cancelled: false, message: 'out of memory' })
  })

  it('cancel reaches both engines: one cancelled outcome', async () => {
    const { compare, gateway, fill } = await setup(tunedDir)
    await compare.start()
    behaviour.fill.set(baseDir, 'hold')
    behaviour.fill.set(tunedDir, 'hold')
    const pending = fill('r5')
    await flush()
    gateway.cancel('r5')
    const r = await pending
    expect(r.outcomes).toBe(1)
    expect(r.error).toMatchObject({ cancelled: true })
  })

  it('refuses a pair with no tuned model, saying what to do', async () => {
    const { compare } = await setup(baseDir)
    await expect(compare.start()).rejects.toThrow(/not a tuned model/)
    await expect(compare.start(otherDir)).rejects.toThrow(/Neither the loaded model/)
  })
})

/** Commands of the randomized model test. */
type Command = { kind: 'start' } | { kind: 'stop' } | { kind: 'switch'; to: 'tuned' | 'base' } | { kind: 'fill'; fails: 'none' | 'base' | 'tuned' }

describe('CompareService, randomized (fast-check)', () => {
  it('keeps its invariants under any sequence of start, stop, model switch and fills', async () => {
    const command: fc.Arbitrary<Command> = fc.oneof(
      fc.constant({ kind: 'start' as const }),
      fc.constant({ kind: 'stop' as const }),
      fc.record({ kind: fc.constant('switch' as const), to: fc.constantFrom('tuned' as const, 'base' as const) }),
      fc.record({ kind: fc.constant('fill' as const), fails: fc.constantFrom('none' as const, 'base' as const, 'tuned' as const) }),
    )
    let n = 0
    const seed = Number(process.env.INFILL_FC_SEED ?? Date.now() % 2 ** 31)
    console.log(`compare-service model test: seed ${seed} (rerun with INFILL_FC_SEED=${seed})`)
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 12 }), async (commands) => {
        const { main, compare, engines, fill } = await setup(tunedDir)
        for (const c of commands) {
          const mainDir = main.state().model!.dir
          if (c.kind === 'start')
            await compare.start().catch((e: Error) => {
              expect(mainDir).toBe(baseDir)
              expect(e.message).toMatch(/not a tuned model/)
            })
          else if (c.kind === 'stop') await compare.stop()
          else if (c.kind === 'switch') {
            await main.loadModel(c.to === 'tuned' ? tunedDir : baseDir)
            await flush()
          } else {
            behaviour.fill.clear()
            if (c.fails !== 'none') behaviour.fill.set(c.fails === 'base' ? baseDir : tunedDir, 'fail')
            const r = await fill(`f${n++}`)
            // Exactly one outcome per fill; a comparison only while on, with both columns.
            expect(r.outcomes).toBe(1)
            const comparing = compare.on()
            if (r.done) expect(r.done.compare !== undefined).toBe(comparing)
            if (r.done?.compare) expect(r.done.spans[0].candidates.map((x) => x.source!.role).sort()).toEqual(['base', 'tuned'])
            // A failure of the model not loaded only matters while comparing.
            const loadedFails = (c.fails === 'tuned' && main.state().model!.dir === tunedDir) || (c.fails === 'base' && main.state().model!.dir === baseDir)
            expect(r.error !== undefined).toBe(loadedFails || (comparing && c.fails !== 'none'))
          }
          // Invariants: fills compare exactly while on; at most one comparison engine alive beside the main one;
          // comparison ready only with a tuned model loaded, the pair holding the loaded model.
          const s = compare.current()
          expect(compare.on()).toBe(s.status === 'ready' || s.status === 'loading')
          expect(engines.filter((e) => e.alive).length).toBeLessThanOrEqual(2)
          if (s.status === 'ready') {
            expect([s.base?.dir, s.tuned?.dir]).toContain(main.state().model!.dir)
            expect(engines.filter((e) => e.alive)).toHaveLength(2)
          } else expect(engines.filter((e) => e.alive)).toHaveLength(1)
          expect(s.activeBase !== null).toBe(main.state().model!.dir === tunedDir)
        }
        await compare.dispose()
        await main.dispose()
      }),
      { numRuns: 40, seed, verbose: 1 },
    )
  })
})
