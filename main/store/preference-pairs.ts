/**
 * Pure derivation of preference data from one writer decision.
 *
 * A decision yields a judgement: the text the writer preferred (if any) and the texts
 * they did not. Paired formats take every (chosen, rejected) combination; the unpaired
 * (KTO) format labels each text on its own.
 *
 * | action          | chosen                          | rejected                                  |
 * |-----------------|---------------------------------|-------------------------------------------|
 * | accepted        | the accepted candidate          | every other candidate shown               |
 * | accepted_edited | the writer's final text         | the candidate they accepted and edited    |
 * | rejected_all    | the original text, if not empty | every candidate shown                     |
 * | regenerated     | none                            | every candidate shown in the discarded round |
 *
 * (`candidates` holds the candidates the writer was shown.) A rejected insertion point
 * (empty original) yields no pairs: the writer wanted none of the fills, but "nothing" is
 * not a text they chose; its candidates are labelled undesirable in the unpaired form.
 *
 * 'regenerated' yields no pairs: the writer discarded the round but kept neither the
 * original (they asked for something new) nor a candidate, so nothing is known to be better.
 * The round's candidates are still labelled undesirable in the unpaired form. The next
 * round's decision carries the writer's actual preference.
 *
 * Rejected texts are de-duplicated, and a rejected text equal to the chosen one is dropped
 * (a pair with chosen === rejected teaches nothing).
 */
import type { DecisionInput } from '../contract'

/** The fields of a decision that preference derivation reads. */
export type DecisionJudged = Pick<DecisionInput, 'action' | 'candidates' | 'chosenIndex' | 'finalText' | 'spanOriginal'> &
  Partial<Pick<DecisionInput, 'compare' | 'rounds' | 'candidateRounds'>>

/** What one decision says: the preferred text (null when none) and the texts not preferred. */
export interface PreferenceJudgement {
  chosen: string | null
  rejected: string[]
}

/** One preference: `chosen` was preferred over `rejected` in the same context. */
export interface PreferencePair {
  chosen: string
  rejected: string
}

/** One text labelled on its own (KTO): desirable or not. */
export interface LabelledCompletion {
  completion: string
  label: boolean
}

/**
 * Checks that a decision is consistent with its action; returns what is wrong and what to
 * send instead, or null when it is fine.
 */
export function decisionProblem(d: DecisionJudged): string | null {
  const accepting = d.action === 'accepted' || d.action === 'accepted_edited'
  if (accepting) {
    if (d.chosenIndex === null) {
      return `action "${d.action}" needs chosenIndex, the index of the accepted candidate (0 to ${d.candidates.length - 1})`
    }
    if (d.chosenIndex >= d.candidates.length) {
      return `chosenIndex ${d.chosenIndex} is out of range: there are ${d.candidates.length} candidates (0 to ${d.candidates.length - 1})`
    }
  } else if (d.chosenIndex !== null) {
    return `action "${d.action}" accepts no candidate, so chosenIndex must be null (got ${d.chosenIndex})`
  }
  return roundsProblem(d) ?? (d.compare ? compareProblem(d, d.compare) : null)
}

/** Checks each candidate's round: one per candidate, each one of `rounds`, the rounds numbered once each. */
function roundsProblem(d: DecisionJudged): string | null {
  if (!d.candidateRounds && !d.rounds) return null
  if (!d.candidateRounds || !d.rounds) return 'rounds and candidateRounds come together (each candidate\'s round among the rounds)'
  if (d.candidateRounds.length !== d.candidates.length) {
    return `candidateRounds names ${d.candidateRounds.length} rounds for ${d.candidates.length} candidates (one per candidate, in the same order)`
  }
  const numbers = new Set(d.rounds.map((r) => r.round))
  if (numbers.size !== d.rounds.length) return 'rounds numbers a round twice'
  const missing = d.candidateRounds.find((n) => !numbers.has(n))
  return missing === undefined ? null : `candidateRounds names round ${missing}, which is not among rounds`
}

/** Checks a comparison decision: one source per candidate, and `keptFrom` the source of the accepted one. */
function compareProblem(d: DecisionJudged, c: NonNullable<DecisionJudged['compare']>): string | null {
  if (c.sources.length !== d.candidates.length) {
    return `compare.sources names ${c.sources.length} models for ${d.candidates.length} candidates (one per candidate, in the same order)`
  }
  const kept = d.chosenIndex === null ? 'neither' : c.sources[d.chosenIndex]
  if (c.keptFrom !== kept) return `compare.keptFrom is "${c.keptFrom}" but must be "${kept}" (the model of the accepted candidate, or "neither" when none was accepted)`
  return null
}

/** The judgement a decision expresses (see the table in this module's comment). */
export function judgeDecision(d: DecisionJudged): PreferenceJudgement {
  const problem = decisionProblem(d)
  if (problem) throw new Error(`Cannot derive preferences: ${problem}.`)
  const index = d.chosenIndex ?? -1
  switch (d.action) {
    case 'accepted':
      return judgement(d.candidates[index], d.candidates.filter((_, i) => i !== index))
    case 'accepted_edited':
      return judgement(d.finalText, [d.candidates[index]])
    case 'rejected_all':
      return judgement(d.spanOriginal === '' ? null : d.spanOriginal, d.candidates)
    case 'regenerated':
      return judgement(null, d.candidates)
  }
}

/** Every (chosen, rejected) pair of a decision, in candidate order. */
export function derivePairs(d: DecisionJudged): PreferencePair[] {
  const { chosen, rejected } = judgeDecision(d)
  if (chosen === null) return []
  return rejected.map((r) => ({ chosen, rejected: r }))
}

/** Every text of a decision labelled on its own: the chosen one true, each rejected one false. */
export function deriveLabelled(d: DecisionJudged): LabelledCompletion[] {
  const { chosen, rejected } = judgeDecision(d)
  const labelled: LabelledCompletion[] = chosen === null ? [] : [{ completion: chosen, label: true }]
  return labelled.concat(rejected.map((completion) => ({ completion, label: false })))
}

function judgement(chosen: string | null, candidates: readonly string[]): PreferenceJudgement {
  const rejected = [...new Set(candidates)].filter((c) => c !== chosen)
  return { chosen, rejected }
}
