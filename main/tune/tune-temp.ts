/**
 * The temporary folder a tuning run keeps its encoded decisions in (/tmp/infill-tune-<pid>-*).
 * It holds the token ids of the writer's decisions, so it must not outlive the run: it is
 * removed when the run ends, on the process's exit (process.exit, the end of the event loop,
 * and the signal handlers that end in one), and a folder left by a process that was killed
 * outright (SIGKILL, a crash) is swept away by the next run or app start, once its pid is dead.
 */
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PREFIX = 'infill-tune-'
/** infill-tune-<pid>-<random>: the pid of the process that made it. */
const NAME = /^infill-tune-(\d+)-[A-Za-z0-9]{6}$/

const live = new Set<string>()
let hooked = false

function removeLive(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true })
  live.clear()
}

/** Whether a process with this pid is running (EPERM: running, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes tune folders in `root` whose process is gone: only folders (never links) named by
 * this module, owned by this user, of a pid that is not running. Returns the removed paths.
 */
export function sweepStaleTuneDirs(root = tmpdir()): string[] {
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return removed
  }
  const uid = process.getuid?.()
  for (const name of names) {
    const m = NAME.exec(name)
    if (!m) continue
    const pid = Number(m[1])
    if (pid === process.pid || isAlive(pid)) continue
    const path = join(root, name)
    try {
      const st = lstatSync(path)
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue
      rmSync(path, { recursive: true, force: true })
      removed.push(path)
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed
}

/** A new private folder for one run's encoded decisions (0700), removed at the latest when this process exits. */
export function makeTuneTempDir(): string {
  sweepStaleTuneDirs()
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`))
  live.add(dir)
  if (!hooked) {
    hooked = true
    process.on('exit', removeLive)
  }
  return dir
}

/** Removes a run's folder now (the run ended). */
export function removeTuneTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  live.delete(dir)
}
