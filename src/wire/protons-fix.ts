/**
 * Works around a uint64 encoding bug in protons-runtime (7.1.2, also 8.0.1): `LongBits` stores
 * its low word as a signed int32 (`lo | 0`), and `writeVarint64` loops `while (val.lo > 127)`, so
 * any uint64 whose high word is 0 and whose low word is ≥ 2^31 — every amount in
 * [2^31, 2^32) base units, 21.5 to 42.9 MEME — is written as ONE byte while the message length
 * counts five: the output is garbage followed by stale pool bytes, i.e. not even deterministic.
 * For a consensus protocol that is fatal (the state root would depend on memory contents).
 *
 * The fix keeps the words unsigned, as protobuf.js (which this code derives from) does. It patches
 * the one shared `LongBits` class that the generated codecs (and libp2p's) use; the wire tests
 * check round trips across every 64-bit boundary and fail if this patch stops applying.
 */
interface LongBitsLike { lo: number, hi: number }
interface LongBitsClass { fromBigInt: (v: bigint) => LongBitsLike, fromNumber: (v: number) => LongBitsLike, __memecoinPatched?: boolean }

const url = new URL('./utils/longbits.js', import.meta.resolve('protons-runtime'))
const { LongBits } = await import(url.href) as { LongBits: LongBitsClass }

if (LongBits.__memecoinPatched !== true) {
  for (const name of ['fromBigInt', 'fromNumber'] as const) {
    const original = LongBits[name] as (v: never) => LongBitsLike
    LongBits[name] = function (this: unknown, v: never): LongBitsLike {
      const bits = original.call(this, v)
      if (bits.lo < 0 || bits.hi < 0) {
        // a fresh object, never the shared `zero` (whose words are 0 and never negative)
        bits.lo = bits.lo >>> 0
        bits.hi = bits.hi >>> 0
      }
      return bits
    } as never
  }
  LongBits.__memecoinPatched = true
}

/** True once the uint64 encoding fix is in place (checked by the wire tests). */
export const protonsUint64Fixed: boolean = LongBits.__memecoinPatched === true
