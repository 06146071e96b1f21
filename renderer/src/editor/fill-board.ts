/**
 * The board a live span shows in place of its text: while the fill runs, one tile per slot
 * that turns over to its token as the reverse process reveals it, tinted by confidence;
 * when it is done, the candidate on show with its controls (‹ i/N ›, accept, edit, reject,
 * regenerate this span); when dropped, a short note.
 *
 * Plain DOM, updated in place step by step. The tiles a step revealed are marked `fresh`
 * until the next step's arrive: a discrete change, not a CSS animation, because while any
 * animation runs Chromium renders every frame and a key pressed meanwhile shows a frame later
 * (bench/typing-latency.ts: median key-to-paint during a fill 15 → 9 ms without them). The
 * widget decoration holding the board has a stable key, so ProseMirror keeps the element.
 */
import type { LiveFill, LiveSpan } from './fill-state'
import { roundHeading, type SpanRound } from './rounds'
import { estimateSlots } from './spans'
import { compareColumnsElement } from './compare-board'
import { markOrigin } from './candidate-origin'

export interface BoardHandlers {
  accept(key: string): void
  edit(key: string): void
  reject(key: string): void
  /** ‹ › / Alt-[ Alt-]: the next or previous candidate of the round on show. */
  cycle(key: string, delta: number): void
  /** A pick from the ☰ list: candidate `index` of round `round` (any round of the span). */
  pick(key: string, round: number, index: number): void
  regenerateSpan(key: string): void
  dismiss(key: string): void
  /** Puts the editor's caret in the span (a click on its candidate or original text). */
  placeCaret(key: string): void
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, attrs: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  e.className = cls
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  return e
}

/** Sets a data attribute only when it changes (each write would restyle the element). */
function setData(e: HTMLElement, key: string, value: string): void {
  if (e.dataset[key] !== value) e.dataset[key] = value
}

/** Tint of a confidence, 0..1 (CSS reads --c). */
function confidence(c: number): string {
  return String(Math.max(0, Math.min(1, c)).toFixed(3))
}

/** What a key pressed on a candidate bar does. */
export function boardKey(e: Pick<KeyboardEvent, 'key' | 'code' | 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey'>): 'accept' | 'reject' | 'prev' | 'next' | null {
  if (e.ctrlKey || e.metaKey) return null
  if (e.key === 'Tab' && !e.shiftKey && !e.altKey) return 'accept'
  if (e.key === 'Escape') return 'reject'
  if (e.altKey && e.code === 'BracketLeft') return 'prev'
  if (e.altKey && e.code === 'BracketRight') return 'next'
  return null
}

export class FillBoard {
  readonly dom: HTMLElement
  private mode: 'filling' | 'ready' | 'dropped' | null = null
  private tiles: HTMLElement[] = []
  private tileRow: HTMLElement | null = null
  private bar: HTMLElement | null = null
  private rendered = ''
  private last: { span: LiveSpan; index: number } | null = null

  constructor(
    readonly key: string,
    private readonly handlers: BoardHandlers,
  ) {
    this.dom = el('span', 'board', { contenteditable: 'false', 'data-testid': 'fill-board', 'data-span-key': key })
    this.dom.addEventListener('mousedown', (e) => {
      const target = e.target as HTMLElement
      if (target.closest('button')) e.preventDefault()
      // A click on the shown text is a click into the span: the caret goes there, in the
      // editor, so Tab / Esc and typing act on it (the browser would put the selection inside
      // this non-editable widget, where keys do nothing).
      else if (this.mode === 'ready' && target.closest('.cand-text, .cand-original')) {
        e.preventDefault()
        this.handlers.placeCaret(this.key)
      }
    })
    // With focus on the candidate bar (a button of it), the keys act on this span.
    this.dom.addEventListener('keydown', (e) => {
      if (this.mode !== 'ready') return
      const act = boardKey(e)
      if (!act) return
      e.preventDefault()
      e.stopPropagation()
      if (act === 'accept') this.handlers.accept(this.key)
      else if (act === 'reject') this.handlers.reject(this.key)
      else this.handlers.cycle(this.key, act === 'prev' ? -1 : 1)
    })
  }

