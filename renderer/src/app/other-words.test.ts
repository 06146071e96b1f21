// @vitest-environment jsdom
import { TextSelection } from 'prosemirror-state'
import { describe, expect, it } from 'vitest'
import { AlternativesRequest, DecisionInput, FillRequest, ManuscriptUpdate, type ManuscriptState } from '../../../main/contract'
import { docOf, find, locked, masked, para, stateOf } from '../editor/test-helpers'
import { fakeApi, tinyModel } from './fake-api'
import { manuscriptText } from './manuscript-sync'
import { alternativesFill, wordAt } from './other-words'
import { Session } from './session'

describe('manuscriptText', () => {
  it('is the text a fill request carries, masked spans included (the engine finds them there by the request)', () => {
    const doc = docOf(para(locked('Mara came to '), masked('Ketterby'), locked(' at dusk.')), para(locked('Then she slept.')))
    expect(manuscriptText(doc)).toBe('Mara came to Ketterby at dusk.\n\nThen she slept.')
  })
})

describe('wordAt', () => {
  const doc = docOf(para(locked("The keeper's lamp, "), masked('lit'), locked(' late.')))
  const at = (from: number, to = from) => {
    const s = stateOf(doc)
    return wordAt(s.apply(s.tr.setSelection(TextSelection.create(s.doc, from, to))))
  }
  it('the word around the caret, an apostrophe inside it kept', () => {
    const p = find(doc, 'keeper')
    expect(at(p + 2)?.text).toBe("keeper's")
    expect(at(find(doc, 'lamp') + 4)?.text).toBe('lamp')
  })
  it('a selection of one word (spaces around it trimmed), never two words, punctuation or masked text', () => {
    const p = find(doc, 'lamp')
    expect(at(p - 1, p + 4)?.text).toBe('lamp')
    expect(at(find(doc, 'The'), p + 4)).toBeNull()
    expect(at(p + 4, p + 5)).toBeNull()
    expect(at(find(doc, 'lit') + 1)).toBeNull()
  })
})

describe('alternativesFill', () => {
  it('turns the engine alternatives into one span of candidates with their origin, none into null', () => {
    const request = { requestId: 'w1', text: 'a b', spans: [{ id: 's1', from: 2, to: 3 }], locked: [], settings: { strategy: 'threshold', steps: 1, blockLength: 0, threshold: 0.9, temperature: 0, topP: 1, seed: 1, candidates: 8 } } as FillRequest
    const fill = alternativesFill(request, 's1', { requestId: 'w1', original: 'b', ms: 3, model: tinyModel, alternatives: [{ text: 'Mara', score: -0.5, origin: 'manuscript' }] })
    expect(fill?.spans[0]).toMatchObject({ spanId: 's1', original: 'b', candidates: [{ text: 'Mara', origin: 'manuscript', score: -0.5 }] })
    expect(fill?.spans[0].candidates[0].confidence).toBeCloseTo(Math.exp(-0.5))
    expect(alternativesFill(request, 's1', { requestId: 'w1', original: 'b', ms: 3, model: tinyModel, alternatives: [] })).toBeNull()
  })
})

const MANUSCRIPT: ManuscriptState = { scope: 'document', yourWords: 0.7, documents: 1, words: 9, distinct: 8, workspaceDir: null, indexing: false }

function session(manuscriptState = MANUSCRIPT) {
  const fake = fakeApi()
  const invoke = fake.api.invoke
  fake.api.invoke = (async (channel: string, payload: unknown) => {
    if (channel === 'manuscript:state' || channel === 'manuscript:update') {
      fake.calls.push({ channel: channel as 'manuscript:state', payload })
      return manuscriptState
    }
    return invoke(channel as never, payload as never)
  }) as typeof fake.api.invoke
  const s = new Session(fake.api)
  s.store.set({ revealPace: 'instant' })
  s.fills.listen()
  s.manuscript.listen()
  const place = document.createElement('div')
  document.body.append(place)
  const view = s.mount(place)
  return { ...fake, s, view, place }
}

