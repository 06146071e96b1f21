/**
 * "Tune on my decisions", a section of the preference panel: where the training tools are
 * installed, a button that tunes the active model on the log in the background (progress,
 * cancel, and where the tuned model went, listed under Models); where they are not, the
 * exact command and what to install.
 */
import { useEffect, useState } from 'react'
import type { InfillApi, PreferenceStats, TuneMethod, TuneState } from '../../../main/contract'
import { ComparePanel } from './ComparePanel'

const RUNNING: ReadonlySet<TuneState['phase']> = new Set(['exporting', 'reference', 'tuning', 'writing'])

function pct(x: number | null | undefined): string {
  return x == null ? 'n/a' : `${(100 * x).toFixed(0)}%`
}

/** `stats`: the log's counts (the panel's), for the comparison tally. */
export function TunePanel({ api, stats = null }: { api: InfillApi; stats?: PreferenceStats | null }) {
  const [state, setState] = useState<TuneState | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [method, setMethod] = useState<TuneMethod>('vrpo')

  useEffect(() => {
    let live = true
    api.invoke('tune:state', undefined).then(
      (s) => live && setState(s),
      (e: Error) => live && setError(e.message),
    )
    const off = api.on('tune:state', (s) => setState(s))
    return () => {
      live = false
      off()
    }
  }, [api])

  const run = async (what: () => Promise<TuneState>) => {
    try {
      setState(await what())
      setError(null)
    } catch (e) {
      setError((e as Error).message)
    }
  }

  const running = state ? RUNNING.has(state.phase) : false
  const f = state?.figures
  return (
    <section className="tune" data-testid="tune-panel" aria-label="Tune on my decisions">
      <h3>Tune on my decisions</h3>
      {!state && !error && <p className="muted small">Looking for the training tools…</p>}
      {state && !state.available && (
        <div data-testid="tune-unavailable">
          <p className="small">The training tools (Python with torch) are not installed here. Install them:</p>
          <pre className="command" data-testid="tune-install">{state.install}</pre>
          <p className="small">then tune from a terminal in the Infill folder:</p>
          <pre className="command" data-testid="tune-command">{state.command}</pre>
        </div>
      )}
      {state?.available && (
        <>
          <p className="muted small">Tunes the loaded model on the log (VRPO: chosen over rejected; KTO: accepted vs rejected texts). It runs in the background; the tuned model appears under Models.</p>
          <div className="export-row">
            <select data-testid="tune-method" value={method} disabled={running} onChange={(e) => setMethod(e.target.value as TuneMethod)}>
              <option value="vrpo">VRPO (pairs)</option>
              <option value="kto">KTO (unpaired)</option>
            </select>
            {running ? (
              <button className="tool danger" data-testid="tune-cancel" onClick={() => void run(() => api.invoke('tune:cancel', undefined))}>
                Cancel
              </button>
            ) : (
              <button className="tool primary" data-testid="tune-start" onClick={() => void run(() => api.invoke('tune:start', { method }))}>
                Tune on my decisions
              </button>
            )}
          </div>
        </>
      )}
      {state && state.phase !== 'idle' && (
        <div className="tune-progress" data-testid="tune-progress" data-phase={state.phase}>
          {state.totalSteps ? <progress max={state.totalSteps} value={state.step ?? 0} /> : running ? <progress /> : null}
          <p className={state.phase === 'failed' ? 'error-text small' : 'small'} data-testid="tune-message">
            {state.message}
          </p>
          {state.phase === 'done' && f && (
            <p className="small" data-testid="tune-figures">
              Held-out pairs: {pct(f.heldoutPairAccuracyBefore)} → {pct(f.heldoutPairAccuracyAfter)} preferred as you did; validation accuracy{' '}
              {pct(f.validMaskedTokenAccuracy15Before)} → {pct(f.validMaskedTokenAccuracy15After)}.
            </p>
          )}
        </div>
      )}
      {error && error !== state?.message && (
        <p className="error-text small" role="alert" data-testid="tune-error">
          {error}
        </p>
      )}
      <ComparePanel api={api} tunedDir={state?.phase === 'done' ? state.outDir : null} stats={stats} />
    </section>
  )
}
