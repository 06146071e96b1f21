/**
 * Unigram, bigram and trigram counts of a token stream, and their binary file form (the
 * eval caches them, so a 7M-token corpus is counted once per tokenizer and corpus).
 *
 * Pairs and triples are packed into integers (`a·V + b`, `(a·V + b)·V + c`), sorted and
 * run-length counted in typed arrays: counting 7M tokens is a few sorts, not millions of
 * Map insertions.
 */
import { gunzip, gzipSync } from 'node:zlib'

export interface NgramCounts {
  vocab: number
  /** Tokens counted. */
  tokens: number
  /** Count of each id, length `vocab`. */
  unigram: Float64Array
  /** Distinct packed bigrams, ascending, and how often each occurs. */
  bigramKeys: Float64Array
  bigramCounts: Int32Array
  /** Distinct packed trigrams, ascending, and how often each occurs. */
  trigramKeys: Float64Array
  trigramCounts: Int32Array
}

/** Largest vocabulary whose packed triples stay exact in a double (V³ < 2^53). */
export const MAX_NGRAM_VOCAB = 208_063

export function assertPackable(vocab: number): void {
  if (!Number.isInteger(vocab) || vocab < 1 || vocab > MAX_NGRAM_VOCAB) {
    throw new Error(`n-gram baseline: vocabulary of ${vocab} ids cannot be packed (at most ${MAX_NGRAM_VOCAB})`)
  }
}

/** Sorts `keys` in place and returns the distinct keys with their counts. */
function runLengths(keys: Float64Array): { keys: Float64Array; counts: Int32Array } {
  keys.sort()
  let distinct = 0
  for (let i = 0; i < keys.length; i++) if (i === 0 || keys[i] !== keys[i - 1]) distinct++
  const outKeys = new Float64Array(distinct)
  const counts = new Int32Array(distinct)
  let j = -1
  for (let i = 0; i < keys.length; i++) {
    if (i === 0 || keys[i] !== keys[i - 1]) outKeys[++j] = keys[i]
    counts[j]++
  }
  return { keys: outKeys, counts }
}

/** Counts every unigram, bigram and trigram of one continuous stream of ids in [0, vocab). */
export function countNgrams(stream: ArrayLike<number>, vocab: number): NgramCounts {
  assertPackable(vocab)
  const n = stream.length
  const unigram = new Float64Array(vocab)
  for (let i = 0; i < n; i++) {
    const t = stream[i]
    if (!(t >= 0 && t < vocab && Number.isInteger(t))) throw new Error(`n-gram counts: id ${t} at ${i} is outside the vocabulary of ${vocab}`)
    unigram[t]++
  }
  const bi = new Float64Array(Math.max(0, n - 1))
  for (let i = 0; i + 1 < n; i++) bi[i] = stream[i] * vocab + stream[i + 1]
  const bigrams = runLengths(bi)
  const tri = new Float64Array(Math.max(0, n - 2))
  for (let i = 0; i + 2 < n; i++) tri[i] = (stream[i] * vocab + stream[i + 1]) * vocab + stream[i + 2]
  const trigrams = runLengths(tri)
  return {
    vocab,
    tokens: n,
    unigram,
    bigramKeys: bigrams.keys,
    bigramCounts: bigrams.counts,
    trigramKeys: trigrams.keys,
    trigramCounts: trigrams.counts,
  }
}

const MAGIC = 'INFNGRM1'

/** Padding that brings `n` bytes to a multiple of 8. */
const pad8 = (n: number) => (8 - (n % 8)) % 8

/** The counts and a JSON-able header as one buffer (see `readCounts`). */
export function writeCounts(counts: NgramCounts, header: Record<string, unknown>): Buffer {
  const json = Buffer.from(JSON.stringify({ ...header, vocab: counts.vocab, tokens: counts.tokens, bigrams: counts.bigramKeys.length, trigrams: counts.trigramKeys.length }), 'utf8')
  const head = Buffer.alloc(12)
  head.write(MAGIC, 0, 'latin1')
  head.writeUInt32LE(json.length, 8)
  const parts: Buffer[] = [head, json, Buffer.alloc(pad8(12 + json.length))]
  const section = (a: Float64Array | Int32Array) => {
    parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength))
    parts.push(Buffer.alloc(pad8(a.byteLength)))
  }
  section(counts.unigram)
  section(counts.bigramKeys)
  section(counts.bigramCounts)
  section(counts.trigramKeys)
  section(counts.trigramCounts)
  return Buffer.concat(parts)
}

/** Reads what `writeCounts` wrote; throws on a truncated or foreign file. */
export function readCounts(buf: Buffer): { counts: NgramCounts; header: Record<string, unknown> } {
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error('not an n-gram counts file')
  const jsonLength = buf.readUInt32LE(8)
  const header = JSON.parse(buf.toString('utf8', 12, 12 + jsonLength)) as Record<string, unknown>
  const vocab = Number(header.vocab)
  const bigrams = Number(header.bigrams)
  const trigrams = Number(header.trigrams)
  let offset = 12 + jsonLength + pad8(12 + jsonLength)
  const take = <T extends Float64Array | Int32Array>(Ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T => {
    const bytes = n * Ctor.BYTES_PER_ELEMENT
    if (offset + bytes > buf.length) throw new Error('n-gram counts file is truncated')
    const copy = new ArrayBuffer(bytes)
    new Uint8Array(copy).set(buf.subarray(offset, offset + bytes))
    offset += bytes + pad8(bytes)
    return new Ctor(copy)
  }
  const counts: NgramCounts = {
    vocab,
    tokens: Number(header.tokens),
    unigram: take(Float64Array, vocab),
    bigramKeys: take(Float64Array, bigrams),
    bigramCounts: take(Int32Array, bigrams),
    trigramKeys: take(Float64Array, trigrams),
    trigramCounts: take(Int32Array, trigrams),
  }
  return { counts, header }
}

/** Whether `buf` starts with gzip's magic bytes (1f 8b). */
export const isGzip = (buf: Uint8Array): boolean => buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b

/** `writeCounts`, gzip-compressed (a counts file whose name ends in .gz; `readCountsFile` takes both). */
export function writeCountsGzip(counts: NgramCounts, header: Record<string, unknown>): Buffer {
  return gzipSync(writeCounts(counts, header), { level: 9 })
}

/**
 * Reads a counts file's bytes, plain (`writeCounts`) or gzip-compressed (`writeCountsGzip`,
 * detected by its magic bytes). Decompression stops at `maxBytes` of output, so a hostile
 * file cannot blow memory; a corrupt, truncated or oversized one throws naming `name`.
 */
export async function readCountsFile(buf: Buffer, name: string, maxBytes: number): Promise<{ counts: NgramCounts; header: Record<string, unknown> }> {
  let plain = buf
  if (isGzip(buf)) {
    try {
      plain = await new Promise<Buffer>((resolve, reject) => gunzip(buf, { maxOutputLength: maxBytes }, (err, out) => (err ? reject(err) : resolve(out))))
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      const why = e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError ? `decompresses to more than ${Math.round(maxBytes / 2 ** 20)} MiB` : `is not a valid gzip file (${e.message})`
      throw new Error(`${name}: the counts file ${why}`)
    }
  }
  try {
    return readCounts(plain)
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`)
  }
}
