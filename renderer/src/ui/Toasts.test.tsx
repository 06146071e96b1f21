// @vitest-environment jsdom
import { act } from 'react'
import { createRoot } from 'react-dom/client'
import { describe, expect, it } from 'vitest'
import { DecisionInput, type FillRequest, type FillResult } from '../../../main/contract'
import { OFFERS_TOAST_KEY, offersNote } from '../app/offers-note'
import { Session } from '../app/session'
import { docOf, locked, masked, para } from '../editor/test-helpers'
import { fakeApi, tinyModel } from '../app/fake-api'
import { liveToasts, Toasts } from './Toasts'

;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

const model = tinyModel

/** A session with two masked spans on offer (the first candidate of the first joins the word before it). */
async function twoOnOffer() {
  const { api, calls, emit } = fakeApi()
  const s = new Session(api)
  s.store.set({ revealPace: 'instant' })
  s.fills.listen()
  const place = document.createElement('div')
  document.body.append(place)
  const view = s.mount(place)
  s.docs['host'].replaceDoc(docOf(para(locked('The man '), masked('is'), locked(' a cat. It '), masked('sat'), locked(' here.'))))
  expect(s.fills.regenerate()).toBe(true)
  const fill = calls.find((c) => c.channel === 'engine:fill')!.payload as FillRequest
  const result: FillResult = {
    requestId: fill.requestId,
    spans: [
      { spanId: 's1', original: 'is', slots: 1, candidates: [{ text: "'s", tokenIds: [1], confidence: 0.8, trimBefore: 1 }, { text: 'was', tokenIds: [2], confidence: 0.6 }] },
      { spanId: 's2', original: 'sat', slots: 1, candidates: [{ text: 'slept', tokenIds: [3], confidence: 0.5 }, { text: 'lay', tokenIds: [4], confidence: 0.4 }] },
    ],
    forwardPasses: 1,
    ms: 1,
    model,
    settings: fill.settings,
  }
  emit('fill:done', result)
  const key = (id: string) => `${fill.requestId}/${id}`
  return { s, view, calls, key }
}

describe('the "N spans ready" note', () => {
  it('shows the spans on offer now, and nothing once none is left', () => {
    const offers = { id: 1, kind: 'info' as const, text: offersNote(2), key: OFFERS_TOAST_KEY }
    const other = { id: 2, kind: 'error' as const, text: 'Saved.' }
    expect(liveToasts([offers, other], 1).map((t) => t.text)).toEqual([offersNote(1), 'Saved.'])
    expect(liveToasts([offers, other], 0)).toEqual([other])
    expect(offersNote(1)).toMatch(/^1 span ready\./)
    expect(offersNote(3)).toMatch(/^3 spans ready\./)
  })

  it('counts down as spans are decided and goes away with the last (rendered)', async () => {
    const { s, key } = await twoOnOffer()
    const host = document.createElement('div')
    document.body.append(host)
    const root = createRoot(host)
    await act(async () => root.render(<Toasts session={s} />))
    const shown = () => [...host.querySelectorAll('.toast span')].map((e) => e.textContent ?? '').filter((t) => /ready\./.test(t))
    expect(shown()).toEqual([offersNote(2)])
    await act(async () => {
      s.fills.accept(key('s2'))
    })
    expect(shown()).toEqual([offersNote(1)])
    await act(async () => {
      s.fills.reject(key('s1'))
    })
    expect(shown()).toEqual([])
    await act(async () => root.unmount())
    s.unmount()
  })
})

describe('border spaces through the fill controller', () => {
  it('"The man [is]" accepted as "\'s" reads "The man\'s", and the log entry agrees with the document', async () => {
    const { s, view, calls, key } = await twoOnOffer()
    expect(s.fills.accept(key('s1'))).toBe(true)
    expect(view.state.doc.textContent).toBe("The man's a cat. It sat here.")
    await s.fills.settleAll()
    const log = calls.filter((c) => c.channel === 'prefs:log').map((c) => DecisionInput.parse(c.payload))
    expect(log).toHaveLength(1)
    expect(log[0]).toMatchObject({ action: 'accepted', prefix: 'The man', spanOriginal: ' is', finalText: "'s", candidates: ["'s"] })
    expect(log[0].prefix + log[0].finalText + log[0].suffix).toBe("The man's a cat. It sat here.")
    s.unmount()
  })
})
