/**
 * The "N spans ready" note: raised when a fill's candidates are shown, and kept in step with
 * the spans still on offer — its count follows each decision, and it goes away with the last.
 */

/** The key the note's toast carries (one at a time; a new one replaces it). */
export const OFFERS_TOAST_KEY = 'offers'

/** The note for `n` spans on offer. */
export function offersNote(n: number): string {
  return `${n} span${n === 1 ? '' : 's'} ready. With the caret in a span (or on its bar): Tab accepts, Esc rejects, Alt-[ / Alt-] cycle candidates.`
}
