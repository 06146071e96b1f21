/**
 * `npm run infill -- --model DIR --text "The [[cat]] sat[[+3]]."`
 *
 * Fills the marked spans with the engine (in process) and prints one JSON object: the
 * filled text (first candidate of each span), every span's fills, forward passes and
 * milliseconds. Text outside the spans is byte-identical to the input, except spaces just
 * before a span that its fill removes (a fill starting with "'s" joins the word before).
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { LengthTarget } from '../contract'
import { fillModelOf, runFill } from '../engine/fill'
import { loadModelDir } from '../engine/model-dir'
import { defaultModelDir } from '../engine/model-paths'
import { applyBorderedFills } from '../engine/span-borders'
import { parseSpanMarkup } from './span-markup'
import { SAMPLING_HELP, SAMPLING_OPTIONS, samplingFromArgs } from './sampling-options'

const HELP = `usage: npm run infill -- --text "TEXT" [options]

  --text TEXT           the text; [[...]] marks a span to regenerate, [[+N]] inserts N tokens
  --text-file FILE      read the text (with the same markup) from a UTF-8 file instead
  --model DIR           model directory (default: models/default)
  --empty-slots N       slots of an empty span without a count (default 8)
  --length L            length of every fill in words: shorter | same | longer | MIN-MAX;
                        every candidate is held to it (MIN 0: a fill may be empty)
${SAMPLING_HELP}
`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { ...SAMPLING_OPTIONS, text: { type: 'string' }, 'text-file': { type: 'string' }, model: { type: 'string' }, 'empty-slots': { type: 'string' }, length: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  if (values.text !== undefined && values['text-file'] !== undefined) throw new Error('give either --text or --text-file, not both')
  let input = values.text
  if (values['text-file'] !== undefined) {
    const path = values['text-file']
    input = await readFile(path, 'utf8').catch((e: Error) => {
      throw new Error(`--text-file ${path}: ${e.message}`)
    })
  }
  if (input === undefined) throw new Error('--text (or --text-file) is required (mark spans with [[...]] or [[+N]])')
  const settings = samplingFromArgs(values)
  const emptySpanSlots = values['empty-slots'] !== undefined ? Number(values['empty-slots']) : undefined
  if (emptySpanSlots !== undefined && !(Number.isInteger(emptySpanSlots) && emptySpanSlots >= 1))
    throw new Error(`--empty-slots must be a positive integer, got "${values['empty-slots']}"`)
  const length = values.length === undefined ? undefined : parseLength(values.length)
  const parsed = parseSpanMarkup(input)
  const text = parsed.text
  const spans = length === undefined ? parsed.spans : parsed.spans.map((s) => ({ ...s, length }))

  const model = await loadModelDir(values.model ?? defaultModelDir())
  try {
    const result = await runFill(fillModelOf(model), { requestId: 'cli', text, spans, locked: [], settings }, {}, { emptySpanSlots })
    const first = new Map(result.spans.map((s) => [s.spanId, { text: s.candidates[0].text, trimBefore: s.candidates[0].trimBefore ?? 0 }]))
    const out = {
      text: applyBorderedFills(text, spans, first),
      spans: result.spans.map((s) => ({
        id: s.spanId,
        original: s.original,
        slots: s.slots,
        fills: s.candidates.map((c) => c.text),
        confidence: s.candidates.map((c) => Number(c.confidence.toFixed(4))),
      })),
      forwardPasses: result.forwardPasses,
      ms: Math.round(result.ms),
      model: { name: result.model.name, provider: result.model.provider, hash: result.model.hash.slice(0, 16) },
      settings,
    }
    process.stdout.write(JSON.stringify(out) + '\n')
  } finally {
    await model.dispose()
  }
}

/** `shorter` | `same` | `longer` | `MIN-MAX` (words) as a LengthTarget; throws saying what is accepted. */
function parseLength(v: string): LengthTarget {
  const range = /^(\d+)-(\d+)$/.exec(v.trim())
  const parsed = LengthTarget.safeParse(range ? { minWords: Number(range[1]), maxWords: Number(range[2]) } : v.trim())
  if (!parsed.success) throw new Error(`--length must be shorter, same, longer or a word range MIN-MAX such as 3-8 (MIN 0-500, MAX 1-500, MIN <= MAX; MIN 0 lets a fill be empty), got "${v}"`)
  return parsed.data
}

main().catch((e: unknown) => {
  process.stderr.write(`infill: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
