import { describe, expect, it } from 'vitest'
import { redo, undo } from 'prosemirror-history'
import type { EditorState } from 'prosemirror-state'
import { DEFAULT_SAMPLING, type FillResult, type SpanCandidate } from '../../../main/contract'
import { absorbedSpaces, borderSpaces, loggedCandidate, replacesBorderWithSpan } from './border-spaces'
import { acceptTransaction, decisionContext, rejectTransaction, settleAccepted } from './decisions'
import { getFillState, setFillAction, type LiveSpan } from './fill-state'
import { transactionTouchesLocked } from './lock-guard'
import { setOrigin } from './origin'
import { plainText } from './plain-text'
import { buildFillRequest } from './spans'
import { docOf, find, locked, masked, para, stateOf, type Run } from './test-helpers'

type Cand = Pick<SpanCandidate, 'text' | 'trimBefore'>

/** A state with every masked span of `runs` on offer, span i with candidates cands[i]. */
function offered(runs: Run[][], cands: Cand[][]): EditorState {
  let state = stateOf(docOf(...runs.map((r) => para(...r))))
  const built = buildFillRequest(state.doc, 'r1', { ...DEFAULT_SAMPLING, candidates: cands[0].length })!
  state = state.apply(setFillAction(state.tr, { type: 'start', request: built.request, spans: built.spans }))
  const result: FillResult = {
    requestId: 'r1',
    spans: built.spans.map(({ id, span }, i) => ({
      spanId: id,
      original: span.original,
      slots: 2,
      candidates: cands[i].map((c) => ({ text: c.text, tokenIds: [1], confidence: 0.8, ...(c.trimBefore ? { trimBefore: c.trimBefore } : {}) })),
    })),
    forwardPasses: 2,
    ms: 1,
    model: { name: 'tiny', family: 'mdlm', dir: '/m', maxLength: 64, vocabSize: 100, hash: 'abc', provider: 'cpu' },
    settings: { ...DEFAULT_SAMPLING, candidates: cands[0].length },
  }
  return state.apply(setFillAction(state.tr, { type: 'done', result, at: 'now' }))
}

const spans = (s: EditorState): LiveSpan[] => getFillState(s).spans.filter((x) => x.status === 'ready')
const text = (s: EditorState) => plainText(s.doc).text

/** Accepts candidate `index` of the span on offer whose original is `original`; fails if the guard refuses it. */
function accept(state: EditorState, original: string, index = 0): EditorState {
  const span = spans(state).find((s) => s.original === original)!
  const fill = getFillState(state).fills[span.requestId]
  const next = state.apply(acceptTransaction(state, span, fill, index)!)
  expect(next.doc.eq(state.doc), 'the lock guard refused the accept').toBe(false)
  return next
}

describe('the border of a span: the spaces just before it that belong to no other span', () => {
  it('counts unmasked plain spaces before the span in its paragraph, not past its start or into another span', () => {
    const doc = docOf(para(locked('The man  '), masked('is'), locked(' '), masked('quite'), locked(' so'), masked(' odd')), para(masked('Next')))
    expect(borderSpaces(doc, find(doc, 'is'))).toBe(2)
    expect(borderSpaces(doc, find(doc, 'quite'))).toBe(1) // the space between two spans is the second one's
    expect(borderSpaces(doc, find(doc, 'odd'))).toBe(0) // the space before is masked: the span's own
    expect(borderSpaces(doc, find(doc, 'Next'))).toBe(0) // a paragraph start
  })

  it('a candidate never removes more than the border has; the log takes in the most any candidate removes', () => {
    const mid = { before: 1, lead: 8, after: 1 }
    expect(absorbedSpaces([{ text: 'x', trimBefore: 3 }, { text: 'y' }], mid)).toEqual({ before: 1, after: 0 })
    expect(absorbedSpaces([{ text: 'y' }, { text: 'z', trimBefore: 0 }], { ...mid, before: 2 })).toEqual({ before: 0, after: 0 })
    expect(loggedCandidate({ text: 'was' }, mid, { before: 1, after: 0 })).toBe(' was')
    expect(loggedCandidate({ text: "'s", trimBefore: 1 }, mid, { before: 1, after: 0 })).toBe("'s")
    expect(loggedCandidate({ text: 'was' }, mid, { before: 0, after: 0 })).toBe('was')
    // At a paragraph's start an empty candidate takes the spaces after its span.
    const start = { before: 0, lead: 0, after: 1 }
    expect(absorbedSpaces([{ text: '' }, { text: 'Then' }], start)).toEqual({ before: 0, after: 1 })
    expect(loggedCandidate({ text: 'Then' }, start, { before: 0, after: 1 })).toBe('Then ')
    expect(loggedCandidate({ text: '' }, start, { before: 0, after: 1 })).toBe('')
  })
})

