// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Node as PMNode } from 'prosemirror-model'
import { MAX_DOCUMENT_BYTES, MAX_MESSAGE_BYTES, type EventChannel, type EventPayload, type InfillApi, type RequestChannel, type RequestPayload, type RequestResult, type SaveRequest } from '../../../main/contract'
import { emptyDoc } from '../editor/setup'
import { docOf, generated, locked, masked, para } from '../editor/test-helpers'
import { DocumentController, oversizeReason, RECOVERY_INTERVAL_MS } from './document-controller'
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
      'doc:save': (p) => ({ status: 'saved', path: `/ws/${p.path}`, bytes: p.markdown.length, savedAt: 'now' }),
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

    expect(await docs.saveAs('hello')).toBe('saved')
    const save = calls.find((c) => c.channel === 'doc:save')!.payload as { path: string; markdown: string; sidecar: { doc: unknown }; ifExists: string }
    expect(save.path).toBe('hello.md')
    expect(save.ifExists).toBe('fail')
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
  it('never replaces an existing file without the writer saying so; Save replaces its own file', async () => {
    const onDisk = new Set(['/ws/lighthouse.md'])
    const { api, calls } = fakeApi({
      'host:info': () => info,
      'recovery:list': () => [],
      'doc:save': (p) => {
        const path = p.path!.startsWith('/') ? p.path! : `/ws/${p.path}`
        if (onDisk.has(path) && p.ifExists !== 'replace') return { status: 'exists', path, name: 'lighthouse.md' }
        onDisk.add(path)
        return { status: 'saved', path, bytes: p.markdown.length, savedAt: 'now' }
      },
    })
    const store = new Store()
    const docs = new DocumentController(api, store, host)
    await docs.start()
    doc = docOf(para(locked('Essay draft.')))
    docs.afterTransaction()
    expect(await docs.saveAs('lighthouse')).toBe('exists')
    expect(store.get()).toMatchObject({ dirty: true, path: null, title: 'Untitled' }) // nothing changed hands
    expect(store.get().toasts.filter((t) => /Saved/.test(t.text))).toEqual([])
    expect(await docs.saveAs('lighthouse', undefined, true)).toBe('saved')
    const saves = calls.filter((c) => c.channel === 'doc:save').map((c) => (c.payload as SaveRequest).ifExists)
    expect(saves).toEqual(['fail', 'replace'])
    expect(store.get()).toMatchObject({ dirty: false, path: '/ws/lighthouse.md' })
    doc = docOf(para(locked('Essay draft, longer.')))
    docs.afterTransaction()
    expect(await docs.save()).toBe(true) // its own file
    expect((calls.filter((c) => c.channel === 'doc:save').at(-1)!.payload as SaveRequest).ifExists).toBe('replace')
  })

  it('refuses a document too big to send before sending anything, and keeps it in the editor', async () => {
    const { api, calls } = fakeApi({ 'host:info': () => info, 'recovery:list': () => [] })
    const store = new Store()
    const docs = new DocumentController(api, store, host)
    await docs.start()
    const big = docOf(para(locked('a'.repeat(MAX_DOCUMENT_BYTES + 1))))
    doc = big
    docs.afterTransaction()
    expect(await docs.saveAs('huge')).toBe('not-saved')
    expect(calls.some((c) => c.channel === 'doc:save')).toBe(false)
    expect(doc).toBe(big)
    expect(store.get().dirty).toBe(true)
    expect(store.get().toasts.at(-1)?.text).toMatch(/^Not saved: the document is 20\.0 MB and Infill saves documents up to 20\.0 MB\. Nothing is lost/)
    // The recovery copy is not sent either (the host would refuse it); the writer is told once.
    const toast = vi.spyOn(store, 'toast')
    await vi.advanceTimersByTimeAsync(RECOVERY_INTERVAL_MS * 2)
    expect(calls.some((c) => c.channel === 'recovery:write')).toBe(false)
    expect(toast.mock.calls.filter(([, text]) => /^No recovery copy: the document is 20\.0 MB/.test(text))).toHaveLength(1)
  })

  it('measures the whole message: marks can push a document under the size limit over the message limit', () => {
    const markdown = 'a'.repeat(1000)
    expect(oversizeReason(markdown, { markdown })).toBeNull()
    const sidecar = { doc: 'x'.repeat(MAX_MESSAGE_BYTES) }
    expect(oversizeReason(markdown, { markdown, sidecar })).toMatch(/more than one message to the Infill host can carry \(32\.0 MB\)/)
    // Bytes, not characters: 12 M two-byte characters are 24 MB.
    expect(oversizeReason('\u00e9'.repeat(12 * 1024 * 1024), {})).toMatch(/24\.0 MB/)
  })

  it('opens a file edited elsewhere with the old marks restored where the text is unchanged, and says so', async () => {
    const oldDoc = docOf(para(locked('The keeper '), masked('counted the ships'), locked(' until dawn.')), para(generated('Fog rolled in.')))
    const file = {
      path: '/ws/notes.md',
      markdown: 'The keeper counted the ships until dusk.\n\nFog rolled in.\n',
      sidecar: null,
      sidecarNote: 'notes.md was changed outside Infill since its marks were saved. The old marks file was kept as X.',
      setAside: { path: '/ws/X', sidecar: { format: 'infill-sidecar' as const, version: 1 as const, markdownHash: 'old', doc: oldDoc.toJSON(), documentId: 'doc-7' } },
    }
    const { api } = fakeApi({ 'host:info': () => info, 'recovery:list': () => [], 'doc:open': () => file })
    const store = new Store()
    const docs = new DocumentController(api, store, host)
    await docs.start()
    expect(await docs.open('/ws/notes.md')).toBe(true)
    const masks: string[] = []
    doc.descendants((n) => {
      if (n.isText && n.marks.some((m) => m.type.name === 'masked')) masks.push(n.text!)
    })
    expect(masks).toEqual(['counted the ships'])
    expect(doc.textContent).toBe('The keeper counted the ships until dusk.Fog rolled in.')
    expect(store.get()).toMatchObject({ documentId: 'doc-7', dirty: false, title: 'notes.md' })
    expect(store.get().toasts.at(-1)?.text).toMatch(/kept as X\. Its marks are back on 51 of 54 marked characters, where the text is unchanged/)
  })
})
