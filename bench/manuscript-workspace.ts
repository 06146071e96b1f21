/**
 * `npx tsx bench/manuscript-workspace.ts [--words 300000] [--files 30] [--source FILE] [--model DIR]`
 *
 * The writer's text end to end (issue 21): a workspace of --files chapters holding --words
 * words (cut from --source, default the training split, else the held-out text), indexed by
 * the host's manuscript service (main/manuscript) and counted by a real engine process with
 * the model loaded. Prints, one line each, then a last line of JSON:
 *
 * - first index: from opening the service on an empty user-data folder until the engine
 *   reports every word of the workspace tokenized, and until it reports the counts and the
 *   expert over them rebuilt (`counted`: a fill no longer waits for them); the engine process's
 *   resident memory before and after;
 * - a pause in typing: one chapter gets one more sentence (the text the renderer sends after
 *   a pause), until the engine reports the new word count, and until it reports it counted;
 * - restart: the service opened again on the same user-data folder (no file re-read, none
 *   changed), until the engine reports the workspace tokenized, and counted, again.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { EngineState } from '../main/contract'
import { EngineClient, forkWithNode } from '../main/engine/engine-client'
import { defaultModelDir } from '../main/engine/model-paths'
import { ManuscriptService } from '../main/manuscript/manuscript-service'
import { markdownToPlain } from '../main/manuscript/words'

const { values } = parseArgs({
  options: { words: { type: 'string', default: '300000' }, files: { type: 'string', default: '30' }, source: { type: 'string' }, model: { type: 'string' } },
})
const WORDS = Number(values.words)
const FILES = Number(values.files)
const source = values.source ?? ['models/train/work/train.txt', '.cache/heldout/devils-dictionary.txt'].find((f) => existsSync(f))
if (!source) throw new Error('No source text: pass --source FILE (or run npm run model:train / npm run eval:heldout first).')

// The chapters: consecutive runs of the source's lines, cut at --words whitespace-separated words.
const lines = readFileSync(source, 'utf8').split('\n')
const chapters: string[] = []
let taken = 0
let line = 0
const per = Math.ceil(WORDS / FILES)
for (let f = 0; f < FILES && taken < WORDS; f++) {
  const paras: string[] = []
  let n = 0
  while (n < per && taken < WORDS && line < lines.length) {
    const w = lines[line++].split(/\s+/).filter(Boolean)
    if (w.length === 0) continue
    const keep = w.slice(0, Math.min(w.length, per - n, WORDS - taken))
    paras.push(keep.join(' '))
    n += keep.length
    taken += keep.length
  }
  chapters.push(paras.join('\n\n'))
}
const base = mkdtempSync(join(tmpdir(), 'infill-bench-manuscript-'))
const workspace = join(base, 'workspace')
const userData = join(base, 'manuscript')
mkdirSync(workspace, { recursive: true })
mkdirSync(userData, { recursive: true })
chapters.forEach((c, i) => writeFileSync(join(workspace, `chapter-${String(i + 1).padStart(2, '0')}.md`), c))
writeFileSync(join(userData, 'settings.json'), JSON.stringify({ version: 1, scope: 'workspace', yourWords: 0.5 }))
const engineWords = (text: string) => text.split(/\s+/).filter(Boolean).length
// What the engine is sent of each chapter: its text as the writer reads it.
const expected = chapters.reduce((n, c) => n + engineWords(markdownToPlain(c)), 0)

let pid: number | undefined
const spawn = forkWithNode({ env: { ...process.env, INFILL_ENGINE_NICE: '0' } })
const engine = new EngineClient(() => {
  const ch = spawn()
  pid = ch.pid
  return ch
})
const rssMiB = (): number => {
  const m = pid ? /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')) : null
  return m ? Number(m[1]) / 1024 : NaN
}
/** Resolves when the engine reports `words` manuscript words (and at least `documents` documents), with `counted` when asked. */
const engineCounted = (words: number, documents: number, counted = false): Promise<EngineState> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`the engine did not report ${words} manuscript words within 5 minutes (it reports ${JSON.stringify(engine.state().manuscript ?? null)})`))
    }, 300_000)
    const check = (s: EngineState) => {
      if (s.manuscript && s.manuscript.words === words && s.manuscript.documents >= documents && (!counted || s.manuscript.counted === true)) {
        clearTimeout(timer)
        off()
        resolve(s)
      }
    }
    const off = engine.onState(check)
    check(engine.state())
  })

async function main(): Promise<void> {
  engine.start()
  await engine.loadModel(values.model ?? defaultModelDir())
  const rssBefore = rssMiB()
  const out: Record<string, number | string> = { source: String(source), files: chapters.length, words: expected, rssBeforeMiB: Math.round(rssBefore) }

  let t0 = performance.now()
  let service = await ManuscriptService.open({ dir: userData, workspaceDir: workspace, engine, onState: () => {} })
  await service.scan()
  const hostMs = performance.now() - t0
  const counted = await engineCounted(expected, chapters.length)
  out.firstIndexMs = Math.round(performance.now() - t0)
  out.firstIndexHostMs = Math.round(hostMs)
  out.tokens = counted.manuscript?.tokens ?? 0
  await engineCounted(expected, chapters.length, true)
  out.firstIndexCountedMs = Math.round(performance.now() - t0)
  out.rssAfterMiB = Math.round(rssMiB())
  console.log(`first index: ${chapters.length} files, ${expected} words, ${out.tokens} tokens in ${out.firstIndexMs} ms (host side ${out.firstIndexHostMs} ms), counted (expert built) in ${out.firstIndexCountedMs} ms; engine ${out.rssBeforeMiB} -> ${out.rssAfterMiB} MiB resident`)

  // A pause in typing: chapter 1 as the renderer sends it, one sentence longer.
  const path = join(workspace, 'chapter-01.md')
  const more = `${chapters[0]} The keeper climbed the stairs again.`
  t0 = performance.now()
  service.update('bench', { documentId: 'bench', path, text: more })
  await engineCounted(expected + 6, chapters.length)
  out.pauseReportedMs = Math.round(performance.now() - t0)
  await engineCounted(expected + 6, chapters.length, true)
  out.pauseUpdateMs = Math.round(performance.now() - t0)
  console.log(`a pause in typing: one chapter (${engineWords(more)} words) passed on and tokenized in ${out.pauseReportedMs} ms, counted (expert rebuilt) in ${out.pauseUpdateMs} ms`)
  service.senderClosed('bench')
  await engineCounted(expected, chapters.length, true)
  await service.dispose()

  // Restart: the copies in the user-data folder, nothing re-read; the engine counts them again.
  engine.clearManuscript()
  t0 = performance.now()
  service = await ManuscriptService.open({ dir: userData, workspaceDir: workspace, engine, onState: () => {} })
  await service.scan()
  out.restartHostMs = Math.round(performance.now() - t0)
  await engineCounted(expected, chapters.length)
  out.restartMs = Math.round(performance.now() - t0)
  await engineCounted(expected, chapters.length, true)
  out.restartCountedMs = Math.round(performance.now() - t0)
  console.log(`restart: the index back from the user-data folder in ${out.restartHostMs} ms (host), tokenized by the engine in ${out.restartMs} ms, counted (expert built) in ${out.restartCountedMs} ms`)
  await service.dispose()
  await engine.dispose()
  rmSync(base, { recursive: true, force: true })
  console.log(JSON.stringify(out))
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err))
  await engine.dispose()
  rmSync(base, { recursive: true, force: true })
  process.exit(1)
})
