/**
 * Crash test: a child process logging a burst of decisions is killed with SIGKILL
 * mid-burst, several times over the same file; the log must then pass integrity_check and
 * hold every decision whose log() had returned (the child printed its id only after that).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { PreferenceStore } from './preference-store'

const burstScript = join(dirname(fileURLToPath(import.meta.url)), 'test-fixtures', 'log-burst.ts')
/** Acknowledged decisions to wait for before each kill. */
const ACKS_BEFORE_KILL = 150
const ROUNDS = 3

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infill-crash-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** Runs the burst child until it has acknowledged ACKS_BEFORE_KILL decisions, kills it, returns every acknowledged id → request id. */
function burstAndKill(dbPath: string, tag: string): Promise<{ acknowledged: Map<number, string>; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', burstScript, dbPath, tag], { stdio: ['ignore', 'pipe', 'pipe'] })
    const acknowledged = new Map<number, string>()
    let pending = ''
    let stderr = ''
    let killed = false
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop() ?? '' // a partial line was not fully acknowledged yet
      for (const line of lines) {
        const [id, requestId] = line.split(' ')
        acknowledged.set(Number(id), requestId)
      }
      if (!killed && acknowledged.size >= ACKS_BEFORE_KILL) {
        killed = true
        child.kill('SIGKILL')
      }
    })
    child.stderr.on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (!killed) reject(new Error(`the burst child exited on its own (code ${code}, signal ${signal}) after ${acknowledged.size} decisions:\n${stderr}`))
      else resolve({ acknowledged, signal })
    })
  })
}

it('every acknowledged decision survives SIGKILL mid-burst, and the file passes integrity_check', async () => {
  const dbPath = join(dir, 'prefs.sqlite')
  const acknowledged = new Map<number, string>()
  for (let round = 0; round < ROUNDS; round++) {
    const result = await burstAndKill(dbPath, `round${round}`)
    expect(result.signal).toBe('SIGKILL')
    expect(result.acknowledged.size).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL)
    for (const [id, requestId] of result.acknowledged) acknowledged.set(id, requestId)

    // after each crash: a plain SQLite connection recovers the WAL and finds the file sound
    const raw = new Database(dbPath)
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok')
    const rows = new Map(
      (raw.prepare('SELECT id, request_id FROM decisions').all() as { id: number; request_id: string }[]).map((r) => [r.id, r.request_id]),
    )
    raw.close()
    const missing = [...acknowledged].filter(([id, requestId]) => rows.get(id) !== requestId)
    expect(missing).toEqual([])
    // at most the one decision being committed when the kill landed went unacknowledged
    expect(rows.size - acknowledged.size).toBeLessThanOrEqual(round + 1)
  }

  // the store itself reopens the crashed file without setting it aside
  const store = PreferenceStore.open(dbPath)
  try {
    expect(store.setAside).toBeUndefined()
    expect(store.stats().total).toBeGreaterThanOrEqual(acknowledged.size)
    const listed = new Map(store.list(1000).map((r) => [r.id, r.requestId]))
    for (const [id, requestId] of acknowledged) expect(listed.get(id)).toBe(requestId)
  } finally {
    store.close()
  }
})
