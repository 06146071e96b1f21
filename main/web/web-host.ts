/**
 * Browser-mode host: serves the built renderer and the main-process services over HTTP +
 * WebSocket on 127.0.0.1 only. Every request needs the per-run token (as `?token=` once,
 * then an HttpOnly SameSite=Strict cookie named after this instance's port); requests with
 * a foreign Host or Origin header are refused, which also defeats DNS rebinding.
 *
 * Nothing a client sends ends the process: every socket has an error handler, a bad frame
 * (too large, invalid UTF-8, reserved bits, unknown opcode, binary, not JSON) closes only
 * that connection with a close code and reason, and each connection has a bounded number
 * of requests in flight (its socket is paused beyond that).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, promises as fs } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { pipeline } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  MAX_MESSAGE_BYTES,
  WireMessage,
  isRequestChannel,
  parseRequest,
  type EventChannel,
  type EventPayload,
  type RequestHandlers,
  type SenderContext,
} from '../contract'

export interface WebHostOptions {
  /** Folder of the built renderer (out/renderer). */
  rendererDir: string
  handlers: RequestHandlers
  /** 0 picks a free port. */
  port?: number
  /** Fixed token (tests); otherwise 32 random bytes. */
  token?: string
  /** A connection closed (its fills are cancelled by the services). */
  onConnectionClosed?: (senderId: string) => void
  /** Largest WebSocket message in bytes (default MAX_FRAME_BYTES). */
  maxFrameBytes?: number
}

export interface WebHost {
  url: string
  port: number
  token: string
  /** Name of the token cookie: carries the port, so two instances on 127.0.0.1 never share or overwrite it. */
  cookieName: string
  /** Sends an event to every connected page. */
  broadcast<C extends EventChannel>(channel: C, payload: EventPayload<C>): void
  close(): Promise<void>
}

/**
 * Largest WebSocket message (one request): the contract's MAX_MESSAGE_BYTES, which the
 * renderer checks before sending (a document whose save would be larger is refused there).
 */
export const MAX_FRAME_BYTES = MAX_MESSAGE_BYTES
/** Requests one connection may have in flight before its socket is paused (bounds the host's memory). */
export const MAX_IN_FLIGHT_PER_CONNECTION = 4
/** Open WebSocket connections at once (every tab of the app is one). */
export const MAX_CONNECTIONS = 32

/** The token cookie's name for the instance listening on `port`. */
export function cookieNameFor(port: number): string {
  return `infill_token_${port}`
}

