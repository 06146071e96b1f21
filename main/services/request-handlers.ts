/**
 * The main-process services behind every request of the contract, shared by both hosts
 * (Electron IPC and the browser-mode WebSocket). Payloads arrive already validated.
 */
import { promises as fs } from 'node:fs'
import { basename, extname, join, resolve } from 'node:path'
import type { HostInfo, RequestHandlers, SenderContext } from '../contract'
import { readDocument, writeDocument, listWorkspace } from './documents'
import type { FillLedger } from './fill-ledger'
import type { EngineGateway, PreferenceGateway } from './gateways'
import type { ModelDirectoryPolicy } from './model-access'
import type { ModelManager } from '../models/model-manager'
import { PathPolicy } from './path-policy'
import type { RecoveryStore } from './recovery'
import type { TuneService } from '../tune/tune-service'
import type { CompareService } from './compare-service'
import type { ManuscriptService } from '../manuscript/manuscript-service'

/** Native file dialogs (desktop); absent in browser mode, where the renderer picks from the workspace. */
export interface FileDialogs {
  pickOpenPath(sender: SenderContext): Promise<string | null>
  pickSavePath(sender: SenderContext, kind: 'document' | 'preferences'): Promise<string | null>
  /** A model folder for Models › Add folder. */
  pickFolder?(sender: SenderContext): Promise<string | null>
}

export interface ServiceDeps {
  info: HostInfo
  dialogs: FileDialogs | null
  workspaceDir: string | null
  recovery: RecoveryStore
  engine: EngineGateway
  /** Which model directories engine:loadModel may open. */
  models: ModelDirectoryPolicy
  /** Who started which fill (per-connection limits, cancel rights). */
  fills: FillLedger
  prefs: PreferenceGateway
  /** Installed models, switching, Hub downloads (main/models). */
  modelManager: Pick<ModelManager, 'overview' | 'addFolder' | 'copyFolder' | 'activate' | 'startDownload' | 'cancel' | 'hubStatus'>
  /** Called when a window reports unsaved changes (desktop: window title and close prompt). */
  onDirty?: (sender: SenderContext, dirty: boolean, title: string) => void
  /** Tuning on the writer's decisions (main/tune); absent where the host offers none. */
  tune?: Pick<TuneService, 'current' | 'start' | 'cancel'>
  /** Comparison mode (base beside tuned); absent where the host offers none. */
  compare?: Pick<CompareService, 'current' | 'start' | 'stop'>
  /** The writer's texts the fills draw on (main/manuscript); told of every document opened or saved. */
  manuscript: Pick<ManuscriptService, 'state' | 'update' | 'settings' | 'forget' | 'documentAt'>
}

