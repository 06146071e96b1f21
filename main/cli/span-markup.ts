/**
 * The command line's span markup: `[[text]]` marks text to regenerate (its content is the
 * original, which sets the slot budget), `[[+N]]` an insertion point of N slots.
 */
import type { SpanSpec } from '../contract'

export interface ParsedMarkup {
  /** The text with the markup removed (span contents kept). */
  text: string
  spans: SpanSpec[]
}

export class MarkupError extends Error {
  override name = 'MarkupError'
}

const INSERTION = /^\+(\d+)$/

/** Parses `[[...]]` / `[[+N]]` markup; spans get ids s1, s2, ... in order. */
export function parseSpanMarkup(input: string): ParsedMarkup {
  let text = ''
  const spans: SpanSpec[] = []
  let i = 0
  while (i < input.length) {
    const open = input.indexOf('[[', i)
    if (open < 0) {
      text += input.slice(i)
      break
    }
    const close = input.indexOf(']]', open + 2)
    const stray = input.indexOf(']]', i)
    if (stray >= 0 && stray < open) throw new MarkupError(`"]]" at character ${stray} closes no "[["; remove it or add the opening "[["`)
    if (close < 0) throw new MarkupError(`"[[" at character ${open} is never closed; add "]]" after the span`)
    const inner = input.slice(open + 2, close)
    if (inner.includes('[[')) throw new MarkupError(`spans cannot be nested (character ${open + 2 + inner.indexOf('[[')})`)
    text += input.slice(i, open)
    const id = `s${spans.length + 1}`
    const ins = INSERTION.exec(inner)
    if (ins) {
      const slots = Number(ins[1])
      if (slots < 1 || slots > 1024) throw new MarkupError(`insertion [[+${ins[1]}]] must ask for 1 to 1024 slots`)
      spans.push({ id, from: text.length, to: text.length, slots })
    } else {
      if (inner.length === 0) throw new MarkupError(`empty span "[[]]" at character ${open}; write [[+N]] to insert N tokens`)
      spans.push({ id, from: text.length, to: text.length + inner.length })
      text += inner
    }
    i = close + 2
  }
  if (spans.length === 0) throw new MarkupError('no span to fill: mark text with [[...]] or an insertion with [[+N]]')
  return { text, spans }
}
