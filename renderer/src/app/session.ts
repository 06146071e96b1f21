/**
 * One writing session: the editor view, the app store, and the controllers for fills and
 * the document, wired together. React components call its methods; nothing here renders.
 */
import { redo, undo } from 'prosemirror-history'
import type { Node as PMNode } from 'prosemirror-model'
import { NodeSelection, TextSelection, type Command } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import type { InfillApi, LengthTarget } from '../../../main/contract'
import { selectionHasMark, setSpanSlots, spanAtSelection, spanSlots, toggleLock, toggleMask, insertSlot } from '../editor/commands'
import { createEditorState, emptyDoc, type EditorActions } from '../editor/setup'
import { countWords, lengthKey, maskForRewrite, selectionUnmasked, setSpanLength } from '../editor/span-length'
import { DocumentController } from './document-controller'
import { FillController } from './fill-controller'
import { ManuscriptSync } from './manuscript-sync'
import { OtherWords } from './other-words'
import { Store } from './store'

/** The platform's modifier as the UI writes it: ⌘ or Ctrl+. */
const modKey = (): string => (typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl+')

export class Session {
  readonly store = new Store()
  readonly fills: FillController
  readonly docs: DocumentController
  /** The writer's own text the fills draw on (issue 21), and Other words on a single word. */
  readonly manuscript: ManuscriptSync
  readonly otherWords: OtherWords
  private view: EditorView | null = null
  private pendingDoc: PMNode = emptyDoc()
  private readonly actions: EditorActions

  constructor(readonly api: InfillApi) {
    this.manuscript = new ManuscriptSync(api, this.store, () => this.view)
    // Every fill first brings the writer's text up to date and carries "Your words ↔ General".
    this.fills = new FillController(this.manuscript.wrap(api), this.store, () => this.view)
    this.otherWords = new OtherWords(api, this.store, () => this.view, this.manuscript)
    this.docs = new DocumentController(api, this.store, {
      doc: () => this.view?.state.doc ?? this.pendingDoc,
      replaceDoc: (doc) => this.replaceDoc(doc),
      settle: () => this.fills.settleAll(),
      resetFills: () => this.fills.reset(),
    })
    const f = this.fills
    this.actions = {
      regenerate: () => {
        this.regenerate()
        return true
      },
      acceptCurrent: () => f.acceptCurrent(),
      beforeWriterInput: () => f.beforeWriterInput(),
      rejectCurrent: () => f.rejectCurrent(),
      cycleCurrent: (d) => f.cycleCurrent(d),
      slotLength: () => this.store.get().slotLength,
      accept: (k) => f.accept(k),
      edit: (k) => f.edit(k),
      reject: (k) => f.reject(k),
      cycle: (k, d) => f.cycle(k, d),
      pick: (k, r, i) => f.pick(k, r, i),
      regenerateSpan: (k) => f.regenerateSpan(k),
      dismiss: (k) => f.dismiss(k),
      placeCaret: (k) => f.placeCaret(k),
      onLockViolation: () => this.store.toast('error', 'The model tried to change locked text; that change was refused.'),
    }
  }

  /** Creates the editor view inside `place`. */
  mount(place: HTMLElement): EditorView {
    const view = new EditorView(place, {
      state: createEditorState(this.pendingDoc, this.actions),
      attributes: { class: 'prose', spellcheck: 'true', 'data-testid': 'editor', 'aria-label': 'Document' },
      dispatchTransaction: (tr) => {
        const v = this.view!
        v.updateState(v.state.apply(tr))
        this.afterTransaction()
      },
      handleDOMEvents: {
        contextmenu: (_v, e) => {
          e.preventDefault()
          this.store.set({ contextMenu: { x: e.clientX, y: e.clientY } })
          return true
        },
      },
    })
    this.view = view
    window.addEventListener('keydown', this.onWindowKey)
    this.afterTransaction()
    return view
  }

  /**
   * A click in the grey margin around the page: the caret goes to the nearest place in the
   * text (beside a line: its start or end; above or below the text: its first or last line),
   * and the editor takes the focus, so the keys that follow (Ctrl+Enter) act there.
   */
  focusNear(x: number, y: number): void {
    const v = this.view
    if (!v) return
    const r = v.dom.getBoundingClientRect()
    const inside = (n: number, lo: number, hi: number) => Math.min(Math.max(n, lo + 4), Math.max(lo + 4, hi - 4))
    const hit = v.posAtCoords({ left: inside(x, r.left, r.right), top: inside(y, r.top, r.bottom) })
    const pos = hit ? hit.pos : y < r.top ? 0 : v.state.doc.content.size
    v.dispatch(v.state.tr.setSelection(TextSelection.near(v.state.doc.resolve(Math.min(pos, v.state.doc.content.size)))))
    v.focus()
  }

  /**
   * Ctrl+Enter with the focus outside the editor and outside any field (after a click on the
   * status bar, a toast, the window's background): it acts on the editor's own selection, as
   * if the editor had the focus, rather than doing nothing.
   */
  private readonly onWindowKey = (e: KeyboardEvent): void => {
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey) || e.defaultPrevented) return
    // On the desktop the application menu owns Ctrl+Enter (its 'regenerate' command reaches regenerate() wherever the focus is).
    if (this.store.get().host?.nativeDialogs) return
    const v = this.view
    if (!v || v.hasFocus()) return
    const t = e.target instanceof Element ? e.target : null
    if (t?.closest('input, textarea, select, button, [contenteditable="true"], [role="dialog"], .side-panel')) return
    e.preventDefault()
    v.focus()
    this.regenerate()
  }

  unmount(): void {
    window.removeEventListener('keydown', this.onWindowKey)
    if (this.view) this.pendingDoc = this.view.state.doc
    this.view?.destroy()
    this.view = null
  }

  editorView(): EditorView | null {
    return this.view
  }

  private replaceDoc(doc: PMNode): void {
    this.pendingDoc = doc
    if (this.view) {
      this.view.updateState(createEditorState(doc, this.actions))
      this.afterTransaction()
    }
  }

  private afterTransaction(): void {
    const v = this.view
    if (!v) return
    this.fills.afterTransaction()
    this.docs.afterTransaction()
    this.manuscript.afterTransaction()
    const span = spanAtSelection(v.state)
    const sel = this.store.get().selection
    const next = {
      masked: !!span || selectionHasMark(v.state, 'masked'),
      locked: selectionHasMark(v.state, 'locked'),
      spanSlots: span ? spanSlots(span) : null,
      spanExplicit: !!span && span.slots != null,
      empty: v.state.selection.empty,
      spanWords: span ? countWords(span.original) : null,
      spanLength: span?.length ?? null,
    }
    if (
      sel.masked !== next.masked ||
      sel.locked !== next.locked ||
      sel.spanSlots !== next.spanSlots ||
      sel.spanExplicit !== next.spanExplicit ||
      sel.empty !== next.empty ||
      (sel.spanWords ?? null) !== next.spanWords ||
      lengthKey(sel.spanLength) !== lengthKey(next.spanLength)
    )
      this.store.set({ selection: next })
  }

  /** Runs an editor command and gives the editor its focus back. */
  run(cmd: Command): boolean {
    const v = this.view
    if (!v) return false
    const ok = cmd(v.state, v.dispatch, v)
    v.focus()
    return ok
  }

  mask(): boolean {
    return this.run(toggleMask(this.store.get().slotLength))
  }
  lock(): boolean {
    return this.run(toggleLock)
  }
  insertSlot(): boolean {
    return this.run(insertSlot(this.store.get().slotLength))
  }
  spanLength(delta: number): boolean {
    return this.run(setSpanSlots((n) => n + delta))
  }
  undo(): boolean {
    return this.run(undo)
  }
  redo(): boolean {
    return this.run(redo)
  }
  /** Unmasks the span at the caret (an empty gap goes away); its text is the writer's again. */
  unmask(): boolean {
    const v = this.view
    const span = v && spanAtSelection(v.state)
    if (!v || !span) return false
    const sel = span.kind === 'slot' ? NodeSelection.create(v.state.doc, span.from) : TextSelection.create(v.state.doc, span.from, span.to)
    v.dispatch(v.state.tr.setSelection(sel))
    return this.mask()
  }
  /** Cut / Copy from the context menu: the editor's own clipboard handling, as with the keys. */
  clipboard(kind: 'cut' | 'copy'): void {
    this.view?.focus()
    document.execCommand(kind)
  }
  /** Paste from the context menu: the system clipboard's text, pasted as the keys would. */
  async paste(): Promise<void> {
    const v = this.view
    if (!v) return
    let text: string
    try {
      text = await navigator.clipboard.readText()
    } catch (e) {
      this.store.toast('error', `The clipboard could not be read (${(e as Error).message}). Paste with ${modKey()}V instead.`)
      return
    }
    v.focus()
    if (text) v.pasteText(text)
  }
  /** Sets the length target in words of the span at the caret (null clears it). */
  setLength(target: LengthTarget | null, focusEditor = true): boolean {
    const v = this.view
    if (!v) return false
    if (focusEditor) return this.run(setSpanLength(target))
    return setSpanLength(target)(v.state, v.dispatch, v)
  }
  /**
   * Mod-Enter / Regenerate: fills the masked spans (those in the selection, if any); a
   * selection with no masks in it is masked and filled at once (Rewrite).
   */
  regenerate(): void {
    const v = this.view
    if (v && selectionUnmasked(v.state)) this.rewrite(null)
    else this.fills.regenerate()
    this.view?.focus()
  }
  /**
   * Rewrite / Shorter / Longer on a selection: masks it with `target` and fills it. On the
   * span at the caret, sets its target and fills that span again.
   */
  rewrite(target: LengthTarget | null): boolean {
    const v = this.view
    if (!v) return false
    if (selectionUnmasked(v.state)) {
      if (!this.run(maskForRewrite(target))) {
        this.store.toast('info', `Rewrite works on text inside one paragraph: select less, or mask each part (${modKey()}M).`)
        return false
      }
      this.fills.regenerate(true, undefined, 'rewrite')
      return true
    }
    const span = spanAtSelection(v.state)
    if (target != null && !this.run(setSpanLength(target))) return false
    this.fills.regenerate(true, span ? (s) => s.from === span.from && s.to === span.to : undefined)
    v.focus()
    return true
  }
}
