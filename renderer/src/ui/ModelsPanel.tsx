/**
 * The Models panel: installed models (name, family, size, provider, eval figures) with
 * switching, adding a folder, and Hub downloads (a curated list and any repository id) with
 * a progress bar, rate, time left and cancel. Opened from the status bar's Models button.
 */
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react'
import type { HubStatus, InstalledModelEntry, ModelDownloadState, ModelsOverview, ModelVariantName } from '../../../main/contract'
import { formatBytes, formatDuration } from '../../../main/models/progress-meter'
import type { Session } from '../app/session'
import { useStore } from '../app/store'
import { plannedFillSteps, StepTimes } from '../app/fill-estimate'
import { modelWords, SPEED_SLOTS } from './model-words'

// Open/closed lives here, so the panel needs nothing from the app store.
let open = false
const listeners = new Set<() => void>()
function setOpen(next: boolean): void {
  open = next
  for (const l of listeners) l()
}
function useOpen(): boolean {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    () => open,
  )
}

/** The status-bar button that opens and closes the panel. */
export function ModelsToggle() {
  const isOpen = useOpen()
  return (
    <button className={`tool mini ${isOpen ? 'on' : ''}`} data-testid="btn-models" aria-expanded={isOpen} title="Models: switch, add, download" onClick={() => setOpen(!isOpen)}>
      Models
    </button>
  )
}

const ORIGIN_LABEL: Record<InstalledModelEntry['origin'], string> = { embedded: 'built in', downloaded: 'downloaded', added: 'added folder' }
const VARIANTS: ModelVariantName[] = ['int8', 'fp16', 'fp32']

/** Plain words for the figures manifests carry; unknown keys are shown as they are. */
const FIGURE_LABEL: Record<string, string> = {
  maskedTokenAccuracy15: 'hidden tokens guessed (15% hidden)',
  maskedTokenNll15: 'loss (15% hidden)',
  maskedTokens: 'tokens scored',
  unigramBaselineAccuracy15: 'most-common-word baseline',
}

function figure(key: string, value: number): string {
  const pct = /accuracy/i.test(key) && value <= 1
  const label = FIGURE_LABEL[key] ?? key
  return `${label} ${pct ? `${(value * 100).toFixed(1)}%` : Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(3)}`
}

function downloadLine(d: ModelDownloadState): string {
  if (d.phase === 'planning') return 'Reading the file list from the Hub…'
  if (d.phase === 'installing') return 'Moving into place…'
  const parts = [`${formatBytes(d.bytesDone)} of ${formatBytes(d.bytesTotal)}`]
  if (d.bytesPerSecond) parts.push(`${formatBytes(d.bytesPerSecond)}/s`)
  if (d.secondsLeft !== null && d.phase === 'downloading') parts.push(`${formatDuration(d.secondsLeft)} left`)
  if (d.phase === 'verifying') parts.push(`checking ${d.file}`)
  return parts.join(' · ')
}

/** Size, speed measured on this computer, and what the model is good at (model-words.ts). */
function ModelInWords({ m, hash, steps, candidates }: { m: InstalledModelEntry; hash: string | null; steps: number; candidates: number }) {
  const msPerStep = hash ? new StepTimes(8, typeof localStorage === 'undefined' ? null : localStorage).msPerStep(hash, candidates) : null
  const w = modelWords(m, msPerStep === null ? null : { steps, msPerStep })
  return (
    <div className="small model-words" data-testid="model-words">
      <div data-testid="model-good-at">{w.goodAt}</div>
      <div className="muted">
        <span data-testid="model-size">{w.size}</span> · <span data-testid="model-speed">{w.speed}</span>
      </div>
    </div>
  )
}