  render(span: LiveSpan, fill: LiveFill | undefined, index: number): void {
    // Typing elsewhere re-maps the span (new object, same content): nothing to redraw.
    const last = this.last
    if (
      last &&
      last.index === index &&
      last.span.status === span.status &&
      last.span.reveal === span.reveal &&
      last.span.revealedCount === span.revealedCount &&
      last.span.slots === span.slots &&
      last.span.candidates === span.candidates &&
      last.span.rounds === span.rounds &&
      last.span.round === span.round &&
      last.span.current === span.current &&
      last.span.note === span.note
    )
      return
    this.last = { span, index }
    setData(this.dom, 'status', span.status)
    setData(this.dom, 'spanIndex', String(index))
    setData(this.dom, 'spanId', span.spanId)
    if (span.status === 'dropped') return this.renderDropped(span)
    if (span.status === 'ready') return this.renderReady(span, fill)
    this.renderFilling(span, fill)
  }

  private reset(mode: FillBoard['mode']): void {
    if (this.mode === mode) return
    this.mode = mode
    this.dom.replaceChildren()
    this.tiles = []
    this.tileRow = null
    this.bar = null
    this.rendered = ''
  }

  private renderFilling(span: LiveSpan, fill: LiveFill | undefined): void {
    this.reset('filling')
    if (!this.tileRow) {
      this.tileRow = el('span', 'tiles')
      this.bar = el('span', 'span-progress', { 'data-testid': 'span-progress' })
      this.dom.append(this.tileRow, this.bar)
    }
    const slots = span.slots ?? (span.kind === 'slot' ? 8 : estimateSlots(span.original))
    while (this.tiles.length < slots) {
      const t = el('span', 'tile', { 'data-state': 'masked' })
      this.tiles.push(t)
      this.tileRow.append(t)
    }
    while (this.tiles.length > slots) this.tiles.pop()!.remove()
    const row = span.reveal[0] ?? []
    let newest = -1
    for (const r of row) if (r && r.step > newest) newest = r.step
    let revealed = 0
    this.tiles.forEach((tile, i) => {
      const r = row[i]
      if (!r) return
      revealed++
      if (tile.classList.contains('fresh') !== (r.step === newest)) tile.classList.toggle('fresh', r.step === newest)
      if (tile.dataset.state !== 'masked') return
      tile.dataset.state = r.pad ? 'pad' : 'revealed'
      const lead = /^\s/.test(r.text)
      tile.classList.toggle('lead', lead)
      tile.textContent = r.pad ? '' : r.text.trimStart() || '·'
      tile.style.setProperty('--c', confidence(r.confidence))
      tile.title = r.pad ? 'padding (dropped)' : `${Math.round(r.confidence * 100)}% confident · step ${r.step}`
    })
    const candidates = fill?.request.settings.candidates ?? 1
    const total = slots * candidates
    const progress = total > 0 ? Math.min(1, span.revealedCount / total) : 0
    const pct = `${Math.round(progress * 100)}%`
    if (this.bar!.textContent !== pct) this.bar!.textContent = pct
    setData(this.dom, 'slots', String(slots))
    setData(this.dom, 'revealed', String(revealed))
    this.dom.title = `Filling: ${Math.round(progress * 100)}% of ${candidates} candidate${candidates > 1 ? 's' : ''}`
  }

