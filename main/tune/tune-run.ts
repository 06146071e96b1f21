/**
 * Preparing a tuning run: read the export, tokenize its decisions with the model's own
 * tokenizer and canvas, write them where tune.py reads them, and build tune.py's command
 * line. Used by the CLI (npm run model:tune) and by the app's tune service.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync, type Stats } from 'node:fs'
import { join, resolve } from 'node:path'
import { ModelManifest } from '../engine/manifest'
import { ModelFileError, readModelJsonSync, tokenizerSizeProblem } from '../engine/model-files'
import { TokenizerCodec } from '../engine/text-codec'
import { makeTuneTempDir, removeTuneTempDir } from './tune-temp'
import { encodeTuneData, type EncodedSet } from './tune-encode'
import { readTuneData, TuneDataError } from './tune-data'

/**
 * The forgetting guard a model ships in its directory (models/train/guard.py writes it): held-out
 * windows with fixed masks that tune.py checks every evaluation against; tuned models keep a copy.
 */
export const GUARD_FILE = 'guard.npz'

/** tune.py, from the app root. */
export function tuneScript(appRoot: string): string {
  return join(appRoot, 'models', 'train', 'tune.py')
}

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

/** Whether `dir` holds a model written by tune.py (its manifest has a "tuning" block). */
function isTunedModel(dir: string): boolean {
  try {
    const manifest = readModelJsonSync(join(dir, 'manifest.json'))
    return typeof manifest === 'object' && manifest !== null && 'tuning' in manifest
  } catch {
    return false
  }
}

/**
 * Throws unless `out` is new, empty, or an earlier tuned model (never the base, never another
 * folder). tune.py writes `<out>.partial` and replaces whatever is there, so that folder too
 * must be absent, empty, or an earlier tune's leftover: an unrelated folder of that name is
 * refused, never deleted.
 */
export function checkOutDir(out: string, modelDir: string): void {
  if (resolve(out) === resolve(modelDir)) throw new TuneDataError(`--out ${out} is the base model's directory; write the tuned model to a new directory`)
  const staging = `${out.replace(/\/+$/, '')}.partial` // as tune.py names it (a.out.rstrip("/") + ".partial")
  const stagingStat = lstatOrNull(staging)
  if (stagingStat) {
    const ours = stagingStat.isDirectory() && (readdirSync(staging).length === 0 || isTunedModel(staging))
    if (!ours)
      throw new TuneDataError(
        `${staging} exists and is not a leftover of an earlier tune; model:tune writes the tuned model there first and would replace it. Move it away or choose another --out (nothing was changed)`,
      )
  }
  if (!existsSync(out)) return
  if (!statSync(out).isDirectory()) throw new TuneDataError(`--out ${out} is a file; choose a new directory`)
  if (readdirSync(out).length === 0) return
  if (!isTunedModel(out)) throw new TuneDataError(`--out ${out} exists and is not an earlier tuned model; choose a new directory (nothing was changed)`)
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path)
  } catch {
    return null
  }
}

/** A model file's JSON, type and size checked first (model-files.ts); a refusal is a TuneDataError. */
function modelJson(path: string): unknown {
  try {
    return readModelJsonSync(path)
  } catch (e) {
    if (e instanceof ModelFileError) throw new TuneDataError(`${path}: ${e.message}`)
    throw e
  }
}

/** Reads the export and the model's tokenizer; writes the encoded decisions. Throws TuneDataError on bad input. */
/** `contextLength`: window length of the training sequences (tokens, span included); default the model's maxLength, the window the engine fills in. */
export function prepareTune(prefsPath: string, modelDir: string, contextLength?: number): PreparedTune {
  const dir = resolve(modelDir)
  if (!existsSync(join(dir, 'model.onnx'))) throw new TuneDataError(`--from ${modelDir}: no model.onnx there; give a model directory`)
  const manifestPath = join(dir, 'manifest.json')
  if (!existsSync(manifestPath)) throw new TuneDataError(foreignModelMessage(modelDir, 'it has no manifest.json'))
  const manifest = ModelManifest.safeParse(modelJson(manifestPath))
  if (!manifest.success) {
    const issue = manifest.error.issues[0]
    throw new TuneDataError(`${manifestPath}: not a valid model manifest (${issue?.path.join('.') || '(top level)'}: ${issue?.message.replace(/^Invalid input: /, '')})`)
  }
  const arch = (manifest.data as { architecture?: { dModel?: number } }).architecture
  if (!arch || typeof arch.dModel !== 'number') throw new TuneDataError(foreignModelMessage(modelDir, 'its manifest.json has no architecture of this pipeline'))
  contextLength ??= manifest.data.maxLength
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
  const tokenizerPath = join(dir, 'tokenizer.json')
  const tokenizerJson = modelJson(tokenizerPath)
  const tooBig = tokenizerSizeProblem(tokenizerJson)
  if (tooBig) throw new TuneDataError(`${tokenizerPath}: too large to load: ${tooBig}`)
  const codec = new TokenizerCodec(tokenizerJson as object, existsSync(tokenizerConfigPath) ? (modelJson(tokenizerConfigPath) as object) : {})
  const encoded = encodeTuneData(data, { codec, maskId: manifest.data.tokens.mask, padId: manifest.data.tokens.pad, contextLength })
  const tmp = makeTuneTempDir()
  const encodedPath = join(tmp, 'decisions.json')
  try {
    writeFileSync(encodedPath, JSON.stringify(encoded), { flag: 'wx', mode: 0o600 })
  } catch (e) {
    removeTuneTempDir(tmp)
    throw e
  }
  return { encoded, encodedPath, cleanup: () => removeTuneTempDir(tmp) }
}
