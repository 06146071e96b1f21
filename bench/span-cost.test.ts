/** The issue 17 section's report: speed-ups against the full graph per window, targets marked met or not. */
import { describe, expect, it } from 'vitest'
import { spanCostMarkdown, type SpanCostResults, type WindowRow } from './span-cost'

const row = (variant: string, window: number, msPerFill: number): WindowRow => ({
  variant, window, fills: 4, msPerFill, msPerStep: msPerFill / 8, stepsPerFill: 8, positionsPerStep: window, logitRowsPerStep: 8, correct: 3, slots: 32, accuracy: 3 / 32,
})

const results: SpanCostResults = {
  tasksPerWindow: 4,
  windows: [64, 256],
  slots: 8,
  windowRows: [row('full graph (before)', 64, 300), row('full graph (before)', 256, 1000), row('DualCache, refresh 8', 64, 150), row('DualCache, refresh 8', 256, 200)],
  accuracy: [],
  batch: { window: 256, tasks: 2, settings: 'default', rows: [] },
  memory: { fills: '2 fills', rows: [{ variant: 'full graph (before)', peakRssMiB: null }] },
  targets: [
    { name: 'speed', variant: 'DualCache, refresh 8', value: '5×', met: true },
    { name: 'batch', variant: 'DualCache, refresh 8', value: '5.1×', met: false },
  ],
}

describe('spanCostMarkdown', () => {
  const md = spanCostMarkdown(results)
  it('gives each row its speed-up against the full graph at the same window', () => {
    expect(md).toContain('| DualCache, refresh 8 | 64 | 150 | 2 |')
    expect(md).toContain('| DualCache, refresh 8 | 256 | 200 | 5 |')
    expect(md).toContain('| full graph (before) | 256 | 1000 | 1 |')
  })
  it('marks each target met or NOT met, and a missing figure as n/a', () => {
    expect(md).toContain('| speed | DualCache, refresh 8 | 5× | met |')
    expect(md).toContain('| batch | DualCache, refresh 8 | 5.1× | NOT met |')
    expect(md).toContain('| full graph (before) | n/a |')
  })
})
