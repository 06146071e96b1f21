/**
 * The writer's decisions on a fill: the transactions that carry them out (accept, edit,
 * reject) and the DecisionInput each one is logged as. Every decision is recorded from the
 * span's own state at the moment it is decided:
 *
 * - accepted: chosen = the candidate as shown (inserted verbatim), rejected = the other
 *   candidates the writer was shown;
 * - accepted_edited: chosen = the writer's final text within the accepted text's mapped
 *   range, rejected = the candidate they accepted;
 * - rejected_all: chosen = the original text (when there was one), rejected = every candidate shown;
 * - regenerated: no chosen; the candidates shown are turned down.
 *
 * "Shown" spans every round of the span (rounds.ts, `shownCandidates`): `candidates` holds
 * each round's candidates the writer was shown on the bar (cycled to, or picked from the ☰
 * list), oldest round first, and `chosenIndex` points into that list — so a candidate picked
 * from an earlier round is logged with everything the writer saw, later rounds included. The
 * entry's request / span id, model, sampling, kind and "shown at" are those of the round on
 * show (the chosen candidate's round); `rounds` and `candidateRounds` name each candidate's
 * own round (request, what was asked, seed and settings, when shown), which every exported
 * line carries for its texts.
 *
 * `prefix` and `suffix` are the document's plain text around the span at decision time, so
 * prefix + chosen + suffix is the document then (within a window of about half a model).
 * Candidates are normalised once, when shown (`normalizeCandidate`): no line breaks inside a
 * paragraph, no doubled space at the span's edges, no space at a paragraph's edge — what is
 * shown is what is inserted, saved and logged.
 *
 * When an accept is logged: not at once, because the writer may go on to edit the accepted
 * text ('accepted_edited'). An edit counts as final, and the decision is logged, when the
 * caret leaves the accepted text, or at the next save, regenerate, document switch, close
 * or opening of the training-log panel (see `settleAccepted`). An undo of the accept before
 * then logs nothing; an undo after it retracts the logged decision.
 */
import type { Node as PMNode } from 'prosemirror-model'
import { closeHistory } from 'prosemirror-history'
import { TextSelection, type EditorState, type Transaction } from 'prosemirror-state'
import { DEFAULT_SAMPLING, type DecisionAction, type DecisionInput, type DecisionRound, type FillResult, type SpanCandidate } from '../../../main/contract'
import { absorbBorder, candidateTake, loggedCandidate, spanAbsorbed } from './border-spaces'
import { setOrigin } from './origin'
import { plainText, posToChar } from './plain-text'
import { schema } from './schema'
import { setFillAction, type Decision, type DecisionContext, type LiveFill, type LiveSpan } from './fill-state'
import { shownCandidates, type SpanRound } from './rounds'
import { comparisonShown, decisionModel } from './compare-candidates'

/** Characters of context on each side of a span that a decision keeps (about half a model window). */
export function contextChars(result: FillResult | null): number {
  const maxLength = result?.model.maxLength ?? 512
  return Math.max(64, Math.floor(maxLength / 2) * 4)
}

/** The characters just outside [from, to] in its textblock: null at the block's edge. */
export function spanNeighbours(doc: PMNode, from: number, to: number): { before: string | null; after: string | null } {
  const $from = doc.resolve(from)
  const $to = doc.resolve(to)
  const before = $from.parentOffset > 0 ? $from.parent.textBetween($from.parentOffset - 1, $from.parentOffset, '\n', '\u0000') : null
  const after = $to.parentOffset < $to.parent.content.size ? $to.parent.textBetween($to.parentOffset, $to.parentOffset + 1, '\n', '\u0000') : null
  return { before: before || null, after: after || null }
}

/**
 * A candidate as the editor shows and inserts it inside a paragraph: every run of
 * whitespace holding a line break becomes one space (a span never crosses paragraphs, so a
 * fill holds no hard break), and at each edge whitespace goes when the neighbour is
 * already whitespace or the paragraph's edge (no doubled space, no space a Markdown file
 * would drop).
 */
export function normalizeCandidate(text: string, before: string | null, after: string | null): string {
  let t = text.replace(/[ \t]*[\r\n][\s]*/g, ' ')
  if (before === null || /\s/.test(before)) t = t.replace(/^\s+/, '')
  if (after === null || /\s/.test(after)) t = t.replace(/\s+$/, '')
  return t
}

