/**
 * Closes a popover on Esc and on a press outside it. Presses inside `keepInside` (the popover
 * and the button that opens it) are left alone, so that button still toggles it.
 */
import { useEffect, type RefObject } from 'react'

export function useDismiss(keepInside: RefObject<HTMLElement | null>, onClose: () => void, open = true): void {
  useEffect(() => {
    if (!open) return
    const onDown = (e: MouseEvent): void => {
      const inside = keepInside.current
      if (inside && e.target instanceof Node && inside.contains(e.target)) return
      onClose()
    }
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape') return
      e.preventDefault()
      e.stopPropagation()
      onClose()
    }
    window.addEventListener('mousedown', onDown, true)
    window.addEventListener('keydown', onKey, true)
    return () => {
      window.removeEventListener('mousedown', onDown, true)
      window.removeEventListener('keydown', onKey, true)
    }
  }, [keepInside, onClose, open])
}
