import { describe, expect, it } from 'vitest'
import type { AlternativesRequest, AlternativesResult, SenderContext } from '../contract'
import { FillLedger, MAX_FILLS_PER_CONNECTION } from '../services/fill-ledger'
import type { EngineGateway } from '../services/gateways'
import { createRequestHandlers } from '../services/request-handlers'

const model = { name: 'tiny', family: 'mdlm' as const, dir: '/m', maxLength: 64, vocabSize: 100, hash: 'h', provider: 'cpu' }
const sender: SenderContext = { id: 'conn-1', emit: () => {} }

/** Handlers over an engine whose alternatives wait until released. */
function setup() {
  const waiting: (() => void)[] = []
  const engine = {
    state: () => ({ status: 'ready' as const, model, queued: 0 }),
    alternatives: (r: AlternativesRequest) =>
      new Promise<AlternativesResult>((resolve) => waiting.push(() => resolve({ requestId: r.requestId, original: 'Tom', alternatives: [{ text: 'Mara', score: -1, origin: 'manuscript' }], ms: 1 }))),
  } as unknown as EngineGateway
  const handlers = createRequestHandlers({ info: {} as never, dialogs: null, workspaceDir: null, recovery: {} as never, engine, models: {} as never, fills: new FillLedger(), prefs: {} as never, modelManager: {} as never, manuscript: {} as never })
  const ask = (id: string) => handlers['engine:alternatives']({ requestId: id, text: 'The keeper Tom slept.', from: 11, to: 14, count: 8 }, sender)
  return { ask, waiting }
}

describe('engine:alternatives', () => {
  it('answers with the engine alternatives and the model that made them', async () => {
    const { ask, waiting } = setup()
    const answer = ask('a1')
    waiting.shift()!()
    expect(await answer).toMatchObject({ requestId: 'a1', alternatives: [{ text: 'Mara', origin: 'manuscript' }], model: { name: 'tiny' } })
  })

  it('is held to the fill limits of a connection, and frees its place when answered', async () => {
    const { ask, waiting } = setup()
    const first = Array.from({ length: MAX_FILLS_PER_CONNECTION }, (_, i) => ask(`a${i}`))
    await expect(ask('one-too-many')).rejects.toThrow()
    waiting.shift()!()
    await first[0]
    const next = ask('after')
    while (waiting.length) waiting.shift()!()
    await expect(next).resolves.toMatchObject({ requestId: 'after' })
    await Promise.all(first)
  })
})
