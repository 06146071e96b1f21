/**
 * A fake renderer API for tests of the fill controller and the views on it: requests are
 * recorded in `calls` (engine:fill, engine:state and prefs:log answer as the host would),
 * and `emit` delivers an engine event to the listeners.
 */
import type { EventChannel, EventPayload, FillRequest, InfillApi, RequestChannel } from '../../../main/contract'

export function fakeApi() {
  const calls: { channel: RequestChannel; payload: any }[] = []
  const listeners = new Map<EventChannel, ((p: unknown) => void)[]>()
  const api: InfillApi = {
    async invoke(channel, payload) {
      calls.push({ channel, payload })
      if (channel === 'engine:fill') return { requestId: (payload as FillRequest).requestId, queued: 0 } as never
      if (channel === 'engine:state') return { status: 'ready', model: null, queued: 0 } as never
      if (channel === 'prefs:log') return { id: calls.length } as never
      return undefined as never
    },
    on(channel, listener) {
      listeners.set(channel, [...(listeners.get(channel) ?? []), listener as (p: unknown) => void])
      return () => {}
    },
  }
  const emit = <C extends EventChannel>(c: C, p: EventPayload<C>) => listeners.get(c)?.forEach((l) => l(p))
  return { api, calls, emit }
}

/** The model a fake fill result names. */
export const tinyModel = { name: 'tiny', family: 'mdlm' as const, dir: '/m', maxLength: 64, vocabSize: 100, hash: 'h4sh', provider: 'cpu' }
