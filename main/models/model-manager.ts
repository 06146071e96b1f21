/**
 * The model manager: which models are installed, adding a folder, switching the active
 * model (through the engine's own loadModel, which validates it), and Hub downloads that
 * run in the background with progress reports and cancel. Engine-agnostic: it sees the
 * engine only as `loadModel` / `activeDir`, and knows nothing of Electron or the renderer.
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cp, mkdir, realpath, rename, rm } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import type { HubStatus, InstalledModelEntry, ModelInfo, ModelsOverview } from '../contract'
import { defaultModelDir } from '../engine/model-paths'
import { CURATED_MODELS } from './curated'
import type { StatFs } from './disk-space'
import { downloadModel, DownloadError, occupantNote, planDownload, type DownloadPlan, type DownloadProgress } from './hub-download'
import { installFolderName, RepoId, Revision, type ModelVariant } from './hub-files'
import { describeModelDir, modelFoldersIn, type InstalledModel } from './installed-models'
import { readRegistry, registryPath, userModelsDir, writeRegistry } from './model-registry'

/** A download as the UI shows it. */
export interface DownloadJob {
  jobId: string
  repoId: string
  variant: ModelVariant
  phase: 'planning' | DownloadProgress['phase'] | 'done' | 'failed' | 'cancelled'
  file: string
  fileIndex: number
  fileCount: number
  bytesDone: number
  bytesTotal: number
  bytesPerSecond: number | null
  secondsLeft: number | null
  /** What went wrong (failed) or where the model went (done). */
  message: string | null
  dir: string | null
}

export interface ModelManagerOptions {
  appRoot: string
  userDataDir: string
  engine: { loadModel(dir: string): Promise<ModelInfo>; activeDir(): string | null }
  /** A Hub mirror or the test fixture hub; default: the client's own (the Hugging Face Hub). */
  hubUrl?: string
  /** Told of every folder the manager lets the engine load (the host's model-directory allow-list). */
  allowModelDir?: (dir: string) => Promise<void>
  onDownload?: (job: DownloadJob) => void
  /** Injectable for tests. */
  statfs?: StatFs
  fetch?: typeof fetch
}

export interface InstalledModelView extends InstalledModel {
  active: boolean
}

async function real(dir: string): Promise<string> {
  return realpath(dir).catch(() => resolve(dir))
}

/** Progress reports at most this often (the last one of each phase always goes out). */
const REPORT_EVERY_MS = 200

/** The Hub the client library uses when no mirror is set. */
export const DEFAULT_HUB_URL = 'https://huggingface.co'

export class ModelManager {
  private readonly jobs = new Map<string, { job: DownloadJob; controller: AbortController }>()

  constructor(private readonly options: ModelManagerOptions) {}

  get modelsDir(): string {
    return userModelsDir(this.options.userDataDir)
  }

  get embeddedDir(): string {
    return defaultModelDir(this.options.appRoot)
  }

  private get registryFile(): string {
    return registryPath(this.options.userDataDir)
  }

  /** Every installed model, the active one marked. */
  async list(): Promise<InstalledModelView[]> {
    const registry = await readRegistry(this.registryFile)
    const seen = new Set<string>()
    const out: InstalledModel[] = []
    const add = async (dir: string, origin: InstalledModel['origin']) => {
      const key = await real(dir)
      if (seen.has(key)) return
      seen.add(key)
      out.push(await describeModelDir(dir, origin))
    }
    await add(this.embeddedDir, 'embedded')
    // A folder the writer added by copying it lies in the models folder too: it is theirs, not a download.
    const copied = new Set(registry.added.map((d) => resolve(d)))
    for (const dir of await modelFoldersIn(this.modelsDir)) await add(dir, copied.has(resolve(dir)) ? 'added' : 'downloaded')
    for (const dir of registry.added) await add(dir, 'added')
    const active = this.options.engine.activeDir()
    const activeReal = active ? await real(active) : null
    return Promise.all(out.map(async (m) => ({ ...m, active: activeReal !== null && (await real(m.dir)) === activeReal })))
  }

  /** Whether `dir` is one of the installed models (the only folders `activate` accepts). */
  async isInstalled(dir: string): Promise<boolean> {
    const key = await real(dir)
    for (const m of await this.list()) if ((await real(m.dir)) === key) return true
    return false
  }

  /** The model to load at start: the one last made active, while it is still installed; else the embedded one. */
  async startupDir(): Promise<string> {
    const { active } = await readRegistry(this.registryFile)
    if (active && (await this.isInstalled(active))) {
      const described = await describeModelDir(active, 'added')
      if (!described.problem) {
        await this.options.allowModelDir?.(active)
        return active
      }
    }
    return this.embeddedDir
  }

