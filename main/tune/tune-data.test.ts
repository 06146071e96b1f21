import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { DecisionRecord, ExportFormat } from '../contract'
import { formatLine, preferenceLines } from '../store/export-lines'
import { sampleDecision } from '../store/test-fixtures/decisions'
import { TokenizerCodec } from '../engine/text-codec'
import { encodeTuneData } from './tune-encode'
import { readTuneData, TuneDataError } from './tune-data'

const records: DecisionRecord[] = [
  { ...sampleDecision({ requestId: 'r1' }), id: 1, createdAt: '2026-11-27T02:00:06.000Z' },
  {
    ...sampleDecision({ requestId: 'r2', action: 'accepted_edited', chosenIndex: 0, finalText: 'climbed' }),
    id: 2,
    createdAt: '2026-11-27T02:00:07.000Z',
  },
  {
    ...sampleDecision({ requestId: 'r3', action: 'rejected_all', chosenIndex: null, finalText: 'lit the lamp' }),
    id: 3,
    createdAt: '2026-11-27T02:00:08.000Z',
  },
  { ...sampleDecision({ requestId: 'r4', action: 'regenerated', chosenIndex: null, finalText: 'lit the lamp' }), id: 4, createdAt: '2026-11-27T02:00:09.000Z' },
]

function exported(format: ExportFormat): string {
  return records.flatMap((r) => preferenceLines(r, format)).map(formatLine).join('')
}

/** Decisions as comparable sets: chosen text -> sorted rejected texts. */
function judged(text: string) {
  return readTuneData(text, 'f.jsonl').decisions.map((d) => ({
    group: d.group,
    prefix: d.prefix,
    suffix: d.suffix,
    pairs: d.pairs.map(([c, r]) => `${d.texts[c].text} > ${d.texts[r].text}`).sort(),
  }))
}

describe('readTuneData', () => {
  it('reads the same decisions and pairs from every export form', () => {
    const standard = judged(exported('standard'))
    expect(judged(exported('implicit'))).toEqual(standard)
    // the unpaired form also holds the regenerated decision (no pairs)
    expect(judged(exported('unpaired')).filter((d) => d.pairs.length > 0)).toEqual(standard)
    expect(standard.map((d) => d.pairs)).toEqual([
      ['trimmed the wick > climbed the stairs', 'trimmed the wick > watched the sea'],
      ['climbed > climbed the stairs'], // an edit is preferred to the candidate it edited
      ['lit the lamp > climbed the stairs', 'lit the lamp > trimmed the wick', 'lit the lamp > watched the sea'],
    ])
    expect(standard[0]).toMatchObject({ prefix: 'The lighthouse keeper ', suffix: ' every night.' })
  })

  it('counts lines per form and labels texts for KTO', () => {
    const data = readTuneData(exported('unpaired'), 'f.jsonl')
    expect(data.forms).toEqual({ standard: 0, implicit: 0, unpaired: 12, conversational: 0 })
    const regenerated = data.decisions[3]
    expect(regenerated.texts.every((t) => !t.preferred)).toBe(true)
    expect(regenerated.pairs).toEqual([])
  })

  it('names the line and the problem for bad input', () => {
    const good = exported('standard').split('\n')[0]
    expect(() => readTuneData(`${good}\n{not json`, 'x.jsonl')).toThrow(/x\.jsonl line 2: not JSON/)
    const noSpan = JSON.parse(good)
    delete noSpan.prefix
    expect(() => readTuneData(JSON.stringify(noSpan), 'x.jsonl')).toThrow(TuneDataError)
    expect(() => readTuneData(JSON.stringify(noSpan), 'x.jsonl')).toThrow(/line 1: not a standard preference line: prefix/)
    const implicit = JSON.parse(exported('implicit').split('\n')[0])
    implicit.chosen = 'Something else entirely'
    expect(() => readTuneData(JSON.stringify(implicit), 'x.jsonl')).toThrow(/does not start with the line's prefix/)
  })
})

describe('encodeTuneData', () => {
  const dir = join(import.meta.dirname, '..', '..', 'models', 'default')
  const codec = new TokenizerCodec(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')))
  const o = { codec, maskId: 3, padId: 0, contextLength: 32 }

  it('gives every text of a decision the same budget, pad-filled, in the same window', () => {
    const set = encodeTuneData(readTuneData(exported('standard'), 'f'), o)
    const edited = set.decisions[1] // chosen "climbed" is shorter than the candidate it was cut from
    const lengths = ['climbed', 'climbed the stairs'].map((t) => codec.encode(' ' + t).length)
    expect(lengths[0]).toBeLessThan(lengths[1])
    expect(edited.budget).toBe(Math.max(...lengths))
    const chosen = edited.texts[edited.pairs[0][0]]
    expect(chosen.tokens.slice(0, lengths[0])).toEqual(codec.encode(' climbed'))
    expect(chosen.tokens.slice(lengths[0])).toEqual(new Array(edited.budget - lengths[0]).fill(0))
    for (const t of edited.texts) {
      expect(t.tokens).toHaveLength(edited.budget)
      expect(t.offset).toBe(edited.texts[0].offset)
      expect(t.ids.slice(t.offset, t.offset + edited.budget)).toEqual(new Array(edited.budget).fill(3))
      expect(t.ids.length).toBeLessThanOrEqual(32)
    }
    // the context is the engine's: the prefix's tokens right before the slots
    const prefixIds = codec.encode('The lighthouse keeper')
    expect(chosen.ids.slice(chosen.offset - prefixIds.length, chosen.offset)).toEqual(prefixIds)
  })

  it('skips a decision whose span does not fit half the window', () => {
    const long = { ...records[0], candidates: ['word '.repeat(40).trim(), 'x'], chosenIndex: 1, finalText: 'x' }
    const set = encodeTuneData(readTuneData(preferenceLines(long, 'standard').map(formatLine).join(''), 'f'), o)
    expect(set.decisions).toHaveLength(0)
    expect(set.skipped[0].reason).toMatch(/does not fit half of a 32-token window/)
  })
})
