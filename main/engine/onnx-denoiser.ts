/**
 * The ONNX model as a denoiser: ids [batch, length] in, logits out. Feeds all-ones
 * `attention_mask` and zero `token_type_ids` when the graph has them (Optimum BERT-style
 * exports). Tensors are cached per shape: the reverse process reuses one BigInt64Array
 * across steps, so the same tensor object is fed again and the buffer is read in place;
 * the logits go into one pre-allocated buffer per shape, overwritten by the next run (a
 * caller keeps the returned array only until its next call).
 */
import * as ort from 'onnxruntime-node'

/**
 * How `runMasked` computes the logits it must return:
 * - 'full': the contract graph over the whole window (every position, every logit);
 * - 'positions': model.positions.onnx, logits at the masked positions only (exact);
 * - 'cached': DualCache (Fast-dLLM): model.context.onnx builds every layer's keys and values
 *   once (once per distinct row: candidates starting from the same window share it), then
 *   model.span.onnx runs the span's slots only against them; the cache is rebuilt when a row
 *   revealed `refreshEvery` slots since it was built, or when anything outside the slots
 *   changed (a new window); a candidate leaving the batch only narrows it. Approximate
 *   between rebuilds: the context's deeper keys and values do not see the latest reveals.
 */
export type DenoiseMode = 'full' | 'positions' | 'cached'

/** Extra graphs of a model directory (manifest `graphs`), opened beside the contract graph. */
export interface DenoiserGraphs {
  positions?: ort.InferenceSession
  context?: ort.InferenceSession
  span?: ort.InferenceSession
}

export interface DenoiserOptions {
  graphs?: DenoiserGraphs
  /** The mask id: `runMasked` computes logits where the ids hold it. */
  maskId?: number
  /** Dream-style shifted logits: the extra graphs are not used (the plain contract is). */
  shiftedLogits?: boolean
  /**
   * Mode of runMasked; default the fastest exact mode the model has: 'positions', else
   * 'full'. 'cached' (approximate, see DenoiseMode) is used only when a call asks for it
   * (`runMasked(..., true)`: the writer's "Faster, approximate" setting) or when this option
   * forces it (INFILL_DENOISER, the bench). Its measured accuracy cost is in the model card.
   */
  mode?: DenoiseMode
  /** 'cached': rebuild the cache after this many reveals (default DEFAULT_REFRESH_EVERY). */
  refreshEvery?: number
}

/** Reveals (in any one row) after which the DualCache is rebuilt by default. */
export const DEFAULT_REFRESH_EVERY = 8

/** What the denoiser computed so far (the bench reads it). */
export interface DenoiserStats {
  /** Passes over the whole window (contract graph, positions graph, cache builds). */
  windowPasses: number
  /** Span-only passes (cached mode). */
  spanPasses: number
  /** Positions whose hidden states were computed, summed over passes and rows. */
  positionsComputed: number
  /** Positions whose logits (the vocab-wide output projection) were computed. */
  logitsComputed: number
}

interface Cache {
  batch: number
  length: number
  /** The ids the cache was built from. */
  ids: BigInt64Array
  /** Slot positions per row, [batch, k] (rows padded by repeating a position). */
  positions: BigInt64Array
  k: number
  /** 1 at (row, position) that is a slot of the cache. */
  isSlot: Uint8Array
  keys: ort.Tensor
  values: ort.Tensor
}

/** Graph inputs the contract allows besides input_ids. */
export const OPTIONAL_INPUTS = ['attention_mask', 'token_type_ids'] as const

export class OnnxDenoiser {
  private idsTensor: ort.Tensor | null = null
  private idsBuffer: BigInt64Array | null = null
  private extras: Record<string, ort.Tensor> = {}
  private extrasKey = ''
  private logitsTensor: ort.Tensor | null = null
  private logitsKey = ''
  private sparse: Float32Array | null = null
  private sparseKey = ''
  private cache: Cache | null = null
  readonly graphs: DenoiserGraphs
  readonly stats: DenoiserStats = { windowPasses: 0, spanPasses: 0, positionsComputed: 0, logitsComputed: 0 }
  /** Mode of runMasked; the bench switches it to compare. */
  mode: DenoiseMode
  refreshEvery: number

  constructor(
    readonly session: ort.InferenceSession,
    readonly vocab: number,
    private readonly options: DenoiserOptions = {},
  ) {
    this.graphs = options.shiftedLogits || options.maskId === undefined ? {} : (options.graphs ?? {})
    this.mode = options.mode ?? (this.modes().includes('positions') ? 'positions' : 'full')
    this.refreshEvery = options.refreshEvery ?? DEFAULT_REFRESH_EVERY
  }

