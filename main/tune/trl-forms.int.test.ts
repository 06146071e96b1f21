/**
 * The exports proven (issue 24 item 6): each form a writer can hand to TRL (standard and
 * conversational for its DPO trainer, unpaired for its KTO trainer), written by the real
 * preference store, is read the way TRL reads it (models/train/trl_forms.py read: Arrow's one
 * type per field, is_conversational, maybe_extract_prompt, maybe_apply_chat_template, the
 * trainers' columns), and what TRL sees is exactly the context and texts the writer judged.
 * Then the decisions rebuilt from TRL's view ALONE (its prompt, chosen/rejected or
 * completion/label) are encoded by the engine's canvas and one optimizer step of the project's
 * own loss runs on them (trl_forms.py step: VRPO, or ELBO-KTO with KTO's reference point).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenizerCodec } from '../engine/text-codec'
import { FILL_CUE, FILL_INSTRUCTION, FILL_MARKER } from '../store/export-lines'
import { PreferenceStore } from '../store/preference-store'
import { sampleDecision } from '../store/test-fixtures/decisions'
import { findTrainingPython } from './python-tools'
import type { TuneData, TuneDecision } from './tune-data'
import { encodeTuneData } from './tune-encode'

const root = join(import.meta.dirname, '..', '..')
const model = join(root, 'models', 'default')
const script = join(root, 'models', 'train', 'trl_forms.py')
const python = findTrainingPython()
const ready = python !== null && existsSync(join(model, 'model.onnx'))
if (!ready) console.warn('trl-forms.int.test: skipped (no Python with torch, or no models/default)')

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'infill-trl-'))
  const store = PreferenceStore.open(join(dir, 'prefs.sqlite'))
  const spans = [
    ['The keeper ', 'lit the lamp', ' every night before the storm.'],
    ['She walked ', 'down to the harbour', ' and waited for the boats.'],
    ['In the morning ', 'the village woke', ' to the sound of bells.'],
  ]
  for (let i = 0; i < 6; i++) {
    const [prefix, original, suffix] = spans[i % 3]
    const candidates = ['a much longer and wordier fill', 'quietly', 'the old bell']
    const action = (['accepted', 'accepted_edited', 'rejected_all'] as const)[i % 3]
    store.log(
      sampleDecision({
        requestId: `r${i}`,
        documentId: `doc${i}`,
        prefix: `Day ${i + 1}. ${prefix}`, // six contexts: TRL's rows know a decision by its prompt only
        suffix,
        spanOriginal: original,
        candidates,
        action,
        chosenIndex: action === 'rejected_all' ? null : 1,
        finalText: action === 'accepted' ? 'quietly' : action === 'accepted_edited' ? 'quietly again' : original,
      }),
    )
  }
  for (const f of ['standard', 'conversational', 'unpaired'] as const) store.export(f, join(dir, `${f}.jsonl`))
  store.close()
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function py(args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(python!, [script, ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } })
  return { status: r.status, out: r.stdout, err: r.stderr }
}

/** The writer's context back out of TRL's prompt (the documented templates; chat-templated for the conversational form). */
function contextOf(prompt: string, conversational: boolean): { prefix: string; suffix: string } {
  const head = conversational ? `<|user|>\n${FILL_INSTRUCTION} Answer with those words only.\n\n` : `${FILL_INSTRUCTION}\n\n`
  const tail = conversational ? '<|end|>\n<|assistant|>\n' : `\n\n${FILL_CUE}\n`
  expect(prompt.startsWith(head)).toBe(true)
  expect(prompt.endsWith(tail)).toBe(true)
  const body = prompt.slice(head.length, prompt.length - tail.length)
  const at = body.indexOf(FILL_MARKER)
  expect(at).toBeGreaterThanOrEqual(0)
  return { prefix: body.slice(0, at), suffix: body.slice(at + FILL_MARKER.length) }
}

