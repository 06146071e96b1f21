/**
 * What the request handlers need from the engine and the preference log. The hosts pass
 * implementations over the engine client (main/engine) and the preference store
 * (main/store); tests can pass their own.
 */
import type { PreferenceStore } from '../store/preference-store'
import type {
  AlternativesRequest,
  AlternativesResult,
  EngineState,
  FillErrorEvent,
  FillRequest,
  FillResult,
  FillStepEvent,
  ModelInfo,
} from '../contract'

/** Where one request's stream of events goes. */
export interface FillSink {
  step(event: FillStepEvent): void
  done(result: FillResult): void
  error(event: FillErrorEvent): void
}

export interface EngineGateway {
  state(): EngineState
  onState(listener: (state: EngineState) => void): () => void
  loadModel(dir: string): Promise<ModelInfo>
  /** Queues a fill; returns how many requests wait ahead of it. */
  fill(request: FillRequest, sink: FillSink): number
  cancel(requestId: string): void
  /** Other words: alternatives for one word in context (queued like a fill). */
  alternatives(request: AlternativesRequest): Promise<AlternativesResult>
  dispose(): Promise<void>
}

/** The preference log as the handlers use it (implemented by main/store's PreferenceStore). */
export type PreferenceGateway = Pick<PreferenceStore, 'log' | 'list' | 'pairs' | 'stats' | 'setEnabled' | 'clear' | 'retract' | 'delete' | 'export' | 'close'>
