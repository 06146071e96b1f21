// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest'
import type { SpanCandidate } from '../../../main/contract'
import { compareColumnsElement } from './compare-board'

const base = { role: 'base' as const, name: 'infill-default-mdlm', hash: 'aa' }
const tuned = { role: 'tuned' as const, name: 'infill-default-mdlm-tuned', hash: 'bb' }
const cand = (text: string, source?: SpanCandidate['source']): SpanCandidate => ({ text, tokenIds: [], confidence: 0.8, ...(source ? { source } : {}) })

describe('compareColumnsElement', () => {
  it('two labelled columns in the drawn order, the candidate on show pressed, a click picks by index', () => {
    const pick = vi.fn()
    const el = compareColumnsElement([cand('b1', base), cand('', base), cand('t1', tuned), cand('t2', tuned)], 2, pick)!
    expect(el.dataset.order).toBe('base,tuned')
    const columns = [...el.querySelectorAll<HTMLElement>('[data-testid="compare-column"]')]
    expect(columns.map((c) => c.querySelector('[data-testid="compare-label"]')!.textContent)).toEqual(['base: infill-default-mdlm', 'tuned: infill-default-mdlm-tuned'])
    const picks = [...el.querySelectorAll<HTMLButtonElement>('[data-testid="compare-pick"]')]
    expect(picks.map((p) => p.textContent)).toEqual(['b1', '∅ (nothing)', 't1', 't2'])
    expect(picks.map((p) => p.getAttribute('aria-pressed'))).toEqual(['false', 'false', 'true', 'false'])
    picks[3].click()
    expect(pick).toHaveBeenCalledWith(3)
  })

  it('nothing for an ordinary round', () => {
    expect(compareColumnsElement([cand('a'), cand('b')], 0, () => {})).toBeNull()
  })
})
