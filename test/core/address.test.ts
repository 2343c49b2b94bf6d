import { expect } from 'chai'
import { bech32, bech32m } from '@scure/base'
import {
  ACCOUNT_ID_BYTES, ADDRESS_LENGTH, ADDRESS_PREFIX, SENDER_IDS_KEPT, accountIdOf, addressOf, decodeAddress, encodeAddress, isAddress, senderIdOf
} from '../../src/core/address.ts'
import { publicKeyOf } from '../../src/core/secp256k1.ts'
import { sha256 } from '../../src/core/hash.ts'
import { toHex, u64be } from '../../src/core/bytes.ts'
import { DecodeError } from '../../src/core/errors.ts'
import type { SignedTx } from '../../src/core/types.ts'
import { decodeTx, signTx } from '../../src/wire/tx.ts'

/** The bech32 data alphabet (BIP 173). */
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'

function publicKeyAt (i: number): Uint8Array {
  return publicKeyOf(sha256(Uint8Array.of(0x61), u64be(BigInt(i))))
}

/** The DecodeError code `f` throws; fails if it throws anything else or nothing. */
function codeOf (f: () => unknown): string {
  try {
    f()
  } catch (err) {
    expect(err).to.be.instanceOf(DecodeError)
    return (err as DecodeError).code
  }
  expect.fail('expected a DecodeError')
}

