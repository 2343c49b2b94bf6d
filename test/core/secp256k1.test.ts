import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import * as secp from '@noble/secp256k1'
import {
  CURVE_N, HALF_N, isCanonicalSignature, isValidPrivateKey, isValidPublicKey, isValidPublicKeyNoble, nativeVerifier, nobleVerifier,
  publicKeyOf, signDigest, type Verifier
} from '../../src/core/secp256k1.ts'
import { sha256 } from '../../src/core/hash.ts'
import { bigIntToBytes, bytesEqual, bytesToBigInt, concatBytes, fromHex, toHex, u64be } from '../../src/core/bytes.ts'

// ---------------------------------------------------------------------------------------------
// Wycheproof ECDSA secp256k1 / SHA-256 / P1363 (see shared/vectors/README.md, "Wycheproof and the
// low-S rule"). Wycheproof judges plain ECDSA; our rule adds low-S.
// ---------------------------------------------------------------------------------------------

interface WycheproofTest { tcId: number, comment: string, flags: string[], msg: string, sig: string, result: 'valid' | 'invalid' | 'acceptable' }
interface WycheproofGroup { type: string, sha: string, publicKey: { curve: string, uncompressed: string }, tests: WycheproofTest[] }
interface WycheproofFile { algorithm: string, numberOfTests: number, testGroups: WycheproofGroup[] }

const projectRoot = new URL('../../', import.meta.url)
const wycheproof = JSON.parse(readFileSync(new URL('../shared/vectors/wycheproof-ecdsa-secp256k1-sha256-p1363.json', projectRoot), 'utf8')) as WycheproofFile

interface VrfVector { sk: string, pk: string, alpha: string, pi: string, beta: string }
const vrfVectors = JSON.parse(readFileSync(new URL('../shared/vectors/ecvrf-secp256k1-sha256-tai.json', projectRoot), 'utf8')) as VrfVector[]

/** What our verifiers must answer for one Wycheproof case. */
interface Case {
  tcId: number
  result: WycheproofTest['result']
  /** 33-byte compressed key, or undefined when the vector's key is not a curve point. */
  publicKey: Uint8Array | undefined
  digest: Uint8Array
  sig: Uint8Array
}

const cases: Case[] = []
for (const g of wycheproof.testGroups) {
  let publicKey: Uint8Array | undefined
  try {
    publicKey = secp.Point.fromBytes(fromHex(g.publicKey.uncompressed)).toBytes(true)
  } catch {
    publicKey = undefined
  }
  for (const t of g.tests) {
    cases.push({ tcId: t.tcId, result: t.result, publicKey, digest: sha256(fromHex(t.msg)), sig: fromHex(t.sig) })
  }
}

function sOf (sig: Uint8Array): bigint { return bytesToBigInt(sig.subarray(32, 64)) }
function rOf (sig: Uint8Array): bigint { return bytesToBigInt(sig.subarray(0, 32)) }
/** `sig` with s replaced by n − s. */
function normalised (sig: Uint8Array): Uint8Array {
  return concatBytes(sig.subarray(0, 32), bigIntToBytes(CURVE_N - sOf(sig), 32))
}
/** A copy of `b` with bit `bit` (0..7) of byte `i` flipped. */
function flipBit (b: Uint8Array, i: number, bit: number): Uint8Array {
  const out = Uint8Array.from(b)
  out[i] = (out[i] as number) ^ (1 << bit)
  return out
}
/** A key that decodes to no curve point: Wycheproof's keys are all valid, so a stand-in. */
const INVALID_KEY = new Uint8Array(33).fill(0xff)

/** Plain ECDSA (no low-S rule), for checking *why* a case is refused. */
function plainEcdsa (sig: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return secp.verify(sig, digest, publicKey, { prehash: false, lowS: false, format: 'compact' })
  } catch {
    return false
  }
}

