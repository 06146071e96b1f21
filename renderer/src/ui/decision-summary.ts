/**
 * What a decision in the Training log's "Recent decisions" says, in the writer's words: the
 * text kept, the candidates turned down (not the writer's original, which a reject keeps),
 * what was asked for, and why a decision taken back no longer counts.
 */
import type { DecisionRecord, RequestKind } from '../../../main/contract'
import { judgeDecision } from '../../../main/store/preference-pairs'

export interface DecisionSummary {
  /** The text that stayed in the document: a candidate, the writer's edit, or their original. */
  kept: string | null
  /** Whose the kept text is. */
  keptFrom: 'candidate' | 'edit' | 'original' | null
  /** The candidates turned down (distinct). */
  turnedDown: string[]
  /** What was asked for ('' for a plain fill). */
  asked: string
  /** The round on show when decided, when there were several ("round 2 of 3"). */
  round: string
  /** Why it no longer counts, when taken back. */
  takenBack: { label: string; title: string } | null
}

const KIND_WORDS: Record<RequestKind, string> = {
  fill: '',
  rewrite: 'Rewrite',
  shorter: 'Shorter',
  same: 'Same length',
  longer: 'Longer',
  range: 'word range',
}

export function decisionSummary(d: DecisionRecord): DecisionSummary {
  const { chosen, rejected } = judgeDecision(d)
  const own = d.rounds?.find((r) => r.requestId === d.requestId && r.spanId === d.spanId)
  const length = own?.length
  const asked = d.kind === 'range' && length && typeof length !== 'string' ? (length.minWords === length.maxWords ? `${length.minWords} words` : `${length.minWords}–${length.maxWords} words`) : d.kind ? KIND_WORDS[d.kind] : ''
  const total = d.rounds ? Math.max(...d.rounds.map((r) => r.round)) : 1
  const kept =
    d.action === 'accepted' ? { kept: chosen, keptFrom: 'candidate' as const }
    : d.action === 'accepted_edited' ? { kept: d.finalText, keptFrom: 'edit' as const }
    : d.action === 'rejected_all' ? { kept: d.spanOriginal, keptFrom: 'original' as const }
    : { kept: null, keptFrom: null }
  const takenBack = !d.retractedAt
    ? null
    : d.retractedWhy === 'picked-earlier-round'
      ? { label: 'picked from an earlier round', title: 'You went on to accept a candidate of this round, so it was not turned down after all: it no longer counts and is left out of exports' }
      : { label: 'undone', title: 'You undid this decision: it no longer counts and is left out of exports' }
  return { ...kept, turnedDown: rejected, asked, round: own && total > 1 ? `round ${own.round} of ${total}` : '', takenBack }
}
