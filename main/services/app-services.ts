/**
 * Builds the main-process services both hosts share: the engine client (model loaded at
 * start), the preference log, recovery copies and documents, and the request handlers over
 * them. The host supplies only what differs: how to start the engine process, native
 * dialogs (or none), and how to broadcast events.
 */
import { join } from 'node:path'
import type { EngineState, EventChannel, EventPayload, HostInfo, SenderContext } from '../contract'
import { EngineClient, type SpawnEngine } from '../engine/engine-client'
import { defaultModelDir } from '../engine/model-paths'
import { PreferenceStore } from '../store/preference-store'
import { FillLedger } from './fill-ledger'
import type { EngineGateway, PreferenceGateway } from './gateways'
import { ModelDirectoryPolicy } from './model-access'
import { ModelManager } from '../models/model-manager'
import { explainNativeModuleError } from './native-modules'
import { RecoveryStore } from './recovery'
import { createRequestHandlers, type FileDialogs } from './request-handlers'
import type { RequestHandlers } from '../contract'
import { preferenceDbPath, recoveryDir, userModelsDir } from './user-data'
import { TuneService } from '../tune/tune-service'
import { CompareService, comparingGateway } from './compare-service'
import { ManuscriptService } from '../manuscript/manuscript-service'

export interface AppServicesOptions {
  appRoot: string
  userDataDir: string
  /** Browser mode: the folder the in-app picker lists. Desktop: null (native dialogs). */
  workspaceDir: string | null
  dialogs: FileDialogs | null
  version: string
  /** Model directory to load at start (default: models/default). */
  modelDir?: string
  /** A Hub mirror or the test fixture hub for model downloads (default: INFILL_HUB_URL, else the Hugging Face Hub). */
  hubUrl?: string
  spawnEngine: SpawnEngine
  broadcast: <C extends EventChannel>(channel: C, payload: EventPayload<C>) => void
  onDirty?: (sender: SenderContext, dirty: boolean, title: string) => void
}

export interface AppServices {
  handlers: RequestHandlers
  engine: EngineClient
  prefs: PreferenceGateway
  /**
   * Model directories engine:loadModel may open. The model manager and native folder
   * dialogs call `models.allow(dir)` for a directory the writer chose outside the models folders.
   */
  models: ModelDirectoryPolicy
  /** A window or connection went away: its queued and running fills are cancelled. */
  senderClosed(senderId: string): void
  dispose(): Promise<void>
}

/** The engine client as the request handlers see it. */
export function engineGateway(client: EngineClient): EngineGateway {
  return {
    state: () => client.state(),
    onState: (fn) => client.onState(fn),
    loadModel: (dir) => client.loadModel(dir),
    fill: (request, sink) => client.fill(request, { onStep: sink.step, onDone: sink.done, onError: sink.error }).queued,
    cancel: (id) => client.cancel(id),
    alternatives: (request) => client.alternatives(request),
    dispose: () => client.dispose(),
  }
}

/**
 * Opens the preference log; when it cannot be opened at all (a log from a newer Infill, no
 * permission) the app still runs and every preference request answers with that reason.
 */
function openPreferences(path: string): PreferenceGateway {
  try {
    return PreferenceStore.open(path)
  } catch (err) {
    const message = `The preference log is unavailable: ${explainNativeModuleError(err)}`
    const fail = (): never => {
      throw new Error(message)
    }
    return { log: fail, list: fail, pairs: fail, stats: fail, setEnabled: fail, clear: fail, retract: fail, delete: fail, export: fail, close: () => undefined }
  }
}

export async function createAppServices(options: AppServicesOptions): Promise<AppServices> {
  const engine = new EngineClient(options.spawnEngine)
  const unsubscribe = engine.onState((state: EngineState) => options.broadcast('engine:state', state))
  engine.start()
  const models = new ModelDirectoryPolicy([join(options.appRoot, 'models'), userModelsDir(options.userDataDir)])
  const modelManager = new ModelManager({
    appRoot: options.appRoot,
    userDataDir: options.userDataDir,
    engine: { loadModel: (dir) => engine.loadModel(dir), activeDir: () => engine.state().model?.dir ?? null },
    hubUrl: options.hubUrl ?? process.env.INFILL_HUB_URL,
    allowModelDir: (dir) => models.allow(dir),
    onDownload: (job) => options.broadcast('models:download', job),
  })
  // A directory named on the command line was chosen by the writer; else the one last made active in Models.
  const modelDir = options.modelDir ?? (await modelManager.startupDir().catch(() => defaultModelDir(options.appRoot)))
  if (options.modelDir) await models.allow(options.modelDir)
  const fills = new FillLedger()
  // Loads in the background; failures surface as the engine's 'error' state with the loader's message.
  engine.loadModel(modelDir).catch((err: unknown) => console.error(`Infill: could not load the model in ${modelDir}: ${err instanceof Error ? err.message : String(err)}`))

  const prefs = openPreferences(preferenceDbPath(options.userDataDir))
  const info: HostInfo = {
    version: options.version,
    nativeDialogs: options.dialogs !== null,
    workspaceDir: options.workspaceDir,
    platform: process.platform,
  }
  const tune = new TuneService({
    appRoot: options.appRoot,
    workDir: join(options.userDataDir, 'tune'),
    modelsDir: userModelsDir(options.userDataDir),
    prefs,
    dbPath: preferenceDbPath(options.userDataDir),
    activeModelDir: () => engine.state().model?.dir ?? null,
    onState: (state) => options.broadcast('tune:state', state),
  })
  // Comparison mode: a second engine, started when the writer turns it on (main/services/compare-service).
  const compare = new CompareService({
    main: engine,
    spawnEngine: options.spawnEngine,
    checkDir: (dir) => models.check(dir),
    onState: (state) => options.broadcast('compare:state', state),
  })
  // The writer's texts the fills draw on, kept in the user-data folder (main/manuscript).
  const manuscript = await ManuscriptService.open({
    dir: join(options.userDataDir, 'manuscript'),
    workspaceDir: options.workspaceDir,
    engine,
    onState: (state) => options.broadcast('manuscript:state', state),
  })
  const handlers = createRequestHandlers({
    info,
    dialogs: options.dialogs,
    workspaceDir: options.workspaceDir,
    recovery: new RecoveryStore(recoveryDir(options.userDataDir)),
    engine: comparingGateway(engineGateway(engine), compare),
    models,
    fills,
    prefs,
    modelManager,
    onDirty: options.onDirty,
    tune,
    compare,
    manuscript,
  })
  return {
    handlers,
    engine,
    prefs,
    models,
    senderClosed: (senderId) => {
      for (const requestId of fills.fillsOf(senderId)) engine.cancel(requestId)
      manuscript.senderClosed(senderId)
    },
    dispose: async () => {
      unsubscribe()
      tune.dispose()
      await compare.dispose()
      await manuscript.dispose()
      await engine.dispose()
      prefs.close()
    },
  }
}
