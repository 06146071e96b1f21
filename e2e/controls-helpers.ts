/**
 * Helpers for the controls specs: the fill requests the page sends (read off its WebSocket),
 * so a spec can check what a gesture asked the engine for.
 */
import type { Page } from '@playwright/test'
import type { FillRequest } from '../main/contract'

function findRequest(x: unknown): FillRequest | null {
  if (!x || typeof x !== 'object') return null
  const o = x as Record<string, unknown>
  if (Array.isArray(o.spans) && typeof o.text === 'string' && o.settings) return o as unknown as FillRequest
  for (const v of Object.values(o)) {
    const r = findRequest(v)
    if (r) return r
  }
  return null
}

/** Collects every fill request the page sends from now on. */
export function captureFillRequests(page: Page): FillRequest[] {
  const seen: FillRequest[] = []
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      if (typeof f.payload !== 'string' || !f.payload.includes('"spans"')) return
      try {
        const r = findRequest(JSON.parse(f.payload))
        if (r) seen.push(r)
      } catch {
        // not JSON: not a request
      }
    }),
  )
  return seen
}