describe('address', () => {
  const pk = publicKeyAt(0)
  const addr = addressOf(pk)
  const id = accountIdOf(pk)

  it('addressOf gives a 43-character meme1 address', () => {
    expect(ADDRESS_LENGTH).to.equal(43)
    for (let i = 0; i < 50; i++) {
      const a = addressOf(publicKeyAt(i))
      expect(a).to.have.length(43)
      expect(a.startsWith(`${ADDRESS_PREFIX}1`)).to.equal(true)
      expect(a).to.equal(a.toLowerCase())
      expect(/^meme1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{38}$/.test(a)).to.equal(true)
    }
  })

  it('decodeAddress(addressOf(pk)) = accountIdOf(pk), the first 20 bytes of SHA-256(pk)', () => {
    for (let i = 0; i < 50; i++) {
      const k = publicKeyAt(i)
      const got = decodeAddress(addressOf(k))
      expect(got).to.have.length(ACCOUNT_ID_BYTES)
      expect(toHex(got)).to.equal(toHex(accountIdOf(k)))
      expect(toHex(accountIdOf(k))).to.equal(toHex(sha256(k).subarray(0, 20)))
      expect(encodeAddress(got)).to.equal(addressOf(k))
      expect(isAddress(addressOf(k))).to.equal(true)
    }
  })

  it('encodeAddress refuses an id that is not 20 bytes', () => {
    expect(codeOf(() => encodeAddress(new Uint8Array(19)))).to.equal('ERR_ADDRESS_LENGTH')
    expect(codeOf(() => encodeAddress(new Uint8Array(21)))).to.equal('ERR_ADDRESS_LENGTH')
  })

  it('refuses every single-character substitution in the data and checksum with ERR_ADDRESS_CHECKSUM', () => {
    // 43 = "meme" (4) + "1" (1) + 32 data + 6 checksum: 38 positions after the separator.
    const first = ADDRESS_PREFIX.length + 1
    let tried = 0
    for (const a of [addr, addressOf(publicKeyAt(1)), addressOf(publicKeyAt(2))]) {
      for (let pos = first; pos < a.length; pos++) {
        for (const ch of CHARSET) {
          if (ch === a[pos]) continue
          const bad = a.slice(0, pos) + ch + a.slice(pos + 1)
          expect(codeOf(() => decodeAddress(bad)), `${bad} (position ${pos})`).to.equal('ERR_ADDRESS_CHECKSUM')
          expect(isAddress(bad)).to.equal(false)
          tried++
        }
      }
    }
    expect(tried).to.equal(3 * 38 * 31)
  })

  it('refuses a character outside the bech32 alphabet with ERR_ADDRESS_FORMAT', () => {
    for (const ch of ['b', 'i', 'o', '!', ' ', 'é']) {
      const bad = addr.slice(0, 10) + ch + addr.slice(11)
      expect(codeOf(() => decodeAddress(bad)), bad).to.equal('ERR_ADDRESS_FORMAT')
    }
  })

  it('refuses another prefix with ERR_ADDRESS_PREFIX', () => {
    // Same length as a meme1 address, so only the prefix differs.
    const sameLength = bech32m.encode('mome', bech32m.toWords(id))
    expect(sameLength).to.have.length(43)
    expect(codeOf(() => decodeAddress(sameLength))).to.equal('ERR_ADDRESS_PREFIX')
    // Bitcoin's prefix: a valid bech32m string of another network, 41 characters long.
    const bc = bech32m.encode('bc', bech32m.toWords(id))
    expect(bc).to.have.length(41)
    expect(codeOf(() => decodeAddress(bc))).to.equal('ERR_ADDRESS_PREFIX')
    expect(codeOf(() => decodeAddress(bc.toUpperCase()))).to.equal('ERR_ADDRESS_PREFIX')
    // A real Bitcoin P2WPKH address (BIP 173's example; bech32, 42 characters).
    expect(codeOf(() => decodeAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'))).to.equal('ERR_ADDRESS_PREFIX')
  })

  it('refuses the bech32 (BIP 173, not bech32m) encoding of the same id', () => {
    const old = bech32.encode(ADDRESS_PREFIX, bech32.toWords(id))
    expect(old).to.have.length(43)
    expect(old).to.not.equal(addr)
    expect(old.slice(0, -6)).to.equal(addr.slice(0, -6)) // only the checksum differs
    expect(codeOf(() => decodeAddress(old))).to.equal('ERR_ADDRESS_CHECKSUM')
    expect(isAddress(old)).to.equal(false)
  })

  it('accepts an all-upper-case address and refuses mixed case', () => {
    expect(toHex(decodeAddress(addr.toUpperCase()))).to.equal(toHex(id))
    expect(isAddress(addr.toUpperCase())).to.equal(true)
    // One letter in the other case, at every letter position (prefix, data and checksum).
    let tried = 0
    for (const [a, swap] of [[addr, (c: string) => c.toUpperCase()], [addr.toUpperCase(), (c: string) => c.toLowerCase()]] as const) {
      for (let pos = 0; pos < a.length; pos++) {
        const ch = a[pos] as string
        if (swap(ch) === ch) continue // a digit
        const mixed = a.slice(0, pos) + swap(ch) + a.slice(pos + 1)
        expect(codeOf(() => decodeAddress(mixed)), mixed).to.equal('ERR_ADDRESS_FORMAT')
        expect(isAddress(mixed)).to.equal(false)
        tried++
      }
    }
    expect(tried).to.be.greaterThan(2 * 4)
  })

  it('refuses the empty string, wrong lengths and garbage with ERR_ADDRESS_FORMAT', () => {
    const garbage: unknown[] = [
      '',
      'meme1',
      addr.slice(0, 42), // one character short
      addr + 'q', // one character long
      addr.slice(0, 5) + addr.slice(6), // one character deleted in the data
      ' ' + addr.slice(1),
      'x'.repeat(43), // no separator at all
      'meme1' + 'b'.repeat(38),
      addr.slice(0, 5) + '1' + addr.slice(6), // a second separator: "meme11…" has no valid prefix
      'a'.repeat(1000),
      undefined,
      null,
      42,
      {},
      [],
      new Uint8Array(43),
      id
    ]
    for (const g of garbage) {
      expect(codeOf(() => decodeAddress(g as string)), String(g)).to.equal('ERR_ADDRESS_FORMAT')
      expect(isAddress(g as string)).to.equal(false)
    }
  })

  it('senderIdOf is the account id of the sender key, hashed once per key while it is among the last kept', () => {
    const key = sha256(Uint8Array.of(0x62))
    const bytes = signTx({ chainId: new Uint8Array(8), nonce: 0n, fee: 1n, transfer: { to: id, amount: 5n } }, key).bytes
    const tx = decodeTx(bytes)
    const first = senderIdOf(tx)
    expect(toHex(first)).to.equal(toHex(accountIdOf(publicKeyOf(key))))
    // the same array again, for this object and another decoding of the same bytes: not re-hashed
    expect(senderIdOf(tx)).to.equal(first)
    expect(senderIdOf(decodeTx(bytes))).to.equal(first)
    const other = publicKeyAt(7)
    // the id is kept on the object; a copy with another key, holding the original's memos, derives its own
    expect(tx.senderId).to.equal(first)
    const withKey = (k: Uint8Array): SignedTx => ({ ...tx, body: { ...tx.body, sender: k } })
    // the key is kept as a copy: bytes that change under a view (a reused buffer) are another key
    const buf = publicKeyAt(8)
    const before = senderIdOf(withKey(buf))
    buf[5] = (buf[5] as number) ^ 1
    expect(toHex(senderIdOf(withKey(buf)))).to.equal(toHex(accountIdOf(buf))).and.not.equal(toHex(before))
    // keys sharing the 30 bits the lookup starts from (their last 4 bytes, top 2 bits masked),
    // different elsewhere: each gets its own id, asked in any order
    const a = other.slice()
    const b = other.slice()
    b[0] = 0x02 + 0x03 - (b[0] as number)
    b[29] = (b[29] as number) ^ 0xc0
    for (let i = 0; i < 3; i++) {
      expect(toHex(senderIdOf(withKey(a)))).to.equal(toHex(accountIdOf(a)))
      expect(toHex(senderIdOf(withKey(b)))).to.equal(toHex(accountIdOf(b)))
    }
    // more distinct keys than are kept (each with its own last bytes): every id still right; past
    // the bound the map starts over, so the first key is hashed again (a new array)
    const keys = Array.from({ length: SENDER_IDS_KEPT + 10 }, (_, i) => { const k = other.slice(); k.set(u64be(BigInt(i)), 25); return k })
    const firstId = senderIdOf(withKey(keys[0] as Uint8Array))
    expect(senderIdOf(withKey(keys[0] as Uint8Array))).to.equal(firstId)
    for (const k of keys) expect(senderIdOf(withKey(k))).to.have.length(ACCOUNT_ID_BYTES)
    const again = senderIdOf(withKey(keys[0] as Uint8Array))
    expect(again).to.not.equal(firstId)
    expect(toHex(again)).to.equal(toHex(firstId))
    for (const k of [keys[1], keys[keys.length - 1]] as Uint8Array[]) expect(toHex(senderIdOf(withKey(k)))).to.equal(toHex(accountIdOf(k)))
    expect(toHex(senderIdOf(tx))).to.equal(toHex(first))
  })
})
