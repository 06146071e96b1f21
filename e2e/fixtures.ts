/**
 * The e2e harness: starts the built browser-mode host (out/main/serve.js) on a fresh
 * workspace and user-data folder with the real default model, and opens the app the way
 * a writer would, through the printed address. `npm run build` must have run first
 * (the test command does it).
 */
import { test as base, expect, type Page } from '@playwright/test'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..')
export const ARTIFACTS = join(ROOT, 'e2e', 'artifacts')

export interface InfillHost {
  url: string
  origin: string
  workspace: string
  userData: string
  process: ChildProcess
  /** Stops the host (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>
}

/** Starts browser mode; resolves once it printed its address. */
export async function startHost(opts: { workspace?: string; userData?: string } = {}): Promise<InfillHost> {
  const serveJs = join(ROOT, 'out/main/serve.js')
  if (!existsSync(serveJs)) throw new Error('out/main/serve.js is missing: run `npm run build` before the e2e tests.')
  const base = mkdtempSync(join(tmpdir(), 'infill-e2e-'))
  const workspace = opts.workspace ?? join(base, 'workspace')
  const userData = opts.userData ?? join(base, 'user-data')
  mkdirSync(workspace, { recursive: true })
  const child = spawn(process.execPath, [serveJs, '--port', '0', '--workspace', workspace, '--user-data', userData], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser-mode host printed no address within 60 s:\n${log}`)), 60_000)
    const onData = (chunk: Buffer): void => {
      log += chunk.toString()
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)/.exec(log)
      if (m) {
        clearTimeout(timer)
        resolveUrl(m[1])
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()))
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`browser-mode host exited with code ${code}:\n${log}`))
    })
  })
  child.stdout!.on('data', (c: Buffer) => process.env.INFILL_E2E_VERBOSE && process.stdout.write(c))
  return {
    url,
    origin: new URL(url).origin,
    workspace,
    userData,
    process: child,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r()
        child.once('exit', () => r())
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref()
      }),
  }
}

/** Opens the app and waits until the editor is ready for typing. */
export async function openApp(page: Page, host: InfillHost): Promise<void> {
  await page.goto(host.url)
  await expect(page.getByTestId('editor')).toBeVisible()
}

/** Opens the app and waits until the engine has loaded its model and is ready to fill. */
export async function openAppWithEngine(page: Page, host: InfillHost): Promise<void> {
  await openApp(page, host)
  await expect(page.getByTestId('engine-status')).toHaveAttribute('data-status', 'ready', { timeout: 120_000 })
}

export const test = base.extend<{ host: InfillHost }>({
  host: async ({}, use) => {
    const host = await startHost()
    await use(host)
    await host.stop()
  },
})

export { expect }

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true })
  return join(ARTIFACTS, `${name}.png`)
}
