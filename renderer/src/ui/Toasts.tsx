/** Short messages: confirmations and errors, dismissible. */
import type { Session } from '../app/session'
import { useStore } from '../app/store'

export function Toasts({ session }: { session: Session }) {
  const toasts = useStore(session.store, (x) => x.toasts)
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
