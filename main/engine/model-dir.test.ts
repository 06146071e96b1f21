import { describe, expect, it } from 'vitest'
import { ModelDirError } from './errors'
import { deriveManifest } from './manifest'
import { checkGraph, CPU_WINDOW_CAP, windowLength } from './model-dir'
import { createSessionWithFallback, missingVulkan, preferredProviders } from './providers'
import type * as ort from 'onnxruntime-node'

describe('preferredProviders', () => {
  it('tries the platform GPU first and cpu last', () => {
    expect(preferredProviders('linux', 'x64', ['cpu', 'webgpu', 'cuda', 'tensorrt'])).toEqual(['cuda', 'webgpu', 'cpu'])
    expect(preferredProviders('win32', 'x64', ['cpu', 'dml'])).toEqual(['dml', 'cpu'])
    expect(preferredProviders('darwin', 'arm64', ['cpu', 'coreml'])).toEqual(['coreml', 'cpu'])
    expect(preferredProviders('linux', 'arm64', ['cpu'])).toEqual(['cpu'])
  })
})

describe('missingVulkan (WebGPU on Linux)', () => {
  const has = (paths: string[]) => (p: string) => paths.includes(p)
  it('needs the Vulkan loader and a driver manifest', () => {
    expect(missingVulkan(has([]), {})).toMatch(/libvulkan\.so\.1/)
    expect(missingVulkan(has(['/usr/lib/x86_64-linux-gnu/libvulkan.so.1']), {})).toMatch(/no Vulkan driver/)
    expect(missingVulkan(has(['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/share/vulkan/icd.d']), {})).toBeUndefined()
  })
  it('honours LD_LIBRARY_PATH and the driver-list variables', () => {
    expect(missingVulkan(has(['/opt/vk/libvulkan.so.1']), { LD_LIBRARY_PATH: '/opt/vk', VK_ICD_FILENAMES: '/opt/vk/nvidia.json' })).toBeUndefined()
  })
})

describe('createSessionWithFallback', () => {
  const fakeSession = {} as ort.InferenceSession
  it('falls back to cpu and says why', async () => {
    const tried: string[] = []
    const choice = await createSessionWithFallback('m.onnx', ['cuda', 'webgpu', 'cpu'], async (_p, o) => {
      const ep = String(o.executionProviders?.[0])
      tried.push(ep)
      if (ep !== 'cpu') throw new Error(`${ep} library not found\nstack...`)
      return fakeSession
    }, () => undefined)
    expect(tried).toEqual(['cuda', 'webgpu', 'cpu'])
    expect(choice.provider).toBe('cpu')
    expect(choice.fallbackReason).toBe('cuda unavailable: cuda library not found; webgpu unavailable: webgpu library not found')
  })
  it('uses the GPU when it works, with no fallback reason', async () => {
    const choice = await createSessionWithFallback('m.onnx', ['cuda', 'cpu'], async () => fakeSession, () => undefined)
    expect(choice).toEqual({ session: fakeSession, provider: 'cuda', fallbackReason: undefined })
  })
  it('skips a provider whose libraries are missing without trying it', async () => {
    const tried: string[] = []
    const choice = await createSessionWithFallback(
      'm.onnx',
      ['cuda', 'cpu'],
      async (_p, o) => {
        tried.push(String(o.executionProviders?.[0]))
        return fakeSession
      },
      (p) => (p === 'cuda' ? 'libraries not installed' : undefined),
    )
    expect(tried).toEqual(['cpu'])
    expect(choice).toMatchObject({ provider: 'cpu', fallbackReason: 'cuda unavailable: libraries not installed' })
  })
  it('throws the last error when no provider works', async () => {
    await expect(createSessionWithFallback('m.onnx', ['cpu'], async () => Promise.reject(new Error('protobuf parsing failed')))).rejects.toThrow(
      'protobuf parsing failed',
    )
  })
})

describe('checkGraph', () => {
  it('accepts input_ids (+ attention_mask, token_type_ids) and logits', () => {
    expect(() => checkGraph({ inputNames: ['input_ids', 'attention_mask', 'token_type_ids'], outputNames: ['logits'] }, 'model.onnx')).not.toThrow()
  })
  it('names the file and the problem for wrong inputs or outputs', () => {
    expect(() => checkGraph({ inputNames: ['tokens'], outputNames: ['logits'] }, '/m/model.onnx')).toThrow(/\/m\/model\.onnx: has inputs \[tokens\] but no "input_ids"/)
    expect(() => checkGraph({ inputNames: ['input_ids', 't'], outputNames: ['logits'] }, 'model.onnx')).toThrow(/cannot feed: t/)
    const e = (() => {
      try {
        checkGraph({ inputNames: ['input_ids'], outputNames: ['last_hidden_state'] }, 'model.onnx')
      } catch (err) {
        return err
      }
    })()
    expect(e).toBeInstanceOf(ModelDirError)
    expect((e as ModelDirError).file).toBe('model.onnx')
    expect((e as ModelDirError).problem).toMatch(/no "logits"/)
  })
})

describe('deriveManifest (Optimum fill-mask export)', () => {
  const bert = new Map([
    ['[PAD]', 0],
    ['[UNK]', 100],
    ['[CLS]', 101],
    ['[SEP]', 102],
    ['[MASK]', 103],
  ])
  it('takes mask and pad from the tokenizer and maxLength from config.json', () => {
    const r = deriveManifest({ max_position_embeddings: 512, vocab_size: 30522, model_type: 'bert' }, bert, 30522, 'bert-base')
    expect(r).toMatchObject({ manifest: { family: 'mlm', maxLength: 512, vocabSize: 30522, tokens: { mask: 103, pad: 0, eos: 102, unk: 100 }, name: 'bert-base' } })
  })
  it('subtracts the RoBERTa position offset', () => {
    const roberta = new Map([
      ['<s>', 0],
      ['<pad>', 1],
      ['</s>', 2],
      ['<unk>', 3],
      ['<mask>', 50264],
    ])
    const r = deriveManifest({ max_position_embeddings: 514, model_type: 'roberta', pad_token_id: 1 }, roberta, 50265, 'roberta')
    expect(r).toMatchObject({ manifest: { maxLength: 512, vocabSize: 50265, tokens: { mask: 50264, pad: 1 } } })
  })
  it('reports a missing mask token', () => {
    expect(deriveManifest({ max_position_embeddings: 512 }, new Map([['[PAD]', 0]]), 10, 'x')).toMatchObject({ problem: expect.stringMatching(/no mask token/) })
  })
})

describe('windowLength', () => {
  it("uses the model's own maxLength on a GPU, capped on the CPU, and INFILL_MAX_WINDOW overrides", () => {
    expect(windowLength(8192, 'cuda', {})).toBe(8192)
    expect(windowLength(8192, 'cpu', {})).toBe(CPU_WINDOW_CAP)
    expect(windowLength(512, 'cpu', {})).toBe(512)
    expect(windowLength(8192, 'cpu', { INFILL_MAX_WINDOW: '8192' })).toBe(8192)
    expect(windowLength(8192, 'webgpu', { INFILL_MAX_WINDOW: '2048' })).toBe(2048)
    expect(windowLength(256, 'cpu', { INFILL_MAX_WINDOW: 'lots' })).toBe(256)
  })
})
