/**
 * The baselines' training text: the n-gram counts of a corpus file under a model's
 * tokenizer, and its most frequent word, cached in a git-ignored folder keyed by the
 * tokenizer's hash and the corpus's hash (counting 7M tokens takes a minute, reading the
 * cache a second).
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TextCodec } from '../text-codec'
import { countNgrams, readCounts, writeCounts, type NgramCounts } from './ngram-counts'
import { tokenizeTextFile } from './text-file'

/** Bumped when how a corpus is read or counted changes (old cache files are then ignored). */
const COUNTS_FORMAT = 1

export interface BaselineCorpus {
  counts: NgramCounts
  /** The corpus's most frequent whitespace-delimited word and its share of all words. */
  topWord: { word: string; share: number }
  corpusHash: string
  cachePath: string
  fromCache: boolean
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** Most frequent word of a word-count map and its share. */
function topOf(words: Map<string, number>): { word: string; share: number } {
  let word = ''
  let best = 0
  let total = 0
  for (const [w, c] of words) {
    total += c
    if (c > best) {
      best = c
      word = w
    }
  }
  return { word, share: total ? best / total : 0 }
}

/**
 * Counts of `corpusPath` under `codec` (whose tokenizer files hash to `tokenizerHash`),
 * from `cacheDir` when counted before. Throws with what to do when the corpus is missing.
 */
export async function loadBaselineCorpus(opts: {
  corpusPath: string
  codec: TextCodec
  vocab: number
  tokenizerHash: string
  cacheDir: string
  /** How to create the corpus when it is missing (said in the error). */
  missingHint?: string
  log?: (msg: string) => void
}): Promise<BaselineCorpus> {
  const st = await stat(opts.corpusPath).catch(() => null)
  if (!st?.isFile()) {
    throw new Error(`baseline corpus ${opts.corpusPath} not found. ${opts.missingHint ?? 'Pass --baseline-corpus FILE (the model\'s training text).'}`)
  }
  const corpusHash = await sha256File(opts.corpusPath)
  const key = `${opts.tokenizerHash.slice(0, 16)}-${corpusHash.slice(0, 16)}-v${COUNTS_FORMAT}`
  const cachePath = join(opts.cacheDir, `ngram-${key}.bin`)
  const cached = await readFile(cachePath).catch(() => null)
  if (cached) {
    try {
      const { counts, header } = readCounts(cached)
      const top = header.topWord as { word: string; share: number } | undefined
      if (counts.vocab === opts.vocab && header.corpusHash === corpusHash && top) {
        return { counts, topWord: top, corpusHash, cachePath, fromCache: true }
      }
    } catch {
      // an unreadable cache file is recounted and replaced below
    }
  }
  opts.log?.(`counting n-grams of ${opts.corpusPath} (${(st.size / 1e6).toFixed(1)} MB; cached afterwards in ${cachePath})`)
  const words = new Map<string, number>()
  const onLine = (line: string) => {
    for (const w of line.split(/\s+/)) if (w) words.set(w, (words.get(w) ?? 0) + 1)
  }
  const { tokens } = await tokenizeTextFile(opts.corpusPath, opts.codec, { onLine })
  const counts = countNgrams(tokens, opts.vocab)
  const topWord = topOf(words)
  await mkdir(opts.cacheDir, { recursive: true })
  const tmp = `${cachePath}.${process.pid}.tmp`
  await writeFile(tmp, writeCounts(counts, { corpusHash, tokenizerHash: opts.tokenizerHash, corpus: opts.corpusPath, topWord }))
  await rename(tmp, cachePath)
  return { counts, topWord, corpusHash, cachePath, fromCache: false }
}
