/**
 * The browser-mode host as `npm run serve` builds it (app services, request handlers,
 * preference log, recovery store, web host), for the hostile-input suite. Only the engine
 * process is replaced: a stand-in that loads instantly, keeps a fill running until it is
 * cancelled, and so keeps everything behind it queued, which is what floods and disconnects
 * need. Runs in its own process so the suite sees whether it exits and what its RSS is.
 *
 * argv: <appRoot> <workspace> <userData> <rendererDir>. Prints one JSON line {port, token,
 * cookieName}; answers an IPC 'rss' message with {rss, queued, fills}.
 */
import type { EngineChannel } from '../engine/engine-client'
import type { FromEngine, ToEngine } from '../engine/protocol'
import { createAppServices } from '../services/app-services'
import { startWebHost } from './web-host'

const [appRoot, workspaceDir, userDataDir, rendererDir] = process.argv.slice(2)

/** An engine that loads any allowed directory at once and never finishes a fill on its own. */
function standInEngine(): EngineChannel {
  let onMessage: (msg: unknown) => void = () => undefined
  const reply = (msg: FromEngine): void => void setImmediate(() => onMessage(msg))
  return {
    post(msg: ToEngine) {
      if (msg.type === 'load') {
        const model = { name: 'stand-in', family: 'mdlm' as const, dir: msg.dir, maxLength: 128, vocabSize: 100, hash: '0', provider: 'cpu' }
        reply({ type: 'state', state: { status: 'ready', model, queued: 0 } })
        reply({ type: 'loaded', dir: msg.dir, model })
      } else if (msg.type === 'cancel') {
        reply({ type: 'error', error: { requestId: msg.requestId, message: 'Cancelled.', cancelled: true } })
      }
    },
    onMessage: (fn) => void (onMessage = fn),
    onExit: () => undefined,
    kill: () => undefined,
    pid: process.pid,
  }
}

async function main(): Promise<void> {
  let host: Awaited<ReturnType<typeof startWebHost>> | null = null
  const services = await createAppServices({
    appRoot,
    userDataDir,
    workspaceDir,
    dialogs: null,
    version: 'hostile-test',
    spawnEngine: standInEngine,
    broadcast: (channel, payload) => host?.broadcast(channel, payload),
  })
  host = await startWebHost({ rendererDir, handlers: services.handlers, onConnectionClosed: (id) => services.senderClosed(id) })
  process.on('message', (msg) => {
    if (msg === 'rss') process.send?.({ rss: process.memoryUsage().rss, queued: services.engine.state().queued })
    if (msg === 'gc') (globalThis as { gc?: () => void }).gc?.()
  })
  console.log(JSON.stringify({ port: host.port, token: host.token, cookieName: host.cookieName }))
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
