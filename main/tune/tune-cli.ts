/**
 * `npm run model:tune -- --prefs FILE.jsonl --from MODEL_DIR --out DIR [--method vrpo|kto]
 *   [--beta B] [--samples N] [--epochs N] [--lr LR] [--heldout-share S] [--nll-weight W] ...`
 *
 * Finds a Python with torch (as npm run model:train does), tokenizes the export's decisions
 * with the model's tokenizer and the engine's canvas, then runs models/train/tune.py with the
 * same arguments (tune.py's argparse checks them all; `--help` lists them).
 */
import { spawn, spawnSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { findTrainingPython, TUNE_INSTALL_COMMAND } from './python-tools'
import { TuneDataError } from './tune-data'
import { sweepStaleTuneDirs } from './tune-temp'
import { checkOutDir, prepareTune, tuneScript, type PreparedTune } from './tune-run'

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** What the command runs once its arguments and data are checked: tune.py under a Python with torch. */
interface TuneLaunch {
  python: string
  args: string[]
  env: NodeJS.ProcessEnv
  prepared: PreparedTune
}

/** Checks the arguments, --out and the data, encodes the decisions; returns the launch, or the exit status when there is nothing to run. */
function prepareCommand(args: string[], env: NodeJS.ProcessEnv): TuneLaunch | number {
  // An earlier run killed outright (SIGKILL, a crash) left its encoded decisions: remove them first.
  sweepStaleTuneDirs()
  const script = tuneScript(appRoot)
  const childEnv = { ...env, OMP_NUM_THREADS: env.OMP_NUM_THREADS ?? '2' }
  const findPython = (): string | null => {
    const python = findTrainingPython(env)
    if (!python)
      console.error(`model:tune: no Python with torch, sentencepiece and numpy found (tried $INFILL_PYTHON, /usr/bin/python3, python3).\nInstall them with:\n  ${TUNE_INSTALL_COMMAND}`)
    return python
  }
  if (args.includes('--help') || args.includes('-h')) {
    const python = findPython()
    return python ? (spawnSync(python, [script, '--help'], { stdio: 'inherit', env: childEnv }).status ?? 1) : 1
  }
  let values: { prefs?: string; from?: string; out?: string; context?: string }
  try {
    ;({ values } = parseArgs({
      args,
      options: { prefs: { type: 'string' }, from: { type: 'string' }, out: { type: 'string' }, context: { type: 'string' } },
      strict: false,
    }) as { values: typeof values })
  } catch (e) {
    console.error(`model:tune: ${(e as Error).message}`)
    return 2
  }
  if (!values.prefs || !values.from || !values.out) {
    console.error('model:tune: --prefs FILE.jsonl, --from MODEL_DIR and --out DIR are required (npm run model:tune -- --help lists every option)')
    return 2
  }
  // default: the model's window (its maxLength), the one the engine fills in
  const context = values.context === undefined ? undefined : Number(values.context)
  let prepared
  try {
    checkOutDir(values.out, values.from)
    prepared = prepareTune(values.prefs, values.from, context)
  } catch (e) {
    if (e instanceof TuneDataError) {
      console.error(`model:tune: ${e.message}`)
      return 1
    }
    throw e
  }
  const python = findPython()
  if (!python) {
    prepared.cleanup()
    return 1
  }
  const { encoded } = prepared
  const pairs = encoded.decisions.reduce((n, d) => n + d.pairs.length, 0)
  console.log(`model:tune: ${encoded.source.lines} lines -> ${encoded.decisions.length} decisions, ${pairs} pairs` + (encoded.skipped.length ? ` (${encoded.skipped.length} skipped: ${encoded.skipped[0].reason})` : ''))
  return { python, args: [script, ...args, '--encoded', prepared.encodedPath], env: childEnv, prepared }
}

/** Runs the command and waits for it (library callers: tests, bench); returns the exit status. */
export function runTuneCommand(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const launch = prepareCommand(args, env)
  if (typeof launch === 'number') return launch
  try {
    const r = spawnSync(launch.python, launch.args, { stdio: 'inherit', cwd: appRoot, env: launch.env })
    if (r.error) {
      console.error(`model:tune: could not run ${launch.python}: ${r.error.message}`)
      return 1
    }
    return r.status ?? 1
  } finally {
    launch.prepared.cleanup()
  }
}

const SIGNAL_STATUS: Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }

/**
 * The command as `npm run model:tune` runs it: tune.py in a child process, and on SIGINT,
 * SIGTERM or SIGHUP the child is stopped with the same signal and the encoded decisions are
 * removed at once (a process killed outright leaves them to the next run's sweep, tune-temp.ts).
 */
export async function runTuneCommandInteractive(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // The handlers come first: a signal that arrives after the decisions are written but before a
  // handler exists would end the process with its default action and leave them behind.
  let launch: Exclude<ReturnType<typeof prepareCommand>, number> | null = null
  let child: ReturnType<typeof spawn> | null = null
  let signalled: keyof typeof SIGNAL_STATUS | null = null
  const handlers = (Object.keys(SIGNAL_STATUS) as (keyof typeof SIGNAL_STATUS)[]).map((sig) => {
    const onSignal = (): void => {
      signalled ??= sig
      launch?.prepared.cleanup()
      if (child && child.exitCode === null && child.signalCode === null) child.kill(sig)
    }
    process.on(sig, onSignal)
    return () => process.off(sig, onSignal)
  })
  const prepared = prepareCommand(args, env)
  if (typeof prepared === 'number') {
    for (const off of handlers) off()
    return prepared
  }
  launch = prepared
  if (signalled) {
    launch.prepared.cleanup()
    for (const off of handlers) off()
    return SIGNAL_STATUS[signalled]
  }
  const running = spawn(launch.python, launch.args, { stdio: 'inherit', cwd: appRoot, env: launch.env })
  child = running
  try {
    return await new Promise<number>((resolveStatus) => {
      running.on('error', (e) => {
        console.error(`model:tune: could not run ${prepared.python}: ${e.message}`)
        resolveStatus(1)
      })
      running.on('close', (code) => resolveStatus(signalled ? SIGNAL_STATUS[signalled] : (code ?? 1)))
    })
  } finally {
    prepared.prepared.cleanup()
    for (const off of handlers) off()
  }
}

function isMainModule(): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href
  } catch {
    return false
  }
}

if (isMainModule()) process.exitCode = await runTuneCommandInteractive(process.argv.slice(2))
