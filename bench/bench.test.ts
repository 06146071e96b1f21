/** The bench's pure helpers: statistics, task sampling, scoring, summaries, chart. */
import { describe, expect, it } from 'vitest'
import { logTicks, renderChart } from './chart'
import { evenlySpaced, splitDocuments, tokenizeWithOffsets, type PieceTokenizer, type TokenizedDoc } from './corpus'
import { parseProcStatus } from './measure'
import { compareSettings, judgeTargets, summarizeBatch, summarizeSetting, type FillRecord } from './results'
import { median, percentile, ratio } from './stats'
import { sampleTasks, scoreFill, taskGrid, type TaskConfig } from './tasks'

/** A word-level tokenizer: one token per word, '▁' marking a space before it. */
function wordTokenizer(): PieceTokenizer {
  const pieces: string[] = []
  const ids = new Map<string, number>()
  const idOf = (p: string) => {
    if (!ids.has(p)) {
      ids.set(p, pieces.length)
      pieces.push(p)
    }
    return ids.get(p)!
  }
  return {
    encode: (text) => text.split(/(?= )/).map((w) => idOf(w.replace(/ /g, '\u2581'))),
    piece: (id) => pieces[id],
  }
}

function words(n: number, seed: number): string {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(`w${(i * 7919 + seed * 104729) % 97}`)
  return out.join(' ')
}

