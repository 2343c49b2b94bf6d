/** Parsing of path segments and query parameters; every refusal is a 400 with a stable code. */
import { decodeAddress } from '../core/address.ts'
import { fromHex } from '../core/bytes.ts'
import { MemecoinError } from '../core/errors.ts'
import { ApiError, badRequest } from './errors.ts'

const MAX_U64 = (1n << 64n) - 1n
const HASH_HEX = /^[0-9a-fA-F]{64}$/
const DECIMAL = /^[0-9]+$/

/** A uint64 written in decimal digits (leading zeros allowed); ERR_BAD_HEIGHT (or `code`) otherwise. */
export function parseUint64 (s: string, what: string, code = 'ERR_BAD_HEIGHT'): bigint {
  if (!DECIMAL.test(s)) throw badRequest(code, `${what} must be a decimal integer`)
  const digits = s.replace(/^0+(?=.)/, '')
  // 2^64 − 1 has 20 digits: longer is out of range without converting a long string
  const n = digits.length > 20 ? undefined : BigInt(digits)
  if (n === undefined || n > MAX_U64) throw badRequest(code, `${what} is out of range (at most ${MAX_U64})`)
  return n
}

/** A 32-byte hash as 64 hex characters; `code` otherwise. */
export function parseHash (s: string, what: string, code: string): Uint8Array {
  if (!HASH_HEX.test(s)) throw badRequest(code, `${what} must be 64 hexadecimal characters`)
  return fromHex(s)
}

/** A block named by decimal height or 64-hex hash. */
export function parseBlockId (s: string): { height: bigint } | { hash: Uint8Array } {
  if (HASH_HEX.test(s)) return { hash: fromHex(s) }
  if (/^[0-9]+$/.test(s)) return { height: parseUint64(s, 'height') }
  throw badRequest('ERR_BAD_BLOCK_ID', 'a block is named by its decimal height or its 64-hex-character hash')
}

/** The 20-byte account id of a meme1 address; 400 with the decoder's ERR_ADDRESS_* code otherwise. */
export function parseAddress (s: string): Uint8Array {
  try {
    return decodeAddress(s)
  } catch (err) {
    if (err instanceof MemecoinError) throw badRequest(err.code, err.message)
    throw badRequest('ERR_ADDRESS_FORMAT', 'not a memecoin address')
  }
}

/** `?format=`: `json` (default) or `hex` (the wire bytes). */
export function parseFormat (url: URL): 'json' | 'hex' {
  const f = url.searchParams.get('format')
  if (f === null || f === 'json') return 'json'
  if (f === 'hex') return 'hex'
  throw badRequest('ERR_BAD_QUERY', 'format must be "json" or "hex"')
}

/** An optional integer query parameter within [min, max]. */
export function parseIntParam (url: URL, name: string, dflt: number, min: number, max: number): number {
  const v = url.searchParams.get(name)
  if (v === null) return dflt
  if (!/^[0-9]{1,9}$/.test(v)) throw badRequest('ERR_BAD_QUERY', `${name} must be an integer from ${min} to ${max}`)
  const n = Number(v)
  if (n < min || n > max) throw badRequest('ERR_BAD_QUERY', `${name} must be an integer from ${min} to ${max}`)
  return n
}

/** Bytes of a hex string (optional 0x); 400 ERR_BAD_HEX otherwise. */
export function parseHex (s: string, what: string): Uint8Array {
  const h = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s
  if (h.length === 0 || h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new ApiError(400, 'ERR_BAD_HEX', `${what} must be a non-empty, even-length hexadecimal string`)
  }
  return fromHex(h)
}
