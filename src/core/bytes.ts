/** Small byte helpers used across the core. */

const HEX_SCRATCH_BYTES = 64
const hexScratch = Buffer.alloc(HEX_SCRATCH_BYTES)
const fillZero = Uint8Array.prototype.fill

/** Lower-case hex of `b`. */
export function toHex (b: Uint8Array): string {
  if (b.length > HEX_SCRATCH_BYTES) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
  // copied into one reused Buffer: no Buffer object per call (ids and hashes are hex-encoded
  // several times per transaction on the import and gossip paths; synchronous, never shared).
  // Zeroed after use: a private key exported as hex leaves no copy behind.
  hexScratch.set(b)
  const hex = hexScratch.toString('hex', 0, b.length)
  // the typed array's own fill (a V8 builtin), not Buffer's (a call into Node's C++ each time)
  fillZero.call(hexScratch, 0, 0, b.length)
  return hex
}

/** Bytes of a hex string (even length, [0-9a-fA-F] only, optional 0x); throws TypeError otherwise. */
export function fromHex (hex: string): Uint8Array {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new TypeError('invalid hex string')
  return new Uint8Array(Buffer.from(h, 'hex'))
}

/** Concatenation of `parts` into one new array. */
export function concatBytes (...parts: Uint8Array[]): Uint8Array {
  let len = 0
  for (const p of parts) len += p.length
  const out = new Uint8Array(len)
  let off = 0
  for (const p of parts) { out.set(p, off); off += p.length }
  return out
}

/** Constant-time-irrelevant equality of two byte arrays (public data only). */
export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic comparison: negative, zero or positive. */
export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

/** Big-endian unsigned integer of `b`. */
export function bytesToBigInt (b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + toHex(b))
}

/** `n` as `len` big-endian bytes; throws RangeError if it does not fit. */
export function bigIntToBytes (n: bigint, len: number): Uint8Array {
  if (n < 0n) throw new RangeError('negative integer')
  const hex = n.toString(16).padStart(len * 2, '0')
  if (hex.length > len * 2) throw new RangeError(`integer does not fit in ${len} bytes`)
  return fromHex(hex)
}

/** 8-byte big-endian encoding of a uint64 (used in hash inputs, e.g. the VRF input's slot). */
export function u64be (n: bigint): Uint8Array {
  if (n < 0n || n >= 1n << 64n) throw new RangeError('not a uint64')
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, n, false)
  return out
}

/** UTF-8 bytes of a string. */
export function utf8 (s: string): Uint8Array {
  return new TextEncoder().encode(s)
}

/**
 * The last 30 bits of `bytes` (its last 4 bytes, the top 2 bits dropped) as a small integer, 0 for
 * fewer than 4 bytes: a map key that costs no allocation, for bytes whose end is uniform
 * (signatures, public keys). Equal keys say nothing: callers compare the whole bytes.
 */
export function tail30 (bytes: Uint8Array): number {
  const n = bytes.length
  if (n < 4) return 0
  return (((bytes[n - 4] as number) & 0x3f) << 24) | ((bytes[n - 3] as number) << 16) | ((bytes[n - 2] as number) << 8) | (bytes[n - 1] as number)
}
