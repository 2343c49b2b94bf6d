/**
 * Canonical decoding: size limit first, then parse, then re-encode and compare, so that a value
 * accepted here has exactly one encoding (no unknown fields, no duplicates, no out-of-order
 * fields, no non-minimal varints, no explicit defaults). Every failure is a DecodeError.
 */
import './protons-fix.ts'
import type { Codec, DecodeOptions } from 'protons-runtime'
import { DecodeError } from '../core/errors.ts'
import { bytesEqual } from '../core/bytes.ts'

/** A protons message namespace: codec plus encode/decode. */
export interface MessageCodec<T> {
  encode: (obj: Partial<T>) => Uint8Array
  decode: (buf: Uint8Array, opts?: DecodeOptions<T>) => T
  codec: () => Codec<T>
}

/** Decodes `bytes` as message `name`, refusing anything over `maxBytes` (ERR_TOO_LARGE) or unparsable (ERR_MALFORMED). */
export function decodeMessage<T> (c: MessageCodec<T>, bytes: Uint8Array, maxBytes: number, name: string, opts?: DecodeOptions<T>): T {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('ERR_MALFORMED', `${name}: not bytes`)
  if (bytes.length > maxBytes) {
    throw new DecodeError('ERR_TOO_LARGE', `${name}: ${bytes.length} bytes exceeds the limit of ${maxBytes}`, { size: bytes.length, limit: maxBytes })
  }
  try {
    return c.decode(bytes, opts)
  } catch (err) {
    const code = (err as { name?: string }).name === 'MaxLengthError' ? 'ERR_TOO_MANY' : 'ERR_MALFORMED'
    throw new DecodeError(code, `${name}: ${code === 'ERR_TOO_MANY' ? 'too many elements' : 'malformed protobuf'}`)
  }
}

/** Like decodeMessage, and also refuses a non-canonical encoding (ERR_NON_CANONICAL). */
export function decodeCanonical<T> (c: MessageCodec<T>, bytes: Uint8Array, maxBytes: number, name: string, opts?: DecodeOptions<T>): T {
  const value = decodeMessage(c, bytes, maxBytes, name, opts)
  if (!bytesEqual(c.encode(value), bytes)) throw new DecodeError('ERR_NON_CANONICAL', `${name}: non-canonical encoding`)
  return value
}

/** Throws ERR_FIELD_LENGTH unless `b` is exactly `len` bytes. */
export function expectLength (b: Uint8Array, len: number, what: string): void {
  if (b.length !== len) throw new DecodeError('ERR_FIELD_LENGTH', `${what} must be ${len} bytes, got ${b.length}`, { field: what, expected: len, got: b.length })
}

/**
 * Encodes `obj` with `c`. The generated types pin `Uint8Array<ArrayBuffer>`, while the core's
 * types accept any Uint8Array (e.g. subarrays of a received buffer); the bytes are the same.
 */
export function encodeMessage<T> (c: MessageCodec<T>, obj: object): Uint8Array {
  return c.encode(obj as Partial<T>)
}

/** A generated message type with its byte fields widened to any Uint8Array (see encodeMessage). */
export type Loose<T> = { [K in keyof T]: T[K] extends Uint8Array ? Uint8Array : T[K] extends Uint8Array[] ? Uint8Array[] : T[K] }