describe('the lock guard and the border', () => {
  const doc = docOf(para(locked('The man '), masked('is'), locked(' a cat.')))
  const from = find(doc, 'is')

  it('lets a model step replace the border spaces together with the span', () => {
    expect(replacesBorderWithSpan(doc, from - 1, from + 2)).toBe(true)
    const s = stateOf(doc)
    const tr = setOrigin(s.tr.insertText("'s", from - 1, from + 2), 'model')
    expect(transactionTouchesLocked(tr)).toBe(false)
    expect(text(s.apply(tr))).toBe("The man's a cat.")
  })

  it('refuses every other locked change: the word before, the spaces alone, the space after the span', () => {
    const s = stateOf(doc)
    expect(replacesBorderWithSpan(doc, from - 4, from + 2)).toBe(false)
    expect(replacesBorderWithSpan(doc, from - 1, from)).toBe(false)
    expect(replacesBorderWithSpan(doc, from, from + 3)).toBe(false)
    for (const [a, b] of [
      [from - 4, from + 2],
      [from - 1, from],
      [from, from + 3],
    ]) {
      const tr = setOrigin(s.tr.delete(a, b), 'model')
      expect(transactionTouchesLocked(tr)).toBe(true)
      expect(s.apply(tr).doc.eq(doc)).toBe(true)
    }
  })
})

describe('accepting a fill: spaces at the border follow it', () => {
  const man = () => [[locked('The man '), masked('is'), locked(' a cat.')]]

  it('"The man [is]" filled with "\'s" reads "The man\'s"', () => {
    const s = accept(offered(man(), [[{ text: "'s", trimBefore: 1 }, { text: 'was' }]]), 'is')
    expect(text(s)).toBe("The man's a cat.")
  })

  it('a fill with its own space keeps exactly the one space before the span', () => {
    const s = accept(offered(man(), [[{ text: "'s", trimBefore: 1 }, { text: 'was' }]]), 'is', 1)
    expect(text(s)).toBe('The man was a cat.')
  })

  it('a span at a line start gets no leading space', () => {
    const s = accept(offered([[locked('First line.')], [masked('Second'), locked(' line here.')]], [[{ text: 'Third', trimBefore: 1 }]]), 'Second')
    expect(text(s)).toBe('First line.\n\nThird line here.')
  })

  it('two adjacent spans never make a double space, whichever is accepted first', () => {
    const runs = [[locked('The '), masked('big'), locked(' '), masked('black'), locked(' cat.')]]
    const cands = [[{ text: '', trimBefore: 1 }], [{ text: 'brown' }]]
    expect(text(accept(accept(offered(runs, cands), 'big'), 'black'))).toBe('The brown cat.')
    expect(text(accept(accept(offered(runs, cands), 'black'), 'big'))).toBe('The brown cat.')
    const joined = [[{ text: 'old' }], [{ text: "'s", trimBefore: 1 }]]
    expect(text(accept(accept(offered(runs, joined), 'big'), 'black'))).toBe("The old's cat.")
  })

  it('an empty fill at a paragraph start leaves no space starting it; undo puts it back', () => {
    const start = offered([[locked('First.')], [masked('Slowly'), locked(' it ended.')]], [[{ text: '' }, { text: 'Then' }]])
    let s = accept(start, 'Slowly')
    expect(text(s)).toBe('First.\n\nit ended.')
    const d = getFillState(s).decisions.at(-1)!
    expect(d.context).toMatchObject({ prefix: 'First.\n\n', spanOriginal: 'Slowly ', candidates: [''] })
    expect(d.context.prefix + d.text + d.context.suffix).toBe(text(s))
    undo(s, (tr) => (s = s.apply(tr)))
    expect(s.doc.eq(start.doc)).toBe(true)
    expect(text(accept(start, 'Slowly', 1))).toBe('First.\n\nThen it ended.')
  })

  it('an empty fill leaves no double space', () => {
    const s = accept(offered([[locked('The big '), masked('black'), locked(' cat.')]], [[{ text: '', trimBefore: 1 }]]), 'black')
    expect(text(s)).toBe('The big cat.')
  })

  it('a candidate that starts with a line break never joins the word before, whatever it claims', () => {
    const s = accept(offered([[locked('The night was '), masked('long'), locked('.')]], [[{ text: '\ngrey', trimBefore: 1 }]]), 'long')
    expect(text(s)).toBe('The night was grey.')
  })

  it('never removes a space the border does not have (the writer deleted it while the fill ran)', () => {
    const s = accept(offered([[locked('The man'), masked('is'), locked(' here.')]], [[{ text: "'s", trimBefore: 1 }]]), 'is')
    expect(text(s)).toBe("The man's here.")
  })

  it('undo restores the exact spaces and the span on offer; redo takes the accept again', () => {
    const start = offered([[locked('The man  '), masked('is'), locked(' a cat.')]], [[{ text: "'s", trimBefore: 2 }]])
    let s = accept(start, 'is')
    expect(text(s)).toBe("The man's a cat.")
    undo(s, (tr) => (s = s.apply(tr)))
    expect(s.doc.eq(start.doc)).toBe(true)
    const back = spans(s)[0]
    expect(s.doc.textBetween(back.from, back.to)).toBe('is')
    redo(s, (tr) => (s = s.apply(tr)))
    expect(text(s)).toBe("The man's a cat.")
    expect(spans(s)).toHaveLength(0)
  })
})

