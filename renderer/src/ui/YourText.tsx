/**
 * The writer's own text in the UI (issue 21): the "Your text" part of the settings (what the
 * fills draw on, "Your words ↔ General", Forget my text), the status bar's count of the words
 * the fills draw on, the confirmation before forgetting, and the Other words key (Shift+F7).
 */
import { useEffect, useRef, useSyncExternalStore } from 'react'
import type { ManuscriptScope } from '../../../main/contract'
import type { ManuscriptView } from '../app/manuscript-sync'
import type { Session } from '../app/session'

function useManuscript<T>(session: Session, select: (m: ManuscriptView) => T): T {
  const m = session.manuscript
  return useSyncExternalStore(m.subscribe, () => select(m.get()))
}

const SCOPE_LABEL: Record<ManuscriptScope, string> = {
  off: 'Nothing of mine (the model alone)',
  document: 'This document',
  workspace: 'Every document in the workspace',
}

const words = (n: number): string => `${n.toLocaleString('en-US')} word${n === 1 ? '' : 's'}`

/** What the status bar says: how many words of the writer's text the fills draw on. */
export function drawsOnNote(state: ManuscriptView['state']): string | null {
  if (!state) return null
  if (state.scope === 'off') return 'Fills draw on none of your text'
  if (state.indexing && state.words === 0) return 'Reading your documents…'
  return `Fills draw on ${words(state.words)} of your text`
}

export function YourTextStatus({ session }: { session: Session }) {
  const state = useManuscript(session, (m) => m.state)
  const note = drawsOnNote(state)
  if (!state || !note) return null
  const title =
    state.scope === 'off'
      ? 'Settings › Your text turns it on: the fills then draw on the words of this document (or of every document in the workspace).'
      : `${words(state.words)} (${state.distinct.toLocaleString('en-US')} different) in ${state.documents} document${state.documents === 1 ? '' : 's'}: ${SCOPE_LABEL[state.scope].toLowerCase()}. Kept only in this computer's Infill folder. Settings › Your text changes it or forgets it.`
  return (
    <>
      <span className="status-sep">·</span>
      <button className="tool mini your-text-status" data-testid="your-text-status" data-words={state.words} data-scope={state.scope} title={title} onClick={() => session.store.set({ settingsOpen: true })}>
        {note}
      </button>
    </>
  )
}

/** The "Your text" part of the settings popover. */
export function YourTextSettings({ session }: { session: Session }) {
  const state = useManuscript(session, (m) => m.state)
  if (!state) return null
  const workspace = state.workspaceDir ? `Every document in ${state.workspaceDir}` : 'Every document in the folder of the one you open or save'
  return (
    <fieldset className="your-text" data-testid="your-text">
      <legend>Your text</legend>
      <label title="Fills lean on the words you have written: names, places, your turns of phrase. Text under a mask never counts for its own fill.">
        Fills draw on
        <select data-testid="set-your-text" value={state.scope} onChange={(e) => void session.manuscript.setScope(e.target.value as ManuscriptScope)}>
          <option value="off">{SCOPE_LABEL.off}</option>
          <option value="document">{SCOPE_LABEL.document}</option>
          <option value="workspace" title={workspace}>
            {SCOPE_LABEL.workspace}
          </option>
        </select>
      </label>
      <label className="wild" title="Your words: candidates lean on the words of your own text. General: on the model and the text it was trained on.">
        <span className="wild-row">
          <span>Your words</span>
          <input
            data-testid="set-your-words"
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={1 - state.yourWords}
            aria-label="Your words to general"
            aria-valuetext={`your words ${Math.round(state.yourWords * 100)}%`}
            disabled={state.scope === 'off'}
            onChange={(e) => void session.manuscript.setYourWords(Math.round((1 - Number(e.target.value)) * 100) / 100)}
          />
          <span>General</span>
        </span>
      </label>
      <p className="settings-note" data-testid="your-text-note">
        {drawsOnNote(state)}
        {state.scope !== 'off' ? ` (${state.documents} document${state.documents === 1 ? '' : 's'}), kept only in this computer's Infill folder.` : '.'}
      </p>
      <button className="tool" data-testid="btn-forget-text" onClick={() => session.manuscript.askForget(true)}>
        Forget my text…
      </button>
    </fieldset>
  )
}

/** The confirmation before "Forget my text". */
export function ForgetTextDialog({ session }: { session: Session }) {
  const open = useManuscript(session, (m) => m.confirmForget)
  const state = useManuscript(session, (m) => m.state)
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!open) return
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.stopPropagation()
        session.manuscript.askForget(false)
      }
    }
    window.addEventListener('keydown', onKey, true)
    ref.current?.querySelector<HTMLElement>('button.cancel')?.focus()
    return () => window.removeEventListener('keydown', onKey, true)
  }, [open, session])
  if (!open) return null
  const close = () => session.manuscript.askForget(false)
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div className="modal" role="alertdialog" aria-modal="true" aria-label="Forget my text" data-testid="dialog-forget-text" ref={ref}>
        <h2>Forget my text?</h2>
        <p>
          The fills stop drawing on your words{state && state.words > 0 ? ` (${words(state.words)} now)` : ''}: Infill deletes its copy of your text from this computer's Infill
          folder and from the model's memory, and stops collecting it. Your documents themselves are not touched. Settings › Your text turns it on again.
        </p>
        <div className="modal-actions">
          <button className="tool cancel" data-testid="forget-cancel" onClick={close}>
            Cancel
          </button>
          <button className="tool primary danger" data-testid="forget-confirm" onClick={() => void session.manuscript.forget()}>
            Forget my text
          </button>
        </div>
      </div>
    </div>
  )
}

/** Shift+F7 (the thesaurus key of word processors): Other words for the word at the caret. */
export function OtherWordsKey({ session }: { session: Session }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'F7' || !e.shiftKey || e.ctrlKey || e.metaKey || e.altKey) return
      const view = session.editorView()
      if (!view?.hasFocus()) return
      e.preventDefault()
      session.otherWords.offer()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [session])
  return null
}
