/** A small seeded PRNG (xorshift128+ on bigint state via SHA-256 seeding): same seed, same run. */
import { bytesToBigInt, utf8 } from '../core/bytes.ts'
import { sha256 } from '../core/hash.ts'

const MASK64 = (1n << 64n) - 1n

/** Deterministic random numbers for the simulator (never used by consensus code). */
export class Prng {
  private s0: bigint
  private s1: bigint

  constructor (seed: string) {
    const h = sha256(utf8('memecoin-sim:' + seed))
    this.s0 = bytesToBigInt(h.subarray(0, 8)) | 1n
    this.s1 = bytesToBigInt(h.subarray(8, 16)) | 2n
  }

  /** Next 64-bit value. */
  next (): bigint {
    let x = this.s0
    const y = this.s1
    this.s0 = y
    x ^= (x << 23n) & MASK64
    x ^= x >> 17n
    x ^= y ^ (y >> 26n)
    this.s1 = x
    return (this.s0 + this.s1) & MASK64
  }

  /** Uniform integer in [0, n). */
  int (n: number): number {
    return Number(this.next() % BigInt(n))
  }

  /** True with probability num/den. */
  chance (num: number, den: number): boolean {
    return this.int(den) < num
  }
}
