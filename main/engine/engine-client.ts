/**
 * The host side of the engine process: starts it, queues requests (one runs at a time),
 * relays step/done/error events, cancels, and restarts the process after any crash,
 * reloading the last model that loaded. Crashes in quick succession slow the restarts down
 * (backoff) but never stop them; when reloading the model itself keeps crashing the engine,
 * the client stops reloading it and says so in the engine state (`noModel`), so the UI can
 * offer to load another. Knows nothing of Electron: the host passes a `spawn`
 * function (Electron: utilityProcess.fork wrapped by `utilityProcessChannel`; browser
 * mode and tests: `forkWithNode()`).
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { AlternativesRequest, FillRequest, type AlternativesResult, type EngineState, type FillErrorEvent, type FillResult, type FillStepEvent, type ManuscriptStatus, type ModelInfo } from '../contract'
import { EngineError } from './errors'
import { resolveAppRoot } from './model-paths'
import { FromEngine, type ToEngine } from './protocol'

/** A started engine process, as the client talks to it. */
export interface EngineChannel {
  post(msg: ToEngine): void
  onMessage(fn: (msg: unknown) => void): void
  onExit(fn: (description: string) => void): void
  kill(): void
  readonly pid: number | undefined
}

/** Starts a fresh engine process. */
export type SpawnEngine = () => EngineChannel

/** The shape of Electron's UtilityProcess the client needs (no Electron import here). */
export interface UtilityProcessLike {
  postMessage(message: unknown): void
  on(event: 'message', listener: (message: unknown) => void): unknown
  on(event: 'exit', listener: (code: number) => void): unknown
  kill(): boolean
  readonly pid?: number | undefined
}

/** Wraps an Electron utilityProcess as an EngineChannel. */
export function utilityProcessChannel(proc: UtilityProcessLike): EngineChannel {
  return {
    post: (m) => proc.postMessage(m),
    onMessage: (fn) => void proc.on('message', fn),
    onExit: (fn) => void proc.on('exit', (code: number) => fn(`exit code ${code}`)),
    kill: () => void proc.kill(),
    get pid() {
      return proc.pid
    },
  }
}

/**
 * The engine entry for a Node fork: out/main/engine-process.js next to the built code when
 * it exists, else main/engine/engine-process.ts run through tsx.
 */
export function engineEntry(): { entry: string; execArgv: string[]; cwd: string } {
  const here = dirname(fileURLToPath(import.meta.url))
  // Bundled code may sit in out/main/chunks/, beside or below out/main/engine-process.js.
  const built = [join(here, 'engine-process.js'), join(here, '..', 'engine-process.js')].find((p) => existsSync(p))
  const root = resolveAppRoot(here)
  if (built) return { entry: built, execArgv: [], cwd: root }
  return { entry: join(root, 'main', 'engine', 'engine-process.ts'), execArgv: ['--import', 'tsx'], cwd: root }
}

