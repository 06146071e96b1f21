/**
 * Entry of the engine process: holds the loaded model and runs fills, one at a time,
 * streaming each step. Runs as an Electron utilityProcess (process.parentPort) or as a
 * child_process fork (process.send); nothing here imports Electron.
 *
 * Between steps the fill yields to the event loop (setImmediate), so a cancel message
 * can arrive and stop it at the next step boundary.
 */
import type { EngineState, FillRequest } from '../contract'
import { FillCancelled, ModelDirError } from './errors'
import { fillModelOf, runFill } from './fill'
import { loadModelDir, type LoadedModel } from './model-dir'
import { ENGINE_NICENESS, engineNiceness, lowerOwnPriority } from './process-priority'
import { FromEngine, ToEngine } from './protocol'

/** The parent link, whichever way this process was started. */
interface ParentPort {
  send(msg: FromEngine): void
  onMessage(fn: (msg: unknown) => void): void
}

interface ElectronParentPort {
  postMessage(msg: unknown): void
  on(event: 'message', fn: (e: { data: unknown }) => void): void
}

function connectParent(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort
  if (electronPort) return { send: (m) => electronPort.postMessage(m), onMessage: (fn) => electronPort.on('message', (e) => fn(e.data)) }
  if (process.send) {
    const send = process.send.bind(process)
    // The host is gone (it exited or was killed): an engine nobody can reach ends with it.
    process.on('disconnect', () => process.exit(0))
    return { send: (m) => void send(m), onMessage: (fn) => process.on('message', fn) }
  }
  throw new Error('engine-process must be started by the app (Electron utilityProcess or child_process.fork), not directly')
}

const parent = connectParent()

/** Lower CPU priority than the editor (see process-priority.ts); again after each load. */
const niceness = (() => {
  try {
    return engineNiceness()
  } catch (e) {
    process.stderr.write(`engine-process: ${(e as Error).message}; using ${ENGINE_NICENESS}\n`)
    return ENGINE_NICENESS
  }
})()
function lowerPriority(): void {
  const problem = lowerOwnPriority(niceness)
  if (problem) process.stderr.write(`engine-process: ${problem}\n`)
}
lowerPriority()
let model: LoadedModel | null = null
const cancelled = new Set<string>()
let shuttingDown = false
let state: EngineState = { status: 'ready', model: null, queued: 0 }

function setState(next: Partial<EngineState>): void {
  state = { ...state, ...next }
  if (!('message' in next)) delete state.message
  parent.send({ type: 'state', state })
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r))

async function load(dir: string): Promise<void> {
  setState({ status: 'loading' })
  try {
    const next = await loadModelDir(dir)
    lowerPriority() // ONNX Runtime's pool threads exist now
    const old = model
    model = next
    await old?.dispose()
    setState({ status: 'ready', model: next.info })
    parent.send({ type: 'loaded', dir, model: next.info })
  } catch (e) {
    const message = e instanceof ModelDirError ? e.message : `could not load ${dir}: ${(e as Error).message}`
    // The model we had (if any) stays in use.
    setState(model ? { status: 'ready', model: model.info, message } : { status: 'error', model: null, message })
    parent.send({ type: 'loadError', dir, message })
  }
}

async function fill(request: FillRequest): Promise<void> {
  const { requestId } = request
  if (!model) {
    parent.send({ type: 'error', error: { requestId, message: 'No model is loaded; load a model directory first.', cancelled: false } })
    return
  }
  setState({ status: 'filling' })
  let outcome: FromEngine
  try {
    const result = await runFill(fillModelOf(model), request, {
      checkpoint: async () => {
        await yieldToEventLoop()
        if (shuttingDown || cancelled.has(requestId)) throw new FillCancelled(requestId)
      },
      onStep: (event) => parent.send({ type: 'step', event }),
    })
    outcome = { type: 'done', result }
  } catch (e) {
    const wasCancelled = e instanceof FillCancelled
    outcome = { type: 'error', error: { requestId, message: wasCancelled ? 'Cancelled.' : (e as Error).message, cancelled: wasCancelled } }
  }
  cancelled.delete(requestId)
  // State first, so a host that reacts to the outcome already sees the engine ready.
  setState({ status: 'ready', model: model.info })
  parent.send(outcome)
}

let work: Promise<void> = Promise.resolve()

parent.onMessage((raw) => {
  const parsed = ToEngine.safeParse(raw)
  if (!parsed.success) {
    process.stderr.write(`engine-process: ignored an invalid message: ${parsed.error.message}\n`)
    return
  }
  const msg = parsed.data
  switch (msg.type) {
    case 'cancel':
      // Kept even when the fill has not started yet (it may be just behind in `work`).
      if (cancelled.size > 1000) cancelled.clear()
      cancelled.add(msg.requestId)
      break
    case 'shutdown':
      // A running fill stops at its next step; then exit.
      shuttingDown = true
      void work.then(() => process.exit(0))
      break
    case 'load':
      work = work.then(() => load(msg.dir))
      break
    case 'fill':
      work = work.then(() => fill(msg.request))
      break
  }
})

setState({ status: 'ready', model: null })