/** TuneData from TRL's rows alone (decisions keyed by prompt). */
function decisionsFromTrl(rows: Record<string, unknown>[], conversational: boolean): TuneData {
  const strip = (t: string) => (conversational ? t.replace(/<\|end\|>\n$/, '') : t)
  const byPrompt = new Map<string, TuneDecision>()
  const textOf = (d: TuneDecision, text: string, preferred: boolean) => {
    let i = d.texts.findIndex((t) => t.text === text)
    if (i < 0) i = d.texts.push({ text, preferred: false }) - 1
    if (preferred) d.texts[i].preferred = true
    return i
  }
  for (const r of rows) {
    const prompt = r.prompt as string
    let d = byPrompt.get(prompt)
    if (!d) {
      d = { group: `g${byPrompt.size}`, document: `g${byPrompt.size}`, ...contextOf(prompt, conversational), texts: [], pairs: [] }
      byPrompt.set(prompt, d)
    }
    if ('completion' in r) textOf(d, strip(r.completion as string), r.label as boolean)
    else d.pairs.push([textOf(d, strip(r.chosen as string), true), textOf(d, strip(r.rejected as string), false)])
  }
  for (const d of byPrompt.values())
    if (d.pairs.length === 0) {
      const c = d.texts.findIndex((t) => t.preferred)
      d.texts.forEach((_, j) => c >= 0 && j !== c && d.pairs.push([c, j]))
    }
  return { decisions: [...byPrompt.values()], lines: rows.length, forms: { standard: 0, implicit: 0, unpaired: 0, conversational: 0 } }
}

describe.skipIf(!ready)('the exports read as TRL reads them, then one step of the project loss', () => {
  const cases = [
    { form: 'standard', trainer: 'dpo', loss: 'vrpo', conversational: false },
    { form: 'conversational', trainer: 'dpo', loss: 'vrpo', conversational: true },
    { form: 'unpaired', trainer: 'kto', loss: 'kto', conversational: false },
  ] as const
  for (const c of cases)
    it(`${c.form} -> TRL's ${c.trainer.toUpperCase()} trainer's view -> one ${c.loss} step`, { timeout: 240_000 }, () => {
      const file = join(dir, `${c.form}.jsonl`)
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      const r = py(['read', '--trainer', c.trainer, file])
      expect(r.status, r.err).toBe(0)
      const rows = JSON.parse(r.out) as Record<string, unknown>[]
      expect(rows).toHaveLength(lines.length)
      // what TRL sees is what the writer judged: the context around the blank and the texts
      rows.forEach((row, i) => {
        const l = lines[i]
        expect(contextOf(row.prompt as string, c.conversational)).toEqual({ prefix: l.prefix, suffix: l.suffix })
        const text = (v: unknown) => (c.conversational ? (v as { role: string; content: string }[])[0].content : v)
        if (c.trainer === 'dpo') {
          expect(row.chosen).toBe(c.conversational ? `${text(l.chosen)}<|end|>\n` : l.chosen)
          expect(row.rejected).toBe(c.conversational ? `${text(l.rejected)}<|end|>\n` : l.rejected)
        } else {
          expect(row.completion).toBe(l.completion)
          expect(row.label).toBe(l.label)
        }
      })
      // the decisions rebuilt from TRL's view alone, encoded by the engine's canvas, one step of the loss
      const data = decisionsFromTrl(rows, c.conversational)
      expect(data.decisions).toHaveLength(6)
      const codec = new TokenizerCodec(JSON.parse(readFileSync(join(model, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(model, 'tokenizer_config.json'), 'utf8')))
      const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'))
      const encoded = encodeTuneData(data, { codec, maskId: manifest.tokens.mask, padId: manifest.tokens.pad, contextLength: manifest.maxLength })
      expect(encoded.skipped).toEqual([])
      const encPath = join(dir, `${c.form}.encoded.json`)
      writeFileSync(encPath, JSON.stringify(encoded))
      const s = py(['step', '--encoded', encPath, '--from', model, '--loss', c.loss])
      expect(s.status, s.err).toBe(0)
      const step = JSON.parse(s.out)
      expect(step.finite).toBe(true)
      expect(step.moved).toBe(true)
      expect(step.decisions).toBe(6)
      expect(step.pairs).toBeGreaterThan(0)
    })

  it('TRL refuses a line without its trainer\'s columns, and a field whose type changes between lines', () => {
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(bad, JSON.stringify({ prompt: 'p', chosen: 'a' }) + '\n')
    expect(py(['read', '--trainer', 'dpo', bad]).err).toMatch(/needs prompt, chosen, rejected; missing rejected/)
    writeFileSync(bad, [{ prompt: 'p', completion: 'a', label: true }, { prompt: 'p', completion: 'b', label: 'no' }].map((x) => JSON.stringify(x)).join('\n'))
    expect(py(['read', '--trainer', 'kto', bad]).err).toMatch(/field \.label holds a bool on one line and a string/)
  })
})
