/** Pure parts of the denoiser's extra-graph paths (issue 17): which positions a step computes, the manifest's graphs, the env switches. */
import { describe, expect, it } from 'vitest'
import { ModelGraphs } from './manifest'
import { cacheRefreshFromEnv, denoiseModeFromEnv } from './model-dir'
import { distinctRows, maskedPositions } from './onnx-denoiser'

const M = 3n

describe('maskedPositions', () => {
  it('lists each row’s masked positions, padding shorter rows with their last one', () => {
    const ids = BigInt64Array.from([5n, M, 7n, M, M, /* row 1 */ M, 9n, 9n, 9n, 9n])
    const { positions, k } = maskedPositions(ids, 2, 5, M)
    expect(k).toBe(3)
    expect(Array.from(positions, Number)).toEqual([1, 3, 4, 0, 0, 0])
  })

  it('gives k = 0 when nothing is masked, and position 0 for a row without masks', () => {
    expect(maskedPositions(BigInt64Array.from([5n, 6n]), 1, 2, M).k).toBe(0)
    const { positions, k } = maskedPositions(BigInt64Array.from([5n, 6n, 6n, M]), 2, 2, M)
    expect(k).toBe(1)
    expect(Array.from(positions, Number)).toEqual([0, 1])
  })
})

describe('distinctRows', () => {
  it('maps every row to the first row equal to it', () => {
    const ids = BigInt64Array.from([1n, 2n, /* */ 1n, 3n, /* */ 1n, 2n, /* */ 1n, 3n, /* */ 4n, 4n])
    expect(distinctRows(ids, 5, 2)).toEqual({ unique: [0, 1, 4], rowOf: [0, 1, 0, 1, 2] })
  })
})

describe('manifest graphs', () => {
  it('accepts the graphs the pipeline writes', () => {
    expect(ModelGraphs.safeParse({ positions: 'model.positions.onnx', context: 'model.context.onnx', span: 'model.span.onnx' }).success).toBe(true)
    expect(ModelGraphs.safeParse({ positions: 'model.positions.onnx' }).success).toBe(true)
  })

  it('rejects a path outside the directory, model.onnx itself, an unknown graph, or half the cache pair', () => {
    expect(ModelGraphs.safeParse({ positions: '../elsewhere.onnx' }).success).toBe(false)
    expect(ModelGraphs.safeParse({ positions: 'model.onnx' }).success).toBe(false)
    expect(ModelGraphs.safeParse({ decoder: 'x.onnx' }).success).toBe(false)
    const half = ModelGraphs.safeParse({ span: 'model.span.onnx' })
    expect(half.success).toBe(false)
    expect(half.error?.issues[0].message).toMatch(/come as a pair/)
  })
})

describe('env switches', () => {
  it('INFILL_DENOISER takes full, positions or cached only', () => {
    expect(denoiseModeFromEnv({ INFILL_DENOISER: 'cached' })).toBe('cached')
    expect(denoiseModeFromEnv({ INFILL_DENOISER: 'fast' })).toBeUndefined()
    expect(denoiseModeFromEnv({})).toBeUndefined()
  })

  it('INFILL_CACHE_REFRESH takes a positive integer only', () => {
    expect(cacheRefreshFromEnv({ INFILL_CACHE_REFRESH: '8' })).toBe(8)
    expect(cacheRefreshFromEnv({ INFILL_CACHE_REFRESH: '0' })).toBeUndefined()
    expect(cacheRefreshFromEnv({ INFILL_CACHE_REFRESH: 'x' })).toBeUndefined()
  })
})
