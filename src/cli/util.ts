/** Small helpers shared by the command files. */
import { InvalidArgumentError } from 'commander'
import { MemecoinError } from '../core/errors.ts'
import { escapeControls as escapeAll } from '../log.ts'
import { chainNameProblem } from '../core/genesis.ts'
import { parseDialAddress, parseListenAddress } from '../network/tcp-addresses.ts'
import { MIN_SCRYPT_N, MAX_ENCRYPT_SCRYPT_N } from '../wallet/keystore.ts'
import { MAX_CHAIN_NAME_LENGTH } from '../wire/limits.ts'

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

/** commander parser for the hidden `--scrypt-n` (tests and devnets: a cheap keystore): a power of two encryptKeystore accepts. */
export function scryptNArg (v: string): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN
  if (!Number.isSafeInteger(n) || n < MIN_SCRYPT_N || n > MAX_ENCRYPT_SCRYPT_N || !Number.isInteger(Math.log2(n))) {
    throw new InvalidArgumentError(`must be a power of two in [${MIN_SCRYPT_N}, ${MAX_ENCRYPT_SCRYPT_N}]`)
  }
  return n
}

/** commander parser for a chain name (G-2), checked before anything is written. */
export function chainNameArg (v: string): string {
  const why = chainNameProblem(v, MAX_CHAIN_NAME_LENGTH)
  if (why !== undefined) throw new InvalidArgumentError(why)
  return v
}

/** commander parser for a directory option: an empty path would mean the current directory, silently. */
export function dirArg (v: string): string {
  if (v.trim() === '') throw new InvalidArgumentError('a directory is required, got an empty path (use "." for the current directory)')
  return v
}

/** Longest `start --name`. */
export const MAX_NODE_NAME_LENGTH = 64

/** commander parser for `start --name`: it is printed in every log line, so printable text only (no line breaks to forge lines with). */
export function nodeNameArg (v: string): string {
  // letters, marks, numbers, punctuation, symbols and the plain space: no control or format characters
  if (v.length < 1 || v.length > MAX_NODE_NAME_LENGTH || !/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u.test(v)) {
    throw new InvalidArgumentError(`must be 1–${MAX_NODE_NAME_LENGTH} printable characters (no control characters or line breaks)`)
  }
  return v
}

/** Parses HOST:PORT (IPv6 hosts in brackets). */
export function parseHostPort (v: string): { host: string, port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port > 65535) throw new MemecoinError('ERR_BAD_OPTION', `--api must be HOST:PORT, got "${v.slice(0, 100)}"`)
  return { host: (m[1] ?? m[2]) as string, port }
}

/** commander parser for `start --api HOST:PORT`: a usage error, before any keystore is opened. */
export function hostPortArg (v: string): string {
  try {
    parseHostPort(v)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--api /, ''))
  }
  return v
}

/** A commander parser for a repeatable address option, collecting those `check` accepts (a usage error otherwise). */
function addressArg (check: (v: string) => unknown): (v: string, prev?: string[]) => string[] {
  return (v, prev = []) => {
    try {
      check(v)
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message)
    }
    return [...prev, v]
  }
}

/** commander parser for `--listen` (repeatable): what parseListenAddress takes. */
export const listenAddressArg = addressArg(parseListenAddress)
/** commander parser for `--bootstrap` (repeatable): what parseDialAddress takes. */
export const dialAddressArg = addressArg(parseDialAddress)

/** Writes a result as JSON (for scripts) or as human lines. */
export function output (json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v) + '\n' : human() + '\n')
}

/** `text` with its control characters escaped (as in log lines, src/log.ts), but for one final line break. */
export function escapeControls (text: string): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text
  return escapeAll(body) + (body === text ? '' : '\n')
}

/** Commander's "unknown option '--name=VALUE'" without the value (it may be a password typed as a flag). */
export function redactUnknownOptionValue (text: string): string {
  // to the last quote of the line: the value may hold quotes itself
  return text.replace(/(unknown option '[^'=\n]*=).*'/g, "$1…'")
}
