/**
 * Which model directories `engine:loadModel` may open: the ones the writer chose (a native
 * folder dialog, the model manager, `--model` on the command line) and anything under the
 * models folders (the app's models/ and the user-data models/ folder the model manager
 * installs into). A renderer naming any other directory is refused before the engine reads
 * a byte of it, so loader messages never echo files from elsewhere.
 */
import { isWithin, PathRefused, realLocation } from './path-policy'

export class ModelDirectoryPolicy {
  private readonly chosen = new Set<string>()

  /** @param modelRoots folders whose subdirectories are always allowed (e.g. <app>/models, <userData>/models). */
  constructor(private readonly modelRoots: readonly string[]) {}

  /**
   * Allows one directory the writer chose outside the models folders. The model manager
   * (main/models) and the hosts call this; no renderer request does.
   */
  async allow(dir: string): Promise<void> {
    this.chosen.add(await realLocation(dir))
  }

  /** Resolves `dir` (symlinks included) and checks it; returns the real directory or throws PathRefused. */
  async check(dir: string): Promise<string> {
    const real = await realLocation(dir)
    if (this.chosen.has(real)) return real
    for (const root of this.modelRoots) {
      if (isWithin(await realLocation(root), real)) return real
    }
    throw new PathRefused(
      `Infill loads models only from its models folders (${this.modelRoots.join(', ')}) or a folder you chose; "${dir}" is neither. Install the model with the model manager or start Infill with --model DIR.`,
    )
  }
}
