import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration, ProgressMeter } from './progress-meter'

describe('ProgressMeter', () => {
  it('gives the rate over its window and the time left at that rate', () => {
    const m = new ProgressMeter(10_000_000, 2_000_000, 5_000)
    expect(m.figures()).toMatchObject({ bytesDone: 2_000_000, bytesPerSecond: null, secondsLeft: null })
    m.add(0, 0)
    const f = m.add(1_000_000, 1_000)
    expect(f.bytesPerSecond).toBe(1_000_000)
    expect(f.secondsLeft).toBe(7)
    // Old samples leave the window: the rate follows the recent speed.
    m.add(500_000, 10_000)
    const g = m.add(500_000, 11_000)
    expect(g.bytesPerSecond).toBe(500_000)
    expect(g.bytesDone).toBe(4_000_000)
    expect(g.secondsLeft).toBe(12)
  })
  it('says zero seconds left once everything arrived', () => {
    const m = new ProgressMeter(100)
    expect(m.add(100, 5).secondsLeft).toBe(0)
  })
})

describe('formatting', () => {
  it('uses decimal units and short durations', () => {
    expect(formatBytes(12)).toBe('12 B')
    expect(formatBytes(151_000_000)).toBe('151.0 MB')
    expect(formatBytes(1_600_000_000)).toBe('1.6 GB')
    expect(formatDuration(40.4)).toBe('40 s')
    expect(formatDuration(125)).toBe('2 min 5 s')
    expect(formatDuration(3780)).toBe('1 h 3 min')
  })
})
