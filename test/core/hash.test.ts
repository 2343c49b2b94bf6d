import { expect } from 'chai'
import { toHex } from '../../src/core/bytes.ts'
import { bytesOfDigest, sha256, sha256Binary, sha256InnerNode, writeDigest } from '../../src/core/hash.ts'

/** A digest string of the given bytes (one latin1 char per byte), as the trees hold them. */
const digestOf = (bytes: number[]): string => String.fromCharCode(...bytes)

describe('core/hash: digests as latin1 strings', () => {
  // bytes across the whole range: 0x00, 0x7f/0x80 (where UTF-8 would differ), 0xff
  const edge = Array.from({ length: 32 }, (_, i) => [0x00, 0x7f, 0x80, 0xff][i % 4] as number)
  const ramp = Array.from({ length: 32 }, (_, i) => (i * 37 + 200) % 256)

  it('writeDigest copies exactly the 32 bytes at the offset, leaving the rest', () => {
    const buf = new Uint8Array(40).fill(0xaa)
    writeDigest(buf, 4, digestOf(edge))
    expect([...buf.subarray(4, 36)]).to.deep.equal(edge)
    expect([...buf.subarray(0, 4), ...buf.subarray(36)]).to.deep.equal(new Array(8).fill(0xaa))
  })

  it('sha256InnerNode is SHA-256(0x01 ‖ left ‖ right) over the bytes, for every byte value', () => {
    for (const [l, r] of [[edge, ramp], [ramp, edge], [edge, edge]] as const) {
      const expected = sha256(Uint8Array.of(1), Uint8Array.from(l), Uint8Array.from(r))
      expect(toHex(bytesOfDigest(sha256InnerNode(digestOf(l), digestOf(r))))).to.equal(toHex(expected))
    }
  })

  it('a node hash does not depend on the hash before it (the scratch buffer is fully rewritten)', () => {
    const a = sha256InnerNode(digestOf(ramp), digestOf(edge))
    sha256InnerNode(digestOf(edge), digestOf(edge))
    expect(sha256InnerNode(digestOf(ramp), digestOf(edge))).to.equal(a)
    expect(sha256Binary(Uint8Array.from([1, ...ramp, ...edge]))).to.equal(a)
  })
})
