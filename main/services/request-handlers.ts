/**
 * The main-process services behind every request of the contract, shared by both hosts
 * (Electron IPC and the browser-mode WebSocket). Payloads arrive already validated.
 */
import { join } from 'node:path'
import type { HostInfo, RequestHandlers, SenderContext } from '../contract'
import { readDocument, writeDocument, listWorkspace } from './documents'
import type { EngineGateway, PreferenceGateway } from './gateways'
import { PathPolicy } from './path-policy'
import type { RecoveryStore } from './recovery'

/** Native file dialogs (desktop); absent in browser mode, where the renderer picks from the workspace. */
export interface FileDialogs {
  pickOpenPath(sender: SenderContext): Promise<string | null>
  pickSavePath(sender: SenderContext, kind: 'document' | 'preferences'): Promise<string | null>
}

export interface ServiceDeps {
  info: HostInfo
  dialogs: FileDialogs | null
  workspaceDir: string | null
  recovery: RecoveryStore
  engine: EngineGateway
  prefs: PreferenceGateway
  /** Called when a window reports unsaved changes (desktop: window title and close prompt). */
  onDirty?: (sender: SenderContext, dirty: boolean, title: string) => void
}

export function createRequestHandlers(deps: ServiceDeps): RequestHandlers {
  const paths = new PathPolicy(deps.workspaceDir)

  const choose = async (
    given: string | undefined,
    sender: SenderContext,
    kind: 'open' | 'document' | 'preferences',
  ): Promise<string | null> => {
    if (given !== undefined) return paths.check(given)
    if (!deps.dialogs) {
      if (kind === 'preferences' && deps.workspaceDir) {
        const stamp = new Date().toISOString().replace(/[:.]/g, '-')
        return join(deps.workspaceDir, `infill-preferences-${stamp}.jsonl`)
      }
      throw new Error('No file was named. Pick a file from the workspace list or type a name ending in .md.')
    }
    const picked = kind === 'open' ? await deps.dialogs.pickOpenPath(sender) : await deps.dialogs.pickSavePath(sender, kind)
    if (picked) paths.grant(picked)
    return picked
  }

  return {
    'host:info': async () => deps.info,
    'doc:open': async ({ path }, sender) => {
      const chosen = await choose(path, sender, 'open')
      if (!chosen) return null
      const doc = await readDocument(chosen)
      paths.grant(chosen)
      return doc
    },
    'doc:save': async ({ path, markdown, sidecar }, sender) => {
      const chosen = await choose(path, sender, 'document')
      if (!chosen) return null
      const saved = await writeDocument(chosen, markdown, sidecar)
      paths.grant(chosen)
      return saved
    },
    'doc:list': async () => (deps.workspaceDir ? listWorkspace(deps.workspaceDir) : []),
    'doc:setDirty': async ({ dirty, title }, sender) => {
      deps.onDirty?.(sender, dirty, title)
    },
    'recovery:write': async (entry) => deps.recovery.write(entry),
    'recovery:list': async () => {
      const entries = await deps.recovery.list()
      for (const e of entries) if (e.path) paths.grant(e.path)
      return entries
    },
    'recovery:discard': async ({ documentId }) => deps.recovery.discard(documentId),
    'engine:state': async () => deps.engine.state(),
    'engine:loadModel': async ({ dir }) => deps.engine.loadModel(dir),
    'engine:fill': async (request, sender) => {
      const queued = deps.engine.fill(request, {
        step: (e) => sender.emit('fill:step', e),
        done: (r) => sender.emit('fill:done', r),
        error: (e) => sender.emit('fill:error', e),
      })
      return { requestId: request.requestId, queued }
    },
    'engine:cancel': async ({ requestId }) => deps.engine.cancel(requestId),
    'prefs:log': async (decision) => {
      const result = deps.prefs.log(decision)
      return result.logged ? { id: result.id, logged: true } : { id: -1, logged: false, message: result.message }
    },
    'prefs:list': async ({ limit }) => deps.prefs.list(limit),
    'prefs:pairs': async ({ limit }) => deps.prefs.pairs(limit),
    'prefs:stats': async () => deps.prefs.stats(),
    'prefs:setEnabled': async ({ enabled }) => deps.prefs.setEnabled(enabled),
    'prefs:clear': async ({ confirm }) => deps.prefs.clear(confirm),
    'prefs:export': async ({ format, path }, sender) => {
      const chosen = await choose(path, sender, 'preferences')
      if (!chosen) return null
      return deps.prefs.export(format, chosen)
    },
  }
}
