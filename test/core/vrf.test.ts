import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { publicKeyOf } from '../../src/core/secp256k1.ts'
import { bigIntToBytes, fromHex, toHex } from '../../src/core/bytes.ts'
import { DecodeError } from '../../src/core/errors.ts'
import { VRF_OUTPUT_BYTES, VRF_PROOF_BYTES, vrfHash, vrfProofToHash, vrfProve, vrfProveWith, vrfVerify, vrfVerifyWith, type VrfBackend } from '../../src/core/vrf.ts'
import { nativeBinding } from '../../src/core/secp256k1.ts'

interface VrfVector { sk: string, pk: string, alpha: string, pi: string, beta: string }

const projectRoot = new URL('../../', import.meta.url)
const vectors = JSON.parse(readFileSync(new URL('../shared/vectors/ecvrf-secp256k1-sha256-tai.json', projectRoot), 'utf8')) as VrfVector[]

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

interface Case { sk: Uint8Array, pk: Uint8Array, alpha: Uint8Array, pi: Uint8Array, beta: Uint8Array }

// The vectors write sk without leading zeros ("01"); keys are 32 bytes.
const cases: Case[] = vectors.map(v => ({
  sk: fromHex(v.sk.padStart(64, '0')),
  pk: fromHex(v.pk),
  alpha: fromHex(v.alpha),
  pi: fromHex(v.pi),
  beta: fromHex(v.beta)
}))

/** A copy of `b` with one bit of byte `i` flipped (the bit varies with i so every bit position is hit). */
function flipped (b: Uint8Array, i: number): Uint8Array {
  const out = Uint8Array.from(b)
  out[i] = (out[i] as number) ^ (1 << (i % 8))
  return out
}

/** `pi` with its s field replaced. */
function withS (pi: Uint8Array, s: bigint): Uint8Array {
  const out = Uint8Array.from(pi)
  out.set(bigIntToBytes(s, 32), 49)
  return out
}

function expectProofError (f: () => unknown): void {
  expect(f).to.throw(DecodeError).with.property('code', 'ERR_VRF_PROOF')
}

it('the native libsecp256k1 backend is available on this machine (else only noble is tested)', () => {
  expect(nativeBinding).not.to.equal(undefined)
})

it('vrfHash equals the output of a full proof, and vrfVerify uses a backend', () => {
  for (let i = 1; i <= 20; i++) {
    const sk = bigIntToBytes(BigInt(i) * 0x1234567n, 32)
    const alpha = Uint8Array.of(i, i + 1)
    const pi = vrfProve(sk, alpha)
    expect(toHex(vrfHash(sk, alpha))).to.equal(toHex(vrfProofToHash(pi)))
    expect(toHex(vrfVerify(publicKeyOf(sk), pi, alpha) as Uint8Array)).to.equal(toHex(vrfProofToHash(pi)))
  }
})

