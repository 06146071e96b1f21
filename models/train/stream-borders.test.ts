import { describe, expect, it } from 'vitest'
import { withBlankLineBorders } from './stream-borders'

describe('withBlankLineBorders', () => {
  it('turns each eos into two newline ids and keeps every other id in order', () => {
    const eos = 2
    const nl = 4
    expect([...withBlankLineBorders(Int32Array.from([7, 8, eos, 9, nl, 10, eos]), eos, nl)]).toEqual([7, 8, nl, nl, 9, nl, 10, nl, nl])
  })

  it('leaves a stream without eos as it was', () => {
    expect([...withBlankLineBorders(Int32Array.from([5, 6, 4, 7]), 2, 4)]).toEqual([5, 6, 4, 7])
    expect(withBlankLineBorders(new Int32Array(0), 2, 4).length).toBe(0)
  })
})
