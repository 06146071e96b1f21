/**
 * `npm run serve`: browser mode. Starts the same main-process services as the desktop app
 * (engine in a child process, preference log, documents) behind the local web host and
 * prints the address, which carries this run's token.
 */
import { mkdirSync } from 'node:fs'
import { homedir, platform } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { forkWithNode } from '../engine/engine-client'
import { createAppServices } from '../services/app-services'
import { defaultUserDataDir } from '../services/user-data'
import { writeUrlFile } from './url-file'
import { startWebHost } from './web-host'

const USAGE = `Usage: npm run serve -- [--port N] [--workspace DIR] [--user-data DIR] [--model DIR] [--url-file FILE]

  --port        port on 127.0.0.1 (default: a free one)
  --workspace   folder whose .md/.txt files the app opens and saves (default: ~/Documents/Infill)
  --user-data   folder for the preference log and recovery copies (default: the desktop app's)
  --model       model directory (default: models/default)
  --url-file    also write the address to this file`

async function main(): Promise<void> {
  let args
  try {
    args = parseArgs({
      options: {
        port: { type: 'string', default: '0' },
        workspace: { type: 'string' },
        'user-data': { type: 'string' },
        model: { type: 'string' },
        'url-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
    process.exit(2)
  }
  if (args.help) {
    console.log(USAGE)
    return
  }
  const port = Number(args.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a whole number from 0 to 65535, got "${args.port}".`)
    process.exit(2)
  }
  const here = fileURLToPath(new URL('.', import.meta.url))
  const appRoot = resolve(here, '../..')
  const workspaceDir = resolve(args.workspace ?? join(homedir(), 'Documents', 'Infill'))
  mkdirSync(workspaceDir, { recursive: true })
  const userDataDir = resolve(args['user-data'] ?? defaultUserDataDir())

  let host: Awaited<ReturnType<typeof startWebHost>> | null = null
  const services = await createAppServices({
    appRoot,
    userDataDir,
    workspaceDir,
    dialogs: null,
    version: process.env.npm_package_version ?? '0.1.0',
    modelDir: args.model ? resolve(args.model) : process.env.INFILL_MODEL ? resolve(process.env.INFILL_MODEL) : undefined,
    spawnEngine: forkWithNode(),
    broadcast: (channel, payload) => host?.broadcast(channel, payload),
  })
  host = await startWebHost({
    rendererDir: join(appRoot, 'out/renderer'),
    handlers: services.handlers,
    port,
    onConnectionClosed: (senderId) => services.senderClosed(senderId),
  })
  console.log(`Infill is running in browser mode at ${host.url}`)
  console.log(`Workspace: ${workspaceDir}   (platform ${platform()}; Ctrl+C stops it)`)
  if (args['url-file']) writeUrlFile(args['url-file'], host.url)

  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    await host?.close()
    await services.dispose()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
}

main().catch((err: unknown) => {
  console.error(`Infill could not start: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
