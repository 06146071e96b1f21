/**
 * Where models live: the app root (the folder holding package.json), the default model
 * directory (models/default), and the model the integration tests use.
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The nearest folder at or above `from` holding package.json (the app root). */
export function resolveAppRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from)
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir
    const up = dirname(dir)
    if (up === dir) return process.cwd()
    dir = up
  }
}

/** models/default under the app root: the model the app loads at start. */
export function defaultModelDir(appRoot: string = resolveAppRoot()): string {
  return join(appRoot, 'models', 'default')
}

/** Model directories the tests may use, best first. */
export const TEST_MODEL_CANDIDATES = ['models/default', 'models/smoke', 'models/dev'] as const

/** A directory is usable once it holds model.onnx, tokenizer.json and manifest.json (dev: READY too). */
function complete(dir: string): boolean {
  const files = ['model.onnx', 'tokenizer.json', 'manifest.json']
  if (!files.every((f) => existsSync(join(dir, f)))) return false
  return !dir.endsWith(join('models', 'dev')) || existsSync(join(dir, 'READY'))
}

/**
 * The first complete model of models/default, models/smoke, models/dev, or null with the
 * reason printed (integration tests skip then).
 */
export function resolveTestModel(appRoot: string = resolveAppRoot()): string | null {
  for (const c of TEST_MODEL_CANDIDATES) {
    const dir = join(appRoot, c)
    if (complete(dir)) return dir
  }
  console.warn(`integration tests skipped: no model in ${TEST_MODEL_CANDIDATES.join(', ')} (train one with npm run model:train)`)
  return null
}
