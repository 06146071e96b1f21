// `npm run model:gpu-pack`: copies what a training run needs besides the code (the token
// streams, the validation text, the tokenizer and the corpus summary) from
// models/train/work/ into models/train/gpu-work/ (git-ignored, about 17 MB), to be carried
// to a GPU machine; models/train/GPU.md gives the run. The corpus itself stays here.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const from = path.join(here, 'work')
const to = path.join(here, 'gpu-work')
const files = ['valid.txt', 'corpus.json', 'train_ids.npy', 'valid_ids.npy', 'tok/spm.model', 'tok/spm.vocab']

const missing = files.filter((f) => !existsSync(path.join(from, f)))
if (missing.length) {
  console.error(`model:gpu-pack: ${missing.join(', ')} missing in ${from}; run \`npm run model:train -- --steps 0 --out models/dev\` first to fetch the corpus and build the tokenizer and token streams`)
  process.exit(1)
}
let bytes = 0
for (const f of files) {
  mkdirSync(path.dirname(path.join(to, f)), { recursive: true })
  copyFileSync(path.join(from, f), path.join(to, f))
  bytes += statSync(path.join(to, f)).size
}
console.log(`model:gpu-pack: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${path.relative(process.cwd(), to) || to}`)
