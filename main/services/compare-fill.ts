/**
 * Comparison fills, pure part: the two results of one request (the same text, spans,
 * settings and seed, run by the base and by the tuned model) become one FillResult whose
 * spans carry both models' candidates, each tagged with its `source`, in a left / right
 * order drawn at random per span (so the writer cannot learn "the tuned one is always on the
 * left") and recorded in `compare.order`.
 */
import type { CompareOrder, CompareRole, ComparedModels, FillResult, SpanFill } from '../contract'

/** A fair coin: true puts the base model's column on the left. */
export type Coin = () => boolean

/** The default coin (Math.random is enough: the order only has to be unpredictable to the writer). */
export const randomCoin: Coin = () => Math.random() < 0.5

/**
 * Merges the loaded model's result (`main`, written by the model in role `mainRole`) with the
 * comparison engine's result for the same request. Spans the other model returned no fill for
 * keep the main model's candidates alone and get no order (they show as an ordinary fill).
 */
export function mergeComparison(main: FillResult, other: FillResult, mainRole: CompareRole, coin: Coin = randomCoin): FillResult {
  if (main.requestId !== other.requestId) throw new Error(`comparison results of different requests: ${main.requestId} and ${other.requestId}`)
  const ref = (r: FillResult) => ({ name: r.model.name, hash: r.model.hash })
  const models: ComparedModels = mainRole === 'base' ? { base: ref(main), tuned: ref(other) } : { base: ref(other), tuned: ref(main) }
  const otherSpans = new Map(other.spans.map((s) => [s.spanId, s]))
  const order: Record<string, CompareOrder> = {}
  const spans: SpanFill[] = main.spans.map((span) => {
    const theirs = otherSpans.get(span.spanId)
    const source = (role: CompareRole) => ({ role, ...models[role] })
    if (!theirs) return { ...span, candidates: span.candidates.map((c) => ({ ...c, source: source(mainRole) })) }
    const columns: CompareOrder = coin() ? ['base', 'tuned'] : ['tuned', 'base']
    order[span.spanId] = columns
    const of = (role: CompareRole) => (role === mainRole ? span : theirs).candidates.map((c) => ({ ...c, source: source(role) }))
    return { ...span, candidates: [...of(columns[0]), ...of(columns[1])] }
  })
  return {
    ...main,
    spans,
    forwardPasses: main.forwardPasses + other.forwardPasses,
    ms: Math.max(main.ms, other.ms),
    compare: { models, order },
  }
}

/** The role of the model a comparison pair leaves out of `role`. */
export function otherRole(role: CompareRole): CompareRole {
  return role === 'base' ? 'tuned' : 'base'
}
