/**
 * Where a candidate comes from, as the candidate bar and the ☰ list mark it (issue 21): a
 * candidate drawn from the writer's own text, or a passage of the model's training text,
 * carries `data-origin` (the stylesheet adds a small "your text" tag) and says so on hover.
 */
import type { SpanCandidate } from '../../../main/contract'

const LABEL = { manuscript: 'from your text', training: 'from the training text' } as const

/** The words a candidate's tag and title use for its origin ('model' and none: nothing). */
export function originLabel(c: Pick<SpanCandidate, 'origin'> | undefined): string | null {
  return c?.origin === 'manuscript' || c?.origin === 'training' ? LABEL[c.origin] : null
}

/** Marks `el` (a candidate's text or its ☰ entry) with the candidate's origin. */
export function markOrigin(el: HTMLElement, c: Pick<SpanCandidate, 'origin'> | undefined): void {
  const label = originLabel(c)
  if (!label || !c?.origin) {
    delete el.dataset.origin
    return
  }
  el.dataset.origin = c.origin
  el.title = el.title ? `${el.title} · ${label}` : label
}
