/**
 * Child process of the kill-during-save test (document-kill.test.ts): saves one document
 * over and over, each version's Markdown and sidecar naming the same version number, until
 * the test kills it. `--naive` saves the old way (Markdown, then sidecar, each atomic on its
 * own) so the test can show what its check catches.
 *
 *   node --import tsx main/services/document-kill-child.ts PATH FIRST_VERSION [--naive]
 */
import type { DocumentSidecar } from '../contract'
import { writeFileAtomic } from './atomic-write'
import { sidecarPath } from './document-files'
import { markdownHash, writeDocument } from './documents'

/** The Markdown of version `v`: its number first, then filler of a size that varies with v. */
export function versionText(v: number): string {
  return `version ${v}\n\n` + 'The tide came in over the stones. '.repeat(3000 + ((v * 7919) % 9000))
}

export function versionSidecar(v: number): DocumentSidecar {
  return { format: 'infill-sidecar', version: 1, markdownHash: '', doc: { type: 'doc', version: v, pad: 'x'.repeat(50_000 + ((v * 104729) % 200_000)) }, documentId: 'kill-test' }
}

async function main(): Promise<void> {
  const [path, first, mode] = process.argv.slice(2)
  let v = Number(first)
  process.stdout.write('saving\n')
  for (;;) {
    const text = versionText(v)
    if (mode === '--naive') {
      await writeFileAtomic(path, text)
      await writeFileAtomic(sidecarPath(path), JSON.stringify({ ...versionSidecar(v), markdownHash: markdownHash(text) }))
    } else {
      await writeDocument(path, text, versionSidecar(v), { ifExists: 'replace' })
    }
    v++
  }
}

if (process.argv[1] && /document-kill-child\.ts$/.test(process.argv[1])) void main()
