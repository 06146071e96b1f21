import { describe, expect, it } from 'vitest'
import { installFolderName, otherVariants, planFiles, RepoId, RepoLayoutError, type RepoFile } from './hub-files'

const lfs = (path: string, size: number): RepoFile => ({ path, size, oid: 'a'.repeat(40), lfs: { oid: 'b'.repeat(64), size } })
const small = (path: string, size = 100): RepoFile => ({ path, size, oid: 'c'.repeat(40) })

/** The layout of a transformers.js / Optimum ONNX export on the Hub. */
const OPTIMUM: RepoFile[] = [
  small('config.json'),
  lfs('tokenizer.json', 3_500_000),
  small('tokenizer_config.json'),
  small('special_tokens_map.json'),
  small('README.md'),
  lfs('onnx/model.onnx', 598_000_000),
  lfs('onnx/model_fp16.onnx', 299_000_000),
  lfs('onnx/model_quantized.onnx', 151_000_000),
  lfs('model.safetensors', 598_000_000),
]

describe('planFiles', () => {
  it('picks the graph of the variant, saves it as model.onnx, and takes the tokenizer and config', () => {
    const plan = planFiles(OPTIMUM, 'int8', 'o/n')
    expect(plan.map((f) => [f.repoPath, f.localPath])).toEqual([
      ['onnx/model_quantized.onnx', 'model.onnx'],
      ['tokenizer.json', 'tokenizer.json'],
      ['config.json', 'config.json'],
      ['tokenizer_config.json', 'tokenizer_config.json'],
      ['special_tokens_map.json', 'special_tokens_map.json'],
      ['README.md', 'README.md'],
    ])
    expect(plan[0].size).toBe(151_000_000)
    expect(planFiles(OPTIMUM, 'fp32', 'o/n')[0].repoPath).toBe('onnx/model.onnx')
    expect(planFiles(OPTIMUM, 'fp16', 'o/n')[0].repoPath).toBe('onnx/model_fp16.onnx')
  })

  it('prefers model_int8.onnx and the Infill layout at the top level', () => {
    expect(planFiles([...OPTIMUM, lfs('onnx/model_int8.onnx', 150_000_000)], 'int8', 'o/n')[0].repoPath).toBe('onnx/model_int8.onnx')
    expect(planFiles([lfs('model.onnx', 9), small('tokenizer.json'), small('manifest.json')], 'fp32', 'o/n').map((f) => f.repoPath)).toEqual(['model.onnx', 'tokenizer.json', 'manifest.json'])
  })

  it('brings the extra graphs of the Infill layout (manifest "graphs") with model.onnx, not with a variant graph', () => {
    const infill = [lfs('model.onnx', 9), lfs('model.positions.onnx', 3), lfs('model.span.onnx', 3), lfs('model_int8.onnx', 4), small('tokenizer.json'), small('manifest.json')]
    expect(planFiles(infill, 'fp32', 'o/n').map((f) => f.localPath)).toEqual(['model.onnx', 'model.positions.onnx', 'model.span.onnx', 'tokenizer.json', 'manifest.json'])
    expect(planFiles(infill, 'int8', 'o/n').map((f) => f.localPath)).toEqual(['model.onnx', 'tokenizer.json', 'manifest.json'])
  })

  it('brings an external-data file under its own name beside the graph', () => {
    const plan = planFiles([...OPTIMUM, lfs('onnx/model.onnx_data', 1_500_000_000)], 'fp32', 'o/n')
    expect(plan.slice(0, 2).map((f) => [f.repoPath, f.localPath])).toEqual([
      ['onnx/model.onnx', 'model.onnx'],
      ['onnx/model.onnx_data', 'model.onnx_data'],
    ])
  })

  it('says what is missing: a variant (naming those there), any graph, the tokenizer, a manifest or config', () => {
    const noInt8 = OPTIMUM.filter((f) => f.path !== 'onnx/model_quantized.onnx')
    expect(() => planFiles(noInt8, 'int8', 'o/n')).toThrow(/o\/n has no int8 graph .* It has: onnx\/model\.onnx, onnx\/model_fp16\.onnx\. Try --variant fp16 or fp32/)
    expect(otherVariants(noInt8, 'int8')).toEqual(['fp16', 'fp32'])
    expect(() => planFiles([small('config.json'), lfs('model.safetensors', 5)], 'fp32', 'o/n')).toThrow(/has no ONNX graph/)
    expect(() => planFiles(OPTIMUM.filter((f) => f.path !== 'tokenizer.json'), 'fp32', 'o/n')).toThrow(RepoLayoutError)
    expect(() => planFiles(OPTIMUM.filter((f) => f.path !== 'config.json'), 'fp32', 'o/n')).toThrow(/neither manifest\.json nor config\.json/)
  })
})

describe('repository ids and folder names', () => {
  it('accepts owner/name and refuses anything else', () => {
    expect(RepoId.parse('answerdotai/ModernBERT-base')).toBe('answerdotai/ModernBERT-base')
    // Surrounding spaces are refused, never cut (the UI trims what the writer typed).
    for (const bad of ['ModernBERT-base', 'a/b/c', '../x', 'a/..', 'a b/c', '/abs/path', ' answerdotai/ModernBERT-base ', 'a/b\\c', 'a/b--c', 'a--b/c', 'con/model', 'a/b.'])
      expect(RepoId.safeParse(bad).success).toBe(false)
  })
  it('names the install folder after the repo and variant', () => {
    expect(installFolderName('answerdotai/ModernBERT-base', 'int8')).toBe('answerdotai--ModernBERT-base-int8')
  })
})
