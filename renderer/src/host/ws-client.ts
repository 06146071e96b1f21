/**
 * Browser-mode implementation of the contract's InfillApi: requests and events travel as
 * JSON frames over one WebSocket to the local host (main/web/server.ts). The host
 * authenticates the connection with the per-run token cookie it set when the page loaded.
 */
import {
  MAX_MESSAGE_BYTES,
  WireMessage,
  events as eventSchemas,
  isEventChannel,
  type EventChannel,
  type EventPayload,
  type InfillApi,
  type RequestChannel,
  type RequestPayload,
  type RequestResult,
} from '../../../main/contract'

type Listener = (payload: unknown) => void

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/** Opens a WebSocket client for `url` (ws://127.0.0.1:PORT/ws) and returns the API over it. */
export function createWebSocketApi(url: string): InfillApi {
  const listeners = new Map<EventChannel, Set<Listener>>()
  const pending = new Map<number, Pending>()
  const outbox: string[] = []
  let nextId = 1
  let socket: WebSocket
  let open = false
  let closedError: Error | null = null

  const connect = (): void => {
    socket = new WebSocket(url)
    socket.addEventListener('open', () => {
      open = true
      closedError = null
      for (const frame of outbox.splice(0)) socket.send(frame)
    })
    socket.addEventListener('message', (ev) => onFrame(String(ev.data)))
    socket.addEventListener('close', () => {
      open = false
      closedError = new Error('The connection to the Infill host closed. Is `npm run serve` still running? Reload the page once it is.')
      for (const [id, p] of pending) {
        p.reject(closedError)
        pending.delete(id)
      }
    })
  }

  const onFrame = (text: string): void => {
    let msg: WireMessage
    try {
      msg = WireMessage.parse(JSON.parse(text))
    } catch {
      console.error('infill: ignored a malformed frame from the host')
      return
    }
    if (msg.kind === 'result') {
      const p = pending.get(msg.id)
      if (!p) return
      pending.delete(msg.id)
      if (msg.ok) p.resolve(msg.value)
      else p.reject(new Error(msg.error))
    } else if (msg.kind === 'event') {
      if (!isEventChannel(msg.channel)) return
      const parsed = eventSchemas[msg.channel].safeParse(msg.payload)
      if (!parsed.success) {
        console.error(`infill: ignored a malformed "${msg.channel}" event from the host`)
        return
      }
      for (const l of listeners.get(msg.channel) ?? []) l(parsed.data)
    }
  }

  connect()

  return {
    invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<RequestResult<C>> {
      if (closedError) return Promise.reject(closedError)
      const id = nextId++
      const frame = JSON.stringify({ kind: 'invoke', id, channel, payload })
      // The host closes the connection on a frame over the limit: refuse it here, sending nothing.
      if (frame.length * 3 > MAX_MESSAGE_BYTES) {
        const bytes = new TextEncoder().encode(frame).byteLength
        if (bytes > MAX_MESSAGE_BYTES) {
          return Promise.reject(
            new Error(`This "${channel}" request is ${(bytes / 1048576).toFixed(1)} MB; one message to the Infill host carries at most ${MAX_MESSAGE_BYTES / 1048576} MB. Nothing was sent.`),
          )
        }
      }
      return new Promise<RequestResult<C>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        if (open) socket.send(frame)
        else outbox.push(frame)
      })
    },
    on<C extends EventChannel>(channel: C, listener: (payload: EventPayload<C>) => void): () => void {
      let set = listeners.get(channel)
      if (!set) listeners.set(channel, (set = new Set()))
      set.add(listener as Listener)
      return () => set.delete(listener as Listener)
    },
  }
}
