/**
 * Where the training tools are: a Python with torch, sentencepiece and numpy (the same ones
 * npm run model:train needs), and the exact command to install them where they are missing.
 */
import { spawn, spawnSync } from 'node:child_process'

/** Debian packages tune.py needs (the training pipeline's Python side). */
export const TUNE_APT_PACKAGES = ['python3-torch', 'python3-sentencepiece', 'python3-numpy']

/** The command that installs them. */
export const TUNE_INSTALL_COMMAND = `sudo apt-get install -y --no-install-recommends ${TUNE_APT_PACKAGES.join(' ')}`

/**
 * Pythons tried in order: $INFILL_PYTHON, /usr/bin/python3, python3 on the PATH.
 * INFILL_PYTHON=none tries none (the app then shows the command and what to install).
 */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.INFILL_PYTHON === 'none') return []
  return [env.INFILL_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p)
}

/** True when `python` runs and imports torch, sentencepiece and numpy. */
export function hasTrainingTools(python: string): boolean {
  const r = spawnSync(python, ['-c', 'import torch, sentencepiece, numpy'], { stdio: 'ignore', timeout: 60_000 })
  return r.status === 0
}

/** The first Python with the training tools, or null. */
export function findTrainingPython(env: NodeJS.ProcessEnv = process.env): string | null {
  return pythonCandidates(env).find(hasTrainingTools) ?? null
}

/** hasTrainingTools without blocking the event loop (the app's main process). */
export function hasTrainingToolsAsync(python: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(python, ['-c', 'import torch, sentencepiece, numpy'], { stdio: 'ignore', timeout: 120_000 })
    child.on('error', () => resolve(false))
    child.on('close', (code) => resolve(code === 0))
  })
}

/** findTrainingPython without blocking the event loop. */
export async function findTrainingPythonAsync(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  for (const p of pythonCandidates(env)) if (await hasTrainingToolsAsync(p)) return p
  return null
}
