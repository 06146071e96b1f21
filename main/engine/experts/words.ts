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

/** Letters running straight into digits: a word piece glued to a number ("thousand25"), no English word. */
const GLUED_DIGITS = /[\p{L}\p{M}]{2,}\d[\p{L}\p{M}\d]*/u

/** The first word of `text` that no list knows (or a word glued to digits), or null. */
export function unknownWordIn(text: string, known: readonly ReadonlySet<string>[]): string | null {
  const glued = GLUED_DIGITS.exec(text)
  if (glued) return glued[0].toLowerCase()
  for (const w of wordsOf(text)) if (!known.some((set) => set.has(w))) return w
  return null
}

/**
 * English function words by kind (determiners, pronouns, prepositions, conjunctions,
 * auxiliaries and modals, adverbs of place, time and degree): Other words offers a word of
 * the original's kind, a content word for a content word. The blind sheet of session 5 rated
 * "and" for "the", "and" for "was" and "of" for "which" 0; a thesaurus would not offer them.
 * A word of several kinds ("that", "for", "as") is listed under each.
 */
const FUNCTION_KINDS: Record<string, string> = {
  determiner: 'a an the this that these those some any no every each either neither all both half such what which whose whatever whichever my your his her its our their thy',
  pronoun: 'i me mine myself you yours yourself yourselves he him his himself she her hers herself it itself we us ours ourselves they them theirs themselves one ones who whom whoever someone something anyone anything nobody nothing everyone everything thou thee thine ye this that these those which what',
  preposition: 'of in on at by for with without from to into onto upon over under above below between among through during before after since until till about against along around across behind beyond beside besides near off out up down toward towards within throughout unto like',
  conjunction: 'and or but nor so yet if then than because although though while whereas unless whether as lest that for before after since until till',
  auxiliary: 'be am is are was were been being have has had having do does did done doing shall will should would may might must can could ought',
  adverb: 'not never very too also just only even quite rather more most less least much many few several other another own same there here where when why how whence whither hence thus now then',
}

const KINDS_OF = new Map<string, Set<string>>()
for (const [kind, words] of Object.entries(FUNCTION_KINDS))
  for (const w of words.split(' ')) KINDS_OF.set(w, (KINDS_OF.get(w) ?? new Set<string>()).add(kind))

/** English function words (every kind). */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(KINDS_OF.keys())

/**
 * Whether `candidate` can stand for `original` in Other words: a function word of a kind the
 * original has, or a content word for a content word; and a lower-case original gets
 * lower-case alternatives (a name or an initial is no synonym of "nobles"; a capitalised
 * original, a name or a sentence's first word, takes either).
 */
export function sameKindOfWord(original: string, candidate: string): boolean {
  const o = original.trim()
  const c = candidate.trim()
  const ko = KINDS_OF.get(o.toLowerCase())
  const kc = KINDS_OF.get(c.toLowerCase())
  if (!ko !== !kc) return false
  if (ko && kc && ![...ko].some((k) => kc.has(k))) return false
  const lower = (w: string) => w === w.toLowerCase() && w !== w.toUpperCase()
  if (lower(o) && !lower(c)) return false
  return true
}
