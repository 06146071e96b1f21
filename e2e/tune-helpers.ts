/** Shared set-up of the tuning specs (tune-flow, tune-compare). */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { preferenceDbPath } from '../main/services/user-data'
import { PreferenceStore } from '../main/store/preference-store'
import { sampleDecision } from '../main/store/test-fixtures/decisions'
import { startHost, type InfillHost } from './fixtures'

/** A user-data folder whose preference log already holds `n` decisions (the short candidate kept). */
export function userDataWithDecisions(n: number, prefix = 'infill-e2e-tune-'): string {
  const userData = join(mkdtempSync(join(tmpdir(), prefix)), 'user-data')
  mkdirSync(userData, { recursive: true })
  const store = PreferenceStore.open(preferenceDbPath(userData))
  const spans = [
    ['The lighthouse keeper ', 'lit the lamp', ' every night.'],
    ['She walked ', 'down to the harbour', ' and waited for the boats.'],
    ['In the morning ', 'the village woke', ' to the sound of bells.'],
  ]
  for (let i = 0; i < n; i++) {
    const [prefix, original, suffix] = spans[i % spans.length]
    store.log(sampleDecision({ requestId: `r${i}`, prefix, suffix, spanOriginal: original, candidates: ['a long and wordy fill of the span', 'it', 'the one'], chosenIndex: 1, finalText: 'it' }))
  }
  store.close()
  return userData
}

/** A browser-mode host over such a log whose model:tune runs are tiny (INFILL_TUNE_ARGS). */
export async function startTinyTuneHost(decisions: number, prefix?: string): Promise<InfillHost> {
  process.env.INFILL_TUNE_ARGS = '--epochs 1 --samples 2 --guard-windows 8 --heldout-share 0.34'
  try {
    return await startHost({ userData: userDataWithDecisions(decisions, prefix) })
  } finally {
    delete process.env.INFILL_TUNE_ARGS
  }
}
