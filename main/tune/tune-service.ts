/**
 * "Tune on my decisions" in the app: exports the preference log, tunes the active model in a
 * background Python process (models/train/tune.py, --json-progress), reports progress as
 * TuneState, can be cancelled, and writes the tuned model into the user's models folder,
 * where the model manager lists it. Where the training tools are missing, the state carries
 * the exact command and what to install instead.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { TuneMethod, TuneState } from '../contract'
import type { PreferenceGateway } from '../services/gateways'
import { findTrainingPythonAsync, TUNE_INSTALL_COMMAND } from './python-tools'
import { TuneDataError } from './tune-data'
import { checkOutDir, GUARD_FILE, prepareTune, tuneScript } from './tune-run'
import { sweepStaleTuneDirs } from './tune-temp'

export interface TuneServiceOptions {
  appRoot: string
  /** Where exports go (<user data>/tune). */
  workDir: string
  /** Where tuned models go (<user data>/models): the model manager lists that folder. */
  modelsDir: string
  prefs: Pick<PreferenceGateway, 'export'>
  /** The preference log's file (for the command shown where the tools are missing). */
  dbPath: string
  /** The model the engine has loaded (the one to tune), or null. */
  activeModelDir: () => string | null
  onState: (state: TuneState) => void
  /** The Python to use; default: the first with torch ($INFILL_PYTHON, /usr/bin/python3, python3). */
  findPython?: () => Promise<string | null>
  /** Extra tune.py arguments (tests: a tiny run); default: $INFILL_TUNE_ARGS split on spaces. */
  extraArgs?: string[]
  /** Date for folder names (tests). */
  now?: () => Date
}

/** Human sentence of one tune.py progress event, and the phase it means. */
function describe(event: Record<string, unknown>): { phase: TuneState['phase']; message: string; step?: number; total?: number } | null {
  switch (event.event) {
    case 'data':
      return { phase: 'reference', message: `${event.decisions} decisions, ${event.pairs} pairs (${event.heldout} decisions held out)` }
    case 'reference':
      return { phase: 'reference', message: `Reference model: ${event.done} of ${event.total} decisions scored` }
    case 'guard':
      return event.guarded
        ? { phase: 'reference', message: `Forgetting guard: ${event.windows} held-out windows (${event.maskedTokens} masked tokens) from ${event.note}` }
        : { phase: 'reference', message: `No forgetting guard: ${event.note}` }
    case 'step':
      return { phase: 'tuning', message: `Tuning: step ${event.step} of ${event.total}`, step: Number(event.step), total: Number(event.total) }
    case 'eval': {
      const h = event.heldout as { accuracy?: number | null } | null
      return { phase: 'tuning', message: h?.accuracy != null ? `Held-out pair accuracy ${(100 * h.accuracy).toFixed(0)}%` : 'Evaluated' }
    }
    case 'after':
      return { phase: 'writing', message: 'Writing the tuned model' }
    default:
      return null
  }
}

export class TuneService {
  private state: TuneState
  private child: ChildProcess | null = null
  private cancelled = false
  private python: string | null = null
  private found: Promise<string | null> | null = null
  /** Removes the running tune's encoded decisions (null when none runs). */
  private cleanupRun: (() => void) | null = null

  constructor(private readonly o: TuneServiceOptions) {
    // A host that was killed during a tune left its encoded decisions behind: remove them now.
    sweepStaleTuneDirs()
    this.state = { available: false, install: null, command: this.commandFor(null), phase: 'idle', step: null, totalSteps: null, message: null, outDir: null, figures: null }
  }

  /** Looks for the training tools once (in the background: importing torch takes seconds). */
  private async tools(): Promise<Pick<TuneState, 'available' | 'install'>> {
    this.found ??= (this.o.findPython ?? findTrainingPythonAsync)()
    this.python = await this.found
    return this.toolsNow()
  }

  private toolsNow(): Pick<TuneState, 'available' | 'install'> {
    return { available: this.python !== null, install: this.python === null ? TUNE_INSTALL_COMMAND : null }
  }