  /** Modes this model supports, plain first. */
  modes(): DenoiseMode[] {
    const out: DenoiseMode[] = ['full']
    if (this.graphs.positions) out.push('positions')
    if (this.graphs.context && this.graphs.span) out.push('cached')
    return out
  }

  /** Drops the cached keys and values (the next cached call rebuilds them). */
  resetCache(): void {
    this.cache = null
  }

  /**
   * Logits [batch, length, vocab] of which only the rows at masked positions (ids equal to
   * the mask id) are meant to be read; the others hold whatever an earlier call left there.
   * The reverse process reads nothing else. With `mode` 'full' (or a foreign graph) this is
   * `run`. `approximate` asks for the DualCache ('cached') where the model has it.
   */
  async runMasked(ids: BigInt64Array, batch: number, length: number, approximate = false): Promise<Float32Array> {
    const asked = approximate ? 'cached' : this.mode
    const mode = this.modes().includes(asked) ? asked : this.modes().includes(this.mode) ? this.mode : 'full'
    if (mode === 'full') return this.run(ids, batch, length)
    if (ids.length !== batch * length) throw new Error(`ids hold ${ids.length} values, expected ${batch}×${length}`)
    const out = this.sparseBuffer(batch, length)
    if (mode === 'positions') {
      const { positions, k } = maskedPositions(ids, batch, length, BigInt(this.options.maskId!))
      if (k === 0) return out
      const res = await this.graphs.positions!.run({
        input_ids: new ort.Tensor('int64', ids, [batch, length]),
        positions: new ort.Tensor('int64', positions, [batch, k]),
      })
      this.stats.windowPasses++
      this.stats.positionsComputed += batch * length
      this.stats.logitsComputed += batch * k
      scatterRows(res.logits, positions, batch, k, length, this.vocab, out)
      return out
    }
    const cache = await this.validCache(ids, batch, length)
    if (cache.k === 0) return out
    const slotIds = new BigInt64Array(batch * cache.k)
    for (let b = 0; b < batch; b++)
      for (let j = 0; j < cache.k; j++) slotIds[b * cache.k + j] = ids[b * length + Number(cache.positions[b * cache.k + j])]
    const res = await this.graphs.span!.run({
      slot_ids: new ort.Tensor('int64', slotIds, [batch, cache.k]),
      positions: new ort.Tensor('int64', cache.positions, [batch, cache.k]),
      keys: cache.keys,
      values: cache.values,
    })
    this.stats.spanPasses++
    this.stats.positionsComputed += batch * cache.k
    this.stats.logitsComputed += batch * cache.k
    scatterRows(res.logits, cache.positions, batch, cache.k, length, this.vocab, out)
    return out
  }

  /**
   * The cache for these ids: the current one while nothing but its slots changed and no row
   * revealed `refreshEvery` slots since it was built; the current one narrowed to the rows
   * still running when candidates left the batch (the reverse process drops finished rows and
   * keeps the order of the others); else a new one.
   */
  private async validCache(ids: BigInt64Array, batch: number, length: number): Promise<Cache> {
    const mask = BigInt(this.options.maskId!)
    let c = this.cache
    if (c && c.length === length && batch < c.batch) c = this.cache = narrowCache(c, ids, batch, length)
    if (c && c.batch === batch && c.length === length) {
      let ok = true
      let mostRevealed = 0
      for (let b = 0; b < batch && ok; b++) {
        let revealed = 0
        for (let i = b * length; i < (b + 1) * length; i++) {
          if (c.isSlot[i]) {
            if (ids[i] !== mask) revealed++
          } else if (ids[i] !== c.ids[i]) {
            ok = false
            break
          }
        }
        mostRevealed = Math.max(mostRevealed, revealed)
      }
      if (ok && mostRevealed < Math.max(1, this.refreshEvery)) return c
    }
    const { positions, k } = maskedPositions(ids, batch, length, mask)
    // Candidates start from the same window: the context pass runs once per distinct row.
    const { unique, rowOf } = distinctRows(ids, batch, length)
    const uniqueIds = new BigInt64Array(unique.length * length)
    unique.forEach((r, u) => uniqueIds.set(ids.subarray(r * length, (r + 1) * length), u * length))
    const kv = await this.graphs.context!.run({ input_ids: new ort.Tensor('int64', uniqueIds, [unique.length, length]) })
    const keys = unique.length < batch ? expandRows(kv.keys, rowOf) : kv.keys
    const values = unique.length < batch ? expandRows(kv.values, rowOf) : kv.values
    this.stats.windowPasses++
    this.stats.positionsComputed += unique.length * length
    const isSlot = new Uint8Array(batch * length)
    for (let b = 0; b < batch; b++) for (let j = 0; j < k; j++) isSlot[b * length + Number(positions[b * k + j])] = 1
    this.cache = { batch, length, ids: ids.slice(), positions, k, isSlot, keys, values }
    return this.cache
  }

