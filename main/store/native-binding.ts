/**
 * Which compiled better-sqlite3 addon to load. Node (browser mode, the CLIs, the tests) uses
 * the one in node_modules; the desktop app sets the copy built for Electron's ABI
 * (scripts/electron-native.mjs) before anything opens a database.
 */
let nativeBinding: string | undefined

/** Sets the addon file every later database open uses (desktop: the Electron build). */
export function setSqliteNativeBinding(path: string | undefined): void {
  nativeBinding = path
}

/** The `nativeBinding` option for `new Database(...)`: empty unless the host set one. */
export function sqliteBindingOption(): { nativeBinding?: string } {
  return nativeBinding ? { nativeBinding } : {}
}