describe('secp256k1', () => {
  it('has the native (libsecp256k1) verifier on this machine', () => {
    // Must fail, not skip: the Wycheproof run below is meant to cover both backends.
    expect(nativeVerifier, 'nativeVerifier did not load').to.not.equal(undefined)
    expect(nativeVerifier?.name).to.equal('native')
    expect(nobleVerifier.name).to.equal('noble')
  })

  it('loads all 252 Wycheproof cases (167 valid, 85 invalid, 0 acceptable), all keys on the curve', () => {
    expect(wycheproof.algorithm).to.equal('ECDSA')
    expect(wycheproof.numberOfTests).to.equal(252)
    expect(cases).to.have.length(252)
    for (const g of wycheproof.testGroups) {
      expect(g.type).to.equal('EcdsaP1363Verify')
      expect(g.sha).to.equal('SHA-256')
      expect(g.publicKey.curve).to.equal('secp256k1')
    }
    expect(cases.filter(c => c.result === 'valid')).to.have.length(167)
    expect(cases.filter(c => c.result === 'invalid')).to.have.length(85)
    // No `acceptable` results exist in this file; if a future file had some, the per-verifier
    // loop below fails on them rather than silently accepting either answer.
    expect(cases.filter(c => c.result === 'acceptable')).to.have.length(0)
    // The "edge case public key" groups are unusual but valid points; none is off the curve.
    expect(cases.filter(c => c.publicKey === undefined)).to.have.length(0)
    expect(new Set(cases.map(c => c.tcId)).size).to.equal(252)
  })

  const verifiers: Array<[string, () => Verifier]> = [
    ['noble', () => nobleVerifier],
    ['native', () => {
      if (nativeVerifier === undefined) throw new Error('nativeVerifier is undefined: libsecp256k1 did not load')
      return nativeVerifier
    }]
  ]

  for (const [name, get] of verifiers) {
    it(`${name}: Wycheproof — invalid rejected, valid low-S accepted, valid high-S rejected and accepted once normalised`, () => {
      const v = get()
      const counts = {
        examined: 0,
        invalid: 0,
        invalidRejectedByShape: 0, // wrong length, r or s out of [1, n), or high s: refused before any curve arithmetic
        invalidRejectedByMath: 0, // canonical 64-byte signature that the curve arithmetic refuses
        invalidHighSNormalisedStillRejected: 0,
        validLowS: 0,
        validHighS: 0,
        acceptable: 0,
        invalidKey: 0
      }
      const failures: string[] = []
      for (const c of cases) {
        counts.examined++
        const pk = c.publicKey ?? INVALID_KEY
        const got = v.verify(c.sig, c.digest, pk)
        if (c.publicKey === undefined) {
          counts.invalidKey++
          if (got) failures.push(`tc ${c.tcId}: accepted with an invalid public key`)
          continue
        }
        if (c.result === 'acceptable') {
          counts.acceptable++
          failures.push(`tc ${c.tcId}: 'acceptable' case, no expectation defined`)
          continue
        }
        if (c.result === 'invalid') {
          counts.invalid++
          if (got) failures.push(`tc ${c.tcId}: invalid case accepted`)
          if (isCanonicalSignature(c.sig)) counts.invalidRejectedByMath++
          else counts.invalidRejectedByShape++
          // A high-S invalid case with r, s in range must still be refused once normalised: the
          // low-S rule is not what rejects it.
          if (c.sig.length === 64 && sOf(c.sig) > HALF_N && sOf(c.sig) < CURVE_N && rOf(c.sig) > 0n && rOf(c.sig) < CURVE_N) {
            counts.invalidHighSNormalisedStillRejected++
            if (v.verify(normalised(c.sig), c.digest, pk)) failures.push(`tc ${c.tcId}: invalid case accepted after normalising s`)
          }
          continue
        }
        // valid
        expect(c.sig.length, `tc ${c.tcId} valid signature length`).to.equal(64)
        if (sOf(c.sig) <= HALF_N) {
          counts.validLowS++
          if (!got) failures.push(`tc ${c.tcId}: valid low-S case rejected`)
        } else {
          counts.validHighS++
          if (got) failures.push(`tc ${c.tcId}: valid high-S case accepted as given`)
          // Wycheproof's verdict holds for plain ECDSA: the refusal is the low-S rule alone.
          if (!plainEcdsa(c.sig, c.digest, pk)) failures.push(`tc ${c.tcId}: plain ECDSA rejects a valid case`)
          const low = normalised(c.sig)
          expect(sOf(low) <= HALF_N).to.equal(true)
          if (!v.verify(low, c.digest, pk)) failures.push(`tc ${c.tcId}: valid high-S case rejected after normalising s`)
        }
      }
      console.log(`      ${name} Wycheproof counts: ${JSON.stringify(counts)}`)
      expect(failures).to.deep.equal([])
      expect(counts.examined).to.equal(252)
      expect(counts.invalid).to.equal(85)
      expect(counts.invalidRejectedByShape).to.equal(76)
      expect(counts.invalidRejectedByMath).to.equal(9)
      expect(counts.invalidHighSNormalisedStillRejected).to.equal(8)
      expect(counts.validLowS).to.equal(95)
      expect(counts.validHighS).to.equal(72)
      expect(counts.validLowS + counts.validHighS).to.equal(167)
      expect(counts.acceptable).to.equal(0)
      expect(counts.invalidKey).to.equal(0)
    })
  }

  it('noble and native agree on every Wycheproof case, as given and normalised', () => {
    const native = verifiers[1]![1]()
    let compared = 0
    for (const c of cases) {
      const pk = c.publicKey ?? INVALID_KEY
      const inputs = [c.sig]
      if (c.sig.length === 64 && sOf(c.sig) < CURVE_N) inputs.push(normalised(c.sig))
      for (const sig of inputs) {
        compared++
        expect(native.verify(sig, c.digest, pk), `tc ${c.tcId} ${toHex(sig)}`).to.equal(nobleVerifier.verify(sig, c.digest, pk))
      }
    }
    expect(compared).to.be.greaterThan(252)
  })

  // -------------------------------------------------------------------------------------------
  // Signatures we make ourselves. Keys and digests come from SHA-256 of a counter, never an RNG.
  // -------------------------------------------------------------------------------------------

  function keyAt (i: number): Uint8Array {
    const sk = sha256(Uint8Array.of(0x6b), u64be(BigInt(i)))
    expect(isValidPrivateKey(sk)).to.equal(true)
    return sk
  }
  function digestAt (i: number): Uint8Array {
    return sha256(Uint8Array.of(0x64), u64be(BigInt(i)))
  }

  it('noble and native agree on 200 fresh signatures and on 800 tampered ones (bit flips in r, s, digest, key)', () => {
    const native = verifiers[1]![1]()
    let accepted = 0
    let rejected = 0
    for (let i = 0; i < 200; i++) {
      const sk = keyAt(i)
      const pk = publicKeyOf(sk)
      const digest = digestAt(i)
      const sig = signDigest(digest, sk)
      const bit = i % 8
      const trials: Array<[string, Uint8Array, Uint8Array, Uint8Array, boolean]> = [
        ['original', sig, digest, pk, true],
        ['r', flipBit(sig, i % 32, bit), digest, pk, false],
        ['s', flipBit(sig, 32 + (i % 32), bit), digest, pk, false],
        ['digest', sig, flipBit(digest, i % 32, bit), pk, false],
        // byte 0 of the key is the 02/03 parity prefix: flipping bit 0 there negates the point
        ['key', sig, digest, flipBit(pk, i % 33, bit), false]
      ]
      for (const [what, s, d, k, expected] of trials) {
        const a = nobleVerifier.verify(s, d, k)
        const b = native.verify(s, d, k)
        expect(b, `#${i} ${what}: native vs noble`).to.equal(a)
        expect(a, `#${i} ${what}`).to.equal(expected)
        if (a) accepted++; else rejected++
      }
    }
    expect(accepted).to.equal(200)
    expect(rejected).to.equal(800)
  })

  it('isValidPublicKey (libsecp256k1) answers as noble on keys, tampered keys, x ≥ p, other prefixes and lengths', () => {
    let valid = 0
    let invalid = 0
    const check = (k: Uint8Array, what: string): void => {
      const a = isValidPublicKeyNoble(k)
      expect(isValidPublicKey(k), `${what} ${toHex(k)}`).to.equal(a)
      if (a) valid++; else invalid++
    }
    for (let i = 0; i < 300; i++) {
      const pk = publicKeyOf(keyAt(i))
      check(pk, 'key')
      check(flipBit(pk, 1 + (i % 32), i % 8), 'x bit flipped') // about half are not on the curve
      check(Uint8Array.of(pk[0] === 2 ? 3 : 2, ...pk.subarray(1)), 'other parity')
      check(Uint8Array.of(4, ...pk.subarray(1)), 'prefix 04')
      check(pk.subarray(0, 32), 'short')
      check(Uint8Array.of(...pk, 0), 'long')
    }
    const p = 2n ** 256n - 2n ** 32n - 977n
    for (const x of [0n, 1n, p - 1n, p, p + 1n, 2n ** 256n - 1n]) {
      for (const prefix of [2, 3]) check(Uint8Array.of(prefix, ...bigIntToBytes(x, 32)), `x = ${x}`)
    }
    expect(valid).to.be.greaterThan(600)
    expect(invalid).to.be.greaterThan(900)
  })

  it('signDigest always produces low-S canonical signatures (500 signatures)', () => {
    for (let i = 0; i < 500; i++) {
      const sig = signDigest(digestAt(1000 + i), keyAt(1000 + i))
      expect(sig).to.have.length(64)
      const s = sOf(sig)
      expect(s > 0n && s <= HALF_N, `#${i} s = ${s.toString(16)}`).to.equal(true)
      expect(isCanonicalSignature(sig)).to.equal(true)
    }
  })

  it('signDigest is deterministic: same key and digest give the same bytes; different inputs differ', () => {
    for (let i = 0; i < 20; i++) {
      const sk = keyAt(2000 + i)
      const d = digestAt(2000 + i)
      const a = signDigest(d, sk)
      const b = signDigest(Uint8Array.from(d), Uint8Array.from(sk))
      expect(toHex(a)).to.equal(toHex(b))
      expect(bytesEqual(a, signDigest(digestAt(3000 + i), sk))).to.equal(false)
      expect(bytesEqual(a, signDigest(d, keyAt(3000 + i)))).to.equal(false)
    }
  })

  it('signDigest refuses a digest that is not 32 bytes', () => {
    expect(() => signDigest(new Uint8Array(31), keyAt(0))).to.throw(RangeError)
    expect(() => signDigest(new Uint8Array(33), keyAt(0))).to.throw(RangeError)
  })

  // RFC 6979 known answers. No ECDSA-secp256k1 RFC 6979 answer is in the shared vectors or in
  // noble's README, but the ECVRF vectors fix RFC 6979 nonces: README "The VRF suite" says the
  // proof nonce k is RFC 6979 (HMAC-SHA256) with key x and message compress(H), i.e. h1 =
  // SHA-256(compress(H)), and s_vrf = k + c·x mod n, so k = s_vrf − c·x mod n is read off each
  // proof. An RFC 6979 ECDSA signature of the 32-byte digest h1 under x uses that same k, so its
  // expected value (r = x(k·G) mod n, s = k⁻¹(h1 + r·x) mod n, then low-S) is known without
  // trusting noble's nonce code.
  it('signDigest matches RFC 6979 nonces recovered from the 46 ECVRF vectors', () => {
    const G = secp.Point.BASE
    const modN = (a: bigint): bigint => ((a % CURVE_N) + CURVE_N) % CURVE_N
    const invN = (a: bigint): bigint => {
      // Fermat: a^(n−2) mod n
      let result = 1n
      let base = modN(a)
      let e = CURVE_N - 2n
      while (e > 0n) {
        if ((e & 1n) === 1n) result = (result * base) % CURVE_N
        base = (base * base) % CURVE_N
        e >>= 1n
      }
      return result
    }
    expect(vrfVectors).to.have.length(46)
    for (const [i, v] of vrfVectors.entries()) {
      const sk = fromHex(v.sk.padStart(64, '0'))
      const x = bytesToBigInt(sk)
      const pkBytes = fromHex(v.pk)
      expect(toHex(publicKeyOf(sk)), `#${i} pk`).to.equal(v.pk)
      // hash_to_curve_TAI, exactly as the README spells it.
      let H: secp.Point | undefined
      for (let ctr = 0; ctr < 256 && H === undefined; ctr++) {
        const h = sha256(Uint8Array.of(0xfe, 0x01), pkBytes, fromHex(v.alpha), Uint8Array.of(ctr))
        try { H = secp.Point.fromBytes(concatBytes(Uint8Array.of(0x02), h)) } catch {}
      }
      if (H === undefined) throw new Error(`#${i}: no hash_to_curve point`)
      const pi = fromHex(v.pi)
      const c = bytesToBigInt(pi.subarray(33, 49))
      const sVrf = bytesToBigInt(pi.subarray(49, 81))
      const k = modN(sVrf - c * x)
      // Check the proof really used this k: Gamma = x·H and c is the challenge over k·G, k·H.
      expect(toHex(H.multiply(x).toBytes(true)), `#${i} Gamma`).to.equal(toHex(pi.subarray(0, 33)))
      const cCheck = sha256(Uint8Array.of(0xfe, 0x02), H.toBytes(true), pi.subarray(0, 33), G.multiply(k).toBytes(true), H.multiply(k).toBytes(true)).subarray(0, 16)
      expect(toHex(cCheck), `#${i} c`).to.equal(toHex(pi.subarray(33, 49)))

      const h1 = sha256(H.toBytes(true))
      const r = modN(G.multiply(k).toAffine().x)
      let s = modN(invN(k) * (bytesToBigInt(h1) + r * x))
      if (s > HALF_N) s = CURVE_N - s
      const expected = concatBytes(bigIntToBytes(r, 32), bigIntToBytes(s, 32))
      expect(toHex(signDigest(h1, sk)), `#${i} RFC 6979 signature`).to.equal(toHex(expected))
    }
  })
})