describe('the logged decision agrees with the document', () => {
  const cands = [[{ text: "'s", trimBefore: 1 }, { text: 'was' }]]
  const runs = [[locked('The man '), masked('is'), locked(' a cat.')]]

  it('takes the border in: prefix + candidate + suffix is the document each candidate gives', () => {
    let s = offered(runs, cands)
    s = s.apply(setFillAction(s.tr, { type: 'cycle', key: spans(s)[0].key, delta: 1 }))
    const span = spans(s)[0]
    const ctx = decisionContext(s.doc, span, getFillState(s).fills.r1, span.from, span.to, 1)
    expect(ctx.prefix).toBe('The man')
    expect(ctx.spanOriginal).toBe(' is')
    expect(ctx.candidates).toEqual(["'s", ' was'])
    for (const [i, c] of ctx.candidates.entries()) expect(ctx.prefix + c + ctx.suffix).toBe(text(accept(s, 'is', i)))
    expect(ctx.prefix + ctx.spanOriginal + ctx.suffix).toBe(text(s))
  })

  it('accepted, accepted and edited, and rejected entries hold the same invariant', () => {
    const s = offered(runs, cands)
    for (const index of [0, 1]) {
      const a = accept(s, 'is', index)
      const d = getFillState(a).decisions.at(-1)!
      const settled = settleAccepted(a, d)
      expect(settled.action).toBe('accepted')
      expect(settled.context.prefix + settled.finalText + settled.context.suffix).toBe(text(a))
      // The writer deletes the accepted text's last letter: still prefix + final + suffix = document.
      const edited = a.apply(a.tr.delete(d.to - 1, d.to))
      const e = settleAccepted(edited, { ...getFillState(edited).decisions.at(-1)!, edited: true })
      expect(e.action).toBe('accepted_edited')
      expect(e.context.prefix + e.finalText + e.context.suffix).toBe(text(edited))
    }
    const span = spans(s)[0]
    const rejected = s.apply(rejectTransaction(s, span, getFillState(s).fills.r1))
    const ctx = getFillState(rejected).decisions.at(-1)!.context
    expect(ctx.prefix + ctx.spanOriginal + ctx.suffix).toBe(text(rejected))
  })

  it('logs exactly as before when no candidate removes a space', () => {
    const s = offered(runs, [[{ text: 'was' }, { text: 'is not' }]])
    const span = spans(s)[0]
    const ctx = decisionContext(s.doc, span, getFillState(s).fills.r1, span.from, span.to, 0)
    expect(ctx.prefix).toBe('The man ')
    expect(ctx.spanOriginal).toBe('is')
    expect(ctx.candidates).toEqual(['was'])
  })
})
