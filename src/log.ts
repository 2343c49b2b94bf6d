/**
 * Structured logs: one line per event, `text` for people or `json` for machines. Fields are
 * plain values; callers never pass secrets (keys, passwords), and this module redacts any field
 * whose name says it is one, as a second line of defence.
 */

/** Log levels, most verbose first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
/** A logging function as the library layers take it. */
export type LogFn = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }
const SECRET = /pass(word)?|secret|private|seed|mnemonic/i

/** Options of a logger. */
export interface LoggerInit {
  level?: LogLevel
  format?: 'text' | 'json'
  /** Prefix for every line (e.g. the node's name in a devnet). */
  name?: string
  write?: (line: string) => void
  /** Clock for timestamps (tests pass a fixed one). */
  now?: () => Date
}

function value (v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  if (v instanceof Error) return v.message
  return v
}

/** A logger writing one line per event at or above `level`. */
export function createLogger (init: LoggerInit = {}): LogFn {
  const min = ORDER[init.level ?? 'info']
  const format = init.format ?? 'text'
  const write = init.write ?? ((line: string) => { process.stderr.write(line + '\n') })
  const now = init.now ?? (() => new Date())
  return (level, msg, fields = {}) => {
    if (ORDER[level] < min) return
    const clean: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(fields)) clean[k] = SECRET.test(k) ? '[redacted]' : value(v)
    const time = now().toISOString()
    if (format === 'json') {
      write(JSON.stringify({ time, level, ...(init.name !== undefined ? { node: init.name } : {}), msg, ...clean }))
      return
    }
    const kv = Object.entries(clean).map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`).join(' ')
    write(`${time} ${level.toUpperCase().padEnd(5)} ${init.name !== undefined ? `[${init.name}] ` : ''}${msg}${kv.length > 0 ? ' ' + kv : ''}`)
  }
}

/** A logger that drops everything. */
export const silentLog: LogFn = () => {}
