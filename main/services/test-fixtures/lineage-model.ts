/**
 * A model folder with a tuning lineage for comparison tests: the base model's files linked
 * (same weights), and a manifest naming it, with a `tuning` block whose base is the real
 * folder and model.onnx hash. Its method says what it is: a copy, not a tune — the tests
 * check the comparison plumbing (two engines, same request, labels, logging), not tuning.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const LINEAGE_COPY_METHOD = 'copy (test fixture: the base weights, unchanged)'

/** Writes `outDir` as a "tuned" copy of `baseDir` named `name`; returns the base's model.onnx hash. */
export function writeLineageCopy(baseDir: string, outDir: string, name: string): string {
  mkdirSync(outDir, { recursive: true })
  for (const file of readdirSync(baseDir)) if (file !== 'manifest.json') symlinkSync(join(baseDir, file), join(outDir, file))
  const base = JSON.parse(readFileSync(join(baseDir, 'manifest.json'), 'utf8'))
  const hash = createHash('sha256').update(readFileSync(join(baseDir, 'model.onnx'))).digest('hex')
  const manifest = { ...base, name, description: `${base.name} under another name, for comparison tests.`, tuning: { method: LINEAGE_COPY_METHOD, base: { name: base.name, dir: baseDir, hash } } }
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2))
  return hash
}