describe('statistics', () => {
  it('median and percentiles interpolate between closest ranks', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(percentile([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8)
    expect(percentile([7], 0.95)).toBe(7)
    expect(percentile([], 0.5)).toBeNaN()
    expect(() => percentile([1], 1.5)).toThrow(RangeError)
    expect(ratio(1, 0)).toBeNaN()
  })
})

describe('corpus', () => {
  it('splits documents on empty lines and aligns tokens with characters', () => {
    expect(splitDocuments('a b\nc\n\n\nd e\n  \nf')).toEqual(['a b\nc', 'd e', 'f'])
    const doc = tokenizeWithOffsets(wordTokenizer(), 'the cat sat')
    expect(doc.ids).toHaveLength(3)
    expect(doc.starts).toEqual([0, 3, 7])
    expect(doc.ends).toEqual([3, 7, 11])
    expect(evenlySpaced(10, 3)).toEqual([0, 3, 6])
    expect(evenlySpaced(2, 3)).toEqual([0, 1])
  })

  it('stops at the first token whose piece is not in the text', () => {
    const tok: PieceTokenizer = { encode: () => [0, 1, 2], piece: (id) => ['a', '\u2581b', '<unk>'][id] }
    expect(tokenizeWithOffsets(tok, 'a b ☃').ids).toEqual([0, 1])
  })
})

describe('tasks', () => {
  const tok = wordTokenizer()
  const docs: TokenizedDoc[] = [0, 1, 2].map((s) => tokenizeWithOffsets(tok, words(400, s)))
  const configs: TaskConfig[] = taskGrid([8, 32], [1, 4], [128]).used

  it('the grid leaves out configs whose slots take more than half the canvas', () => {
    const g = taskGrid([8, 32, 128], [1, 4], [128, 256])
    expect(g.used).toHaveLength(8)
    expect(g.skipped.map((c) => `${c.budget}x${c.spans}@${c.context}`).sort()).toEqual(['128x1@128', '128x4@128', '128x4@256', '32x4@128'])
  })

  it('the same seed draws the same tasks; another seed draws others', () => {
    const a = sampleTasks(docs, configs, 3, 5)
    expect(sampleTasks(docs, configs, 3, 5)).toEqual(a)
    expect(sampleTasks(docs, configs, 3, 6)).not.toEqual(a)
    expect(a).toHaveLength(configs.length * 3)
  })

  it('spans cover whole words, do not overlap, and hold between half the budget and the budget', () => {
    for (const t of sampleTasks(docs, configs, 4, 11)) {
      expect(t.spans).toHaveLength(t.config.spans)
      let end = 0
      for (const s of t.spans) {
        expect(s.from).toBeGreaterThan(end)
        expect(t.text[s.from - 1]).toBe(' ')
        expect(s.to === t.text.length || t.text[s.to] === ' ').toBe(true)
        const n = t.text.slice(s.from, s.to).split(' ').length
        expect(n).toBeLessThanOrEqual(t.config.budget)
        expect(n).toBeGreaterThanOrEqual(Math.ceil(t.config.budget / 2))
        expect(s.slots).toBe(t.config.budget)
        end = s.to
      }
      // Text tokens + slots = the canvas length asked for.
      const textTokens = t.text.split(' ').length
      const spanTokens = t.spans.reduce((a, s) => a + t.text.slice(s.from, s.to).split(' ').length, 0)
      expect(textTokens - spanTokens + t.config.spans * t.config.budget).toBe(t.config.context)
    }
  })

  it('scores slot by slot against the original tokens padded to the budget', () => {
    const targets = new Map([
      ['a', Int32Array.from([5, 6, 0, 0])],
      ['b', Int32Array.from([7, 0])],
    ])
    const s = scoreFill(
      targets,
      new Map([
        ['a', Int32Array.from([5, 6, 9, 0])],
        ['b', Int32Array.from([7, 0])],
      ]),
      0,
    )
    expect(s).toEqual({ correct: 5, slots: 6, exactSpans: 1, spans: 2, textSlots: 3, textCorrect: 3, emptySpans: 0 })
    expect(scoreFill(targets, new Map(), 0).correct).toBe(0)
    // An empty fill: credited for the padding slots only.
    const empty = scoreFill(targets, new Map([['a', Int32Array.from([0, 0, 0, 0])]]), 0)
    expect(empty).toMatchObject({ correct: 2, textCorrect: 0, emptySpans: 1 })
  })
})

describe('summaries', () => {
  const rec = (setting: string, task: string, passes: number, wallMs: number, correct: number): FillRecord => ({
    setting,
    task,
    config: 'c',
    slots: 10,
    passes,
    wallMs,
    correct,
    exactSpans: 0,
    spans: 1,
    textSlots: 8,
    textCorrect: correct - 2,
    emptySpans: 0,
  })
  const records = [rec('base', 't1', 10, 100, 5), rec('base', 't2', 10, 300, 7), rec('fast', 't1', 2, 25, 5), rec('fast', 't2', 3, 35, 6)]

  it('per setting: passes per token, tokens per second, accuracy', () => {
    const r = summarizeSetting('base', records)
    expect(r.passesPerToken).toBe(1)
    expect(r.tokensPerSecond).toBeCloseTo(50)
    expect(r.msPerFillMedian).toBe(200)
    expect(r.accuracy).toBeCloseTo(0.6)
  })

  it('threshold against the baseline, and the targets', () => {
    const c = compareSettings('base', 'fast', records)
    expect(c.passSpeedup).toBe(4)
    expect(c.wallSpeedup).toBeCloseTo(400 / 60)
    expect(c.accuracyDiffPoints).toBeCloseTo(-5)
    // Task t1 ties, t2 loses 10 points: resampled differences lie within [-10, 0].
    expect(c.diffCi95[0]).toBeGreaterThanOrEqual(-10)
    expect(c.diffCi95[1]).toBeLessThanOrEqual(0)
    expect(c.diffCi95[0]).toBeLessThan(c.diffCi95[1])
    const batch = summarizeBatch([
      { candidates: 1, wallMs: 100, passes: 4, bareMsPerPass: 10 },
      { candidates: 8, wallMs: 250, passes: 4, bareMsPerPass: 50 },
    ])
    expect(batch.map((b) => b.relative)).toEqual([1, 2.5])
    const overhead = [{ case: 'x', batch: 1, length: 8, reps: 1, steps: 4, engineMsPerStep: 11, bareMsPerPass: 10, overhead: 0.1 }]
    expect(judgeTargets(c, overhead, batch).map((t) => t.met)).toEqual([true, false, true, true])
  })

  it('reads peak memory from /proc status text', () => {
    expect(parseProcStatus('Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n')).toEqual({ hwmKiB: 204800, rssKiB: 102400 })
    expect(parseProcStatus('Name: x')).toBeNull()
  })
})

describe('chart', () => {
  it('draws one labelled point per setting', () => {
    const svg = renderChart(
      [
        { label: 'low_confidence k=1', group: 'low_confidence', passesPerToken: 1, accuracy: 0.4 },
        { label: 'low_confidence k=4', group: 'low_confidence', passesPerToken: 0.25, accuracy: 0.35 },
        { label: 'threshold <0.9>', group: 'threshold', passesPerToken: 0.2, accuracy: 0.39 },
      ],
      'title',
      'sub',
    )
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/<circle /g)).toHaveLength(3 + 2)
    expect(svg).toContain('threshold &lt;0.9&gt;')
    expect(svg).toContain('<polyline')
    expect(logTicks(0.05, 1.2)).toEqual([0.05, 0.1, 0.2, 0.5, 1])
    // Labels of points at the same place do not overlap.
    const same = renderChart(
      ['a', 'b'].map((label) => ({ label, group: label, passesPerToken: 1, accuracy: 0.5 })),
      't',
      's',
    )
    const ys = [...same.matchAll(/<text x="[\d.]+" y="([\d.]+)" font-size="10"/g)].map((m) => Number(m[1]))
    expect(Math.abs(ys[0] - ys[1])).toBeGreaterThanOrEqual(11)
  })
})
