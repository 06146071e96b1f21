/**
 * Right-click menu in the editor: Cut / Copy / Paste, the mark commands (Unmask on a span),
 * Rewrite / Shorter / Longer on a selection with no masks (masks it and fills it) or on the
 * span at the caret (its length target, then a fill), and on a span on offer its decisions.
 */
import { useEffect } from 'react'
import type { Session } from '../app/session'
import { useStore } from '../app/store'
import { currentSpan } from '../editor/fill-state'
import { selectionUnmasked } from '../editor/span-length'
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
  const unmasked = view ? selectionUnmasked(view.state) : false
  const inSpan = sel.spanWords != null
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
  const style = { left: Math.min(at.x, window.innerWidth - 240), top: Math.max(0, Math.min(at.y, window.innerHeight - 440)) }
  return (
    <div className="context-menu" role="menu" style={style} data-testid="context-menu">
      {item('Cut', `${MOD}X`, () => session.clipboard('cut'), 'ctx-cut', sel.empty)}
      {item('Copy', `${MOD}C`, () => session.clipboard('copy'), 'ctx-copy', sel.empty)}
      {item('Paste', `${MOD}V`, () => void session.paste(), 'ctx-paste')}
      <div className="menu-sep" />
      {inSpan
        ? item('Unmask', '', () => session.unmask(), 'ctx-unmask')
        : item(sel.empty ? 'Insert empty gap' : 'Mask for regeneration', `${MOD}M`, () => session.mask(), 'ctx-mask')}
      {item(sel.locked && !sel.empty ? 'Unlock' : 'Lock', `${MOD}L`, () => session.lock(), 'ctx-lock', sel.empty)}
      <div className="menu-sep" />
      {unmasked && item('Rewrite', `${MOD}Enter`, () => session.rewrite(null), 'ctx-rewrite')}
      {(unmasked || inSpan) && item('Shorter', unmasked ? 'rewrite it shorter' : 'fill it shorter', () => session.rewrite('shorter'), 'ctx-shorter')}
      {(unmasked || inSpan) && item('Longer', unmasked ? 'rewrite it longer' : 'fill it longer', () => session.rewrite('longer'), 'ctx-longer')}
      {!unmasked && item('Regenerate', `${MOD}Enter`, () => session.regenerate(), 'ctx-regenerate')}
      {!offer && !inSpan && item('Other words', 'Shift+F7', () => session.otherWords.offer(), 'ctx-other-words', !session.otherWords.available())}
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