/** The candidates of a span, normalised for the place they are shown in. */
export function normalizeCandidates(doc: PMNode, from: number, to: number, candidates: readonly SpanCandidate[]): SpanCandidate[] {
  const { before, after } = spanNeighbours(doc, from, to)
  return candidates.map((c) => {
    const text = normalizeCandidate(c.text, before, after)
    // One that starts with a space or line break brings its own separation: it never joins the word before (border-spaces.ts).
    const trimBefore = /^\s/.test(c.text) ? 0 : (c.trimBefore ?? 0)
    return text === c.text && trimBefore === (c.trimBefore ?? 0) ? c : { ...c, text, trimBefore }
  })
}

/**
 * prefix / suffix: the document's plain text on either side of [from, to], `w` characters at
 * most, cut where a sentence starts (prefix) or ends (suffix) when one lies within the
 * window's outer half, else at a word's edge — never inside a word ("The fishe").
 */
export function contextAround(doc: PMNode, from: number, to: number, w: number): { prefix: string; suffix: string } {
  const pt = plainText(doc)
  const a = posToChar(pt, from)
  const b = Math.max(a, posToChar(pt, to))
  return { prefix: cutPrefix(pt.text, a, w), suffix: cutSuffix(pt.text, b, w) }
}

/** A sentence's end: . ! ? … (and closing quotes or brackets after it), then a space; or a paragraph break. */
const SENTENCE_END = /[.!?…]['"’”)\]]*\s+|\n+/g

/** The text before `at`, at most `w` characters, starting at a sentence's (else a word's) start. */
export function cutPrefix(text: string, at: number, w: number): string {
  const start = at - w
  if (start <= 0) return text.slice(0, at)
  const window = text.slice(start, at)
  // A sentence starting within the outer half of the window (the half furthest from the span).
  SENTENCE_END.lastIndex = 0
  for (let m = SENTENCE_END.exec(window); m; m = SENTENCE_END.exec(window)) {
    const next = m.index + m[0].length
    if (next > window.length / 2) break
    return window.slice(next)
  }
  // Else after the first whitespace (the window's first word may be cut; nothing when the window is one word).
  if (/\s/.test(text[start - 1]) || /^\s/.test(window)) return window.replace(/^\s+/, '')
  const space = window.search(/\s/)
  return space < 0 ? '' : window.slice(space).replace(/^\s+/, '')
}

/** The text from `at` on, at most `w` characters, ending at a sentence's (else a word's) end. */
export function cutSuffix(text: string, at: number, w: number): string {
  const end = at + w
  if (end >= text.length) return text.slice(at)
  const window = text.slice(at, end)
  // The last sentence end within the outer half of the window.
  let cut = -1
  SENTENCE_END.lastIndex = 0
  for (let m = SENTENCE_END.exec(window); m; m = SENTENCE_END.exec(window)) {
    const stop = m.index + m[0].replace(/\s+$/, '').length
    if (stop >= window.length / 2 && m.index + m[0].length <= window.length) cut = stop
  }
  if (cut > 0) return window.slice(0, cut)
  // Else before the last whitespace (the window's last word may be cut).
  if (/\s/.test(text[end])) return window.replace(/\s+$/, '')
  const m = /\s\S*$/.exec(window)
  return m ? window.slice(0, m.index).replace(/\s+$/, '') : ''
}

/** A span's rounds (a span built without any, as in some tests, counts its candidates as one round). */
export function roundsOf(span: LiveSpan, fill?: LiveFill): SpanRound[] {
  if (span.rounds.length) return span.rounds
  const settings = fill?.result?.settings ?? fill?.request.settings ?? DEFAULT_SAMPLING
  return [{ requestId: span.requestId, spanId: span.spanId, label: '', candidates: span.candidates ?? [], seen: span.seen, shownAt: fill?.shownAt ?? '', kind: 'fill', settings }]
}

/** The rounds a decision's candidates came from (numbered from 1 as the bar counts them), those in `numbers` only. */
export function decisionRounds(rounds: readonly SpanRound[], numbers: readonly number[], fallbackShownAt: string): DecisionRound[] {
  return [...new Set(numbers)]
    .sort((a, b) => a - b)
    .map((n) => {
      const r = rounds[n - 1]
      return {
        round: n,
        requestId: r.requestId,
        spanId: r.spanId,
        kind: r.kind,
        ...(r.length != null ? { length: r.length } : {}),
        sampling: r.settings,
        shownAt: r.shownAt || fallbackShownAt,
      }
    })
}

/**
 * The candidates the writer has been shown of `span`, every round's (`shownCandidates`), and
 * where candidate `index` of the round on show is among them.
 */
export function seenCandidates(span: LiveSpan, index: number | null): { candidates: string[]; chosenIndex: number | null; candidateRounds: number[] } {
  const round = span.rounds.length ? span.round : 0
  return shownCandidates(roundsOf(span), index === null ? null : { round, index })
}

/**
 * The context of a decision on `span` taken now, the span lying at [from, to] of `doc`
 * (before the decision; its text around the span is the same after it): prefix and suffix
 * from `doc`, the candidates shown. When candidates remove spaces before the span, the entry
 * takes those spaces in (border-spaces.ts): the prefix ends before them, and the original and
 * each candidate start with the spaces they leave.
 */
export function decisionContext(doc: PMNode, span: LiveSpan, fill: LiveFill, from: number, to: number, chosenIndex: number | null): DecisionContext {
  const { borders, absorbed } = spanAbsorbed(doc, { ...span, from, to })
  const { prefix, suffix } = contextAround(doc, from - absorbed.before, to + absorbed.after, contextChars(fill.result))
  span = absorbBorder(span, borders, absorbed)
  // Comparison mode (compare-candidates.ts): every candidate of a comparison round was on screen; each has its model.
  const rounds = roundsOf(span, fill)
  const onShow = span.rounds.length ? span.round : 0
  const compared = comparisonShown(rounds, chosenIndex === null ? null : { round: onShow, index: chosenIndex })
  // Each candidate's round (from 1): in a comparison every candidate of every round was on screen.
  const { candidates, chosenIndex: chosen, candidateRounds } = compared
    ? { ...compared, candidateRounds: rounds.flatMap((r, ri) => r.candidates.map(() => ri + 1)) }
    : seenCandidates(span, chosenIndex)
  // Logged under the round on show's request (its model, sampling and time shown, from `fill`).
  const shown = rounds[onShow]
  const shownAt = shown?.shownAt || fill.shownAt || new Date().toISOString()
  return {
    requestId: shown?.requestId ?? span.requestId,
    spanId: shown?.spanId ?? span.spanId,
    prefix,
    suffix,
    spanOriginal: span.original,
    candidates,
    chosenIndex: chosen,
    shownAt,
    kind: shown?.kind ?? 'fill',
    // The rounds the candidates came from, and the round on show's (the entry's own request) always.
    rounds: decisionRounds(rounds, [...candidateRounds, onShow + 1], shownAt),
    candidateRounds,
    ...(compared ? { compare: compared.compare } : {}),
  }
}

/** A DecisionInput ready for 'prefs:log'. */
export function decisionInput(
  ctx: DecisionContext,
  result: FillResult,
  documentId: string,
  action: DecisionAction,
  finalText: string,
  decidedAt: string = new Date().toISOString(),
): DecisionInput {
  return {
    documentId,
    requestId: ctx.requestId,
    spanId: ctx.spanId,
    prefix: ctx.prefix,
    suffix: ctx.suffix,
    spanOriginal: ctx.spanOriginal,
    candidates: ctx.candidates.length ? ctx.candidates : [''],
    action,
    chosenIndex: action === 'accepted' || action === 'accepted_edited' ? ctx.chosenIndex : null,
    finalText,
    // In a comparison, the model whose candidate was kept.
    model: decisionModel(ctx.compare, result.model),
    sampling: result.settings,
    shownAt: ctx.shownAt,
    decidedAt,
    kind: ctx.kind,
    rounds: ctx.rounds,
    // An empty list is logged as one '' candidate (below): of the round on show.
    candidateRounds: ctx.candidates.length ? ctx.candidateRounds : [ctx.rounds.find((r) => r.requestId === ctx.requestId)?.round ?? ctx.rounds[0].round],
    ...(ctx.compare ? { compare: ctx.compare } : {}),
  }
}

let decisionCounter = 0
function decisionId(key: string): string {
  return `${key}#${++decisionCounter}`
}

/** Marks the accepted text keeps from the original (formatting), without Infill's own. */
function carriedMarks(state: EditorState, span: LiveSpan) {
  const node = span.kind === 'text' ? state.doc.nodeAt(span.from) : null
  const own = new Set([schema.marks.masked, schema.marks.locked, schema.marks.generated])
  return (node?.marks ?? state.doc.resolve(span.from).marks()).filter((m) => !own.has(m.type))
}

/**
 * How an accept leaves the caret: 'accept' after the text; 'edit' (✎) with the text
 * selected, to be typed over; 'type' after the text with the writer already editing it
 * (typing inside a pending candidate: what follows joins the accepted text).
 */
export type AcceptMode = 'accept' | 'edit' | 'type'

/** The transaction accepting candidate `index` of `span` (null when there is no such candidate). */
export function acceptTransaction(state: EditorState, span: LiveSpan, fill: LiveFill, index: number, mode: AcceptMode | boolean = 'accept'): Transaction | null {
  const how: AcceptMode = mode === true ? 'edit' : mode === false ? 'accept' : mode
  const cand = span.candidates?.[index]
  if (!cand || !fill.result) return null
  // The spaces around the span this candidate removes, and those its log entry takes in (border-spaces.ts).
  const { borders, absorbed } = spanAbsorbed(state.doc, span)
  const take = candidateTake(cand, borders)
  const start = span.from - take.before
  const text = cand.text
  const tr = state.tr
  const generated = schema.marks.generated.create({
    // In a comparison, the model that wrote this candidate.
    model: cand.source?.name ?? fill.result.model.name,
    strategy: fill.result.settings.strategy,
    requestId: fill.requestId,
  })
  const before = state.doc.slice(span.from, span.to).content
  if (text.length > 0) tr.replaceWith(start, span.to + take.after, schema.text(text, [...carriedMarks(state, span), generated]))
  else tr.delete(start, span.to + take.after)
  const end = start + text.length
  if (how === 'edit') tr.setSelection(TextSelection.create(tr.doc, start, end))
  else tr.setSelection(TextSelection.create(tr.doc, end))
  const decision: Decision = {
    id: decisionId(span.key),
    key: span.key,
    kind: 'accept',
    // The accepted text with the border spaces it kept, when the entry takes them in.
    from: span.from - absorbed.before,
    to: end + absorbed.after - take.after,
    text: loggedCandidate(cand, borders, absorbed),
    edited: how === 'type',
    status: 'pending',
    context: decisionContext(state.doc, span, fill, span.from, span.to, index),
    span,
    before,
    after: tr.doc.slice(span.from - absorbed.before, end + absorbed.after - take.after).content,
  }
  setOrigin(tr, 'model')
  closeHistory(tr)
  return setFillAction(tr, { type: 'resolve', key: span.key, decision }).scrollIntoView()
}

/** The transaction rejecting every candidate of `span`: the original text returns. */
export function rejectTransaction(state: EditorState, span: LiveSpan, fill?: LiveFill): Transaction {
  const tr = state.tr
  const before = state.doc.slice(span.from, span.to).content
  if (span.kind === 'slot') {
    tr.delete(span.from, span.to)
  } else if (span.to > span.from) {
    tr.removeMark(span.from, span.to, schema.marks.masked)
    // The writer's own words come back as locked writer text; model text keeps its provenance.
    state.doc.nodesBetween(span.from, span.to, (node, pos) => {
      if (!node.isText) return true
      if (schema.marks.generated.isInSet(node.marks)) return false
      tr.addMark(Math.max(pos, span.from), Math.min(pos + node.nodeSize, span.to), schema.marks.locked.create())
      return false
    })
  }
  setOrigin(tr, 'command')
  closeHistory(tr)
  const to = span.kind === 'slot' ? span.from : span.to
  const decision: Decision | undefined =
    span.status === 'ready' && fill
      ? {
          id: decisionId(span.key),
          key: span.key,
          kind: 'reject',
          from: span.from,
          to,
          text: '',
          edited: false,
          status: 'logged',
          context: decisionContext(tr.doc, span, fill, span.from, to, null),
          span,
          before,
          after: tr.doc.slice(span.from, to).content,
        }
      : undefined
  return setFillAction(tr, { type: 'resolve', key: span.key, decision })
}

/** How an accept is logged now: its action, final text and context. */
export function settleAccepted(state: EditorState, d: Decision, result: FillResult | null = null): { action: DecisionAction; finalText: string; context: DecisionContext } {
  const finalText = state.doc.textBetween(d.from, d.to, '\n\n', '')
  if (d.edited && finalText !== d.text) {
    const { prefix, suffix } = contextAround(state.doc, d.from, d.to, contextChars(result))
    return { action: 'accepted_edited', finalText, context: { ...d.context, prefix, suffix } }
  }
  return { action: 'accepted', finalText: d.text, context: d.context }
}

/** Pending accepts the writer edited and has since left (their edit is final: log them). */
export function regionsLeft(state: EditorState, regions: readonly Decision[]): Decision[] {
  const { from, to } = state.selection
  return regions.filter((r) => r.status === 'pending' && (to < r.from || from > r.to))
}