export function ModelsPanel({ session }: { session: Session }) {
  const isOpen = useOpen()
  const api = session.api
  const engineModel = useStore(session.store, (x) => x.engine.model)
  const engineStatus = useStore(session.store, (x) => x.engine.status)
  const nativeDialogs = useStore(session.store, (x) => x.host?.nativeDialogs ?? false)
  const [overview, setOverview] = useState<ModelsOverview | null>(null)
  const [downloads, setDownloads] = useState<Record<string, ModelDownloadState>>({})
  const [error, setError] = useState<string | null>(null)
  const [folder, setFolder] = useState('')
  /** Copy the folder into the app's models folder (default), or use it where it is. */
  const [how, setHow] = useState<'copy' | 'link'>('copy')
  const [repoId, setRepoId] = useState('')
  const [variant, setVariant] = useState<ModelVariantName>('int8')
  const [switching, setSwitching] = useState<string | null>(null)
  const [hub, setHub] = useState<HubStatus | null>(null)
  const sampling = useStore(session.store, (x) => x.sampling)

  /** Asks whether the Hub answers: when the panel opens, and on "Check again". */
  const checkHub = useCallback(async () => {
    setHub(null)
    try {
      setHub(await api.invoke('models:hub', undefined))
    } catch (e) {
      setHub({ reachable: false, hubUrl: '', message: (e as Error).message })
    }
  }, [api])
  useEffect(() => {
    if (isOpen) void checkHub()
  }, [isOpen, checkHub])

  const refresh = useCallback(async () => {
    try {
      const o = await api.invoke('models:list', undefined)
      setOverview(o)
      setDownloads((prev) => {
        const next = { ...prev }
        for (const d of o.downloads) if (!next[d.jobId]) next[d.jobId] = d
        return next
      })
    } catch (e) {
      setError((e as Error).message)
    }
  }, [api])

  // Read again when the panel opens and whenever the engine's model changes (a switch, a reload after a crash).
  const activeDir = engineModel?.dir ?? null
  useEffect(() => {
    if (!isOpen) return
    void refresh()
  }, [isOpen, refresh, activeDir])
  useEffect(
    () =>
      api.on('models:download', (d) => {
        setDownloads((prev) => ({ ...prev, [d.jobId]: d }))
        if (d.phase === 'done') void refresh()
      }),
    [api, refresh],
  )

  if (!isOpen) return null

  const act = async (f: () => Promise<unknown>): Promise<void> => {
    setError(null)
    try {
      await f()
    } catch (e) {
      setError((e as Error).message)
    }
  }
  const use = (dir: string) =>
    act(async () => {
      setSwitching(dir)
      try {
        const info = await api.invoke('models:activate', { dir })
        session.store.toast('info', `Now using ${info.name} (${info.provider.toUpperCase()})`)
        await refresh()
      } finally {
        setSwitching(null)
      }
    })
  const download = (id: string, v: ModelVariantName) => act(async () => void (await api.invoke('models:download', { repoId: id.trim(), variant: v })))
  const addFolder = (dir?: string) =>
    act(async () => {
      const added = await api.invoke('models:addFolder', dir === undefined ? { how } : { dir, how })
      if (added) {
        setFolder('')
        session.store.toast('info', how === 'copy' ? `${added.name} was checked and copied into ${overview?.modelsDir ?? 'the models folder'}.` : `${added.name} was checked and added where it is.`)
        await refresh()
      }
    })
  const jobs = Object.values(downloads)

  return (
    <aside className="side-panel models-panel" data-testid="models-panel" aria-label="Models">
      <div className="panel-head">
        <h2>Models</h2>
        <button className="tool mini" aria-label="Close" onClick={() => setOpen(false)}>
          ×
        </button>
      </div>
      {error && (
        <p className="error-text" role="alert" data-testid="models-error">
          {error}
        </p>
      )}

      <h3>Installed</h3>
      <ul className="model-list" data-testid="models-installed">
        {!overview && <li className="muted small">Reading…</li>}
        {overview?.models.map((m) => (
          <li key={m.dir} className={`model-row ${m.active ? 'active' : ''}`} data-testid="model-row" data-dir={m.dir} data-active={m.active}>
            <div className="model-title">
              <strong>{m.name}</strong>
              {m.active && <span className="badge badge-active">active · {engineModel?.provider.toUpperCase() ?? '…'}</span>}
            </div>
            <ModelInWords m={m} hash={m.active ? (engineModel?.hash ?? null) : null} steps={plannedFillSteps([SPEED_SLOTS], sampling)} candidates={sampling.candidates} />
            <details className="small model-figures">
              <summary>
                Figures · {m.family} · {formatBytes(m.sizeBytes)} · {ORIGIN_LABEL[m.origin]}
                {m.repoId ? ` · ${m.repoId}` : ''}
              </summary>
              <div className="model-evals">
                {Object.keys(m.evalFigures).length > 0
                  ? Object.entries(m.evalFigures)
                      .slice(0, 4)
                      .map(([k, v]) => figure(k, v))
                      .join(' · ')
                  : 'No eval figures in its manifest yet (npm run eval -- --model DIR).'}
              </div>
            </details>
            {m.problem ? (
              <div className="error-text small">Cannot be used: {m.problem}</div>
            ) : (
              !m.active && (
                <button className="tool mini" data-testid="model-use" disabled={switching !== null || engineStatus === 'filling'} onClick={() => void use(m.dir)} title={m.dir}>
                  {switching === m.dir ? 'Loading…' : 'Use this model'}
                </button>
              )
            )}
          </li>
        ))}
      </ul>

      <h3>Add a model folder</h3>
      <p className="muted small">
        A folder with model.onnx and tokenizer.json, plus manifest.json or an Optimum export's config.json, from anywhere on this computer. It is checked before
        anything is added.
      </p>
      <div className="models-how" role="radiogroup" aria-label="How to add it">
        <label className="small">
          <input type="radio" name="models-how" data-testid="models-how-copy" checked={how === 'copy'} onChange={() => setHow('copy')} /> Copy it into Infill's models folder (the
          original may then move or go)
        </label>
        <label className="small">
          <input type="radio" name="models-how" data-testid="models-how-link" checked={how === 'link'} onChange={() => setHow('link')} /> Use it where it is
          {nativeDialogs ? '' : ' (inside the workspace folder only, in this browser mode)'}
        </label>
      </div>
      {nativeDialogs ? (
        <button className="tool" data-testid="models-choose-folder" onClick={() => void addFolder()}>
          Choose folder…
        </button>
      ) : (
        <form
          className="models-form"
          onSubmit={(e) => {
            e.preventDefault()
            if (folder.trim()) void addFolder(folder.trim())
          }}
        >
          <input
            data-testid="models-folder"
            placeholder={how === 'copy' ? 'path of the model folder, e.g. /home/you/models/my-model' : 'path inside the workspace folder'}
            value={folder}
            onChange={(e) => setFolder(e.target.value)}
          />
          <button className="tool" type="submit" disabled={!folder.trim()}>
            Add
          </button>
        </form>
      )}

      <h3>Download from the Hugging Face Hub</h3>
      {hub === null ? (
        <p className="muted small" data-testid="models-hub-checking">
          Checking whether the Hub can be reached…
        </p>
      ) : (
        !hub.reachable && (
          <p className="error-text small" data-testid="models-hub-offline" role="status">
            {hub.message}{' '}
            <button className="tool mini" data-testid="models-hub-check" onClick={() => void checkHub()}>
              Check again
            </button>
          </p>
        )
      )}
      {jobs.length > 0 && (
        <ul className="download-list" data-testid="models-downloads">
          {jobs.map((d) => (
            <li key={d.jobId} className="download" data-testid="download" data-phase={d.phase}>
              <div className="model-title">
                <strong>{d.repoId}</strong> <span className="muted small">{d.variant}</span>
              </div>
              {d.phase === 'failed' || d.phase === 'cancelled' ? (
                <div className={d.phase === 'failed' ? 'error-text small' : 'muted small'} data-testid="download-message">
                  {d.message}
                </div>
              ) : d.phase === 'done' ? (
                <div className="small" data-testid="download-message">
                  Installed and verified.{' '}
                  {d.dir && d.dir !== activeDir && (
                    <button className="tool mini" data-testid="download-use" disabled={switching !== null} onClick={() => void use(d.dir!)}>
                      Use it now
                    </button>
                  )}
                </div>
              ) : (
                <>
                  <div className="progress-track" role="progressbar" aria-valuemin={0} aria-valuemax={d.bytesTotal} aria-valuenow={d.bytesDone} data-testid="download-progress">
                    <div className="progress-fill" style={{ transform: `scaleX(${d.bytesTotal > 0 ? d.bytesDone / d.bytesTotal : 0})` }} />
                  </div>
                  <div className="small download-figures" data-testid="download-figures">
                    {downloadLine(d)}
                  </div>
                  <button className="tool mini" data-testid="download-cancel" onClick={() => void act(() => api.invoke('models:cancelDownload', { jobId: d.jobId }))}>
                    Cancel
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <ul className="model-list" data-testid="models-curated">
        {overview?.curated.map((c) => (
          <li key={c.repoId} className="model-row">
            <div className="model-title">
              <strong>{c.title}</strong> <span className="muted small">{c.parameters} parameters</span>
            </div>
            <div className="muted small" title={c.sizeSource ?? 'The size is read from the Hub before the download starts'}>
              {c.repoId} · {c.approxBytes ? `about ${formatBytes(c.approxBytes)} (${c.variant})` : 'size from the Hub'}
            </div>
            <div className="small">{c.note}</div>
            <button
              className="tool mini"
              data-testid="curated-download"
              disabled={hub?.reachable === false}
              title={hub?.reachable === false ? 'The Hub cannot be reached from this computer (see above)' : undefined}
              onClick={() => void download(c.repoId, c.variant)}
            >
              Download {c.variant}
            </button>
          </li>
        ))}
      </ul>
      <form
        className="models-form"
        onSubmit={(e) => {
          e.preventDefault()
          if (repoId.trim()) void download(repoId, variant)
        }}
      >
        <input data-testid="models-repo" placeholder="any repository id, e.g. owner/name" value={repoId} onChange={(e) => setRepoId(e.target.value)} />
        <select data-testid="models-variant" value={variant} onChange={(e) => setVariant(e.target.value as ModelVariantName)} aria-label="Variant">
          {VARIANTS.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
        <button className="tool" type="submit" data-testid="models-download" disabled={!repoId.trim() || hub?.reachable === false}>
          Download
        </button>
      </form>
      {overview && <p className="muted small">Downloads go to {overview.modelsDir}; a file is kept only when it matches the Hub's checksum.</p>}
    </aside>
  )
}
