/**
 * What is installed: the embedded model (models/default), the models the manager
 * downloaded into the user-data folder's models/, and folders the writer added. Each is
 * described from its files alone (manifest.json or config.json, infill-source.json, sizes),
 * without loading it: the engine validates a model when it becomes active.
 */
import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { z } from 'zod'
import { ModelManifest, OptimumConfig } from '../engine/manifest'
import { ModelFileError, readModelJson } from '../engine/model-files'
import { ModelSource, SOURCE_FILE } from './hub-download'

export type ModelOrigin = 'embedded' | 'downloaded' | 'added'

export interface InstalledModel {
  dir: string
  name: string
  family: string
  origin: ModelOrigin
  /** Bytes of the folder's files (one level of subfolders counted). */
  sizeBytes: number
  /** Where a downloaded model came from. */
  source: ModelSource | null
  /** Numeric eval figures from the manifest (name -> value). */
  evalFigures: Record<string, number>
  maxLength: number | null
  /** Why the folder cannot be loaded as it is (a missing file, an unreadable manifest), or null. */
  problem: string | null
}

/** What a model file holds: its JSON, nothing (absent), or why it was refused (a pipe, too large, not JSON). */
type ReadOutcome = { kind: 'json'; json: unknown } | { kind: 'missing' } | { kind: 'refused'; problem: string }

async function readJson(path: string): Promise<ReadOutcome> {
  try {
    return { kind: 'json', json: await readModelJson(path) }
  } catch (e) {
    if (e instanceof ModelFileError) return e.kind === 'missing' ? { kind: 'missing' } : { kind: 'refused', problem: e.message }
    throw e
  }
}

/** Zod issues as "maxLength: expected number, received undefined" (field, then what was expected). */
export function describeIssues(file: string, error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message.replace(/^Invalid input: /, '')}`)
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : ''
  return `${file} does not describe a model: ${shown.join('; ')}${more}`
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

async function folderBytes(dir: string, depth = 1): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = join(dir, entry.name)
    if (entry.isFile()) total += (await stat(full).catch(() => ({ size: 0 }))).size
    else if (entry.isDirectory() && depth > 0) total += await folderBytes(full, depth - 1)
  }
  return total
}

/** Describes one model folder from its files. Never throws: problems land in `problem`. */
export async function describeModelDir(dirPath: string, origin: ModelOrigin): Promise<InstalledModel> {
  const dir = resolve(dirPath)
  const base: InstalledModel = { dir, name: dir.split(/[\\/]/).pop() ?? dir, family: 'unknown', origin, sizeBytes: 0, source: null, evalFigures: {}, maxLength: null, problem: null }
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) return { ...base, problem: 'the folder does not exist (moved or deleted?)' }
  base.sizeBytes = await folderBytes(dir)
  const sourceFile = await readJson(join(dir, SOURCE_FILE))
  const source = ModelSource.safeParse(sourceFile.kind === 'json' ? sourceFile.json : undefined)
  if (source.success) base.source = source.data
  const absent: string[] = []
  for (const f of ['model.onnx', 'tokenizer.json']) if (!(await exists(join(dir, f)))) absent.push(f)
  const problems: string[] = []
  const manifestFile = await readJson(join(dir, 'manifest.json'))
  const manifest = manifestFile.kind === 'json' ? ModelManifest.safeParse(manifestFile.json) : null
  if (manifest?.success) {
    const m = manifest.data
    base.name = m.name
    base.family = m.family
    base.maxLength = m.maxLength
    for (const [k, v] of Object.entries(m.eval ?? {})) if (typeof v === 'number' && Number.isFinite(v)) base.evalFigures[k] = v
  } else if (manifestFile.kind === 'refused') {
    problems.push(manifestFile.problem)
  } else if (manifest) {
    problems.push(describeIssues('manifest.json', manifest.error))
  } else {
    const configFile = await readJson(join(dir, 'config.json'))
    const config = configFile.kind === 'json' ? OptimumConfig.safeParse(configFile.json) : null
    if (config?.success) {
      base.name = source.success ? source.data.repoId.split('/').pop()! : config.data._name_or_path?.split('/').pop() || base.name
      base.family = `mlm${config.data.model_type ? ` (${config.data.model_type})` : ''}`
      base.maxLength = config.data.max_position_embeddings
    } else if (configFile.kind === 'refused') problems.push(configFile.problem)
    else if (config) problems.push(describeIssues('config.json', config.error))
    else absent.push('manifest.json or config.json')
  }
  if (source.success) base.name = `${base.name} (${source.data.variant})`
  if (absent.length > 0) problems.unshift(`missing ${absent.join(', ')}`)
  if (problems.length > 0) base.problem = problems.join('; ')
  return base
}

/** Model folders directly inside `root` (not staging folders `*.partial`, not hidden ones). */
export async function modelFoldersIn(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => [])
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.endsWith('.partial'))
    .map((e) => join(root, e.name))
    .sort()
}
