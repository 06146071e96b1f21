/**
 * Maps an address of the app's own scheme (app://infill/...) to a file of the built
 * renderer, or null when it names anything outside that folder. Pure: no Electron, so the
 * rule is unit-tested without a desktop.
 */
import { isAbsolute, join, normalize, relative } from 'node:path'

/** The privileged scheme and host the desktop renderer is served from (instead of file://). */
export const APP_SCHEME = 'app'
export const APP_HOST = 'infill'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
/** The one page the desktop windows show. */
export const RENDERER_URL = `${APP_ORIGIN}/index.html`

/** The renderer file for `url`, or null (another host, malformed escapes, or a path leaving `rendererDir`). */
export function rendererFileFor(url: string, rendererDir: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null
  let path: string
  try {
    path = decodeURIComponent(parsed.pathname)
  } catch {
    return null
  }
  if (path.includes('\0')) return null
  const rel = path === '/' || path === '' ? 'index.html' : path.replace(/^\/+/, '')
  const file = normalize(join(rendererDir, rel))
  const inside = relative(rendererDir, file)
  if (inside === '' || isAbsolute(inside) || inside.split(/[\\/]/)[0] === '..') return null
  return file
}
