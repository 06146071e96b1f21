/**
 * The document's life: new, open, save, save as, dirty tracking ('doc:setDirty'), the
 * recovery copy ('recovery:write' every 30 s while dirty; offered from 'recovery:list' at
 * start) and closing with unsaved changes.
 *
 * Saving never replaces a file silently: Save goes to the document's own file; Save As to a
 * name that exists answers 'exists' and the caller asks the writer before it sends
 * `ifExists: 'replace'`. A document too big for the host (MAX_DOCUMENT_BYTES) or for one
 * message (MAX_MESSAGE_BYTES) is refused here, before anything is sent: the editor keeps it.
 */
import type { Node as PMNode } from 'prosemirror-model'
import { Node as PMNodeClass } from 'prosemirror-model'
import { MAX_DOCUMENT_BYTES, MAX_MESSAGE_BYTES, type DocumentFile, type InfillApi, type MenuCommand, type RecoveryEntry, type SaveRequest } from '../../../main/contract'
import { buildSidecar, documentFromFile, serializeDocument } from '../editor/markdown'
import { schema } from '../editor/schema'
import { emptyDoc } from '../editor/setup'
import { recoverMarks } from './marks-recovery'
import { newDocumentId, type Store } from './store'

/** How a save ended: written, refused because the file exists (ask the writer), or not written (cancelled or failed; the writer was told). */
export type SaveResult = 'saved' | 'exists' | 'not-saved'

/** Room left in one message for the request's envelope (id, channel name, JSON keys). */
const MESSAGE_ENVELOPE_BYTES = 1024

const megabytes = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`
const utf8Bytes = (text: string): number => new TextEncoder().encode(text).byteLength

/** Why a request carrying this document cannot be sent, or null when it can. */
export function oversizeReason(markdown: string, payload: unknown): string | null {
  // Cheap bounds first: a UTF-16 unit is at most 3 UTF-8 bytes.
  if (markdown.length * 3 > MAX_DOCUMENT_BYTES) {
    const bytes = utf8Bytes(markdown)
    if (bytes > MAX_DOCUMENT_BYTES) {
      return `the document is ${megabytes(bytes)} and Infill saves documents up to ${megabytes(MAX_DOCUMENT_BYTES)}`
    }
  }
  const json = JSON.stringify(payload)
  if (json.length * 3 + MESSAGE_ENVELOPE_BYTES > MAX_MESSAGE_BYTES) {
    const bytes = utf8Bytes(json) + MESSAGE_ENVELOPE_BYTES
    if (bytes > MAX_MESSAGE_BYTES) {
      return `with its marks the document is ${megabytes(bytes)}, more than one message to the Infill host can carry (${megabytes(MAX_MESSAGE_BYTES)})`
    }
  }
  return null
}

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
  private recoveryTooBigToldFor: string | null = null

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

  private load(file: Pick<DocumentFile, 'markdown' | 'sidecar' | 'path' | 'sidecarNote' | 'setAside'>, dirty = false): void {
    const opened = documentFromFile(file)
    let { doc } = opened
    let sidecarNote = file.sidecarNote
    if (file.setAside) {
      // The marks file belonged to an earlier text: put its marks back where the text is unchanged.
      try {
        const old = PMNodeClass.fromJSON(schema, file.setAside.sidecar.doc)
        const recovered = recoverMarks(doc, old)
        doc = recovered.doc
        sidecarNote = recovered.mapped
          ? `${file.sidecarNote ?? ''} Its marks are back on ${recovered.restored} of ${recovered.markedBefore} marked characters, where the text is unchanged; changed text is locked as yours.`.trim()
          : `${file.sidecarNote ?? ''} The texts differ too much to place the old marks; the text opened without them.`.trim()
      } catch (e) {
        sidecarNote = `${file.sidecarNote ?? ''} Its marks could not be read (${(e as Error).message}); the text opened without them.`.trim()
      }
    }
    this.host.resetFills()
    this.host.replaceDoc(doc)
    this.savedDoc = dirty ? emptyDoc() : doc
    this.store.set({ path: file.path, title: baseName(file.path), documentId: file.setAside?.sidecar.documentId ?? opened.documentId ?? newDocumentId(), dialog: null })
    this.setDirty(dirty)
    if (sidecarNote) this.store.toast('info', sidecarNote, 12000)
    if (opened.note) this.store.toast('error', opened.note)
  }

  /** Saves to the current path (Save As when there is none). Resolves true when saved. */
  async save(then?: 'close' | 'new' | 'open'): Promise<boolean> {
    const path = this.store.get().path
    if (!path) return (await this.saveAs(undefined, then)) === 'saved'
    // The document's own file: replacing it is what Save means.
    return (await this.write(path, 'replace')) === 'saved'
  }

  /**
   * Save As: with `name`, saves there (a bare name lands in the workspace) unless a file of
   * that name exists, which answers 'exists' until the writer confirmed (`replace`); without
   * a name, the host's dialog asks (desktop; it confirms replacing itself) or the in-app
   * picker opens (browser mode).
   */
  async saveAs(name?: string, then?: 'close' | 'new' | 'open', replace = false): Promise<SaveResult> {
    if (name) return this.write(/\.(md|markdown|txt)$/i.test(name) ? name : `${name}.md`, replace ? 'replace' : 'fail')
    if (this.store.get().host?.nativeDialogs) return this.write(undefined, 'fail')
    this.store.set({ dialog: { kind: 'saveAs', then } })
    return 'not-saved'
  }

  private async write(path: string | undefined, ifExists: 'fail' | 'replace'): Promise<SaveResult> {
    await this.host.settle()
    const doc = this.host.doc()
    const { documentId } = this.store.get()
    try {
      const markdown = serializeDocument(doc, path ?? null)
      const request: SaveRequest = { ...(path ? { path } : {}), markdown, sidecar: buildSidecar(doc, documentId), ifExists }
      const tooBig = oversizeReason(markdown, request)
      if (tooBig) {
        this.store.toast('error', `Not saved: ${tooBig}. Nothing is lost: the text stays here in the editor. Move part of it into a new document, then save again.`)
        return 'not-saved'
      }
      const saved = await this.api.invoke('doc:save', request)
      if (!saved) return 'not-saved'
      if (saved.status === 'exists') return 'exists'
      this.savedDoc = doc
      this.store.set({ path: saved.path, title: baseName(saved.path), dialog: null })
      this.setDirty(!this.host.doc().eq(doc))
      this.api.invoke('recovery:discard', { documentId }).catch(() => {})
      this.store.toast('info', `Saved ${baseName(saved.path)}`)
      return 'saved'
    } catch (e) {
      this.store.toast('error', `Could not save: ${(e as Error).message}`)
      return 'not-saved'
    }
  }

  /** Writes the recovery copy when there are unsaved changes since the last one. */
  async writeRecovery(): Promise<void> {
    const { dirty, documentId, path } = this.store.get()
    const doc = this.host.doc()
    if (!dirty || (this.lastRecovered && doc.eq(this.lastRecovered))) return
    const entry = { documentId, path, markdown: serializeDocument(doc, path), sidecar: buildSidecar(doc, documentId) }
    const tooBig = oversizeReason(entry.markdown, entry)
    if (tooBig) {
      // Sending it would be refused by the host; say so once per document instead of every 30 s.
      if (this.recoveryTooBigToldFor !== documentId) this.store.toast('error', `No recovery copy: ${tooBig}.`)
      this.recoveryTooBigToldFor = documentId
      return
    }
    try {
      await this.api.invoke('recovery:write', entry)
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
