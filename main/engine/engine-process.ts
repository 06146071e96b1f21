/**
 * Entry of the engine process: holds the loaded model and runs fills, one at a time,
 * streaming each step. Runs as an Electron utilityProcess (process.parentPort) or as a
 * child_process fork (process.send); nothing here imports Electron.
 *
 * Between steps the fill yields to the event loop (setImmediate), so a cancel message
 * can arrive and stop it at the next step boundary.
 */
import { join } from 'node:path'
import type { AlternativesRequest, EngineState, FillRequest } from '../contract'
import { FillCancelled, ModelDirError } from './errors'
import { otherWords } from './experts/alternatives'
import { finishCandidates, requestPanel, withPanel, type EngineExperts } from './experts/fill-experts'
import { Manuscript } from './experts/manuscript'
import { loadModelExperts, type ModelExperts } from './experts/model-experts'
import { fillModelOf, piecesOf, runFill } from './fill'
import { loadModelDir, type LoadedModel } from './model-dir'
import { defaultModelDir } from './model-paths'
import { ENGINE_NICENESS, engineNiceness, lowerOwnPriority } from './process-priority'
import { FromEngine, ToEngine } from './protocol'

/** Other words' word neighbours for a model that ships none: the default model's thesaurus. */
const DEFAULT_THESAURUS = join(defaultModelDir(), 'experts.thesaurus.bin')

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
    return { send: (m) => void (process.connected && send(m)), onMessage: (fn) => process.on('message', fn) }
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
/** The loaded model's count experts (issue 21) and the writer's manuscript, kept across loads. */
let modelExperts: ModelExperts | null = null
const manuscript = new Manuscript()
const experts = (): EngineExperts | null => (modelExperts ? { model: modelExperts, manuscript, trainingStream: modelExperts.trainingStream } : null)
const sendManuscript = () => parent.send({ type: 'manuscript', status: manuscript.status() })
/**
 * The manuscript's expert is rebuilt shortly after the last change (between fills), so a fill
 * rarely waits for it; the host already sends a document after a pause in typing, so the delay
 * only gathers a burst (a workspace scan). set() keeps the counts up to date itself; this builds
 * the Kneser-Ney tables over them, then reports the status with `counted`.
 */
const RECOUNT_DELAY_MS = 100
let recount: ReturnType<typeof setTimeout> | null = null
/** Bumped by every change: a rebuild queued behind a fill before a later change (or a clear) does nothing. */
let recountSeq = 0
function scheduleRecount(): void {
  cancelRecount()
  const seq = recountSeq
  recount = setTimeout(() => {
    recount = null
    work = work.then(() => {
      if (seq !== recountSeq) return
      manuscript.expert()
      parent.send({ type: 'manuscript', status: { ...manuscript.status(), counted: true } })
    })
  }, RECOUNT_DELAY_MS)
}
function cancelRecount(): void {
  recountSeq++
  if (recount) clearTimeout(recount)
  recount = null
}
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
    const view = { dir: next.info.dir, manifest: next.manifest, banned: next.banned, vocab: next.info.vocabSize, leadText: piecesOf({ codec: next.codec, vocab: next.info.vocabSize }).leadText, thesaurusFallback: DEFAULT_THESAURUS }
    const nextExperts = await loadModelExperts(view).catch((e: unknown) => {
      // A broken experts file costs the experts, not the model.
      process.stderr.write(`engine-process: count experts of ${dir} not loaded: ${(e as Error).message}\n`)
      return loadModelExperts({ ...view, manifest: { tokens: next.manifest.tokens } })
    })
    const old = model
    model = next
    modelExperts = nextExperts
    const tokens = next.manifest.tokens
    manuscript.useCodec({ encode: (t) => next.codec.encode(t), vocab: next.info.vocabSize, separator: tokens.eos ?? tokens.mask, never: nextExperts.ids.unknown })
    sendManuscript()
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
    const fm = fillModelOf(model)
    const ex = experts()
    const panel = ex ? requestPanel(ex, fm, request.experts, request.text, request.spans) : null
    const filled = await runFill(withPanel(fm, panel), request, {
      checkpoint: async () => {
        await yieldToEventLoop()
        if (shuttingDown || cancelled.has(requestId)) throw new FillCancelled(requestId)
      },
      onStep: (event) => parent.send({ type: 'step', event }),
    })
    const result = ex && !filled.compare ? await finishCandidates(ex, fm, panel, request, filled) : filled
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

async function alternatives(request: AlternativesRequest): Promise<void> {
  const ex = experts()
  if (!model || !ex) {
    parent.send({ type: 'error', error: { requestId: request.requestId, message: 'No model is loaded; load a model directory first.', cancelled: false } })
    return
  }
  setState({ status: 'filling' })
  try {
    parent.send({ type: 'alternatives', result: await otherWords(ex, fillModelOf(model), request) })
  } catch (e) {
    parent.send({ type: 'error', error: { requestId: request.requestId, message: (e as Error).message, cancelled: false } })
  }
  setState({ status: 'ready', model: model.info })
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
    case 'alternatives':
      work = work.then(() => alternatives(msg.request))
      break
    case 'manuscript:set':
      // Applied at once (a running fill keeps the counts it started with).
      manuscript.set(msg.id, msg.text)
      sendManuscript()
      scheduleRecount()
      break
    case 'manuscript:clear':
      cancelRecount()
      manuscript.clear()
      sendManuscript()
      break
  }
})

setState({ status: 'ready', model: null })
