/**
 * How long the next fill will take, before it starts: the time per step measured on the
 * last fills of the same model (host-side ms / forward passes), times the steps the
 * reverse process plans for the masked spans. Pure; the view feeds it fill results.
 */
import type { FillResult, SamplingSettings } from '../../../main/contract'
import { plannedSteps } from '../../../main/engine/reverse-process'

interface StepSample {
  modelHash: string
  candidates: number
  msPerStep: number
}

/** Where the samples are kept between sessions (the renderer passes localStorage). */
export interface SampleStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

const STORE_KEY = 'infill.stepTimes.v1'

/** Per-step times measured on recent fills, newest last; kept in `store` so the next start can estimate at once. */
export class StepTimes {
  private samples: StepSample[] = []

  constructor(
    private readonly keep = 8,
    private readonly store: SampleStore | null = null,
  ) {
    try {
      const saved: unknown = JSON.parse(store?.getItem(STORE_KEY) ?? '[]')
      if (Array.isArray(saved))
        this.samples = saved
          .filter((x): x is StepSample => typeof x?.modelHash === 'string' && Number.isInteger(x?.candidates) && Number.isFinite(x?.msPerStep) && x.msPerStep > 0)
          .slice(-keep)
    } catch {
      this.samples = [] // unreadable: start afresh; the next fill measures again
    }
  }

  /** Records a finished fill (fills without a forward pass say nothing about speed). */
  record(result: Pick<FillResult, 'ms' | 'forwardPasses' | 'model' | 'settings'>): void {
    if (result.forwardPasses <= 0) return
    this.samples.push({ modelHash: result.model.hash, candidates: result.settings.candidates, msPerStep: result.ms / result.forwardPasses })
    if (this.samples.length > this.keep) this.samples.shift()
    try {
      this.store?.setItem(STORE_KEY, JSON.stringify(this.samples))
    } catch {
      // storage full or denied: the estimate still works for this session
    }
  }

  /**
   * Median ms per step of this model's recent fills with the same number of candidates
   * (they share the batch size), else of any of its fills; null before the first fill.
   */
  msPerStep(modelHash: string, candidates: number): number | null {
    const mine = this.samples.filter((s) => s.modelHash === modelHash)
    const same = mine.filter((s) => s.candidates === candidates)
    const pool = (same.length > 0 ? same : mine).map((s) => s.msPerStep).sort((a, b) => a - b)
    if (pool.length === 0) return null
    const mid = pool.length >> 1
    return pool.length % 2 ? pool[mid] : (pool[mid - 1] + pool[mid]) / 2
  }
}

/** Steps the reverse process plans for spans of these slot budgets filled together. */
export function plannedFillSteps(slotBudgets: readonly number[], settings: SamplingSettings): number {
  const slots = slotBudgets.reduce((n, s) => n + s, 0)
  return plannedSteps(slots, settings)
}

export interface FillEstimate {
  steps: number
  msPerStep: number | null
  /** null while the speed of this model has not been measured yet. */
  ms: number | null
}

export function estimateFill(steps: number, msPerStep: number | null): FillEstimate {
  return { steps, msPerStep, ms: msPerStep === null ? null : steps * msPerStep }
}

/** "0.4 s", "12 s", "2 min 5 s". */
export function formatSeconds(ms: number): string {
  const s = ms / 1000
  if (s < 10) return `${s.toFixed(1)} s`
  if (s < 60) return `${Math.round(s)} s`
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
}
