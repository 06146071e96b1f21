/** The window: toolbar, the page, side panel, status bar, dialogs and toasts. */
import { useEffect, useRef } from 'react'
import type { Session } from '../app/session'
import { useStore } from '../app/store'
import { ContextMenu } from './ContextMenu'
import { Dialogs } from './Dialogs'
import { ModelsPanel } from './ModelsPanel'
import { PreferencesPanel } from './PreferencesPanel'
import { StatusBar } from './StatusBar'
import { Toasts } from './Toasts'
import { Toolbar } from './Toolbar'
import { ForgetTextDialog, OtherWordsKey } from './YourText'

function EditorPane({ session }: { session: Session }) {
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const view = session.mount(ref.current!)
    view.focus()
    return () => session.unmount()
  }, [session])
  // New / Open: the caret goes to the text, ready to write (once no dialog is open).
  const documentId = useStore(session.store, (x) => x.documentId)
  const dialogOpen = useStore(session.store, (x) => x.dialog !== null)
  useEffect(() => {
    if (!dialogOpen) session.editorView()?.focus()
  }, [session, documentId, dialogOpen])
  return <div className="page" ref={ref} />
}

export function App({ session }: { session: Session }) {
  const prefsOpen = useStore(session.store, (x) => x.prefsOpen)
  const title = useStore(session.store, (x) => x.title)
  const dirty = useStore(session.store, (x) => x.dirty)
  useEffect(() => {
    document.title = `${dirty ? '• ' : ''}${title} — Infill`
  }, [title, dirty])
  useEffect(() => {
    let stopDocs: (() => void) | null = null
    let cancelled = false
    const stopFills = session.fills.listen()
    const stopManuscript = session.manuscript.listen()
    void session.docs.start().then((off) => (cancelled ? off() : (stopDocs = off)))
    const offMenu = session.api.on('menu:command', (c) => c === 'regenerate' && session.regenerate())
    const onKey = (e: KeyboardEvent): void => {
      const mod = e.ctrlKey || e.metaKey
      // In Electron the application menu owns these accelerators.
      if (!mod || session.store.get().host?.nativeDialogs) return
      const k = e.key.toLowerCase()
      if (k === 's') {
        e.preventDefault()
        void (e.shiftKey ? session.docs.saveAs() : session.docs.save())
      } else if (k === 'o') {
        e.preventDefault()
        void session.docs.guard('open')
      }
    }
    window.addEventListener('keydown', onKey)
    return () => {
      cancelled = true
      stopFills()
      stopManuscript()
      stopDocs?.()
      offMenu()
      window.removeEventListener('keydown', onKey)
    }
  }, [session])
  return (
    <div className="app">
      <Toolbar session={session} />
      <div className="workspace">
        {/* A click in the grey margin puts the caret at the nearest place in the text (and keeps the focus there). */}
        <main
          className="desk"
          data-testid="desk"
          onMouseDown={(e) => {
            if (e.target !== e.currentTarget) return
            e.preventDefault()
            session.focusNear(e.clientX, e.clientY)
          }}
        >
          <EditorPane session={session} />
        </main>
        {prefsOpen && <PreferencesPanel session={session} />}
        <ModelsPanel session={session} />
      </div>
      {/* In the layout, not over it: a toast never covers a candidate bar (the desk gives way). */}
      <Toasts session={session} />
      <StatusBar session={session} />
      <ContextMenu session={session} />
      <Dialogs session={session} />
      <ForgetTextDialog session={session} />
      <OtherWordsKey session={session} />
    </div>
  )
}
