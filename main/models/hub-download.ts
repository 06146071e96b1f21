/**
 * Downloads a model from the Hugging Face Hub with the official client (@huggingface/hub)
 * into a staging folder beside its final place, and moves it into place only once every
 * file is complete and matches the Hub's checksum:
 *
 *   <dest>.partial/            staging (same disk as <dest>, so the final rename is atomic)
 *     download.json            which repo, commit and variant the parts belong to
 *     model.onnx.part          bytes so far; a later run resumes with an HTTP Range request
 *     tokenizer.json           complete and verified
 *   <dest>/                    appears in one rename, with infill-source.json inside
 *
 * Nothing half-written is ever at <dest>, so it can never become the active model.
 */
import { fileDownloadInfo, downloadFile, listFiles, modelInfo, HubApiError } from '@huggingface/hub'
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { lstat, mkdir, rename, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable, Transform } from 'node:stream'
import { z } from 'zod'
import { readModelJson, readModelJsonSync } from '../engine/model-files'
import { expectedChecksum, fileChecksum, type ExpectedChecksum } from './checksums'
import { ensureSpace, type StatFs } from './disk-space'
import { boundedFetch, checkListingLength, HubLimitError, listingFetch, MAX_INFO_BYTES } from './hub-limits'
import { repoIdProblem, revisionProblem } from './hub-names'
import { planFiles, sizeOf, type ModelVariant, type PlannedFile, type RepoFile } from './hub-files'
import { formatBytes, ProgressMeter, type ProgressFigures } from './progress-meter'


/** What a download is about, before any byte is fetched. */
export interface DownloadPlan {
  repoId: string
  /** The revision asked for (branch, tag or commit). */
  revision: string
  /** The commit it resolved to: every file is fetched at this commit. */
  commit: string
  variant: ModelVariant
  files: (PlannedFile & { checksum: ExpectedChecksum })[]
  totalBytes: number
}

export interface DownloadProgress extends ProgressFigures {
  /** The file being fetched now (its path in the repository). */
  file: string
  fileIndex: number
  fileCount: number
  phase: 'downloading' | 'verifying' | 'installing'
}

export interface DownloadOptions {
  repoId: string
  revision?: string
  variant: ModelVariant
  /** The model directory to create; must not exist yet. */
  dest: string
  hubUrl?: string
  signal?: AbortSignal
  onProgress?: (p: DownloadProgress) => void
  /** Injectable for tests: free-space query and fetch. */
  statfs?: StatFs
  fetch?: typeof fetch
  /** Clock for the progress meter (ms). */
  now?: () => number
}

export interface DownloadResult {
  dir: string
  plan: DownloadPlan
  /** Bytes fetched by this run (less than the total when it resumed). */
  bytesFetched: number
  resumedFrom: number
}

/** A download failure, in words a writer can act on. `kind` lets callers decide what to keep. */
export class DownloadError extends Error {
  override name = 'DownloadError'
  constructor(
    message: string,
    readonly kind: 'offline' | 'not-found' | 'layout' | 'no-space' | 'checksum' | 'interrupted' | 'cancelled' | 'exists' | 'hub',
  ) {
    super(message)
  }
}

/** infill-source.json: where an installed model came from. */
export const ModelSource = z.object({
  repoId: z.string(),
  revision: z.string(),
  commit: z.string(),
  variant: z.enum(['int8', 'fp16', 'fp32']),
  /** The Hub address when it was not the client's default (a mirror, the test fixture hub). */
  hubUrl: z.string().nullable(),
  downloadedAt: z.string(),
  files: z.array(z.object({ repoPath: z.string(), localPath: z.string(), size: z.number(), checksum: z.string() })),
})
export type ModelSource = z.infer<typeof ModelSource>
export const SOURCE_FILE = 'infill-source.json'

const StagingState = z.object({ repoId: z.string(), commit: z.string(), variant: z.string() })

/**
 * What an existing install folder holds, for a refusal that names the right repository:
 * " (it holds other/repo, int8)" when its infill-source.json names another download, "" otherwise.
 */
export function occupantNote(dir: string, repoId: string, variant: string): string {
  try {
    const source = ModelSource.safeParse(readModelJsonSync(join(dir, SOURCE_FILE)))
    if (source.success && (source.data.repoId !== repoId || source.data.variant !== variant)) return ` (it holds ${source.data.repoId}, ${source.data.variant})`
  } catch {
    /* no record of what it holds */
  }
  return ''
}

