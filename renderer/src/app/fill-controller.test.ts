// @vitest-environment jsdom
import { TextSelection } from 'prosemirror-state'
import { describe, expect, it, vi } from 'vitest'
import { DecisionInput, FillRequest, type FillResult } from '../../../main/contract'
import { docOf, locked, masked, para } from '../editor/test-helpers'
import { fakeApi, tinyModel } from './fake-api'
import { Session } from './session'

const model = tinyModel

describe('fills from the writer side', () => {
  it('sends one request for every masked span, reveals steps, and logs each decision', async () => {
    const { api, calls, emit } = fakeApi()
    const s = new Session(api)
    s.store.set({ revealPace: 'instant' })
    s.fills.listen()
    const place = document.createElement('div')
    document.body.append(place)
    const view = s.mount(place)
    s.docs['host'].replaceDoc(docOf(para(locked('The '), masked('old'), locked(' lighthouse stood. The keeper '), masked('climbed'), locked(' up.'))))

    expect(s.fills.regenerate()).toBe(true)
    const fill = calls.find((c) => c.channel === 'engine:fill')!.payload as FillRequest
    expect(FillRequest.parse(fill).spans.map((x) => fill.text.slice(x.from, x.to))).toEqual(['old', 'climbed'])
    const rid = fill.requestId

    emit('fill:step', { requestId: rid, step: 1, totalSteps: 2, revealed: [{ spanId: 's1', candidate: 0, slot: 0, tokenId: 1, text: ' grey', confidence: 0.8, pad: false }], remaining: { s1: 1, s2: 4 } })
    expect(place.querySelector('[data-span-id="s1"] .tile[data-state="revealed"]')?.textContent).toBe('grey')
    // The document itself is untouched while the reveal streams.
    expect(view.state.doc.textContent).toBe('The old lighthouse stood. The keeper climbed up.')

    const result: FillResult = {
      requestId: rid,
      spans: [
        { spanId: 's1', original: 'old', slots: 1, candidates: [{ text: 'grey', tokenIds: [1], confidence: 0.8 }, { text: 'tall', tokenIds: [2], confidence: 0.6 }] },
        { spanId: 's2', original: 'climbed', slots: 2, candidates: [{ text: 'ran', tokenIds: [3], confidence: 0.5 }, { text: 'went', tokenIds: [4], confidence: 0.4 }] },
      ],
      forwardPasses: 2,
      ms: 5,
      model,
      settings: fill.settings,
    }
    emit('fill:done', result)
    expect(place.querySelectorAll('[data-testid="fill-board"][data-status="ready"]')).toHaveLength(2)

    const key = (id: string) => `${rid}/${id}`
    s.fills.cycle(key('s1'), 1)
    s.fills.accept(key('s1'))
    s.fills.reject(key('s2'))
    expect(view.state.doc.textContent).toBe('The tall lighthouse stood. The keeper climbed up.')
    // The reject is logged at once; the accept when it settles (here: at save / preferences).
    await s.fills.settleAll()
    const logs = calls.filter((c) => c.channel === 'prefs:log').map((c) => DecisionInput.parse(c.payload))
    expect(logs.map((l) => [l.action, l.spanOriginal, l.chosenIndex, l.finalText, l.candidates])).toEqual([
      ['rejected_all', 'climbed', null, 'climbed', ['ran']], // only the candidate shown
      ['accepted', 'old', 1, 'tall', ['grey', 'tall']],
    ])
    expect(logs[1]).toMatchObject({ prefix: 'The ', model: { name: 'tiny', hash: 'h4sh' }, requestId: rid, spanId: 's1', documentId: s.store.get().documentId })
    expect(logs[1].suffix.startsWith(' lighthouse stood. The keeper climbed up.')).toBe(true)
    s.unmount()
    vi.restoreAllMocks()
  })

  it('draws a fresh seed for every fill unless the writer keeps the seed', async () => {
    const { api, calls, emit } = fakeApi()
    const s = new Session(api)
    s.store.set({ revealPace: 'instant' })
    s.fills.listen()
    const place = document.createElement('div')
    document.body.append(place)
    s.mount(place)
    s.docs['host'].replaceDoc(docOf(para(locked('The '), masked('old'), locked(' lighthouse.'))))
    const seeds = (): number[] => calls.filter((c) => c.channel === 'engine:fill').map((c) => (c.payload as FillRequest).settings.seed)
    const finish = () => {
      const req = calls.filter((c) => c.channel === 'engine:fill').at(-1)!.payload as FillRequest
      emit('fill:error', { requestId: req.requestId, message: 'Stopped.', cancelled: true })
    }
    for (let i = 0; i < 3; i++) {
      expect(s.fills.regenerate()).toBe(true)
      finish()
    }
    expect(new Set(seeds()).size).toBe(3)
    // The settings show the latest fill's seed; keeping it reproduces that fill.
    expect(s.store.get().sampling.seed).toBe(seeds()[2])
    s.store.set({ keepSeed: true })
    s.fills.regenerate()
    finish()
    s.fills.regenerate()
    expect(seeds().slice(3)).toEqual([seeds()[2], seeds()[2]])
    s.unmount()
  })

  it('scope, Safe repeats and the "spans ready" note: what a Ctrl+Enter asks, and what it says instead', () => {
    const { api, calls, emit } = fakeApi()
    const s = new Session(api)
    s.store.set({ revealPace: 'instant', sampling: { ...s.store.get().sampling, temperature: 0, candidates: 2 } })
    const toasts: string[] = []
    s.store.toast = (_k, text) => void toasts.push(text)
    s.fills.listen()
    const place = document.createElement('div')
    document.body.append(place)
    const view = s.mount(place)
    s.docs['host'].replaceDoc(docOf(para(locked('The '), masked('old'), locked(' lighthouse stood. The keeper '), masked('climbed'), locked(' up.'))))
    const requests = () => calls.filter((c) => c.channel === 'engine:fill').map((c) => c.payload as FillRequest)
    const finish = (req: FillRequest) =>
      emit('fill:done', {
        requestId: req.requestId,
        spans: req.spans.map((x) => ({ spanId: x.id, original: req.text.slice(x.from, x.to), slots: 1, candidates: [{ text: 'one', tokenIds: [1], confidence: 0.5 }, { text: 'two', tokenIds: [2], confidence: 0.5 }] })),
        forwardPasses: 1,
        ms: 1,
        model,
        settings: req.settings,
      })
    const caret = (pos: number) => view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, pos)))
    // Caret in locked text, nothing on offer: every masked span.
    caret(2)
    s.fills.regenerate()
    finish(requests()[0])
    expect(requests()[0].spans).toHaveLength(2)
    expect(toasts.at(-1)).toMatch(/^2 spans ready/)
    // Caret in locked text again, both on offer: nothing is asked, and it says why.
    s.fills.regenerate()
    expect(requests()).toHaveLength(1)
    expect(toasts.at(-1)).toMatch(/^Every masked span already has candidates on offer/)
    // Caret in the first span (Safe, nothing changed): asking again would repeat Round 1, so it says so.
    caret(6)
    s.fills.regenerate()
    expect(requests()).toHaveLength(1)
    expect(toasts.at(-1)).toMatch(/would only repeat Round 1 exactly/)
    // Wild: a new round for that span alone; the note of spans ready does not come back for it.
    s.store.set({ sampling: { ...s.store.get().sampling, temperature: 1 } })
    toasts.length = 0
    s.fills.regenerate()
    expect(requests()).toHaveLength(2)
    expect(requests()[1].spans.map((x) => requests()[1].text.slice(x.from, x.to))).toEqual(['old'])
    finish(requests()[1])
    expect(toasts.filter((t) => /spans? ready/.test(t))).toEqual([])
    const bars = [...place.querySelectorAll('[data-testid="fill-board"][data-status="ready"]')]
    expect(bars).toHaveLength(2)
    s.unmount()
  })

  it('a Rewrite is logged as one, a length as its kind, each candidate under its round', async () => {
    // jsdom measures no layout: the accept's scroll into view gets empty rectangles.
    Range.prototype.getClientRects ??= () => [] as unknown as DOMRectList
    Range.prototype.getBoundingClientRect ??= () => new DOMRect()
    const { api, calls, emit } = fakeApi()
    const s = new Session(api)
    s.store.set({ revealPace: 'instant' })
    s.store.toast = () => {}
    s.fills.listen()
    const place = document.createElement('div')
    document.body.append(place)
    const view = s.mount(place)
    s.docs['host'].replaceDoc(docOf(para(locked('The old lighthouse stood.'))))
    const requests = () => calls.filter((c) => c.channel === 'engine:fill').map((c) => c.payload as FillRequest)
    const finish = (req: FillRequest, texts: string[]) =>
      emit('fill:done', {
        requestId: req.requestId,
        spans: req.spans.map((x) => ({ spanId: x.id, original: req.text.slice(x.from, x.to), slots: 1, candidates: texts.map((text, i) => ({ text, tokenIds: [i], confidence: 0.5 })) })),
        forwardPasses: 1,
        ms: 1,
        model,
        settings: req.settings,
      })
    // "old" selected, Rewrite: masked and filled at once (round 1, a rewrite).
    view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, 5, 8)))
    expect(s.rewrite(null)).toBe(true)
    finish(requests()[0], ['tall', 'grey'])
    // Shorter with the caret in it: round 2, asked shorter; pick round 1's second candidate and accept it.
    view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, 6)))
    expect(s.rewrite('shorter')).toBe(true)
    expect(requests()[1].spans[0].length).toBe('shorter')
    finish(requests()[1], ['dim', 'lone'])
    const key = `${requests()[1].requestId}/s1`
    s.fills.pick(key, 0, 1)
    s.fills.accept(key)
    await s.fills.settleAll()
    await Promise.resolve()
    const logs = calls.filter((c) => c.channel === 'prefs:log').map((c) => DecisionInput.parse(c.payload))
    expect(logs.map((l) => l.action)).toEqual(['regenerated', 'accepted'])
    const accepted = logs[1]
    expect(accepted).toMatchObject({ kind: 'rewrite', requestId: requests()[0].requestId, candidates: ['tall', 'grey', 'dim'], chosenIndex: 1, candidateRounds: [1, 1, 2] })
    expect(accepted.rounds!.map((r) => [r.round, r.requestId, r.kind, r.sampling.seed])).toEqual([
      [1, requests()[0].requestId, 'rewrite', requests()[0].settings.seed],
      [2, requests()[1].requestId, 'shorter', requests()[1].settings.seed],
    ])
    // The 'regenerated' entry (round 1 turned down by Shorter) named round 1, and was taken back as "picked from an earlier round".
    expect(logs[0]).toMatchObject({ kind: 'rewrite', candidateRounds: [1] })
    expect(calls.filter((c) => c.channel === 'prefs:retract').map((c) => c.payload)).toEqual([{ id: expect.any(Number), reason: 'picked-earlier-round' }])
    s.unmount()
  })
})
