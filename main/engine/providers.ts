/**
 * Execution providers: the GPU provider the platform offers first, CPU last; which one
 * is in use and why any preferred one was skipped is reported with the model.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
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

/**
 * Why a provider cannot work here without trying it, or undefined. The CUDA provider's
 * libraries are not part of the npm package (they are fetched by `npm run cuda:install`),
 * and trying without them only logs a loader error; WebGPU on Linux needs Vulkan.
 */
export function missingProviderLibraries(provider: string): string | undefined {
  if (provider === 'webgpu' && process.platform === 'linux') return missingVulkan(existsSync, process.env)
  if (provider !== 'cuda' || process.platform !== 'linux') return undefined
  let binDir: string
  try {
    binDir = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', 'linux', process.arch)
  } catch {
    return undefined
  }
  const missing = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'].filter((f) => !existsSync(join(binDir, f)))
  if (missing.length === 0) return undefined
  return 'the CUDA provider libraries are not installed (run `npm run cuda:install` on a networked Linux machine with an NVIDIA GPU and CUDA 12)'
}

/** Folders the Vulkan loader (libvulkan.so.1) is found in on common Linux distributions. */
const VULKAN_LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/usr/local/lib']
/** Folders holding Vulkan driver manifests (ICDs). */
const VULKAN_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d']

/**
 * Why the WebGPU provider cannot work on this Linux machine, or undefined. Its Dawn backend
 * needs the Vulkan loader and a Vulkan driver; without them, trying only prints
 * "Couldn't load Vulkan" at every engine start and then fails anyway. (Pure over `exists`
 * and `env`, for tests.)
 */
export function missingVulkan(exists: (path: string) => boolean, env: NodeJS.ProcessEnv): string | undefined {
  const libDirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...VULKAN_LIB_DIRS]
  if (!libDirs.some((d) => exists(join(d, 'libvulkan.so.1')))) return 'no Vulkan loader (libvulkan.so.1) is installed, which WebGPU needs on Linux'
  const icdListed = Boolean(env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || env.VK_ADD_DRIVER_FILES)
  if (!icdListed && !VULKAN_ICD_DIRS.some((d) => exists(d))) return 'no Vulkan driver (ICD) is installed, which WebGPU needs on Linux'
  return undefined
}

/**
 * ONNX Runtime's thread pools busy-wait for work between and after runs by default. The
 * engine runs the model in bursts with JS sampling in between, on machines shared with the
 * editor, so spinning threads only steal the cores the sampler and the next run need
 * (npm run bench, 2 busy cores: 1.7× faster session.run, 2× faster sampling without it).
 */
const NO_SPINNING = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } }

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
  precheck: (provider: string) => string | undefined = missingProviderLibraries,
): Promise<ProviderChoice> {
  const skipped: string[] = []
  let lastError: unknown
  for (const provider of providers) {
    const missing = precheck(provider)
    if (missing) {
      skipped.push(`${provider} unavailable: ${missing}`)
      lastError = new Error(missing)
      continue
    }
    try {
      // GPU attempts log only fatal errors: a missing CUDA library is an expected fallback.
      const logSeverityLevel = provider === 'cpu' ? 3 : 4
      const session = await create(modelPath, { executionProviders: [provider], graphOptimizationLevel: 'all', logSeverityLevel, extra: NO_SPINNING })
      return { session, provider, fallbackReason: skipped.length > 0 ? skipped.join('; ') : undefined }
    } catch (e) {
      lastError = e
      skipped.push(`${provider} unavailable: ${firstLine(e)}`)
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError))
}
