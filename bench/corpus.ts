/**
 * The validation text the benchmark tasks are drawn from: where it is, how it is cut into
 * documents, and each document's tokens with the character range of every token (so a
 * task can mask whole words by character offsets, as a writer would).
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Validation texts, best first: the training pipeline's split, then the smoke run's. */
export const VALIDATION_CANDIDATES = ['models/train/work/valid.txt', 'models/smoke/work/valid.txt'] as const

/** How to get a validation file when none is there (printed by the bench). */
export const VALIDATION_HELP =
  'no validation text found (looked for ' +
  VALIDATION_CANDIDATES.join(', ') +
  '). Run `npm run model:train -- --smoke` (writes models/smoke/work/valid.txt in a few minutes) or the full `npm run model:train` ' +
  '(models/train/work/valid.txt), or pass any plain-text file with --valid FILE.'

/** The first validation text that exists under `root`, or null. */
export function findValidationText(root: string): string | null {
  for (const c of VALIDATION_CANDIDATES) {
    const p = join(root, c)
    if (existsSync(p)) return p
  }
  return null
}

/** A document's tokens: ids[i] covers text.slice(starts[i], ends[i]). */
export interface TokenizedDoc {
  text: string
  ids: number[]
  starts: number[]
  ends: number[]
}

/** What tokenizing needs: ids of a text, and each id's surface piece. */
export interface PieceTokenizer {
  encode(text: string): number[]
  piece(id: number): string | undefined
}

/** Documents of a validation file: separated by one or more empty lines, trimmed. */
export function splitDocuments(text: string): string[] {
  return text
    .split(/\n[ \t]*\n+/)
    .map((d) => d.trim())
    .filter((d) => d.length > 0)
}

/** Surface text of a SentencePiece/Metaspace piece ('▁' stands for a space). */
export function pieceText(piece: string): string {
  return piece.replace(/\u2581/g, ' ')
}

/**
 * Tokens of `text` with character offsets, found by matching each token's piece against
 * the text. Stops at the first token whose piece does not match (an unknown character);
 * the aligned prefix is returned.
 */
export function tokenizeWithOffsets(tok: PieceTokenizer, text: string): TokenizedDoc {
  const all = tok.encode(text)
  const ids: number[] = []
  const starts: number[] = []
  const ends: number[] = []
  let pos = 0
  for (const id of all) {
    const piece = tok.piece(id)
    if (piece === undefined) break
    const surface = pieceText(piece)
    if (surface.length === 0 || !text.startsWith(surface, pos)) break
    ids.push(id)
    starts.push(pos)
    ends.push(pos + surface.length)
    pos += surface.length
  }
  return { text: text.slice(0, pos), ids, starts, ends }
}

/** `count` indices spread evenly over [0, n) (all of them when n <= count). */
export function evenlySpaced(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i)
  return Array.from({ length: count }, (_, i) => Math.floor((i * n) / count))
}

/**
 * Reads the validation file and tokenizes up to `maxDocs` documents spread over it,
 * keeping those with at least `minTokens` aligned tokens.
 */
export async function loadValidationDocs(path: string, tok: PieceTokenizer, maxDocs: number, minTokens: number): Promise<TokenizedDoc[]> {
  const docs = splitDocuments(await readFile(path, 'utf8'))
  const picked = evenlySpaced(docs.length, maxDocs).map((i) => tokenizeWithOffsets(tok, docs[i]))
  return picked.filter((d) => d.ids.length >= minTokens)
}
