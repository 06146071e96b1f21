/**
 * Which files a renderer may read or write through the host. A path is allowed when it lies
 * inside the workspace folder (browser mode) or was handed out by a native dialog or
 * recovery (desktop). Everything else is refused: a compromised renderer cannot reach
 * arbitrary files.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path'

export class PathPolicy {
  private readonly granted = new Set<string>()

  constructor(private readonly workspaceDir: string | null) {}

  /** Resolves a path the renderer sent; relative names resolve inside the workspace. */
  resolve(path: string): string {
    if (!isAbsolute(path) && this.workspaceDir) return resolve(this.workspaceDir, path)
    return resolve(path)
  }

  grant(path: string): void {
    this.granted.add(resolve(path))
  }

  isAllowed(path: string): boolean {
    const abs = resolve(path)
    if (this.granted.has(abs)) return true
    if (!this.workspaceDir) return false
    const rel = relative(resolve(this.workspaceDir), abs)
    return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.includes(`..${sep}`)
  }

  /** Resolves and checks; throws with what the writer can do instead. */
  check(path: string): string {
    const abs = this.resolve(path)
    if (!this.isAllowed(abs)) {
      throw new Error(
        this.workspaceDir
          ? `"${path}" is outside the workspace folder ${this.workspaceDir}; Infill only opens and saves files there in this mode.`
          : `"${path}" was not chosen in a file dialog; use File › Open… or Save As… to pick it.`,
      )
    }
    return abs
  }
}
