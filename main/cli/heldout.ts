/**
 * `npm run eval:heldout [-- --dir DIR --check FILE]`
 *
 * Fetches held-out English text the model never trains on, by package name like the
 * training corpus: Ambrose Bierce's "The Devil's Dictionary" (1911, public domain) from
 * Debian's dict-devil package (`apt-get download`, unpacked with `dpkg-deb -x`, nothing
 * installed). Writes DIR/devils-dictionary.txt (default DIR: .cache/heldout, git-ignored)
 * in the training corpus's plain format, and DIR/heldout.json with its source, size and
 * how many of its 10-word sequences also occur in the training text (--check FILE, default
 * models/train/work/train.txt when it exists). The last stdout line is that JSON.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { resolveAppRoot } from '../engine/model-paths'
import { cleanDevilsDictionary, ngramOverlap } from './heldout-text'

const ROOT = resolveAppRoot()
const PACKAGE = 'dict-devil'
const DICT_FILE = 'usr/share/dictd/devil.dict.dz'
const OUT_NAME = 'devils-dictionary.txt'

const log = (msg: string) => process.stderr.write(`eval:heldout: ${msg}\n`)

function runTool(cmd: string, args: string[], cwd: string, missing: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' })
  if (r.error) throw new Error(`${cmd} could not run (${r.error.message}). ${missing}`)
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}. ${missing}`)
}

/** The package's .deb in `dir`, downloaded first when there is none. */
async function debOf(dir: string): Promise<string> {
  const find = async () => (await readdir(dir)).filter((f) => f.startsWith(`${PACKAGE}_`) && f.endsWith('.deb')).sort()
  let debs = await find()
  if (debs.length === 0) {
    log(`apt-get download ${PACKAGE}`)
    runTool('apt-get', ['download', PACKAGE], dir, `Run \`apt-get update\` first if the package is not found; or put ${PACKAGE}'s .deb in ${dir}.`)
    debs = await find()
    if (debs.length === 0) throw new Error(`apt-get download ${PACKAGE} left no .deb in ${dir}`)
  }
  return join(dir, debs[debs.length - 1])
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, check: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  })
  if (values.help) {
    process.stdout.write('usage: npm run eval:heldout [-- --dir DIR (default .cache/heldout) --check TRAINING_TEXT]\n')
    return
  }
  const dir = resolve(values.dir ?? join(ROOT, '.cache', 'heldout'))
  const pkgs = join(dir, 'pkgs')
  await mkdir(pkgs, { recursive: true })
  const deb = await debOf(pkgs)
  const unpacked = join(pkgs, 'unpacked')
  runTool('dpkg-deb', ['-x', deb, unpacked], pkgs, 'dpkg-deb (Debian) unpacks the package.')
  const raw = gunzipSync(await readFile(join(unpacked, DICT_FILE))).toString('utf8')
  const text = cleanDevilsDictionary(raw)
  const outPath = join(dir, OUT_NAME)
  await writeFile(outPath, text)

  const check = values.check ?? join(ROOT, 'models', 'train', 'work', 'train.txt')
  let overlap: { against: string; shared10grams: number; total10grams: number } | null = null
  if (existsSync(check)) {
    log(`checking overlap with ${check}`)
    const o = ngramOverlap(text, (await readFile(check, 'utf8')).split('\n'))
    overlap = { against: check, shared10grams: o.shared, total10grams: o.total }
  } else if (values.check) throw new Error(`--check ${values.check}: no such file`)

  const entries = text.split('\n\n').length
  const summary = {
    file: outPath,
    source: `Debian package ${PACKAGE} (${deb.split('/').pop()}): Ambrose Bierce, The Devil's Dictionary, 1911`,
    license: 'public domain (copyright expired; see the package copyright file)',
    characters: text.length,
    lines: text.split('\n').filter(Boolean).length,
    entries,
    overlap,
  }
  await writeFile(join(dir, 'heldout.json'), JSON.stringify(summary, null, 2) + '\n')
  log(`wrote ${outPath}: ${summary.characters} characters, ${entries} entries`)
  if (overlap) log(`${overlap.shared10grams} of ${overlap.total10grams} 10-word sequences also occur in the training text`)
  log(`score it: npm run eval -- --model models/default --file ${outPath}`)
  process.stdout.write(JSON.stringify(summary) + '\n')
}

main().catch((e: unknown) => {
  process.stderr.write(`eval:heldout: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(1)
})
