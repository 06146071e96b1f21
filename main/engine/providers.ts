/**
 * Execution providers: the GPU provider the platform offers first, CPU last; which one
 * is in use and why any preferred one was skipped is reported with the model.
 */
import * as ort from 'onnxruntime-node'

/** Providers to try, in order, for a platform (pure; `listed` = listSupportedBackends names). */
export function preferredProviders(platform: string, arch: string, listed: readonly string[]): string[] {
  const gpu: string[] = []
  if (platform === 'linux' && arch === 'x64') gpu.push('cuda')
  if (platform === 'win32') gpu.push('dml')
  if (platform === 'darwin') gpu.push('coreml')
  if (listed.includes('webgpu')) gpu.push('webgpu')
  return [...gpu, 'cpu']
}

/** Names of the backends this onnxruntime-node build lists. */
export function listedBackends(): string[] {
  try {
    return ort.listSupportedBackends().map((b) => b.name)
  } catch {
    return ['cpu']
  }
}

export type CreateSession = (modelPath: string, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>

export interface ProviderChoice {
  session: ort.InferenceSession
  provider: string
  /** Why the providers before `provider` were not used. */
  fallbackReason?: string
}

/** First line of an error message, trimmed, for a compact fallback reason. */
function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  return msg.split('\n')[0].trim().slice(0, 300)
}

/**
 * Creates a session on the first provider that works. Throws the CPU error when even the
 * CPU provider fails (the model file itself is then at fault).
 */
export async function createSessionWithFallback(
  modelPath: string,
  providers: readonly string[],
  create: CreateSession = (p, o) => ort.InferenceSession.create(p, o),
): Promise<ProviderChoice> {
  const skipped: string[] = []
  let lastError: unknown
  for (const provider of providers) {
    try {
      // GPU attempts log only fatal errors: a missing CUDA library is an expected fallback.
      const logSeverityLevel = provider === 'cpu' ? 3 : 4
      const session = await create(modelPath, { executionProviders: [provider], graphOptimizationLevel: 'all', logSeverityLevel })
      return { session, provider, fallbackReason: skipped.length > 0 ? skipped.join('; ') : undefined }
    } catch (e) {
      lastError = e
      skipped.push(`${provider} unavailable: ${firstLine(e)}`)
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError))
}
