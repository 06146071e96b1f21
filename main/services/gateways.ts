/**
 * What the request handlers need from the engine and the preference log. The hosts pass
 * implementations over the engine client (main/engine) and the preference store
 * (main/store); tests can pass their own.
 */
import type {
  DecisionInput,
  DecisionRecord,
  EngineState,
  ExportFormat,
  FillErrorEvent,
  FillRequest,
  FillResult,
  FillStepEvent,
  ModelInfo,
  PreferencePairPreview,
  PreferenceStats,
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
  dispose(): Promise<void>
}

export interface PreferenceGateway {
  /** Logs one decision durably; id is null when logging is turned off. */
  log(decision: DecisionInput): { id: number | null }
  list(limit: number): DecisionRecord[]
  pairs(limit: number): PreferencePairPreview[]
  stats(): PreferenceStats
  setEnabled(enabled: boolean): PreferenceStats
  clear(): PreferenceStats
  exportTo(format: ExportFormat, path: string): Promise<{ path: string; lines: number }>
  close(): void
}
