/**
 * Which two models a comparison puts side by side. A tuned model's manifest.json records its
 * lineage (`tuning.base`: the name, folder and model.onnx hash of the model it was tuned
 * from, written by models/train/tune.py); the pair is that tuned model and its base, one of
 * which is the model the engine has loaded.
 */
import { join } from 'node:path'
import { z } from 'zod'
import type { CompareRole } from '../contract'
import { readModelJsonSync } from '../engine/model-files'

/** The base a tuned model records in its manifest. */
export interface ModelLineage {
  name: string
  dir: string
  hash: string
}

const TuningBlock = z.object({
  tuning: z.object({ base: z.object({ name: z.string().nullable().optional(), dir: z.string().min(1), hash: z.string().min(1) }) }),
})

/**
 * The lineage in `dir`/manifest.json: null when the model was not tuned (no `tuning` block).
 * Throws, naming the file, when the manifest cannot be read or its `tuning` block is malformed.
 */
export function readLineage(dir: string): ModelLineage | null {
  const path = join(dir, 'manifest.json')
  let manifest: unknown
  try {
    // Bounded and regular files only: a named pipe or a huge manifest never stalls the host.
    manifest = readModelJsonSync(path)
  } catch (err) {
    throw new Error(`Cannot read ${path}: ${(err as Error).message}`)
  }
  if (!manifest || typeof manifest !== 'object' || !('tuning' in manifest)) return null
  const parsed = TuningBlock.safeParse(manifest)
  if (!parsed.success) throw new Error(`${path} has a "tuning" block without a readable base (tuning.base.dir and tuning.base.hash): ${z.prettifyError(parsed.error)}`)
  const base = parsed.data.tuning.base
  return { name: base.name ?? base.dir, dir: base.dir, hash: base.hash }
}

/** The pair to compare: which folder plays which role, and what the second engine loads. */
export interface ComparePair {
  baseDir: string
  tunedDir: string
  /** The role of the model the main engine keeps. */
  mainRole: CompareRole
  /** The folder the comparison engine loads (the other role). */
  otherDir: string
  /** The lineage that made the pair (to check the base's hash against once it is loaded). */
  lineage: ModelLineage
}

/**
 * The pair for the loaded model (`activeDir`, its lineage `activeLineage`) and the folder the
 * writer named (`requestedDir`, its lineage), or — with none named — the loaded model and the
 * base its lineage names. Throws a sentence for the writer when there is no pair to make.
 */
export function resolvePair(
  active: { dir: string; lineage: ModelLineage | null },
  requested: { dir: string; lineage: ModelLineage | null } | null,
): ComparePair {
  if (!requested) {
    if (!active.lineage)
      throw new Error(`The loaded model (${active.dir}) is not a tuned model: its manifest has no tuning lineage. Load a tuned model, or name the tuned model to compare with.`)
    return { baseDir: active.lineage.dir, tunedDir: active.dir, mainRole: 'tuned', otherDir: active.lineage.dir, lineage: active.lineage }
  }
  if (requested.dir === active.dir) throw new Error('That is the loaded model itself; compare it with a different model (a tuned one, or its base).')
  if (requested.lineage) return { baseDir: active.dir, tunedDir: requested.dir, mainRole: 'base', otherDir: requested.dir, lineage: requested.lineage }
  if (active.lineage) return { baseDir: requested.dir, tunedDir: active.dir, mainRole: 'tuned', otherDir: requested.dir, lineage: active.lineage }
  throw new Error(
    `Neither the loaded model (${active.dir}) nor ${requested.dir} is a tuned model (no tuning lineage in manifest.json). Comparison puts a tuned model beside its base: tune one under Training log first.`,
  )
}

/** Whether two model.onnx hashes name the same file (either may be shortened). */
export function sameHash(a: string, b: string): boolean {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  return x.length > 0 && y.length > 0 && (x.startsWith(y) || y.startsWith(x))
}
