/**
 * The document's life: new, open, save, save as, dirty tracking ('doc:setDirty'), the
 * recovery copy ('recovery:write' every 30 s while dirty; offered from 'recovery:list' at
 * start) and closing with unsaved changes.
 */
import type { Node as PMNode } from 'prosemirror-model'
import type { DocumentFile, InfillApi, MenuCommand, RecoveryEntry } from '../../../main/contract'
import { buildSidecar, documentFromFile, serializeDocument } from '../editor/markdown'
import { emptyDoc } from '../editor/setup'
import { newDocumentId, type Store } from './store'

export const RECOVERY_INTERVAL_MS = 30_000

export interface DocumentHost {
  doc(): PMNode
  replaceDoc(doc: PMNode): void
  /** Log pending decisions before the document changes hands. */
  settle(): Promise<unknown>
  resetFills(): void
}

export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path
}

export class DocumentController {
  private savedDoc: PMNode = emptyDoc()
  private recoveryTimer: ReturnType<typeof setInterval> | null = null
  private lastRecovered: PMNode | null = null

  constructor(
    private readonly api: InfillApi,
    private readonly store: Store,
    private readonly host: DocumentHost,
  ) {}

  /** Host info, recovery offer, menu and close events. Returns the unsubscribe. */
  async start(): Promise<() => void> {
    const offs = [
      this.api.on('menu:command', (c) => this.onMenu(c)),
      this.api.on('window:closeRequested', () => this.requestClose()),
    ]
    const beforeUnload = (e: BeforeUnloadEvent): void => {
      if (this.store.get().dirty && !window.infill) e.preventDefault()
    }
    window.addEventListener('beforeunload', beforeUnload)
    this.savedDoc = this.host.doc()
    this.recoveryTimer = setInterval(() => void this.writeRecovery(), RECOVERY_INTERVAL_MS)
    try {
      this.store.set({ host: await this.api.invoke('host:info', undefined) })
    } catch (e) {
      this.store.toast('error', `Cannot reach the Infill host: ${(e as Error).message}`)
    }
    try {
      const entries = await this.api.invoke('recovery:list', undefined)
      if (entries.length) this.store.set({ dialog: { kind: 'recovery', entries } })
    } catch {
      /* recovery is a courtesy; the host reports its own errors */
    }
    return () => {
      offs.forEach((o) => o())
      window.removeEventListener('beforeunload', beforeUnload)
      if (this.recoveryTimer) clearInterval(this.recoveryTimer)
    }
  }

  onMenu(c: MenuCommand): void {
    switch (c) {
      case 'new':
        return void this.guard('new')
      case 'open':
        return void this.guard('open')
      case 'save':
        return void this.save()
      case 'saveAs':
        return void this.saveAs()
      case 'togglePreferences':
      case 'exportPreferences':
        return this.store.set((s) => ({ prefsOpen: c === 'exportPreferences' ? true : !s.prefsOpen }))
      case 'regenerate':
        return // handled by the app (it owns the fill controller)
    }
  }

  /** After each transaction: dirty state. */
  afterTransaction(): void {
    const dirty = !this.host.doc().eq(this.savedDoc)
    if (dirty !== this.store.get().dirty) this.setDirty(dirty)
  }

  private setDirty(dirty: boolean): void {
    this.store.set({ dirty })
    this.api.invoke('doc:setDirty', { dirty, title: this.store.get().title }).catch(() => {})
  }

  /** New / open, asking about unsaved changes first. */
  async guard(reason: 'new' | 'open'): Promise<void> {
    if (this.store.get().dirty) {
      this.store.set({ dialog: { kind: 'unsaved', reason } })
      return
    }
    await this.proceed(reason)
  }

  /** Carries out new / open / close once unsaved changes are dealt with. */
  async proceed(reason: 'new' | 'open' | 'close'): Promise<void> {
    if (reason === 'close') {
      await this.host.settle()
      await this.api.invoke('doc:setDirty', { dirty: false, title: this.store.get().title }).catch(() => {})
      window.close()
      return
    }
    if (reason === 'new') return this.newDocument()
    if (this.store.get().host?.nativeDialogs) {
      await this.open()
      return
    }
    this.store.set({ dialog: { kind: 'open' } })
  }

  /** Answer of the unsaved-changes dialog. */
  async resolveUnsaved(choice: 'save' | 'discard' | 'cancel', reason: 'new' | 'open' | 'close'): Promise<void> {
    this.store.set({ dialog: null })
    if (choice === 'cancel') return
    if (choice === 'save') {
      const ok = await this.save(reason)
      if (!ok) return
    }
    await this.proceed(reason)
  }

