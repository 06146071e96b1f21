/** Fills on the real model (in process): spans, insertions, long documents, locked text, determinism. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillRequest, type FillResult, type FillStepEvent, type SamplingSettings, type SpanSpec, type Strategy } from '../contract'
import { applyFills, buildCanvas } from './canvas'
import { fillModelOf, runFill, type FillModel } from './fill'
import { loadModelDir, type LoadedModel } from './model-dir'
import { resolveTestModel } from './model-paths'

const modelDir = resolveTestModel()

const PARAGRAPH =
  'The old man walked down to the river and sat on the bank. He watched the water for a long time, and then he went home to his wife.\n\n' +
  'In the morning the town was quiet. The bells had not yet rung, and the streets were empty except for a dog that slept by the well.'

/** A deterministic document of `words` words built from varied sentences. */
function longDocument(words: number): string {
  const subjects = ['The farmer', 'A young woman', 'The captain', 'Her brother', 'The old teacher', 'A stranger', 'The children', 'My neighbour']
  const verbs = ['walked to', 'looked at', 'spoke about', 'wrote to', 'thought of', 'returned to', 'painted', 'remembered']
  const objects = ['the harbour', 'the long road', 'a letter from home', 'the quiet church', 'the winter fields', 'the market square', 'an empty house', 'the river bank']
  const tails = ['before dawn', 'in the evening', 'with great care', 'for many years', 'without a word', 'after the storm', 'once again', 'at last']
  const out: string[] = []
  let count = 0
  for (let i = 0; count < words; i++) {
    const s = `${subjects[i % 8]} ${verbs[(i * 3) % 8]} ${objects[(i * 5 + 1) % 8]} ${tails[(i * 7 + 2) % 8]}.`
    out.push(s)
    count += s.split(' ').length
    if (i % 6 === 5) out.push('\n\n')
  }
  return out.join(' ').replace(/ \n\n /g, '\n\n')
}

/** Checks that `filled` equals `text` outside the spans, byte for byte, and returns the fills found. */
function expectOutsideUnchanged(text: string, spans: readonly SpanSpec[], fills: ReadonlyMap<string, string>, filled: string): void {
  const ordered = [...spans].sort((a, b) => a.from - b.from)
  let cursorText = 0
  let cursorFilled = 0
  for (const s of ordered) {
    const before = text.slice(cursorText, s.from)
    expect(filled.slice(cursorFilled, cursorFilled + before.length)).toBe(before)
    cursorFilled += before.length + fills.get(s.id)!.length
    cursorText = s.to
  }
  expect(filled.slice(cursorFilled)).toBe(text.slice(cursorText))
}

function settings(s: Partial<SamplingSettings> = {}): SamplingSettings {
  return { ...DEFAULT_SAMPLING, ...s }
}

