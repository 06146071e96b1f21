/**
 * Comparison mode: a second engine process holds the other model of a base / tuned pair, so
 * the main engine keeps its model. Started when the writer turns comparison on, disposed when
 * it is turned off (or the loaded model changes). While it is on, every fill runs the same
 * request (text, spans, settings, seed) on both engines and answers one merged result (see
 * compare-fill.ts); the reveal shows the loaded model's steps.
 */
import type { CompareModel, CompareRole, CompareState, EngineState, FillErrorEvent, FillRequest, FillResult, ModelInfo } from '../contract'
import { EngineClient, FillFailed, type SpawnEngine } from '../engine/engine-client'
import { mergeComparison, otherRole, randomCoin, type Coin } from './compare-fill'
import { readLineage, resolvePair, sameHash, type ComparePair, type ModelLineage } from './compare-lineage'
import type { EngineGateway, FillSink } from './gateways'

/** The main engine as the comparison uses it. */
export type MainEngine = Pick<EngineClient, 'state' | 'onState' | 'fill' | 'cancel'>

export interface CompareServiceOptions {
  main: MainEngine
  /** Starts the comparison engine's process (the same spawn the main engine uses). */
  spawnEngine: SpawnEngine
  /** Checks a folder the renderer named (ModelDirectoryPolicy.check); returns the real folder. */
  checkDir: (dir: string) => Promise<string>
  onState: (state: CompareState) => void
  /** Left / right draw per span (tests pass a fixed one). */
  coin?: Coin
}

interface Running {
  pair: ComparePair
  client: EngineClient
  /** Set once the comparison model has loaded. */
  other: ModelInfo | null
  main: ModelInfo
}

export class CompareService {
  private running: Running | null = null
  private status: CompareState['status'] = 'off'
  private message: string | null = null
  private lineageOf: { dir: string | null; lineage: ModelLineage | null } = { dir: null, lineage: null }
  private readonly unsubscribe: () => void
  /** Bumped by every start and stop: a start that was overtaken while it checked folders spawns nothing. */
  private ticket = 0

  constructor(private readonly o: CompareServiceOptions) {
    this.unsubscribe = o.main.onState((s) => this.mainChanged(s))
  }

  /** The state the panel shows. */
  current(): CompareState {
    const r = this.running
    const model = (role: CompareRole): CompareModel | null => {
      if (!r) return null
      const dir = role === 'base' ? r.pair.baseDir : r.pair.tunedDir
      const info = role === r.pair.mainRole ? r.main : r.other
      return { role, dir, name: info?.name ?? (role === 'base' ? r.pair.lineage.name : dir), hash: info?.hash ?? '' }
    }
    return { status: this.status, base: model('base'), tuned: model('tuned'), message: this.message, activeBase: this.activeLineage() }
  }

  /** True while fills go to both engines. */
  on(): boolean {
    return this.running !== null && (this.status === 'ready' || this.status === 'loading')
  }

  /** Turns comparison on (see the contract's 'compare:start'); resolves once the other model loaded or failed. */
  async start(requestedDir?: string): Promise<CompareState> {
    const ticket = ++this.ticket
    const main = this.o.main.state().model
    if (!main) throw new Error('No model is loaded; load a model before comparing.')
    const requested = requestedDir === undefined ? null : await this.o.checkDir(requestedDir)
    const pair = resolvePair(
      { dir: main.dir, lineage: this.activeLineage() },
      requested === null ? null : { dir: requested, lineage: readLineage(requested) },
    )
    if (pair.otherDir !== requested) await this.o.checkDir(pair.otherDir).catch((err: Error) => {
      throw new Error(`The base model named in the tuned model's lineage (${pair.otherDir}) cannot be loaded: ${err.message}`)
    })
    // A later start or a stop came in while the folders were checked: that one decides.
    if (ticket !== this.ticket) return this.current()
    // From here to client.start() nothing awaits: the old engine is let go and the new one
    // recorded in one step, so concurrent starts can never leave an engine nobody holds.
    const previous = this.running
    const client = new EngineClient(this.o.spawnEngine)
    const running: Running = { pair, client, other: null, main }
    this.running = running
    if (previous) void previous.client.dispose()
    this.set('loading', null)
    client.start()
    try {
      running.other = await client.loadModel(pair.otherDir)
    } catch (err) {
      if (this.running !== running) return this.current()
      this.running = null
      void client.dispose()
      this.set('error', `The ${otherRole(pair.mainRole)} model in ${pair.otherDir} could not be loaded for comparison: ${(err as Error).message}`)
      return this.current()
    }
    if (this.running !== running) return this.current()
    const base = pair.mainRole === 'base' ? main : running.other
    const note = sameHash(base.hash, pair.lineage.hash)
      ? null
      : `Note: ${base.name} (${pair.baseDir}) is not the model the tuned one was tuned from (its model.onnx differs from the lineage's ${pair.lineage.hash.slice(0, 12)}).`
    this.set('ready', note)
    return this.current()
  }

