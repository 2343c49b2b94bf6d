import { expect } from 'chai'
import * as secp from '@noble/secp256k1'
import { UncompressedKeys } from '../../src/core/uncompressed-keys.mjs'
import { nativeBinding, nativeVerifier, publicKeyOf, signDigest } from '../../src/core/secp256k1.ts'
import { sha256 } from '../../src/core/hash.ts'
import { bytesEqual, concatBytes, u64be } from '../../src/core/bytes.ts'

/** The reference conversion: noble's point decode, re-encoded uncompressed; throws off the curve. */
function nobleConvert (key: Uint8Array, out: Uint8Array): void {
  out.set(secp.Point.fromBytes(key).toBytes(false))
}

const keyOf = (i: number): Uint8Array => publicKeyOf(sha256(u64be(BigInt(i + 1))))
/** 33 bytes that are no curve point (x = 2^256 − 1 ≥ p). */
const OFF_CURVE = new Uint8Array(33).fill(0xff)
OFF_CURVE[0] = 2

describe('UncompressedKeys (the verifying threads\' cache of uncompressed keys)', () => {
  it('gives the uncompressed form of each key, the same array for a key seen again (a hit)', () => {
    const c = new UncompressedKeys(nobleConvert, 8)
    const k = keyOf(0)
    const a = c.of(k)
    expect(a).to.not.equal(undefined)
    expect(bytesEqual(a as Uint8Array, secp.Point.fromBytes(k).toBytes(false))).to.equal(true)
    expect(c.of(Uint8Array.from(k))).to.equal(a) // another array with the same bytes
    expect([c.hits, c.misses, c.size]).to.deep.equal([1, 1, 1])
  })

  it('reads the key at an offset of a larger buffer (a worker\'s record)', () => {
    const c = new UncompressedKeys(nobleConvert, 8)
    const k = keyOf(1)
    const record = concatBytes(new Uint8Array(96).fill(7), k, new Uint8Array(5))
    const a = c.of(record, 96)
    expect(bytesEqual(a as Uint8Array, secp.Point.fromBytes(k).toBytes(false))).to.equal(true)
    expect(c.of(k)).to.equal(a)
  })

  it('keeps no form of a key off the curve, and answers undefined each time', () => {
    const c = new UncompressedKeys(nobleConvert, 8)
    expect(c.of(OFF_CURVE)).to.equal(undefined)
    expect(c.of(OFF_CURVE)).to.equal(undefined)
    expect([c.hits, c.misses, c.size]).to.deep.equal([0, 2, 0])
  })

  it('evicts nothing for keys off the curve: a flood of them leaves the held keys in place', () => {
    const c = new UncompressedKeys(nobleConvert, 2)
    const a = c.of(keyOf(20))
    const b = c.of(keyOf(21))
    for (let i = 0; i < 10; i++) expect(c.of(OFF_CURVE)).to.equal(undefined)
    expect(c.of(keyOf(20))).to.equal(a)
    expect(c.of(keyOf(21))).to.equal(b)
    expect(c.hits).to.equal(2)
  })

  it('answers undefined when fewer than 33 bytes are left at the offset', () => {
    const c = new UncompressedKeys(nobleConvert, 2)
    const k = keyOf(22)
    expect(c.of(k.subarray(0, 32))).to.equal(undefined)
    expect(c.of(k, 1)).to.equal(undefined)
    expect(c.of(k, -1)).to.equal(undefined)
    expect(c.size).to.equal(0)
  })

  it('holds at most `capacity` keys, replacing the oldest converted, and never answers with another key\'s form', () => {
    const c = new UncompressedKeys(nobleConvert, 3)
    const keys = Array.from({ length: 7 }, (_, i) => keyOf(10 + i))
    for (let round = 0; round < 3; round++) {
      for (const k of keys) {
        const a = c.of(k) as Uint8Array
        expect(bytesEqual(a, secp.Point.fromBytes(k).toBytes(false))).to.equal(true)
        expect(c.size).to.be.at.most(3)
      }
    }
    // a failed conversion frees its slot without leaving a stale entry behind
    expect(c.of(OFF_CURVE)).to.equal(undefined)
    for (const k of keys.slice(-2)) expect(bytesEqual(c.of(k) as Uint8Array, secp.Point.fromBytes(k).toBytes(false))).to.equal(true)
    expect(() => new UncompressedKeys(nobleConvert, 0)).to.throw(RangeError)
  })

  it('with libsecp256k1 converting, the native verifier answers as before for keys seen again, evicted or off the curve', function () {
    if (nativeBinding === undefined || nativeVerifier === undefined) this.skip()
    const v = nativeVerifier as NonNullable<typeof nativeVerifier>
    // more keys than the cache holds by default would take long: the answers are what is checked
    for (let i = 0; i < 40; i++) {
      const sk = sha256(u64be(BigInt(1000 + i)))
      const pk = publicKeyOf(sk)
      const d = sha256(u64be(BigInt(i)))
      const sig = signDigest(d, sk)
      for (let again = 0; again < 2; again++) {
        expect(v.verify(sig, d, pk)).to.equal(true)
        expect(v.verify(sig, sha256(d), pk)).to.equal(false)
      }
      const other = publicKeyOf(sha256(u64be(BigInt(5000 + i))))
      expect(v.verify(sig, d, other)).to.equal(false)
    }
    expect(v.verify(signDigest(sha256(u64be(1n)), sha256(u64be(1n))), sha256(u64be(1n)), OFF_CURVE)).to.equal(false)
  })
})
