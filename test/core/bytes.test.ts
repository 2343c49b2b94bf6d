/**
 * src/core/bytes.ts: toHex encodes through one reused scratch buffer for inputs up to 64 bytes
 * and a Buffer view beyond; both must give exactly Node's hex of the bytes, for views at any
 * offset, of every length around the boundary, and calls must not see each other's bytes.
 */
import { expect } from 'chai'
import { fromHex, tail30, toHex } from '../../src/core/bytes.ts'

const reference = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('core/bytes: toHex', () => {
  it('equals Node\'s hex for every length 0…130 and views at offsets', () => {
    const backing = new Uint8Array(300)
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 73 + 11) & 0xff
    for (let len = 0; len <= 130; len++) {
      for (const off of [0, 1, 7, 100]) {
        const view = backing.subarray(off, off + len)
        expect(toHex(view), `length ${len} at offset ${off}`).to.equal(reference(view))
      }
    }
  })

  it('a short call after a long one and a long after a short carry nothing over', () => {
    const long = new Uint8Array(64).fill(0xff)
    const short = Uint8Array.of(1, 2)
    expect(toHex(long)).to.equal('ff'.repeat(64))
    expect(toHex(short)).to.equal('0102')
    expect(toHex(new Uint8Array(0))).to.equal('')
    expect(toHex(new Uint8Array(65).fill(0xab))).to.equal('ab'.repeat(65))
    expect(toHex(short)).to.equal('0102')
  })

  it('round-trips through fromHex, and reads a view of a SharedArrayBuffer', () => {
    const b = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)
    expect(fromHex(toHex(b))).to.deep.equal(b)
    const shared = new Uint8Array(new SharedArrayBuffer(40))
    shared.set(b, 8)
    expect(toHex(shared.subarray(8))).to.equal(toHex(b))
  })
})

describe('core/bytes: tail30', () => {
  it('is the last 4 bytes big-endian without their top 2 bits, 0 below 4 bytes, and reads views', () => {
    expect(tail30(Uint8Array.of(9, 0xff, 0xff, 0xff, 0xff))).to.equal(2 ** 30 - 1)
    expect(tail30(Uint8Array.of(0x40, 0, 0, 1))).to.equal(1)
    expect(tail30(Uint8Array.of(0x12, 0x34, 0x56, 0x78))).to.equal(0x12345678)
    for (const n of [0, 1, 3]) expect(tail30(new Uint8Array(n).fill(0xff))).to.equal(0)
    const whole = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)
    expect(tail30(whole.subarray(1, 6))).to.equal(0x03040506)
    // a small integer (a map key without allocation)
    expect(Number.isInteger(tail30(new Uint8Array(4).fill(0xff)))).to.equal(true)
  })
})
