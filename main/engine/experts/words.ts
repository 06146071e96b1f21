/**
 * Words as the unknown-word check reads them: runs of letters (apostrophes and hyphens inside
 * a word kept), lower-cased. A candidate holding a word found in neither the training text's
 * word list nor the manuscript is ranked last ("adable", "dontt").
 */

const WORD = /[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*/gu

/** Lower-cased words of a text. */
export function wordsOf(text: string): string[] {
  return (text.match(WORD) ?? []).map((w) => w.toLowerCase())
}

/** The first word of `text` that no list knows, or null. */
export function unknownWordIn(text: string, known: readonly ReadonlySet<string>[]): string | null {
  for (const w of wordsOf(text)) if (!known.some((set) => set.has(w))) return w
  return null
}
