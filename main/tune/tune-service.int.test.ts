/**
 * The app's tune service on a real preference store: tools missing (the command and what to
 * install), a run on the smoke model to the end (progress, a model folder in the models
 * folder), and a cancelled run (nothing left behind).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TuneState } from '../contract'
import { PreferenceStore } from '../store/preference-store'
import { sampleDecision } from '../store/test-fixtures/decisions'
import { findTrainingPython, TUNE_INSTALL_COMMAND } from './python-tools'
import { TuneService } from './tune-service'

const root = join(import.meta.dirname, '..', '..')
const smoke = join(root, 'models', 'smoke', 'model')
const python = findTrainingPython()
const ready = python !== null && existsSync(join(smoke, 'model.onnx'))

let dir: string
let store: PreferenceStore

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'infill-tune-service-'))
  store = PreferenceStore.open(join(dir, 'prefs.sqlite'))
  for (let i = 0; i < 4; i++) store.log(sampleDecision({ requestId: `r${i}` }))
})
afterAll(() => {
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

function service(states: TuneState[], findPython: () => Promise<string | null>, sub: string) {
  return new TuneService({
    appRoot: root,
    workDir: join(dir, sub, 'tune'),
    modelsDir: join(dir, sub, 'models'),
    prefs: store,
    dbPath: join(dir, 'prefs.sqlite'),
    activeModelDir: () => smoke,
    onState: (s) => states.push(s),
    findPython,
    extraArgs: ['--epochs', '1', '--samples', '2', '--valid-ids', 'none', '--threads', '1'],
  })
}

function settled(states: TuneState[]): Promise<TuneState> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      const last = states[states.length - 1]
      if (last && ['done', 'failed', 'cancelled'].includes(last.phase)) {
        clearInterval(t)
        resolve(last)
      }
    }, 200)
  })
}

describe('the tune service', () => {
  it('shows the command and what to install where the tools are missing', async () => {
    const s = service([], async () => null, 'none')
    const state = await s.current()
    expect(state).toMatchObject({ available: false, install: TUNE_INSTALL_COMMAND, phase: 'idle' })
    expect(state.command).toBe(
      `npm run prefs:export -- --db ${join(dir, 'prefs.sqlite')} --out ${join(dir, 'none', 'tune', 'decisions.jsonl')} && ` +
        `npm run model:tune -- --prefs ${join(dir, 'none', 'tune', 'decisions.jsonl')} --from ${smoke} --out ${join(dir, 'none', 'models', 'tuned')}`,
    )
    await expect(s.start()).rejects.toThrow(/not installed. Install them with: .*python3-torch/)
  })

  it.skipIf(!ready)('tunes in the background, reports progress, and writes into the models folder', { timeout: 300_000 }, async () => {
    const states: TuneState[] = []
    const s = service(states, async () => python, 'run')
    const started = await s.start('vrpo')
    expect(started.phase).toBe('exporting')
    // the smoke model ships no guard set: the service says so before tuning, and again when done
    expect(started.message).toMatch(/^No forgetting guard: .* ships no guard\.npz/)
    await expect(s.start()).rejects.toThrow(/already running/)
    const last = await settled(states)
    expect(last.phase, last.message ?? '').toBe('done')
    expect(states.some((x) => x.phase === 'tuning' && x.totalSteps !== null && x.step !== null)).toBe(true)
    expect(last.outDir).toMatch(/models[\\/]tuned-/)
    expect(last.message).toContain('It was tuned without a forgetting guard.')
    expect(JSON.parse(readFileSync(join(last.outDir!, 'manifest.json'), 'utf8')).tuning.method).toBe('vrpo')
    expect(last.figures?.heldoutPairAccuracyAfter ?? last.figures?.wallSeconds).toBeTypeOf('number')
  })

  it.skipIf(!ready)('cancels a run and leaves no model behind', { timeout: 300_000 }, async () => {
    const states: TuneState[] = []
    const s = service(states, async () => python, 'cancel')
    await s.start('kto')
    const cancelled = s.cancel()
    expect(['exporting', 'reference', 'tuning']).toContain(cancelled.phase)
    const last = await settled(states)
    expect(last.phase).toBe('cancelled')
    const models = join(dir, 'cancel', 'models')
    expect(existsSync(models) ? readdirSync(models) : []).toEqual([])
  })
})
