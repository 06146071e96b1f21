// Checks an exported model.onnx against the logits torch produced for the same input, then
// each extra graph the manifest lists (`graphs`: positions, and the DualCache pair context +
// span) against the same torch logits at the reference's positions.
// Usage: node models/train/verify-onnx.mjs <model dir> <onnx_reference.json> [--tol 1e-3]
// Prints the max absolute difference per graph; exits 1 above the tolerance or on a contract mismatch.
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import ort from 'onnxruntime-node'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { tol: { type: 'string', default: '1e-3' } },
})
if (positionals.length !== 2) {
  console.error('usage: node models/train/verify-onnx.mjs <model dir> <onnx_reference.json> [--tol 1e-3]')
  process.exit(2)
}
const [modelDir, refPath] = positionals
const tol = Number(values.tol)
if (!Number.isFinite(tol) || tol <= 0) {
  console.error(`--tol must be a positive number, got ${values.tol}`)
  process.exit(2)
}

const ref = JSON.parse(fs.readFileSync(refPath, 'utf8'))
const buf = fs.readFileSync(path.join(path.dirname(refPath), ref.logits_file))
const expected = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)
const [batch, length, vocab] = ref.shape
if (expected.length !== batch * length * vocab) {
  console.error(`${ref.logits_file}: ${expected.length} floats, expected ${batch}x${length}x${vocab}`)
  process.exit(1)
}

const session = await ort.InferenceSession.create(path.join(modelDir, 'model.onnx'))
if (session.inputNames.join() !== 'input_ids' || session.outputNames.join() !== 'logits') {
  console.error(`contract mismatch: inputs ${session.inputNames}, outputs ${session.outputNames}`)
  process.exit(1)
}
const ids = BigInt64Array.from(ref.input_ids.flat().map((x) => BigInt(x)))
const out = await session.run({ input_ids: new ort.Tensor('int64', ids, [batch, length]) })
const logits = out.logits
if (logits.type !== 'float32' || logits.dims.join() !== [batch, length, vocab].join()) {
  console.error(`logits: got ${logits.type} [${logits.dims}], expected float32 [${batch},${length},${vocab}]`)
  process.exit(1)
}
let maxDiff = 0
for (let i = 0; i < expected.length; i++) {
  const d = Math.abs(logits.data[i] - expected[i])
  if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d
}
const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'manifest.json'), 'utf8'))
// the mask token must never be predicted
let maskMax = -Infinity
for (let p = 0; p < batch * length; p++) maskMax = Math.max(maskMax, logits.data[p * vocab + manifest.tokens.mask])
console.log(`onnx vs torch: max abs diff ${maxDiff.toExponential(3)} over ${expected.length} logits (tolerance ${tol}); max mask logit ${maskMax}`)
if (maxDiff > tol) {
  console.error('FAIL: ONNX output differs from torch beyond the tolerance')
  process.exit(1)
}
if (maskMax > -1000) {
  console.error('FAIL: the mask token logit is not pinned to a very negative value')
  process.exit(1)
}

// The extra graphs: logits at the reference positions, against torch's full logits there.
const graphs = manifest.graphs ?? {}
const names = Object.keys(graphs)
for (const n of names)
  if (!['positions', 'context', 'span'].includes(n)) {
    console.error(`FAIL: manifest.graphs has an unknown graph "${n}"`)
    process.exit(1)
  }
if (!graphs.context !== !graphs.span) {
  console.error('FAIL: manifest.graphs lists only one of context and span (they come as a pair)')
  process.exit(1)
}
if (names.length > 0 && !ref.positions) {
  console.error(`FAIL: ${refPath} has no positions to check the extra graphs at`)
  process.exit(1)
}
const k = ref.positions?.[0]?.length ?? 0
const positions = BigInt64Array.from((ref.positions ?? []).flat().map((x) => BigInt(x)))
const open = (file) => ort.InferenceSession.create(path.join(modelDir, file))
function checkAt(what, out) {
  if (!out || out.type !== 'float32' || out.dims.join() !== [batch, k, vocab].join()) {
    console.error(`FAIL: ${what}: got ${out?.type} [${out?.dims}], expected float32 [${batch},${k},${vocab}]`)
    process.exit(1)
  }
  let worst = 0
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < k; j++) {
      const p = ref.positions[b][j]
      for (let v = 0; v < vocab; v++) {
        const d = Math.abs(out.data[(b * k + j) * vocab + v] - expected[(b * length + p) * vocab + v])
        if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d
      }
    }
  console.log(`${what} vs torch: max abs diff ${worst.toExponential(3)} at ${batch}x${k} positions (tolerance ${tol})`)
  if (worst > tol) {
    console.error(`FAIL: ${what} differs from torch beyond the tolerance`)
    process.exit(1)
  }
}
const idsTensor = new ort.Tensor('int64', ids, [batch, length])
const posTensor = new ort.Tensor('int64', positions, [batch, k])
if (graphs.positions) {
  const g = await open(graphs.positions)
  checkAt(graphs.positions, (await g.run({ input_ids: idsTensor, positions: posTensor })).logits)
}
if (graphs.context && graphs.span) {
  const kv = await (await open(graphs.context)).run({ input_ids: idsTensor })
  const slotIds = BigInt64Array.from(ref.positions.flatMap((row, b) => row.map((p) => BigInt(ref.input_ids[b][p]))))
  const out = await (await open(graphs.span)).run({ slot_ids: new ort.Tensor('int64', slotIds, [batch, k]), positions: posTensor, keys: kv.keys, values: kv.values })
  checkAt(`${graphs.context} + ${graphs.span} (fresh cache)`, out.logits)
}