describe.skipIf(!modelDir)('runFill on the test model', () => {
  let loaded: LoadedModel
  let model: FillModel

  beforeAll(async () => {
    loaded = await loadModelDir(modelDir!, { providers: ['cpu'] })
    model = fillModelOf(loaded)
  })
  afterAll(async () => {
    await loaded?.dispose()
  })

  async function fill(request: FillRequest): Promise<{ result: FillResult; steps: FillStepEvent[] }> {
    const steps: FillStepEvent[] = []
    const result = await runFill(model, request, { onStep: (e) => steps.push(e) })
    return { result, steps }
  }

  /** Every candidate's filled document keeps the text outside its spans. */
  function expectAllCandidatesKeepText(text: string, spans: SpanSpec[], result: FillResult) {
    for (let c = 0; c < result.settings.candidates; c++) {
      const fills = new Map(result.spans.map((s) => [s.spanId, s.candidates[c].text]))
      expectOutsideUnchanged(text, spans, fills, applyFills(text, spans, fills))
    }
  }

  it('fills one span and streams every reveal', async () => {
    const from = PARAGRAPH.indexOf('river')
    const spans = [{ id: 'river', from, to: from + 5 }]
    const { result, steps } = await fill({ requestId: 'one', text: PARAGRAPH, spans, locked: [], settings: settings({ candidates: 2 }) })
    const span = result.spans[0]
    expect(span).toMatchObject({ spanId: 'river', original: 'river' })
    expect(span.candidates).toHaveLength(2)
    expect(result.forwardPasses).toBe(steps.length)
    const reveals = steps.flatMap((s) => s.revealed)
    expect(reveals).toHaveLength(span.slots * 2)
    for (let c = 0; c < 2; c++) {
      const slots = reveals.filter((r) => r.candidate === c).map((r) => r.slot)
      expect(slots.sort((a, b) => a - b)).toEqual(Array.from({ length: span.slots }, (_, i) => i))
      const nonPad = reveals.filter((r) => r.candidate === c && !r.pad).sort((a, b) => a.slot - b.slot)
      expect(span.candidates[c].tokenIds).toEqual(nonPad.map((r) => r.tokenId))
    }
    expect(steps[steps.length - 1].remaining).toEqual({ river: 0 })
    expect(reveals.every((r) => r.confidence > 0 && r.confidence <= 1)).toBe(true)
    expectAllCandidatesKeepText(PARAGRAPH, spans, result)
  })

  it('fills three spans jointly, leaving locked text byte-identical', async () => {
    const at = (w: string) => PARAGRAPH.indexOf(w)
    const spans = [
      { id: 'a', from: at('walked'), to: at('walked') + 6 },
      { id: 'b', from: at('for a long time'), to: at('for a long time') + 15, slots: 6 },
      { id: 'c', from: at('quiet'), to: at('quiet') + 5 },
    ]
    const locked = [
      { from: 0, to: spans[0].from },
      { from: spans[0].to, to: spans[1].from },
      { from: spans[1].to, to: spans[2].from },
      { from: spans[2].to, to: PARAGRAPH.length },
    ]
    const { result } = await fill({ requestId: 'three', text: PARAGRAPH, spans, locked, settings: settings({ strategy: 'low_confidence', steps: 8, candidates: 3 }) })
    expect(result.spans.map((s) => s.spanId)).toEqual(['a', 'b', 'c'])
    expect(result.spans[1].slots).toBe(6)
    expect(result.forwardPasses).toBe(8)
    expectAllCandidatesKeepText(PARAGRAPH, spans, result)
  })

  it('refuses an insertion point inside locked text', async () => {
    const at = PARAGRAPH.indexOf(' He watched')
    const req: FillRequest = { requestId: 'bad', text: PARAGRAPH, spans: [{ id: 'ins', from: at, to: at, slots: 2 }], locked: [{ from: 0, to: PARAGRAPH.length }], settings: settings() }
    await expect(runFill(model, req)).rejects.toThrow(/overlaps locked text/)
  })

  it('fills an insertion point with the requested slots', async () => {
    const at = PARAGRAPH.indexOf(' He watched')
    const spans = [{ id: 'ins', from: at, to: at, slots: 6 }]
    const { result } = await fill({ requestId: 'ins', text: PARAGRAPH, spans, locked: [{ from: 0, to: at }, { from: at, to: PARAGRAPH.length }], settings: settings({ candidates: 2 }) })
    expect(result.spans[0]).toMatchObject({ original: '', slots: 6 })
    for (const c of result.spans[0].candidates) expect(c.tokenIds.length).toBeLessThanOrEqual(6)
    expectAllCandidatesKeepText(PARAGRAPH, spans, result)
  })

  it('fills spans across a 20,000-word document in separate windows', async () => {
    const text = longDocument(20_000)
    expect(text.split(/\s+/).length).toBeGreaterThanOrEqual(20_000)
    const pick = (frac: number) => {
      const from = text.indexOf('the', Math.floor(text.length * frac))
      return { from, to: from + 3 }
    }
    const spans = [
      { id: 'start', ...pick(0.001) },
      { id: 'middle', ...pick(0.5) },
      { id: 'middle2', from: pick(0.5).from + 20, to: pick(0.5).from + 20, slots: 4 },
      { id: 'end', ...pick(0.995) },
    ]
    const locked = [{ from: 0, to: spans[0].from }, { from: spans[3].to, to: text.length }]
    const canvas = buildCanvas(text, spans, locked, model.codec, { maxLength: model.info.maxLength, maskId: model.maskId })
    expect(canvas.windows).toHaveLength(3)
    expect(canvas.windows.every((w) => w.ids.length <= model.info.maxLength)).toBe(true)
    const { result, steps } = await fill({ requestId: 'long', text, spans, locked, settings: settings({ candidates: 1 }) })
    expect(result.spans).toHaveLength(4)
    expect(steps[steps.length - 1].remaining).toEqual({ start: 0, middle: 0, middle2: 0, end: 0 })
    expectAllCandidatesKeepText(text, spans, result)
  })

  it('is deterministic for a fixed seed', async () => {
    const from = PARAGRAPH.indexOf('quiet')
    const req: FillRequest = {
      requestId: 'det',
      text: PARAGRAPH,
      spans: [
        { id: 'x', from, to: from + 5, slots: 4 },
        { id: 'y', from: 10, to: 10, slots: 3 },
      ],
      locked: [],
      settings: settings({ temperature: 1, topP: 0.9, seed: 1234, candidates: 3 }),
    }
    const a = await fill(req)
    const b = await fill(req)
    expect(b.result.spans).toEqual(a.result.spans)
    expect(b.steps.map((s) => s.revealed)).toEqual(a.steps.map((s) => s.revealed))
  })

  it.each<Strategy>(['low_confidence', 'random', 'maskgit_plus', 'topk_margin', 'entropy', 'threshold'])('strategy %s reveals every slot once', async (strategy) => {
    const from = PARAGRAPH.indexOf('went home')
    const spans = [{ id: 's', from, to: from + 9, slots: 5 }]
    const { result, steps } = await fill({ requestId: strategy, text: PARAGRAPH, spans, locked: [], settings: settings({ strategy, steps: 5, blockLength: 2, candidates: 2 }) })
    const reveals = steps.flatMap((s) => s.revealed)
    expect(reveals).toHaveLength(10)
    if (strategy !== 'threshold') expect(result.forwardPasses).toBeLessThanOrEqual(5)
    expectAllCandidatesKeepText(PARAGRAPH, spans, result)
  })
})
