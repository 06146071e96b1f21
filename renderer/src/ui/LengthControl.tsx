/**
 * The toolbar's length control, in words. Caret in a masked span: Shorter / About the same /
 * Longer, or a range of words, for its next fill. A selection with no masks: Rewrite, Shorter
 * and Longer mask it and fill it in one gesture. Otherwise: the size of a new empty gap.
 */
import { useEffect, useState, type KeyboardEvent, type MouseEvent } from 'react'
import type { LengthTarget } from '../../../main/contract'
import type { Session } from '../app/session'
import { useStore } from '../app/store'
import { contextWords, describeLength, lengthKey, parseWordRange, tokensToWords, wordsToTokens } from '../editor/span-length'
import { MAX_SLOTS } from '../editor/schema'
import { MOD } from './Toolbar'

const keep = (e: MouseEvent) => e.preventDefault() // the editor keeps its selection

/** "The model sees about N words around a span", from the loaded model's window. */
export function useContextNote(session: Session): string {
  const maxLength = useStore(session.store, (x) => x.engine.model?.maxLength ?? null)
  return maxLength == null ? '' : `The model sees about ${contextWords(maxLength)} words around a span.`
}

export function LengthControl({ session }: { session: Session }) {
  const s = session.store
  const words = useStore(s, (x) => x.selection.spanWords ?? null)
  const length = useStore(s, (x) => x.selection.spanLength ?? null)
  const masked = useStore(s, (x) => x.selection.masked)
  const empty = useStore(s, (x) => x.selection.empty)
  const slotLength = useStore(s, (x) => x.slotLength)
  const note = useContextNote(session)

  if (words != null) return <SpanLength session={session} words={words} length={length} note={note} />
  if (!empty && !masked)
    return (
      <span className="span-length" data-testid="rewrite-tools" title={note}>
        <button className="tool" data-testid="btn-rewrite" onMouseDown={keep} onClick={() => session.rewrite(null)} title={`Mask the selection and fill it now (${MOD}Enter)`}>
          Rewrite
        </button>
        <button className="tool" data-testid="btn-rewrite-shorter" onMouseDown={keep} onClick={() => session.rewrite('shorter')} title="Rewrite it shorter">
          Shorter
        </button>
        <button className="tool" data-testid="btn-rewrite-longer" onMouseDown={keep} onClick={() => session.rewrite('longer')} title="Rewrite it longer">
          Longer
        </button>
      </span>
    )
  const gapWords = tokensToWords(slotLength)
  const setGap = (w: number) => s.set({ slotLength: Math.min(MAX_SLOTS, wordsToTokens(Math.max(1, w))) })
  return (
    <span className="span-length" data-testid="span-length" title={`Size of a new empty gap (${MOD}M at the cursor). ${note}`}>
      <button className="tool mini" data-testid="btn-gap-smaller" aria-label="Smaller gap" onMouseDown={keep} onClick={() => setGap(gapWords - 1)}>
        −
      </button>
      <span className="span-length-value" data-testid="span-length-value">
        new gap ≈{gapWords} words
      </span>
      <button className="tool mini" data-testid="btn-gap-larger" aria-label="Larger gap" onMouseDown={keep} onClick={() => setGap(gapWords + 1)}>
        +
      </button>
    </span>
  )
}

function SpanLength({ session, words, length, note }: { session: Session; words: number; length: LengthTarget | null; note: string }) {
  const range = length != null && typeof length !== 'string' ? length : null
  const [min, setMin] = useState(range ? String(range.minWords) : '')
  const [max, setMax] = useState(range ? String(range.maxWords) : '')
  const [problem, setProblem] = useState<string | null>(null)
  const key = lengthKey(length)
  useEffect(() => {
    setMin(range ? String(range.minWords) : '')
    setMax(range ? String(range.maxWords) : '')
    setProblem(null)
  }, [key, words])
  const choice = (target: 'shorter' | 'same' | 'longer', label: string, testid: string, title: string) => (
    <button
      title={title}
      className={`tool mini-text ${length === target ? 'on' : ''}`}
      data-testid={testid}
      aria-pressed={length === target}
      onMouseDown={keep}
      onClick={() => session.setLength(length === target ? null : target)}
    >
      {label}
    </button>
  )
  /** Enter applies the range and puts the caret back in the text. */
  const applyRange = (lo: string, hi: string, focusEditor: boolean) => {
    if (lo.trim() === '' && hi.trim() === '') {
      setProblem(null)
      if (range) session.setLength(null, focusEditor)
      return
    }
    const parsed = parseWordRange(lo, hi)
    if (typeof parsed === 'string') return setProblem(parsed)
    setProblem(null)
    if (lengthKey(parsed) !== key) session.setLength(parsed, focusEditor)
    else if (focusEditor) session.editorView()?.focus()
  }
  const onRangeKey = (e: KeyboardEvent) => {
    if (e.key !== 'Enter') return
    e.preventDefault() // the Enter is the range's, not a new line in the text
    applyRange(min, max, true)
  }
  return (
    <span
      className="span-length"
      data-testid="span-length"
      role="group"
      aria-label="Length in words"
      title={`Length of the next fill of this span, in words (now ${words}); every candidate is held to the range shown. Click a choice again to clear it; type a range and press Enter. ${note}`}
    >
      {choice('shorter', 'Shorter', 'btn-shorter', `Shorter than now (${words} words): every candidate has ${describeLength('shorter', words).replace(/ \(.*/, '')}`)}
      {choice('same', 'Same', 'len-same', `About the same length as now (${words} words): every candidate has ${describeLength('same', words).replace(/ \(.*/, '')}`)}
      {choice('longer', 'Longer', 'btn-longer', `Longer than now (${words} words): every candidate has ${describeLength('longer', words).replace(/ \(.*/, '')}`)}
      <WordsField testId="len-min" placeholder="min" label="Fewest words (0: the fill may be empty)" min={0} value={min} set={setMin} invalid={!!problem} onKeyDown={onRangeKey} />
      –
      <WordsField testId="len-max" placeholder="max" label="Most words" min={1} value={max} set={setMax} invalid={!!problem} onKeyDown={onRangeKey} />
      <span className="span-length-value" data-testid="span-length-value" role={problem ? 'alert' : undefined}>
        {problem ?? describeLength(length, words)}
      </span>
    </span>
  )
}

/** One end of a word range (up to 500 words; the fewest may be 0). */
function WordsField(p: { testId: string; placeholder: string; label: string; min: number; value: string; set: (v: string) => void; invalid: boolean; onKeyDown: (e: KeyboardEvent) => void }) {
  return (
    <input
      className={`len-words ${p.invalid ? 'invalid' : ''}`}
      data-testid={p.testId}
      type="number"
      min={p.min}
      max={500}
      placeholder={p.placeholder}
      aria-label={p.label}
      value={p.value}
      onChange={(e) => p.set(e.target.value)}
      onKeyDown={p.onKeyDown}
    />
  )
}