  /** Turns comparison off: the comparison engine is shut down. */
  async stop(message: string | null = null): Promise<CompareState> {
    this.ticket++
    const r = this.running
    this.running = null
    if (r || this.status !== 'off' || message) this.set('off', message)
    if (r) await r.client.dispose()
    return this.current()
  }

  /** Runs `request` on both engines; `sink` gets the main engine's steps and one merged result (or one error). */
  fill(request: FillRequest, sink: FillSink): number {
    const r = this.running
    if (!r) throw new Error('Comparison is off.')
    const id = request.requestId
    const mine = this.o.main.fill(request, { onStep: (e) => sink.step(e) })
    const theirs = r.client.fill(request)
    // One side failing stops the other: a comparison needs both.
    mine.result.catch(() => r.client.cancel(id))
    theirs.result.catch(() => this.o.main.cancel(id))
    void Promise.allSettled([mine.result, theirs.result]).then(([a, b]) => {
      if (a.status === 'fulfilled' && b.status === 'fulfilled') {
        let merged: FillResult
        try {
          merged = mergeComparison(a.value, b.value, r.pair.mainRole, this.o.coin ?? randomCoin)
        } catch (err) {
          sink.error({ requestId: id, message: `The comparison could not be put together: ${(err as Error).message}`, cancelled: false })
          return
        }
        sink.done(merged)
        return
      }
      sink.error(failure(a, b, r, id))
    })
    return mine.queued
  }

  /** Cancels a comparison fill on the comparison engine (the main engine's is cancelled by its own gateway). */
  cancel(requestId: string): void {
    this.running?.client.cancel(requestId)
  }

  async dispose(): Promise<void> {
    this.unsubscribe()
    await this.stop(null)
  }

  private set(status: CompareState['status'], message: string | null): void {
    this.status = status
    this.message = message
    this.o.onState(this.current())
  }

  /** The loaded model's lineage (read once per model folder). */
  private activeLineage(): ModelLineage | null {
    const dir = this.o.main.state().model?.dir ?? null
    if (dir !== this.lineageOf.dir) {
      let lineage: ModelLineage | null = null
      try {
        lineage = dir ? readLineage(dir) : null
      } catch {
        lineage = null // an unreadable manifest offers no comparison; loading it already said what was wrong
      }
      this.lineageOf = { dir, lineage }
    }
    return this.lineageOf.lineage
  }

  /** The loaded model changed: a comparison with the old one ends; the offer follows the new one. */
  private mainChanged(s: EngineState): void {
    const dir = s.model?.dir ?? null
    const r = this.running
    if (r && dir && dir !== r.main.dir) {
      void this.stop(`Comparison ended: the loaded model is now ${s.model?.name ?? dir}.`)
      return
    }
    if (dir !== this.lineageOf.dir) {
      this.activeLineage()
      this.o.onState(this.current())
    }
  }
}

/** The one error a failed comparison fill reports: the main engine's, else the comparison engine's, naming its model. */
function failure(a: PromiseSettledResult<FillResult>, b: PromiseSettledResult<FillResult>, r: Running, requestId: string): FillErrorEvent {
  const eventOf = (reason: unknown): FillErrorEvent =>
    reason instanceof FillFailed ? reason.event : { requestId, message: reason instanceof Error ? reason.message : String(reason), cancelled: false }
  if (a.status === 'rejected') {
    const e = eventOf(a.reason)
    // The main engine was cancelled only because the comparison engine failed: report that failure.
    if (!(e.cancelled && b.status === 'rejected' && !eventOf(b.reason).cancelled)) return { ...e, requestId }
  }
  const e = eventOf(b.status === 'rejected' ? b.reason : null)
  const role = otherRole(r.pair.mainRole)
  const name = r.other?.name ?? r.pair.otherDir
  return { requestId, cancelled: e.cancelled, message: e.cancelled ? e.message : `The ${role} model (${name}) could not fill: ${e.message}` }
}

/** The engine gateway the request handlers use: fills go to both engines while comparison is on. */
export function comparingGateway(engine: EngineGateway, compare: CompareService): EngineGateway {
  return {
    ...engine,
    fill: (request, sink) => (compare.on() ? compare.fill(request, sink) : engine.fill(request, sink)),
    cancel: (requestId) => {
      engine.cancel(requestId)
      compare.cancel(requestId)
    },
  }
}
