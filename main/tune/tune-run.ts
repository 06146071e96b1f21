/**
 * Preparing a tuning run: read the export, tokenize its decisions with the model's own
 * tokenizer and canvas, write them where tune.py reads them, and build tune.py's command
 * line. Used by the CLI (npm run model:tune) and by the app's tune service.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ModelManifest } from '../engine/manifest'
import { TokenizerCodec } from '../engine/text-codec'
import { encodeTuneData, type EncodedSet } from './tune-encode'
import { readTuneData, TuneDataError } from './tune-data'

/** tune.py, from the app root. */
export function tuneScript(appRoot: string): string {
  return join(appRoot, 'models', 'train', 'tune.py')
}

/** Default window length of the training sequences (tokens, span included). */
export const DEFAULT_TUNE_CONTEXT = 64

export interface PreparedTune {
  encoded: EncodedSet
  /** The encoded decisions' file (in a temporary folder). */
  encodedPath: string
  /** Removes the temporary folder. */
  cleanup(): void
}

/** The message for a model whose weights cannot be read back (not exported by this project's pipeline). */
export function foreignModelMessage(modelDir: string, why: string): string {
  return (
    `--from ${modelDir}: tuning needs the model's source weights, and this model was not exported by Infill's training ` +
    `pipeline (${why}). Tune it with its own training code from its original weights (and export it again), or tune a ` +
    `model this project trained (models/default, or one from npm run model:train).`
  )
}

/** Throws unless `out` is new, empty, or an earlier tuned model (never the base, never another folder). */
export function checkOutDir(out: string, modelDir: string): void {
  if (resolve(out) === resolve(modelDir)) throw new TuneDataError(`--out ${out} is the base model's directory; write the tuned model to a new directory`)
  if (!existsSync(out)) return
  if (!statSync(out).isDirectory()) throw new TuneDataError(`--out ${out} is a file; choose a new directory`)
  if (readdirSync(out).length === 0) return
  let tuned = false
  try {
    tuned = 'tuning' in JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))
  } catch {
    tuned = false
  }
  if (!tuned) throw new TuneDataError(`--out ${out} exists and is not an earlier tuned model; choose a new directory (nothing was changed)`)
}

/** Reads the export and the model's tokenizer; writes the encoded decisions. Throws TuneDataError on bad input. */
export function prepareTune(prefsPath: string, modelDir: string, contextLength = DEFAULT_TUNE_CONTEXT): PreparedTune {
  const dir = resolve(modelDir)
  if (!existsSync(join(dir, 'model.onnx'))) throw new TuneDataError(`--from ${modelDir}: no model.onnx there; give a model directory`)
  const manifestPath = join(dir, 'manifest.json')
  if (!existsSync(manifestPath)) throw new TuneDataError(foreignModelMessage(modelDir, 'it has no manifest.json'))
  const manifest = ModelManifest.safeParse(JSON.parse(readFileSync(manifestPath, 'utf8')))
  if (!manifest.success) throw new TuneDataError(`${manifestPath}: not a valid model manifest (${manifest.error.issues[0]?.message})`)
  const arch = (manifest.data as { architecture?: { dModel?: number } }).architecture
  if (!arch || typeof arch.dModel !== 'number') throw new TuneDataError(foreignModelMessage(modelDir, 'its manifest.json has no architecture of this pipeline'))
  if (!Number.isInteger(contextLength) || contextLength < 16 || contextLength > manifest.data.maxLength)
    throw new TuneDataError(`--context ${contextLength}: expected a whole number from 16 to the model's ${manifest.data.maxLength}`)

  let text: string
  try {
    text = readFileSync(prefsPath, 'utf8')
  } catch (e) {
    throw new TuneDataError(`--prefs ${prefsPath}: cannot be read (${(e as Error).message}); export the log with npm run prefs:export`)
  }
  const data = readTuneData(text, prefsPath)
  if (data.decisions.length === 0) throw new TuneDataError(`--prefs ${prefsPath}: no decisions in the file; log some decisions and export again`)
  const tokenizerConfigPath = join(dir, 'tokenizer_config.json')
  const codec = new TokenizerCodec(
    JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
    existsSync(tokenizerConfigPath) ? JSON.parse(readFileSync(tokenizerConfigPath, 'utf8')) : {},
  )
  const encoded = encodeTuneData(data, { codec, maskId: manifest.data.tokens.mask, padId: manifest.data.tokens.pad, contextLength })
  const tmp = mkdtempSync(join(tmpdir(), 'infill-tune-'))
  const encodedPath = join(tmp, 'decisions.json')
  writeFileSync(encodedPath, JSON.stringify(encoded))
  return { encoded, encodedPath, cleanup: () => rmSync(tmp, { recursive: true, force: true }) }
}
