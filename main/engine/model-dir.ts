/**
 * Loading a model directory (model.onnx + tokenizer.json + manifest.json, or an Optimum
 * fill-mask export with config.json instead of the manifest), validated before use: each
 * problem is a ModelDirError naming the file, what is wrong and what to do.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { z } from 'zod'
import * as ort from 'onnxruntime-node'
import type { ModelInfo } from '../contract'
import { ModelDirError } from './errors'
import { deriveManifest, ModelManifest, OptimumConfig } from './manifest'
import { ModelFileError, readModelJson, tokenizerSizeProblem } from './model-files'
import { OnnxDenoiser, OPTIONAL_INPUTS, type DenoiserGraphs } from './onnx-denoiser'
import { createSessionWithFallback, listedBackends, preferredProviders, type CreateSession } from './providers'
import { TokenizerCodec } from './text-codec'

/** A model ready to fill: validated manifest, tokenizer, session and what the UI shows. */
export interface LoadedModel {
  info: ModelInfo
  manifest: ModelManifest
  codec: TokenizerCodec
  denoiser: OnnxDenoiser
  /** 1 at ids the model may never predict: mask, unk and every special token except pad. */
  banned: Uint8Array
  dispose(): Promise<void>
}

export interface LoadOptions {
  /** Providers to try in order; default: the platform's GPU provider(s), then cpu. */
  providers?: readonly string[]
  /** Session factory (tests inject failures to exercise the fallback). */
  createSession?: CreateSession
}

const REQUIRED_FILES = ['model.onnx', 'tokenizer.json'] as const

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

async function readJson(path: string, what: string): Promise<unknown> {
  try {
    return await readModelJson(path)
  } catch (e) {
    if (!(e instanceof ModelFileError)) throw e
    const problem = e.message.slice(basename(path).length + 1)
    if (e.kind === 'not-json') throw new ModelDirError(path, problem, `Replace it with the ${what} the model was exported with`)
    if (e.kind === 'missing' || e.kind === 'unreadable') throw new ModelDirError(path, problem, `Check that ${what} exists and is readable`)
    throw new ModelDirError(path, problem, `Use the ${what} the model was exported with (a regular file within the limit)`)
  }
}

/** Zod issues on one line: "maxLength: expected number, received undefined; ...". */
function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message.replace(/^Invalid input: /, '')}`).join('; ')
}

/** sha256 of a file, hex. */
export async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** Providers to try by default; INFILL_EXECUTION_PROVIDER=cpu (or another name) forces one. */
export function defaultProviders(): string[] {
  const forced = process.env.INFILL_EXECUTION_PROVIDER?.trim()
  if (forced) return [forced]
  return preferredProviders(process.platform, process.arch, listedBackends())
}

/** Reads, validates and opens a model directory. Throws ModelDirError on any problem. */
export async function loadModelDir(dirPath: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const dir = resolve(dirPath)
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory')
  } catch {
    throw new ModelDirError(dir, 'is not a model directory (it does not exist or is not a folder)', 'Choose a folder holding model.onnx, tokenizer.json and manifest.json')
  }
  for (const f of REQUIRED_FILES) {
    const st = await stat(join(dir, f)).catch(() => null)
    if (!st) throw new ModelDirError(join(dir, f), 'is missing', 'A model directory needs model.onnx, tokenizer.json and manifest.json (or config.json for an Optimum fill-mask export)')
    // A named pipe or a device is never opened: a read of it could block the engine for good.
    if (!st.isFile()) throw new ModelDirError(join(dir, f), `is ${st.isFIFO() ? 'a named pipe' : st.isDirectory() ? 'a folder' : 'a device or other special file'}, not a regular file`, `Put the model's own ${f} there`)
  }

  const tokenizerPath = join(dir, 'tokenizer.json')
  const tokenizerJson = await readJson(tokenizerPath, 'tokenizer.json')
  const tooBig = tokenizerSizeProblem(tokenizerJson)
  if (tooBig) throw new ModelDirError(tokenizerPath, `is too large to load: ${tooBig}`, 'Use a model with a smaller vocabulary')
  const configPath = join(dir, 'tokenizer_config.json')
  const tokenizerConfig = (await isFile(configPath)) ? await readJson(configPath, 'tokenizer_config.json') : {}
  let codec: TokenizerCodec
  try {
    codec = new TokenizerCodec(tokenizerJson as object, tokenizerConfig as object)
  } catch (e) {
    throw new ModelDirError(tokenizerPath, `cannot be loaded as a Hugging Face tokenizer (${(e as Error).message})`, 'Use the tokenizer.json saved with the model')
  }

  const { manifest, manifestPath } = await readManifest(dir, codec)
  checkTokens(manifest, manifestPath, codec, tokenizerPath)

  const modelPath = join(dir, 'model.onnx')
  let choice
  try {
    choice = await createSessionWithFallback(modelPath, options.providers ?? defaultProviders(), options.createSession)
  } catch (e) {
    throw new ModelDirError(
      modelPath,
      `cannot be loaded by ONNX Runtime; the file may be truncated or not an ONNX model (${(e as Error).message.split('\n')[0]})`,
      'Export or copy model.onnx again',
    )
  }
  const { session } = choice
  let graphs: DenoiserGraphs = {}
  const releaseGraphs = () => Promise.all(Object.values(graphs).map((g) => g.release().catch(() => {})))
  try {
    checkGraph(session, modelPath)
    const vocab = await probeVocab(session, manifest, codec, modelPath, manifestPath, tokenizerPath)
    const window = windowLength(manifest.maxLength, choice.provider, process.env)
    await probeWindow(session, manifest, window, codec, modelPath, manifestPath)
    graphs = await openGraphs(dir, manifest, session, choice.provider, vocab, manifestPath, options.createSession)
    const info: ModelInfo = {
      name: manifest.name,
      family: manifest.family,
      dir,
      maxLength: window,
      vocabSize: vocab,
      hash: await hashFile(modelPath),
      provider: choice.provider,
      ...(choice.fallbackReason ? { fallbackReason: choice.fallbackReason } : {}),
      ...(graphs.context && graphs.span && !manifest.shiftedLogits ? { approximate: { cost: manifest.approximateCost ?? null } } : {}),
    }
    return {
      info,
      manifest,
      codec,
      denoiser: new OnnxDenoiser(session, vocab, { graphs, maskId: manifest.tokens.mask, shiftedLogits: manifest.shiftedLogits, mode: denoiseModeFromEnv(process.env), refreshEvery: cacheRefreshFromEnv(process.env) }),
      banned: bannedIds(manifest, codec, vocab),
      dispose: async () => {
        await releaseGraphs()
        await session.release()
      },
    }
  } catch (e) {
    await releaseGraphs()
    await session.release().catch(() => {})
    throw e
  }
}

