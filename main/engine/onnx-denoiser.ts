/**
 * The ONNX model as a denoiser: ids [batch, length] in, logits out. Feeds all-ones
 * `attention_mask` and zero `token_type_ids` when the graph has them (Optimum BERT-style
 * exports). Tensors are cached per shape: the reverse process reuses one BigInt64Array
 * across steps, so the same tensor object is fed again and the buffer is read in place;
 * the logits go into one pre-allocated buffer per shape, overwritten by the next run (a
 * caller keeps the returned array only until its next call).
 */
import * as ort from 'onnxruntime-node'

/** Graph inputs the contract allows besides input_ids. */
export const OPTIONAL_INPUTS = ['attention_mask', 'token_type_ids'] as const

export class OnnxDenoiser {
  private idsTensor: ort.Tensor | null = null
  private idsBuffer: BigInt64Array | null = null
  private extras: Record<string, ort.Tensor> = {}
  private extrasKey = ''
  private logitsTensor: ort.Tensor | null = null
  private logitsKey = ''

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
    const out = await this.session.run(feeds, { logits: this.outputTensor(batch, length) })
    const logits = out.logits
    if (!logits) throw new Error('the model returned no "logits" output')
    if (logits.type !== 'float32') throw new Error(`the model returned ${logits.type} logits, expected float32`)
    const dims = logits.dims
    if (dims.length !== 3 || dims[0] !== batch || dims[1] !== length || dims[2] !== this.vocab)
      throw new Error(`the model returned logits of shape [${dims.join(', ')}], expected [${batch}, ${length}, ${this.vocab}]`)
    return this.logitsTensor!.data as Float32Array
  }

  /** Pre-allocated logits for this shape: ONNX Runtime writes into it, no new 10+ MB buffer per step. */
  private outputTensor(batch: number, length: number): ort.Tensor {
    const key = `${batch}x${length}`
    if (key !== this.logitsKey || !this.logitsTensor) {
      this.logitsTensor = new ort.Tensor('float32', new Float32Array(batch * length * this.vocab), [batch, length, this.vocab])
      this.logitsKey = key
    }
    return this.logitsTensor
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
