/**
 * The model manager's own small file in the user-data folder (models.json): folders the
 * writer added and the model chosen as active, so the next start loads it. Written
 * atomically (temporary file + rename); an unreadable file is treated as empty and
 * replaced on the next change, never crashes the app.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../services/atomic-write'

export const ModelRegistryFile = z.object({
  version: z.literal(1),
  added: z.array(z.string()),
  active: z.string().nullable(),
})
export type ModelRegistryFile = z.infer<typeof ModelRegistryFile>

const EMPTY: ModelRegistryFile = { version: 1, added: [], active: null }

export function registryPath(userDataDir: string): string {
  return join(userDataDir, 'models.json')
}

/** The user-data folder's models/: where downloads are installed (one definition, in services/user-data). */
export { userModelsDir } from '../services/user-data'

export async function readRegistry(path: string): Promise<ModelRegistryFile> {
  try {
    const parsed = ModelRegistryFile.safeParse(JSON.parse(await readFile(path, 'utf8')))
    return parsed.success ? parsed.data : { ...EMPTY }
  } catch {
    return { ...EMPTY }
  }
}

export async function writeRegistry(path: string, registry: ModelRegistryFile): Promise<void> {
  // A new temporary file at an unpredictable name, never written through a link (atomic-write.ts).
  await writeFileAtomic(path, `${JSON.stringify(registry, null, 2)}\n`)
}
