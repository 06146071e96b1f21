/**
 * `npx tsx bench/hostile-text.ts [--model DIR] [--reps N]`
 *
 * How long building a fill's canvas takes on text a tokenizer finds hard (issue 12 item 9):
 * runs without spaces (CJK, base64, one long URL) and plain prose, 50k to 200k characters,
 * with one span in the middle and one at the end, on the model's own tokenizer. Prints one
 * line per case (median of --reps builds, ms) and a last line of JSON.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildCanvas } from '../main/engine/canvas'
import { ModelManifest } from '../main/engine/manifest'
import { defaultModelDir } from '../main/engine/model-paths'
import { TokenizerCodec } from '../main/engine/text-codec'

const { values } = parseArgs({ options: { model: { type: 'string' }, reps: { type: 'string', default: '3' } } })
const dir = values.model ?? defaultModelDir()
const manifest = ModelManifest.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')))
const codec = new TokenizerCodec(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')))
const reps = Number(values.reps)

const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7) % 2000))).join('')
const base64 = (n: number) => Buffer.from(Array.from({ length: Math.ceil((n * 3) / 4) }, (_, i) => (i * 131) % 251)).toString('base64').slice(0, n)
const url = (n: number) => ('https://example.invalid/' + 'path-segment/'.repeat(n)).slice(0, n)
const prose = (n: number) => 'The old man walked down to the river and sat on the bank. '.repeat(Math.ceil(n / 58)).slice(0, n)

const rows: { text: string; chars: number; ms: number; tokens: number }[] = []
for (const [name, make] of Object.entries({ cjk, base64, url, prose })) {
  for (const chars of [50_000, 100_000, 200_000]) {
    const text = make(chars)
    const spans = [
      { id: 'mid', from: chars >> 1, to: chars >> 1, slots: 8 },
      { id: 'end', from: chars, to: chars, slots: 8 },
    ]
    const times: number[] = []
    let tokens = 0
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now()
      tokens = buildCanvas(text, spans, [], codec, { maxLength: manifest.maxLength, maskId: manifest.tokens.mask }).totalTokens
      times.push(performance.now() - t0)
    }
    const ms = times.sort((a, b) => a - b)[times.length >> 1]
    rows.push({ text: name, chars, ms: Math.round(ms), tokens })
    console.log(`${name.padEnd(7)} ${String(chars).padStart(7)} chars  ${ms.toFixed(0).padStart(6)} ms  (${tokens} tokens on the canvas)`)
  }
}
console.log(JSON.stringify({ model: manifest.name, reps, rows }))
