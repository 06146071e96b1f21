#!/usr/bin/env node
/**
 * Runs @doyensec/electronegativity over the built app (out/) and fails on any finding that
 * is not justified in scripts/security-justified.json (each justification is repeated in
 * the README's security section). Prints one line per finding.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'e2e/artifacts')
mkdirSync(out, { recursive: true })
// SARIF (JSON), not CSV: the CSV's sample column carries unescaped newlines from the scanned code.
const report = join(out, 'electronegativity.sarif')
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version
if (!existsSync(join(root, 'out/main/index.js'))) {
  console.error('security-check: out/ is missing; run `npm run build` first.')
  process.exit(2)
}
const r = spawnSync(
  process.execPath,
  [join(root, 'node_modules/@doyensec/electronegativity/dist/index.js'), '-i', join(root, 'out'), '-r', '-e', electronVersion, '-o', report],
  { cwd: root, encoding: 'utf8', timeout: 300_000 },
)
if (r.status !== 0 || !existsSync(report)) {
  console.error(`security-check: electronegativity failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`)
  process.exit(2)
}
const justified = JSON.parse(readFileSync(join(root, 'scripts/security-justified.json'), 'utf8'))
const findings = JSON.parse(readFileSync(report, 'utf8')).runs.flatMap((run) => run.results ?? [])
let unjustified = 0
for (const f of findings) {
  const where = f.locations?.[0]?.physicalLocation
  const location = where ? `${where.artifactLocation?.uri}:${where.region?.startLine}:${where.region?.startColumn}` : 'N/A'
  const why = justified[f.ruleId]
  console.log(`${why ? 'justified  ' : 'UNJUSTIFIED'} ${f.ruleId} ${location}${why ? ` — ${why}` : ` — ${f.message?.text ?? ''}`}`)
  if (!why) unjustified++
}
console.log(`electronegativity: ${findings.length} finding(s), ${unjustified} unjustified (report: ${report})`)
process.exit(unjustified === 0 ? 0 : 1)