async function readManifest(dir: string, codec: TokenizerCodec): Promise<{ manifest: ModelManifest; manifestPath: string }> {
  const manifestPath = join(dir, 'manifest.json')
  // Anything by that name is read through readJson, which refuses a pipe or a device by name.
  if (await stat(manifestPath).then(() => true, () => false)) {
    const parsed = ModelManifest.safeParse(await readJson(manifestPath, 'manifest.json'))
    if (!parsed.success)
      throw new ModelDirError(manifestPath, `does not match the model contract (${issuesOf(parsed.error)})`, 'Add the missing or wrong fields: name, family (mdlm|llada|dream|mlm), maxLength, vocabSize, tokens {mask, pad, eos, unk}, shiftedLogits, license')
    return { manifest: parsed.data, manifestPath }
  }
  const configPath = join(dir, 'config.json')
  if (!(await isFile(configPath)))
    throw new ModelDirError(manifestPath, 'is missing (and there is no config.json of an Optimum export to derive it from)', 'Add manifest.json next to model.onnx')
  const config = OptimumConfig.safeParse(await readJson(configPath, 'config.json'))
  if (!config.success)
    throw new ModelDirError(configPath, `cannot describe the model (${issuesOf(config.error)})`, 'Use the config.json of the exported model, or add a manifest.json')
  const derived = deriveManifest(config.data, codec.addedTokens, codec.vocabSize, basename(dir))
  if ('problem' in derived) throw new ModelDirError(join(dir, 'tokenizer.json'), derived.problem, 'A fill-mask model needs its mask and padding tokens; add a manifest.json naming them')
  // The derived manifest meets the same rules as a written one (distinct ids, window size).
  const checked = ModelManifest.safeParse(derived.manifest)
  if (!checked.success)
    throw new ModelDirError(configPath, `with tokenizer.json gives a manifest that breaks the model contract (${issuesOf(checked.error)})`, 'Add a manifest.json with the right values next to model.onnx')
  return { manifest: checked.data, manifestPath: configPath }
}

