/**
 * The engine computes in the background while the writer types: it runs at a lower CPU
 * scheduling priority than the app, so on a busy machine the editor's input and paint get
 * the cores first and the fill takes what is left (an idle machine runs it as fast as ever).
 *
 * On Linux a nice value belongs to a thread, and new threads inherit their creator's, so
 * the engine lowers every thread it already has (/proc/self/task) and does it again after
 * each model load, when ONNX Runtime has started its thread pool. Elsewhere the call sets
 * the whole process's priority (a priority class on Windows).
 */
import { readdirSync } from 'node:fs'
import { setPriority } from 'node:os'

/** The engine's niceness when INFILL_ENGINE_NICE does not say otherwise (0 normal, 19 lowest). */
export const ENGINE_NICENESS = 10

/** The niceness to use: INFILL_ENGINE_NICE (an integer 0–19), else ENGINE_NICENESS. */
export function engineNiceness(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.INFILL_ENGINE_NICE
  if (raw === undefined || raw.trim() === '') return ENGINE_NICENESS
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 19)
    throw new Error(`INFILL_ENGINE_NICE=${JSON.stringify(raw)}: expected an integer from 0 (normal priority) to 19 (lowest)`)
  return n
}

/** The ids of this process's threads (Linux), or [] where /proc is not there. */
function ownThreads(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number).filter(Number.isInteger)
  } catch {
    return []
  }
}

/**
 * Lowers this process (every thread of it, on Linux) to `niceness`. Returns why it could
 * not, or undefined. Raising a priority needs privileges; lowering one never does.
 */
export function lowerOwnPriority(niceness: number): string | undefined {
  if (niceness === 0) return undefined
  try {
    setPriority(niceness)
    for (const tid of ownThreads()) {
      try {
        setPriority(tid, niceness)
      } catch {
        // a thread that ended meanwhile
      }
    }
    return undefined
  } catch (e) {
    return `could not lower the engine's CPU priority: ${(e as Error).message}`
  }
}
