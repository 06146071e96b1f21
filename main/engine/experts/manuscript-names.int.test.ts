/**
 * The manuscript expert on the real default model, through the engine process: a name and a
 * place from an earlier chapter come back as candidates (and as Other words) for a masked word
 * in a later chapter where the name belongs, and not once the manuscript is forgotten.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_SAMPLING, type FillRequest } from '../../contract'
import { EngineClient, forkWithNode } from '../engine-client'
import { defaultModelDir } from '../model-paths'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const modelDir = defaultModelDir()
const hasModel = existsSync(join(modelDir, 'model.onnx'))

const CHAPTER_ONE = [
  'Chapter One.',
  'The lamp at Kerrowick had burned for a hundred years. “Bring the oil,” said Quarrender. The boy ran down the stairs.',
  'Quarrender climbed to the gallery and looked out over the sea. “The glass is falling,” said Quarrender. “We will have a storm by night.”',
  'In the morning the boat came in from Kerrowick with bread and letters. “There is nothing for you,” said Quarrender, and went back up the tower.',
].join('\n\n')

const CHAPTER_TWO = 'Chapter Two.\n\nThe storm came over the headland before dark. “Light the lamp,” said Tobias. The boy did not answer.'

function nameFill(requestId: string): FillRequest {
  const from = CHAPTER_TWO.indexOf('Tobias')
  return {
    requestId,
    text: CHAPTER_TWO,
    spans: [{ id: 'name', from, to: from + 'Tobias'.length }],
    locked: [],
    settings: { ...DEFAULT_SAMPLING, strategy: 'low_confidence', temperature: 0, steps: 4, candidates: 3 },
    experts: { yourWords: 0.5, documentId: 'chapter-2' },
  }
}

describe.skipIf(!hasModel)('the manuscript expert on the default model', () => {
  let client: EngineClient
  beforeAll(async () => {
    client = new EngineClient(forkWithNode())
    client.setManuscriptDocument('chapter-1', CHAPTER_ONE)
    client.setManuscriptDocument('chapter-2', CHAPTER_TWO)
    await client.loadModel(modelDir)
  }, 120_000)
  afterAll(async () => {
    await client?.dispose()
  })

  it('offers the earlier chapter\'s name for a masked name, marked as the writer\'s, and Other words offers it', async () => {
    const result = await client.fill(nameFill('names-1')).result
    const texts = result.spans[0].candidates.map((c) => c.text.trim())
    expect(texts).toContain('Quarrender')
    const fromManuscript = result.spans[0].candidates.find((c) => c.text.trim() === 'Quarrender')!
    expect(fromManuscript.origin).toBe('manuscript')
    // one masked word, no length asked: every candidate is one word, the writer's passages too
    expect(texts.filter((t) => t.split(/\s+/).length !== 1)).toEqual([])
    expect(client.state().manuscript?.documents).toBe(2)
    expect(client.state().manuscript?.words).toBeGreaterThan(80)

    const from = CHAPTER_TWO.indexOf('Tobias')
    const other = await client.alternatives({ requestId: 'other-1', text: CHAPTER_TWO, from, to: from + 6, count: 8, experts: { yourWords: 0.5 } })
    expect(other.original).toBe('Tobias')
    expect(other.alternatives.map((a) => a.text)).toContain('Quarrender')
    expect(other.alternatives.map((a) => a.text)).not.toContain('Tobias')
  }, 120_000)

  it('does not offer it after the manuscript is forgotten', async () => {
    client.clearManuscript()
    const result = await client.fill(nameFill('names-2')).result
    const texts = result.spans[0].candidates.map((c) => c.text.trim())
    expect(texts).not.toContain('Quarrender')
    expect(result.spans[0].candidates.every((c) => (c.origin ?? 'model') !== 'manuscript')).toBe(true)
    expect(client.state().manuscript).toEqual({ documents: 0, words: 0, tokens: 0 })
    const from = CHAPTER_TWO.indexOf('Tobias')
    const other = await client.alternatives({ requestId: 'other-2', text: CHAPTER_TWO, from, to: from + 6, count: 8 })
    expect(other.alternatives.map((a) => a.text)).not.toContain('Quarrender')
  }, 120_000)
})
