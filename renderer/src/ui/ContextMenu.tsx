/** Right-click menu in the editor: the mark commands and, on a span on offer, its decisions. */
import { useEffect } from 'react'
import type { Session } from '../app/session'
import { useStore } from '../app/store'
import { currentSpan } from '../editor/fill-state'
import { MOD } from './Toolbar'

export function ContextMenu({ session }: { session: Session }) {
  const s = session.store
  const at = useStore(s, (x) => x.contextMenu)
  const sel = useStore(s, (x) => x.selection)
  useEffect(() => {
    if (!at) return
    const close = (): void => s.set({ contextMenu: null })
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') close()
    }
    window.addEventListener('mousedown', close)
    window.addEventListener('keydown', onKey)
    window.addEventListener('blur', close)
    return () => {
      window.removeEventListener('mousedown', close)
      window.removeEventListener('keydown', onKey)
      window.removeEventListener('blur', close)
    }
  }, [at, s])
  if (!at) return null
  const view = session.editorView()
  const offer = view ? currentSpan(view.state) : null
  const item = (label: string, hint: string, run: () => void, testid: string, disabled = false) => (
    <button
      className="menu-item"
      role="menuitem"
      data-testid={testid}
      disabled={disabled}
      onMouseDown={(e) => e.stopPropagation()}
      onClick={() => {
        s.set({ contextMenu: null })
        run()
      }}
    >
      <span>{label}</span>
      <span className="menu-hint">{hint}</span>
    </button>
  )
  const style = { left: Math.min(at.x, window.innerWidth - 240), top: Math.min(at.y, window.innerHeight - 280) }
  return (
    <div className="context-menu" role="menu" style={style} data-testid="context-menu">
      {item(sel.empty ? 'Insert empty slot' : sel.masked ? 'Unmask' : 'Mask for regeneration', `${MOD}M`, () => session.mask(), 'ctx-mask')}
      {item(sel.locked && !sel.empty ? 'Unlock' : 'Lock', `${MOD}L`, () => session.lock(), 'ctx-lock', sel.empty)}
      {sel.spanSlots != null && item('Shorter span', `${sel.spanSlots - 1} slots`, () => session.spanLength(-1), 'ctx-shorter')}
      {sel.spanSlots != null && item('Longer span', `${sel.spanSlots + 1} slots`, () => session.spanLength(1), 'ctx-longer')}
      <div className="menu-sep" />
      {item('Regenerate', `${MOD}Enter`, () => session.regenerate(), 'ctx-regenerate')}
      {offer && (
        <>
          <div className="menu-sep" />
          {item('Accept fill', 'Tab', () => session.fills.accept(offer.key), 'ctx-accept')}
          {item('Accept and edit', '', () => session.fills.edit(offer.key), 'ctx-edit')}
          {item('Reject fill', 'Esc', () => session.fills.reject(offer.key), 'ctx-reject')}
          {item('Next candidate', 'Alt-]', () => session.fills.cycle(offer.key, 1), 'ctx-next')}
          {item('Regenerate this span', '', () => session.fills.regenerateSpan(offer.key), 'ctx-regenerate-span')}
        </>
      )}
      <div className="menu-sep" />
      {item('Undo', `${MOD}Z`, () => session.undo(), 'ctx-undo')}
      {item('Redo', `${MOD}Shift+Z`, () => session.redo(), 'ctx-redo')}
    </div>
  )
}
