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
const csv = join(out, 'electronegativity.csv')
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version
if (!existsSync(join(root, 'out/main/index.js'))) {
  console.error('security-check: out/ is missing; run `npm run build` first.')
  process.exit(2)
}
const r = spawnSync(
  process.execPath,
  [join(root, 'node_modules/@doyensec/electronegativity/dist/index.js'), '-i', join(root, 'out'), '-r', '-e', electronVersion, '-o', csv],
  { cwd: root, encoding: 'utf8', timeout: 300_000 },
)
if (r.status !== 0 || !existsSync(csv)) {
  console.error(`security-check: electronegativity failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`)
  process.exit(2)
}
const justified = JSON.parse(readFileSync(join(root, 'scripts/security-justified.json'), 'utf8'))
const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1).filter(Boolean)
let unjustified = 0
for (const row of rows) {
  const [issue, severity, , file, location] = row.split(',').map((c) => c.replace(/^"|"$/g, ''))
  const why = justified[issue]
  console.log(`${why ? 'justified  ' : 'UNJUSTIFIED'} ${issue} (${severity}) ${file}:${location}${why ? ` — ${why}` : ''}`)
  if (!why) unjustified++
}
console.log(`electronegativity: ${rows.length} finding(s), ${unjustified} unjustified (report: ${csv})`)
process.exit(unjustified === 0 ? 0 : 1)
