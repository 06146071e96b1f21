/**
 * Lists the installed models (the embedded one, downloads in the user-data folder, added
 * folders) with family, size, origin and eval figures:
 *
 *     npm run model:list [-- --user-data DIR] [--json]
 */
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { resolveAppRoot } from '../engine/model-paths'
import { readRegistry, registryPath } from '../models/model-registry'
import { ModelManager } from '../models/model-manager'
import { formatBytes } from '../models/progress-meter'
import { defaultUserDataDir } from '../services/user-data'

export async function runModelList(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let values
  try {
    ;({ values } = parseArgs({ args: argv, options: { 'user-data': { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } }))
  } catch (e) {
    err.write(`model:list: ${(e as Error).message}\nUsage: npm run model:list [-- --user-data DIR] [--json]\n`)
    return 2
  }
  if (values.help) {
    out.write('Usage: npm run model:list [-- --user-data DIR] [--json]\n')
    return 0
  }
  const userDataDir = values['user-data'] ?? defaultUserDataDir()
  const { active } = await readRegistry(registryPath(userDataDir))
  const manager = new ModelManager({
    appRoot: resolveAppRoot(),
    userDataDir,
    engine: { loadModel: () => Promise.reject(new Error('no engine in model:list')), activeDir: () => active },
  })
  const models = await manager.list()
  if (!models.some((m) => m.active)) {
    const embedded = models.find((m) => m.origin === 'embedded')
    if (embedded) embedded.active = true
  }
  if (values.json) {
    out.write(`${JSON.stringify(models, null, 2)}\n`)
    return 0
  }
  for (const m of models) {
    const evals = Object.entries(m.evalFigures)
      .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
      .join(', ')
    out.write(`${m.active ? '*' : ' '} ${m.name}  [${m.family}, ${formatBytes(m.sizeBytes)}, ${m.origin}${m.source ? ` from ${m.source.repoId}@${m.source.commit.slice(0, 8)}` : ''}]\n`)
    out.write(`    ${m.dir}\n`)
    out.write(`    ${m.problem ? `not loadable: ${m.problem}` : evals ? `eval: ${evals}` : 'eval: no figures in its manifest (npm run eval -- --model DIR measures them)'}\n`)
  }
  out.write(`* = loaded at start. Downloads go to ${manager.modelsDir}\n`)
  return 0
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
if (invokedDirectly) process.exitCode = await runModelList(process.argv.slice(2))