  requestClose(): void {
    if (!this.store.get().dirty) void this.proceed('close')
    else this.store.set({ dialog: { kind: 'unsaved', reason: 'close' } })
  }

  async newDocument(): Promise<void> {
    await this.host.settle()
    this.host.resetFills()
    const doc = emptyDoc()
    this.host.replaceDoc(doc)
    this.savedDoc = doc
    this.store.set({ path: null, title: 'Untitled', documentId: newDocumentId() })
    this.setDirty(false)
  }

  /** Opens `path`, or asks the host's dialog when there is none. */
  async open(path?: string): Promise<boolean> {
    let file: DocumentFile | null
    try {
      file = await this.api.invoke('doc:open', path ? { path } : {})
    } catch (e) {
      this.store.toast('error', (e as Error).message)
      return false
    }
    if (!file) return false
    await this.host.settle()
    this.load(file)
    return true
  }

  private load(file: Pick<DocumentFile, 'markdown' | 'sidecar' | 'path' | 'sidecarNote'>, dirty = false): void {
    const { doc, documentId, note } = documentFromFile(file)
    this.host.resetFills()
    this.host.replaceDoc(doc)
    this.savedDoc = dirty ? emptyDoc() : doc
    this.store.set({ path: file.path, title: baseName(file.path), documentId: documentId ?? newDocumentId(), dialog: null })
    this.setDirty(dirty)
    if (file.sidecarNote) this.store.toast('info', file.sidecarNote, 9000)
    if (note) this.store.toast('error', note)
  }

  /** Saves to the current path (Save As when there is none). Resolves true when saved. */
  async save(then?: 'close' | 'new' | 'open'): Promise<boolean> {
    const path = this.store.get().path
    if (!path) return this.saveAs(undefined, then)
    return this.write(path)
  }

  /**
   * Save As: with `name`, saves there (a bare name lands in the workspace); without, the
   * host's dialog asks (desktop) or the in-app picker opens (browser mode).
   */
  async saveAs(name?: string, then?: 'close' | 'new' | 'open'): Promise<boolean> {
    if (name) return this.write(/\.(md|markdown|txt)$/i.test(name) ? name : `${name}.md`)
    if (this.store.get().host?.nativeDialogs) return this.write(undefined)
    this.store.set({ dialog: { kind: 'saveAs', then } })
    return false
  }

  private async write(path: string | undefined): Promise<boolean> {
    await this.host.settle()
    const doc = this.host.doc()
    const { documentId } = this.store.get()
    try {
      const saved = await this.api.invoke('doc:save', {
        ...(path ? { path } : {}),
        markdown: serializeDocument(doc, path ?? null),
        sidecar: buildSidecar(doc, documentId),
      })
      if (!saved) return false
      this.savedDoc = doc
      this.store.set({ path: saved.path, title: baseName(saved.path), dialog: null })
      this.setDirty(!this.host.doc().eq(doc))
      this.api.invoke('recovery:discard', { documentId }).catch(() => {})
      this.store.toast('info', `Saved ${baseName(saved.path)}`)
      return true
    } catch (e) {
      this.store.toast('error', `Could not save: ${(e as Error).message}`)
      return false
    }
  }

  /** Writes the recovery copy when there are unsaved changes since the last one. */
  async writeRecovery(): Promise<void> {
    const { dirty, documentId, path } = this.store.get()
    const doc = this.host.doc()
    if (!dirty || (this.lastRecovered && doc.eq(this.lastRecovered))) return
    try {
      await this.api.invoke('recovery:write', { documentId, path, markdown: serializeDocument(doc, path), sidecar: buildSidecar(doc, documentId) })
      this.lastRecovered = doc
    } catch {
      /* the next tick tries again */
    }
  }

  /** Restores a recovery copy (it opens dirty: it was never saved). */
  recover(entry: RecoveryEntry): void {
    const sidecar = entry.sidecar ? { ...entry.sidecar } : null
    this.load({ path: entry.path ?? 'Recovered.md', markdown: entry.markdown, sidecar }, true)
    if (!entry.path) this.store.set({ path: null, title: 'Recovered' })
    this.store.set({ documentId: entry.documentId })
  }

  discardRecovery(entries: RecoveryEntry[]): void {
    for (const e of entries) this.api.invoke('recovery:discard', { documentId: e.documentId }).catch(() => {})
    this.store.set({ dialog: null })
  }
}
