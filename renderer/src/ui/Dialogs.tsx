/**
 * In-app dialogs: the workspace file picker (browser mode has no native dialogs: open from
 * the 'doc:list' entries, or Save As with a file name; a name that exists asks replace /
 * cancel before anything is written), unsaved changes, recovery, and the confirmation
 * before clearing the preference log.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react'
import type { WorkspaceEntry } from '../../../main/contract'
import type { Session } from '../app/session'
import { useStore } from '../app/store'

function Modal({ title, children, onClose, testid }: { title: string; children: ReactNode; onClose: () => void; testid: string }) {
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.stopPropagation()
        onClose()
      }
    }
    window.addEventListener('keydown', onKey, true)
    ref.current?.querySelector<HTMLElement>('[autofocus], input, button.primary')?.focus()
    return () => window.removeEventListener('keydown', onKey, true)
  }, [onClose])
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title} data-testid={testid} ref={ref}>
        <h2>{title}</h2>
        {children}
      </div>
    </div>
  )
}

function when(iso: string): string {
  const d = new Date(iso)
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}

function FilePicker({ session, mode, then }: { session: Session; mode: 'open' | 'saveAs'; then?: 'close' | 'new' | 'open' }) {
  const s = session.store
  const host = useStore(s, (x) => x.host)
  const title = useStore(s, (x) => x.title)
  const [entries, setEntries] = useState<WorkspaceEntry[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [name, setName] = useState(mode === 'saveAs' ? (title === 'Untitled' ? 'untitled.md' : title) : '')
  /** The file name Save As found taken: the writer chooses replace or cancel. */
  const [taken, setTaken] = useState<string | null>(null)
  useEffect(() => {
    session.api
      .invoke('doc:list', undefined)
      .then(setEntries)
      .catch((e: Error) => setError(e.message))
  }, [session])
  const close = () => s.set({ dialog: null })
  const submit = async (replace = false): Promise<void> => {
    if (mode === 'open') return
    const n = name.trim()
    if (!n) return setError('Type a file name, for example chapter-one.md.')
    if (/[\\/]/.test(n)) return setError('Type a plain file name; it is saved in the workspace folder.')
    const result = await session.docs.saveAs(n, undefined, replace)
    if (result === 'exists') return setTaken(/\.(md|markdown|txt)$/i.test(n) ? n : `${n}.md`)
    setTaken(null)
    if (result === 'saved' && then) await session.docs.proceed(then)
  }
  return (
    <Modal title={mode === 'open' ? 'Open a document' : 'Save as'} onClose={close} testid={`dialog-${mode}`}>
      {host?.workspaceDir && <p className="muted small">Workspace: {host.workspaceDir}</p>}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <ul className="file-list" data-testid="file-list">
        {entries === null && !error && <li className="muted">Loading…</li>}
        {entries?.length === 0 && <li className="muted">No documents in the workspace yet.</li>}
        {entries?.map((e) => (
          <li key={e.path}>
            <button
              className="file-entry"
              data-testid="file-entry"
              data-name={e.name}
              onClick={() => (mode === 'open' ? void session.docs.open(e.path) : setName(e.name))}
            >
              <span className="file-name">{e.name}</span>
              <span className="file-meta">
                {when(e.modifiedAt)} · {e.bytes < 1024 ? `${e.bytes} B` : `${(e.bytes / 1024).toFixed(1)} KB`}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {mode === 'saveAs' && (
        <form
          className="save-form"
          onSubmit={(e) => {
            e.preventDefault()
            void submit()
          }}
        >
          <label>
            File name
            <input
              data-testid="save-name"
              value={name}
              onChange={(e) => {
                setName(e.target.value)
                setTaken(null)
              }}
              autoFocus
              spellCheck={false}
            />
          </label>
        </form>
      )}
      {taken ? (
        <div className="replace-confirm" role="alertdialog" aria-label="Replace existing file" data-testid="replace-confirm">
          <p role="alert">
            “{taken}” already exists in the workspace. Replace it? Its current text and marks are lost; nothing has been written yet.
          </p>
          <div className="modal-actions">
            <button className="tool" data-testid="replace-cancel" onClick={() => setTaken(null)} autoFocus>
              Cancel
            </button>
            <button className="tool danger" data-testid="replace-accept" onClick={() => void submit(true)}>
              Replace
            </button>
          </div>
        </div>
      ) : (
        <div className="modal-actions">
          <button className="tool" onClick={close}>
            Cancel
          </button>
          {mode === 'saveAs' && (
            <button className="tool primary" data-testid="save-confirm" onClick={() => void submit()}>
              Save
            </button>
          )}
        </div>
      )}
    </Modal>
  )
}

export function Dialogs({ session }: { session: Session }) {
  const s = session.store
  const dialog = useStore(s, (x) => x.dialog)
  const title = useStore(s, (x) => x.title)
  if (!dialog) return null
  const close = () => s.set({ dialog: null })
  switch (dialog.kind) {
    case 'open':
      return <FilePicker session={session} mode="open" />
    case 'saveAs':
      return <FilePicker session={session} mode="saveAs" then={dialog.then} />
    case 'unsaved':
      return (
        <Modal title="Save your changes?" onClose={() => void session.docs.resolveUnsaved('cancel', dialog.reason)} testid="dialog-unsaved">
          <p>“{title}” has changes that are not saved. If you don’t save, they are lost.</p>
          <div className="modal-actions">
            <button className="tool" data-testid="unsaved-discard" onClick={() => void session.docs.resolveUnsaved('discard', dialog.reason)}>
              Don’t save
            </button>
            <span className="tool-spacer" />
            <button className="tool" data-testid="unsaved-cancel" onClick={() => void session.docs.resolveUnsaved('cancel', dialog.reason)}>
              Cancel
            </button>
            <button className="tool primary" data-testid="unsaved-save" onClick={() => void session.docs.resolveUnsaved('save', dialog.reason)}>
              Save
            </button>
          </div>
        </Modal>
      )
    case 'recovery':
      return (
        <Modal title="Recover unsaved work?" onClose={close} testid="dialog-recovery">
          <p>Infill kept a copy of work that was not saved when it last closed.</p>
          <ul className="file-list">
            {dialog.entries.map((e) => (
              <li key={e.documentId}>
                <button
                  className="file-entry"
                  data-testid="recovery-entry"
                  onClick={() => {
                    session.docs.recover(e)
                    s.set({ dialog: null })
                  }}
                >
                  <span className="file-name">{e.path ? e.path.split(/[\\/]/).pop() : 'Untitled'}</span>
                  <span className="file-meta">
                    {when(e.savedAt)} · {e.markdown.slice(0, 60).replace(/\s+/g, ' ')}…
                  </span>
                </button>
              </li>
            ))}
          </ul>
          <div className="modal-actions">
            <button className="tool" data-testid="recovery-discard" onClick={() => session.docs.discardRecovery(dialog.entries)}>
              Discard copies
            </button>
            <span className="tool-spacer" />
            <button className="tool primary" data-testid="recovery-later" onClick={close}>
              Not now
            </button>
          </div>
        </Modal>
      )
    case 'confirmClearPrefs':
      return null // shown inside the preferences panel
  }
}
