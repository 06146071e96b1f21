/**
 * "Compare with base", in the Training log under "Tune on my decisions": offered when the
 * loaded model is a tuned one (its manifest names its base) or a tune has just finished
 * (the tuned model beside the loaded one), or with a pair the writer picks (the loaded model
 * and another installed one; the host checks that one of the two is tuned). With comparison on, each fill shows both models'
 * candidates side by side, and the log notes whose the writer kept; the tally says how often.
 */
import { useEffect, useState } from 'react'
import type { CompareState, InfillApi, InstalledModelEntry, PreferenceStats } from '../../../main/contract'
import { tallyWords } from '../editor/compare-candidates'

export function ComparePanel({ api, tunedDir, stats }: { api: InfillApi; tunedDir: string | null; stats: PreferenceStats | null }) {
  const [state, setState] = useState<CompareState | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [models, setModels] = useState<InstalledModelEntry[]>([])
  const [picked, setPicked] = useState('')

  useEffect(() => {
    let live = true
    api.invoke('compare:state', undefined).then(
      (s) => live && setState(s),
      (e: Error) => live && setError(e.message),
    )
    const off = api.on('compare:state', (s) => setState(s))
    api.invoke('models:list', undefined).then(
      (o) => live && setModels(o.models.filter((m) => !m.active && m.problem === null)),
      () => undefined, // the list only feeds the picker; the Models panel reports its own errors
    )
    return () => {
      live = false
      off()
    }
  }, [api])

  const act = async (what: () => Promise<CompareState>) => {
    setBusy(true)
    try {
      setState(await what())
      setError(null)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  const status = state?.status ?? 'off'
  // The loaded model is tuned: compare it with its base. Else a tune just written: compare it with the loaded model.
  const offer = state?.activeBase ? {} : tunedDir ? { dir: tunedDir } : null
  // Or a pair the writer picks: the loaded model beside another installed one.
  const pickable = models.filter((m) => m.dir !== tunedDir)
  const tally = stats?.compare
  return (
    <section className="compare" data-testid="compare-panel" aria-label="Compare with base">
      <h3>Compare with base</h3>
      {(status === 'off' || status === 'error') && offer && (
        <>
          <p className="muted small">
            Each fill shows the base and the tuned model's candidates side by side, each column labelled with its model (which side is drawn at random per span). The log
            notes whose candidate you kept.
          </p>
          <button className="tool primary" data-testid="compare-start" disabled={busy} onClick={() => void act(() => api.invoke('compare:start', offer))}>
            Compare with base
          </button>
        </>
      )}
      {(status === 'off' || status === 'error') && !state?.activeBase && pickable.length > 0 && (
        <div className="export-row" data-testid="compare-pair">
          <select data-testid="compare-with" aria-label="Compare the loaded model with" value={picked} onChange={(e) => setPicked(e.target.value)}>
            <option value="">Compare the loaded model with…</option>
            {pickable.map((m) => (
              <option key={m.dir} value={m.dir}>
                {m.name}
              </option>
            ))}
          </select>
          <button className="tool" data-testid="compare-pair-start" disabled={busy || !picked} onClick={() => void act(() => api.invoke('compare:start', { dir: picked }))}>
            Compare
          </button>
        </div>
      )}
      {status === 'off' && !offer && pickable.length === 0 && (
        <p className="muted small" data-testid="compare-unoffered">
          Offered when the loaded model is a tuned one (load it under Models), or once a tune has finished.
        </p>
      )}
      {status === 'loading' && (
        <p className="small" data-testid="compare-loading">
          <progress /> Loading the other model of the pair…
        </p>
      )}
      {status === 'ready' && state && (
        <>
          <p className="small" data-testid="compare-on">
            Comparing <b>base: {state.base?.name}</b> with <b>tuned: {state.tuned?.name}</b>. Fill as usual: each span shows both columns.
          </p>
          <button className="tool" data-testid="compare-stop" disabled={busy} onClick={() => void act(() => api.invoke('compare:stop', undefined))}>
            Stop comparing
          </button>
        </>
      )}
      {state?.message && (
        <p className={status === 'error' ? 'error-text small' : 'muted small'} role={status === 'error' ? 'alert' : undefined} data-testid="compare-message">
          {state.message}
        </p>
      )}
      {tally && (
        <p className="small" data-testid="compare-tally">
          Comparisons so far: {tallyWords(tally)}.
        </p>
      )}
      {error && (
        <p className="error-text small" role="alert" data-testid="compare-error">
          {error}
        </p>
      )}
    </section>
  )
}
