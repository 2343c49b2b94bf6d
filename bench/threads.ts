/** Per-thread CPU time of this process (Linux /proc), for the benchmarks' CPU splits. */
import { readdirSync, readFileSync } from 'node:fs'

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
