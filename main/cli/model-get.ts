/**
 * Downloads a model from the Hugging Face Hub into Infill's models folder:
 *
 *     npm run model:get -- REPO_ID [--revision R] [--variant int8|fp16|fp32] [--to DIR] [--hub-url URL]
 *
 * Shows progress (bytes, rate, time left); Ctrl-C stops and keeps the partial files, so the
 * same command resumes. Every file is checked against the Hub's checksum, and the model
 * folder appears only when all are complete. Then the model is loaded once to show it works.
 */
import { realpathSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { loadModelDir } from '../engine/model-dir'
import { CURATED_MODELS } from '../models/curated'
import { downloadModel, DownloadError, type DownloadProgress } from '../models/hub-download'
import { installFolderName, ModelVariant, RepoId, Revision } from '../models/hub-files'
import { userModelsDir } from '../models/model-registry'
import { formatBytes, formatDuration } from '../models/progress-meter'
import { defaultUserDataDir } from '../services/user-data'

export const USAGE = `Usage: npm run model:get -- REPO_ID [--revision R] [--variant int8|fp16|fp32] [--to DIR] [--hub-url URL]

  REPO_ID         a Hub repository with an ONNX fill-mask export, e.g. ${CURATED_MODELS[0].repoId}
  --revision R    branch, tag or commit (default main; files are fetched at the commit it names now)
  --variant V     int8 (default: smallest, fastest on a CPU), fp16 or fp32
  --to DIR        the model folder to create (default: <user data>/models/<owner>--<name>-<variant>)
  --user-data DIR Infill's user-data folder (default: the desktop app's)
  --hub-url URL   a Hub mirror (also INFILL_HUB_URL)
  --no-check      do not load the model after the download
  --help          show this text

Known-good repositories:
${CURATED_MODELS.map((m) => `  ${m.repoId.padEnd(30)} ${m.parameters.padStart(5)} parameters, ${m.approxBytes ? `about ${formatBytes(m.approxBytes)} (${m.variant})` : 'size from the Hub'}`).join('\n')}`

function progressLine(p: DownloadProgress): string {
  const pct = p.bytesTotal > 0 ? ((100 * p.bytesDone) / p.bytesTotal).toFixed(1) : '0.0'
  const rate = p.bytesPerSecond ? `${formatBytes(p.bytesPerSecond)}/s` : '…'
  const left = p.secondsLeft !== null ? `${formatDuration(p.secondsLeft)} left` : ''
  return `${p.phase === 'verifying' ? 'verifying' : 'downloading'} ${p.file} (${p.fileIndex + 1}/${p.fileCount})  ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)} (${pct}%)  ${rate}  ${left}`
}

export async function runModelGet(argv: string[], out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        revision: { type: 'string' },
        variant: { type: 'string', default: 'int8' },
        to: { type: 'string' },
        'user-data': { type: 'string' },
        'hub-url': { type: 'string' },
        'no-check': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (e) {
    err.write(`model:get: ${(e as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    out.write(`${USAGE}\n`)
    return 0
  }
  if (positionals.length !== 1) {
    err.write(`model:get: name one repository id (got ${positionals.length}).\n\n${USAGE}\n`)
    return 2
  }
  const repo = RepoId.safeParse(positionals[0])
  if (!repo.success) {
    err.write(`model:get: ${JSON.stringify(positionals[0])} is not a repository id: ${repo.error.issues[0]?.message}.\n`)
    return 2
  }
  const revision = values.revision === undefined ? null : Revision.safeParse(values.revision)
  if (revision && !revision.success) {
    err.write(`model:get: --revision ${JSON.stringify(values.revision)} is not a branch, tag or commit id: ${revision.error.issues[0]?.message}.\n`)
    return 2
  }
  const variant = ModelVariant.safeParse(values.variant)
  if (!variant.success) {
    err.write(`model:get: --variant "${values.variant}" is not one of int8, fp16, fp32.\n`)
    return 2
  }
  const dest = values.to ? resolve(values.to) : join(userModelsDir(values['user-data'] ?? defaultUserDataDir()), installFolderName(repo.data, variant.data))
  const hubUrl = values['hub-url'] ?? process.env.INFILL_HUB_URL
  const controller = new AbortController()
  const onSigint = () => controller.abort(new DownloadError('Stopped. The partial files were kept: run the same command to resume.', 'interrupted'))
  process.once('SIGINT', onSigint)
  const tty = Boolean(out.isTTY)
  let lastPlain = 0
  try {
    out.write(`Downloading ${repo.data} (${variant.data}${values.revision ? ` at ${values.revision}` : ''}) to ${dest}\n`)
    const result = await downloadModel({
      repoId: repo.data,
      revision: values.revision,
      variant: variant.data,
      dest,
      hubUrl,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'installing') return
        if (tty) out.write(`\r${progressLine(p).padEnd(110)}`)
        else if (Date.now() - lastPlain > 2000 || p.phase === 'verifying') {
          lastPlain = Date.now()
          out.write(`${progressLine(p)}\n`)
        }
      },
    })
    if (tty) out.write('\n')
    const resumed = result.resumedFrom > 0 ? ` (resumed: ${formatBytes(result.resumedFrom)} were already there)` : ''
    out.write(`Done: ${result.plan.files.length} files, ${formatBytes(result.plan.totalBytes)}, verified against the Hub's checksums, commit ${result.plan.commit.slice(0, 12)}${resumed}.\nInstalled in ${result.dir}\n`)
    if (!values['no-check']) {
      const loaded = await loadModelDir(result.dir)
      out.write(`Loads: ${loaded.info.name}, ${loaded.info.family}, vocabulary ${loaded.info.vocabSize}, window ${loaded.info.maxLength} tokens, ${loaded.info.provider} provider.\n`)
      await loaded.dispose()
    }
    out.write(`Use it: open Models in the app and switch to it, or start with --model ${result.dir}\n`)
    return 0
  } catch (e) {
    if (tty) out.write('\n')
    err.write(`model:get: ${e instanceof Error ? e.message : String(e)}\n`)
    return 1
  } finally {
    process.off('SIGINT', onSigint)
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href
if (invokedDirectly) process.exitCode = await runModelGet(process.argv.slice(2))
