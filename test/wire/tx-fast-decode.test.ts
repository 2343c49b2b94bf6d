/**
 * decodeTx's one-pass reader of transfer/stake/unstake transactions must decide exactly as the
 * generic path (protons decode, re-encode, compare): the same SignedTx for every input the
 * generic path accepts, the same error code for every input it refuses. Checked on valid
 * transactions across the varint and 64-bit boundaries and on mutations of them.
 */
import { expect } from 'chai'
import { DecodeError } from '../../src/core/errors.ts'
import { sha256 } from '../../src/core/hash.ts'
import { decodeTx, decodeTxGeneric, encodeTx, encodeTxBody } from '../../src/wire/tx.ts'

/** A small deterministic PRNG (xorshift32). */
function prng (seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
}

const BOUNDARIES = [0n, 1n, 127n, 128n, 255n, 16383n, 16384n, 2n ** 28n - 1n, 2n ** 28n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 49n, 2n ** 56n - 1n, 2n ** 56n, 2n ** 62n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n]

function outcome (f: () => unknown): unknown {
  try { return { ok: f() } } catch (err) {
    if (!(err instanceof DecodeError)) throw err
    return { code: err.code }
  }
}

describe('wire/tx: the fast transaction reader', () => {
  const rnd = prng(7)
  const bytesOf = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rnd() & 0xff)
  const pick = <T>(xs: T[]): T => xs[rnd() % xs.length] as T
  const sample = (): Uint8Array => {
    const kind = rnd() % 3
    const body = {
      chainId: bytesOf(8),
      sender: Uint8Array.of(2 + (rnd() & 1), ...bytesOf(32)),
      nonce: pick(BOUNDARIES),
      fee: pick(BOUNDARIES),
      ...(kind === 0 ? { transfer: { to: bytesOf(20), amount: pick(BOUNDARIES) } } : kind === 1 ? { stake: { amount: pick(BOUNDARIES) } } : { unstake: { amount: pick(BOUNDARIES) } })
    }
    return encodeTx(encodeTxBody(body), bytesOf(64))
  }

  it('returns what the generic path returns for valid transactions across the varint boundaries', () => {
    for (let i = 0; i < 3000; i++) {
      const b = sample()
      const tx = decodeTx(b)
      expect(tx).to.deep.equal(decodeTxGeneric(b))
      expect(tx.id).to.deep.equal(sha256(b))
    }
  })

  it('decides as the generic path on mutated transactions (bytes flipped, inserted, removed, truncated)', () => {
    let refused = 0
    for (let i = 0; i < 20_000; i++) {
      const b = sample()
      let m: Uint8Array
      const at = rnd() % b.length
      switch (rnd() % 5) {
        case 0: m = b.slice(); m[at] = rnd() & 0xff; break
        case 1: m = Uint8Array.of(...b.subarray(0, at), rnd() & 0xff, ...b.subarray(at)); break
        case 2: m = Uint8Array.of(...b.subarray(0, at), ...b.subarray(at + 1)); break
        case 3: m = b.subarray(0, at); break
        default: m = b.slice(); m[at] = [0x00, 0x80, 0xff, 0x0a, 0x12, 0x2a, 0x32, 0x3a, 0x42][rnd() % 9] as number
      }
      const fast = outcome(() => decodeTx(m))
      expect(fast, `input ${Buffer.from(m).toString('hex')}`).to.deep.equal(outcome(() => decodeTxGeneric(m)))
      if ((fast as { code?: string }).code !== undefined) refused++
    }
    expect(refused).to.be.greaterThan(1000)
  })
})
