#!/usr/bin/env node
/**
 * `npm test`: the whole test command, in order:
 *   1. typecheck (tsc, strict)
 *   2. the model pipeline's smoke run (npm run model:train -- --smoke)
 *   3. unit + integration tests (vitest; integration tests run on models/default and real SQLite files)
 *   4. build (electron-vite) and the electronegativity security scan of the built app
 *   5. end-to-end tests (Playwright in the system Chromium, browser mode)
 * Ends with one summary line: "N passed, N failed, N skipped".
 * `npm test -- --skip-smoke` / `--skip-e2e` leave those stages out (for quick local runs).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const flags = new Set(process.argv.slice(2))
const reports = join(root, 'e2e/artifacts/reports')
rmSync(reports, { recursive: true, force: true })
mkdirSync(reports, { recursive: true })

const totals = { passed: 0, failed: 0, skipped: 0 }
const failedStages = []

function stage(name, cmd, args, env = {}) {
  console.log(`\n=== ${name} ===`)
  const started = Date.now()
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  const ok = r.status === 0
  console.log(`=== ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(0)} s ===`)
  return ok
}

/** A stage that is not a test runner counts as one test. */
function checkStage(name, cmd, args, env) {
  const ok = stage(name, cmd, args, env)
  if (ok) totals.passed++
  else {
    totals.failed++
    failedStages.push(name)
  }
  return ok
}

const node = process.execPath
const bin = (p) => join(root, 'node_modules', p)

checkStage('typecheck', node, [bin('typescript/bin/tsc'), '-p', '.'])

if (!flags.has('--skip-smoke')) {
  checkStage('model pipeline smoke run', node, [join(root, 'models/train/run.mjs'), '--smoke'])
}

const vitestJson = join(reports, 'vitest.json')
const vitestOk = stage('unit and integration tests (vitest)', node, [bin('vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`])
if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'))
  totals.passed += v.numPassedTests ?? 0
  totals.failed += v.numFailedTests ?? 0
  totals.skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0)
  if (!vitestOk && (v.numFailedTests ?? 0) === 0) {
    totals.failed++
    failedStages.push('vitest (suite error)')
  } else if (!vitestOk) failedStages.push('vitest')
} else {
  totals.failed++
  failedStages.push('vitest (no report)')
}

// A test build: INFILL_TEST_HOOKS=1 exposes window.__infill, which the e2e tests drive (production builds leave it out).
const built = checkStage('build (electron-vite, test hooks)', node, [bin('electron-vite/bin/electron-vite.js'), 'build'], { INFILL_TEST_HOOKS: '1' })
if (built) checkStage('security scan (electronegativity)', node, [join(root, 'scripts/security-check.mjs')])

if (!flags.has('--skip-e2e') && built) {
  const pwJson = join(reports, 'playwright.json')
  const pwOk = stage('end-to-end tests (Playwright, browser mode)', node, [bin('@playwright/test/cli.js'), 'test', '--reporter=list,json'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson,
  })
  if (existsSync(pwJson)) {
    const s = JSON.parse(readFileSync(pwJson, 'utf8')).stats ?? {}
    totals.passed += (s.expected ?? 0) + (s.flaky ?? 0)
    totals.failed += s.unexpected ?? 0
    totals.skipped += s.skipped ?? 0
    if (!pwOk && !(s.unexpected > 0)) {
      totals.failed++
      failedStages.push('playwright (suite error)')
    } else if (!pwOk) failedStages.push('playwright')
  } else {
    totals.failed++
    failedStages.push('playwright (no report)')
  }
}

if (failedStages.length) console.log(`\nFailed: ${failedStages.join(', ')}`)
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exit(totals.failed === 0 && failedStages.length === 0 ? 0 : 1)
