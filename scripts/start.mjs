#!/usr/bin/env node
/**
 * `npm start`: build, then launch the desktop app. Where the Electron binary cannot be had
 * (it is downloaded on first run) or there is no display, say so in one line and serve
 * browser mode instead.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const passThrough = process.argv.slice(2)

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

/** Path of an installed Electron binary, downloading it once if allowed; or why there is none. */
function electronBinary() {
  let pkgDir
  try {
    pkgDir = dirname(require.resolve('electron/package.json'))
  } catch {
    return { reason: 'the electron package is not installed' }
  }
  const binary = () => {
    const pathFile = join(pkgDir, 'path.txt')
    if (!existsSync(pathFile)) return null
    const exe = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim())
    return existsSync(exe) ? exe : null
  }
  if (binary()) return { exe: binary() }
  const download = spawnSync(process.execPath, [join(pkgDir, 'install.js')], { cwd: pkgDir, stdio: 'ignore', timeout: 120_000 })
  if (download.status === 0 && binary()) return { exe: binary() }
  return { reason: 'its binary could not be downloaded' }
}

run(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'])

const electron = electronBinary()
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
if (electron.exe && !noDisplay) {
  const child = spawn(electron.exe, [root, ...passThrough], { cwd: root, stdio: 'inherit' })
  child.on('exit', (code) => process.exit(code ?? 0))
} else {
  const why = electron.exe ? 'there is no display to open a window on' : electron.reason
  console.log(`Electron cannot run here (${why}); serving Infill in browser mode instead.`)
  const child = spawn(process.execPath, [join(root, 'out/main/serve.js'), ...passThrough], { cwd: root, stdio: 'inherit' })
  const forward = (sig) => child.kill(sig)
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  child.on('exit', (code) => process.exit(code ?? 0))
}