  private renderReady(span: LiveSpan, fill: LiveFill | undefined): void {
    const cands = span.candidates ?? []
    const cur = cands[span.current]
    const rounds = span.rounds
    const sig = `${span.round}:${span.current}/${cands.length}/${rounds.length}/${cur?.text}/${span.original}`
    this.reset('ready')
    if (this.rendered === sig) return
    this.rendered = sig
    // Keys on the bar keep acting on it: the button that had focus has it again after the redraw.
    const active = typeof document !== 'undefined' ? document.activeElement : null
    const focused = active instanceof HTMLElement && this.dom.contains(active) ? active.dataset.testid : undefined
    this.dom.replaceChildren()
    // A visible diff: the writer's text struck through, the candidate after it.
    const original = span.original ? el('del', 'cand-original', { 'data-testid': 'cand-original', title: 'Your text (Esc keeps it)' }) : null
    if (original) original.textContent = span.original
    const text = el('ins', 'cand-text', { 'data-testid': 'cand-text' })
    text.textContent = cur?.text ? cur.text : '∅'
    if (!cur?.text) text.classList.add('empty')
    if (cur) {
      text.style.setProperty('--c', confidence(cur.confidence))
      text.title = `Candidate ${span.current + 1} of ${cands.length} · mean confidence ${Math.round(cur.confidence * 100)}%${fill?.result ? ` · ${fill.result.model.name}` : ''}`
      markOrigin(text, cur)
    }
    const controls = el('span', 'cand-controls')
    const button = (label: string, title: string, testid: string, onClick: () => void, cls = ''): HTMLButtonElement => {
      const b = el('button', `cand-btn ${cls}`, { type: 'button', title, 'aria-label': title, 'data-testid': testid })
      b.textContent = label
      b.addEventListener('click', (e) => {
        e.preventDefault()
        e.stopPropagation()
        onClick()
      })
      return b
    }
    const counter = el('span', 'cand-counter', { 'data-testid': 'cand-counter' })
    counter.textContent = `${span.current + 1}/${cands.length}`
    if (cands.length > 1) controls.append(button('‹', 'Previous candidate (Alt-[)', 'cand-prev', () => this.handlers.cycle(this.key, -1)))
    controls.append(counter)
    if (cands.length > 1) controls.append(button('›', 'Next candidate (Alt-])', 'cand-next', () => this.handlers.cycle(this.key, 1)))
    // With earlier rounds kept, which round is on show ("Round 1 of 3"; its full heading on hover).
    if (rounds.length > 1) {
      const tag = el('span', 'cand-round', { 'data-testid': 'cand-round', title: `${roundHeading(rounds[span.round], span.round)} (☰ lists every round)` })
      tag.textContent = `Round ${span.round + 1} of ${rounds.length}`
      controls.append(tag)
    }
    if (cands.length > 1 || rounds.length > 1) controls.append(this.candidateList(span, rounds.length ? rounds : [{ label: '', candidates: cands } as SpanRound], button))
    controls.append(
      button('✓', 'Accept (Tab)', 'cand-accept', () => this.handlers.accept(this.key), 'accept'),
      button('✎', 'Accept and edit', 'cand-edit', () => this.handlers.edit(this.key)),
      button('✕', 'Reject: keep the original (Esc)', 'cand-reject', () => this.handlers.reject(this.key), 'reject'),
      button('↻', 'Regenerate this span', 'cand-regenerate', () => this.handlers.regenerateSpan(this.key)),
    )
    setData(this.dom, 'candidateIndex', String(span.current))
    setData(this.dom, 'candidateCount', String(cands.length))
    if (original) this.dom.append(original)
    this.dom.append(text, controls)
    // Comparison mode: both models' candidates side by side, labelled (compare-board.ts); a click picks, as ☰ would.
    const columns = compareColumnsElement(cands, span.current, (i) => {
      if (i !== span.current) this.handlers.pick(this.key, span.rounds.length ? span.round : 0, i)
      this.handlers.placeCaret(this.key)
    })
    if (columns) this.dom.append(columns)
    // After a pick from the (now closed) list, its ☰ keeps the focus.
    const refocus = focused === 'cand-pick' ? 'cand-all' : focused
    if (refocus) this.dom.querySelector<HTMLElement>(`[data-testid="${refocus}"]`)?.focus()
  }

