/**
 * BERT-family models (issue 13 §2) on the fixture directories built by
 * scripts/fixtures/make-fixture-models.py: a WordPiece BERT Optimum export (lowercasing,
 * accent-stripping normalizer, [CLS] $A [SEP] template, token_type_ids) and a byte-level
 * BPE ModernBERT-style export (padded logits). Their output bias favours every special
 * token, so a fill that let one through would show it.
 */
import { spawnSync as spawnSyncNow } from 'node:child_process'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillRequest, type SamplingSettings, type SpanSpec } from '../contract'
import { applyFills } from './canvas'
import { ModelDirError } from './errors'
import { fillModelOf, runFill, type FillModel } from './fill'
import { loadModelDir, type LoadedModel } from './model-dir'
import { resolveAppRoot } from './model-paths'

const FIXTURES = join(resolveAppRoot(), 'models', 'fixtures')
const SPECIAL_TEXT = /\[(CLS|SEP|MASK|PAD|UNK|unused\d+)\]|<\|endoftext\|>|\uFFFD/

const TEXT =
  'Café Müller IS the best place in town. The old man walked down to the river, and he WATCHED the water.\n\n' +
  'Literal [MASK] and [CLS] and <mask> stay text; naïve Ärger façade.'

/** Spans of every kind: mid-word insertion, a word after a space, the first and the last word, a phrase. */
function spansOf(text: string): SpanSpec[] {
  const at = (w: string) => text.indexOf(w)
  return [
    { id: 'first', from: 0, to: 4 },
    { id: 'midword', from: at('walked') + 4, to: at('walked') + 4, slots: 2 },
    { id: 'word', from: at('river'), to: at('river') + 5 },
    { id: 'phrase', from: at('the best place'), to: at('the best place') + 14, slots: 5 },
    { id: 'last', from: text.length - 7, to: text.length - 1 },
  ]
}

/** The filled document equals the text outside every span, byte for byte. */
function expectFixedTextKept(text: string, spans: readonly SpanSpec[], fills: Map<string, string>): void {
  const filled = applyFills(text, spans, fills)
  const ordered = [...spans].sort((a, b) => a.from - b.from)
  let t = 0
  let f = 0
  for (const s of ordered) {
    const before = text.slice(t, s.from)
    expect(filled.slice(f, f + before.length)).toBe(before)
    f += before.length + fills.get(s.id)!.length
    t = s.to
  }
  expect(filled.slice(f)).toBe(text.slice(t))
}

