// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest'
import { FillBoard, type BoardHandlers } from './fill-board'
import type { LiveSpan } from './fill-state'
import { DEFAULT_SAMPLING } from '../../../main/contract'

const span = (over: Partial<LiveSpan> = {}): LiveSpan => ({
  key: 'r1/s1',
  requestId: 'r1',
  spanId: 's1',
  kind: 'text',
  from: 1,
  to: 5,
  seen: [0],
  original: 'dark',
  charFrom: 0,
  charTo: 4,
  slots: 3,
  reveal: [],
  revealedCount: 0,
  status: 'filling',
  rounds: [],
  round: 0,
  candidates: null,
  current: 0,
  note: null,
  ...over,
})

const handlers = (): BoardHandlers => ({ accept: vi.fn(), edit: vi.fn(), reject: vi.fn(), cycle: vi.fn(), pick: vi.fn(), regenerateSpan: vi.fn(), dismiss: vi.fn(), placeCaret: vi.fn() })

describe('the fill board', () => {
  it('turns over only the tiles a step revealed, marks the newest step\'s, and reports its progress', () => {
    const b = new FillBoard('r1/s1', handlers())
    b.render(span(), undefined, 1)
    expect(b.dom.querySelectorAll('.tile[data-state="masked"]').length).toBe(3)
    b.render(span({ reveal: [[null, { text: ' sea', confidence: 0.9, pad: false, step: 1 }]], revealedCount: 1 }), undefined, 1)
    const tiles = () => [...b.dom.querySelectorAll<HTMLElement>('.tile')]
    expect(tiles().map((t) => t.dataset.state)).toEqual(['masked', 'revealed', 'masked'])
    expect(tiles()[1].textContent).toBe('sea')
    expect(tiles()[1].classList.contains('lead')).toBe(true)
    expect(b.dom.dataset.revealed).toBe('1')
    const second = tiles()[1]
    expect(second.classList.contains('fresh')).toBe(true) // revealed by the newest step
    b.render(
      span({ reveal: [[{ text: 'grey', confidence: 0.4, pad: false, step: 2 }, { text: ' sea', confidence: 0.9, pad: false, step: 1 }, { text: '', confidence: 1, pad: true, step: 2 }]], revealedCount: 3 }),
      undefined,
      1,
    )
    expect(tiles().map((t) => t.dataset.state)).toEqual(['revealed', 'revealed', 'pad'])
    expect(second.classList.contains('fresh')).toBe(false) // step 1 is no longer the newest
    expect(tiles()[0].classList.contains('fresh')).toBe(true)
    expect(tiles()[2].classList.contains('fresh')).toBe(true)
    expect(b.dom.dataset.revealed).toBe('3')
  })

  it('offers the candidates with their controls once ready', () => {
    const h = handlers()
    const b = new FillBoard('r1/s1', h)
    const cands = ['grey sea', 'calm', ''].map((text) => ({ text, tokenIds: [], confidence: 0.7 }))
    b.render(span({ status: 'ready', candidates: cands, current: 1 }), undefined, 1)
    expect(b.dom.querySelector('[data-testid="cand-text"]')!.textContent).toBe('calm')
    expect(b.dom.querySelector('[data-testid="cand-counter"]')!.textContent).toBe('2/3')
    for (const id of ['cand-next', 'cand-prev', 'cand-accept', 'cand-edit', 'cand-reject', 'cand-regenerate'])
      b.dom.querySelector<HTMLButtonElement>(`[data-testid="${id}"]`)!.click()
    expect(h.cycle).toHaveBeenCalledWith('r1/s1', 1)
    expect(h.cycle).toHaveBeenCalledWith('r1/s1', -1)
    expect(h.accept).toHaveBeenCalledWith('r1/s1')
    expect(h.edit).toHaveBeenCalledWith('r1/s1')
    expect(h.reject).toHaveBeenCalledWith('r1/s1')
    expect(h.regenerateSpan).toHaveBeenCalledWith('r1/s1')
  })
  it('a press on the shown candidate puts the caret in its span instead of inside the widget', () => {
    const h = handlers()
    const b = new FillBoard('r1/s1', h)
    const cands = ['grey sea'].map((text) => ({ text, tokenIds: [], confidence: 0.7 }))
    b.render(span({ status: 'ready', candidates: cands, current: 0 }), undefined, 1)
    const press = new MouseEvent('mousedown', { bubbles: true, cancelable: true })
    b.dom.querySelector('[data-testid="cand-text"]')!.dispatchEvent(press)
    expect(press.defaultPrevented).toBe(true)
    expect(h.placeCaret).toHaveBeenCalledWith('r1/s1')
  })
})

describe('the candidate list with several rounds', () => {
  const round = (requestId: string, label: string, texts: string[]) => ({
    requestId,
    spanId: 's1',
    label,
    candidates: texts.map((text) => ({ text, tokenIds: [], confidence: 0.6 })),
    seen: [0],
    shownAt: 'then',
    kind: 'fill' as const,
    settings: DEFAULT_SAMPLING,
  })
  const rounds = [round('r1', 'Fairly wild', ['one', 'two']), round('r2', 'Shorter · Safe', ['three', 'four'])]

  it('lists every round newest first under its heading; a pick names its round and index; ↑ / ↓ move between candidates', () => {
    const h = handlers()
    const b = new FillBoard('r2/s1', h)
    document.body.append(b.dom)
    b.render(span({ key: 'r2/s1', requestId: 'r2', status: 'ready', rounds, round: 1, candidates: rounds[1].candidates, current: 0 }), undefined, 1)
    expect(b.dom.querySelector('[data-testid="cand-round"]')!.textContent).toBe('Round 2 of 2')
    const headings = [...b.dom.querySelectorAll('[data-testid="cand-round-heading"]')].map((e) => e.textContent)
    expect(headings).toEqual(['Round 2 · Shorter · Safe', 'Round 1 · Fairly wild'])
    const picks = [...b.dom.querySelectorAll<HTMLButtonElement>('[data-testid="cand-pick"]')]
    expect(picks.map((p) => p.textContent)).toEqual(['three', 'four', 'one', 'two'])
    expect(picks.map((p) => p.getAttribute('aria-selected'))).toEqual(['true', 'false', 'false', 'false'])
    b.dom.querySelector<HTMLButtonElement>('[data-testid="cand-all"]')!.click()
    expect(document.activeElement).toBe(picks[0])
    picks[0].dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }))
    picks[1].dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }))
    expect(document.activeElement).toBe(picks[2])
    picks[3].click()
    expect(h.pick).toHaveBeenCalledWith('r2/s1', 0, 1)
    expect(h.cycle).not.toHaveBeenCalled()
    b.dom.remove()
  })

  it('redraws when a pick changes the round on show', () => {
    const b = new FillBoard('r2/s1', handlers())
    b.render(span({ key: 'r2/s1', status: 'ready', rounds, round: 1, candidates: rounds[1].candidates, current: 0 }), undefined, 1)
    b.render(span({ key: 'r2/s1', status: 'ready', rounds, round: 0, candidates: rounds[0].candidates, current: 1 }), undefined, 1)
    expect(b.dom.querySelector('[data-testid="cand-text"]')!.textContent).toBe('two')
    expect(b.dom.querySelector('[data-testid="cand-round"]')!.textContent).toBe('Round 1 of 2')
    expect(b.dom.querySelector('[data-testid="cand-counter"]')!.textContent).toBe('2/2')
  })
})
