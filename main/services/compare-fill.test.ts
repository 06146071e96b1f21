import { describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, FillResult, type SpanFill } from '../contract'
import { mergeComparison } from './compare-fill'
import { resolvePair, sameHash } from './compare-lineage'

function result(model: string, spans: SpanFill[], requestId = 'r1'): FillResult {
  return {
    requestId,
    spans,
    forwardPasses: 4,
    ms: model === 'base' ? 100 : 120,
    model: { name: model, family: 'mdlm', dir: `/m/${model}`, maxLength: 256, vocabSize: 8192, hash: `${model}-hash`, provider: 'cpu' },
    settings: { ...DEFAULT_SAMPLING, seed: 9, candidates: 2 },
  }
}
const span = (spanId: string, texts: string[]): SpanFill => ({ spanId, original: 'orig', slots: 4, candidates: texts.map((text) => ({ text, tokenIds: [1], confidence: 0.5 })) })

describe('mergeComparison', () => {
  const tuned = result('tuned', [span('a', ['t1', 't2']), span('b', ['t3', 't4'])])
  const base = result('base', [span('a', ['b1', 'b2']), span('b', ['b3', 'b4'])])

  it('puts each span’s columns in the drawn order, tagged with their model, and records the order', () => {
    const coins = [true, false]
    const merged = mergeComparison(tuned, base, 'tuned', () => coins.shift()!)
    expect(merged.spans[0].candidates.map((c) => [c.text, c.source?.role])).toEqual([
      ['b1', 'base'],
      ['b2', 'base'],
      ['t1', 'tuned'],
      ['t2', 'tuned'],
    ])
    expect(merged.spans[1].candidates.map((c) => c.text)).toEqual(['t3', 't4', 'b3', 'b4'])
    expect(merged.spans[0].candidates[0].source).toEqual({ role: 'base', name: 'base', hash: 'base-hash' })
    expect(merged.compare).toEqual({ models: { base: { name: 'base', hash: 'base-hash' }, tuned: { name: 'tuned', hash: 'tuned-hash' } }, order: { a: ['base', 'tuned'], b: ['tuned', 'base'] } })
    // The loaded model stays the result's model; the passes of both count.
    expect(merged.model.name).toBe('tuned')
    expect(merged.forwardPasses).toBe(8)
    expect(FillResult.safeParse(merged).success).toBe(true)
  })

  it('names the roles by the main engine’s role, whichever engine holds which', () => {
    const merged = mergeComparison(base, tuned, 'base', () => true)
    expect(merged.compare!.models.tuned.name).toBe('tuned')
    expect(merged.spans[0].candidates.map((c) => c.source?.role)).toEqual(['base', 'base', 'tuned', 'tuned'])
  })

  it('a span the other model did not fill keeps the main candidates alone, with no order', () => {
    const merged = mergeComparison(tuned, result('base', [span('a', ['b1', 'b2'])]), 'tuned', () => false)
    expect(merged.compare!.order).toEqual({ a: ['tuned', 'base'] })
    expect(merged.spans[1].candidates.map((c) => [c.text, c.source?.role])).toEqual([
      ['t3', 'tuned'],
      ['t4', 'tuned'],
    ])
  })

  it('draws both orders over many spans (not always the same side)', () => {
    const many = (m: string) => result(m, Array.from({ length: 40 }, (_, i) => span(`s${i}`, [m])))
    const merged = mergeComparison(many('tuned'), many('base'), 'tuned')
    const lefts = new Set(Object.values(merged.compare!.order).map((o) => o[0]))
    expect(lefts).toEqual(new Set(['base', 'tuned']))
  })

  it('refuses results of different requests', () => {
    expect(() => mergeComparison(tuned, result('base', [], 'r2'), 'tuned')).toThrow(/different requests/)
  })
})

describe('resolvePair', () => {
  const lineage = { name: 'infill-default-mdlm', dir: '/m/default', hash: 'abc' }
  it('with no folder named, the loaded tuned model is compared with its base', () => {
    expect(resolvePair({ dir: '/m/tuned', lineage }, null)).toMatchObject({ baseDir: '/m/default', tunedDir: '/m/tuned', mainRole: 'tuned', otherDir: '/m/default' })
  })
  it('a tuned folder named beside a loaded base: the second engine loads the tuned one', () => {
    expect(resolvePair({ dir: '/m/default', lineage: null }, { dir: '/m/tuned', lineage })).toMatchObject({ baseDir: '/m/default', tunedDir: '/m/tuned', mainRole: 'base', otherDir: '/m/tuned' })
  })
  it('the base named beside a loaded tuned model', () => {
    expect(resolvePair({ dir: '/m/tuned', lineage }, { dir: '/m/other', lineage: null })).toMatchObject({ baseDir: '/m/other', mainRole: 'tuned', otherDir: '/m/other' })
  })
  it('says what to do when there is no tuned model in the pair, or the same model twice', () => {
    expect(() => resolvePair({ dir: '/m/default', lineage: null }, null)).toThrow(/not a tuned model/)
    expect(() => resolvePair({ dir: '/m/default', lineage: null }, { dir: '/m/x', lineage: null })).toThrow(/Neither the loaded model/)
    expect(() => resolvePair({ dir: '/m/t', lineage }, { dir: '/m/t', lineage })).toThrow(/loaded model itself/)
  })
  it('sameHash accepts a shortened hash, not a different one', () => {
    expect(sameHash('abcdef0123', 'abcdef')).toBe(true)
    expect(sameHash('abcdef', 'abcdee')).toBe(false)
    expect(sameHash('', 'a')).toBe(false)
  })
})
