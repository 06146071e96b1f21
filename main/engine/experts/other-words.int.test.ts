/**
 * Other words on the real default model with its thesaurus (experts.thesaurus.bin): a content
 * word gets words like it that fit the sentence, a name it does not know gets names of people.
 * Before the thesaurus, "slowly" got "back, right, away, straight, cut, put", "wind" got "king,
 * man, first, day, world", and the name "Orla" got "and, who, of, was, he".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { EngineClient, forkWithNode } from '../engine-client'
import { defaultModelDir, resolveAppRoot } from '../model-paths'
import { FUNCTION_WORDS } from './words'

const modelDir = defaultModelDir()
const hasThesaurus = existsSync(join(modelDir, 'experts.thesaurus.bin'))

/** An engine process with `dir` loaded for the tests of one describe block (closed after them). */
function engineWith(dir: string): () => EngineClient {
  let client: EngineClient
  beforeAll(async () => {
    client = new EngineClient(forkWithNode())
    await client.loadModel(dir)
  }, 120_000)
  afterAll(async () => {
    await client?.dispose()
  })
  return () => client
}

const MANNER = ['quickly', 'swiftly', 'rapidly', 'quietly', 'gently', 'steadily', 'softly', 'silently', 'suddenly', 'gradually', 'carefully', 'fast']

async function otherWords(client: EngineClient, text: string, word: string): Promise<string[]> {
  const from = text.indexOf(word)
  const r = await client.alternatives({ requestId: `ow-${word}`, text, from, to: from + word.length, count: 8, experts: { yourWords: 0.5 } })
  expect(r.original).toBe(word)
  return r.alternatives.map((a) => a.text)
}

describe.skipIf(!hasThesaurus)('Other words with the default model\'s thesaurus', () => {
  const engine = engineWith(modelDir)

  it('offers adverbs of manner for "slowly" and weather and sea for "wind"', async () => {
    const slowly = await otherWords(engine(), 'She walked slowly down the stairs and opened the door.', 'slowly')
    expect(slowly.filter((w) => MANNER.includes(w)).length, slowly.join(', ')).toBeGreaterThanOrEqual(3)
    const wind = await otherWords(engine(), 'The wind howled across the bay all night, and nobody slept.', 'wind')
    const weather = ['rain', 'storm', 'sea', 'sun', 'clouds', 'waves', 'breeze', 'sky', 'air', 'heat', 'winds', 'thunder', 'snow', 'fog', 'tide']
    expect(wind.filter((w) => weather.includes(w)).length, wind.join(', ')).toBeGreaterThanOrEqual(3)
    expect(wind).not.toContain('wind')
  }, 120_000)

  it('offers names of people for a name it does not know, inside a sentence or at its start', async () => {
    const people = ['John', 'James', 'Thomas', 'Charles', 'Richard', 'William', 'Peter', 'Henry', 'Paul', 'Andrew', 'George', 'Mary', 'Samuel', 'Joseph', 'Robert', 'Edward', 'Arthur', 'Albert', 'Harry', 'Walter', 'Howard', 'Lee', 'Jane', 'Michael', 'Daniel', 'Stephen', 'Alexander', 'Martin', 'Jack', 'Alfred', 'Philip', 'Louis', 'Joe', 'Tom', 'David']
    for (const text of ['At dusk the keeper Orla climbed the stairs and lit the lamp above the harbour.', 'Orla climbed the stairs and lit the lamp.']) {
      const words = await otherWords(engine(), text, 'Orla')
      expect(words.filter((w) => people.includes(w)).length, words.join(', ')).toBeGreaterThanOrEqual(4)
      expect(words.filter((w) => FUNCTION_WORDS.has(w.toLowerCase())), words.join(', ')).toEqual([])
    }
  }, 120_000)

  it('keeps the original\'s case at the start of a sentence', async () => {
    const words = await otherWords(engine(), 'Slowly the keeper climbed the stairs.', 'Slowly')
    expect(words.length).toBeGreaterThan(0)
    expect(words.every((w) => w[0] === w[0].toUpperCase()), words.join(', ')).toBe(true)
  }, 120_000)
})

const fixtureDir = join(resolveAppRoot(), 'models', 'fixtures', 'modernbert-bpe')

describe.skipIf(!hasThesaurus || !existsSync(join(fixtureDir, 'model.onnx')))('Other words with a model that ships no thesaurus', () => {
  const engine = engineWith(fixtureDir)

  it('reads the default model\'s thesaurus (a ModernBERT-shaped fixture with random weights)', async () => {
    const slowly = await otherWords(engine(), 'She walked slowly down the stairs and opened the door.', 'slowly')
    expect(slowly.filter((w) => MANNER.includes(w)).length, slowly.join(', ')).toBeGreaterThanOrEqual(3)
    const names = await otherWords(engine(), 'At dusk the keeper Orla climbed the stairs.', 'Orla')
    expect(names.length).toBeGreaterThan(0)
    expect(names.every((w) => /^\p{Lu}\p{Ll}/u.test(w)), names.join(', ')).toBe(true)
  }, 120_000)
})
