/** Fills on the real model (in process): spans, insertions, long documents, locked text, determinism. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillRequest, type FillResult, type FillStepEvent, type SamplingSettings, type SpanSpec, type Strategy } from '../contract'
import { applyFills, buildCanvas } from './canvas'
import { wordCount } from './length-target'
import { applyBorderedFills } from './span-borders'
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
    // at most the 8 steps asked for: the end rule reveals a span's pads on the first pass, so
    // the text slots may be decided in fewer (how many depends on the model's pads)
    expect(result.forwardPasses).toBeGreaterThanOrEqual(2)
    expect(result.forwardPasses).toBeLessThanOrEqual(8)
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

  it.each<Strategy>(['low_confidence', 'random', 'maskgit_plus', 'topk_margin', 'entropy', 'threshold', 'origin'])('strategy %s reveals every slot once', async (strategy) => {
    const from = PARAGRAPH.indexOf('went home')
    const spans = [{ id: 's', from, to: from + 9, slots: 5 }]
    const { result, steps } = await fill({ requestId: strategy, text: PARAGRAPH, spans, locked: [], settings: settings({ strategy, steps: 5, blockLength: 2, candidates: 2 }) })
    const reveals = steps.flatMap((s) => s.revealed)
    expect(reveals).toHaveLength(10)
    if (strategy !== 'threshold') expect(result.forwardPasses).toBeLessThanOrEqual(5)
    expectAllCandidatesKeepText(PARAGRAPH, spans, result)
  })

  describe('length control', () => {
    it('a generous budget ends early: pads win where the model prefers them', async () => {
      // one word with room for ten: the fill may end from its second slot on
      const from = PARAGRAPH.indexOf('river')
      const spans = [{ id: 'r', from, to: from + 5, length: { minWords: 1, maxWords: 10 } }]
      const { result } = await fill({ requestId: 'early', text: PARAGRAPH, spans, locked: [], settings: settings({ candidates: 3 }) })
      const span = result.spans[0]
      expect(span.slots).toBeGreaterThanOrEqual(10)
      const used = span.candidates.map((c) => c.tokenIds.length)
      expect(Math.min(...used)).toBeLessThan(span.slots)
    })

    it("'longer' grows past the original and 'shorter' stays under it", async () => {
      const original = 'He watched the water for a long time'
      const from = PARAGRAPH.indexOf(original)
      const to = from + original.length
      const originalTokens = model.codec.encode(' ' + original).length
      const longer = await fill({ requestId: 'longer', text: PARAGRAPH, spans: [{ id: 's', from, to, length: 'longer' }], locked: [], settings: settings({ candidates: 2 }) })
      expect(longer.result.spans[0].slots).toBeGreaterThan(originalTokens)
      for (const c of longer.result.spans[0].candidates) expect(c.tokenIds.length).toBeGreaterThan(originalTokens)
      const shorter = await fill({ requestId: 'shorter', text: PARAGRAPH, spans: [{ id: 's', from, to, length: 'shorter' }], locked: [], settings: settings({ candidates: 2 }) })
      expect(shorter.result.spans[0].slots).toBeLessThan(originalTokens)
      for (const c of shorter.result.spans[0].candidates) expect(wordCount(c.text)).toBeLessThan(wordCount(original))
    })
  })

  it('a later window sees the fills of earlier windows (same candidate)', async () => {
    // a document just over one window: the last span's window, pushed left by the end of the
    // text, reaches back over the first span
    const text = longDocument(230)
    const a = { id: 'a', from: text.indexOf('the', 60), to: text.indexOf('the', 60) + 3 }
    const lastThe = text.lastIndexOf(' the ') + 1
    const b = { id: 'b', from: lastThe, to: lastThe + 3 }
    const canvas = buildCanvas(text, [a, b], [], model.codec, { maxLength: model.info.maxLength, maskId: model.maskId })
    expect(canvas.windows).toHaveLength(2)
    const w2 = canvas.windows[1]
    const from2 = canvas.spans[1].start - (w2.spans[0].offset - model.codec.wrap.prefix.length)
    const aPos = Array.from({ length: canvas.spans[0].slots }, (_, k) => model.codec.wrap.prefix.length + canvas.spans[0].start + k - from2)
    expect(aPos.every((p) => p >= model.codec.wrap.prefix.length && w2.ids[p] === model.maskId)).toBe(true)

    const inputs: number[][] = []
    const spy: FillModel = {
      ...model,
      denoise: async (ids, batch, length) => {
        for (let r = 0; r < batch; r++) inputs.push(Array.from(ids.subarray(r * length, (r + 1) * length), Number))
        return model.denoise(ids, batch, length)
      },
    }
    const result = await runFill(spy, { requestId: 'cross', text, spans: [a, b], locked: [], settings: settings({ candidates: 2 }) })
    const rows = inputs.filter((row) => row.length === w2.ids.length && row.every((t, i) => aPos.includes(i) || t === w2.ids[i])).slice(0, 2)
    expect(rows).toHaveLength(2)
    for (const c of [0, 1]) {
      const seen = aPos.map((p) => rows[c][p])
      expect(seen).not.toContain(model.maskId)
      expect(seen.filter((t) => t !== model.padId)).toEqual(result.spans[0].candidates[c].tokenIds)
    }
  })

  it('greedy candidates are different fills, not copies', async () => {
    const from = PARAGRAPH.indexOf('sat on the bank')
    const spans = [{ id: 's', from, to: from + 'sat on the bank'.length }]
    const { result } = await fill({ requestId: 'greedy', text: PARAGRAPH, spans, locked: [], settings: settings({ strategy: 'low_confidence', temperature: 0, candidates: 3 }) })
    expect(new Set(result.spans[0].candidates.map((c) => c.tokenIds.join())).size).toBe(3)
  })

  it('border spaces follow the fill: a span at a line start never starts with a space, and no double spaces appear', async () => {
    const from = PARAGRAPH.indexOf('In the morning')
    const spans = [
      { id: 'start', from, to: from + 'In the morning'.length },
      { id: 'mid', from: PARAGRAPH.indexOf('had not'), to: PARAGRAPH.indexOf('had not') + 7, length: 'shorter' as const },
    ]
    const { result } = await fill({ requestId: 'borders', text: PARAGRAPH, spans, locked: [], settings: settings({ candidates: 4, temperature: 1 }) })
    for (let c = 0; c < 4; c++) {
      const fills = new Map(result.spans.map((s) => [s.spanId, { text: s.candidates[c].text, trimBefore: s.candidates[c].trimBefore ?? 0 }]))
      expect(fills.get('start')!.text.startsWith(' ')).toBe(false)
      const doc = applyBorderedFills(PARAGRAPH, spans, fills)
      expect(doc).not.toMatch(/ {2}|\n | \n/)
    }
  })
})

