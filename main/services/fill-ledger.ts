/**
 * Who started which fill: the per-connection rules of the fill queue. A connection (a
 * browser-mode WebSocket or a desktop window) may have only a few fills waiting at once,
 * all connections together only so much queued text, only the connection that started a
 * fill may cancel it, and a connection's fills are cancelled when it closes. Pure
 * bookkeeping: the request handlers consult it and call the engine.
 */

/** Fills one connection may have queued or running at once. */
export const MAX_FILLS_PER_CONNECTION = 4
/** Characters of fill text all connections together may have queued or running. */
export const MAX_QUEUED_FILL_CHARS = 12_000_000

/** A refused fill or cancel; the message says what the writer can do. */
export class FillRefused extends Error {
  override name = 'FillRefused'
}

export interface FillLedgerLimits {
  perConnection?: number
  queuedChars?: number
}

export class FillLedger {
  private readonly owner = new Map<string, { sender: string; chars: number }>()
  private readonly bySender = new Map<string, Set<string>>()
  private chars = 0
  private readonly perConnection: number
  private readonly queuedChars: number

  constructor(limits: FillLedgerLimits = {}) {
    this.perConnection = limits.perConnection ?? MAX_FILLS_PER_CONNECTION
    this.queuedChars = limits.queuedChars ?? MAX_QUEUED_FILL_CHARS
  }

  /** Records a new fill for `sender`; throws FillRefused when a limit or a duplicate id stands in the way. */
  admit(sender: string, requestId: string, textChars: number): void {
    if (this.owner.has(requestId)) {
      throw new FillRefused(`A fill with id "${requestId}" is already queued or running; use a new request id.`)
    }
    const mine = this.bySender.get(sender) ?? new Set<string>()
    if (mine.size >= this.perConnection) {
      throw new FillRefused(
        `This window already has ${mine.size} fills waiting or running (the limit is ${this.perConnection}); wait for one to finish or cancel one.`,
      )
    }
    if (this.chars + textChars > this.queuedChars) {
      throw new FillRefused(
        `The engine's queue is full (${this.chars} characters of text waiting, limit ${this.queuedChars}); wait for the fills ahead to finish.`,
      )
    }
    mine.add(requestId)
    this.bySender.set(sender, mine)
    this.owner.set(requestId, { sender, chars: textChars })
    this.chars += textChars
  }

  /** Forgets a fill that finished, failed or was cancelled (unknown ids are ignored). */
  settle(requestId: string): void {
    const entry = this.owner.get(requestId)
    if (!entry) return
    this.owner.delete(requestId)
    this.chars -= entry.chars
    const mine = this.bySender.get(entry.sender)
    mine?.delete(requestId)
    if (mine?.size === 0) this.bySender.delete(entry.sender)
  }

  /** Throws FillRefused unless `sender` started `requestId` (a fill that already ended is fine: nothing to cancel). */
  assertMayCancel(sender: string, requestId: string): boolean {
    const entry = this.owner.get(requestId)
    if (!entry) return false
    if (entry.sender !== sender) throw new FillRefused(`Fill "${requestId}" was started by another window; only that window may cancel it.`)
    return true
  }

  /** The fills `sender` has waiting or running (to cancel when it closes). */
  fillsOf(sender: string): string[] {
    return [...(this.bySender.get(sender) ?? [])]
  }

  /** Fills and characters outstanding, for tests and diagnostics. */
  totals(): { fills: number; chars: number } {
    return { fills: this.owner.size, chars: this.chars }
  }
}