/** The staging folder for a destination. */
export function stagingDirOf(dest: string): string {
  return `${dest}.partial`
}

/** Wraps whatever the client or the network threw into a DownloadError with what to do. */
export function explain(err: unknown, ctx: { repoId: string; revision: string; hubUrl: string | undefined; signal?: AbortSignal }): DownloadError {
  if (err instanceof DownloadError) return err
  if (err instanceof HubLimitError) return new DownloadError(err.message, 'hub')
  if (ctx.signal?.aborted) {
    const reason = ctx.signal.reason
    return reason instanceof DownloadError ? reason : new DownloadError('The download was cancelled.', 'cancelled')
  }
  if (err instanceof HubApiError) {
    if (err.statusCode === 404 || err.statusCode === 401)
      return new DownloadError(
        `The Hub has no model "${ctx.repoId}" at revision "${ctx.revision}" (or it is private or gated). Check the repository id and revision.`,
        'not-found',
      )
    return new DownloadError(`The Hub answered with an error (${err.statusCode}): ${err.message.split('. URL:')[0]}. Try again later.`, 'hub')
  }
  const cause = (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code
  const offlineCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'])
  if (err instanceof TypeError && (err.message === 'fetch failed' || (cause && offlineCodes.has(cause))))
    return new DownloadError(
      `Cannot reach the Hugging Face Hub${ctx.hubUrl ? ` at ${ctx.hubUrl}` : ''}${cause ? ` (${cause})` : ''}. You seem to be offline. Connect and try again; a partial download resumes where it stopped. Without a network, copy a model folder onto this computer and add it (Models › Add folder, or start with --model DIR).`,
      'offline',
    )
  const message = err instanceof Error ? err.message : String(err)
  if (/terminated|socket|ECONNRESET|premature|aborted/i.test(message) || cause === 'ECONNRESET' || cause === 'UND_ERR_SOCKET')
    return new DownloadError(`The connection dropped during the download (${message}). Run the download again: it resumes where it stopped.`, 'interrupted')
  return new DownloadError(`The download failed: ${message}`, 'hub')
}

/** Resolves the revision to a commit and lists the files to fetch, with sizes and checksums. */
export async function planDownload(options: Pick<DownloadOptions, 'repoId' | 'revision' | 'variant' | 'hubUrl' | 'fetch' | 'signal'>): Promise<DownloadPlan> {
  const hubUrl = options.hubUrl
  const revision = options.revision ?? 'main'
  const fetchFn = withSignal(options.fetch ?? fetch, options.signal)
  // Every way into a download (CLI, app, tests) passes these checks, whatever its caller checked.
  const idProblem = repoIdProblem(options.repoId)
  if (idProblem) throw new DownloadError(`${JSON.stringify(options.repoId)} is not a repository id: ${idProblem}.`, 'not-found')
  const revProblem = revisionProblem(revision)
  if (revProblem) throw new DownloadError(`${JSON.stringify(revision)} is not a branch, tag or commit id: ${revProblem}.`, 'not-found')
  try {
    const info = await modelInfo({ name: options.repoId, revision, hubUrl, fetch: boundedFetch(fetchFn, MAX_INFO_BYTES, 'model information'), additionalFields: ['sha'] })
    const commit = typeof info.sha === 'string' && info.sha ? info.sha : revision
    const listing: RepoFile[] = []
    let entries = 0
    for await (const entry of listFiles({ repo: { type: 'model', name: options.repoId }, revision: commit, recursive: true, hubUrl, fetch: listingFetch(fetchFn) })) {
      checkListingLength(++entries)
      if (entry.type === 'file') listing.push({ path: entry.path, size: entry.size, oid: entry.oid, lfs: entry.lfs })
    }
    let planned: PlannedFile[]
    try {
      planned = planFiles(listing, options.variant, options.repoId)
    } catch (e) {
      throw new DownloadError((e as Error).message, 'layout')
    }
    const byPath = new Map(listing.map((f) => [f.path, f]))
    const files = planned.map((p) => {
      const entry = byPath.get(p.repoPath)!
      const checksum = expectedChecksum(entry)
      if (!checksum) throw new DownloadError(`The Hub's listing gives no checksum for ${p.repoPath}, so it could not be verified; the download was not started.`, 'hub')
      return { ...p, size: sizeOf(entry), checksum }
    })
    return { repoId: options.repoId, revision, commit, variant: options.variant, files, totalBytes: files.reduce((s, f) => s + f.size, 0) }
  } catch (err) {
    throw explain(err, { repoId: options.repoId, revision, hubUrl, signal: options.signal })
  }
}

/** Bytes already on disk for each planned file (complete files and .part files). */
async function bytesOnDisk(staging: string, plan: DownloadPlan): Promise<number[]> {
  return Promise.all(
    plan.files.map(async (f) => {
      const done = await sizeIfFile(join(staging, f.localPath))
      if (done === f.size) return f.size
      return Math.min(f.size, (await sizeIfFile(join(staging, `${f.localPath}.part`))) ?? 0)
    }),
  )
}

async function sizeIfFile(path: string): Promise<number | null> {
  try {
    const s = await stat(path)
    return s.isFile() ? s.size : null
  } catch {
    return null
  }
}

/**
 * Makes the staging folder ready: a new one is created, one of the same repo, commit and
 * variant is kept (resume), one of another download of ours (its download.json says so) is
 * emptied. Anything else by that name (a folder without download.json, a link, a file) was
 * not made by a download and is refused, never deleted.
 */
async function prepareStaging(staging: string, plan: DownloadPlan): Promise<void> {
  const statePath = join(staging, 'download.json')
  const existing = await lstat(staging).catch(() => null)
  if (existing) {
    let state: z.infer<typeof StagingState> | null = null
    if (existing.isDirectory()) {
      try {
        state = StagingState.parse(await readModelJson(statePath))
      } catch {
        state = null
      }
    }
    if (!state)
      throw new DownloadError(
        `${staging} exists and was not made by an Infill download (${existing.isDirectory() ? 'it has no download.json' : existing.isSymbolicLink() ? 'it is a link' : 'it is not a folder'}); it was left as it is. Move it away, or download to another folder with --to DIR.`,
        'exists',
      )
    if (state.repoId === plan.repoId && state.commit === plan.commit && state.variant === plan.variant) return
    await rm(staging, { recursive: true, force: true })
  }
  // Not recursive: if something appeared at this name in the meantime, this fails instead of using it.
  await mkdir(staging)
  await writeFile(statePath, JSON.stringify({ repoId: plan.repoId, commit: plan.commit, variant: plan.variant }, null, 2), { flag: 'wx' })
}

/** The client's fetch with the download's abort signal added to every request. */
function withSignal(fetchFn: typeof fetch, signal: AbortSignal | undefined): typeof fetch {
  if (!signal) return fetchFn
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) => fetchFn(input, { ...init, signal })) as typeof fetch
}

