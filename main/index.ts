/**
 * The Electron main process: windows, menus, dialogs, IPC. Thin: every request is served
 * by the same host-agnostic services as browser mode (main/services), the engine runs in
 * a utility process, and every IPC message's sender and payload are checked.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, session, shell, utilityProcess, type MenuItemConstructorOptions, type WebContents } from 'electron'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import {
  isRequestChannel,
  parseRequest,
  requests,
  type EventChannel,
  type EventPayload,
  type MenuCommand,
  type RequestChannel,
  type SenderContext,
} from './contract'
import { utilityProcessChannel } from './engine/engine-client'
import { createAppServices, type AppServices } from './services/app-services'
import type { FileDialogs } from './services/request-handlers'
import { APP_SCHEME, RENDERER_URL, rendererFileFor } from './shell/renderer-path'
import { setSqliteNativeBinding } from './store/native-binding'

const here = fileURLToPath(new URL('.', import.meta.url))
const appRoot = resolve(here, '../..')
const rendererDir = join(appRoot, 'out/renderer')
const preloadPath = join(appRoot, 'out/preload/index.cjs')

// The renderer is served from a privileged app:// scheme, never file:// (Electron checklist 18):
// one origin of its own, no access to other local files through the page.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }])

/** Unsaved-changes state reported by each window's renderer. */
const dirtyWindows = new Map<number, { dirty: boolean; title: string }>()
let services: AppServices | null = null

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0]
    if (win) {
      if (win.isMinimized()) win.restore()
      win.focus()
    } else createWindow()
  })
  app.whenReady().then(start).catch((err: unknown) => {
    dialog.showErrorBox('Infill could not start', err instanceof Error ? err.message : String(err))
    app.quit()
  })
}

function senderFor(contents: WebContents): SenderContext {
  return {
    id: `win-${contents.id}`,
    emit: <C extends EventChannel>(channel: C, payload: EventPayload<C>) => {
      if (!contents.isDestroyed()) contents.send(`infill:${channel}`, payload)
    },
  }
}

function windowOf(sender: SenderContext): BrowserWindow | null {
  const id = Number(sender.id.replace('win-', ''))
  return BrowserWindow.getAllWindows().find((w) => w.webContents.id === id) ?? null
}

const dialogs: FileDialogs = {
  async pickOpenPath(sender) {
    const win = windowOf(sender)
    const opts = { properties: ['openFile' as const], filters: [{ name: 'Markdown or text', extensions: ['md', 'markdown', 'txt'] }] }
    const result = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  },
  async pickSavePath(sender, kind) {
    const win = windowOf(sender)
    // The host writes a returned path without asking again, so the dialog must ask before replacing
    // (macOS and Windows always do; GTK on Linux only with showOverwriteConfirmation).
    const properties = ['showOverwriteConfirmation' as const, 'createDirectory' as const]
    const opts =
      kind === 'document'
        ? { defaultPath: 'Untitled.md', properties, filters: [{ name: 'Markdown', extensions: ['md'] }, { name: 'Plain text', extensions: ['txt'] }] }
        : { defaultPath: 'infill-preferences.jsonl', properties, filters: [{ name: 'JSON Lines', extensions: ['jsonl'] }] }
    const result = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts)
    return result.canceled ? null : (result.filePath ?? null)
  },
  async pickFolder(sender) {
    const win = windowOf(sender)
    const opts = { title: 'Add a model folder', properties: ['openDirectory' as const] }
    const result = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  },
}

/** `--model DIR` / `--model=DIR` on the command line (or INFILL_MODEL) picks another model directory. */
function modelDirFromArgs(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--model' || a.startsWith('--model='))
  const value = i < 0 ? process.env.INFILL_MODEL : argv[i].includes('=') ? argv[i].slice('--model='.length) : argv[i + 1]
  return value ? resolve(value) : undefined
}

/** Serves app://infill/<path> from the built renderer folder only. */
function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = rendererFileFor(request.url, rendererDir)
    const res = file ? await net.fetch(pathToFileURL(file).href).catch(() => null) : null
    return res?.ok ? res : new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } })
  })
}

/**
 * better-sqlite3 is compiled per runtime: the desktop app loads the copy built for Electron
 * (npm run rebuild:electron; packaged into the app's resources), Node keeps node_modules' own.
 */
function useElectronSqlite(): void {
  const built = app.isPackaged ? join(process.resourcesPath, 'native', 'better_sqlite3.node') : join(appRoot, 'native', 'electron', 'better_sqlite3.node')
  if (existsSync(built)) setSqliteNativeBinding(built)
}

/** The packaged app keeps its default model outside the asar archive (ONNX Runtime reads it natively). */
function defaultDesktopModelDir(): string | undefined {
  return app.isPackaged ? join(process.resourcesPath, 'models', 'default') : undefined
}