export function createRequestHandlers(deps: ServiceDeps): RequestHandlers {
  const paths = new PathPolicy(deps.workspaceDir)
  const tuneService = () => {
    if (!deps.tune) throw new Error('Tuning is not available in this host.')
    return deps.tune
  }
  const compareService = () => {
    if (!deps.compare) throw new Error('Comparison is not available in this host.')
    return deps.compare
  }

  const choose = async (
    given: string | undefined,
    sender: SenderContext,
    kind: 'open' | 'document' | 'preferences',
  ): Promise<string | null> => {
    if (given !== undefined) return paths.check(given)
    if (!deps.dialogs) {
      if (kind === 'preferences' && deps.workspaceDir) {
        const stamp = new Date().toISOString().replace(/[:.]/g, '-')
        return paths.check(join(deps.workspaceDir, `infill-preferences-${stamp}.jsonl`))
      }
      throw new Error('No file was named. Pick a file from the workspace list or type a name ending in .md.')
    }
    const picked = kind === 'open' ? await deps.dialogs.pickOpenPath(sender) : await deps.dialogs.pickSavePath(sender, kind)
    if (!picked) return null
    await paths.grant(picked)
    return paths.check(picked)
  }

  return {
    'host:info': async () => deps.info,
    'doc:open': async ({ path }, sender) => {
      const chosen = await choose(path, sender, 'open')
      if (!chosen) return null
      const file = await readDocument(chosen)
      await deps.manuscript.documentAt(sender.id, 'opened', file.path, file.markdown)
      return file
    },
    'doc:save': async ({ path, markdown, sidecar, ifExists }, sender) => {
      // A native save dialog has already asked about replacing the file it returns.
      const confirmedByDialog = path === undefined && deps.dialogs !== null
      const chosen = await choose(path, sender, 'document')
      if (!chosen) return null
      const outcome = await writeDocument(chosen, markdown, sidecar, { ifExists: confirmedByDialog ? 'replace' : (ifExists ?? 'fail') })
      if (outcome.status === 'saved') await deps.manuscript.documentAt(sender.id, 'saved', outcome.path, markdown)
      return outcome
    },
    'doc:list': async () => (deps.workspaceDir ? listWorkspace(deps.workspaceDir) : []),
    'doc:setDirty': async ({ dirty, title }, sender) => {
      deps.onDirty?.(sender, dirty, title)
    },
    'recovery:write': async (entry) => deps.recovery.write(entry),
    // An entry's path is data for the writer to see: it grants nothing (saving a recovered
    // document outside the workspace goes through Save As).
    'recovery:list': async () => deps.recovery.list(),
    'recovery:discard': async ({ documentId }) => deps.recovery.discard(documentId),
    'engine:state': async () => deps.engine.state(),
    'engine:loadModel': async ({ dir }) => deps.engine.loadModel(await deps.models.check(dir)),
    'engine:fill': async (request, sender) => {
      deps.fills.admit(sender.id, request.requestId, request.text.length)
      const settle = (): void => deps.fills.settle(request.requestId)
      try {
        const queued = deps.engine.fill(request, {
          step: (e) => sender.emit('fill:step', e),
          done: (r) => {
            settle()
            sender.emit('fill:done', r)
          },
          error: (e) => {
            settle()
            sender.emit('fill:error', e)
          },
        })
        return { requestId: request.requestId, queued }
      } catch (err) {
        settle()
        throw err
      }
    },
    'engine:cancel': async ({ requestId }, sender) => {
      if (deps.fills.assertMayCancel(sender.id, requestId)) deps.engine.cancel(requestId)
    },
    'prefs:log': async (decision) => {
      const result = deps.prefs.log(decision)
      return result.logged ? { id: result.id, logged: true } : { id: -1, logged: false, message: result.message }
    },
    'prefs:list': async ({ limit }) => deps.prefs.list(limit),
    'prefs:pairs': async ({ limit }) => deps.prefs.pairs(limit),
    'prefs:stats': async () => deps.prefs.stats(),
    'prefs:setEnabled': async ({ enabled }) => deps.prefs.setEnabled(enabled),
    'prefs:clear': async ({ confirm }) => deps.prefs.clear(confirm),
    'prefs:retract': async ({ id, reason }) => deps.prefs.retract(id, reason),
    'prefs:delete': async ({ id }) => deps.prefs.delete(id),
    'prefs:export': async ({ format, path, replace }, sender) => {
      // A native save dialog has already asked about replacing the file it returns.
      const confirmedByDialog = path === undefined && deps.dialogs !== null
      const chosen = await choose(path, sender, 'preferences')
      if (!chosen) return null
      if (extname(chosen).toLowerCase() !== '.jsonl') {
        throw new Error(`Preference exports are JSON Lines files: "${basename(chosen)}" must end in .jsonl.`)
      }
      const existing = await fs.lstat(chosen).catch(() => null)
      if (existing && !existing.isFile()) throw new Error(`"${basename(chosen)}" exists and is not a file; choose another name.`)
      if (existing && !replace && !confirmedByDialog) return { status: 'exists', path: chosen, name: basename(chosen) }
      return { status: 'exported', ...deps.prefs.export(format, chosen) }
    },
    'models:list': async () => deps.modelManager.overview(),
    'models:hub': async () => deps.modelManager.hubStatus(),
    'models:addFolder': async ({ dir, how = 'copy' }, sender) => {
      // A folder used where it is ('link') is held to the document rule (inside the workspace in
      // browser mode). A copy may come from anywhere the writer names: it is checked as a model
      // folder before anything is copied, and only model folders are copied, into the app's own.
      let chosen: string | null
      if (dir !== undefined) chosen = how === 'link' ? await paths.check(dir) : resolve(deps.workspaceDir ?? process.cwd(), dir)
      else if (deps.dialogs?.pickFolder) chosen = await deps.dialogs.pickFolder(sender)
      else throw new Error('Type the path of the model folder.')
      if (!chosen) return null
      const added = how === 'link' ? await deps.modelManager.addFolder(chosen) : await deps.modelManager.copyFolder(chosen)
      return (await deps.modelManager.overview()).models.find((m) => m.dir === added.dir) ?? null
    },
    'models:activate': async ({ dir }) => deps.modelManager.activate(dir),
    'models:download': async (request) => ({ jobId: deps.modelManager.startDownload(request) }),
    'models:cancelDownload': async ({ jobId }) => deps.modelManager.cancel(jobId),
    'tune:state': async () => tuneService().current(),
    'tune:start': async ({ method }) => tuneService().start(method),
    'tune:cancel': async () => tuneService().cancel(),
    'compare:state': async () => compareService().current(),
    'compare:start': async ({ dir }) => compareService().start(dir),
    'compare:stop': async () => compareService().stop(),
    'manuscript:state': async () => deps.manuscript.state(),
    'manuscript:update': async (update, sender) => deps.manuscript.update(sender.id, update),
    'manuscript:settings': async (patch) => deps.manuscript.settings(patch),
    'manuscript:forget': async () => deps.manuscript.forget(),
    'engine:alternatives': async (request, sender) => {
      if (!deps.engine.state().model) throw new Error('No model is loaded, so there are no other words to offer yet.')
      // Queued like a fill, so held to the same per-connection and queued-text limits.
      deps.fills.admit(sender.id, request.requestId, request.text.length)
      try {
        const result = await deps.engine.alternatives(request)
        const model = deps.engine.state().model
        if (!model) throw new Error('The model was unloaded before its other words came back.')
        return { ...result, model }
      } finally {
        deps.fills.settle(request.requestId)
      }
    },
  }
}