for (const fixture of ['bert-wordpiece', 'modernbert-bpe'] as const) {
  describe(`fixture ${fixture}`, () => {
    let loaded: LoadedModel
    let model: FillModel
    const feedNames: string[][] = []
    const windows: Int32Array[] = []
    beforeAll(async () => {
      loaded = await loadModelDir(join(FIXTURES, fixture), { providers: ['cpu'] })
      // Record what the engine feeds the graph.
      const session = loaded.denoiser.session
      const run = session.run.bind(session)
      session.run = ((feeds: Record<string, unknown>, ...rest: unknown[]) => {
        feedNames.push(Object.keys(feeds).sort())
        return (run as (...a: unknown[]) => unknown)(feeds, ...rest)
      }) as typeof session.run
      const base = fillModelOf(loaded)
      model = {
        ...base,
        denoise: (ids, batch, length) => {
          windows.push(Int32Array.from(ids.subarray(0, length), Number))
          return base.denoise(ids, batch, length)
        },
      }
    })
    afterAll(async () => {
      await loaded?.dispose()
    })

    it("takes the model's own window from config.json and the tokenizer's [CLS] … [SEP] template", () => {
      expect(loaded.info.maxLength).toBe(fixture === 'bert-wordpiece' ? 128 : 512)
      const id = (t: string) => loaded.codec.idOf(t)
      expect(loaded.codec.wrap).toEqual({ prefix: [id('[CLS]')], suffix: [id('[SEP]')] })
      expect(loaded.manifest.tokens).toMatchObject({ mask: id('[MASK]'), pad: id('[PAD]'), eos: id('[SEP]'), unk: id('[UNK]') })
    })

    it('fills keep all fixed text byte-identical and contain no special token (several seeds and strategies)', async () => {
      const specials = new Set([...loaded.codec.specialIds])
      const strategies: Partial<SamplingSettings>[] = [
        { strategy: 'threshold', temperature: 0.7 },
        { strategy: 'low_confidence', steps: 4, temperature: 0 },
        { strategy: 'random', steps: 3, temperature: 1.5, topP: 1 },
      ]
      const spans = spansOf(TEXT)
      for (const [k, s] of strategies.entries()) {
        windows.length = 0
        feedNames.length = 0
        const request: FillRequest = { requestId: `r${k}`, text: TEXT, spans, locked: [], settings: { ...DEFAULT_SAMPLING, ...s, seed: 7 + k, candidates: 3 } }
        const revealed: string[] = []
        const result = await runFill(model, request, { onStep: (e) => e.revealed.forEach((r) => revealed.push(r.text)) })
        for (let c = 0; c < 3; c++) {
          const fills = new Map(result.spans.map((sp) => [sp.spanId, sp.candidates[c].text]))
          expectFixedTextKept(TEXT, spans, fills)
          for (const sp of result.spans) {
            const cand = sp.candidates[c]
            expect(cand.tokenIds.filter((t) => specials.has(t) || t >= loaded.codec.vocabSize)).toEqual([])
            expect(cand.text).not.toMatch(SPECIAL_TEXT)
          }
        }
        expect(revealed.join('')).not.toMatch(/\[(CLS|SEP|MASK|UNK|unused\d+)\]|<\|endoftext\|>/)
        // Every window is [CLS] … [SEP] and fits the model's window; the mask id appears only in slots.
        for (const w of windows) {
          expect(w[0]).toBe(loaded.codec.wrap.prefix[0])
          expect(w[w.length - 1]).toBe(loaded.codec.wrap.suffix[0])
          expect(w.length).toBeLessThanOrEqual(loaded.info.maxLength)
        }
        const first = windows[0]
        const slots = result.spans.reduce((n, sp) => n + sp.slots, 0)
        expect(Array.from(first).filter((t) => t === loaded.manifest.tokens.mask)).toHaveLength(slots)
      }
      const expected = fixture === 'bert-wordpiece' ? ['attention_mask', 'input_ids', 'token_type_ids'] : ['attention_mask', 'input_ids']
      expect(feedNames.length).toBeGreaterThan(0)
      for (const names of feedNames) expect(names).toEqual(expected)
    })

    it('a document longer than the window is cut into [CLS] … [SEP] windows of at most the model length', async () => {
      const text = 'The old man walked down to the river and sat on the bank. '.repeat(60) + 'Café Müller.'
      const spans = [
        { id: 'a', from: 4, to: 7 },
        { id: 'b', from: text.length - 7, to: text.length - 1 },
      ]
      windows.length = 0
      const result = await runFill(model, { requestId: 'long', text, spans, locked: [], settings: { ...DEFAULT_SAMPLING, candidates: 2 } })
      // The document is longer than one window: full windows of exactly the model's length.
      expect(loaded.codec.encode(text).length).toBeGreaterThan(loaded.info.maxLength)
      expect(Math.max(...windows.map((w) => w.length))).toBe(loaded.info.maxLength)
      for (let c = 0; c < 2; c++) expectFixedTextKept(text, spans, new Map(result.spans.map((sp) => [sp.spanId, sp.candidates[c].text])))
    })
  })
}