  /** The command line a writer runs by hand (export first with prefs:export). */
  private commandFor(method: TuneMethod | null): string {
    const model = this.o.activeModelDir() ?? 'models/default'
    const q = (p: string) => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`)
    const prefs = join(this.o.workDir, 'decisions.jsonl')
    return (
      `npm run prefs:export -- --db ${q(this.o.dbPath)} --out ${q(prefs)} && ` +
      `npm run model:tune -- --prefs ${q(prefs)} --from ${q(model)} --out ${q(join(this.o.modelsDir, 'tuned'))}` +
      (method && method !== 'vrpo' ? ` --method ${method}` : '')
    )
  }

  /** The state, once the tools have been looked for. */
  async current(): Promise<TuneState> {
    await this.tools()
    return this.snapshot()
  }

  private snapshot(): TuneState {
    return { ...this.state, ...this.toolsNow(), command: this.commandFor(null) }
  }

  private set(patch: Partial<TuneState>): void {
    this.state = { ...this.state, ...patch }
    this.o.onState(this.snapshot())
  }

  /** Starts a run; throws when one is running, the tools are missing, or the log has nothing to tune on. */
  async start(method: TuneMethod = 'vrpo'): Promise<TuneState> {
    if (this.child) throw new Error('A tune is already running; cancel it or wait for it to finish.')
    const { available, install } = await this.tools()
    if (this.child) throw new Error('A tune is already running; cancel it or wait for it to finish.')
    if (!available || !this.python) throw new Error(`The training tools are not installed. Install them with: ${install}`)
    const base = this.o.activeModelDir()
    if (!base) throw new Error('No model is loaded; load the model to tune first.')
    const stamp = (this.o.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-')
    mkdirSync(this.o.workDir, { recursive: true })
    mkdirSync(this.o.modelsDir, { recursive: true })
    const prefsPath = join(this.o.workDir, `decisions-${stamp}.jsonl`)
    const outDir = join(this.o.modelsDir, `tuned-${stamp}`)
    // The forgetting guard: the model's guard.npz (tune.py finds it); a model without one says so before tuning.
    const guarded = existsSync(join(base, GUARD_FILE))
    const guardNote = guarded ? null : `${base} ships no ${GUARD_FILE}, so this tune cannot check that the model keeps what it knew.`
    this.set({
      phase: 'exporting',
      message: guardNote ? `No forgetting guard: ${guardNote} Exporting the preference log` : 'Exporting the preference log',
      step: null,
      totalSteps: null,
      outDir: null,
      figures: null,
    })
    let prepared
    try {
      const { lines } = this.o.prefs.export(method === 'kto' ? 'unpaired' : 'standard', prefsPath)
      if (lines === 0) throw new TuneDataError('The preference log holds no decisions to tune on yet: accept, edit or reject some fills first.')
      checkOutDir(outDir, base)
      prepared = prepareTune(prefsPath, base)
    } catch (e) {
      this.set({ phase: 'failed', message: (e as Error).message })
      throw e
    }
    const args = [tuneScript(this.o.appRoot), '--prefs', prefsPath, '--from', base, '--out', outDir, '--method', method, '--encoded', prepared.encodedPath, '--json-progress', ...(this.o.extraArgs ?? (process.env.INFILL_TUNE_ARGS ?? '').split(/\s+/).filter(Boolean))]
    const child = spawn(this.python, args, { cwd: this.o.appRoot, env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' }, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    this.cleanupRun = prepared.cleanup
    this.cancelled = false
    let stderr = ''
    let buffered = ''
    let figures: TuneState['figures'] = null
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        let event: Record<string, unknown>
        try {
          event = JSON.parse(line)
        } catch {
          continue
        }
        if (event.event === 'done') {
          figures = {}
          for (const [k, v] of Object.entries(event)) if (typeof v === 'number') figures[k] = v
        }
        const d = describe(event)
        if (d) this.set({ phase: d.phase, message: d.message, ...(d.step !== undefined ? { step: d.step, totalSteps: d.total ?? null } : {}) })
      }
    })
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000)
    })
    let finished = false
    const finish = (code: number | null, error?: Error) => {
      if (finished) return
      finished = true
      this.child = null
      this.cleanupRun = null
      prepared.cleanup()
      if (this.cancelled) {
        rmSync(outDir, { recursive: true, force: true })
        rmSync(`${outDir}.partial`, { recursive: true, force: true })
        this.set({ phase: 'cancelled', message: 'Tuning cancelled; nothing was written.' })
      } else if (code === 0) {
        const f = figures as Record<string, number> | null
        const guard =
          f && typeof f.validMaskedTokenAccuracy15Before === 'number' && typeof f.validMaskedTokenAccuracy15After === 'number'
            ? ` Forgetting guard: ${(100 * f.validMaskedTokenAccuracy15Before).toFixed(1)}% -> ${(100 * f.validMaskedTokenAccuracy15After).toFixed(1)}% of the held-out words.`
            : ' It was tuned without a forgetting guard.'
        this.set({ phase: 'done', message: `Tuned model written to ${outDir}; choose it under Models.${guard}`, outDir, figures })
      } else {
        const reason = error?.message ?? (stderr.trim().split('\n').filter(Boolean).pop() || `tune.py exited with ${code}`)
        this.set({ phase: 'failed', message: reason.replace(/^model:tune: /, '') })
      }
    }
    child.on('error', (e) => finish(null, e))
    child.on('close', (code) => finish(code))
    return this.snapshot()
  }

  /** Stops the running tune (its partial output is removed). */
  cancel(): TuneState {
    if (this.child) {
      this.cancelled = true
      this.child.kill('SIGTERM')
    }
    return this.snapshot()
  }

  /** Stops a running tune and removes its encoded decisions now (the host may exit before the child has). */
  dispose(): void {
    this.cancel()
    this.cleanupRun?.()
    this.cleanupRun = null
  }
}
