/** The toolbar: file, mark commands, span length, regenerate / stop, settings, preferences, legend. */
import type { Session } from '../app/session'
import { useStore } from '../app/store'
import { LengthControl } from './LengthControl'
import { FormatTools } from './FormatTools'
import { SettingsPopover } from './SettingsPopover'
import { tokensToWords } from '../editor/span-length'

import { MOD } from './keys'

export { MOD }

export function Toolbar({ session }: { session: Session }) {
  const s = session.store
  const masked = useStore(s, (x) => x.selection.masked)
  const locked = useStore(s, (x) => x.selection.locked)
  const empty = useStore(s, (x) => x.selection.empty)
  const fill = useStore(s, (x) => x.fill)
  const slotLength = useStore(s, (x) => x.slotLength)
  const strategy = useStore(s, (x) => x.sampling.strategy)
  const steps = useStore(s, (x) => x.sampling.steps)
  const settingsOpen = useStore(s, (x) => x.settingsOpen)
  const prefsOpen = useStore(s, (x) => x.prefsOpen)
  const engine = useStore(s, (x) => x.engine.status)
  const canFill = engine === 'ready' || engine === 'filling' || engine === 'loading' || engine === 'starting'

  return (
    <header className="toolbar" role="toolbar" aria-label="Editing tools">
      <div className="tool-group" aria-label="File">
        <button className="tool" data-testid="btn-new" title="New document" onClick={() => void session.docs.guard('new')}>
          New
        </button>
        <button className="tool" data-testid="btn-open" title={`Open… (${MOD}O)`} onClick={() => void session.docs.guard('open')}>
          Open
        </button>
        <button className="tool" data-testid="btn-save" title={`Save (${MOD}S)`} onClick={() => void session.docs.save()}>
          Save
        </button>
      </div>
      <span className="tool-sep" />
      <FormatTools session={session} />
      <span className="tool-sep" />
      <div className="tool-group" aria-label="Marks">
        <button
          className={`tool mark-tool tool-mask ${masked ? 'on' : ''}`}
          data-testid="btn-mask"
          aria-pressed={masked}
          title={empty ? `Insert an empty gap of about ${tokensToWords(slotLength)} words (${MOD}M)` : `Mask the selection for regeneration (${MOD}M)`}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => session.mask()}
        >
          <span className="swatch swatch-masked" aria-hidden /> {empty ? 'Gap' : masked ? 'Unmask' : 'Mask'}
        </button>
        <button
          className={`tool mark-tool ${locked ? 'on' : ''}`}
          data-testid="btn-lock"
          aria-pressed={locked}
          title={`Lock the selection: the model never changes it (${MOD}L)`}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => session.lock()}
        >
          <span className="swatch swatch-locked" aria-hidden /> {locked && !empty ? 'Unlock' : 'Lock'}
        </button>
        <LengthControl session={session} />
      </div>
      <span className="tool-sep" />
      <div className="tool-group">
        {fill ? (
          <button className="tool primary stop" data-testid="btn-stop" title="Stop the fill" onClick={() => session.fills.stop()}>
            <span className="stop-square" aria-hidden /> Stop
          </button>
        ) : (
          <button
            className="tool primary"
            data-testid="btn-regenerate"
            disabled={!canFill}
            title={`Fill every masked span, or those in the selection (${MOD}Enter)`}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => session.regenerate()}
          >
            Regenerate
          </button>
        )}
        {fill && (
          <span
            className="fill-progress"
            data-testid="fill-progress"
            aria-live="polite"
            title={
              strategy === 'threshold'
                ? 'Threshold decoding reveals every word piece it is sure enough of at once: at most one step per piece, often far fewer (Steps does not apply)'
                : `Steps is ${steps}: each block of the fill takes its share of them, and never more steps than word pieces to reveal`
            }
          >
            <span className="fill-progress-track">
              <span className="fill-progress-bar" style={{ transform: `scaleX(${fill.total ? (fill.revealed / fill.total).toFixed(3) : 0})` }} />
            </span>
            <span className="fill-progress-label">
              {fill.step === 0 ? 'starting…' : strategy === 'threshold' ? `step ${fill.step} · at most ${fill.totalSteps}` : `step ${fill.step} of ${fill.totalSteps}`}
            </span>
          </span>
        )}
        <div className="popover-anchor">
          <button
            className={`tool ${settingsOpen ? 'on' : ''}`}
            data-testid="btn-settings"
            aria-expanded={settingsOpen}
            title="Sampling settings"
            onClick={() => {
              s.set({ settingsOpen: !settingsOpen })
              if (settingsOpen) session.editorView()?.focus()
            }}
          >
            Settings
          </button>
          {settingsOpen && <SettingsPopover session={session} />}
        </div>
      </div>
      <div className="tool-spacer" />
      <Legend />
      <button
        className={`tool ${prefsOpen ? 'on' : ''}`}
        data-testid="btn-preferences"
        aria-expanded={prefsOpen}
        title="Training log: your decisions, kept as training pairs for tuning the model"
        onClick={() => {
          if (!prefsOpen) void session.fills.settleAll()
          s.set({ prefsOpen: !prefsOpen })
        }}
      >
        Training log
      </button>
    </header>
  )
}

export function Legend() {
  return (
    <div className="legend" data-testid="legend" aria-label="Legend">
      <span className="legend-item" title="Masked: the model will rewrite this (empty slots are boxes)">
        <span className="swatch swatch-masked" /> masked
      </span>
      <span className="legend-item legend-item-locked" data-testid="legend-locked" title="Locked: the model never changes it; your typing is locked as you write. Hover here (or Lock) to see where it is">
        <span className="swatch swatch-locked" /> locked
      </span>
      <span className="legend-item" title="Generated: written by the model; hover it to see which model and how">
        <span className="swatch swatch-generated" /> generated
      </span>
    </div>
  )
}
