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

/** Nesting a logged value is followed into before it is cut ("[…]"). */
const MAX_DEPTH = 4

/**
 * `v` as it is logged: bigints as decimal, bytes as hex, errors by message; inside plain objects
 * and arrays too, where a field named like a secret is redacted as at the top (a caller passing
 * `{ opts }` must not log `opts.password`).
 */
function value (v: unknown, depth = 0): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  if (v instanceof Error) return v.message
  if (v === null || typeof v !== 'object') return v
  if (depth >= MAX_DEPTH) return '[…]'
  if (Array.isArray(v)) return v.map((x) => value(x, depth + 1))
  const proto = Object.getPrototypeOf(v)
  if (proto !== Object.prototype && proto !== null) return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) out[k] = SECRET.test(k) ? '[redacted]' : value(x, depth + 1)
  return out
}

/**
 * Control characters (C0, DEL, C1) as \uXXXX: a logged value (or a CLI message quoting a name)
 * must not move the terminal's cursor or start a line.
 */
export function escapeControls (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
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
    // a string is written as it is only when it has neither spaces nor control characters
    // eslint-disable-next-line no-control-regex
    const kv = Object.entries(clean).map(([k, v]) => `${escapeControls(k)}=${typeof v === 'string' && !/[\s\u0000-\u001f\u007f-\u009f]/.test(v) ? v : JSON.stringify(v)}`).join(' ')
    write(`${time} ${level.toUpperCase().padEnd(5)} ${init.name !== undefined ? `[${init.name}] ` : ''}${escapeControls(msg)}${kv.length > 0 ? ' ' + kv : ''}`)
  }
}

/** A logger that drops everything. */
export const silentLog: LogFn = () => {}
