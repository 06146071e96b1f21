/**
 * The desktop app's user-data folder, computed without Electron so browser mode and the
 * CLIs use the same preference log as the desktop app (Electron's app.getPath('userData')).
 */
import { homedir } from 'node:os'
import { join } from 'node:path'

export const APP_NAME = 'infill'

export function defaultUserDataDir(): string {
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME)
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME)
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME)
}

/** The preference log's file inside a user-data folder. */
export function preferenceDbPath(userDataDir: string): string {
  return join(userDataDir, 'preferences.sqlite')
}

export function recoveryDir(userDataDir: string): string {
  return join(userDataDir, 'recovery')
}

/** Models the writer installed (the model manager's folder); engine:loadModel may open anything under it. */
export function userModelsDir(userDataDir: string): string {
  return join(userDataDir, 'models')
}