/** The manifest's special ids must exist in the tokenizer, and the mask id must be a mask token. */
function checkTokens(manifest: ModelManifest, manifestPath: string, codec: TokenizerCodec, tokenizerPath: string): void {
  const { mask, pad } = manifest.tokens
  const content = (id: number) => codec.tokenizer.id_to_token(id)
  const maskContent = content(mask)
  if (maskContent === undefined)
    throw new ModelDirError(manifestPath, `names mask token id ${mask}, which tokenizer.json does not have`, 'Fix tokens.mask or use the tokenizer the model was trained with')
  if (!/mask/i.test(maskContent))
    throw new ModelDirError(
      tokenizerPath,
      `has "${maskContent}" at the manifest's mask id ${mask}, not a mask token; it is probably the tokenizer of another model`,
      'Use the tokenizer.json the model was trained with',
    )
  for (const [key, id] of [['pad', pad], ['eos', manifest.tokens.eos], ['unk', manifest.tokens.unk]] as const)
    if (id != null && content(id) === undefined)
      throw new ModelDirError(manifestPath, `names ${key} token id ${id}, which tokenizer.json does not have`, `Fix tokens.${key} or use the tokenizer the model was trained with`)
}

/** Every graph input must be one the contract feeds; input_ids and logits must be there. */
export function checkGraph(session: Pick<ort.InferenceSession, 'inputNames' | 'outputNames'>, modelPath: string): void {
  const inputs = session.inputNames
  if (!inputs.includes('input_ids'))
    throw new ModelDirError(modelPath, `has inputs [${inputs.join(', ')}] but no "input_ids"`, 'Export the model with an int64 input named input_ids [batch, length]')
  const unknown = inputs.filter((n) => n !== 'input_ids' && !(OPTIONAL_INPUTS as readonly string[]).includes(n))
  if (unknown.length > 0)
    throw new ModelDirError(
      modelPath,
      `has inputs the engine cannot feed: ${unknown.join(', ')} (a time input? masked diffusion denoisers need none)`,
      `Export the model with only input_ids (optionally ${OPTIONAL_INPUTS.join(', ')})`,
    )
  if (!session.outputNames.includes('logits'))
    throw new ModelDirError(modelPath, `has outputs [${session.outputNames.join(', ')}] but no "logits"`, 'Export the model with a float32 output named logits [batch, length, vocab]')
}

/** How far a model's vocabulary may exceed its tokenizer's (embedding tables padded for speed). */
function vocabPaddingAllowance(vocab: number): number {
  return Math.max(128, Math.ceil(vocab * 0.02))
}

/** Inputs of one probe run: ids, and all-ones attention_mask / zero token_type_ids where the graph has them. */
function probeFeeds(session: ort.InferenceSession, probe: readonly number[]): Record<string, ort.Tensor> {
  const ids = BigInt64Array.from(probe.map(BigInt))
  const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [1, probe.length]) }
  if (session.inputNames.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(probe.length).fill(1n), [1, probe.length])
  if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(probe.length), [1, probe.length])
  return feeds
}

/**
 * Longest window the engine feeds a model on the CPU. A step costs roughly linear to
 * quadratic time in the window: ModernBERT-base fp32 took 2.5 s per step at 512 tokens here
 * (bench/modernbert-speed.json), so an 8,192-token window (and the probe at load) would take
 * minutes and gigabytes of attention scores. GPU providers get the model's full maxLength.
 */
export const CPU_WINDOW_CAP = 1024

/**
 * The window the engine uses (ModelInfo.maxLength): the model's maxLength, capped at
 * CPU_WINDOW_CAP on the CPU; INFILL_MAX_WINDOW=N sets the cap for any provider.
 */
export function windowLength(maxLength: number, provider: string, env: NodeJS.ProcessEnv): number {
  const forced = Number(env.INFILL_MAX_WINDOW)
  if (Number.isInteger(forced) && forced >= 8) return Math.min(maxLength, forced)
  return provider === 'cpu' ? Math.min(maxLength, CPU_WINDOW_CAP) : maxLength
}

/**
 * Runs the model once on a full window, so every window the engine will feed is one the
 * graph really runs: a manifest promising more positions than the graph has would otherwise
 * load and then fail every long fill with a raw ONNX Runtime error.
 */
