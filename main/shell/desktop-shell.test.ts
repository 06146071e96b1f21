/**
 * Hostile-input suite, item 12 (desktop shell). There is no Electron binary on the test
 * machines, so these check the rules the shell is built from: the app:// path mapping
 * (pure), the main process's source and the packaging configuration, and the real
 * better-sqlite3 load failure and its message.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { explainNativeModuleError } from '../services/native-modules'
import { setSqliteNativeBinding } from '../store/native-binding'
import { PreferenceStore } from '../store/preference-store'
import { RENDERER_URL, rendererFileFor } from './renderer-path'

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const read = (p: string): string => readFileSync(join(root, p), 'utf8')

describe('12. desktop shell', () => {
  afterEach(() => setSqliteNativeBinding(undefined))

  it('serves the renderer from app://infill only, never a file outside the renderer folder', () => {
    const dir = '/opt/infill/out/renderer'
    expect(rendererFileFor(RENDERER_URL, dir)).toBe(`${dir}/index.html`)
    expect(rendererFileFor('app://infill/assets/app.js', dir)).toBe(`${dir}/assets/app.js`)
    // Dots in the address are resolved by the URL parser, within the scheme's root.
    expect(rendererFileFor('app://infill/../../etc/passwd', dir)).toBe(`${dir}/etc/passwd`)
    expect(rendererFileFor('app://infill/%2e%2e/%2e%2e/etc/passwd', dir)).toBe(`${dir}/etc/passwd`)
    for (const url of [
      'app://infill/..%2f..%2fetc%2fpasswd',
      'app://infill/assets/%E0%A4%A',
      'app://infill/a%00.js',
      'app://other/index.html',
      'file:///opt/infill/out/renderer/index.html',
      'not a url',
    ]) {
      expect({ url, file: rendererFileFor(url, dir) }).toEqual({ url, file: null })
    }
  })

  it('loads the window from the privileged scheme, with spellcheck off and links only after a confirmation', () => {
    const main = read('main/index.ts')
    expect(main).toMatch(/registerSchemesAsPrivileged\(\[\{ scheme: APP_SCHEME, privileges: \{ standard: true, secure: true/)
    expect(main).toMatch(/protocol\.handle\(APP_SCHEME/)
    expect(main).toMatch(/win\.loadURL\(RENDERER_URL\)/)
    expect(main).not.toMatch(/loadFile\(|pathToFileURL\(rendererIndex|['"`]file:\/\//)
    expect(main).toMatch(/spellcheck: false/)
    expect(main).toMatch(/setSpellCheckerEnabled\(false\)/)
    // The only openExternal call comes after the writer answered the question dialog.
    const calls = main.match(/shell\.openExternal\(/g) ?? []
    expect(calls).toHaveLength(1)
    const confirm = main.slice(main.indexOf('async function confirmOpenExternal'))
    expect(confirm.indexOf('showMessageBox')).toBeGreaterThan(0)
    expect(confirm.indexOf('showMessageBox')).toBeLessThan(confirm.indexOf('shell.openExternal('))
    expect(confirm).toMatch(/if \(response === 0\) await shell\.openExternal/)
  })

  it('packages with electron-builder and flips the fuses the issue names', () => {
    const builder = read('electron-builder.yml')
    expect(builder).toMatch(/^asar: true$/m)
    expect(builder).toMatch(/^afterPack: scripts\/electron-fuses\.cjs$/m)
    expect(builder).toMatch(/^npmRebuild: false$/m)
    const fuses = createRequire(import.meta.url)(join(root, 'scripts/electron-fuses.cjs')) as { FUSES: Record<string, boolean>; default: unknown }
    expect(typeof fuses.default).toBe('function')
    expect(fuses.FUSES).toMatchObject({
      RunAsNode: false,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableCookieEncryption: true,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
    })
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; devDependencies: Record<string, string> }
    expect(pkg.scripts.postinstall).toBe('node scripts/electron-native.mjs')
    expect(pkg.scripts['rebuild:electron']).toBe('node scripts/electron-native.mjs --required')
    expect(pkg.devDependencies['electron-builder']).toBeDefined()
    expect(pkg.devDependencies['@electron/fuses']).toBeDefined()
  })

  it('a better-sqlite3 build that does not load names the command that fixes it', () => {
    setSqliteNativeBinding(join(mkdtempSync(join(tmpdir(), 'infill-native-')), 'better_sqlite3.node'))
    let failure: unknown = null
    try {
      PreferenceStore.open(join(mkdtempSync(join(tmpdir(), 'infill-native-db-')), 'prefs.sqlite')).close()
    } catch (err) {
      failure = err
    }
    expect(failure).not.toBeNull()
    expect(explainNativeModuleError(failure, 'electron')).toMatch(/npm run rebuild:electron/)
    expect(explainNativeModuleError(failure, 'node')).toMatch(/npm rebuild better-sqlite3/)
    // The message Node gives for a build of another ABI is recognised too.
    const abi = new Error("The module '/app/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 140.")
    expect(explainNativeModuleError(abi, 'electron')).toMatch(/^better-sqlite3 is not built for this Electron: run `npm run rebuild:electron`/)
    expect(explainNativeModuleError(new Error('disk full'), 'electron')).toBe('disk full')
  })
})
