/**
 * A model described in a writer's words, for the Models panel: how big it is, how fast it
 * fills on this computer (measured on the writer's own fills, never guessed), and what it is
 * good at. The eval figures stay available for those who want them, under "Figures".
 */
import type { InstalledModelEntry } from '../../../main/contract'
import { formatBytes } from '../../../main/models/progress-meter'
import { formatSeconds } from '../app/fill-estimate'

export interface ModelWords {
  size: string
  speed: string
  goodAt: string
}

/** Words of a fill the speed sentence speaks of, and the slots they take (about 1.3 tokens a word). */
export const SPEED_WORDS = 10
export const SPEED_SLOTS = 13

/**
 * `measured`: the planned steps of a fill of SPEED_WORDS words and the time per step measured
 * on this computer's recent fills with this model (null when it has not filled here yet).
 */
export function modelWords(m: Pick<InstalledModelEntry, 'name' | 'family' | 'origin' | 'sizeBytes' | 'active'>, measured: { steps: number; msPerStep: number } | null): ModelWords {
  const mb = m.sizeBytes / 1e6
  const size = `${mb < 100 ? 'Small' : mb < 1000 ? 'Medium-sized' : 'Large'} (${formatBytes(m.sizeBytes)} on disk)`
  const speed = measured
    ? `On this computer a fill of about ${SPEED_WORDS} words takes up to about ${formatSeconds(measured.steps * measured.msPerStep)}.`
    : m.active
      ? 'Its speed on this computer shows here after its first fill.'
      : 'Not used on this computer yet: its speed shows here once it has filled something.'
  return { size, speed, goodAt: goodAt(m) }
}

function goodAt(m: Pick<InstalledModelEntry, 'name' | 'family' | 'origin'>): string {
  if (/tuned/i.test(m.name)) return 'Tuned on your own decisions: it leans towards the kind of fill you kept.'
  // Family as listed: 'mdlm', or 'mlm (bert)' for an Optimum export (the architecture in brackets).
  switch (m.family.split(/\s/)[0]) {
    case 'mdlm':
      return m.origin === 'embedded'
        ? "Infill's own small model, trained on public-domain books: quick, and finds a few words that fit the text on both sides, but loses the thread over a whole sentence."
        : 'A small diffusion model of the kind Infill trains: quick on short gaps of a few words.'
    case 'mlm':
      return 'A general English model (the BERT family), made to guess hidden words: good at a word or a short phrase that fits both sides; slower than Infill’s own on long gaps.'
    case 'llada':
    case 'dream':
      return 'A large diffusion language model: can write whole sentences that fit both sides, but wants a fast graphics card.'
    default:
      return `A ${m.family} model.`
  }
}
