/**
 * Sampling options shared by the infill and eval commands: the parseArgs option table
 * and their conversion into validated SamplingSettings.
 */
import { z } from 'zod'
import { DEFAULT_SAMPLING, SamplingSettings } from '../contract'

/** parseArgs options for sampling (all strings; converted by `samplingFromArgs`). */
export const SAMPLING_OPTIONS = {
  strategy: { type: 'string' },
  steps: { type: 'string' },
  threshold: { type: 'string' },
  temperature: { type: 'string' },
  seed: { type: 'string' },
  candidates: { type: 'string' },
  'block-length': { type: 'string' },
  'top-p': { type: 'string' },
  'top-k': { type: 'string' },
  'alg-temp': { type: 'string' },
} as const

export const SAMPLING_HELP = `  --strategy NAME       low_confidence | random | maskgit_plus | topk_margin | entropy | origin | threshold
  --steps N             reverse steps (ignored by threshold)
  --threshold X         confidence threshold for the threshold strategy (0..1)
  --temperature X       0 = greedy
  --top-p X             nucleus mass (0..1]
  --top-k N             sample among the N most likely tokens only (0 = off; Dream's top_k)
  --alg-temp X          Dream strategies: draw the slots to reveal from softmax(confidence / X) (0 = the top ones)
  --seed N              RNG seed (same seed, same fill)
  --candidates N        candidates per span (1..16)
  --block-length N      semi-autoregressive block length in slots (0 = one block)`

/** Turns option strings into SamplingSettings over `base`; throws naming the bad option. */
export function samplingFromArgs(values: Record<string, string | boolean | undefined>, base: SamplingSettings = DEFAULT_SAMPLING): SamplingSettings {
  const num = (name: string): number | undefined => {
    const v = values[name]
    if (v === undefined || typeof v === 'boolean') return undefined
    const n = Number(v)
    if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${v}"`)
    return n
  }
  const candidate = {
    ...base,
    ...(values.strategy !== undefined ? { strategy: values.strategy } : {}),
    ...defined({
      steps: num('steps'),
      threshold: num('threshold'),
      temperature: num('temperature'),
      seed: num('seed'),
      candidates: num('candidates'),
      blockLength: num('block-length'),
      topP: num('top-p'),
      topK: num('top-k'),
      algTemp: num('alg-temp'),
    }),
  }
  const parsed = SamplingSettings.safeParse(candidate)
  if (!parsed.success) throw new Error(`invalid sampling options:\n${z.prettifyError(parsed.error)}`)
  return parsed.data
}

function defined<T extends Record<string, number | undefined>>(o: T): Partial<Record<keyof T, number>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<Record<keyof T, number>>
}
