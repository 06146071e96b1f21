/**
 * The host's manuscript service (issue 21): keeps the index of the writer's texts the fills
 * draw on (ManuscriptSources), feeds the engine's manuscript expert the same texts, reads the
 * workspace's documents when the scope asks for them, and keeps everything in the user-data
 * folder only (`<user data>/manuscript/`): the settings, and the workspace files' text with
 * their size and modification time, so a restart re-reads only the files that changed.
 * "Forget my text" deletes that folder's texts, clears the engine's copy and turns the scope off.
 *
 * Needs Node (files); knows nothing of Electron. Both hosts build it in app-services.
 */
import { promises as fs } from 'node:fs'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { ManuscriptScope, ManuscriptState, MAX_DOCUMENT_BYTES, type ManuscriptUpdate } from '../contract'
import { DEFAULT_YOUR_WORDS } from '../contract'
import { writeFileAtomic } from '../services/atomic-write'
import { listWorkspace } from '../services/documents'
import { ManuscriptSources, type EngineEdit } from './manuscript-sources'
import { markdownToPlain } from './words'

/** What the service needs of the engine client (EngineClient implements it). */
export interface ManuscriptEngine {
  setManuscriptDocument(id: string, text: string | null): void
  clearManuscript(): void
}

export interface ManuscriptServiceOptions {
  /** `<user data>/manuscript`. */
  dir: string
  /** Browser mode's workspace folder; null on the desktop (there: the folder of the document last opened or saved). */
  workspaceDir: string | null
  engine: ManuscriptEngine
  onState(state: ManuscriptState): void
  /** Delay before the file copies are written after a change (ms). */
  persistDelayMs?: number
}

const Settings = z.object({ version: z.literal(1), scope: ManuscriptScope, yourWords: z.number().min(0).max(1) })
const FileCopies = z.object({
  version: z.literal(1),
  files: z.array(z.object({ path: z.string(), mtimeMs: z.number(), size: z.number(), text: z.string() })),
})
type FileCopy = z.infer<typeof FileCopies>['files'][number]

