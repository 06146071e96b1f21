/**
 * Which files of a Hub repository make an Infill model directory, and where each lands.
 * Pure: works on the repository's file listing. A repository in the Infill layout
 * (model.onnx at the top) or an Optimum / transformers.js export (onnx/model*.onnx) both
 * work; the chosen graph is saved as model.onnx, since the model contract names it so.
 */
import { z } from 'zod'
import { portableNameProblem, repoIdProblem } from './hub-names'

export const ModelVariant = z.enum(['int8', 'fp16', 'fp32'])
export type ModelVariant = z.infer<typeof ModelVariant>

/** One file of the repository listing (the fields of @huggingface/hub's ListFileEntry used here). */
export interface RepoFile {
  path: string
  size: number
  oid?: string
  lfs?: { oid: string; size: number }
}

/** One file to download: its path in the repository and its path in the model directory. */
export interface PlannedFile {
  repoPath: string
  localPath: string
  size: number
  /** Whether the model works without it (tokenizer_config.json, a manifest, ...). */
  optional: boolean
}

/** Graph files tried for each variant, best first. */
export const GRAPH_CANDIDATES: Record<ModelVariant, readonly string[]> = {
  fp32: ['model.onnx', 'onnx/model.onnx'],
  fp16: ['model_fp16.onnx', 'onnx/model_fp16.onnx'],
  int8: ['model_int8.onnx', 'onnx/model_int8.onnx', 'onnx/model_quantized.onnx', 'model_quantized.onnx'],
}

/** Files the model directory needs besides the graph. */
const REQUIRED = ['tokenizer.json'] as const
/** Files copied when the repository has them. */
const OPTIONAL = ['manifest.json', 'config.json', 'tokenizer_config.json', 'special_tokens_map.json', 'CARD.md', 'README.md', 'LICENSE'] as const

export class RepoLayoutError extends Error {
  override name = 'RepoLayoutError'
}

/**
 * The files to fetch for `variant`: the graph (saved as model.onnx), its external-data file
 * when it has one (kept under its own name, which the graph refers to), tokenizer.json, and
 * the manifest or config.json the engine reads. Throws RepoLayoutError saying what is missing.
 */
export function planFiles(listing: readonly RepoFile[], variant: ModelVariant, repoId: string): PlannedFile[] {
  const byPath = new Map(listing.map((f) => [f.path, f]))
  const graphPath = GRAPH_CANDIDATES[variant].find((p) => byPath.has(p))
  if (!graphPath) {
    const graphs = listing.filter((f) => f.path.endsWith('.onnx')).map((f) => f.path)
    throw new RepoLayoutError(
      graphs.length === 0
        ? `${repoId} has no ONNX graph (no .onnx file). Infill needs an ONNX export of a fill-mask model; pick a repository with an onnx/ folder.`
        : `${repoId} has no ${variant} graph (looked for ${GRAPH_CANDIDATES[variant].join(', ')}). It has: ${graphs.join(', ')}. Try --variant ${otherVariants(listing, variant).join(' or ') || 'fp32'}.`,
    )
  }
  const planned: PlannedFile[] = [{ repoPath: graphPath, localPath: 'model.onnx', size: sizeOf(byPath.get(graphPath)!), optional: false }]
  for (const suffix of ['_data', '.data']) {
    const data = byPath.get(graphPath + suffix)
    if (data) planned.push({ repoPath: data.path, localPath: basename(data.path), size: sizeOf(data), optional: false })
  }
  // The Infill layout: extra graphs beside model.onnx (manifest.json's "graphs", e.g.
  // model.positions.onnx) belong to that graph, so they come with it under their own names.
  if (graphPath === 'model.onnx') {
    const variantGraphs = new Set(Object.values(GRAPH_CANDIDATES).flat())
    for (const f of listing)
      if (!f.path.includes('/') && f.path.endsWith('.onnx') && !variantGraphs.has(f.path)) planned.push({ repoPath: f.path, localPath: f.path, size: sizeOf(f), optional: true })
  }
  for (const name of REQUIRED) {
    const file = byPath.get(name)
    if (!file) throw new RepoLayoutError(`${repoId} has no ${name} at its top level; Infill needs the tokenizer the model was trained with.`)
    planned.push({ repoPath: name, localPath: name, size: sizeOf(file), optional: false })
  }
  for (const name of OPTIONAL) {
    const file = byPath.get(name)
    if (file) planned.push({ repoPath: name, localPath: name, size: sizeOf(file), optional: true })
  }
  // Every name written into the model folder is one safe file name on every platform.
  for (const p of planned) {
    const problem = portableNameProblem(p.localPath)
    if (problem)
      throw new RepoLayoutError(`${repoId} lists a file "${p.repoPath}" whose name cannot be saved safely (${problem}); the download was not started.`)
  }
  if (!byPath.has('manifest.json') && !byPath.has('config.json'))
    throw new RepoLayoutError(`${repoId} has neither manifest.json nor config.json; the engine needs one of them to know the model's special tokens and length.`)
  return planned
}

/** Variants other than `variant` that the listing has a graph for. */
export function otherVariants(listing: readonly RepoFile[], variant: ModelVariant): ModelVariant[] {
  const paths = new Set(listing.map((f) => f.path))
  return ModelVariant.options.filter((v) => v !== variant && GRAPH_CANDIDATES[v].some((p) => paths.has(p)))
}

/** The byte size the Hub reports: the LFS object's size for LFS files (the entry's own size is the pointer's). */
export function sizeOf(file: RepoFile): number {
  return file.lfs?.size ?? file.size
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/**
 * "answerdotai/ModernBERT-base" and "int8" -> "answerdotai--ModernBERT-base-int8": a folder name.
 * One-to-one: a checked id (RepoId) has "--" only between owner and name, and the variant is
 * the last "-" part, so two repositories or variants never share a folder on a case-sensitive
 * file system (on others the manager reads the folder's infill-source.json to name its owner).
 */
export function installFolderName(repoId: string, variant: ModelVariant): string {
  const problem = repoIdProblem(repoId)
  if (problem) throw new Error(`"${repoId}" is not a repository id: ${problem}`)
  return `${repoId.replace('/', '--')}-${variant}`
}

export { RepoId, Revision } from './hub-names'
