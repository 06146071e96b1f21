/**
 * Measuring fills and bare model runs. Side effects live here: the engine process, the
 * in-process ONNX session, /proc.
 */
import { readFile } from 'node:fs/promises'
import type { FillRequest, FillResult } from '../main/contract'
import type { EngineClient } from '../main/engine/engine-client'
import type { OnnxDenoiser } from '../main/engine/onnx-denoiser'

export interface MeasuredFill {
  result: FillResult
  /** Request sent to result received, as the host sees it. */
  wallMs: number
  /** Slot tokens per span id, per candidate ([candidate][slot], -1 where never revealed). */
  slots: Map<string, Int32Array[]>
  steps: number
}

/** Runs one fill through the engine process, collecting every revealed slot from the step events. */
export async function fillThroughEngine(client: EngineClient, request: FillRequest): Promise<MeasuredFill> {
  const slots = new Map<string, Int32Array[]>()
  for (const s of request.spans)
    slots.set(
      s.id,
      Array.from({ length: request.settings.candidates }, () => new Int32Array(s.slots ?? 0).fill(-1)),
    )
  let steps = 0
  const started = performance.now()
  const { result } = client.fill(request, {
    onStep: (e) => {
      steps++
      for (const r of e.revealed) {
        const row = slots.get(r.spanId)?.[r.candidate]
        if (row && r.slot < row.length) row[r.slot] = r.tokenId
      }
    },
  })
  const done = await result
  return { result: done, wallMs: performance.now() - started, slots, steps }
}

/** Milliseconds of each of `passes` bare denoiser runs on `ids` [batch, length]. */
export async function bareRuns(denoiser: OnnxDenoiser, ids: BigInt64Array, batch: number, length: number, passes: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < passes; i++) {
    const t0 = performance.now()
    await denoiser.run(ids, batch, length)
    times.push(performance.now() - t0)
  }
  return times
}

/** The ids of a window repeated for each candidate row, as the engine feeds them. */
export function batchedIds(window: Int32Array, batch: number): BigInt64Array {
  const ids = new BigInt64Array(batch * window.length)
  for (let r = 0; r < batch; r++) for (let i = 0; i < window.length; i++) ids[r * window.length + i] = BigInt(window[i])
  return ids
}

export interface ProcessMemory {
  /** Peak resident set size (VmHWM), MiB. */
  peakRssMiB: number
  /** Resident set size now (VmRSS), MiB. */
  rssMiB: number
  source: string
}

/** Parses VmHWM / VmRSS (kB) out of a /proc/<pid>/status text. */
export function parseProcStatus(status: string): { hwmKiB: number; rssKiB: number } | null {
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  if (!hwm || !rss) return null
  return { hwmKiB: Number(hwm[1]), rssKiB: Number(rss[1]) }
}

/** Peak and current RSS of process `pid` from /proc (Linux), or null elsewhere. */
export async function processMemory(pid: number): Promise<ProcessMemory | null> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null)
  const parsed = text ? parseProcStatus(text) : null
  if (!parsed) return null
  return { peakRssMiB: parsed.hwmKiB / 1024, rssMiB: parsed.rssKiB / 1024, source: `/proc/${pid}/status VmHWM (peak resident set of the engine process)` }
}
