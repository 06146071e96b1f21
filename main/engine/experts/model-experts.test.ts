import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { KneserNeyTrigram } from '../baselines/kneser-ney'
import { countNgrams, readCountsFile, writeCounts, writeCountsGzip } from '../baselines/ngram-counts'
import { expertContext } from './count-expert'
import { loadModelExperts, type ExpertModelView } from './model-experts'

// ids: 0 pad, 1 mask, 2 eos (special); 3.. words
const V = 8
const counts = countNgrams([3, 4, 5, 3, 4, 6, 3, 4, 5, 7], V)
const header = { source: 'test', minTrigramCount: 1, discounts: new KneserNeyTrigram(counts).discounts }
const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function modelDir(countsName: string, bytes: Buffer): ExpertModelView {
  const dir = mkdtempSync(join(tmpdir(), 'infill-experts-'))
  dirs.push(dir)
  writeFileSync(join(dir, countsName), bytes)
  writeFileSync(join(dir, 'experts.json'), JSON.stringify({ version: 1, combination: 'log-linear', trainingCounts: countsName, training: [0, 1, 1, 1, 1], manuscript: [0, 1, 1, 1, 1] }))
  return { dir, manifest: { tokens: { mask: 1, pad: 0 }, experts: 'experts.json' }, banned: Uint8Array.from({ length: V }, (_, i) => (i === 1 || i === 2 ? 1 : 0)), vocab: V }
}

describe('training counts files', () => {
  it('gzip-compressed counts read back as the plain ones do (magic bytes, not the name)', async () => {
    const gz = writeCountsGzip(counts, header)
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b])
    const plain = await readCountsFile(writeCounts(counts, header), 'experts.counts', 1 << 20)
    const fromGz = await readCountsFile(gz, 'experts.counts.gz', 1 << 20)
    expect(fromGz.counts).toEqual(counts)
    expect(fromGz.counts).toEqual(plain.counts)
    expect(fromGz.header.discounts).toEqual(header.discounts)
  })

  it('a corrupt, truncated or oversized gzip file is an error naming the file', async () => {
    const gz = writeCountsGzip(counts, header)
    const corrupt = Buffer.from(gz)
    corrupt.fill(0x55, 10, gz.length - 8)
    await expect(readCountsFile(corrupt, 'experts.counts.gz', 1 << 20)).rejects.toThrow(/experts\.counts\.gz: the counts file is not a valid gzip file/)
    await expect(readCountsFile(gz.subarray(0, gz.length - 12), 'experts.counts.gz', 1 << 20)).rejects.toThrow(/experts\.counts\.gz: the counts file is not a valid gzip file/)
    // a small file that decompresses to more than the bound (a gzip bomb) stops at the bound
    const bomb = gzipSync(Buffer.alloc(4 << 20))
    expect(bomb.length).toBeLessThan(64 << 10)
    await expect(readCountsFile(bomb, 'experts.counts.gz', 1 << 20)).rejects.toThrow(/experts\.counts\.gz: the counts file decompresses to more than 1 MiB/)
    // valid gzip around something that is not counts
    await expect(readCountsFile(gzipSync(Buffer.from('something else')), 'experts.counts.gz', 1 << 20)).rejects.toThrow(/experts\.counts\.gz: not an n-gram counts file/)
  })

  it('the model loader takes plain and gzip counts and names a corrupt file', async () => {
    const plain = await loadModelExperts(modelDir('experts.counts', writeCounts(counts, header)))
    const gz = await loadModelExperts(modelDir('experts.counts.gz', writeCountsGzip(counts, header)))
    expect(plain.training).not.toBeNull()
    expect(gz.training).not.toBeNull()
    const ctx = expertContext([3, 4, 1, 3, 4], 2, plain.ids.unknown, 0)
    const q = Array.from(gz.training!.at(ctx).logp)
    expect(q).toEqual(Array.from(plain.training!.at(ctx).logp))
    expect(q.indexOf(Math.max(...q))).toBe(5) // '3 4 _ 3 4': 5 (seen twice after 3 4, and before 3)
    const bad = writeCountsGzip(counts, header)
    bad.fill(0, 12, bad.length - 8)
    await expect(loadModelExperts(modelDir('experts.counts.gz', bad))).rejects.toThrow(/experts\.counts\.gz/)
  })
})