describe('Other words and the manuscript, from the writer side', () => {
  it('a fill first sends the open text, then names it as the document whose masks the engine leaves out, with Your words', async () => {
    const { s, calls } = session()
    await Promise.resolve()
    s.docs['host'].replaceDoc(docOf(para(locked('Mara came to Ketterby. Later '), masked('Mara'), locked(' left.'))))
    s.fills.regenerate()
    const channels = calls.map((c) => c.channel)
    const update = ManuscriptUpdate.parse(calls.find((c) => c.channel === 'manuscript:update')!.payload)
    expect(channels.indexOf('manuscript:update')).toBeLessThan(channels.indexOf('engine:fill'))
    const fill = FillRequest.parse(calls.find((c) => c.channel === 'engine:fill')!.payload)
    expect(update.text).toBe(fill.text)
    expect(fill.experts).toEqual({ yourWords: 0.7, documentId: `unsaved:${s.store.get().documentId}` })
    s.unmount()
  })

  it('with the scope off the text is not passed on at all', async () => {
    const { s, calls } = session({ ...MANUSCRIPT, scope: 'off', documents: 0, words: 0, distinct: 0 })
    await new Promise((r) => setTimeout(r, 0))
    s.docs['host'].replaceDoc(docOf(para(locked('Mara came to Ketterby. Later '), masked('Mara'), locked(' left.'))))
    s.fills.regenerate()
    expect(FillRequest.parse(calls.find((c) => c.channel === 'engine:fill')!.payload).experts).toEqual({ yourWords: 0.7 })
    expect(calls.some((c) => c.channel === 'manuscript:update')).toBe(false)
    s.unmount()
  })

  it('Other words masks the word, asks the engine, offers its words as candidates and logs the decision like a fill', async () => {
    const { s, calls, view, place } = session()
    await new Promise((r) => setTimeout(r, 0))
    s.docs['host'].replaceDoc(docOf(para(locked('The keeper, Tom, climbed the stair.'))))
    view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, find(view.state.doc, 'Tom') + 1)))
    let answer!: (v: unknown) => void
    const invoke = s.api.invoke
    ;(s.api as { invoke: unknown }).invoke = (channel: string, payload: unknown) => {
      if (channel !== 'engine:alternatives') return invoke(channel as never, payload as never)
      calls.push({ channel: channel as 'engine:alternatives', payload })
      return new Promise((r) => (answer = r))
    }
    expect(s.otherWords.offer()).toBe(true)
    const asked = AlternativesRequest.parse(calls.find((c) => c.channel === 'engine:alternatives')!.payload)
    expect(asked.text.slice(asked.from, asked.to)).toBe('Tom')
    // The engine holds this very text and is told which document it is: the word's own range is left out for this request.
    const update = ManuscriptUpdate.parse(calls.filter((c) => c.channel === 'manuscript:update').at(-1)!.payload)
    expect(update.text).toBe(asked.text)
    expect(asked.experts).toEqual({ yourWords: 0.7, documentId: `unsaved:${s.store.get().documentId}` })
    answer({ requestId: asked.requestId, original: 'Tom', ms: 2, model: tinyModel, alternatives: [{ text: 'Mara', score: -0.4, origin: 'manuscript' }, { text: 'Ned', score: -1.2, origin: 'model' }] })
    await new Promise((r) => setTimeout(r, 0))
    expect(place.querySelector('[data-testid="cand-text"]')?.textContent).toBe('Mara')
    expect(place.querySelector('[data-testid="cand-text"]')?.getAttribute('data-origin')).toBe('manuscript')
    expect(s.fills.acceptCurrent()).toBe(true)
    expect(view.state.doc.textContent).toBe('The keeper, Mara, climbed the stair.')
    await s.fills.settleAll()
    const logged = DecisionInput.parse(calls.find((c) => c.channel === 'prefs:log')!.payload)
    expect(logged).toMatchObject({ action: 'accepted', spanOriginal: 'Tom', candidates: ['Mara'], finalText: 'Mara', chosenIndex: 0, requestId: asked.requestId })
    s.unmount()
  })

  it('no other words: the word is the writer’s again, unmasked', async () => {
    const { s, view } = session()
    s.docs['host'].replaceDoc(docOf(para(locked('The keeper slept.'))))
    view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, find(view.state.doc, 'slept') + 2)))
    const invoke = s.api.invoke
    ;(s.api as { invoke: unknown }).invoke = (channel: string, payload: unknown) =>
      channel === 'engine:alternatives' ? Promise.resolve({ requestId: (payload as { requestId: string }).requestId, original: 'slept', ms: 1, model: tinyModel, alternatives: [] }) : invoke(channel as never, payload as never)
    s.otherWords.offer()
    await new Promise((r) => setTimeout(r, 0))
    expect(view.state.doc.rangeHasMark(0, view.state.doc.content.size, view.state.schema.marks.masked)).toBe(false)
    expect(s.store.get().toasts.at(-1)?.text).toContain('No other words fit here')
    s.unmount()
  })
})
