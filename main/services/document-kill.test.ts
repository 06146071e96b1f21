/**
 * Kill during save: a child process saves one document in a loop; the test SIGKILLs it at a
 * random moment, opens the document as the app would and checks that the Markdown and its
 * sidecar are one pair (the same version, marks present, nothing set aside), and never older
 * than a pair seen before. Prints the cycles run and the pairs found inconsistent.
 * INFILL_KILL_CYCLES sets the number of cycles (default 50); INFILL_KILL_SEED the seed;
 * INFILL_KILL_CONTROL=1 first runs the same cycles against the old, naive save for comparison.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { documentFiles } from './document-files'
import { markdownHash, readDocument } from './documents'

const ROOT = resolve(__dirname, '..', '..')
const CHILD = join(ROOT, 'main/services/document-kill-child.ts')
const CYCLES = Number(process.env.INFILL_KILL_CYCLES ?? 50)
const SEED = Number(process.env.INFILL_KILL_SEED ?? Date.now() % 2 ** 31)

/** mulberry32: a small seeded generator, so a failing run can be repeated with its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Starts the child, waits until it saves, lets it run `ms`, kills it with SIGKILL. */
function runAndKill(path: string, first: number, ms: number, naive: boolean): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(first), ...(naive ? ['--naive'] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let err = ''
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), ms))
    child.once('exit', (code, signal) => (signal === 'SIGKILL' ? done() : fail(new Error(`child exited by itself (${code}): ${err}`))))
  })
}

interface Tally {
  cycles: number
  inconsistent: number
  finishedOnOpen: number
  failures: string[]
}

/** What the app would see when opening the document now. */
async function checkPair(path: string, lastSeen: number): Promise<{ ok: boolean; version: number; why?: string }> {
  const file = await readDocument(path)
  const version = Number(/^version (\d+)\n/.exec(file.markdown)?.[1] ?? NaN)
  const marks = (file.sidecar?.doc as { version?: number } | undefined)?.version
  if (!Number.isFinite(version)) return { ok: false, version, why: 'the Markdown is torn' }
  if (file.setAside || !file.sidecar) return { ok: false, version, why: `version ${version} opened without its marks (${file.sidecarNote ?? 'no sidecar'})` }
  if (marks !== version) return { ok: false, version, why: `Markdown version ${version} with the marks of version ${marks}` }
  if (version < lastSeen) return { ok: false, version, why: `went back from version ${lastSeen} to ${version}` }
  return { ok: true, version }
}

/** Whether the kill left a complete pending sidecar for the Markdown in place (a kill between the two renames). */
function pendingMatches(path: string): boolean {
  const pending = documentFiles(path).pendingSidecar
  if (!existsSync(pending)) return false
  try {
    return (JSON.parse(readFileSync(pending, 'utf8')) as { markdownHash?: string }).markdownHash === markdownHash(readFileSync(path, 'utf8'))
  } catch {
    return false // torn: the kill came while it was being written
  }
}

async function killCycles(naive: boolean, seed: number): Promise<Tally> {
  const random = rng(seed)
  const dir = mkdtempSync(join(tmpdir(), 'infill-kill-'))
  const path = join(dir, 'story.md')
  const tally: Tally = { cycles: 0, inconsistent: 0, finishedOnOpen: 0, failures: [] }
  let next = 1
  let lastSeen = 0
  for (let i = 0; i < CYCLES; i++) {
    await runAndKill(path, next, Math.floor(random() * 400), naive)
    tally.cycles++
    if (!existsSync(path)) continue // killed before the first save was in place
    if (pendingMatches(path)) tally.finishedOnOpen++
    const result = await checkPair(path, lastSeen)
    if (!result.ok) {
      tally.inconsistent++
      tally.failures.push(`cycle ${i + 1}: ${result.why}`)
    }
    if (Number.isFinite(result.version)) lastSeen = Math.max(lastSeen, result.version)
    next = lastSeen + 1000 * (i + 1) // fresh version numbers each cycle
  }
  rmSync(dir, { recursive: true, force: true })
  return tally
}

describe('kill during save', () => {
  it(`leaves the old pair or the new pair after every SIGKILL (${CYCLES} cycles)`, async () => {
    if (process.env.INFILL_KILL_CONTROL === '1') {
      const control = await killCycles(true, SEED)
      console.log(`kill-during-save control (old save, Markdown then sidecar): cycles run ${control.cycles}, pairs inconsistent ${control.inconsistent}`)
    }
    const tally = await killCycles(false, SEED)
    console.log(
      `kill-during-save (seed ${SEED}): cycles run ${tally.cycles}, pairs inconsistent ${tally.inconsistent}` +
        ` (kills between the Markdown's rename and the sidecar's, finished on open: ${tally.finishedOnOpen})`,
    )
    expect(tally.failures).toEqual([])
    expect(tally.cycles).toBe(CYCLES)
  }, 600_000)
})