async function start(): Promise<void> {
  hardenSessions()
  serveRenderer()
  useElectronSqlite()
  services = await createAppServices({
    appRoot,
    userDataDir: app.getPath('userData'),
    workspaceDir: null,
    dialogs,
    version: app.getVersion(),
    modelDir: modelDirFromArgs(process.argv) ?? defaultDesktopModelDir(),
    spawnEngine: () =>
      utilityProcessChannel(utilityProcess.fork(join(here, 'engine-process.js'), [], { serviceName: 'Infill engine', stdio: 'inherit' })),
    onDirty: (sender, dirty, title) => {
      const win = windowOf(sender)
      if (!win) return
      dirtyWindows.set(win.id, { dirty, title })
      win.setDocumentEdited(dirty)
      win.setTitle(`${dirty ? '• ' : ''}${title} — Infill`)
    },
    broadcast: (channel, payload) => {
      for (const win of BrowserWindow.getAllWindows()) senderFor(win.webContents).emit(channel, payload)
    },
  })
  registerIpc(services)
  Menu.setApplicationMenu(buildMenu())
  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
}

/** Security defaults (Electron's checklist): deny permissions, block navigation and new windows, no spellcheck downloads. */
function hardenSessions(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
  // Chromium's spellchecker downloads dictionaries; Infill promises to run offline.
  session.defaultSession.setSpellCheckerEnabled(false)
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (url === RENDERER_URL) return
      event.preventDefault()
      void confirmOpenExternal(contents, url)
    })
    contents.on('will-redirect', (event) => event.preventDefault())
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(({ url }) => {
      void confirmOpenExternal(contents, url)
      return { action: 'deny' }
    })
  })
}

/** A link in the writer's text: http(s) only, and only after the writer confirms, in the system browser. */
async function confirmOpenExternal(contents: WebContents, url: string): Promise<void> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return
  const win = BrowserWindow.fromWebContents(contents)
  const options = {
    type: 'question' as const,
    buttons: ['Open in browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    noLink: true,
    message: 'Open this link in your web browser?',
    detail: parsed.href,
  }
  const { response } = win ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options)
  if (response === 0) await shell.openExternal(parsed.href)
}

/** One ipcMain handler per contract channel; the sender must be one of our windows showing our page. */
function registerIpc(svc: AppServices): void {
  for (const channel of Object.keys(requests) as RequestChannel[]) {
    ipcMain.handle(`infill:${channel}`, async (event, payload: unknown) => {
      const frameUrl = event.senderFrame?.url ?? ''
      const win = BrowserWindow.fromWebContents(event.sender)
      if (!win || frameUrl !== RENDERER_URL) throw new Error(`refused "${channel}" from an unexpected sender`)
      if (!isRequestChannel(channel)) throw new Error(`unknown channel "${channel}"`)
      const parsed = parseRequest(channel, payload)
      const handler = svc.handlers[channel] as (p: unknown, s: SenderContext) => Promise<unknown>
      return handler(parsed, senderFor(event.sender))
    })
  }
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1180,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    title: 'Infill',
    backgroundColor: '#f7f5f0',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      // No spellcheck: Chromium would download dictionaries, and Infill runs offline.
      spellcheck: false,
      // Middle-click must not open links in new windows (electronegativity AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
    },
  })
  win.once('ready-to-show', () => win.show())
  win.on('close', (event) => {
    const state = dirtyWindows.get(win.id)
    if (state?.dirty) {
      // The renderer asks the writer (save / discard / cancel) and reports back with doc:setDirty, then closes.
      event.preventDefault()
      senderFor(win.webContents).emit('window:closeRequested', undefined)
    }
  })
  const contentsId = win.webContents.id
  // A closed window's fills are cancelled, as a closed browser tab's are.
  win.webContents.once('destroyed', () => services?.senderClosed(`win-${contentsId}`))
  win.on('closed', () => dirtyWindows.delete(win.id))
  void win.loadURL(RENDERER_URL)
  return win
}

function sendMenu(command: MenuCommand): void {
  const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
  if (win) senderFor(win.webContents).emit('menu:command', command)
}

function buildMenu(): Menu {
  const isMac = process.platform === 'darwin'
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New', accelerator: 'CmdOrCtrl+N', click: () => createWindow() },
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: () => sendMenu('open') },
        { type: 'separator' },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', click: () => sendMenu('save') },
        { label: 'Save As…', accelerator: 'CmdOrCtrl+Shift+S', click: () => sendMenu('saveAs') },
        { type: 'separator' },
        { label: 'Export preference data…', click: () => sendMenu('exportPreferences') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
        { type: 'separator' },
        { label: 'Regenerate masked spans', accelerator: 'CmdOrCtrl+Enter', click: () => sendMenu('regenerate') },
      ],
    },
    {
      label: 'View',
      submenu: [
        { label: 'Preference log', accelerator: 'CmdOrCtrl+Shift+P', click: () => sendMenu('togglePreferences') },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }]),
      ],
    },
  ]
  return Menu.buildFromTemplate(template)
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

app.on('will-quit', () => {
  void services?.dispose()
})