  /** Adds a model folder the writer chose. Throws, saying what is missing, when it is not a model folder. */
  async addFolder(dir: string): Promise<InstalledModelView> {
    const abs = resolve(dir)
    const described = await describeModelDir(abs, 'added')
    if (described.problem)
      throw new Error(`${abs} is not a model folder: ${described.problem}. A model folder holds model.onnx, tokenizer.json and manifest.json (or config.json of an Optimum export).`)
    const registry = await readRegistry(this.registryFile)
    if (!(await this.isInstalled(abs))) {
      registry.added.push(abs)
      await writeRegistry(this.registryFile, registry)
    }
    await this.options.allowModelDir?.(abs)
    const view = (await this.list()).find((m) => m.dir === described.dir)
    return view ?? { ...described, active: false }
  }

  /**
   * Adds a model folder from anywhere by copying it into the models folder: checked as a model
   * folder first (nothing is copied otherwise), copied into `<name>.partial` and checked again,
   * then renamed into place, so a half-copied model is never listed; the app owns the copy and
   * the original may move or go. Named after the folder (`-2`, `-3` … when taken).
   */
  async copyFolder(dir: string): Promise<InstalledModelView> {
    const abs = resolve(dir)
    const described = await describeModelDir(abs, 'added')
    if (described.problem)
      throw new Error(`${abs} is not a model folder: ${described.problem}. A model folder holds model.onnx, tokenizer.json and manifest.json (or config.json of an Optimum export).`)
    await mkdir(this.modelsDir, { recursive: true })
    const base = basename(abs).replace(/[^\w.-]+/g, '-').replace(/^[.-]+/, '') || 'model'
    let name = base
    for (let i = 2; existsSync(join(this.modelsDir, name)) || existsSync(join(this.modelsDir, `${name}.partial`)); i++) name = `${base}-${i}`
    const dest = join(this.modelsDir, name)
    const partial = `${dest}.partial`
    try {
      await cp(abs, partial, { recursive: true, dereference: true, errorOnExist: true, force: false })
      const copy = await describeModelDir(partial, 'added')
      if (copy.problem) throw new Error(`the copy of ${abs} is not a complete model folder (${copy.problem}); nothing was added`)
      await rename(partial, dest)
    } catch (err) {
      await rm(partial, { recursive: true, force: true })
      throw err
    }
    const registry = await readRegistry(this.registryFile)
    registry.added.push(dest)
    await writeRegistry(this.registryFile, registry)
    await this.options.allowModelDir?.(dest)
    const view = (await this.list()).find((m) => resolve(m.dir) === dest)
    return view ?? { ...(await describeModelDir(dest, 'added')), active: false }
  }

  /** Makes an installed model the active one: the engine loads (and validates) it; the choice is kept for the next start. */
  async activate(dir: string): Promise<ModelInfo> {
    if (!(await this.isInstalled(dir))) throw new Error(`${dir} is not an installed model. Add the folder first (Models › Add folder).`)
    await this.options.allowModelDir?.(dir)
    const info = await this.options.engine.loadModel(dir)
    const registry = await readRegistry(this.registryFile)
    registry.active = resolve(dir) === resolve(this.embeddedDir) ? null : resolve(dir)
    await writeRegistry(this.registryFile, registry)
    return info
  }

