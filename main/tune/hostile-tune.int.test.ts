/**
 * Hostile-input suite, round two (issue 25), for `npm run model:tune` (the real CLI in its own
 * process). Items: 3 an unrelated <out>.partial is refused, never deleted; 9 an interrupted
 * tune (SIGINT, SIGTERM, or the process killed outright) leaves no infill-tune-* folder with
 * the writer's decisions behind. tune.py itself is replaced by a stand-in Python that passes
 * the tools check and then sleeps (at most 8 s), so the run can be interrupted while it
 * "trains"; everything before it (export reading, encoding, the temporary folder) is real.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PreferenceStore } from '../store/preference-store'
import { sampleDecision } from '../store/test-fixtures/decisions'

const APP_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = join(APP_ROOT, 'main', 'tune', 'tune-cli.ts')
const BASE = join(APP_ROOT, 'models', 'default')

let dir: string
let tmp: string
let prefs: string
let python: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'infill-hostile-tune-'))
  tmp = join(dir, 'tmp')
  mkdirSync(tmp)
  prefs = join(dir, 'standard.jsonl')
  const store = PreferenceStore.open(join(dir, 'prefs.sqlite'))
  for (let i = 0; i < 4; i++)
    store.log(sampleDecision({ requestId: `r${i}`, prefix: 'The keeper ', suffix: ' every night.', spanOriginal: 'lit the lamp', candidates: ['short', 'the'], action: 'accepted', chosenIndex: 0, finalText: 'short' }))
  store.export('standard', prefs)
  store.close()
  python = join(dir, 'python')
  writeFileSync(python, '#!/bin/sh\n# stand-in: passes the tools check (-c), "trains" by sleeping\ncase "$1" in -c) exit 0;; esac\nexec sleep 8\n')
  chmodSync(python, 0o755)
})

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function tune(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: APP_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp, INFILL_PYTHON: python } })
}

function finished(child: ChildProcess): Promise<{ code: number | null; out: string }> {
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })))
}

const tuneDirs = (): string[] => readdirSync(tmp).filter((n) => n.startsWith('infill-tune-'))

async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('hostile input, round two: model:tune', () => {
  it('3. an unrelated <out>.partial folder is refused, never deleted', async () => {
    const out = join(dir, 'novel')
    mkdirSync(`${out}.partial`)
    writeFileSync(join(`${out}.partial`, 'chapter1.md'), 'It was a dark and stormy night.')
    const r = await finished(tune(['--prefs', prefs, '--from', BASE, '--out', out]))
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/novel\.partial exists and is not a leftover of an earlier tune; .* \(nothing was changed\)/)
    expect(readFileSync(join(`${out}.partial`, 'chapter1.md'), 'utf8')).toBe('It was a dark and stormy night.')
  }, 60_000)

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`9. ${signal} during a tune removes the encoded decisions`, async () => {
      const child = tune(['--prefs', prefs, '--from', BASE, '--out', join(dir, `out-${signal}`)])
      const done = finished(child)
      await until(() => tuneDirs().some((n) => n.startsWith(`infill-tune-${child.pid}-`) && existsSync(join(tmp, n, 'decisions.json'))), 'the encoded decisions')
      child.kill(signal)
      const r = await done
      expect(r.code).toBe(status)
      expect(tuneDirs()).toEqual([])
    }, 60_000)
  }

  it('9. a tune killed outright leaves its folder only until the next run sweeps it', async () => {
    const child = tune(['--prefs', prefs, '--from', BASE, '--out', join(dir, 'out-kill')])
    const done = finished(child)
    await until(() => tuneDirs().some((n) => n.startsWith(`infill-tune-${child.pid}-`)), 'the encoded decisions')
    child.kill('SIGKILL')
    await done
    const left = tuneDirs()
    expect(left).toHaveLength(1) // SIGKILL gives a process no chance to clean up
    // Any next run (here one with a missing argument) removes folders of processes that are gone.
    const next = await finished(tune(['--prefs', prefs]))
    expect(next.code).toBe(2)
    expect(tuneDirs()).toEqual([])
    console.log(`model:tune killed with SIGKILL left ${left[0]}; the next run removed it`)
  }, 60_000)
})