/**
 * Downloads `repoId` at `revision` into `dest`. Resumes parts left by an interrupted run,
 * verifies every file against the Hub's checksum, checks the disk space first, and moves the
 * finished folder into place in one rename. Throws DownloadError.
 */
export async function downloadModel(options: DownloadOptions): Promise<DownloadResult> {
  const hubUrl = options.hubUrl
  const revision = options.revision ?? 'main'
  const ctx = { repoId: options.repoId, revision, hubUrl, signal: options.signal }
  const now = options.now ?? (() => Date.now())
  if (await stat(options.dest).then(() => true, () => false))
    throw new DownloadError(`${options.dest} already exists${occupantNote(options.dest, options.repoId, options.variant)}. Remove it, or download to another folder with --to DIR.`, 'exists')

  const plan = await planDownload(options)
  const staging = stagingDirOf(options.dest)
  const fetchFn = withSignal(options.fetch ?? fetch, options.signal)
  // Set once the staging folder is known to be a download's: only then may a cancel remove it.
  let stagingIsOurs = false
  try {
    await mkdir(dirname(options.dest), { recursive: true })
    await prepareStaging(staging, plan)
    stagingIsOurs = true
    const present = await bytesOnDisk(staging, plan)
    const resumedFrom = present.reduce((s, b) => s + b, 0)
    try {
      await ensureSpace(staging, plan.totalBytes - resumedFrom, options.statfs)
    } catch (e) {
      throw new DownloadError((e as Error).message, 'no-space')
    }
    const meter = new ProgressMeter(plan.totalBytes, resumedFrom)
    let bytesFetched = 0
    for (const [index, file] of plan.files.entries()) {
      const report = (phase: DownloadProgress['phase'], figures: ProgressFigures) =>
        options.onProgress?.({ ...figures, file: file.repoPath, fileIndex: index, fileCount: plan.files.length, phase })
      const finalPath = join(staging, file.localPath)
      if (present[index] === file.size && (await sizeIfFile(finalPath)) === file.size) continue
      const partPath = `${finalPath}.part`
      await mkdir(dirname(partPath), { recursive: true })
      let have = present[index]
      if (have > 0 && (await sizeIfFile(partPath)) !== have) await truncate(partPath, have)
      if (have < file.size) {
        const info = await fileDownloadInfo({ repo: { type: 'model', name: plan.repoId }, path: file.repoPath, revision: plan.commit, hubUrl, fetch: fetchFn })
        if (!info) throw new DownloadError(`${file.repoPath} is listed but the Hub does not serve it at ${plan.commit}.`, 'hub')
        if (info.size !== file.size)
          throw new DownloadError(`The Hub serves ${file.repoPath} with ${info.size} bytes but lists ${file.size}; the download was stopped.`, 'hub')
        const blob = await downloadFile({ repo: { type: 'model', name: plan.repoId }, path: file.repoPath, revision: plan.commit, hubUrl, fetch: fetchFn, downloadInfo: info, xet: false })
        if (!blob) throw new DownloadError(`The Hub does not serve ${file.repoPath} at ${plan.commit}.`, 'hub')
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            have += chunk.length
            bytesFetched += chunk.length
            if (have > file.size) return done(new DownloadError(`The Hub sent more than the ${file.size} bytes of ${file.repoPath}.`, 'checksum'))
            report('downloading', meter.add(chunk.length, now()))
            done(null, chunk)
          },
        })
        const body = Readable.fromWeb((have > 0 ? blob.slice(have) : blob).stream() as import('node:stream/web').ReadableStream)
        const part = createWriteStream(partPath, { flags: have > 0 ? 'a' : 'w' })
        try {
          await pipeline(body, counter, part, { signal: options.signal })
        } catch (err) {
          // pipeline rejects as soon as a stream fails; the part file may still be taking a
          // write. Wait until it is closed, so that what is on disk is what a resume reads.
          if (!part.closed) await once(part, 'close')
          throw err
        }
        if (have < file.size)
          throw new DownloadError(`The connection closed after ${formatBytes(have)} of ${formatBytes(file.size)} of ${file.repoPath}. Run the download again: it resumes where it stopped.`, 'interrupted')
      }
      report('verifying', meter.figures())
      const actual = await fileChecksum(partPath, file.checksum.kind, file.size, options.signal)
      if (actual !== file.checksum.hex) {
        await rm(partPath, { force: true })
        throw new DownloadError(
          `${file.repoPath} did not match the Hub's checksum (${file.checksum.kind} ${file.checksum.hex.slice(0, 12)}…, got ${actual.slice(0, 12)}…): the file was damaged on the way. It was deleted; run the download again to fetch it afresh.`,
          'checksum',
        )
      }
      await rename(partPath, finalPath)
    }
    options.onProgress?.({ ...meter.figures(), file: '', fileIndex: plan.files.length, fileCount: plan.files.length, phase: 'installing' })
    const source: ModelSource = {
      repoId: plan.repoId,
      revision: plan.revision,
      commit: plan.commit,
      variant: plan.variant,
      hubUrl: hubUrl ?? null,
      downloadedAt: new Date().toISOString(),
      files: plan.files.map((f) => ({ repoPath: f.repoPath, localPath: f.localPath, size: f.size, checksum: `${f.checksum.kind}:${f.checksum.hex}` })),
    }
    await writeFile(join(staging, SOURCE_FILE), `${JSON.stringify(source, null, 2)}\n`)
    await rm(join(staging, 'download.json'), { force: true })
    await rename(staging, options.dest)
    return { dir: options.dest, plan, bytesFetched, resumedFrom }
  } catch (err) {
    const error = explain(err, ctx)
    if (error.kind === 'cancelled' && stagingIsOurs) await rm(staging, { recursive: true, force: true })
    throw error
  }
}
