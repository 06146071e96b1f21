/**
 * The desktop app itself, through Playwright's Electron driver. It needs the Electron
 * binary (downloaded on first run) and a display; where either is missing the test is
 * skipped and says why.
 */
import { _electron as electron, expect, test } from '@playwright/test'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..')

function electronBinary(): { exe: string } | { reason: string } {
  const require = createRequire(join(ROOT, 'package.json'))
  let pkgDir: string
  try {
    pkgDir = dirname(require.resolve('electron/package.json'))
  } catch {
    return { reason: 'the electron package is not installed' }
  }
  const pathFile = join(pkgDir, 'path.txt')
  if (!existsSync(pathFile)) return { reason: 'the Electron binary has not been downloaded (no network on this machine); run `npm start` once on a networked machine' }
  const exe = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim())
  if (!existsSync(exe)) return { reason: `the Electron binary is missing at ${exe}` }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { reason: 'there is no display (set DISPLAY, e.g. under xvfb-run)' }
  return { exe }
}

test('the desktop app opens a sandboxed window on the editor', async () => {
  const found = electronBinary()
  if ('reason' in found) {
    console.log(`electron spec skipped: ${found.reason}`)
    test.skip(true, found.reason)
    return
  }
  const app = await electron.launch({ executablePath: found.exe, args: [ROOT], cwd: ROOT })
  try {
    const window = await app.firstWindow()
    await expect(window.getByTestId('editor')).toBeVisible({ timeout: 60_000 })
    // The renderer has no Node: the preload exposes only the contract's API.
    const exposed = await window.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      infill: Object.keys((window as unknown as { infill?: object }).infill ?? {}).sort(),
    }))
    expect(exposed).toEqual({ require: 'undefined', process: 'undefined', infill: ['invoke', 'on'] })
  } finally {
    await app.close()
  }
})
