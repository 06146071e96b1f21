import { promises as fs } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ManuscriptState } from '../contract'
import { manuscriptFiles, ManuscriptService, type ManuscriptEngine } from './manuscript-service'

/** The engine's copy of the manuscript, from the calls the service makes. */
class EngineCopy implements ManuscriptEngine {
  readonly texts = new Map<string, string>()
  sets = 0
  setManuscriptDocument(id: string, text: string | null): void {
    this.sets++
    if (text === null) this.texts.delete(id)
    else this.texts.set(id, text)
  }
  clearManuscript(): void {
    this.texts.clear()
  }
}

let root: string
let workspace: string
let userData: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'infill-manuscript-'))
  workspace = join(root, 'workspace')
  userData = join(root, 'user-data', 'manuscript')
  await fs.mkdir(workspace, { recursive: true })
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function open(engine: EngineCopy, states: ManuscriptState[] = []): Promise<ManuscriptService> {
  const service = await ManuscriptService.open({ dir: userData, workspaceDir: workspace, engine, onState: (s) => states.push(s), persistDelayMs: 10 })
  await service.scan()
  return service
}

describe('ManuscriptService', () => {
  it('document scope (the default) draws on the open text only', async () => {
    await fs.writeFile(join(workspace, 'one.md'), '# One\n\nMara came to Ketterby.')
    const engine = new EngineCopy()
    const service = await open(engine)
    expect(service.state()).toMatchObject({ scope: 'document', documents: 0, words: 0 })
    const state = service.update('win', { documentId: 'd1', path: null, text: 'The keeper slept.' })
    expect(state).toMatchObject({ documents: 1, words: 3 })
    expect([...engine.texts]).toEqual([['unsaved:d1', 'The keeper slept.']])
    await service.dispose()
  })

  it('workspace scope reads every document there, and a restart re-reads only the files that changed', async () => {
    await fs.writeFile(join(workspace, 'one.md'), '# Chapter One\n\nMara came to **Ketterby**.')
    await fs.writeFile(join(workspace, 'two.txt'), 'The lamp burned.')
    await fs.writeFile(join(workspace, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9])) // not UTF-8: skipped
    const engine = new EngineCopy()
    const service = await open(engine)
    await service.settings({ scope: 'workspace', yourWords: 0.8 })
    await service.scan()
    expect(service.state()).toMatchObject({ scope: 'workspace', yourWords: 0.8, documents: 2, words: 9 })
    expect(engine.texts.get(join(workspace, 'one.md'))).toBe('Chapter One\n\nMara came to Ketterby.')
    await service.dispose()

    // Restart: the copies come from the user-data folder; only the changed file is read again.
    await fs.writeFile(join(workspace, 'two.txt'), 'The lamp burned low.')
    await fs.rm(join(workspace, 'latin1.txt'))
    const engine2 = new EngineCopy()
    const again = await open(engine2)
    expect(again.state()).toMatchObject({ scope: 'workspace', yourWords: 0.8, documents: 2, words: 10 })
    expect(engine2.texts.get(join(workspace, 'two.txt'))).toBe('The lamp burned low.')
    // one.md from its copy, two.txt from its copy and then again from disk: three sets, not four.
    expect(engine2.sets).toBe(3)
    // A file deleted from the workspace leaves the index.
    await fs.rm(join(workspace, 'one.md'))
    await again.scan()
    expect(again.state().documents).toBe(1)
    await again.dispose()
  })

  it('a saved document stands in for its file with its open text; Forget deletes the copies, clears the engine and turns the scope off', async () => {
    await fs.writeFile(join(workspace, 'one.md'), 'Mara came to Ketterby.')
    const engine = new EngineCopy()
    const states: ManuscriptState[] = []
    const service = await open(engine, states)
    await service.settings({ scope: 'workspace' })
    await service.scan()
    service.update('win', { documentId: 'd2', path: null, text: 'Later Mara left' })
    const path = join(workspace, 'two.md')
    await fs.writeFile(path, 'Later Mara left [masked words]')
    await service.documentAt('win', 'saved', path, 'Later Mara left [masked words]')
    // The open text (the editor's plain text, newer than the file) stands in for the file's copy.
    expect(engine.texts.get(path)).toBe('Later Mara left')
    expect(engine.texts.has('unsaved:d2')).toBe(false)
    await new Promise((r) => setTimeout(r, 50))
    expect(await fs.readFile(manuscriptFiles(userData).files, 'utf8')).toContain('Ketterby')

    const forgotten = await service.forget()
    expect(forgotten).toMatchObject({ scope: 'off', documents: 0, words: 0 })
    expect(engine.texts.size).toBe(0)
    await expect(fs.access(manuscriptFiles(userData).files)).rejects.toThrow()
    expect(states.at(-1)).toMatchObject({ scope: 'off', words: 0 })
    // Typing on after forgetting counts nothing, and a restart keeps it off and empty.
    expect(service.update('win', { documentId: 'd2', path, text: 'Mara again' }).words).toBe(0)
    await service.dispose()
    const engine2 = new EngineCopy()
    const again = await open(engine2)
    expect(again.state()).toMatchObject({ scope: 'off', documents: 0 })
    expect(engine2.texts.size).toBe(0)
    await again.dispose()
  })

  it('on the desktop (no workspace folder) the workspace is the folder of the document last opened or saved', async () => {
    await fs.writeFile(join(workspace, 'one.md'), 'Mara came to Ketterby.')
    await fs.writeFile(join(workspace, 'two.md'), 'The lamp burned.')
    const engine = new EngineCopy()
    const service = await ManuscriptService.open({ dir: userData, workspaceDir: null, engine, onState: () => {}, persistDelayMs: 10 })
    await service.settings({ scope: 'workspace' })
    await service.scan()
    expect(service.state()).toMatchObject({ workspaceDir: null, documents: 0 })
    await service.documentAt('win', 'opened', join(workspace, 'two.md'), 'The lamp burned.')
    await service.scan()
    expect(service.state()).toMatchObject({ workspaceDir: workspace, documents: 2, words: 7 })
    // A document opened from another folder: that folder is the workspace now, the first one's files leave.
    const other = join(root, 'other')
    await fs.mkdir(other)
    await fs.writeFile(join(other, 'three.md'), 'Elsewhere entirely.')
    await service.documentAt('win', 'opened', join(other, 'three.md'), 'Elsewhere entirely.')
    await service.scan()
    expect(service.state()).toMatchObject({ workspaceDir: other, documents: 1, words: 2 })
    await service.dispose()
  })
})