  /** One zero-initialised buffer per shape for runMasked: only the rows written are ever touched (and paged in). */
  private sparseBuffer(batch: number, length: number): Float32Array {
    const key = `${batch}x${length}`
    if (key !== this.sparseKey || !this.sparse) {
      this.sparse = new Float32Array(batch * length * this.vocab)
      this.sparseKey = key
    }
    return this.sparse
  }

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

/** Masked positions of each row as [batch, k] (k the most any row has; shorter rows repeat their last position, or 0). */
export function maskedPositions(ids: BigInt64Array, batch: number, length: number, mask: bigint): { positions: BigInt64Array; k: number } {
  const rows: number[][] = []
  for (let b = 0; b < batch; b++) {
    const row: number[] = []
    for (let p = 0; p < length; p++) if (ids[b * length + p] === mask) row.push(p)
    rows.push(row)
  }
  const k = Math.max(0, ...rows.map((r) => r.length))
  const positions = new BigInt64Array(batch * k)
  rows.forEach((row, b) => {
    for (let j = 0; j < k; j++) positions[b * k + j] = BigInt(row[Math.min(j, row.length - 1)] ?? 0)
  })
  return { positions, k }
}

/** Copies logits [batch, k, vocab] into rows (b, positions[b, j]) of out [batch, length, vocab]. */
function scatterRows(logits: ort.Tensor | undefined, positions: BigInt64Array, batch: number, k: number, length: number, vocab: number, out: Float32Array): void {
  if (!logits || logits.type !== 'float32') throw new Error('the graph returned no float32 "logits" output')
  const dims = logits.dims
  if (dims.length !== 3 || dims[0] !== batch || dims[1] !== k || dims[2] !== vocab)
    throw new Error(`the graph returned logits of shape [${dims.join(', ')}], expected [${batch}, ${k}, ${vocab}]`)
  const data = logits.data as Float32Array
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < k; j++) {
      const src = (b * k + j) * vocab
      out.set(data.subarray(src, src + vocab), (b * length + Number(positions[b * k + j])) * vocab)
    }
  logits.dispose?.()
}

/**
 * The cache rows of the rows `ids` still holds, in order (each new row is the next cached row
 * whose non-slot ids it equals: the rows the reverse process kept), as a cache of `batch`
 * rows; null when some row matches none (then the cache is rebuilt).
 */
function narrowCache(c: Cache, ids: BigInt64Array, batch: number, length: number): Cache | null {
  const rows: number[] = []
  let r = 0
  for (let b = 0; b < batch; b++) {
    for (; r < c.batch; r++) {
      let same = true
      for (let p = 0; p < length && same; p++) if (!c.isSlot[r * length + p] && ids[b * length + p] !== c.ids[r * length + p]) same = false
      if (same) break
    }
    if (r === c.batch) return null
    rows.push(r++)
  }
  const pick = (t: ort.Tensor): ort.Tensor => expandRows(t, rows)
  const sel = <T extends BigInt64Array | Uint8Array>(a: T, width: number): T => {
    const out = new (a.constructor as new (n: number) => T)(batch * width)
    rows.forEach((old, b) => out.set(a.subarray(old * width, (old + 1) * width) as never, b * width))
    return out
  }
  return { batch, length, ids: sel(c.ids, length), positions: sel(c.positions, c.k), k: c.k, isSlot: sel(c.isSlot, length), keys: pick(c.keys), values: pick(c.values) }
}

/** Distinct rows of ids [batch, length]: the first row of each kind, and each row's index among them. */
export function distinctRows(ids: BigInt64Array, batch: number, length: number): { unique: number[]; rowOf: number[] } {
  const unique: number[] = []
  const rowOf: number[] = []
  for (let b = 0; b < batch; b++) {
    let found = -1
    for (let u = 0; u < unique.length && found < 0; u++) {
      const r = unique[u]
      let same = true
      for (let p = 0; p < length && same; p++) same = ids[b * length + p] === ids[r * length + p]
      if (same) found = u
    }
    if (found < 0) {
      found = unique.length
      unique.push(b)
    }
    rowOf.push(found)
  }
  return { unique, rowOf }
}

/** A [layers, rows, ...] tensor with row b taken from row rowOf[b] of `t`. */
function expandRows(t: ort.Tensor, rowOf: readonly number[]): ort.Tensor {
  const [L, B, ...rest] = t.dims
  const row = rest.reduce((x, y) => x * y, 1)
  const src = t.data as Float32Array
  const batch = rowOf.length
  const out = new Float32Array(L * batch * row)
  for (let l = 0; l < L; l++) rowOf.forEach((u, b) => out.set(src.subarray((l * B + u) * row, (l * B + u + 1) * row), (l * batch + b) * row))
  return new ort.Tensor('float32', out, [L, batch, ...rest])
}
