/**
 * A stand-in engine process for the round-two hostile suite: it speaks the engine protocol
 * (loads any folder after a short pause, answers cancel, exits on shutdown) but loads no
 * model, so a test can start many of them cheaply and count which are still running. It does
 * not end itself when its host goes (the real engine does; hostile-round2 checks that on
 * the real one), so whether a host ends its engines is what the suite measures. It stops by
 * itself after 60 s at the latest.
 */
import type { FromEngine, ToEngine } from '../engine/protocol'

const send = (msg: FromEngine): void => {
  if (process.connected) process.send?.(msg)
}
setTimeout(() => process.exit(0), 60_000)
process.on('disconnect', () => undefined)
process.on('message', (raw) => {
  const msg = raw as ToEngine
  if (msg.type === 'load') {
    setTimeout(() => {
      const model = { name: 'stand-in', family: 'mdlm' as const, dir: msg.dir, maxLength: 128, vocabSize: 100, hash: '0', provider: 'cpu' }
      send({ type: 'state', state: { status: 'ready', model, queued: 0 } })
      send({ type: 'loaded', dir: msg.dir, model })
    }, 150)
  } else if (msg.type === 'cancel') {
    send({ type: 'error', error: { requestId: msg.requestId, message: 'Cancelled.', cancelled: true } })
  } else if (msg.type === 'shutdown') {
    process.exit(0)
  }
})
