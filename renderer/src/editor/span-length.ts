/**
 * A span's length in the writer's words: the length target a masked span carries (shorter /
 * about the same / longer than its text, or a range of words), how the UI says it, and the
 * commands that set it or mask a selection to rewrite it in one gesture.
 *
 * Words are runs of non-space characters, as the engine counts them (main/engine/length-target.ts).
 */
import type { Command, EditorState } from 'prosemirror-state'
import { TextSelection } from 'prosemirror-state'
import type { LengthTarget } from '../../../main/contract'
import { wordRange } from '../../../main/engine/length-target'
import { spanAtSelection, trimmedSelection } from './commands'
import { setOrigin } from './origin'
import { schema } from './schema'
import type { BlockSpan } from './spans'

/** Tokens a word takes on average in English prose (the default model's tokenizer: about 1.3). */
export const TOKENS_PER_WORD = 1.3

/** Words in a text (runs of non-space characters). */
export function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0
}

/** About how many words `tokens` tokens hold (at least 1). */
export function tokensToWords(tokens: number): number {
  return Math.max(1, Math.round(tokens / TOKENS_PER_WORD))
}

/** About how many tokens `words` words take (at least 1). */
export function wordsToTokens(words: number): number {
  return Math.max(1, Math.round(words * TOKENS_PER_WORD))
}

/**
 * How much text around a span the model sees, in words, from its window of `maxLength`
 * tokens: rounded to ten words above 50 so it reads as the estimate it is.
 */
export function contextWords(maxLength: number): number {
  const w = tokensToWords(maxLength)
  return w > 50 ? Math.round(w / 10) * 10 : w
}

/** A stable key of a target (equal targets, equal keys), for change checks. */
export function lengthKey(target: LengthTarget | null | undefined): string {
  if (target == null) return ''
  return typeof target === 'string' ? target : `${target.minWords}-${target.maxWords}`
}

/** The target a writer's range asks for (fewest 0: the fill may be empty), or a message saying what is wrong with it. */
export function parseWordRange(min: string, max: string): LengthTarget | string {
  const lo = Number(min)
  const hi = max.trim() === '' ? lo : Number(max)
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < 1) return 'Give the length as whole numbers of words: fewest 0 or more, most 1 or more.'
  if (lo > 500 || hi > 500) return 'A span can ask for at most 500 words.'
  if (hi < lo) return `The most words (${hi}) must not be below the fewest (${lo}).`
  return { minWords: lo, maxWords: hi }
}

/**
 * The target as the length control and tooltips say it: the range of words every candidate
 * is held to (the engine's own wordRange), and for Shorter / Same / Longer which it was.
 */
export function describeLength(target: LengthTarget | null | undefined, originalWords: number): string {
  if (target == null) return originalWords > 0 ? `about ${originalWords} word${originalWords === 1 ? '' : 's'}` : 'the gap’s size'
  const { minWords, maxWords } = wordRange(target, originalWords)
  const range = minWords === maxWords ? `${minWords} word${minWords === 1 ? '' : 's'}` : `${minWords}–${maxWords} words`
  if (typeof target !== 'string') return range
  return `${range} (${target === 'same' ? 'about the same' : target})`
}

/** The length target of the span at the selection (null: none set, or no span). */
export function spanLengthAtSelection(state: EditorState): { span: BlockSpan; words: number; length: LengthTarget | null } | null {
  const span = spanAtSelection(state)
  if (!span) return null
  return { span, words: countWords(span.original), length: span.length ?? null }
}

/** Sets (or clears, with null) the length target of the span at the selection. */
export function setSpanLength(target: LengthTarget | null): Command {
  return (state, dispatch) => {
    const span = spanAtSelection(state)
    if (!span) return false
    if (dispatch) {
      const tr = state.tr
      if (span.kind === 'slot') tr.setNodeMarkup(span.from, undefined, { slots: span.slots, length: target })
      else {
        tr.removeMark(span.from, span.to, schema.marks.masked)
        tr.addMark(span.from, span.to, schema.marks.masked.create({ slots: span.slots, length: target }))
      }
      dispatch(setOrigin(tr, 'command'))
    }
    return true
  }
}

/** Whether the selection holds text and no masked span (Rewrite masks it first). */
export function selectionUnmasked(state: EditorState): boolean {
  const range = trimmedSelection(state)
  if (!range) return false
  let masked = false
  state.doc.nodesBetween(range.from, range.to, (node) => {
    if (node.type === schema.nodes.mask_slot || (node.isText && schema.marks.masked.isInSet(node.marks))) masked = true
    return !masked
  })
  return !masked
}

/**
 * Rewrite in one gesture: masks the selection (trimmed of spaces, one textblock, no masks in
 * it yet) with `target`, and selects the new span so the fill that follows asks for it alone.
 */
export function maskForRewrite(target: LengthTarget | null): Command {
  return (state, dispatch) => {
    if (!selectionUnmasked(state)) return false
    const { from, to } = trimmedSelection(state)!
    const $from = state.doc.resolve(from)
    if (!$from.sameParent(state.doc.resolve(to)) || !$from.parent.isTextblock) return false
    if (dispatch) {
      const tr = state.tr
      tr.removeMark(from, to, schema.marks.locked)
      tr.addMark(from, to, schema.marks.masked.create({ slots: null, length: target }))
      tr.setSelection(TextSelection.create(tr.doc, from, to))
      dispatch(setOrigin(tr, 'command'))
    }
    return true
  }
}
