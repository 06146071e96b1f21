/** The infill command, run as a user runs it, on the test model (eval: eval.int.test.ts). */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { resolveAppRoot, resolveTestModel } from '../engine/model-paths'

const run = promisify(execFile)
const modelDir = resolveTestModel()
const root = resolveAppRoot()

async function cli(script: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(root, 'main', 'cli', script), ...args], {
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

describe.skipIf(!modelDir)('npm run infill', () => {
  it('prints one JSON object; text outside the spans is byte-identical', async () => {
    const input = 'Ünïcode "quotes" — the old man walked to the [[river]] and sat down.[[+3]]\n\nNext  paragraph.'
    const { stdout, code } = await cli('infill.ts', ['--model', modelDir!, '--text', input, '--seed', '7', '--candidates', '2', '--strategy', 'low_confidence', '--steps', '4'])
    expect(code).toBe(0)
    const lines = stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    const out = JSON.parse(lines[0])
    expect(out.spans).toHaveLength(2)
    expect(out.spans[0]).toMatchObject({ id: 's1', original: 'river' })
    expect(out.spans[0].fills).toHaveLength(2)
    const [f1, f2] = out.spans.map((s: { fills: string[] }) => s.fills[0])
    const prefix = 'Ünïcode "quotes" — the old man walked to the '
    expect(out.text).toBe(prefix + f1 + ' and sat down.' + f2 + '\n\nNext  paragraph.')
    expect(out.forwardPasses).toBe(4)
    expect(out.ms).toBeGreaterThanOrEqual(0)
  })

  it('reads the text from --text-file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'infill-cli-'))
    try {
      const file = join(dir, 'in.txt')
      await writeFile(file, 'First line.\n\nThe [[old]] man.\n')
      const { stdout, code } = await cli('infill.ts', ['--model', modelDir!, '--text-file', file, '--candidates', '1'])
      expect(code).toBe(0)
      const out = JSON.parse(stdout)
      expect(out.text).toBe(`First line.\n\nThe ${out.spans[0].fills[0]} man.\n`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('explains bad input and exits 1', async () => {
    const r = await cli('infill.ts', ['--model', modelDir!, '--text', 'no spans here'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/no span to fill/)
    const bad = await cli('infill.ts', ['--model', modelDir!, '--text', 'a [[b]]', '--strategy', 'best'])
    expect(bad.stderr).toMatch(/invalid sampling options[\s\S]*strategy/)
  })
})
