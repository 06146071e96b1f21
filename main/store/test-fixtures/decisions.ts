/** Decisions for the store's tests and the crash-test child process. */
import { DEFAULT_SAMPLING, type DecisionInput } from '../../contract'

/** A valid 'accepted' decision (candidate 1 of 3); `overrides` replace any field. */
export function sampleDecision(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    documentId: 'doc-1',
    requestId: 'req-1',
    spanId: 'span-1',
    prefix: 'The lighthouse keeper ',
    suffix: ' every night.',
    spanOriginal: 'lit the lamp',
    candidates: ['climbed the stairs', 'trimmed the wick', 'watched the sea'],
    action: 'accepted',
    chosenIndex: 1,
    finalText: 'trimmed the wick',
    model: { name: 'infill-tiny', hash: 'ab12cd34ef56ab78' },
    sampling: { ...DEFAULT_SAMPLING, seed: 7 },
    shownAt: '2026-11-27T02:00:00.000Z',
    decidedAt: '2026-11-27T02:00:05.000Z',
    ...overrides,
  }
}
