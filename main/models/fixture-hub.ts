/**
 * A local stand-in for the Hugging Face Hub, serving fixture repositories in the Hub's URL
 * layout on 127.0.0.1, for the model manager's tests and e2e spec:
 *
 *   GET /api/models/{owner}/{name}/revision/{rev}      model info (sha = the commit)
 *   GET /api/models/{owner}/{name}/tree/{rev}[/{dir}]  file listing (oid, size, lfs {oid, size})
 *   GET /{owner}/{name}/resolve/{rev}/{path}           the file; Range requests answer 206 with
 *                                                       Content-Range; headers X-Repo-Commit, ETag,
 *                                                       and for LFS files X-Linked-Etag, X-Linked-Size
 *
 * Faults for tests: cut a file's response after N bytes (a dropped connection), serve a
 * file with one byte flipped (corruption), throttle (so a download can be watched or cancelled).
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join, relative } from 'node:path'
import { bytesChecksum } from './checksums'

/** Files at least this large are served as LFS files (the Hub stores large and binary files in LFS). */
const LFS_FROM_BYTES = 10_000

export interface FixtureRepo {
  commit: string
  files: Map<string, Buffer>
}

export interface HubFaults {
  /** Close the connection after this many body bytes of the named file (once per entry, then cleared). */
  cutAfter?: { path: string; bytes: number } | null
  /** Flip one byte in the middle of the named file's content as served (the listing keeps the true checksum). */
  corrupt?: string | null
  /** Bytes per second for file bodies (0 = unthrottled). */
  bytesPerSecond?: number
}

export interface RequestLogEntry {
  method: string
  url: string
  range: string | null
}

export class FixtureHub {
  readonly repos = new Map<string, FixtureRepo>()
  readonly log: RequestLogEntry[] = []
  faults: HubFaults = {}
  private server: Server | null = null

