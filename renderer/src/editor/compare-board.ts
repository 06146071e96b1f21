/**
 * The comparison on a candidate bar: both models' candidates for the span side by side, in
 * two columns headed by the model ("base: infill-default-mdlm", "tuned: …"), left and right
 * as the host drew them for this span. The candidate on show is marked; a click on another
 * picks it (as ‹ › would) and puts the caret in the span, so Tab accepts it and Esc rejects
 * all; Alt-[ / Alt-] walk through both columns. Plain DOM, built by the board (fill-board.ts).
 */
import type { SpanCandidate } from '../../../main/contract'
import { comparisonColumns } from './compare-candidates'

/** The columns element for a round's candidates, or null when the round is not a comparison. */
export function compareColumnsElement(candidates: readonly SpanCandidate[], current: number, pick: (index: number) => void): HTMLElement | null {
  const columns = comparisonColumns(candidates)
  if (!columns) return null
  const wrap = document.createElement('span')
  wrap.className = 'cmp'
  wrap.dataset.testid = 'compare-columns'
  wrap.dataset.order = columns.map((c) => c.role).join(',')
  for (const column of columns) {
    const col = document.createElement('span')
    col.className = 'cmp-col'
    col.dataset.testid = 'compare-column'
    col.dataset.role = column.role
    const label = document.createElement('span')
    label.className = 'cmp-label'
    label.dataset.testid = 'compare-label'
    label.textContent = column.label
    col.append(label)
    for (const i of column.indexes) {
      const c = candidates[i]
      const b = document.createElement('button')
      b.type = 'button'
      b.className = 'cmp-pick'
      b.dataset.testid = 'compare-pick'
      b.dataset.index = String(i)
      b.setAttribute('aria-pressed', String(i === current))
      b.title = `${column.label} · mean confidence ${Math.round(c.confidence * 100)}%${i === current ? ' · on show: Tab accepts' : ' · click to show it, then Tab accepts'}`
      b.textContent = c.text.trim() ? c.text.trim() : '∅ (nothing)'
      b.style.setProperty('--c', Math.max(0, Math.min(1, c.confidence)).toFixed(3))
      b.addEventListener('click', (e) => {
        e.preventDefault()
        e.stopPropagation()
        pick(i)
      })
      col.append(b)
    }
    wrap.append(col)
  }
  return wrap
}
