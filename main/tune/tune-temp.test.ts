import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sweepStaleTuneDirs } from './tune-temp'

const root = mkdtempSync(join(tmpdir(), 'infill-tune-temp-test-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('sweepStaleTuneDirs', () => {
  it("removes the folders of processes that are gone, and nothing else", () => {
    // A pid that was running a moment ago and is not any more.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout
    const stale = join(root, `infill-tune-${dead}-abc123`)
    const mine = join(root, `infill-tune-${process.pid}-abc123`)
    const parent = join(root, `infill-tune-${process.ppid}-abc123`)
    const other = join(root, 'infill-tune-service-xyz') // another test's folder: not this module's name
    const target = join(root, 'target')
    for (const d of [stale, mine, parent, other, target]) mkdirSync(d)
    const link = join(root, `infill-tune-${dead}-lnk456`)
    symlinkSync(target, link)
    expect(sweepStaleTuneDirs(root)).toEqual([stale])
    expect(existsSync(stale)).toBe(false)
    for (const kept of [mine, parent, other, target, link]) expect(existsSync(kept)).toBe(true)
  })
})