  /** Adds a repository whose files are the files of `dir` (recursively), optionally renamed by `rename`. */
  addRepoFromDir(repoId: string, dir: string, rename: Record<string, string> = {}): FixtureRepo {
    const files = new Map<string, Buffer>()
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const full = join(d, name)
        if (statSync(full).isDirectory()) walk(full)
        else {
          const rel = relative(dir, full).split('\\').join('/')
          files.set(rename[rel] ?? rel, readFileSync(full))
        }
      }
    }
    walk(dir)
    return this.addRepo(repoId, files)
  }

  addRepo(repoId: string, files: Map<string, Buffer>): FixtureRepo {
    const repo = { commit: randomBytes(20).toString('hex'), files }
    this.repos.set(repoId, repo)
    return repo
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err))
        else res.destroy()
      })
    })
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r))
    return this.url
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null
    if (!address) throw new Error('the fixture hub is not running')
    return `http://127.0.0.1:${address.port}`
  }

  async stop(): Promise<void> {
    if (!this.server) return
    this.server.closeAllConnections()
    await new Promise<void>((r) => this.server!.close(() => r()))
    this.server = null
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    this.log.push({ method: req.method ?? 'GET', url: url.pathname, range: req.headers.range ?? null })
    const path = decodeURIComponent(url.pathname)
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path)
    if (m) return this.modelInfo(res, m[1], m[2])
    m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path)
    if (m) return this.tree(res, m[1], m[2], m[3] ?? '', url.searchParams.get('recursive') === 'true')
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path)
    if (m) return this.resolveFile(req, res, m[1], m[2], m[3])
    this.json(res, 404, { error: 'Not found' })
  }

  private repoAt(res: ServerResponse, repoId: string, rev: string): FixtureRepo | null {
    const repo = this.repos.get(repoId)
    if (!repo) {
      res.setHeader('X-Error-Code', 'RepoNotFound')
      this.json(res, 404, { error: 'Repository not found' })
      return null
    }
    if (rev !== 'main' && rev !== 'HEAD' && rev !== repo.commit) {
      res.setHeader('X-Error-Code', 'RevisionNotFound')
      this.json(res, 404, { error: `Invalid rev id: ${rev}` })
      return null
    }
    return repo
  }

  private modelInfo(res: ServerResponse, repoId: string, rev: string): void {
    const repo = this.repoAt(res, repoId, rev)
    if (!repo) return
    this.json(res, 200, {
      _id: repo.commit.slice(0, 24),
      id: repoId,
      sha: repo.commit,
      private: false,
      gated: false,
      pipeline_tag: 'fill-mask',
      downloads: 0,
      likes: 0,
      lastModified: '2026-01-01T00:00:00.000Z',
      siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
    })
  }

  private tree(res: ServerResponse, repoId: string, rev: string, dir: string, recursive: boolean): void {
    const repo = this.repoAt(res, repoId, rev)
    if (!repo) return
    const prefix = dir ? `${dir}/` : ''
    const entries: unknown[] = []
    const dirs = new Set<string>()
    for (const [path, bytes] of repo.files) {
      if (!path.startsWith(prefix)) continue
      const rest = path.slice(prefix.length)
      if (!recursive && rest.includes('/')) {
        dirs.add(prefix + rest.split('/')[0])
        continue
      }
      for (let i = rest.indexOf('/'); i >= 0; i = rest.indexOf('/', i + 1)) dirs.add(prefix + rest.slice(0, i))
      const gitOid = bytesChecksum(bytes, 'git-sha1')
      const lfs = bytes.length >= LFS_FROM_BYTES
      entries.push({
        type: 'file',
        path,
        size: bytes.length,
        oid: lfs ? bytesChecksum(Buffer.from(pointerOf(bytes)), 'git-sha1') : gitOid,
        ...(lfs ? { lfs: { oid: bytesChecksum(bytes, 'sha256'), size: bytes.length, pointerSize: pointerOf(bytes).length } } : {}),
      })
    }
    for (const d of dirs) entries.push({ type: 'directory', path: d, size: 0, oid: bytesChecksum(Buffer.from(d), 'git-sha1') })
    this.json(res, 200, entries)
  }

  private async resolveFile(req: IncomingMessage, res: ServerResponse, repoId: string, rev: string, path: string): Promise<void> {
    const repo = this.repoAt(res, repoId, rev)
    if (!repo) return
    const stored = repo.files.get(path)
    if (!stored) {
      res.setHeader('X-Error-Code', 'EntryNotFound')
      this.json(res, 404, { error: 'Entry not found' })
      return
    }
    let bytes = stored
    if (this.faults.corrupt === path) {
      bytes = Buffer.from(stored)
      bytes[bytes.length >> 1] ^= 0xff
    }
    const total = bytes.length
    const lfs = total >= LFS_FROM_BYTES
    const etag = `"${lfs ? bytesChecksum(stored, 'sha256') : bytesChecksum(stored, 'git-sha1')}"`
    res.setHeader('X-Repo-Commit', repo.commit)
    res.setHeader('ETag', etag)
    res.setHeader('Accept-Ranges', 'bytes')
    res.setHeader('Content-Type', 'application/octet-stream')
    if (lfs) {
      res.setHeader('X-Linked-Etag', etag)
      res.setHeader('X-Linked-Size', String(total))
    }
    let start = 0
    let end = total - 1
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
    if (range) {
      start = Number(range[1])
      end = range[2] ? Math.min(Number(range[2]), total - 1) : total - 1
      if (start >= total || start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${total}` }).end()
        return
      }
      res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${total}`, 'Content-Length': String(end - start + 1) })
    } else {
      res.writeHead(200, { 'Content-Length': String(total) })
    }
    if (req.method === 'HEAD') return void res.end()
    let body = bytes.subarray(start, end + 1)
    const cut = this.faults.cutAfter
    const cutHere = cut && cut.path === path && end - start + 1 > 1 ? cut.bytes : null
    if (cutHere !== null) {
      this.faults.cutAfter = null
      body = body.subarray(0, cutHere)
    }
    await this.send(res, body)
    if (cutHere !== null) {
      // Close the connection mid-body once what was written has gone out, as a dropped network would.
      res.socket?.end()
    } else res.end()
  }

  private async send(res: ServerResponse, body: Buffer): Promise<void> {
    const rate = this.faults.bytesPerSecond ?? 0
    const chunk = rate > 0 ? Math.max(1024, Math.floor(rate / 20)) : 1 << 20
    for (let off = 0; off < body.length; off += chunk) {
      if (res.destroyed) return
      const piece = body.subarray(off, off + chunk)
      await new Promise<void>((r, reject) => res.write(piece, (err) => (err ? reject(err) : r())))
      if (rate > 0) await new Promise((r) => setTimeout(r, (piece.length / rate) * 1000))
    }
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    const text = JSON.stringify(value)
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) }).end(text)
  }
}

/**
 * A model directory's files in the Hub's ONNX export layout: its contract graph as
 * onnx/model_int8.onnx, tokenizer and manifest at the top. Extra graphs (manifest "graphs")
 * are left out and dropped from the manifest: an export repository has only the one graph.
 */
export function onnxExportLayout(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>()
  files.set('onnx/model_int8.onnx', readFileSync(join(dir, 'model.onnx')))
  for (const name of readdirSync(dir)) {
    const full = join(dir, name)
    if (name.endsWith('.onnx') || !statSync(full).isFile()) continue
    if (name === 'manifest.json') {
      const manifest = JSON.parse(readFileSync(full, 'utf8')) as Record<string, unknown>
      delete manifest.graphs
      files.set(name, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`))
    } else files.set(name, readFileSync(full))
  }
  return files
}

/** A git LFS pointer of `bytes` (what git stores in place of the content; its version line shortened). */
function pointerOf(bytes: Buffer): string {
  return `version git-lfs/spec/v1\noid sha256:${bytesChecksum(bytes, 'sha256')}\nsize ${bytes.length}\n`
}