/** Close reasons for the codes ws closes with after a bad frame (the client reads the reason). */
function closeReasons(maxFrameBytes: number): Record<number, string> {
  return {
    1002: 'protocol error: malformed frame, reserved bits or unknown opcode',
    1007: 'invalid UTF-8 in a text frame',
    1009: `message over ${Math.round(maxFrameBytes / 1048576)} MiB (the limit for one request)`,
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(32).toString('base64url')
  const rendererDir = resolve(options.rendererDir)
  const maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES
  const reasons = closeReasons(maxFrameBytes)
  await fs.access(join(rendererDir, 'index.html')).catch(() => {
    throw new Error(`The renderer is not built: ${join(rendererDir, 'index.html')} is missing. Run \`npm run build\` first.`)
  })
  const sockets = new Set<WebSocket>()
  let port = 0
  let cookieName = cookieNameFor(0)

  const allowedHosts = (): Set<string> => new Set([`127.0.0.1:${port}`, `localhost:${port}`])
  const allowedOrigins = (): Set<string> => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`])

  /** Why a request is refused, or null when it may proceed. */
  const refusal = (req: IncomingMessage): { status: number; reason: string } | null => {
    if (!req.headers.host || !allowedHosts().has(req.headers.host.toLowerCase())) {
      return { status: 421, reason: 'foreign Host header refused' }
    }
    const origin = req.headers.origin
    if (origin !== undefined && !allowedOrigins().has(origin.toLowerCase())) {
      return { status: 403, reason: 'foreign Origin refused' }
    }
    return null
  }

  const tokenMatches = (candidate: string | undefined | null): boolean => {
    if (!candidate) return false
    const a = Buffer.from(candidate)
    const b = Buffer.from(token)
    return a.length === b.length && timingSafeEqual(a, b)
  }

  /**
   * Whether any cookie named for this instance carries the token. Every one is checked, not the
   * first: a page on another 127.0.0.1 port can set a cookie of the same name (cookies do not
   * keep ports apart), and with a narrower Path the browser sends it first. Such a decoy is
   * ignored, so it cannot lock the writer out.
   */
  const cookieHasToken = (req: IncomingMessage): boolean => {
    let found = false
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=')
      if (eq < 0 || part.slice(0, eq).trim() !== cookieName) continue
      if (tokenMatches(part.slice(eq + 1).trim())) found = true
    }
    return found
  }

  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type })
    res.end(body)
  }

  const server = createServer((req, res) => {
    void (async () => {
      const refused = refusal(req)
      if (refused) return send(res, refused.status, `${refused.reason}\n`)
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
      const queryToken = url.searchParams.get('token')
      if (tokenMatches(queryToken)) {
        // Trade the token in the address for a cookie, and drop it from the address bar. The
        // redirect always goes to the app's root: a path such as `/a/..//evil.example/` would
        // otherwise normalize to a protocol-relative address on another origin.
        res.writeHead(303, {
          ...SECURITY_HEADERS,
          'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          Location: '/',
        })
        return res.end()
      }
      if (!cookieHasToken(req)) {
        return send(res, 403, 'Forbidden: open the address printed by `npm run serve` (it carries this run\'s token).\n')
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n')
      let decoded: string
      try {
        decoded = decodeURIComponent(url.pathname)
      } catch {
        return send(res, 400, 'bad request: malformed percent-encoding in the path\n')
      }
      const rel = url.pathname === '/' ? 'index.html' : decoded.replace(/^\/+/, '')
      const file = normalize(join(rendererDir, rel))
      if (!file.startsWith(rendererDir + sep)) return send(res, 404, 'not found\n')
      const stat = await fs.stat(file).catch(() => null)
      if (!stat?.isFile()) return send(res, 404, 'not found\n')
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': stat.size,
      })
      if (req.method === 'HEAD') return res.end()
      pipeline(createReadStream(file), res, () => undefined)
    })().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `internal error: ${String(err)}\n`)
      else res.destroy()
    })
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes })
  wss.on('error', (err) => console.error(`Infill web host: WebSocket server error: ${err.message}`))
  // Sockets still upgrading, not yet known to the ws server.
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })

  server.on('upgrade', (req, socket: Socket, head) => {
    socket.on('error', () => socket.destroy())
    const refused = refusal(req)
    const path = new URL(req.url ?? '/', `http://127.0.0.1:${port}`).pathname
    const reason =
      refused?.reason ??
      (path !== '/ws'
        ? 'not found'
        : !req.headers.origin
          ? 'missing Origin'
          : !cookieHasToken(req)
            ? 'missing or wrong token'
            : sockets.size >= MAX_CONNECTIONS
              ? `too many open connections (${MAX_CONNECTIONS}); close other Infill tabs`
              : null)
    if (reason) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${reason}\n`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  let connectionCount = 0
  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws)
    // ws closes after a bad frame with a bare code; give the client the reason too.
    const close = ws.close.bind(ws)
    ws.close = (code?: number, reason?: string | Buffer) => close(code, reason ?? (code ? reasons[code] : undefined))
    // Without this listener a bad frame's 'error' event would end the whole process.
    ws.on('error', () => undefined)
    const sender: SenderContext = {
      id: `ws-${++connectionCount}`,
      emit: (channel, payload) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ kind: 'event', channel, payload }))
      },
    }
    let inFlight = 0
    ws.on('close', () => {
      sockets.delete(ws)
      options.onConnectionClosed?.(sender.id)
    })
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        ws.close(1003, 'binary frames are not accepted: send JSON text')
        return
      }
      if (++inFlight >= MAX_IN_FLIGHT_PER_CONNECTION) ws.pause()
      void handleFrame(String(data), sender, ws).finally(() => {
        if (--inFlight < MAX_IN_FLIGHT_PER_CONNECTION && ws.isPaused && ws.readyState === ws.OPEN) ws.resume()
      })
    })
  })

  const handleFrame = async (text: string, sender: SenderContext, ws: WebSocket): Promise<void> => {
    let msg: WireMessage
    try {
      msg = WireMessage.parse(JSON.parse(text))
    } catch {
      ws.close(1003, 'malformed frame: expected a JSON message of the contract')
      return
    }
    if (msg.kind !== 'invoke') return
    const reply = (body: object): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ kind: 'result', id: msg.id, ...body }))
    }
    try {
      if (!isRequestChannel(msg.channel)) throw new Error(`unknown request channel "${msg.channel}"`)
      const channel = msg.channel
      const payload = parseRequest(channel, msg.payload)
      const handler = options.handlers[channel] as (p: unknown, s: SenderContext) => Promise<unknown>
      const value = await handler(payload, sender)
      reply({ ok: true, value: value ?? null })
    } catch (err) {
      reply({ ok: false, error: err instanceof Error ? err.message : String(err) })
    }
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen())
  })
  port = (server.address() as AddressInfo).port
  cookieName = cookieNameFor(port)

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    cookieName,
    broadcast: (channel, payload) => {
      const frame = JSON.stringify({ kind: 'event', channel, payload })
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(frame)
    },
    close: async () => {
      for (const ws of sockets) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
