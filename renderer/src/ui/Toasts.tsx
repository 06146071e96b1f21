/** Short messages: confirmations and errors, dismissible. */
import { OFFERS_TOAST_KEY, offersNote } from '../app/offers-note'
import type { Session } from '../app/session'
import { useStore, type Toast } from '../app/store'

/**
 * The toasts as shown: the "N spans ready" note counts the spans on offer now (a decision
 * lowers it) and is gone once none is left.
 */
export function liveToasts(toasts: readonly Toast[], offers: number): Toast[] {
  return toasts.flatMap((t) => (t.key !== OFFERS_TOAST_KEY ? [t] : offers > 0 ? [{ ...t, text: offersNote(offers) }] : []))
}

export function Toasts({ session }: { session: Session }) {
  const all = useStore(session.store, (x) => x.toasts)
  const offers = useStore(session.store, (x) => x.offers)
  const toasts = liveToasts(all, offers)
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} data-testid={`toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span>{t.text}</span>
          <button className="toast-close" aria-label="Dismiss" onClick={() => session.store.dismissToast(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
