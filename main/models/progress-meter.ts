/**
 * Download progress as a writer reads it: bytes done of bytes total, the recent transfer
 * rate and the time left at that rate. Pure: the caller passes the clock.
 */

export interface ProgressFigures {
  bytesDone: number
  bytesTotal: number
  /** Bytes per second over the last few seconds; null until two samples span some time. */
  bytesPerSecond: number | null
  /** Seconds left at the recent rate; null while the rate is unknown or zero. */
  secondsLeft: number | null
}

interface Sample {
  at: number
  bytes: number
}

/** Keeps the samples of the last `windowMs` and derives rate and time left from them. */
export class ProgressMeter {
  private samples: Sample[] = []

  constructor(
    readonly bytesTotal: number,
    private bytesDone = 0,
    private readonly windowMs = 5_000,
  ) {}

  /** Records that `bytes` more arrived at time `now` (ms); returns the figures after it. */
  add(bytes: number, now: number): ProgressFigures {
    this.bytesDone += bytes
    this.samples.push({ at: now, bytes: this.bytesDone })
    while (this.samples.length > 2 && now - this.samples[0].at > this.windowMs) this.samples.shift()
    return this.figures()
  }

  figures(): ProgressFigures {
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    const span = first && last ? last.at - first.at : 0
    const rate = span > 0 ? ((last.bytes - first.bytes) * 1000) / span : null
    const left = Math.max(0, this.bytesTotal - this.bytesDone)
    return {
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      bytesPerSecond: rate,
      secondsLeft: rate && rate > 0 ? left / rate : left === 0 ? 0 : null,
    }
  }
}

/** "151.3 MB", "4.0 kB", "12 B" (decimal units, as the Hub shows sizes). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let i = 0
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000
    i++
  }
  return i === 0 ? `${value} B` : `${value.toFixed(1)} ${units[i]}`
}

/** "2 min 5 s", "40 s", "1 h 3 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}