async function probeWindow(session: ort.InferenceSession, manifest: ModelManifest, n: number, codec: TokenizerCodec, modelPath: string, manifestPath: string): Promise<void> {
  const inner = n - codec.wrap.prefix.length - codec.wrap.suffix.length
  if (inner < 1) throw new ModelDirError(manifestPath, `says maxLength ${manifest.maxLength}, too short to hold the tokenizer's ${n - inner} wrapping tokens and any text`, 'Set maxLength to the length the model was trained with')
  const probe = [...codec.wrap.prefix, ...new Array<number>(inner).fill(manifest.tokens.mask), ...codec.wrap.suffix]
  let dims: readonly number[] | undefined
  try {
    // A failure is reported below as a ModelDirError; ONNX Runtime need not log it too.
    const out = await session.run(probeFeeds(session, probe), { logSeverityLevel: 4 })
    dims = out.logits?.dims
    for (const t of Object.values(out)) t.dispose?.()
  } catch (e) {
    throw new ModelDirError(
      manifestPath,
      `says maxLength ${manifest.maxLength}, but model.onnx fails on a window of ${n} tokens (${(e as Error).message.split('\n')[0].slice(0, 300)})`,
      'Set maxLength to the number of positions the model was trained with (max_position_embeddings in its config.json)',
    )
  }
  if (!dims || dims[1] !== n)
    throw new ModelDirError(modelPath, `returns logits of shape [${dims?.join(', ')}] for an input of ${n} tokens`, 'Export logits as float32 [batch, length, vocab] with a dynamic length axis')
}

/** Runs the model once on a short input and checks the logits' vocabulary dimension. */
async function probeVocab(
  session: ort.InferenceSession,
  manifest: ModelManifest,
  codec: TokenizerCodec,
  modelPath: string,
  manifestPath: string,
  tokenizerPath: string,
): Promise<number> {
  const probe = [...codec.wrap.prefix, manifest.tokens.mask, manifest.tokens.mask, ...codec.wrap.suffix]
  let logits: ort.Tensor | undefined
  try {
    logits = (await session.run(probeFeeds(session, probe))).logits
  } catch (e) {
    throw new ModelDirError(modelPath, `fails on a probe input of ${probe.length} tokens (${(e as Error).message.split('\n')[0]})`, 'Check that input_ids is int64 [batch, length] with dynamic axes')
  }
  if (!logits || logits.dims.length !== 3 || logits.dims[0] !== 1 || logits.dims[1] !== probe.length)
    throw new ModelDirError(modelPath, `returns logits of shape [${logits?.dims.join(', ')}] for input [1, ${probe.length}]`, 'Export logits as float32 [batch, length, vocab]')
  if (logits.type !== 'float32') throw new ModelDirError(modelPath, `returns ${logits.type} logits`, 'Export logits as float32')
  const vocab = logits.dims[2]
  if (vocab !== manifest.vocabSize)
    throw new ModelDirError(manifestPath, `says vocabSize ${manifest.vocabSize} but model.onnx returns logits over ${vocab} tokens`, 'Fix vocabSize or use the manifest of this model')
  if (codec.vocabSize > vocab || vocab - codec.vocabSize > vocabPaddingAllowance(vocab))
    throw new ModelDirError(
      tokenizerPath,
      `has ${codec.vocabSize} tokens but the model predicts ${vocab}; it is the tokenizer of another model`,
      'Use the tokenizer.json the model was trained with',
    )
  return vocab
}

/** Vocabulary entries that are reserved placeholders, not text. */
const RESERVED_TOKEN = /^(\[unused\d+\]|<unused\d+>)$/

/** Ids the model may never predict (SUBS): mask, unk, every special token except pad, reserved placeholders. */
export function bannedIds(manifest: ModelManifest, codec: TokenizerCodec, vocab: number): Uint8Array {
  const banned = new Uint8Array(vocab)
  for (const id of codec.specialIds) if (id < vocab) banned[id] = 1
  banned[manifest.tokens.mask] = 1
  if (manifest.tokens.unk != null && manifest.tokens.unk < vocab) banned[manifest.tokens.unk] = 1
  banned[manifest.tokens.pad] = 0
  // Ids past the tokenizer's vocabulary (padded embedding rows) decode to nothing.
  for (let id = codec.vocabSize; id < vocab; id++) banned[id] = 1
  // Reserved placeholders (BERT's [unused0]..[unused993], Gemma-style <unused0>) are not
  // marked special in tokenizer.json but are never text.
  for (let id = 0; id < Math.min(codec.vocabSize, vocab); id++) if (RESERVED_TOKEN.test(codec.tokenizer.id_to_token(id) ?? '')) banned[id] = 1
  return banned
}

/** INFILL_DENOISER=full|positions|cached forces a denoise mode (the bench and comparisons); unset: the best the model has. */
export function denoiseModeFromEnv(env: NodeJS.ProcessEnv): 'full' | 'positions' | 'cached' | undefined {
  const v = env.INFILL_DENOISER?.trim()
  return v === 'full' || v === 'positions' || v === 'cached' ? v : undefined
}

/** INFILL_CACHE_REFRESH=N: reveals between DualCache rebuilds (the bench compares values); unset: the denoiser's default. */
export function cacheRefreshFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.INFILL_CACHE_REFRESH)
  return Number.isInteger(n) && n >= 1 ? n : undefined
}

