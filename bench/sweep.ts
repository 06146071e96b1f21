/**
 * The sampling settings the benchmark compares. Every fill is greedy (temperature 0) with
 * one candidate, so a setting's accuracy depends only on which slots it reveals when.
 * `k` settings reveal k slots per step (steps = slots / k, LLaDA's schedule); threshold
 * settings reveal every slot at or above the threshold (Fast-dLLM), at least one.
 */
import { DEFAULT_SAMPLING, type SamplingSettings, type Strategy } from '../main/contract'

export interface SweepEntry {
  /** Short name in tables and the chart, e.g. "low_confidence k=1". */
  label: string
  strategy: Strategy
  /** Slots revealed per step (not for 'threshold'). */
  k?: number
  threshold?: number
}

const kEntry = (strategy: Strategy, k: number): SweepEntry => ({ label: `${strategy} k=${k}`, strategy, k })
const thresholdEntry = (threshold: number): SweepEntry => ({ label: `threshold ${threshold}`, strategy: 'threshold', threshold })

/** One token per step, the baseline threshold decoding is compared against. */
export const BASELINE = kEntry('low_confidence', 1)
/** Fast-dLLM's setting. */
export const FAST_DLLM = thresholdEntry(0.9)

/** Everything the full bench runs (the quick run uses QUICK_SWEEP). */
export const FULL_SWEEP: readonly SweepEntry[] = [
  BASELINE,
  kEntry('low_confidence', 2),
  kEntry('low_confidence', 4),
  kEntry('random', 4),
  kEntry('maskgit_plus', 4),
  kEntry('topk_margin', 4),
  kEntry('entropy', 4),
  FAST_DLLM,
  thresholdEntry(0.7),
  thresholdEntry(0.5),
]

export const QUICK_SWEEP: readonly SweepEntry[] = [BASELINE, kEntry('low_confidence', 4), kEntry('random', 4), kEntry('entropy', 4), FAST_DLLM]

/** Settings of `entry` for a fill of `slots` slots in total. */
export function sweepSettings(entry: SweepEntry, slots: number, seed: number): SamplingSettings {
  const steps = entry.k ? Math.max(1, Math.ceil(slots / entry.k)) : slots
  return {
    ...DEFAULT_SAMPLING,
    strategy: entry.strategy,
    steps,
    blockLength: 0,
    threshold: entry.threshold ?? DEFAULT_SAMPLING.threshold,
    temperature: 0,
    topP: 1,
    seed,
    candidates: 1,
  }
}