/** Spawns the engine with child_process.fork (browser mode, the CLI, tests). */
export function forkWithNode(options: { env?: NodeJS.ProcessEnv } = {}): SpawnEngine {
  return () => {
    const { entry, execArgv, cwd } = engineEntry()
    const child = fork(entry, [], { execArgv, cwd, env: options.env ?? process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    return {
      post: (m) => {
        if (child.connected) child.send(m)
      },
      onMessage: (fn) => void child.on('message', fn),
      onExit: (fn) => void child.on('exit', (code, signal) => fn(signal ? `signal ${signal}` : `exit code ${code}`)),
      kill: () => void child.kill(),
      get pid() {
        return child.pid
      },
    }
  }
}

/** Per-request listeners (in addition to the client-wide ones). */
export interface FillListeners {
  onStep?: (e: FillStepEvent) => void
  onDone?: (r: FillResult) => void
  onError?: (e: FillErrorEvent) => void
}

/** An error carrying the FillErrorEvent of a failed or cancelled fill. */
export class FillFailed extends Error {
  override name = 'FillFailed'
  constructor(readonly event: FillErrorEvent) {
    super(event.message)
  }
}

type Job =
  /** `auto`: the client's own reload of the last good model after a crash. */
  | { kind: 'load'; dir: string; auto?: boolean; resolve: (m: ModelInfo) => void; reject: (e: Error) => void }
  | { kind: 'fill'; request: FillRequest; listeners: FillListeners; resolve: (r: FillResult) => void; reject: (e: Error) => void }
  | { kind: 'alternatives'; request: AlternativesRequest; resolve: (r: AlternativesResult) => void; reject: (e: Error) => void }

export interface EngineClientOptions {
  /** Crashes within `crashWindowMs` restarted at once (default 5 in 60 s); beyond that, restarts back off. */
  maxCrashes?: number
  crashWindowMs?: number
  /** First backoff delay, doubled per further crash in the window, up to `maxBackoffMs` (defaults 500 ms, 30 s). */
  backoffMs?: number
  maxBackoffMs?: number
  /**
   * Crashes in a row while reloading the last model (a segfault or abort, not a kill from
   * outside) before the client gives that model up (default 2).
   */
  maxReloadCrashes?: number
}

type Listener<T> = (value: T) => void

/** Exit descriptions of a process stopped from outside rather than crashed by what it ran. */
const EXTERNAL_STOP = /signal SIG(KILL|TERM|INT|HUP)\b/

/** Talks to one engine process at a time, restarting it after a crash. */
export class EngineClient {
  private channel: EngineChannel | null = null
  private queue: Job[] = []
  private current: Job | null = null
  private engineState: EngineState = { status: 'starting', model: null, queued: 0 }
  /** The directory of the model in use, reloaded after a crash. */
  private modelDir: string | null = null
  private crashes: number[] = []
  /** Crashes in a row during the automatic reload of modelDir. */
  private reloadCrashes = 0
  /** Why the engine runs without the model it had (see EngineState.noModel). */
  private noModel: { reason: string; dir: string | null } | null = null
  /** A restart waiting out its backoff delay. */
  private restartTimer: NodeJS.Timeout | null = null
  private disposed = false
  /** The manuscript documents the host sent, replayed to every fresh engine process. */
  private readonly manuscript = new Map<string, string>()
  private readonly listeners = {
    state: new Set<Listener<EngineState>>(),
    step: new Set<Listener<FillStepEvent>>(),
    done: new Set<Listener<FillResult>>(),
    error: new Set<Listener<FillErrorEvent>>(),
  }

  constructor(
    private readonly spawn: SpawnEngine,
    private readonly options: EngineClientOptions = {},
  ) {}

  /** Starts the engine process (idempotent). */
  start(): void {
    if (this.channel || this.disposed || this.restartTimer) return
    const channel = this.spawn()
    this.channel = channel
    channel.onMessage((raw) => {
      if (this.channel === channel) this.receive(raw)
    })
    channel.onExit((description) => {
      if (this.channel === channel) this.crashed(description)
    })
    for (const [id, text] of this.manuscript) channel.post({ type: 'manuscript:set', id, text })
    this.pump()
  }

  /** Loads a model directory; resolves with its info, rejects with the loader's message. */
  loadModel(dir: string): Promise<ModelInfo> {
    if (typeof dir !== 'string' || dir.trim() === '') return Promise.reject(new EngineError('loadModel needs a model directory path'))
    return new Promise<ModelInfo>((resolve, reject) => {
      this.enqueue({ kind: 'load', dir, resolve, reject })
    })
  }

  /**
   * Queues a fill. Events go to `listeners` and the client-wide listeners; `result`
   * resolves with the FillResult or rejects with FillFailed (cancelled, crashed, bad input).
   */
  fill(request: FillRequest, listeners: FillListeners = {}): { requestId: string; queued: number; result: Promise<FillResult> } {
    let resolve!: (r: FillResult) => void
    let reject!: (e: Error) => void
    const result = new Promise<FillResult>((res, rej) => {
      resolve = res
      reject = rej
    })
    result.catch(() => {}) // callers that only listen to events must not see an unhandled rejection
    const queued = this.queue.length + (this.current ? 1 : 0)
    const job = { kind: 'fill' as const, request, listeners, resolve, reject }
    const valid = FillRequest.safeParse(request)
    if (!valid.success) {
      const requestId = typeof request?.requestId === 'string' ? request.requestId : ''
      this.failFill(job, { requestId, message: `Invalid fill request: ${z.prettifyError(valid.error)}`, cancelled: false })
      return { requestId, queued: 0, result }
    }
    // The model was given up after crashes and nothing will load one before this fill.
    const loadComing = this.current?.kind === 'load' || this.queue.some((j) => j.kind === 'load')
    if (this.noModel && !this.modelDir && !loadComing) {
      this.failFill(job, { requestId: request.requestId, message: this.noModel.reason, cancelled: false })
      return { requestId: request.requestId, queued: 0, result }
    }
    this.enqueue(job)
    return { requestId: request.requestId, queued, result }
  }

  /**
   * The manuscript expert (issue 21): sets or replaces document `id`'s text (null removes it).
   * Call it on open, after a pause in typing and on save; the engine re-counts that document
   * only. The client keeps the texts and replays them after an engine restart. The engine
   * answers with the counts' size in `state().manuscript` (an 'engine:state' event).
   */
  setManuscriptDocument(id: string, text: string | null): void {
    if (typeof id !== 'string' || id.length === 0) throw new EngineError('setManuscriptDocument needs a document id')
    if (text === null) this.manuscript.delete(id)
    else this.manuscript.set(id, text)
    this.start()
    this.channel?.post({ type: 'manuscript:set', id, text })
  }

  /** Forgets every manuscript document ("Forget my text"): later fills draw on none of it. */
  clearManuscript(): void {
    this.manuscript.clear()
    this.start()
    this.channel?.post({ type: 'manuscript:clear' })
  }

  /** Ids of the manuscript documents the engine holds (as sent). */
  manuscriptDocuments(): string[] {
    return [...this.manuscript.keys()]
  }

  /**
   * "Other words": N distinct alternatives for the word at request.from..to, fitting both sides,
   * best first (fused score of model and count experts, with each one's origin). Queued
   * behind fills; rejects with EngineError on bad input or when no model is loaded.
   */
  alternatives(request: AlternativesRequest): Promise<AlternativesResult> {
    const valid = AlternativesRequest.safeParse(request)
    if (!valid.success) return Promise.reject(new EngineError(`Invalid alternatives request: ${z.prettifyError(valid.error)}`))
    return new Promise<AlternativesResult>((resolve, reject) => this.enqueue({ kind: 'alternatives', request: valid.data, resolve, reject }))
  }

  /** Cancels a fill: a queued one is dropped, the running one stops at its next step. */
  cancel(requestId: string): void {
    const i = this.queue.findIndex((j) => j.kind === 'fill' && j.request.requestId === requestId)
    if (i >= 0) {
      const [job] = this.queue.splice(i, 1)
      this.publishState({ queued: this.queue.length })
      if (job.kind === 'fill') this.failFill(job, { requestId, message: 'Cancelled before it started.', cancelled: true })
      return
    }
    if (this.current?.kind === 'fill' && this.current.request.requestId === requestId) this.channel?.post({ type: 'cancel', requestId })
  }

  /** The engine's current state. */
  state(): EngineState {
    return this.engineState
  }

  /** The pid of the engine process (tests kill it to simulate a crash). */
  pid(): number | undefined {
    return this.channel?.pid
  }

  onState(fn: Listener<EngineState>): () => void {
    return this.listen(this.listeners.state, fn)
  }
  onStep(fn: Listener<FillStepEvent>): () => void {
    return this.listen(this.listeners.step, fn)
  }
  onDone(fn: Listener<FillResult>): () => void {
    return this.listen(this.listeners.done, fn)
  }
  onError(fn: Listener<FillErrorEvent>): () => void {
    return this.listen(this.listeners.error, fn)
  }

  /** Stops the engine process and fails everything still queued. */
  async dispose(): Promise<void> {
    this.disposed = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.restartTimer = null
    const channel = this.channel
    this.channel = null
    const pending = [...(this.current ? [this.current] : []), ...this.queue]
    this.current = null
    this.queue = []
    for (const job of pending) {
      if (job.kind === 'fill') this.failFill(job, { requestId: job.request.requestId, message: 'The engine was shut down.', cancelled: true })
      else job.reject(new EngineError('The engine was shut down.'))
    }
    if (channel) {
      const exited = new Promise<void>((r) => channel.onExit(() => r()))
      channel.post({ type: 'shutdown' })
      const timer = setTimeout(() => channel.kill(), 2000)
      await exited
      clearTimeout(timer)
    }
  }

  private listen<T>(set: Set<Listener<T>>, fn: Listener<T>): () => void {
    set.add(fn)
    return () => set.delete(fn)
  }

  private emit<T>(set: Set<Listener<T>>, value: T): void {
    for (const fn of set) {
      try {
        fn(value)
      } catch (e) {
        console.error('engine listener failed:', e)
      }
    }
  }

  private publishState(next: Partial<EngineState>): void {
    const state: EngineState = { ...this.engineState, ...next, queued: this.queue.length }
    if (this.noModel) state.noModel = this.noModel
    else delete state.noModel
    this.engineState = state
    this.emit(this.listeners.state, this.engineState)
  }

  private enqueue(job: Job): void {
    if (this.disposed) {
      const message = 'The engine was shut down.'
      if (job.kind === 'fill') this.failFill(job, { requestId: job.request.requestId, message, cancelled: false })
      else job.reject(new EngineError(message))
      return
    }
    this.queue.push(job)
    this.publishState({})
    this.start()
    this.pump()
  }

  /** Sends the next job when the process is up and idle. */
  private pump(): void {
    if (this.current || !this.channel || this.queue.length === 0) return
    const job = this.queue.shift()!
    this.current = job
    this.publishState({})
    if (job.kind === 'load') this.channel.post({ type: 'load', dir: job.dir })
    else if (job.kind === 'alternatives') this.channel.post({ type: 'alternatives', request: job.request })
    else this.channel.post({ type: 'fill', request: job.request })
  }

  private finish(): void {
    this.current = null
    this.pump()
  }

  private failFill(job: Extract<Job, { kind: 'fill' }>, event: FillErrorEvent): void {
    job.listeners.onError?.(event)
    this.emit(this.listeners.error, event)
    job.reject(new FillFailed(event))
  }

  private receive(raw: unknown): void {
    const parsed = FromEngine.safeParse(raw)
    if (!parsed.success) {
      console.error(`engine sent an invalid message: ${parsed.error.message}`)
      // An unreadable outcome must not leave its request waiting forever.
      const type = (raw as { type?: unknown } | null)?.type
      const job = this.current
      if (job?.kind === 'fill' && (type === 'done' || type === 'error')) {
        this.failFill(job, { requestId: job.request.requestId, message: `The engine sent an unreadable result: ${z.prettifyError(parsed.error)}`, cancelled: false })
        this.finish()
      }
      return
    }
    const msg = parsed.data
    const job = this.current
    switch (msg.type) {
      case 'state':
        this.publishState({ status: msg.state.status, model: msg.state.model, message: msg.state.message })
        break
      case 'loaded':
        this.modelDir = msg.dir
        this.reloadCrashes = 0
        if (this.noModel) {
          this.noModel = null
          this.publishState({})
        }
        if (job?.kind === 'load') {
          job.resolve(msg.model)
          this.finish()
        }
        break
      case 'loadError':
        if (job?.kind === 'load' && job.auto && this.modelDir === job.dir) {
          this.noModel = { dir: job.dir, reason: `The engine restarted but could not reload the model in ${job.dir} (${msg.message}). Load a model to fill.` }
          this.modelDir = null
          this.publishState({})
        }
        if (job?.kind === 'load') {
          job.reject(new EngineError(msg.message))
          this.finish()
        }
        break
      case 'step':
        if (job?.kind === 'fill' && job.request.requestId === msg.event.requestId) job.listeners.onStep?.(msg.event)
        this.emit(this.listeners.step, msg.event)
        break
      case 'done':
        if (job?.kind === 'fill' && job.request.requestId === msg.result.requestId) {
          job.listeners.onDone?.(msg.result)
          this.emit(this.listeners.done, msg.result)
          job.resolve(msg.result)
          this.finish()
        }
        break
      case 'error':
        if (job?.kind === 'fill' && job.request.requestId === msg.error.requestId) {
          this.failFill(job, msg.error)
          this.finish()
        } else if (job?.kind === 'alternatives' && job.request.requestId === msg.error.requestId) {
          job.reject(new EngineError(msg.error.message))
          this.finish()
        }
        break
      case 'alternatives':
        if (job?.kind === 'alternatives' && job.request.requestId === msg.result.requestId) {
          job.resolve(msg.result)
          this.finish()
        }
        break
      case 'manuscript':
        this.publishState({ manuscript: msg.status satisfies ManuscriptStatus })
        break
    }
  }

  /**
   * The process exited unexpectedly: fail the running job, report, restart (at once, or
   * after a backoff delay when crashes come fast), and reload the last good model first.
   */
  private crashed(description: string): void {
    this.channel = null
    if (this.disposed) return
    const job = this.current
    this.current = null
    const restarting = `The engine process stopped (${description}); it is being restarted.`
    if (job?.kind === 'fill') this.failFill(job, { requestId: job.request.requestId, message: `${restarting} This fill was lost; run it again.`, cancelled: false })
    else if (job) job.reject(new EngineError(restarting))

    // Reloading the last model is what keeps crashing it: give that model up, say so. A
    // process killed from outside (SIGKILL, SIGTERM...) says nothing about the model.
    if (job?.kind === 'load' && job.auto && !EXTERNAL_STOP.test(description)) this.reloadCrashes++
    const maxReload = this.options.maxReloadCrashes ?? 2
    if (this.modelDir && this.reloadCrashes >= maxReload) {
      this.noModel = {
        dir: this.modelDir,
        reason: `Reloading the model in ${this.modelDir} stopped the engine ${this.reloadCrashes} times in a row (${description}), so the engine now runs without a model. Load a model (this one again, or another) to fill.`,
      }
      this.modelDir = null
      this.reloadCrashes = 0
    }

    const now = Date.now()
    const windowMs = this.options.crashWindowMs ?? 60_000
    this.crashes = [...this.crashes.filter((t) => now - t < windowMs), now]
    const excess = this.crashes.length - (this.options.maxCrashes ?? 5)
    const delay = excess <= 0 ? 0 : Math.min(this.options.maxBackoffMs ?? 30_000, (this.options.backoffMs ?? 500) * 2 ** (excess - 1))
    const message =
      delay === 0
        ? restarting
        : `The engine process stopped (${description}), ${this.crashes.length} times in ${Math.round(windowMs / 1000)} s; restarting in ${(delay / 1000).toFixed(1)} s.`
    this.publishState({ status: 'crashed', message })
    // Reload the model we had before anything else runs (a load the writer asked for runs
    // after it, and replaces it only if that one loads).
    const head = this.queue[0]
    if (this.modelDir && !(head?.kind === 'load' && head.auto))
      this.queue.unshift({ kind: 'load', dir: this.modelDir, auto: true, resolve: () => {}, reject: () => {} })
    if (delay === 0) {
      this.start()
      return
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null
      this.start()
    }, delay)
  }
}
