/**
 * The training log (the decision log): logging on/off, counts by action, recent decisions (each can be
 * deleted with its pairs; each says what was kept and what was turned down; one taken back
 * says why: undone, or picked from an earlier round), a preview of the training pairs,
 * export (standard / implicit prompt / unpaired / conversational) and clear with confirmation.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { DecisionAction, DecisionRecord, ExportFormat, PreferencePairPreview, PreferenceStats } from '../../../main/contract'
import type { Session } from '../app/session'
import { useStore } from '../app/store'
import { decisionSummary } from './decision-summary'
import { TunePanel } from './TunePanel'

const ACTION_LABEL: Record<DecisionAction, string> = {
  accepted: 'accepted',
  accepted_edited: 'accepted, then edited',
  rejected_all: 'rejected',
  regenerated: 'regenerated',
}

function clip(s: string, n = 90): string {
  const t = s.replace(/\s+/g, ' ').trim()
  return t.length > n ? t.slice(0, n - 1) + '…' : t || '∅'
}

/** One decision of "Recent decisions": what was kept, what was turned down, what was asked for, and why it no longer counts if taken back. */
function DecisionLine({ d }: { d: DecisionRecord }) {
  const s = decisionSummary(d)
  const quoted = (t: string) => `“${clip(t, 40)}”`
  const down = s.turnedDown.slice(0, 2).map(quoted).join(', ') + (s.turnedDown.length > 2 ? ` and ${s.turnedDown.length - 2} more` : '')
  const kept = s.kept === null ? null : s.keptFrom === 'original' ? `kept your ${quoted(s.kept)}` : s.keptFrom === 'edit' ? `kept your edit ${quoted(s.kept)}` : `kept ${quoted(s.kept)}`
  return (
    <>
      <span className={`badge badge-${d.action}`}>{ACTION_LABEL[d.action]}</span>
      {s.asked && (
        <span className="badge badge-kind" data-testid="prefs-decision-kind">
          {s.asked}
        </span>
      )}
      {s.takenBack && (
        <span className="badge badge-retracted" data-testid="prefs-decision-taken-back" title={s.takenBack.title}>
          {s.takenBack.label}
        </span>
      )}
      <span className="decision-text" title={[...s.turnedDown.map((t) => `turned down: ${t}`), s.kept !== null ? `kept: ${s.kept}` : ''].filter(Boolean).join('\n')}>
        <span className="ctx">…{clip(d.prefix.slice(-30), 30)}</span>{' '}
        {kept && (
          <strong data-testid="prefs-decision-kept">
            {kept}
            {s.turnedDown.length ? '; ' : ''}
          </strong>
        )}
        {s.turnedDown.length > 0 && <span data-testid="prefs-decision-turned-down">turned down {down}</span>}
        {s.round && <span className="muted"> ({s.round})</span>}
      </span>
    </>
  )
}

