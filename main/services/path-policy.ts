/**
 * Which files a renderer may read or write through the host. A path is allowed when its
 * real location (symlinks resolved) lies inside the workspace folder (browser mode) or was
 * chosen by the writer in a native dialog (desktop). Everything else is refused: a
 * compromised renderer cannot reach arbitrary files, not through `..`, not through a link.
 */
import { promises as fs } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'

/** A path the policy refused; the message says what the writer can do instead. */
export class PathRefused extends Error {
  override name = 'PathRefused'
}

/**
 * The real location of `path`: symlinks resolved all the way. For a file that does not exist
 * yet, the nearest existing ancestor is resolved and the remaining names appended, so a link
 * anywhere above the new file is followed too.
 */
export async function realLocation(path: string): Promise<string> {
  const abs = resolve(path)
  try {
    return await fs.realpath(abs)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const parent = dirname(abs)
  if (parent === abs) return abs
  // A dangling link at `abs` itself: its own location (writes replace the link, never follow it).
  return join(await realLocation(parent), basename(abs))
}

/** True when `inner` is `outer` or lies below it (both absolute, already real). */
export function isWithin(outer: string, inner: string, allowSame = false): boolean {
  const rel = relative(outer, inner)
  if (rel === '') return allowSame
  return !isAbsolute(rel) && rel.split(/[\\/]/)[0] !== '..'
}

export class PathPolicy {
  /** Real paths the writer chose in a native dialog (desktop). */
  private readonly granted = new Set<string>()

  constructor(private readonly workspaceDir: string | null) {}

  /** Resolves a path the renderer sent; relative names resolve inside the workspace. */
  resolve(path: string): string {
    if (!isAbsolute(path) && this.workspaceDir) return resolve(this.workspaceDir, path)
    return resolve(path)
  }

  /** Records a path the writer chose in a native dialog (only the host calls this, never a request). */
  async grant(path: string): Promise<void> {
    this.granted.add(await realLocation(path))
  }

  /** Whether an already-real path is allowed. */
  private async allows(real: string): Promise<boolean> {
    if (this.granted.has(real)) return true
    if (!this.workspaceDir) return false
    return isWithin(await realLocation(this.workspaceDir), real)
  }

  /** Resolves (symlinks included) and checks; returns the real path or throws PathRefused saying what to do. */
  async check(path: string): Promise<string> {
    const real = await realLocation(this.resolve(path))
    if (!(await this.allows(real))) {
      throw new PathRefused(
        this.workspaceDir
          ? `"${path}" is outside the workspace folder ${this.workspaceDir} (links are followed); Infill only opens and saves files there in this mode.`
          : `"${path}" was not chosen in a file dialog; use File › Open… or Save As… to pick it.`,
      )
    }
    return real
  }
}
