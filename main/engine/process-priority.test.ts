import { describe, expect, it } from 'vitest'
import { ENGINE_NICENESS, engineNiceness } from './process-priority'

describe('engineNiceness', () => {
  it('defaults to ENGINE_NICENESS, below normal priority', () => {
    expect(engineNiceness({})).toBe(ENGINE_NICENESS)
    expect(engineNiceness({ INFILL_ENGINE_NICE: ' ' })).toBe(ENGINE_NICENESS)
    expect(ENGINE_NICENESS).toBeGreaterThan(0)
  })

  it('takes INFILL_ENGINE_NICE from 0 to 19', () => {
    expect(engineNiceness({ INFILL_ENGINE_NICE: '0' })).toBe(0)
    expect(engineNiceness({ INFILL_ENGINE_NICE: '19' })).toBe(19)
  })

  it('refuses anything else and says what it expects', () => {
    for (const bad of ['-5', '20', '3.5', 'low'])
      expect(() => engineNiceness({ INFILL_ENGINE_NICE: bad })).toThrow(/expected an integer from 0 \(normal priority\) to 19 \(lowest\)/)
  })
})
