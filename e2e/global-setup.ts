/**
 * Before any spec runs: the specs drive the editor through window.__infill, which only test
 * builds expose (INFILL_TEST_HOOKS=1 at build time; `npm test` builds that way). When out/
 * is a production build, rebuild it as a test build once, saying so in one line.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './fixtures'

function hasTestHooks(): boolean {
  const assets = join(ROOT, 'out', 'renderer', 'assets')
  return existsSync(assets) && readdirSync(assets).some((f) => f.endsWith('.js') && readFileSync(join(assets, f), 'utf8').includes('__infill'))
}

export default function globalSetup(): void {
  if (!existsSync(join(ROOT, 'out', 'renderer'))) return // fixtures.ts says how to build
  if (hasTestHooks()) return
  console.log('e2e: out/ is a production build (no window.__infill); rebuilding it with INFILL_TEST_HOOKS=1.')
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, INFILL_TEST_HOOKS: '1' },
  })
  if (r.status !== 0 || !hasTestHooks()) throw new Error('e2e: the test build failed; run `INFILL_TEST_HOOKS=1 npx electron-vite build` to see why.')
}