/** Largest difference allowed between an extra graph's logits and model.onnx's at the same positions. */
const GRAPH_TOLERANCE = 1e-3

/**
 * Opens the manifest's extra graphs (issue 17) on the contract graph's provider and checks
 * each against model.onnx on one probe input: the same logits at the probed positions. A
 * graph that is missing, fails, or disagrees (a model.onnx replaced without re-exporting its
 * graphs: they read their weights from model.onnx by byte offset) is a ModelDirError.
 */
async function openGraphs(
  dir: string,
  manifest: ModelManifest,
  full: ort.InferenceSession,
  provider: string,
  vocab: number,
  manifestPath: string,
  createSession?: CreateSession,
): Promise<DenoiserGraphs> {
  const files = manifest.graphs
  if (!files || manifest.shiftedLogits) return {}
  const fix = `Re-export the graphs from model.onnx (python3 models/train/graphs.py ${dir}) or remove "graphs" from manifest.json`
  const graphs: DenoiserGraphs = {}
  try {
    for (const name of ['positions', 'context', 'span'] as const) {
      const file = files[name]
      if (!file) continue
      const path = join(dir, file)
      if (!(await isFile(path))) throw new ModelDirError(path, `is missing (manifest.json lists it as the ${name} graph)`, fix)
      try {
        graphs[name] = (await createSessionWithFallback(path, [provider], createSession)).session
      } catch (e) {
        throw new ModelDirError(path, `cannot be loaded by ONNX Runtime (${(e as Error).message.split('\n')[0]})`, fix)
      }
    }
    // probe: some ordinary ids with masks in the middle, 2 rows
    const T = 12
    const mask = BigInt(manifest.tokens.mask)
    const ids = BigInt64Array.from({ length: 2 * T }, (_, i) => BigInt(5 + ((i * 7919) % Math.max(1, Math.min(vocab, 4096) - 5))))
    const P = [4, 5, 6, 7, 3, 5, 8, 9]
    P.forEach((p, i) => (ids[Math.floor(i / 4) * T + p] = mask))
    const positions = BigInt64Array.from(P.map(BigInt))
    const expected = (await full.run({ input_ids: new ort.Tensor('int64', ids, [2, T]) })).logits.data as Float32Array
    const compare = (got: ort.Tensor | undefined, file: string) => {
      const data = got?.data as Float32Array | undefined
      if (!got || got.type !== 'float32' || got.dims.join() !== [2, 4, vocab].join() || !data)
        throw new ModelDirError(join(dir, file), `returns logits of shape [${got?.dims.join(', ')}] for 2 rows of 4 positions`, fix)
      let worst = 0
      for (let r = 0; r < 8; r++)
        for (let v = 0; v < vocab; v++) {
          const e = expected[(Math.floor(r / 4) * T + P[r]) * vocab + v]
          const d = Math.abs(data[r * vocab + v] - e) / Math.max(1, Math.abs(e))
          if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d
        }
      if (worst > GRAPH_TOLERANCE)
        throw new ModelDirError(join(dir, file), `gives other logits than model.onnx at the same positions (difference ${worst.toExponential(2)}); model.onnx was probably replaced after the graph was exported`, fix)
    }
    const run = async (file: string, g: ort.InferenceSession, feeds: Record<string, ort.Tensor>) => {
      try {
        return await g.run(feeds)
      } catch (e) {
        throw new ModelDirError(join(dir, file), `fails on a probe input (${(e as Error).message.split('\n')[0].slice(0, 300)})`, fix)
      }
    }
    if (graphs.positions)
      compare((await run(files.positions!, graphs.positions, { input_ids: new ort.Tensor('int64', ids, [2, T]), positions: new ort.Tensor('int64', positions, [2, 4]) })).logits, files.positions!)
    if (graphs.context && graphs.span) {
      const kv = await run(files.context!, graphs.context, { input_ids: new ort.Tensor('int64', ids, [2, T]) })
      const slotIds = BigInt64Array.from(P.map((p, i) => ids[Math.floor(i / 4) * T + p]))
      const out = await run(files.span!, graphs.span, { slot_ids: new ort.Tensor('int64', slotIds, [2, 4]), positions: new ort.Tensor('int64', positions, [2, 4]), keys: kv.keys, values: kv.values })
      compare(out.logits, files.span!)
    }
    return graphs
  } catch (e) {
    await Promise.all(Object.values(graphs).map((g) => g.release().catch(() => {})))
    if (e instanceof ModelDirError) throw e
    throw new ModelDirError(manifestPath, `lists graphs the engine cannot check (${(e as Error).message.split('\n')[0]})`, fix)
  }
}
