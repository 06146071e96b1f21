/**
 * The renderer's side of the manuscript (issue 21): sends the open document's text to the
 * host a moment after the writer pauses, and again before every fill so that the engine's copy
 * is the request's own text; names that document in every fill and Other words request
 * (`experts.documentId`), so the engine leaves the text under the request's masks out of what
 * it draws on for that request (the text a mask hides never suggests itself); keeps the host's
 * ManuscriptState for the status bar and the settings; adds "Your words ↔ General" to every
 * request; asks before "Forget my text".
 */
import type { Node as PMNode } from 'prosemirror-model'
import type { EditorView } from 'prosemirror-view'
import type { ExpertSettings, InfillApi, ManuscriptScope, ManuscriptState, RequestChannel, RequestPayload, RequestResult } from '../../../main/contract'
import { openTextId } from '../../../main/manuscript/manuscript-sources'
import { plainText } from '../editor/plain-text'
import type { Store } from './store'

/** How long after the last change the text goes to the host (the index is current within 1 s of a pause). */
export const MANUSCRIPT_PAUSE_MS = 400

/**
 * The document's text as the manuscript holds it: the same plain text a fill request carries
 * (masked spans included), so the engine can find the request's masked ranges in it and leave
 * them out for that request.
 */
export function manuscriptText(doc: PMNode): string {
  return plainText(doc).text
}

export interface ManuscriptView {
  state: ManuscriptState | null
  /** The "Forget my text" confirmation is open. */
  confirmForget: boolean
}

export class ManuscriptSync {
  private view: ManuscriptView = { state: null, confirmForget: false }
  private readonly listeners = new Set<() => void>()
  private timer: ReturnType<typeof setTimeout> | null = null
  /** What was sent last: the document node, its id and path. */
  private sent: { doc: PMNode; documentId: string; path: string | null } | null = null

  constructor(
    private readonly api: InfillApi,
    private readonly store: Store,
    private readonly editor: () => EditorView | null,
  ) {}

  /** Subscribes to the host's manuscript state; returns the unsubscribe. */
  listen(): () => void {
    const off = this.api.on('manuscript:state', (s) => this.set({ state: s }))
    this.api
      .invoke('manuscript:state', undefined)
      .then((s) => s && this.set({ state: s }))
      .catch(() => {})
    return () => {
      off()
      if (this.timer) clearTimeout(this.timer)
      this.timer = null
    }
  }

  get(): ManuscriptView {
    return this.view
  }

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  private set(patch: Partial<ManuscriptView>): void {
    this.view = { ...this.view, ...patch }
    for (const l of this.listeners) l()
  }

  /** After each transaction: the text goes to the host once the writer pauses. */
  afterTransaction(): void {
    if (!this.changed()) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      this.flush()
    }, MANUSCRIPT_PAUSE_MS)
  }

  private changed(): boolean {
    const v = this.editor()
    if (!v) return false
    const { documentId, path } = this.store.get()
    const s = this.sent
    return !s || s.doc !== v.state.doc || s.documentId !== documentId || s.path !== path
  }

  /**
   * Sends the open text now if it changed since it was last sent. Not awaited: a request sent
   * after it (a fill) reaches the host after it, and the host applies it before that fill.
   */
  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const v = this.editor()
    // Off (or forgotten): the writer's text is not passed on at all until they turn it on again.
    if (!v || !this.changed() || this.view.state?.scope === 'off') return
    const { documentId, path } = this.store.get()
    this.sent = { doc: v.state.doc, documentId, path }
    this.api
      .invoke('manuscript:update', { documentId, path, text: manuscriptText(v.state.doc) })
      .then((s) => s && this.set({ state: s }))
      .catch((e: Error) => this.store.toast('error', `Your text could not be passed on to the fills: ${e.message}`, undefined, 'manuscript'))
  }

  /**
   * The experts of a request from the open document: where "Your words ↔ General" stands and,
   * while the writer's text counts, the document's id in the manuscript (the engine leaves the
   * request's masked ranges of it out). Absent while the host has not said.
   */
  experts(): ExpertSettings | undefined {
    const s = this.view.state
    if (!s) return undefined
    if (s.scope === 'off') return { yourWords: s.yourWords }
    const { documentId, path } = this.store.get()
    return { yourWords: s.yourWords, documentId: openTextId({ documentId, path }) }
  }

  /** The host API as the fill controller uses it: every fill first brings the manuscript up to date and carries the writer's experts setting. */
  wrap(api: InfillApi): InfillApi {
    return {
      on: (channel, listener) => api.on(channel, listener),
      invoke: <C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<RequestResult<C>> => {
        if (channel !== 'engine:fill') return api.invoke(channel, payload)
        this.flush()
        const experts = this.experts()
        const request = payload as RequestPayload<'engine:fill'>
        return api.invoke(channel, (experts && !request.experts ? { ...request, experts } : request) as RequestPayload<C>)
      },
    }
  }

  async setScope(scope: ManuscriptScope): Promise<void> {
    await this.settings({ scope })
    // The open text counts again at once (it was not kept while the scope was off).
    this.sent = null
    this.flush()
  }

  setYourWords(yourWords: number): Promise<void> {
    if (this.view.state) this.set({ state: { ...this.view.state, yourWords } })
    return this.settings({ yourWords })
  }

  private async settings(patch: { scope?: ManuscriptScope; yourWords?: number }): Promise<void> {
    try {
      this.set({ state: await this.api.invoke('manuscript:settings', patch) })
    } catch (e) {
      this.store.toast('error', `The setting could not be kept: ${(e as Error).message}`)
    }
  }

  askForget(open: boolean): void {
    this.set({ confirmForget: open })
  }

  /** Forget my text (after the writer confirmed): the host deletes the index and clears the engine's copy. */
  async forget(): Promise<void> {
    this.set({ confirmForget: false })
    try {
      this.set({ state: await this.api.invoke('manuscript:forget', { confirm: true }) })
      this.store.toast('info', 'Your text is forgotten: the fills no longer draw on it. Settings › Your text turns it on again.')
    } catch (e) {
      this.store.toast('error', `Your text could not be forgotten: ${(e as Error).message}`)
    }
  }
}
