// `npm run model:train -- [options]`: finds a Python that has torch and sentencepiece,
// checks the Debian packages the pipeline needs, then runs models/train/pipeline.py with the
// same arguments (`--smoke`, `--deadline HH:MM`, `--out DIR`, ...; `--help` lists them).
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..', '..')

/** Debian packages the pipeline needs (Python torch + sentencepiece, BLAS, the KJV text). */
export const APT_PACKAGES = ['python3-torch', 'python3-sentencepiece', 'libopenblas0-pthread', 'bible-kjv-text', 'bible-kjv']

const APT_LINE = `apt-get install -y --no-install-recommends ${APT_PACKAGES.join(' ')}`

function hasTorch(python) {
  const r = spawnSync(python, ['-c', 'import torch, sentencepiece, numpy'], { stdio: 'ignore' })
  return r.status === 0
}

function findPython() {
  const candidates = [process.env.INFILL_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean)
  return candidates.find(hasTorch)
}

function missingAptPackages() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\n', ...APT_PACKAGES], { encoding: 'utf8' })
  if (r.error) return [] // not a Debian system: the Python check below still applies
  const installed = new Set(
    r.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]),
  )
  return APT_PACKAGES.filter((p) => !installed.has(p))
}

const missing = missingAptPackages()
const python = findPython()
if (missing.length > 0 || !python) {
  if (missing.length > 0) console.error(`model:train: missing Debian packages: ${missing.join(', ')}`)
  if (!python) console.error('model:train: no Python with torch, sentencepiece and numpy found (tried $INFILL_PYTHON, /usr/bin/python3, python3)')
  console.error(`Install them with:\n  ${APT_LINE}`)
  process.exit(1)
}

const args = process.argv.slice(2)
const env = { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' }
const r = spawnSync(python, [path.join(here, 'pipeline.py'), ...args], { stdio: 'inherit', cwd: root, env })
if (r.error) {
  console.error(`model:train: could not run ${python}: ${r.error.message}`)
  process.exit(1)
}
process.exit(r.status ?? 1)