export function PreferencesPanel({ session }: { session: Session }) {
  const api = session.api
  const [stats, setStats] = useState<PreferenceStats | null>(null)
  const [recent, setRecent] = useState<DecisionRecord[]>([])
  const [pairs, setPairs] = useState<PreferencePairPreview[]>([])
  const [error, setError] = useState<string | null>(null)
  const [format, setFormat] = useState<ExportFormat>('standard')
  const [fileName, setFileName] = useState('')
  const [exported, setExported] = useState<string | null>(null)
  const [confirmClear, setConfirmClear] = useState(false)
  const [confirmDelete, setConfirmDelete] = useState<number | null>(null)
  /** An export target that already exists: the writer decides whether to replace it. */
  const [confirmReplace, setConfirmReplace] = useState<{ path: string; name: string } | null>(null)
  const [busy, setBusy] = useState(false)
  const nativeDialogs = useStore(session.store, (x) => x.host?.nativeDialogs ?? false)

  /**
   * Bumped by every change the writer makes here: a refresh that started before a change
   * answers with the state before it, and would flip the "Log my decisions" box back
   * (found by e2e writer-edit: unchecked, checked, and the periodic refresh unchecked it).
   */
  const generation = useRef(0)
  const refresh = useCallback(async (settle = false) => {
    const started = generation.current
    try {
      // Opening the panel logs the accepts still being watched, so the counts are complete.
      if (settle) await session.fills.settleAll()
      const [st, rec, pr] = await Promise.all([
        api.invoke('prefs:stats', undefined),
        api.invoke('prefs:list', { limit: 20 }),
        api.invoke('prefs:pairs', { limit: 20 }),
      ])
      if (started !== generation.current) return // a change came after it: the refresh after that change tells
      setStats(st)
      setRecent(rec)
      setPairs(pr)
      setError(null)
    } catch (e) {
      setError((e as Error).message)
    }
  }, [api, session])

  useEffect(() => {
    void refresh(true)
    const t = setInterval(() => void refresh(), 5000)
    return () => clearInterval(t)
  }, [refresh])

  const act = async (f: () => Promise<unknown>): Promise<void> => {
    generation.current++
    setBusy(true)
    try {
      await f()
      setError(null)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      generation.current++
      setBusy(false)
      void refresh()
    }
  }

  return (
    <aside className="side-panel prefs" data-testid="prefs-panel" aria-label="Training log">
      <div className="panel-head">
        <h2>Training log</h2>
        <button className="tool mini" aria-label="Close" onClick={() => session.store.set({ prefsOpen: false })}>
          ×
        </button>
      </div>
      <p className="muted small">Each accept, edit and reject becomes a training pair (prompt · chosen · rejected) for tuning the model to your taste.</p>
      {error && (
        <p className="error-text" role="alert" data-testid="prefs-error">
          {error}
        </p>
      )}
      {stats?.setAside && <p className="error-text small">A damaged log was set aside as {stats.setAside}; a new one was started.</p>}
      <label className="toggle">
        <input
          type="checkbox"
          data-testid="prefs-enabled"
          checked={stats?.enabled ?? true}
          disabled={!stats || busy}
          onChange={(e) => {
            const enabled = e.target.checked
            setStats((st) => st && { ...st, enabled }) // at once; the host's answer follows
            void act(async () => setStats(await api.invoke('prefs:setEnabled', { enabled })))
          }}
        />
        Log my decisions
      </label>
      <div className="counts" data-testid="prefs-counts">
        <div className="count">
          <span className="count-n" data-testid="prefs-total">
            {stats?.total ?? '–'}
          </span>
          <span className="count-l">decisions</span>
        </div>
        <div className="count">
          <span className="count-n" data-testid="prefs-pairs">
            {stats?.pairs ?? '–'}
          </span>
          <span className="count-l">pairs</span>
        </div>
        {(Object.keys(ACTION_LABEL) as DecisionAction[]).map((a) => (
          <div className="count" key={a}>
            <span className="count-n" data-testid={`prefs-count-${a}`}>
              {stats?.byAction[a] ?? 0}
            </span>
            <span className="count-l">{ACTION_LABEL[a]}</span>
          </div>
        ))}
      </div>

      <h3>Recent decisions</h3>
      <ul className="decision-list" data-testid="prefs-recent">
        {recent.length === 0 && <li className="muted small">Nothing logged yet.</li>}
        {recent.map((d) => (
          <li key={d.id} className="decision" data-action={d.action} data-testid="prefs-decision" data-decision-id={d.id} data-retracted={d.retractedAt ? 'true' : 'false'}>
            <DecisionLine d={d} />
            {confirmDelete === d.id ? (
              <span className="confirm-inline" data-testid="prefs-confirm-delete">
                <button className="tool mini" onClick={() => setConfirmDelete(null)}>
                  Keep
                </button>
                <button
                  className="tool mini danger"
                  data-testid="prefs-delete-confirm"
                  disabled={busy}
                  onClick={() =>
                    void act(async () => {
                      setStats(await api.invoke('prefs:delete', { id: d.id }))
                      setConfirmDelete(null)
                    })
                  }
                >
                  Delete
                </button>
              </span>
            ) : (
              <button
                className="tool mini"
                data-testid="prefs-delete"
                title="Delete this decision and its pairs from the log"
                aria-label="Delete this decision and its pairs"
                disabled={busy}
                onClick={() => setConfirmDelete(d.id)}
              >
                ×
              </button>
            )}
          </li>
        ))}
      </ul>

      <h3>Pairs preview</h3>
      <ul className="pair-list" data-testid="prefs-pair-list">
        {pairs.length === 0 && <li className="muted small">No pairs yet.</li>}
        {pairs.map((p, i) => (
          <li key={`${p.decisionId}-${i}`} className="pair" data-testid="prefs-pair">
            <div className="pair-chosen">
              <span className="pair-tag">chosen</span> {clip(p.chosen)}
            </div>
            <div className="pair-rejected">
              <span className="pair-tag">rejected</span> {clip(p.rejected)}
            </div>
          </li>
        ))}
      </ul>

      <h3>Export</h3>
      <div className="export-row">
        <select data-testid="prefs-format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
          <option value="standard">Standard (prompt, chosen, rejected)</option>
          <option value="implicit">Implicit prompt (chosen, rejected)</option>
          <option value="unpaired">Unpaired / KTO (prompt, completion, label)</option>
          <option value="conversational">Conversational (chat messages: prompt, chosen, rejected)</option>
        </select>
      </div>
      <div className="export-row">
        {!nativeDialogs && (
          <input
            data-testid="prefs-export-name"
            placeholder="file name.jsonl (optional)"
            title="Saved in the workspace folder; without a name, a dated one is used"
            value={fileName}
            onChange={(e) => setFileName(e.target.value)}
            spellCheck={false}
          />
        )}
        <button
          className="tool primary"
          data-testid="prefs-export"
          disabled={busy}
          onClick={() =>
            void act(async () => {
              const name = nativeDialogs ? '' : fileName.trim()
              const res = await api.invoke('prefs:export', { format, ...(name ? { path: /\.jsonl$/.test(name) ? name : `${name}.jsonl` } : {}) })
              if (res?.status === 'exists') return setConfirmReplace({ path: res.path, name: res.name })
              setExported(res ? `${res.lines} line${res.lines === 1 ? '' : 's'} written to ${res.path}` : null)
            })
          }
        >
          Export
        </button>
      </div>
      {confirmReplace && (
        <div className="confirm" data-testid="prefs-confirm-replace">
          <span>{confirmReplace.name} already exists. Replace it?</span>
          <button className="tool" onClick={() => setConfirmReplace(null)}>
            Keep
          </button>
          <button
            className="tool danger"
            data-testid="prefs-replace-confirm"
            onClick={() =>
              void act(async () => {
                const res = await api.invoke('prefs:export', { format, path: confirmReplace.path, replace: true })
                setConfirmReplace(null)
                if (res?.status === 'exported') setExported(`${res.lines} line${res.lines === 1 ? '' : 's'} written to ${res.path}`)
              })
            }
          >
            Replace
          </button>
        </div>
      )}
      {exported && (
        <p className="ok-text small" data-testid="prefs-exported">
          {exported}
        </p>
      )}

      <TunePanel api={api} stats={stats} />

      <div className="danger-zone">
        {confirmClear ? (
          <div className="confirm" data-testid="prefs-confirm-clear">
            <span>Delete every logged decision? This cannot be undone.</span>
            <button className="tool" onClick={() => setConfirmClear(false)}>
              Keep
            </button>
            <button
              className="tool danger"
              data-testid="prefs-clear-confirm"
              onClick={() =>
                void act(async () => {
                  await api.invoke('prefs:clear', { confirm: true })
                  setConfirmClear(false)
                })
              }
            >
              Delete all
            </button>
          </div>
        ) : (
          <button className="tool subtle" data-testid="prefs-clear" onClick={() => setConfirmClear(true)}>
            Clear the log…
          </button>
        )}
      </div>
      {stats && <p className="muted tiny">Stored in {stats.dbPath}</p>}
    </aside>
  )
}
