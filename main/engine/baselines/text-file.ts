/**
 * A plain-text file as the eval reads it: line by line, each line encoded with its newline
 * (`line + "\n"`), into one stream of ids, with the characters each token stands for (so
 * figures per character do not depend on the tokenizer).
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { TextCodec } from '../text-codec'

export interface FileTokens {
  tokens: number[]
  /** Characters of the text per token; each line's tokens add up to the line's length + 1. */
  chars: number[]
}

/**
 * Characters per token of one encoded line: the length of each token's text, the line's
 * remainder (normalisation, unknown characters) put on its last token.
 */
export function lineCharCounts(ids: readonly number[], lineLength: number, tokenText: (id: number) => string): number[] {
  const out = ids.map((id) => tokenText(id).length)
  if (out.length === 0) return out
  const sum = out.reduce((a, b) => a + b, 0)
  out[out.length - 1] = Math.max(0, out[out.length - 1] + lineLength - sum)
  return out
}

/** Reads `path` until `needed` tokens are read (all of it by default). `onLine` sees each line. */
export async function tokenizeTextFile(
  path: string,
  codec: TextCodec,
  opts: { needed?: number; onLine?: (line: string) => void } = {},
): Promise<FileTokens> {
  const needed = opts.needed ?? Infinity
  const tokens: number[] = []
  const chars: number[] = []
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })
  for await (const line of lines) {
    opts.onLine?.(line)
    const ids = codec.encode(line + '\n')
    const counts = lineCharCounts(ids, line.length + 1, (id) => codec.tokenText(id))
    for (let i = 0; i < ids.length; i++) {
      tokens.push(ids[i])
      chars.push(counts[i])
    }
    if (tokens.length >= needed) break
  }
  lines.close()
  return { tokens, chars }
}
