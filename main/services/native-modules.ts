/**
 * Native modules (better-sqlite3) are compiled for one runtime's ABI: Node's for browser
 * mode, the CLIs and the tests, Electron's for the desktop app. When one is loaded under
 * the wrong runtime, say which command fixes it instead of showing the loader's raw text.
 */

/** The command that builds the native modules for Electron (also run by `npm install` when Electron is there). */
export const ELECTRON_REBUILD_COMMAND = 'npm run rebuild:electron'

/** True when `err` is a native module compiled for another runtime (NODE_MODULE_VERSION mismatch) or missing its binary. */
export function isNativeModuleLoadError(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err)
  return /NODE_MODULE_VERSION|was compiled against a different Node\.js version|Could not locate the bindings file|invalid ELF header|better_sqlite3\.node/.test(text)
}

/** A message for the writer: the loader's reason, and for a native-module failure the command that fixes it. */
export function explainNativeModuleError(err: unknown, runtime: 'electron' | 'node' = process.versions.electron ? 'electron' : 'node'): string {
  const text = err instanceof Error ? err.message : String(err)
  if (!isNativeModuleLoadError(err)) return text
  const fix =
    runtime === 'electron'
      ? `better-sqlite3 is not built for this Electron: run \`${ELECTRON_REBUILD_COMMAND}\` in the app folder (it needs the Electron binary), then restart Infill.`
      : 'better-sqlite3 is not built for this Node.js: run `npm rebuild better-sqlite3` in the app folder, then start again.'
  return `${fix} (${text.split('\n')[0]})`
}
