// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Node as PMNode } from 'prosemirror-model'
import type { EventChannel, EventPayload, InfillApi, RequestChannel, RequestPayload, RequestResult } from '../../../main/contract'
import { emptyDoc } from '../editor/setup'
import { docOf, locked, masked, para } from '../editor/test-helpers'
import { DocumentController, RECOVERY_INTERVAL_MS } from './document-controller'
import { Store } from './store'

type Calls = { channel: RequestChannel; payload: unknown }[]

function fakeApi(answers: Partial<{ [C in RequestChannel]: (p: RequestPayload<C>) => RequestResult<C> }>) {
  const calls: Calls = []
  const listeners = new Map<EventChannel, ((p: unknown) => void)[]>()
  const api: InfillApi = {
    async invoke(channel, payload) {
      calls.push({ channel, payload })
      const f = answers[channel] as ((p: unknown) => unknown) | undefined
      return (f ? f(payload) : undefined) as never
    },
    on(channel, listener) {
      listeners.set(channel, [...(listeners.get(channel) ?? []), listener as (p: unknown) => void])
      return () => {}
    },
  }
  const emit = <C extends EventChannel>(c: C, p: EventPayload<C>) => listeners.get(c)?.forEach((l) => l(p))
  return { api, calls, emit }
}

const info = { version: '0', nativeDialogs: false, workspaceDir: '/ws', platform: 'linux' }

describe('the document controller', () => {
  let doc: PMNode
  const host = { doc: () => doc, replaceDoc: (d: PMNode) => (doc = d), settle: vi.fn(async () => {}), resetFills: vi.fn() }
  beforeEach(() => {
    vi.useFakeTimers()
    doc = emptyDoc()
  })
  afterEach(() => vi.useRealTimers())

  it('tracks dirty state, saves with the sidecar, writes recovery copies while dirty', async () => {
    const { api, calls } = fakeApi({
      'host:info': () => info,
      'recovery:list': () => [],
      'doc:save': (p) => ({ path: `/ws/${p.path}`, bytes: p.markdown.length, savedAt: 'now' }),
    })
    const store = new Store()
    const docs = new DocumentController(api, store, host)
    await docs.start()
    doc = docOf(para(locked('Hello '), masked('world')))
    docs.afterTransaction()
    expect(store.get().dirty).toBe(true)
    expect(calls.some((c) => c.channel === 'doc:setDirty' && (c.payload as { dirty: boolean }).dirty)).toBe(true)

    await vi.advanceTimersByTimeAsync(RECOVERY_INTERVAL_MS)
    const rec = calls.filter((c) => c.channel === 'recovery:write')
    expect(rec).toHaveLength(1)
    expect((rec[0].payload as { markdown: string }).markdown).toBe('Hello world')
    await vi.advanceTimersByTimeAsync(RECOVERY_INTERVAL_MS)
    expect(calls.filter((c) => c.channel === 'recovery:write')).toHaveLength(1) // unchanged since

    expect(await docs.saveAs('hello')).toBe(true)
    const save = calls.find((c) => c.channel === 'doc:save')!.payload as { path: string; markdown: string; sidecar: { doc: unknown } }
    expect(save.path).toBe('hello.md')
    expect(save.markdown).toBe('Hello world')
    expect(save.sidecar.doc).toEqual(doc.toJSON())
    expect(host.settle).toHaveBeenCalled()
    expect(store.get()).toMatchObject({ dirty: false, title: 'hello.md', path: '/ws/hello.md' })
    expect(calls.some((c) => c.channel === 'recovery:discard')).toBe(true)
  })

  it('offers recovery copies at start and asks before closing with unsaved changes', async () => {
    const entry = { documentId: 'doc-9', path: null, markdown: 'Lost words.', sidecar: null, savedAt: '2026-01-01T00:00:00Z' }
    const { api, calls, emit } = fakeApi({ 'host:info': () => info, 'recovery:list': () => [entry] })
    const store = new Store()
    const docs = new DocumentController(api, store, host)
    await docs.start()
    expect(store.get().dialog).toEqual({ kind: 'recovery', entries: [entry] })
    docs.recover(entry)
    expect(doc.textContent).toBe('Lost words.')
    expect(store.get()).toMatchObject({ dirty: true, documentId: 'doc-9', title: 'Recovered' })

    const close = vi.spyOn(window, 'close').mockImplementation(() => {})
    emit('window:closeRequested', undefined)
    expect(store.get().dialog).toEqual({ kind: 'unsaved', reason: 'close' })
    await docs.resolveUnsaved('cancel', 'close')
    expect(close).not.toHaveBeenCalled()
    await docs.resolveUnsaved('discard', 'close')
    expect(close).toHaveBeenCalled()
    expect(calls.filter((c) => c.channel === 'doc:setDirty').at(-1)!.payload).toMatchObject({ dirty: false })
  })
})
