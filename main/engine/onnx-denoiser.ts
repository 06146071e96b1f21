/**
 * The ONNX model as a denoiser: ids [batch, length] in, logits out. Feeds all-ones
 * `attention_mask` and zero `token_type_ids` when the graph has them (Optimum BERT-style
 * exports). Tensors are cached per shape: the reverse process reuses one BigInt64Array
 * across steps, so the same tensor object is fed again and the buffer is read in place.
 */
import * as ort from 'onnxruntime-node'

/** Graph inputs the contract allows besides input_ids. */
export const OPTIONAL_INPUTS = ['attention_mask', 'token_type_ids'] as const

export class OnnxDenoiser {
  private idsTensor: ort.Tensor | null = null
  private idsBuffer: BigInt64Array | null = null
  private extras: Record<string, ort.Tensor> = {}
  private extrasKey = ''

  constructor(
    readonly session: ort.InferenceSession,
    readonly vocab: number,
  ) {}

  /** Logits [batch, length, vocab] for `ids` (row-major, batch × length). */
  async run(ids: BigInt64Array, batch: number, length: number): Promise<Float32Array> {
    if (ids.length !== batch * length) throw new Error(`ids hold ${ids.length} values, expected ${batch}×${length}`)
    if (this.idsBuffer !== ids || !this.idsTensor || this.idsTensor.dims[0] !== batch || this.idsTensor.dims[1] !== length) {
      this.idsTensor = new ort.Tensor('int64', ids, [batch, length])
      this.idsBuffer = ids
    }
    const feeds: Record<string, ort.Tensor> = { input_ids: this.idsTensor, ...this.extraFeeds(batch, length) }
    const out = await this.session.run(feeds)
    const logits = out.logits
    if (!logits) throw new Error('the model returned no "logits" output')
    if (logits.type !== 'float32') throw new Error(`the model returned ${logits.type} logits, expected float32`)
    const dims = logits.dims
    if (dims.length !== 3 || dims[0] !== batch || dims[1] !== length || dims[2] !== this.vocab)
      throw new Error(`the model returned logits of shape [${dims.join(', ')}], expected [${batch}, ${length}, ${this.vocab}]`)
    return logits.data as Float32Array
  }

  private extraFeeds(batch: number, length: number): Record<string, ort.Tensor> {
    const key = `${batch}x${length}`
    if (key !== this.extrasKey) {
      this.extras = {}
      const names = this.session.inputNames
      if (names.includes('attention_mask'))
        this.extras.attention_mask = new ort.Tensor('int64', new BigInt64Array(batch * length).fill(1n), [batch, length])
      if (names.includes('token_type_ids'))
        this.extras.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch * length), [batch, length])
      this.extrasKey = key
    }
    return this.extras
  }
}
