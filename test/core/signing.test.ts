import { expect } from 'chai'
import { HEADER_DOMAIN, TX_DOMAIN, signBytes, signingDigest, verifyBytes } from '../../src/core/signing.ts'
import { publicKeyOf, signDigest } from '../../src/core/secp256k1.ts'
import { sha256 } from '../../src/core/hash.ts'
import { bytesEqual, concatBytes, toHex, u64be, utf8 } from '../../src/core/bytes.ts'

function keyAt (i: number): Uint8Array {
  return sha256(Uint8Array.of(0x73), u64be(BigInt(i)))
}
/** Deterministic test payloads of varied lengths, including empty. */
function bytesAt (i: number): Uint8Array {
  const out: Uint8Array[] = []
  for (let j = 0; j * 32 < i * 7; j++) out.push(sha256(u64be(BigInt(i)), u64be(BigInt(j))))
  return concatBytes(...out).subarray(0, i * 7)
}
/** A copy of `b` with bit `bit` of byte `i` flipped. */
function flipBit (b: Uint8Array, i: number, bit: number): Uint8Array {
  const out = Uint8Array.from(b)
  out[i] = (out[i] as number) ^ (1 << bit)
  return out
}

describe('signing', () => {
  it('signBytes / verifyBytes round trip in both domains', () => {
    for (let i = 0; i < 40; i++) {
      const sk = keyAt(i)
      const pk = publicKeyOf(sk)
      const bytes = bytesAt(i)
      for (const tag of [TX_DOMAIN, HEADER_DOMAIN]) {
        const sig = signBytes(tag, bytes, sk)
        expect(sig).to.have.length(64)
        expect(verifyBytes(tag, bytes, sig, pk), `#${i} ${tag}`).to.equal(true)
        // It is exactly a signature of SHA-256(tag ‖ 0x00 ‖ bytes).
        expect(toHex(signingDigest(tag, bytes))).to.equal(toHex(sha256(utf8(tag), Uint8Array.of(0), bytes)))
        expect(toHex(sig)).to.equal(toHex(signDigest(signingDigest(tag, bytes), sk)))
        // ... and by this key only.
        expect(verifyBytes(tag, bytes, sig, publicKeyOf(keyAt(i + 1000)))).to.equal(false)
      }
    }
  })

  it('a TX_DOMAIN signature does not verify under HEADER_DOMAIN, and vice versa', () => {
    expect(TX_DOMAIN).to.not.equal(HEADER_DOMAIN)
    for (let i = 0; i < 40; i++) {
      const sk = keyAt(i)
      const pk = publicKeyOf(sk)
      const bytes = bytesAt(i)
      const txSig = signBytes(TX_DOMAIN, bytes, sk)
      const headerSig = signBytes(HEADER_DOMAIN, bytes, sk)
      expect(bytesEqual(txSig, headerSig)).to.equal(false)
      expect(verifyBytes(HEADER_DOMAIN, bytes, txSig, pk), `#${i} tx sig as header`).to.equal(false)
      expect(verifyBytes(TX_DOMAIN, bytes, headerSig, pk), `#${i} header sig as tx`).to.equal(false)
    }
  })

  it('the tag is separated from the bytes: moving a byte across the boundary changes the digest', () => {
    // "memecoin/tx/v1" ‖ 0x00 ‖ "x" must differ from "memecoin/tx/v1x" ‖ 0x00 ‖ "".
    expect(toHex(signingDigest(TX_DOMAIN, utf8('x')))).to.not.equal(toHex(signingDigest(TX_DOMAIN + 'x', new Uint8Array(0))))
  })

  it('a signature over bytes does not verify over the same bytes with any one bit changed', () => {
    let flips = 0
    for (let i = 1; i < 11; i++) {
      const sk = keyAt(i)
      const pk = publicKeyOf(sk)
      const bytes = bytesAt(i) // 7·i bytes
      for (const tag of [TX_DOMAIN, HEADER_DOMAIN]) {
        const sig = signBytes(tag, bytes, sk)
        for (let byte = 0; byte < bytes.length; byte++) {
          for (let bit = 0; bit < 8; bit++) {
            expect(verifyBytes(tag, flipBit(bytes, byte, bit), sig, pk), `#${i} ${tag} byte ${byte} bit ${bit}`).to.equal(false)
            flips++
          }
        }
        // Appending or dropping a byte is refused too.
        expect(verifyBytes(tag, concatBytes(bytes, Uint8Array.of(0)), sig, pk)).to.equal(false)
        expect(verifyBytes(tag, bytes.subarray(0, bytes.length - 1), sig, pk)).to.equal(false)
      }
    }
    expect(flips).to.equal(2 * 8 * 7 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10))
  })
})
