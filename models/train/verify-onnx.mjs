// Checks an exported model.onnx against the logits torch produced for the same input.
// Usage: node models/train/verify-onnx.mjs <model dir> <onnx_reference.json> [--tol 1e-3]
// Prints the max absolute difference; exits 1 above the tolerance or on a contract mismatch.
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