  /**
   * Whether the Hub answers at all, asked when the Models panel opens, before any download is
   * tried: any HTTP answer counts (the Hub is there), a network error or no answer within
   * `timeoutMs` does not (offline, blocked, a dead mirror).
   */
  async hubStatus(timeoutMs = 6000): Promise<HubStatus> {
    const hubUrl = (this.options.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '')
    const fetchFn = this.options.fetch ?? fetch
    try {
      const res = await fetchFn(`${hubUrl}/api/models?limit=1`, { signal: AbortSignal.timeout(timeoutMs) })
      await res.body?.cancel().catch(() => {})
      return { reachable: true, hubUrl, message: null }
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } }
      const why = e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${Math.round(timeoutMs / 1000)} s` : (e.cause?.code ?? e.cause?.message ?? e.message)
      return {
        reachable: false,
        hubUrl,
        message: `The Hugging Face Hub cannot be reached from this computer (${hubUrl}: ${why}), so a download would fail. Connect and check again, or copy a model folder onto this computer and add it below.`,
      }
    }
  }

  /** Files and total size of a download, read from the Hub, before starting it. */
  async plan(repoId: string, variant: ModelVariant, revision?: string): Promise<DownloadPlan> {
    return planDownload({ repoId: RepoId.parse(repoId), variant, revision, hubUrl: this.options.hubUrl, fetch: this.options.fetch })
  }

  /** Everything the Models panel shows, in the contract's terms. */
  async overview(): Promise<ModelsOverview> {
    const models = (await this.list()).map(
      (m): InstalledModelEntry => ({
        dir: m.dir,
        name: m.name,
        family: m.family,
        origin: m.origin,
        sizeBytes: m.sizeBytes,
        repoId: m.source?.repoId ?? null,
        variant: m.source?.variant ?? null,
        evalFigures: m.evalFigures,
        problem: m.problem,
        active: m.active,
      }),
    )
    return { models, curated: [...CURATED_MODELS], downloads: this.downloads(), modelsDir: this.modelsDir }
  }

  downloads(): DownloadJob[] {
    return [...this.jobs.values()].map((j) => ({ ...j.job }))
  }

  /**
   * Starts a download in the background into <user data>/models/<owner>--<name>-<variant>;
   * returns its job id at once. Progress, completion and failure arrive through onDownload.
   */
  startDownload(request: { repoId: string; variant: ModelVariant; revision?: string }): string {
    const parsed = RepoId.safeParse(request.repoId)
    if (!parsed.success) throw new Error(`"${request.repoId}" is not a repository id: ${parsed.error.issues[0]?.message}`)
    const repoId = parsed.data
    if (request.revision !== undefined) {
      const rev = Revision.safeParse(request.revision)
      if (!rev.success) throw new Error(`${JSON.stringify(request.revision)} is not a revision: ${rev.error.issues[0]?.message}`)
    }
    const dest = join(this.modelsDir, installFolderName(repoId, request.variant))
    if (existsSync(dest)) {
      const other = occupantNote(dest, repoId, request.variant)
      throw new Error(
        other
          ? `${repoId} (${request.variant}) would be installed in ${dest}, but that folder is taken${other}. Remove that model first.`
          : `${repoId} (${request.variant}) is already installed in ${dest}. Use it from the installed list.`,
      )
    }
    for (const { job } of this.jobs.values())
      if (job.repoId === repoId && job.variant === request.variant && !['done', 'failed', 'cancelled'].includes(job.phase))
        throw new Error(`${repoId} (${request.variant}) is already downloading.`)
    const jobId = randomUUID()
    const controller = new AbortController()
    const job: DownloadJob = {
      jobId,
      repoId,
      variant: request.variant,
      phase: 'planning',
      file: '',
      fileIndex: 0,
      fileCount: 0,
      bytesDone: 0,
      bytesTotal: 0,
      bytesPerSecond: null,
      secondsLeft: null,
      message: null,
      dir: null,
    }
    this.jobs.set(jobId, { job, controller })
    let lastReport = 0
    const report = (force: boolean) => {
      const now = Date.now()
      if (!force && now - lastReport < REPORT_EVERY_MS) return
      lastReport = now
      this.options.onDownload?.({ ...job })
    }
    report(true)
    void downloadModel({
      repoId,
      variant: request.variant,
      revision: request.revision,
      dest,
      hubUrl: this.options.hubUrl,
      signal: controller.signal,
      statfs: this.options.statfs,
      fetch: this.options.fetch,
      onProgress: (p) => {
        const phaseChanged = p.phase !== job.phase
        Object.assign(job, { phase: p.phase, file: p.file, fileIndex: p.fileIndex, fileCount: p.fileCount, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, bytesPerSecond: p.bytesPerSecond, secondsLeft: p.secondsLeft })
        report(phaseChanged)
      },
    }).then(
      async (result) => {
        await this.options.allowModelDir?.(result.dir)
        Object.assign(job, { phase: 'done', dir: result.dir, message: `Installed in ${result.dir}`, secondsLeft: 0 })
        report(true)
      },
      (err: unknown) => {
        const e = err instanceof DownloadError ? err : new DownloadError(err instanceof Error ? err.message : String(err), 'hub')
        Object.assign(job, { phase: e.kind === 'cancelled' ? 'cancelled' : 'failed', message: e.message })
        report(true)
      },
    )
    return jobId
  }

  /** Cancels a running download; its partial files are removed. */
  cancel(jobId: string): void {
    const entry = this.jobs.get(jobId)
    if (!entry) throw new Error('There is no such download (it may have finished already).')
    entry.controller.abort(new DownloadError('The download was cancelled; its partial files were removed.', 'cancelled'))
  }

  /** Ids of the curated repositories (for the UI's list). */
  static curated = CURATED_MODELS
}
