/**
 * The renderer's one door to its host. In Electron the preload exposes `window.infill`
 * (main/preload.ts); in browser mode there is none and the API runs over a WebSocket to
 * the page's own origin. Either way the renderer sees the same InfillApi.
 */
import type { InfillApi } from '../../../main/contract'
import { createWebSocketApi } from './ws-client'

declare global {
  interface Window {
    infill?: InfillApi
  }
}

let api: InfillApi | null = null

/** Returns the host API (created once). */
export function getApi(): InfillApi {
  if (api) return api
  if (window.infill) {
    api = window.infill
  } else {
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
    api = createWebSocketApi(`${scheme}//${window.location.host}/ws`)
  }
  return api
}
