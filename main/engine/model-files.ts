/**
 * Reading a model folder's small files (manifest.json, tokenizer.json, config.json,
 * tokenizer_config.json, infill-source.json) safely: every read opens the file without
 * blocking (O_NONBLOCK, so a named pipe or a device never stalls a thread), checks on the
 * open handle that it is a regular file and within its size limit, and only then reads and
 * parses it. A model folder can come from anywhere (a cloned repository, an unpacked
 * archive, a hostile Hub), so nothing in it is trusted to be what its name says.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs'
import { open } from 'node:fs/promises'
import { basename } from 'node:path'

const MiB = 1024 * 1024

/** Largest size of each model file read as JSON; a file over it is refused before it is read. */
export const MODEL_FILE_LIMITS: Readonly<Record<string, number>> = {
  'manifest.json': 1 * MiB,
  'config.json': 1 * MiB,
  'tokenizer_config.json': 4 * MiB,
  'special_tokens_map.json': 1 * MiB,
  'infill-source.json': 1 * MiB,
  // xlm-roberta's 250,000-entry tokenizer is 17 MB; see MAX_TOKENIZER_ENTRIES.
  'tokenizer.json': 32 * MiB,
}

/** Limit for a JSON file of a model folder not named above. */
export const DEFAULT_MODEL_FILE_LIMIT = 1 * MiB

/** Why a model file could not be read: `kind` lets a caller tell "absent" from "refused". */
export class ModelFileError extends Error {
  override name = 'ModelFileError'
  constructor(
    readonly path: string,
    readonly kind: 'missing' | 'not-regular' | 'too-large' | 'unreadable' | 'not-json',
    message: string,
  ) {
    super(message)
  }
}

/** The limit that applies to `path` (by its file name). */
export function limitFor(path: string): number {
  return MODEL_FILE_LIMITS[basename(path)] ?? DEFAULT_MODEL_FILE_LIMIT
}

const megabytes = (n: number): string => `${(n / MiB).toFixed(n < MiB ? 2 : 1)} MiB`

// O_NONBLOCK makes open() of a FIFO return at once instead of waiting for a writer; on a
// regular file it changes nothing. Windows has neither flag (and no FIFOs in the file system).
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder'
  if (stat.isFIFO()) return 'a named pipe'
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device'
  if (stat.isSocket()) return 'a socket'
  return 'not a regular file'
}

function check(path: string, stat: Stats, limit: number): void {
  if (!stat.isFile()) throw new ModelFileError(path, 'not-regular', `${basename(path)} is ${kindOf(stat)}, not a regular file; it was not read`)
  if (stat.size > limit)
    throw new ModelFileError(path, 'too-large', `${basename(path)} is ${megabytes(stat.size)}; a model's ${basename(path)} may be at most ${megabytes(limit)}, so it was not read`)
}

function openError(path: string, err: unknown): ModelFileError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new ModelFileError(path, 'missing', `${basename(path)} is missing`)
  return new ModelFileError(path, 'unreadable', `${basename(path)} cannot be read (${code ?? (err as Error).message})`)
}

/** Reads a model file as UTF-8 text after checking its type and size on the open handle. Throws ModelFileError. */
export async function readModelText(path: string, limit = limitFor(path)): Promise<string> {
  return (await readModelBytes(path, limit)).toString('utf8')
}

/** Reads a model file's bytes after checking its type and size on the open handle. Throws ModelFileError. */
export async function readModelBytes(path: string, limit = limitFor(path)): Promise<Buffer> {
  let handle
  try {
    handle = await open(path, OPEN_FLAGS)
  } catch (err) {
    throw openError(path, err)
  }
  try {
    const stat = await handle.stat()
    check(path, stat, limit)
    // Read at most limit + 1 bytes: a file that grew after the check is still refused.
    const buf = Buffer.alloc(stat.size + 1)
    let got = 0
    for (;;) {
      const { bytesRead } = await handle.read(buf, got, buf.length - got, got)
      if (bytesRead === 0) break
      got += bytesRead
      if (got > limit) throw new ModelFileError(path, 'too-large', `${basename(path)} grew past ${megabytes(limit)} while it was read`)
      if (got === buf.length) break
    }
    return buf.subarray(0, got)
  } finally {
    await handle.close()
  }
}

/** readModelText for synchronous callers (the tune CLI, lineage reads). */
export function readModelTextSync(path: string, limit = limitFor(path)): string {
  let fd: number
  try {
    fd = openSync(path, OPEN_FLAGS)
  } catch (err) {
    throw openError(path, err)
  }
  try {
    const stat = fstatSync(fd)
    check(path, stat, limit)
    const buf = Buffer.alloc(stat.size + 1)
    let got = 0
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, got)
      if (n === 0) break
      got += n
      if (got > limit) throw new ModelFileError(path, 'too-large', `${basename(path)} grew past ${megabytes(limit)} while it was read`)
      if (got === buf.length) break
    }
    return buf.subarray(0, got).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

function parse(path: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    // Only where, never what: the parser's message quotes the file's text.
    const at = /position (\d+)/.exec((e as Error).message)?.[1]
    throw new ModelFileError(path, 'not-json', `${basename(path)} is not valid JSON${at ? ` (at character ${at})` : ''}`)
  }
}

/** Reads and parses a model file's JSON (type and size checked first). Throws ModelFileError. */
export async function readModelJson(path: string, limit?: number): Promise<unknown> {
  return parse(path, await readModelText(path, limit))
}

/** readModelJson for synchronous callers. */
export function readModelJsonSync(path: string, limit?: number): unknown {
  return parse(path, readModelTextSync(path, limit))
}

/**
 * Most entries (vocabulary + merges + added tokens) a tokenizer.json may have: the tokenizer
 * library holds about 1.8 KB per entry (400,000 entries took 717 MB), and 1.6 million took
 * an engine to 4.4 GB and an out-of-memory abort. xlm-roberta's 250,002 fit.
 */
export const MAX_TOKENIZER_ENTRIES = 300_000

/** Counts a parsed tokenizer.json's entries; returns why it is refused, or null. */
export function tokenizerSizeProblem(json: unknown): string | null {
  const t = json as { model?: { vocab?: unknown; merges?: unknown }; added_tokens?: unknown }
  if (typeof t !== 'object' || t === null) return 'it is not a JSON object'
  const count = (v: unknown): number => (Array.isArray(v) ? v.length : typeof v === 'object' && v !== null ? Object.keys(v).length : 0)
  const vocab = count(t.model?.vocab)
  const merges = count(t.model?.merges)
  const added = count(t.added_tokens)
  const total = vocab + merges + added
  if (total > MAX_TOKENIZER_ENTRIES)
    return `it has ${total.toLocaleString('en-US')} entries (vocabulary ${vocab.toLocaleString('en-US')}, merges ${merges.toLocaleString('en-US')}, added tokens ${added.toLocaleString('en-US')}); Infill loads tokenizers of at most ${MAX_TOKENIZER_ENTRIES.toLocaleString('en-US')}`
  return null
}