/** The files of the manuscript folder. */
export function manuscriptFiles(dir: string): { settings: string; files: string } {
  return { settings: join(dir, 'settings.json'), files: join(dir, 'files.json') }
}

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  const raw = await fs.readFile(path, 'utf8').catch(() => null)
  if (raw === null) return null
  try {
    const parsed = schema.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

export class ManuscriptService {
  private readonly sources: ManuscriptSources
  private yourWords: number
  /** Size and modification time of each workspace file's copy (as last read). */
  private readonly stats = new Map<string, { mtimeMs: number; size: number }>()
  private desktopFolder: string | null = null
  /** The workspace scan running, and one more queued behind it. */
  private scanning: Promise<void> | null = null
  private nextScan: Promise<void> | null = null
  private persistTimer: NodeJS.Timeout | null = null
  /** The file copies being written now (Forget waits for it, then deletes them). */
  private writing: Promise<void> | null = null
  private filesDirty = false

  private constructor(
    private readonly options: ManuscriptServiceOptions,
    settings: z.infer<typeof Settings>,
    copies: FileCopy[],
  ) {
    this.sources = new ManuscriptSources(settings.scope)
    this.yourWords = settings.yourWords
    for (const c of copies) {
      this.stats.set(c.path, { mtimeMs: c.mtimeMs, size: c.size })
      this.send(this.sources.file(c.path, c.text))
    }
  }

  /** Opens the service on its folder: the settings and file copies kept there, then a scan of the workspace. */
  static async open(options: ManuscriptServiceOptions): Promise<ManuscriptService> {
    const paths = manuscriptFiles(options.dir)
    const settings = (await readJson(paths.settings, Settings)) ?? { version: 1 as const, scope: 'document' as const, yourWords: DEFAULT_YOUR_WORDS }
    const copies = settings.scope === 'off' ? [] : ((await readJson(paths.files, FileCopies))?.files ?? [])
    const service = new ManuscriptService(options, settings, copies)
    if (settings.scope === 'workspace') void service.scan()
    return service
  }

  state(): ManuscriptState {
    const s = this.sources.index.summary()
    return {
      scope: this.sources.scope,
      yourWords: this.yourWords,
      documents: s.documents,
      words: s.words,
      distinct: s.distinct,
      workspaceDir: this.workspaceDir(),
      indexing: this.scanning !== null,
    }
  }

  /** The open document of `sender` after a pause in typing (the plain text its fill requests carry). */
  update(sender: string, update: ManuscriptUpdate): ManuscriptState {
    this.send(this.sources.edit(sender, { documentId: update.documentId, path: update.path, text: update.text }))
    return this.changed()
  }

  /**
   * `sender` opened `path` or saved its document there (the request handlers call it after
   * doc:open / doc:save): the file's copy is its text now; on the desktop its folder is the
   * workspace. Never throws: the open or save it follows has already happened.
   */
  async documentAt(sender: string, how: 'opened' | 'saved', path: string, markdown: string): Promise<void> {
    if (!this.options.workspaceDir) this.desktopFolder = dirname(path)
    if (this.sources.scope === 'off') return
    const stat = await fs.stat(path).catch(() => null)
    if (stat) this.stats.set(path, { mtimeMs: stat.mtimeMs, size: stat.size })
    const text = markdownToPlain(markdown)
    this.send(how === 'saved' ? this.sources.saved(sender, path, text) : this.sources.file(path, text))
    this.filesDirty = true
    this.schedulePersist()
    this.changed()
    if (this.sources.scope === 'workspace') void this.scan()
  }

  async settings(patch: { scope?: ManuscriptScope; yourWords?: number }): Promise<ManuscriptState> {
    if (patch.yourWords !== undefined) this.yourWords = patch.yourWords
    if (patch.scope !== undefined && patch.scope !== this.sources.scope) {
      this.send(this.sources.setScope(patch.scope))
      if (patch.scope === 'workspace') void this.scan()
    }
    await this.writeSettings()
    return this.changed()
  }

  /** Forget my text: the copies in the user-data folder are deleted, the engine's cleared, the scope off. */
  async forget(): Promise<ManuscriptState> {
    this.send(this.sources.forget())
    this.stats.clear()
    this.filesDirty = false
    if (this.persistTimer) clearTimeout(this.persistTimer)
    this.persistTimer = null
    // A write that started before the writer forgot finishes first, then its file goes too.
    await this.writing
    await fs.rm(manuscriptFiles(this.options.dir).files, { force: true })
    await this.writeSettings()
    return this.changed()
  }

  senderClosed(sender: string): void {
    this.send(this.sources.close(sender))
    this.changed()
  }

  /**
   * Reads the workspace's documents that are new or changed since their copy and drops those
   * gone. Resolves once a scan that started after the call has finished (a call during a scan
   * queues one more; calls during that wait share it).
   */
  scan(): Promise<void> {
    if (!this.scanning) return this.startScan()
    this.nextScan ??= this.scanning.then(() => {
      this.nextScan = null
      return this.startScan()
    })
    return this.nextScan
  }

  private startScan(): Promise<void> {
    const run: Promise<void> = this.scanOnce()
      .catch((err: unknown) => console.error(`Infill: the workspace could not be read for the manuscript: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        if (this.scanning === run) this.scanning = null
        this.changed()
      })
    this.scanning = run
    this.changed()
    return run
  }

  async dispose(): Promise<void> {
    await this.nextScan
    await this.scanning
    if (this.persistTimer) clearTimeout(this.persistTimer)
    this.persistTimer = null
    await this.writing
    if (this.filesDirty) await this.writeFiles()
  }

  private workspaceDir(): string | null {
    return this.options.workspaceDir ?? this.desktopFolder
  }

  private async scanOnce(): Promise<void> {
    const dir = this.workspaceDir()
    if (!dir || this.sources.scope !== 'workspace') return
    const entries = await listWorkspace(dir)
    const seen = new Set<string>()
    for (const entry of entries) {
      if (this.sources.scope !== 'workspace') return
      seen.add(entry.path)
      const stat = await fs.stat(entry.path).catch(() => null)
      if (!stat || stat.size > MAX_DOCUMENT_BYTES) continue
      const known = this.stats.get(entry.path)
      if (known && known.mtimeMs === stat.mtimeMs && known.size === stat.size && this.sources.fileTexts().has(entry.path)) continue
      let text: string
      try {
        text = utf8.decode(await fs.readFile(entry.path))
      } catch {
        continue // not UTF-8 (or gone): not the writer's text as Infill reads it
      }
      if (this.sources.scope !== 'workspace') return // forgotten or turned off while reading
      this.stats.set(entry.path, { mtimeMs: stat.mtimeMs, size: stat.size })
      this.send(this.sources.file(entry.path, markdownToPlain(text)))
      this.filesDirty = true
    }
    // Gone from the workspace, or from a folder that is no longer it (the desktop's folder moved on).
    for (const path of [...this.sources.fileTexts().keys()]) {
      if (seen.has(path)) continue
      this.stats.delete(path)
      this.send(this.sources.file(path, null))
      this.filesDirty = true
    }
    if (this.filesDirty) this.schedulePersist()
  }

  private send(edits: EngineEdit[]): void {
    for (const e of edits) {
      if (e.kind === 'clear') this.options.engine.clearManuscript()
      else this.options.engine.setManuscriptDocument(e.id, e.kind === 'set' ? e.text : null)
    }
  }

  private changed(): ManuscriptState {
    const state = this.state()
    this.options.onState(state)
    return state
  }

  private schedulePersist(): void {
    if (this.persistTimer) return
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null
      const write: Promise<void> = this.writeFiles()
        .catch((err: unknown) => console.error(`Infill: the manuscript index could not be saved: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => {
          if (this.writing === write) this.writing = null
        })
      this.writing = write
    }, this.options.persistDelayMs ?? 1000)
  }

  private async writeFiles(): Promise<void> {
    this.filesDirty = false
    if (this.sources.scope === 'off') return
    const files: FileCopy[] = []
    for (const [path, text] of this.sources.fileTexts()) {
      const st = this.stats.get(path)
      if (st) files.push({ path, mtimeMs: st.mtimeMs, size: st.size, text })
    }
    await fs.mkdir(this.options.dir, { recursive: true })
    await writeFileAtomic(manuscriptFiles(this.options.dir).files, JSON.stringify({ version: 1, files }))
  }

  private async writeSettings(): Promise<void> {
    await fs.mkdir(this.options.dir, { recursive: true })
    await writeFileAtomic(manuscriptFiles(this.options.dir).settings, JSON.stringify({ version: 1, scope: this.sources.scope, yourWords: this.yourWords }))
  }
}
