/** Per-thread CPU time and peak memory of processes (Linux /proc), for the benchmarks' figures. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

/**
 * CPU time (user + system, ms) of each thread of this process by thread id, from Linux's
 * /proc/self/task (empty elsewhere); with `since`, the time spent after that reading.
 */
export function threadCpuMs (since?: Map<number, number>): Map<number, number> {
  const out = new Map<number, number>()
  let tids: string[]
  try {
    tids = readdirSync('/proc/self/task')
  } catch {
    return out
  }
  const tick = 10 // ms per clock tick (USER_HZ is 100 on Linux)
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8')
      // fields after the parenthesised name: state is field 3, utime 14, stime 15
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ms = (Number(f[11]) + Number(f[12])) * tick
      out.set(Number(t), ms - (since?.get(Number(t)) ?? 0))
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out
}

/** VmHWM (peak resident set) of process `pid` (this one by default) in bytes, or 0 when /proc does not tell. */
export function peakRssOf (pid: number | 'self' | undefined = 'self'): number {
  if (pid === undefined) return 0
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? 0 : Number(m[1]) * 1024
  } catch { return 0 }
}

/**
 * Resets this process's peak resident set to its current one (Linux: "5" to /proc/self/clear_refs),
 * so that `peakRssOf()` then tells the peak of what follows; false where that is not possible.
 */
export function resetPeakRss (): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return peakRssOf() > 0
  } catch { return false }
}
