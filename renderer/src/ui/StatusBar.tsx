/** The status bar: engine state, model, execution provider, queue; document and save state. */
import { useCallback, useMemo, useRef, useState } from 'react'
import { useDismiss } from './use-dismiss'
import type { Session } from '../app/session'
import { MOD } from './Toolbar'
import { useStore } from '../app/store'
import { FillEstimate } from './FillEstimate'
import { ModelsToggle } from './ModelsPanel'
import { YourTextStatus } from './YourText'

const STATUS_LABEL = {
  starting: 'Starting engine…',
  loading: 'Loading model…',
  ready: 'Ready',
  filling: 'Filling',
  error: 'Engine error',
  crashed: 'Engine crashed',
} as const

export function StatusBar({ session }: { session: Session }) {
  const s = session.store
  const engine = useStore(s, (x) => x.engine)
  const title = useStore(s, (x) => x.title)
  const path = useStore(s, (x) => x.path)
  const dirty = useStore(s, (x) => x.dirty)
  const offers = useStore(s, (x) => x.offers)
  const filling = useStore(s, (x) => x.fill !== null)
  const m = engine.model
  const [help, setHelp] = useState(false)
  const closeHelp = useCallback(() => setHelp(false), [])
  // This window's fill is running even when the host has not reported 'filling' yet.
  const status = filling && engine.status === 'ready' ? 'filling' : engine.status
  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className={`engine-dot status-${status}`} aria-hidden />
      <span className="engine-status" data-testid="engine-status" data-status={status} title={engine.message ?? ''}>
        {STATUS_LABEL[status]}
        {engine.message && (engine.status === 'error' || engine.status === 'crashed') ? `: ${engine.message}` : ''}
      </span>
      {engine.noModel && <NoModelOffer session={session} noModel={engine.noModel} />}
      {m && (
        <>
          <span className="status-sep">·</span>
          <span data-testid="engine-model" title={`${m.family} · ${m.dir}\nmax ${m.maxLength} tokens · vocabulary ${m.vocabSize}\nsha256 ${m.hash}`}>
            {m.name}
          </span>
          <span className="status-sep">·</span>
          <span className={`provider ${m.fallbackReason ? 'fallback' : ''}`} data-testid="engine-provider" title={m.fallbackReason ? `Fell back: ${m.fallbackReason}` : 'Execution provider in use'}>
            {m.provider.toUpperCase()}
            {m.fallbackReason ? ' (fallback)' : ''}
          </span>
        </>
      )}
      <FillEstimate session={session} />
      <YourTextStatus session={session} />
      <span className="status-sep">·</span>
      <ModelsToggle />
      {engine.queued > 0 && (
        <>
          <span className="status-sep">·</span>
          <span data-testid="engine-queue">{engine.queued} queued</span>
        </>
      )}
      {offers > 0 && (
        <>
          <span className="status-sep">·</span>
          <span className="offers" data-testid="offers" title="The keys act on the span under the caret, or the one whose bar has focus">
            {offers} on offer — caret in a span: Tab accept · Esc reject · Alt-[ ] cycle
          </span>
        </>
      )}
      <span className="status-spacer" />
      <span className="doc-title" data-testid="doc-title" title={path ?? 'Not saved yet'}>
        {title}
      </span>
      <span className={`dirty ${dirty ? 'on' : ''}`} data-testid="dirty" data-dirty={dirty}>
        {dirty ? 'Edited' : 'Saved'}
      </span>
      <span className="popover-anchor">
        <button className="tool mini help-btn" data-testid="btn-shortcuts" aria-expanded={help} title="Keyboard shortcuts" onClick={() => setHelp(!help)}>
          ?
        </button>
        {help && <Shortcuts onClose={closeHelp} />}
      </span>
    </footer>
  )
}

/** The engine runs without the model it had (crashes while reloading it): say why, offer to load it again. */
function NoModelOffer({ session, noModel }: { session: Session; noModel: { reason: string; dir: string | null } }) {
  const [busy, setBusy] = useState(false)
  const dir = noModel.dir
  const load = () => {
    if (!dir) return
    setBusy(true)
    session.api
      .invoke('engine:loadModel', { dir })
      .catch((e: Error) => session.store.toast('error', `The model could not be loaded: ${e.message}`))
      .finally(() => setBusy(false))
  }
  return (
    <span className="no-model" data-testid="engine-no-model" title={noModel.reason}>
      <span className="status-sep">·</span>
      No model
      {dir && (
        <button className="tool mini" data-testid="btn-reload-model" disabled={busy} onClick={load} title={`Load ${dir} again`}>
          {busy ? 'Loading…' : 'Load it again'}
        </button>
      )}
    </span>
  )
}

const SHORTCUTS: [string, string][] = [
  [`${MOD}M`, 'Mask the selection · at a bare cursor, an empty gap · inside a mask, unmask it'],
  [`${MOD}L`, 'Lock / unlock the selection'],
  [`${MOD}Enter`, 'Fill the mask at the caret, or those in the selection · elsewhere, every mask not on offer · on unmasked text, rewrite it'],
  [`${MOD}B  ${MOD}I`, 'Bold / italic'],
  [`${MOD}Alt+1…3`, 'Heading (again: back to text) · type "# " at a line start'],
  [`${MOD}Shift+8  ${MOD}Shift+9`, 'Bulleted / numbered list · type "- " or "1. "'],
  [`${MOD}'`, 'Quote · type "> "'],
  ['Tab', 'Accept the candidate on show'],
  ['Esc', 'Reject: keep your text'],
  ['Alt-[  Alt-]', 'Previous / next candidate'],
  ['Shift+F7', 'Other words for the word at the caret (also in the right-click menu)'],
  [`${MOD}Z  ${MOD}Shift+Z`, 'Undo / redo (an accept is one step)'],
  [`${MOD}S`, 'Save'],
]

function Shortcuts({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null)
  const anchor = useMemo(() => ({ get current() { return ref.current?.closest('.popover-anchor') as HTMLElement | null } }), [])
  useDismiss(anchor, onClose)
  return (
    <div className="popover shortcuts" role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcuts" onMouseLeave={onClose} ref={ref}>
      {SHORTCUTS.map(([k, what]) => (
        <div className="shortcut" key={k}>
          {/* Each combo its own key cap, wrapping inside the keys' column: never over the description. */}
          <span className="shortcut-keys">
            {k.split(/\s{2,}/).map((combo) => (
              <kbd key={combo}>{combo}</kbd>
            ))}
          </span>
          <span className="shortcut-what">{what}</span>
        </div>
      ))}
    </div>
  )
}