for (const backend of ['noble', 'native'] as VrfBackend[]) {
const verify = (pk: Uint8Array, pi: Uint8Array, alpha: Uint8Array): Uint8Array | undefined => vrfVerifyWith(backend, pk, pi, alpha)
describe(`core/vrf: ECVRF-SECP256K1-SHA256-TAI (${backend} prover and verifier)`, () => {
  it('has the 46 published vectors and the documented sizes', () => {
    expect(cases).to.have.length(46)
    expect(VRF_PROOF_BYTES).to.equal(81)
    expect(VRF_OUTPUT_BYTES).to.equal(32)
    for (const c of cases) {
      expect(c.pi).to.have.length(VRF_PROOF_BYTES)
      expect(c.beta).to.have.length(VRF_OUTPUT_BYTES)
    }
  })

  cases.forEach((c, idx) => {
    describe(`vector ${idx} (sk ${vectors[idx]?.sk})`, () => {
      it('derives pk from sk', () => {
        expect(toHex(publicKeyOf(c.sk))).to.equal(toHex(c.pk))
      })

      it('proves exactly pi', () => {
        expect(toHex(vrfProveWith(backend, c.sk, c.alpha))).to.equal(toHex(c.pi))
      })

      it('hashes pi to beta', () => {
        expect(toHex(vrfProofToHash(c.pi))).to.equal(toHex(c.beta))
      })

      it('verifies pi and returns beta', () => {
        const beta = verify(c.pk, c.pi, c.alpha)
        expect(beta).to.not.equal(undefined)
        expect(toHex(beta as Uint8Array)).to.equal(toHex(c.beta))
      })

      it('rejects pi with any single bit flipped (every byte position)', () => {
        for (let i = 0; i < c.pi.length; i++) {
          expect(verify(c.pk, flipped(c.pi, i), c.alpha), `byte ${i}`).to.equal(undefined)
        }
      })

      it('rejects a changed alpha', () => {
        if (c.alpha.length === 0) {
          expect(verify(c.pk, c.pi, Uint8Array.of(0))).to.equal(undefined)
        } else {
          for (let i = 0; i < c.alpha.length; i++) {
            expect(verify(c.pk, c.pi, flipped(c.alpha, i)), `byte ${i}`).to.equal(undefined)
          }
          expect(verify(c.pk, c.pi, new Uint8Array([...c.alpha, 0])), 'appended byte').to.equal(undefined)
        }
      })

      it('rejects another valid public key and corrupted encodings', () => {
        const other = cases.find(o => toHex(o.pk) !== toHex(c.pk))
        expect(other).to.not.equal(undefined)
        expect(verify((other as Case).pk, c.pi, c.alpha), 'other case pk').to.equal(undefined)
        // Flipping the parity byte gives -Y: still a valid key, but not the prover's.
        expect(verify(flipped(c.pk, 0), c.pi, c.alpha), 'negated pk').to.equal(undefined)
        for (let i = 1; i < c.pk.length; i++) {
          expect(verify(flipped(c.pk, i), c.pi, c.alpha), `pk byte ${i}`).to.equal(undefined)
        }
        expect(verify(new Uint8Array([0x04, ...c.pk.subarray(1)]), c.pi, c.alpha), 'bad prefix').to.equal(undefined)
        expect(verify(c.pk.subarray(0, 32), c.pi, c.alpha), 'truncated').to.equal(undefined)
        expect(verify(new Uint8Array(33), c.pi, c.alpha), 'all zero').to.equal(undefined)
      })
    })
  })

  describe('malformed proofs', () => {
    const c = cases[0] as Case

    it('returns undefined for wrong-length pi, and proofToHash throws ERR_VRF_PROOF', () => {
      for (const pi of [new Uint8Array(0), c.pi.subarray(0, 80), new Uint8Array([...c.pi, 0]), c.pi.subarray(0, 33)]) {
        expect(verify(c.pk, pi, c.alpha), `length ${pi.length}`).to.equal(undefined)
        expectProofError(() => vrfProofToHash(pi))
      }
    })

    it('returns undefined for s >= n, and proofToHash throws ERR_VRF_PROOF', () => {
      for (const s of [N, N + 1n, (1n << 256n) - 1n]) {
        const pi = withS(c.pi, s)
        expect(verify(c.pk, pi, c.alpha)).to.equal(undefined)
        expectProofError(() => vrfProofToHash(pi))
      }
    })

    it('returns undefined for an all-zero proof, and proofToHash throws ERR_VRF_PROOF', () => {
      const zero = new Uint8Array(VRF_PROOF_BYTES)
      expect(verify(c.pk, zero, c.alpha)).to.equal(undefined)
      expectProofError(() => vrfProofToHash(zero))
    })

    it('returns undefined for a valid Gamma with c = 0 and s = 0', () => {
      const pi = Uint8Array.from(c.pi)
      pi.fill(0, 33)
      expect(verify(c.pk, pi, c.alpha)).to.equal(undefined)
    })

    it('returns undefined when Gamma is not on the curve', () => {
      // x = 5 is not the x-coordinate of any secp256k1 point (5³ + 7 = 132 is a non-residue mod p).
      const pi = Uint8Array.from(c.pi)
      pi.set(bigIntToBytes(5n, 32), 1)
      expect(verify(c.pk, pi, c.alpha)).to.equal(undefined)
      expectProofError(() => vrfProofToHash(pi))
    })

    it('refuses to prove with an invalid private key', () => {
      expect(() => vrfProve(new Uint8Array(32), c.alpha)).to.throw(RangeError)
      expect(() => vrfProve(bigIntToBytes(N, 32), c.alpha)).to.throw(RangeError)
      expect(() => vrfProve(c.sk.subarray(0, 31), c.alpha)).to.throw(RangeError)
    })
  })

  it('proves and verifies an empty and a long alpha', () => {
    const c = cases[1] as Case
    for (const alpha of [new Uint8Array(0), new Uint8Array(1000).fill(7)]) {
      const pi = vrfProve(c.sk, alpha)
      expect(toHex(verify(c.pk, pi, alpha) as Uint8Array)).to.equal(toHex(vrfProofToHash(pi)))
      expect(verify(c.pk, pi, new Uint8Array([...alpha, 1]))).to.equal(undefined)
    }
  })
})

}
