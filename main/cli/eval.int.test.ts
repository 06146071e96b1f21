/** `npm run eval`, run as a user runs it, on the test model, with a small baseline corpus. */
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveAppRoot, resolveTestModel } from '../engine/model-paths'

const run = promisify(execFile)
const modelDir = resolveTestModel()
const root = resolveAppRoot()

async function evalCli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(root, 'main', 'cli', 'eval.ts'), ...args], {
      cwd: root,
      env: { ...process.env, INFILL_EXECUTION_PROVIDER: 'cpu' },
      maxBuffer: 16 << 20,
    })
    return { stdout, stderr, code: 0 }
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number }
    return { stdout: err.stdout, stderr: err.stderr, code: err.code }
  }
}

const nouns = ['farmer', 'captain', 'teacher', 'sailor', 'widow']
const verbs = ['walked', 'rowed', 'ran', 'drove']
const line = (i: number) => `The ${nouns[i % 5]} ${verbs[i % 4]} to the river on day ${i} and looked at the water.`

describe.skipIf(!modelDir)('npm run eval', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infill-eval-'))
    await writeFile(join(dir, 'sample.txt'), Array.from({ length: 120 }, (_, i) => line(i)).join('\n'))
    await writeFile(join(dir, 'train.txt'), Array.from({ length: 400 }, (_, i) => line(i * 7 + 1)).join('\n'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('scores a file beside the count baselines; the last stdout line is one JSON object', async () => {
    const args = ['--model', modelDir!, '--file', join(dir, 'sample.txt'), '--limit', '2', '--elbo-samples', '2', '--seed', '3']
    const cache = join(dir, 'cache')
    const { stdout, stderr, code } = await evalCli([...args, '--baseline-corpus', join(dir, 'train.txt'), '--cache-dir', cache])
    expect(stderr).toMatch(/2 windows/)
    expect(code).toBe(0)
    const last = JSON.parse(stdout.trim().split('\n').pop()!)
    expect(last).toMatchObject({ windows: 2, seed: 3, strategy: 'low_confidence', spanTokens: 16, spanLength: 8, elboSamples: 2 })
    for (const k of ['maskedTokenAccuracy', 'spanInfillAccuracy', 'wholeWordAccuracy']) {
      expect(last[k]).toBeGreaterThanOrEqual(0)
      expect(last[k]).toBeLessThanOrEqual(1)
    }
    expect(last.maskedTokens).toBeGreaterThan(0)
    expect(last.maskedWords).toBeGreaterThan(0)
    expect(last.chars).toBeGreaterThan(last.tokens)
    expect(last.elboPerplexity).toBeGreaterThan(1)
    expect(last.elboBitsPerChar).toBeGreaterThan(0)
    const { unigram, trigram } = last.baselines
    expect(unigram.word).toBe('the')
    expect(last.baselines.corpusTokens).toBeGreaterThan(1000)
    // the sample repeats the corpus's sentence pattern: the trigram predicts far better than the unigram
    expect(trigram.maskedTokenAccuracy).toBeGreaterThan(unigram.maskedTokenAccuracy)
    expect(trigram.bitsPerChar).toBeLessThan(unigram.bitsPerChar)
    for (const k of ['maskedTokenAccuracy', 'spanInfillAccuracy', 'wholeWordAccuracy']) expect(trigram[k]).toBeGreaterThanOrEqual(0)
    expect(await readdir(cache)).toHaveLength(1)
  })

  it('a missing baseline corpus fails before scoring and says what to do', async () => {
    const r = await evalCli(['--model', modelDir!, '--file', join(dir, 'sample.txt'), '--limit', '1', '--baseline-corpus', join(dir, 'none.txt')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/baseline corpus .*none\.txt not found\. Pass an existing plain-text file .*or --no-baselines/)
  })
})
