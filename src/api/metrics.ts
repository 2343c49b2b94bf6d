/**
 * Prometheus text exposition (format 0.0.4): a tiny writer, a histogram, and the process
 * metrics. No client library: the format is a few lines and the API must stay dependency-free.
 */

/** A histogram's state: `counts[i]` observations ≤ `bounds[i]` (non-cumulative), `counts[bounds.length]` above the last bound. */
export interface HistogramSnapshot {
  bounds: readonly number[]
  counts: readonly number[]
  sum: number
  count: number
}

/** A fixed-bucket histogram. */
export class Histogram {
  private readonly counts: number[]
  private sum = 0
  private count = 0
  constructor (readonly bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!((bounds[i] as number) > (bounds[i - 1] as number))) throw new RangeError('histogram bounds must increase')
    }
    this.counts = new Array<number>(bounds.length + 1).fill(0)
  }

  /** Records one value. */
  observe (v: number): void {
    let i = 0
    while (i < this.bounds.length && v > (this.bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + 1
    this.sum += v
    this.count++
  }

  /** A copy of the current state. */
  snapshot (): HistogramSnapshot {
    return { bounds: this.bounds, counts: [...this.counts], sum: this.sum, count: this.count }
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})?$/

/** Prometheus number formatting (+Inf, -Inf, NaN as the format spells them). */
function num (v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}

/** Builds one exposition document; each metric name gets one HELP/TYPE header. */
export class MetricsWriter {
  private readonly lines: string[] = []
  private readonly seen = new Set<string>()

  private header (name: string, type: string, help: string): void {
    if (this.seen.has(name)) return
    this.seen.add(name)
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`)
  }

  /** A gauge sample (`labels` already rendered as `{a="b"}` or empty). */
  gauge (name: string, help: string, value: number | bigint, labels = ''): this {
    this.header(name, 'gauge', help)
    this.lines.push(`${name}${labels} ${typeof value === 'bigint' ? value.toString() : num(value)}`)
    return this
  }

  /** A counter sample; by convention `name` ends in `_total`. */
  counter (name: string, help: string, value: number | bigint, labels = ''): this {
    this.header(name, 'counter', help)
    this.lines.push(`${name}${labels} ${typeof value === 'bigint' ? value.toString() : num(value)}`)
    return this
  }

  /** A histogram: cumulative `_bucket{le=…}` samples, `_sum`, `_count`. */
  histogram (name: string, help: string, h: HistogramSnapshot): this {
    this.header(name, 'histogram', help)
    let cumulative = 0
    h.bounds.forEach((b, i) => {
      cumulative += h.counts[i] ?? 0
      this.lines.push(`${name}_bucket{le="${num(b)}"} ${cumulative}`)
    })
    this.lines.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${num(h.sum)}`, `${name}_count ${h.count}`)
    return this
  }

  /**
   * Samples given as `name` or `name{label="v",…}` → value, each prefixed with `prefix`; typed
   * counter when the name ends in `_total`, else gauge. Malformed keys and non-finite values are
   * skipped (they come from another component and must not break the document).
   */
  external (prefix: string, samples: Record<string, number>, help: string): this {
    for (const key of Object.keys(samples).sort()) {
      const value = samples[key]
      const m = SAMPLE.exec(key)
      if (m === null || typeof value !== 'number' || !Number.isFinite(value)) continue
      const name = prefix + (m[1] as string)
      if (!NAME.test(name)) continue
      if (name.endsWith('_total')) this.counter(name, help, value, m[2] ?? '')
      else this.gauge(name, help, value, m[2] ?? '')
    }
    return this
  }

  /** The document. */
  toString (): string { return this.lines.join('\n') + '\n' }
}

/** Content type of the exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Process metrics under their conventional names; `lag` from a started event-loop delay monitor. */
export function processMetrics (w: MetricsWriter, lag?: { mean: number, max: number, percentile: (p: number) => number, count?: number }): void {
  const mem = process.memoryUsage()
  const cpu = process.cpuUsage()
  w.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', mem.rss)
  w.gauge('nodejs_heap_size_used_bytes', 'V8 heap used in bytes.', mem.heapUsed)
  w.gauge('nodejs_heap_size_total_bytes', 'V8 heap allocated in bytes.', mem.heapTotal)
  w.gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects, in bytes.', mem.external)
  w.counter('process_cpu_seconds_total', 'User and system CPU time spent, in seconds.', (cpu.user + cpu.system) / 1e6)
  w.gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', Math.round(Date.now() / 1000 - process.uptime()))
  if (lag !== undefined && (lag.count === undefined || lag.count > 0)) {
    // monitorEventLoopDelay reports nanoseconds
    w.gauge('nodejs_eventloop_lag_seconds', 'Event loop delay since the API started, in seconds.', lag.percentile(50) / 1e9, '{quantile="0.5"}')
    w.gauge('nodejs_eventloop_lag_seconds', 'Event loop delay since the API started, in seconds.', lag.percentile(99) / 1e9, '{quantile="0.99"}')
    w.gauge('nodejs_eventloop_lag_max_seconds', 'Largest event loop delay since the API started, in seconds.', lag.max / 1e9)
  }
}
