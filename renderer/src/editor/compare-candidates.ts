/**
 * Comparison mode in the editor, pure part. A comparison fill's candidates carry their model
 * (`source`: base or tuned, name, hash) and come left column first, then right (the order
 * drawn per span by the host). Here: the two labelled columns of a round, and what a decision
 * on a span logs about the comparison — every candidate of a comparison round counts as shown
 * (both columns are on screen at once), which model wrote each, and whose was kept.
 */
import type { CompareOrder, CompareRole, ComparedModels, DecisionComparison, SpanCandidate } from '../../../main/contract'

/** One column of a comparison: its model and the indexes of its candidates in the round. */
export interface CompareColumn {
  role: CompareRole
  name: string
  /** What the column's heading says: "base: infill-default-mdlm". */
  label: string
  indexes: number[]
}

/** The two columns of a round whose candidates came from a comparison fill, left first; null for an ordinary round. */
export function comparisonColumns(candidates: readonly SpanCandidate[]): [CompareColumn, CompareColumn] | null {
  if (candidates.length === 0 || candidates.some((c) => !c.source)) return null
  const left = candidates[0].source!
  const right = candidates.find((c) => c.source!.role !== left.role)?.source
  if (!right) return null
  const column = (s: NonNullable<SpanCandidate['source']>): CompareColumn => ({
    role: s.role,
    name: s.name,
    label: `${s.role}: ${s.name}`,
    indexes: candidates.flatMap((c, i) => (c.source!.role === s.role ? [i] : [])),
  })
  return [column(left), column(right)]
}

/** A round as the decision sees it (in a comparison every candidate is on screen, so which were cycled to does not matter). */
export interface ShownRound {
  candidates: readonly SpanCandidate[]
}

/** Where the kept candidate is: round and index in it. */
export interface Pick {
  round: number
  index: number
}

/**
 * What a decision on a span whose rounds came from comparison fills logs: the candidates
 * shown (every candidate of each round, oldest round first, in column order), where the pick
 * is among them, and the comparison block. Null when any round is an ordinary one (the
 * decision is logged as usual, without comparison data).
 */
export function comparisonShown(
  rounds: readonly ShownRound[],
  pick: Pick | null,
): { candidates: string[]; chosenIndex: number | null; compare: DecisionComparison } | null {
  if (rounds.length === 0) return null
  const columns = rounds.map((r) => comparisonColumns(r.candidates))
  if (columns.some((c) => c === null)) return null
  const candidates: string[] = []
  const sources: CompareRole[] = []
  let chosenIndex: number | null = null
  const models: Partial<ComparedModels> = {}
  rounds.forEach((r, ri) => {
    r.candidates.forEach((c, i) => {
      if (pick && pick.round === ri && pick.index === i) chosenIndex = candidates.length
      candidates.push(c.text)
      sources.push(c.source!.role)
      models[c.source!.role] ??= { name: c.source!.name, hash: c.source!.hash }
    })
  })
  const keptRound = pick && pick.round < rounds.length ? pick.round : rounds.length - 1
  const [left, right] = columns[keptRound]!
  const order: CompareOrder = [left.role, right.role]
  const keptFrom = chosenIndex === null ? 'neither' : sources[chosenIndex]
  return { candidates, chosenIndex, compare: { models: models as ComparedModels, sources, keptFrom, order } }
}

/** The model a decision names: the kept candidate's in a comparison, else the fill's. */
export function decisionModel(compare: DecisionComparison | undefined, fillModel: { name: string; hash: string }): { name: string; hash: string } {
  if (!compare || compare.keptFrom === 'neither') return { name: fillModel.name, hash: fillModel.hash }
  return compare.models[compare.keptFrom]
}

/** The tally line of the Training log: "kept tuned 3, base 1, neither 2". */
export function tallyWords(t: { tuned: number; base: number; neither: number }): string {
  return `kept tuned ${t.tuned}, base ${t.base}, neither ${t.neither}`
}
