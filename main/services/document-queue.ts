/**
 * Serializes work on one document: every open and save of a path runs after the previous
 * one on the same path has finished, so two saves never interleave their files and an open
 * never sees a save half done. Different paths run independently.
 */
import { resolve } from 'node:path'

export class PathQueue {
  private readonly tails = new Map<string, Promise<unknown>>()

  /** Runs `task` once every earlier task on `path` has settled; resolves with its result. */
  run<T>(path: string, task: () => Promise<T>): Promise<T> {
    const key = resolve(path)
    const previous = this.tails.get(key) ?? Promise.resolve()
    const next = previous.then(task, task)
    const tail = next.catch(() => undefined)
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return next
  }

  /** Paths with work queued or running (for tests). */
  get busy(): number {
    return this.tails.size
  }
}
