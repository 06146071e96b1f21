#!/usr/bin/env node
/**
 * Builds better-sqlite3 for Electron's ABI with @electron/rebuild, into native/electron/
 * (git-ignored), beside the Node build in node_modules that browser mode, the CLIs and the
 * tests load. The desktop app loads this copy (main/index.ts → setSqliteNativeBinding), and
 * packaging puts it into the app's resources (electron-builder.yml).
 *
 *   postinstall (`npm install` / `npm ci`): builds when the Electron binary is installed;
 *     otherwise (offline, or Electron's download not allowed) prints one line and exits 0.
 *   `npm run rebuild:electron`: the same, but fails when it cannot build.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const required = process.argv.includes('--required')
const require = createRequire(import.meta.url)
const target = join(root, 'native', 'electron', 'better_sqlite3.node')

function stop(message) {
  if (required) {
    console.error(`rebuild:electron: ${message}`)
    process.exit(1)
  }
  console.log(`Infill: skipped building better-sqlite3 for Electron (${message}); browser mode and the tests are unaffected, the desktop app needs \`npm run rebuild:electron\` once Electron is installed.`)
  process.exit(0)
}

/** The installed Electron's version, or why there is none. */
function electronVersion() {
  let pkgDir
  try {
    pkgDir = dirname(require.resolve('electron/package.json'))
  } catch {
    return { reason: 'the electron package is not installed' }
  }
  const pathFile = join(pkgDir, 'path.txt')
  if (!existsSync(pathFile) || !existsSync(join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim()))) {
    return { reason: 'no Electron binary here: it was not downloaded' }
  }
  return { version: JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version }
}

const electron = electronVersion()
if (!electron.version) stop(electron.reason)

let rebuild
try {
  ;({ rebuild } = require('@electron/rebuild'))
} catch {
  stop('@electron/rebuild is not installed (a production install leaves it out)')
}

// A private copy of better-sqlite3 and what its build needs, so the Node build in node_modules stays as it is.
const stage = join(root, 'native', 'electron', 'stage')
rmSync(stage, { recursive: true, force: true })
const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'))
const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version
mkdirSync(join(stage, 'node_modules'), { recursive: true })
cpSync(sqliteDir, join(stage, 'node_modules', 'better-sqlite3'), { recursive: true, filter: (src) => !src.includes(`${join(sqliteDir, 'build')}`) })
for (const dep of ['bindings', 'file-uri-to-path']) {
  try {
    cpSync(dirname(require.resolve(`${dep}/package.json`)), join(stage, 'node_modules', dep), { recursive: true })
  } catch {
    /* optional at build time */
  }
}
writeFileSync(join(stage, 'package.json'), JSON.stringify({ name: 'infill-native-stage', private: true, dependencies: { 'better-sqlite3': sqliteVersion } }))

try {
  await rebuild({ buildPath: stage, electronVersion: electron.version, onlyModules: ['better-sqlite3'], force: true })
} catch (err) {
  stop(`@electron/rebuild failed for Electron ${electron.version}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
}
const built = join(stage, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')
if (!existsSync(built)) stop(`@electron/rebuild finished but left no ${built}`)
copyFileSync(built, target)
rmSync(stage, { recursive: true, force: true })
// Proof it is not the Node build: Node refuses to load it.
const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(target)})`], { encoding: 'utf8' })
console.log(`Infill: better-sqlite3 ${sqliteVersion} built for Electron ${electron.version} → ${target}${check.status === 0 ? ' (warning: plain Node loads it too)' : ''}`)