describe('decoding at span borders', () => {
  let bert: LoadedModel
  let bpe: LoadedModel
  beforeAll(async () => {
    bert = await loadModelDir(join(FIXTURES, 'bert-wordpiece'), { providers: ['cpu'] })
    bpe = await loadModelDir(join(FIXTURES, 'modernbert-bpe'), { providers: ['cpu'] })
  })
  afterAll(async () => {
    await bert?.dispose()
    await bpe?.dispose()
  })
  /** The codec's contract at a span border: the text of the tokens as it reads after preceding text. */
  const decode = (m: LoadedModel, tokens: string[]) => m.codec.decodeSpan(tokens.map((t) => m.codec.idOf(t)!))

  it('WordPiece: a ## piece joins the word before it; a word starts with its space', () => {
    expect(decode(bert, ['##ing'])).toBe('ing')
    expect(decode(bert, ['water'])).toBe(' water')
    expect(decode(bert, ['water', '.'])).toBe(' water.')
    expect(decode(bert, ['and', '##s', 'the'])).toBe(' ands the')
    expect(applyFills('he walk today', [{ id: 's', from: 7, to: 7 }], new Map([['s', decode(bert, ['##ing'])]]))).toBe('he walking today')
  })

  it('byte-level BPE: Ġ is the space before a word; pieces without it continue the word; bytes of a broken character are dropped', () => {
    expect(bpe.codec.encode(' the').map((i) => bpe.codec.tokenizer.id_to_token(i))).toEqual(['Ġthe'])
    expect(decode(bpe, ['Ġthe'])).toBe(' the')
    expect(decode(bpe, ['ing'])).toBe('ing')
    expect(applyFills('walk it', [{ id: 's', from: 4, to: 4 }], new Map([['s', decode(bpe, ['ing'])]]))).toBe('walking it')
    const e = bpe.codec.encode(' é')
    expect(e.length).toBeGreaterThan(1) // one character over two byte tokens
    expect(bpe.codec.decodeSpan(e)).toBe(' é')
    expect(bpe.codec.decodeSpan(e.slice(0, -1))).toBe(' ')
  })
})

describe('a BERT export whose manifest claims more positions than the graph has', () => {
  const temps: string[] = []
  afterAll(async () => {
    for (const d of temps) await rm(d, { recursive: true, force: true })
  })
  it('is refused at load by the probe at maxLength', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'infill-bert-lie-'))
    temps.push(dir)
    await cp(join(FIXTURES, 'bert-wordpiece'), dir, { recursive: true })
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', max_position_embeddings: 512, vocab_size: 261, pad_token_id: 0 }))
    const e = await loadModelDir(dir, { providers: ['cpu'] }).then(
      () => null,
      (err: unknown) => err,
    )
    expect(e).toBeInstanceOf(ModelDirError)
    expect((e as ModelDirError).message).toMatch(/says maxLength 512, but model.onnx fails on a window of 512 tokens/)
  })
})

describe('the fixture script', () => {
  const python = '/usr/bin/python3'
  const hasTorch = (() => {
    try {
      return spawnSyncNow(python, ['-c', 'import torch'], { timeout: 60_000 }).status === 0
    } catch {
      return false
    }
  })()
  it.skipIf(!hasTorch)('rebuilds the committed fixtures: same tokenizers and configs, graphs that load', async () => {
    const { spawnSync } = await import('node:child_process')
    const { readFile } = await import('node:fs/promises')
    const out = await mkdtemp(join(tmpdir(), 'infill-fixtures-'))
    try {
      const r = spawnSync(python, [join(resolveAppRoot(), 'scripts/fixtures/make-fixture-models.py'), out], { encoding: 'utf8', timeout: 120_000 })
      expect(r.status, r.stderr).toBe(0)
      for (const name of ['bert-wordpiece', 'modernbert-bpe']) {
        for (const f of ['tokenizer.json', 'config.json', 'tokenizer_config.json'])
          expect(await readFile(join(out, name, f), 'utf8')).toBe(await readFile(join(FIXTURES, name, f), 'utf8'))
        const m = await loadModelDir(join(out, name), { providers: ['cpu'] })
        await m.dispose()
      }
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  }, 180_000)
})