  /**
   * All candidates of the span side by side: a toggle that opens a list of every candidate's
   * text to pick from, grouped by round, newest round first, each under its heading ("Round 2 ·
   * Shorter · Safe") when there is more than one. The pick shows in the text, as cycling to it
   * would, and its round becomes the one on show. ↑ / ↓ move between candidates, Enter picks,
   * Esc closes the list.
   */
  private candidateList(
    span: LiveSpan,
    rounds: readonly Pick<SpanRound, 'label' | 'candidates'>[],
    button: (label: string, title: string, testid: string, onClick: () => void, cls?: string) => HTMLButtonElement,
  ): HTMLElement {
    const wrap = el('span', 'cand-all')
    const list = el('ol', 'cand-list', { 'data-testid': 'cand-list', role: 'listbox', 'aria-label': rounds.length > 1 ? 'All candidates of every round' : 'All candidates' })
    list.hidden = true
    const toggle = button('☰', rounds.length > 1 ? 'All candidates of every round: pick one' : 'All candidates side by side: pick one', 'cand-all', () => {
      list.hidden = !list.hidden
      toggle.setAttribute('aria-expanded', String(!list.hidden))
      if (!list.hidden) {
        placeList(list, toggle)
        list.querySelector<HTMLElement>('[aria-selected="true"]')?.focus()
      }
    })
    toggle.setAttribute('aria-expanded', 'false')
    const onShow = span.rounds.length ? span.round : 0
    for (let ri = rounds.length - 1; ri >= 0; ri--) {
      const r = rounds[ri]
      if (rounds.length > 1) {
        const heading = el('li', 'cand-round-heading', { role: 'presentation', 'data-testid': 'cand-round-heading', 'data-round': String(ri) })
        heading.textContent = roundHeading(r, ri)
        list.append(heading)
      }
      r.candidates.forEach((c, i) => {
        const item = el('li', 'cand-item', { role: 'presentation' })
        const selected = ri === onShow && i === span.current
        const pick = el('button', 'cand-pick', {
          type: 'button',
          role: 'option',
          'aria-selected': String(selected),
          'data-testid': 'cand-pick',
          'data-round': String(ri),
          'data-index': String(i),
          title: `${rounds.length > 1 ? `Round ${ri + 1}, c` : 'C'}andidate ${i + 1} · mean confidence ${Math.round(c.confidence * 100)}%`,
        })
        pick.textContent = c.text.trim() ? c.text.trim() : '∅ (nothing)'
        pick.style.setProperty('--c', confidence(c.confidence))
        markOrigin(pick, c)
        pick.addEventListener('click', (e) => {
          e.preventDefault()
          e.stopPropagation()
          list.hidden = true
          toggle.setAttribute('aria-expanded', 'false')
          if (!selected) this.handlers.pick(this.key, ri, i)
        })
        item.append(pick)
        list.append(item)
      })
    }
    list.addEventListener('keydown', (e) => {
      const picks = [...list.querySelectorAll<HTMLElement>('[data-testid="cand-pick"]')]
      const at = picks.indexOf(document.activeElement as HTMLElement)
      const move = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : 0
      if (move !== 0 || e.key === 'Home' || e.key === 'End') {
        e.preventDefault()
        e.stopPropagation()
        const next = e.key === 'Home' ? 0 : e.key === 'End' ? picks.length - 1 : Math.max(0, Math.min(picks.length - 1, at + move))
        picks[next]?.focus()
        return
      }
      if (e.key !== 'Escape') return
      e.preventDefault()
      e.stopPropagation()
      list.hidden = true
      toggle.setAttribute('aria-expanded', 'false')
      toggle.focus()
    })
    wrap.append(toggle, list)
    return wrap
  }

  private renderDropped(span: LiveSpan): void {
    this.reset('dropped')
    if (this.rendered) return
    this.rendered = 'dropped'
    const note = el('span', 'drop-note', { 'data-testid': 'drop-note', role: 'status' })
    note.textContent = 'fill dropped'
    note.title = span.note ?? 'This span was not filled.'
    const close = el('button', 'cand-btn', { type: 'button', title: 'Dismiss', 'aria-label': 'Dismiss' })
    close.textContent = '×'
    close.addEventListener('click', (e) => {
      e.preventDefault()
      this.handlers.dismiss(this.key)
    })
    this.dom.append(note, close)
  }
}

/**
 * Places an open ☰ list where it can be seen (the window, cut by the scrolling desk): below
 * its toggle when it fits there, else above it when there is more room above (a bar near the
 * bottom), scrolling within the room it has; shifted left when it would pass the right edge.
 */
export function placeList(list: HTMLElement, toggle: HTMLElement): void {
  list.classList.remove('cand-list-up')
  list.style.maxHeight = ''
  list.style.left = ''
  const view = visibleArea(toggle)
  const roomAround = () => {
    const t = toggle.getBoundingClientRect()
    return { below: view.bottom - t.bottom - 12, above: t.top - view.top - 12 }
  }
  let room = roomAround()
  // Too little room on either side for a few candidates: the bar comes to the middle first.
  if (Math.max(room.above, room.below) < Math.min(list.scrollHeight, 160) && typeof toggle.scrollIntoView === 'function') {
    toggle.scrollIntoView({ block: 'center' })
    room = roomAround()
  }
  const up = list.scrollHeight > room.below && room.above > room.below
  list.classList.toggle('cand-list-up', up)
  list.dataset.placement = up ? 'above' : 'below'
  list.style.maxHeight = `${Math.max(0, Math.floor(up ? room.above : room.below))}px`
  const r = list.getBoundingClientRect()
  if (r.right > view.right - 8) list.style.left = `${Math.floor(view.right - 8 - r.right)}px`
}

/** The part of the window where `el` can be seen: the window cut by every scrolling or clipping ancestor (the desk). */
function visibleArea(el: HTMLElement): { top: number; bottom: number; right: number } {
  const area = { top: 0, bottom: window.innerHeight, right: window.innerWidth }
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (!/(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowY)) continue
    const r = p.getBoundingClientRect()
    if (r.height === 0) continue
    area.top = Math.max(area.top, r.top)
    area.bottom = Math.min(area.bottom, r.bottom)
    area.right = Math.min(area.right, r.right)
  }
  return area
}
