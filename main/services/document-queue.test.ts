import { describe, expect, it } from 'vitest'
import { PathQueue } from './document-queue'

const later = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('the per-path queue', () => {
  it('runs tasks on one path one at a time, in the order they came, past failures', async () => {
    const q = new PathQueue()
    const log: string[] = []
    const task = (name: string, ms: number, fail = false) => async () => {
      log.push(`start ${name}`)
      await later(ms)
      log.push(`end ${name}`)
      if (fail) throw new Error(name)
      return name
    }
    const a = q.run('/d/a.md', task('a1', 20))
    const b = q.run('/d/./a.md', task('a2', 1, true)) // same path, spelled differently
    const c = q.run('/d/a.md', task('a3', 1))
    await expect(b).rejects.toThrow('a2')
    expect(await Promise.all([a, c])).toEqual(['a1', 'a3'])
    expect(log).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3'])
    await later(0)
    expect(q.busy).toBe(0)
  })

  it('lets different paths run at the same time', async () => {
    const q = new PathQueue()
    const log: string[] = []
    const slow = q.run('/d/a.md', async () => {
      log.push('start a')
      await later(20)
      log.push('end a')
    })
    const fast = q.run('/d/b.md', async () => {
      log.push('b')
    })
    await Promise.all([slow, fast])
    expect(log).toEqual(['start a', 'b', 'end a'])
  })
})
