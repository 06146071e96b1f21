/**
 * Rounds of candidates: every fill of a span while it is on offer (Ctrl+Enter again, ↻,
 * Rewrite, Shorter / Longer) adds a round, and earlier rounds stay reachable until the span
 * is decided. Pure helpers: how a round is labelled in the writer's words, and which
 * candidates count as shown to the writer (what a decision logs).
 */
import type { LengthTarget, RequestKind, SamplingSettings, SpanCandidate } from '../../../main/contract'

/** One round of candidates of a span: what one fill request offered for it. */
export interface SpanRound {
  /** The request that produced it, and the span's id in that request. */
  requestId: string
  spanId: string
  /** What produced it, in the writer's words ("Shorter · Safe"); the UI puts "Round n · " before it. */
  label: string
  candidates: SpanCandidate[]
  /** Indexes of the candidates shown on the bar (cycled to or picked), in the order first shown. */
  seen: number[]
  /** When the round's candidates were first shown (ISO). */
  shownAt: string
  /** What the writer asked for (`requestKind`), the length if any, and the request's settings (its seed among them). */
  kind: RequestKind
  length?: LengthTarget
  settings: SamplingSettings
}

/** What a round's request asked for, from the span's length target and whether it was a Rewrite. */
export function requestKind(length: LengthTarget | null | undefined, rewrite: boolean): RequestKind {
  if (length == null) return rewrite ? 'rewrite' : 'fill'
  return typeof length === 'string' ? length : 'range'
}

/** Where a candidate is among a span's rounds. */
export interface RoundPick {
  round: number
  index: number
}

/** The Safe ↔ Wild setting (temperature) in the words of the settings' slider. */
export function wildWords(temperature: number): string {
  if (temperature <= 0) return 'Safe'
  if (temperature < 0.4) return 'Fairly safe'
  if (temperature <= 0.9) return 'Between safe and wild'
  if (temperature <= 1.2) return 'Fairly wild'
  return 'Wild'
}

/** A length target as a round's label says it ('' when the span had none). */
export function lengthWords(target: LengthTarget | null | undefined): string {
  if (target == null) return ''
  if (typeof target !== 'string') return target.minWords === target.maxWords ? `${target.minWords} words` : `${target.minWords}–${target.maxWords} words`
  return target === 'shorter' ? 'Shorter' : target === 'longer' ? 'Longer' : 'Same length'
}

/** What produced a round: its length target (if any) and the Safe ↔ Wild setting. */
export function roundLabel(length: LengthTarget | null | undefined, temperature: number): string {
  return [lengthWords(length), wildWords(temperature)].filter(Boolean).join(' · ')
}

/** The heading of round `n` (0-based) as the candidate list shows it: "Round 2 · Shorter · Safe". */
export function roundHeading(round: Pick<SpanRound, 'label'>, n: number): string {
  return `Round ${n + 1}${round.label ? ` · ${round.label}` : ''}`
}

/** Marks candidate `index` of round `round` as shown (first showing appended to the round's `seen`). */
export function markSeen(rounds: readonly SpanRound[], round: number, index: number): SpanRound[] {
  return rounds.map((r, i) => (i !== round || r.seen.includes(index) ? r : { ...r, seen: [...r.seen, index] }))
}

/**
 * The candidates a decision logs as shown: every round's candidates the writer was shown on
 * the bar (cycled to with ‹ › / Alt-[ Alt-], or picked from the ☰ list), oldest round first,
 * each round's in the order first shown — and where `pick` is among them (`chosenIndex`).
 * Opening the ☰ list alone does not count as showing a candidate; picking one does. A pick
 * not yet marked seen is added to its round's. `candidateRounds[i]` is the round (from 1) of
 * `candidates[i]`.
 */
export function shownCandidates(
  rounds: readonly Pick<SpanRound, 'candidates' | 'seen'>[],
  pick: RoundPick | null,
): { candidates: string[]; chosenIndex: number | null; candidateRounds: number[] } {
  const candidates: string[] = []
  const candidateRounds: number[] = []
  let chosenIndex: number | null = null
  rounds.forEach((r, ri) => {
    const seen = r.seen.filter((i) => i < r.candidates.length)
    if (pick && pick.round === ri && pick.index < r.candidates.length && !seen.includes(pick.index)) seen.push(pick.index)
    for (const i of seen) {
      if (pick && pick.round === ri && pick.index === i) chosenIndex = candidates.length
      candidates.push(r.candidates[i].text)
      candidateRounds.push(ri + 1)
    }
  })
  return { candidates, chosenIndex, candidateRounds }
}
