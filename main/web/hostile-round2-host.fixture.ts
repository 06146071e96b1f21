/**
 * The browser-mode host for the round-two hostile suite (issue 25): the real app services and
 * web host, as `npm run serve` builds them, with every engine (the main one and each
 * comparison engine) a real child process running stand-in-engine.fixture.ts, so the suite
 * can count engine processes. SIGTERM stops it the way serve.ts does (close the host, dispose
 * the services, exit).
 *
 * argv: <appRoot> <workspace> <userData> <rendererDir>. Prints one JSON line {port, token,
 * cookieName}; answers an IPC 'pids' message with {pids} (every engine process it started).
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { EngineChannel } from '../engine/engine-client'
import type { ToEngine } from '../engine/protocol'
import { createAppServices } from '../services/app-services'
import { startWebHost } from './web-host'

const [appRoot, workspaceDir, userDataDir, rendererDir] = process.argv.slice(2)
const STAND_IN = fileURLToPath(new URL('./stand-in-engine.fixture.ts', import.meta.url))
const pids: number[] = []

function spawnStandIn(): EngineChannel {
  const child = fork(STAND_IN, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  if (child.pid) pids.push(child.pid)
  return {
    post: (m: ToEngine) => {
      if (child.connected) child.send(m)
    },
    onMessage: (fn) => void child.on('message', fn),
    onExit: (fn) => void child.on('exit', (code, signal) => fn(signal ? `signal ${signal}` : `exit code ${code}`)),
    kill: () => void child.kill(),
    get pid() {
      return child.pid
    },
  }
}

async function main(): Promise<void> {
  let host: Awaited<ReturnType<typeof startWebHost>> | null = null
  const services = await createAppServices({
    appRoot,
    userDataDir,
    workspaceDir,
    dialogs: null,
    version: 'hostile-round2',
    spawnEngine: spawnStandIn,
    broadcast: (channel, payload) => host?.broadcast(channel, payload),
  })
  host = await startWebHost({ rendererDir, handlers: services.handlers, onConnectionClosed: (id) => services.senderClosed(id) })
  process.on('message', (msg) => {
    if (msg === 'pids') process.send?.({ pids })
  })
  let stopping = false
  process.on('SIGTERM', () => {
    if (stopping) return
    stopping = true
    void (async () => {
      await host?.close()
      await services.dispose()
      process.exit(0)
    })()
  })
  console.log(JSON.stringify({ port: host.port, token: host.token, cookieName: host.cookieName }))
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
