/** Small helpers shared by the command files. */
import { InvalidArgumentError } from 'commander'

/** Default HTTP API address of `memecoin start` (and of the client commands). */
export const DEFAULT_API = '127.0.0.1:7357'

/** Parses a whole number in [min, max] for commander. */
export function intArg (min: number, max: number): (v: string) => number {
  return (v: string) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number, got "${v}"`)
    const n = Number(v)
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`)
    return n
  }
}

/** Writes a result as JSON (for scripts) or as human lines. */
export function output (json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v) + '\n' : human() + '\n')
}
