/**
 * model:tune end to end on a tiny export: decisions logged in a real SQLite store, exported,
 * tuned (VRPO on the standard form, ELBO-KTO on the unpaired form) from the smoke model
 * (models/smoke/model, written by `npm run model:train -- --smoke` before vitest in npm test),
 * and the tuned model loaded and filled by the engine.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING } from '../contract'
import { fillModelOf, runFill } from '../engine/fill'
import { loadModelDir } from '../engine/model-dir'
import { PreferenceStore } from '../store/preference-store'
import { sampleDecision } from '../store/test-fixtures/decisions'
import { findTrainingPython } from './python-tools'
import { runTuneCommand } from './tune-cli'
import { TuneDataError } from './tune-data'
import { prepareTune } from './tune-run'

const root = join(import.meta.dirname, '..', '..')
const smoke = join(root, 'models', 'smoke', 'model')
const smokeValid = join(root, 'models', 'smoke', 'work', 'valid_ids.npy')
const python = findTrainingPython()
const ready = python !== null && existsSync(join(smoke, 'model.onnx'))
if (!ready) console.warn(`tune.int.test: skipped (${python ? `no ${smoke}: run npm run model:train -- --smoke` : 'no Python with torch'})`)

let dir: string
const tiny = { fast: ['--epochs', '1', '--samples', '2', '--batch', '2', '--heldout-share', '0.34', '--valid-ids', smokeValid, '--guard-windows', '4', '--threads', '1'] }

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'infill-tune-'))
  const store = PreferenceStore.open(join(dir, 'prefs.sqlite'))
  const texts = [
    ['The keeper ', 'lit the lamp', ' every night before the storm.'],
    ['She walked ', 'down to the harbour', ' and waited for the boats.'],
    ['In the morning ', 'the village woke', ' to the sound of bells.'],
  ]
  for (let i = 0; i < 6; i++) {
    const [prefix, original, suffix] = texts[i % 3]
    const candidates = ['a much longer and wordier fill than needed', 'short', 'the']
    const action = i % 3 === 2 ? 'rejected_all' : 'accepted'
    store.log(
      sampleDecision({
        requestId: `r${i}`,
        prefix,
        suffix,
        spanOriginal: original,
        candidates,
        action,
        chosenIndex: action === 'accepted' ? 1 : null,
        finalText: action === 'accepted' ? 'short' : original,
      }),
    )
  }
  store.export('standard', join(dir, 'standard.jsonl'))
  store.export('unpaired', join(dir, 'unpaired.jsonl'))
  store.close()
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe.skipIf(!ready)('model:tune on the smoke model', () => {
  it('tunes with VRPO, records the lineage, and the engine fills with the result', { timeout: 300_000 }, async () => {
    const out = join(dir, 'tuned-vrpo')
    const code = runTuneCommand(['--prefs', join(dir, 'standard.jsonl'), '--from', smoke, '--out', out, ...tiny.fast])
    expect(code).toBe(0)
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))
    const t = manifest.tuning
    expect(t.method).toBe('vrpo')
    expect(t.base.hash).toBe(createHash('sha256').update(readFileSync(join(smoke, 'model.onnx'))).digest('hex'))
    expect(t.data.sha256).toBe(createHash('sha256').update(readFileSync(join(dir, 'standard.jsonl'))).digest('hex'))
    expect(t.data.decisions).toBe(6)
    expect(t.data.pairs).toBe(4 * 2 + 2 * 3) // accepted: 2 other candidates each; rejected_all: 3 candidates each
    expect(t.hyperParameters).toMatchObject({ samples: 2, epochs: 1, beta: 0.1 })
    expect(typeof t.figures.cpuSeconds).toBe('number')
    expect(t.figures.validMaskedTokenAccuracy15After).not.toBeNull()

    const model = await loadModelDir(out, { providers: ['cpu'] })
    try {
      expect(model.info.name).toBe(`${JSON.parse(readFileSync(join(smoke, 'manifest.json'), 'utf8')).name}-tuned`)
      const text = 'The keeper lit the lamp every night.'
      const result = await runFill(fillModelOf(model), {
        requestId: 'q',
        text,
        spans: [{ id: 's', from: 11, to: 23 }],
        locked: [],
        settings: { ...DEFAULT_SAMPLING, candidates: 2 },
      })
      expect(result.spans[0].candidates).toHaveLength(2)
    } finally {
      await model.dispose()
    }
  })

  it('tunes with ELBO-KTO on the unpaired form', { timeout: 300_000 }, () => {
    const out = join(dir, 'tuned-kto')
    expect(runTuneCommand(['--prefs', join(dir, 'unpaired.jsonl'), '--from', smoke, '--out', out, '--method', 'kto', ...tiny.fast])).toBe(0)
    const t = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).tuning
    expect(t.method).toBe('kto')
    expect(t.data.forms.unpaired).toBeGreaterThan(0)
  })

  it('never keeps weights below the forgetting guard, even at a learning rate that wrecks the model', { timeout: 300_000 }, () => {
    const out = join(dir, 'tuned-guarded')
    const args = ['--prefs', join(dir, 'standard.jsonl'), '--from', smoke, '--out', out, ...tiny.fast]
    expect(runTuneCommand([...args, '--lr', '0.5', '--epochs', '3', '--evals-per-epoch', '2', '--max-valid-drop', '0'])).toBe(0)
    const t = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).tuning
    expect(t.hyperParameters.maxValidDrop).toBe(0)
    // the guard was measured at every evaluation whose weights would have been kept (a better held-out
    // figure), and only there; the kept weights are at or above the base model's accuracy
    type H = { heldout: { accuracy: number | null; meanMargin: number | null } | null; valid: { accuracy: number } | null }
    let best = [t.figures.heldoutPairAccuracyBefore ?? 0, t.figures.heldoutMeanMarginBefore ?? 0]
    for (const h of t.history as H[]) {
      const s = [h.heldout?.accuracy ?? 0, h.heldout?.meanMargin ?? 0]
      const better = h.heldout === null || s[0] > best[0] || (s[0] === best[0] && s[1] > best[1])
      if (!better) {
        expect(h.valid).toBeNull()
        continue
      }
      expect(h.valid).not.toBeNull()
      if (h.valid!.accuracy >= t.figures.validMaskedTokenAccuracy15Before) best = s
    }
    expect(t.figures.validMaskedTokenAccuracy15After).toBeGreaterThanOrEqual(t.figures.validMaskedTokenAccuracy15Before)
    // the first measurement below the base stopped the run (an LR of 0.5 usually gets there at once)
    const below = (t.history as H[]).findIndex((h) => h.valid !== null && h.valid.accuracy < t.figures.validMaskedTokenAccuracy15Before)
    if (below >= 0) {
      expect(t.stopped).toMatch(/^forgetting guard: validation accuracy/)
      expect(below).toBe(t.history.length - 1)
    }
  })

  it('refuses to overwrite a folder that is not a tuned model', () => {
    const other = join(dir, 'notes')
    mkdirSync(other)
    writeFileSync(join(other, 'keep.txt'), 'mine')
    expect(runTuneCommand(['--prefs', join(dir, 'standard.jsonl'), '--from', smoke, '--out', other, ...tiny.fast])).toBe(1)
    expect(readFileSync(join(other, 'keep.txt'), 'utf8')).toBe('mine')
  })
})

describe('a foreign model', () => {
  it('says that tuning needs the source weights', () => {
    const foreign = join(dir, 'foreign')
    mkdirSync(foreign)
    copyFileSync(join(root, 'models', 'default', 'tokenizer.json'), join(foreign, 'tokenizer.json'))
    writeFileSync(join(foreign, 'model.onnx'), 'not read')
    writeFileSync(join(foreign, 'manifest.json'), JSON.stringify({ name: 'x', family: 'mlm', maxLength: 128, vocabSize: 8192, tokens: { mask: 3, pad: 0 } }))
    expect(() => prepareTune(join(dir, 'standard.jsonl'), foreign)).toThrow(TuneDataError)
    expect(() => prepareTune(join(dir, 'standard.jsonl'), foreign)).toThrow(/tuning needs the model's source weights/)
  })
})
