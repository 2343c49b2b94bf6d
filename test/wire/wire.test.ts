import { expect } from 'chai'
import { concatBytes, bytesEqual } from '../../src/core/bytes.ts'
import { HEADER_DOMAIN, signBytes } from '../../src/core/signing.ts'
import { vrfProve } from '../../src/core/vrf.ts'
import type { BlockHeader } from '../../src/core/types.ts'
import { decodeBlock, encodeBlock } from '../../src/wire/block.ts'
import { decodeHeader, decodeSignedHeader, encodeHeader, encodeSignedHeader } from '../../src/wire/header.ts'
import { decodeTx, decodeTxBatch, decodeTxBody, encodeTx, encodeTxBatch, encodeTxBody } from '../../src/wire/tx.ts'
import {
  decodeAccount, decodeBlocksByHash, decodeBlocksByRange, decodeEvidence, decodeResponseChunk, decodeStatus,
  encodeAccount, encodeBlocksByHash, encodeBlocksByRange, encodeEvidence, encodeResponseChunk, encodeStatus
} from '../../src/wire/messages.ts'
import { MAX_BLOCKS_PER_REQUEST, MAX_TX_BATCH_TXS, MAX_TX_BYTES } from '../../src/wire/limits.ts'
import { protonsUint64Fixed } from '../../src/wire/protons-fix.ts'
import { buildEvidence, buildStake, buildTransfer, buildUnstake } from '../../src/wallet/transactions.ts'
import { fBytes, fVarint, varint } from '../helpers/protobuf.ts'
import { testAccount, testChainId, testHash } from '../helpers/fixtures.ts'

const chainId = testChainId('wire')
const alice = testAccount('alice')
const bob = testAccount('bob')

function code (fn: () => unknown): string | undefined {
  try { fn() } catch (err) { return (err as { code?: string }).code }
  return undefined
}

function header (overrides: Partial<BlockHeader> = {}): BlockHeader {
  return {
    chainId,
    height: 7n,
    slot: 42n,
    parentHash: testHash('parent'),
    proposer: alice.publicKey,
    vrfProof: vrfProve(alice.privateKey, testHash('alpha')),
    txRoot: testHash('txroot'),
    stateRoot: testHash('stateroot'),
    txCount: 0,
    ...overrides
  }
}

function signedHeader (h: BlockHeader = header()): Uint8Array {
  const hb = encodeHeader(h)
  return encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, alice.privateKey))
}

const common = { chainId, privateKey: alice.privateKey, nonce: 3n, fee: 1000n }

describe('wire: round trips', () => {
  it('every transaction kind decodes to what was built and re-encodes to the same bytes', () => {
    const txs = [
      buildTransfer({ ...common, to: bob.id, amount: 5n * 10n ** 8n }),
      buildStake({ ...common, amount: 1n }),
      buildUnstake({ ...common, amount: (1n << 64n) - 1n }),
      buildEvidence({ ...common, headerA: signedHeader(), headerB: signedHeader(header({ txRoot: testHash('other') })) })
    ]
    const kinds = txs.map((t) => decodeTx(t.bytes).kind)
    expect(kinds).to.deep.equal(['transfer', 'stake', 'unstake', 'evidence'])
    for (const t of txs) {
      const d = decodeTx(t.bytes)
      expect(bytesEqual(d.id, t.id)).to.equal(true)
      expect(d.body.nonce).to.equal(3n)
      expect(d.body.fee).to.equal(1000n)
      expect(bytesEqual(d.body.sender, alice.publicKey)).to.equal(true)
      expect(bytesEqual(encodeTx(d.bodyBytes, d.signature), t.bytes)).to.equal(true)
      expect(bytesEqual(encodeTxBody(d.body), d.bodyBytes)).to.equal(true)
    }
    const ev = decodeTx(txs[3]!.bytes)
    expect(ev.evidence?.a.header.slot).to.equal(42n)
    expect(bytesEqual(ev.evidence!.a.header.txRoot, ev.evidence!.b.header.txRoot)).to.equal(false)
  })

  it('headers, signed headers and blocks', () => {
    const h = header({ txCount: 2 })
    expect(decodeHeader(encodeHeader(h))).to.deep.equal(h)
    const sh = signedHeader(h)
    const d = decodeSignedHeader(sh)
    expect(d.header).to.deep.equal(h)
    expect(d.hash).to.have.length(32)
    const t1 = buildTransfer({ ...common, to: bob.id, amount: 1n })
    const t2 = buildStake({ ...common, nonce: 4n, amount: 9n })
    const block = encodeBlock(sh, [t1.bytes, t2.bytes])
    const b = decodeBlock(block)
    expect(b.txs.map((t) => t.kind)).to.deep.equal(['transfer', 'stake'])
    expect(bytesEqual(b.header.hash, d.hash)).to.equal(true)
    expect(bytesEqual(encodeBlock(b.header.bytes, b.txs.map((t) => t.bytes)), block)).to.equal(true)
  })

  it('gossip, state and request/response messages', () => {
    const a = signedHeader(); const b = signedHeader(header({ stateRoot: testHash('x') }))
    const ev = decodeEvidence(encodeEvidence(a, b))
    expect(bytesEqual(ev.a.bytes, a)).to.equal(true)
    expect(bytesEqual(ev.b.bytes, b)).to.equal(true)

    const batch = [buildStake({ ...common, amount: 1n }).bytes, buildStake({ ...common, nonce: 4n, amount: 2n }).bytes]
    expect(decodeTxBatch(encodeTxBatch(batch)).map((t) => decodeTx(t).body.nonce)).to.deep.equal([3n, 4n])

    const acct = { balance: 10n, nonce: 2n, stake: 5n, unbonding: [{ amount: 3n, releaseEpoch: 9n }] }
    expect(decodeAccount(encodeAccount(acct))).to.deep.equal(acct)

    const st = { genesisHash: testHash('g'), headHash: testHash('h'), headHeight: 100n, headSlot: 150n, settledHash: testHash('s'), settledHeight: 80n }
    expect(decodeStatus(encodeStatus(st))).to.deep.equal(st)

    expect(decodeBlocksByRange(encodeBlocksByRange({ startHeight: 5n, count: 64 }))).to.deep.equal({ startHeight: 5n, count: 64 })
    const hashes = [testHash('1'), testHash('2')]
    expect(decodeBlocksByHash(encodeBlocksByHash({ hashes })).hashes).to.deep.equal(hashes)

    const ok = decodeResponseChunk(encodeResponseChunk({ code: 0, block: new Uint8Array([1, 2]) }))
    expect(ok.code).to.equal(0)
    const err = decodeResponseChunk(encodeResponseChunk({ code: 2, message: 'rate limited' }))
    expect(err).to.deep.include({ code: 2, message: 'rate limited' })
  })
})

describe('wire: canonical form and limits', () => {
  const t = buildTransfer({ ...common, to: bob.id, amount: 77n })
  const d = decodeTx(t.bytes)
  // the body fields in canonical order, built by hand
  const f1 = fBytes(1, chainId); const f2 = fBytes(2, alice.publicKey)
  const f3 = fVarint(3, 3n); const f4 = fVarint(4, 1000n)
  const f5 = fBytes(5, concatBytes(fBytes(1, bob.id), fVarint(2, 77n)))

  it('the hand-built body equals the encoder output (the test helper is right)', () => {
    expect(bytesEqual(concatBytes(f1, f2, f3, f4, f5), d.bodyBytes)).to.equal(true)
  })

  const cases: Array<[string, Uint8Array]> = [
    ['an unknown field', concatBytes(f1, f2, f3, f4, f5, fVarint(15, 1n))],
    ['a duplicated field', concatBytes(f1, f2, f3, f3, f4, f5)],
    ['fields out of order', concatBytes(f2, f1, f3, f4, f5)],
    ['a non-minimal varint', concatBytes(f1, f2, fVarint(3, 3n, 1), f4, f5)],
    ['an unknown field holding zero', concatBytes(f1, f2, f3, f4, fVarint(9, 0n), f5)],
    ['a zero nonce written out', concatBytes(f1, f2, fVarint(3, 0n), f4, f5)]
  ]
  for (const [what, body] of cases) {
    it(`refuses a body with ${what} (ERR_NON_CANONICAL)`, () => {
      expect(code(() => decodeTxBody(body))).to.equal('ERR_NON_CANONICAL')
      // and the same inside a whole transaction
      expect(code(() => decodeTx(encodeTx(body, d.signature)))).to.equal('ERR_NON_CANONICAL')
    })
  }

  it('refuses a non-canonical outer Transaction', () => {
    const tx = concatBytes(fBytes(1, d.bodyBytes), fBytes(2, d.signature), fVarint(3, 1n))
    expect(code(() => decodeTx(tx))).to.equal('ERR_NON_CANONICAL')
    const swapped = concatBytes(fBytes(2, d.signature), fBytes(1, d.bodyBytes))
    expect(code(() => decodeTx(swapped))).to.equal('ERR_NON_CANONICAL')
  })

  it('refuses oversized input before parsing (ERR_TOO_LARGE)', () => {
    expect(code(() => decodeTx(new Uint8Array(MAX_TX_BYTES + 1)))).to.equal('ERR_TOO_LARGE')
    const hugeBatch = encodeTxBatch(Array.from({ length: MAX_TX_BATCH_TXS + 1 }, () => t.bytes))
    expect(code(() => decodeTxBatch(hugeBatch))).to.be.oneOf(['ERR_TOO_MANY', 'ERR_TOO_LARGE'])
    const tooMany = encodeBlocksByHash({ hashes: Array.from({ length: MAX_BLOCKS_PER_REQUEST + 1 }, (_, i) => testHash(String(i))) })
    expect(code(() => decodeBlocksByHash(tooMany))).to.equal('ERR_TOO_MANY')
    expect(code(() => decodeBlock(encodeBlock(signedHeader(header({ txCount: 3 })), [t.bytes, t.bytes, t.bytes]), { maxBlockBytes: 1 << 20, maxBlockTxs: 2 }))).to.equal('ERR_TOO_MANY')
    expect(code(() => decodeBlock(new Uint8Array(200), { maxBlockBytes: 100, maxBlockTxs: 10 }))).to.equal('ERR_TOO_LARGE')
  })

  it('refuses truncated and garbage bytes (ERR_MALFORMED)', () => {
    for (let cut = 1; cut < t.bytes.length; cut += 7) {
      expect(code(() => decodeTx(t.bytes.subarray(0, cut)))).to.be.oneOf(['ERR_MALFORMED', 'ERR_NON_CANONICAL', 'ERR_FIELD_LENGTH'])
    }
    expect(code(() => decodeTx(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])))).to.equal('ERR_MALFORMED')
    expect(code(() => decodeTx(new Uint8Array([0xff])))).to.be.oneOf(['ERR_MALFORMED', 'ERR_NON_CANONICAL'])
  })

  it('refuses wrong field lengths (ERR_FIELD_LENGTH)', () => {
    expect(code(() => decodeTxBody(concatBytes(fBytes(1, chainId.subarray(0, 7)), f2, f3, f4, f5)))).to.equal('ERR_FIELD_LENGTH')
    expect(code(() => decodeTxBody(concatBytes(f1, fBytes(2, alice.publicKey.subarray(1)), f3, f4, f5)))).to.equal('ERR_FIELD_LENGTH')
    expect(code(() => decodeTxBody(concatBytes(f1, f2, f3, f4, fBytes(5, concatBytes(fBytes(1, bob.id.subarray(1)), fVarint(2, 77n))))))).to.equal('ERR_FIELD_LENGTH')
    expect(code(() => decodeTx(encodeTx(d.bodyBytes, d.signature.subarray(0, 63))))).to.equal('ERR_FIELD_LENGTH')
    expect(code(() => decodeSignedHeader(encodeSignedHeader(encodeHeader(header({ vrfProof: new Uint8Array(80) })), d.signature)))).to.equal('ERR_FIELD_LENGTH')
    expect(code(() => decodeStatus(encodeStatus({ genesisHash: new Uint8Array(31), headHash: testHash('h'), headHeight: 1n, headSlot: 1n, settledHash: testHash('s'), settledHeight: 0n })))).to.equal('ERR_FIELD_LENGTH')
  })

  it('refuses a body with no payload or two payloads (ERR_TX_KIND)', () => {
    expect(code(() => decodeTxBody(concatBytes(f1, f2, f3, f4)))).to.equal('ERR_TX_KIND')
    expect(code(() => decodeTxBody(concatBytes(f1, f2, f3, f4, f5, fBytes(6, fVarint(1, 5n)))))).to.equal('ERR_TX_KIND')
  })

  it('refuses a block whose header announces another tx count (ERR_TX_COUNT)', () => {
    expect(code(() => decodeBlock(encodeBlock(signedHeader(header({ txCount: 2 })), [t.bytes])))).to.equal('ERR_TX_COUNT')
  })

  it('refuses bad request counts and inconsistent response chunks', () => {
    expect(code(() => decodeBlocksByRange(encodeBlocksByRange({ startHeight: 1n, count: 0 })))).to.equal('ERR_REQUEST_COUNT')
    expect(code(() => decodeBlocksByRange(encodeBlocksByRange({ startHeight: 1n, count: MAX_BLOCKS_PER_REQUEST + 1 })))).to.equal('ERR_REQUEST_COUNT')
    expect(code(() => decodeBlocksByHash(new Uint8Array(0)))).to.equal('ERR_REQUEST_COUNT')
    expect(code(() => decodeResponseChunk(encodeResponseChunk({ code: 0 })))).to.equal('ERR_RESPONSE')
    expect(code(() => decodeResponseChunk(encodeResponseChunk({ code: 1, block: new Uint8Array([1]) })))).to.equal('ERR_RESPONSE')
  })

  it('varint helper sanity: padded varints decode to the same value', () => {
    expect(varint(3n, 1)).to.deep.equal(new Uint8Array([0x83, 0x00]))
  })
})

describe('wire: uint64 encoding (protons-runtime LongBits workaround)', () => {
  it('the fix is applied', () => {
    expect(protonsUint64Fixed).to.equal(true)
  })

  it('every value around each power of two up to 2^64 − 1 round-trips, with the canonical varint bytes', () => {
    const values: bigint[] = [0n, (1n << 64n) - 1n, 3125000000n]
    for (let b = 0n; b < 64n; b++) for (const d of [-1n, 0n, 1n]) { const v = (1n << b) + d; if (v > 0n && v < 1n << 64n) values.push(v) }
    for (const v of values) {
      const acct = { balance: v, nonce: 1n, stake: v, unbonding: [] }
      const bytes = encodeAccount(acct)
      const expected = concatBytes(v === 0n ? new Uint8Array(0) : fVarint(1, v), fVarint(2, 1n), v === 0n ? new Uint8Array(0) : fVarint(3, v))
      expect(bytes, `value ${v}`).to.deep.equal(expected)
      expect(decodeAccount(bytes)).to.deep.equal(acct)
    }
  })

  it('amounts in [2^31, 2^32) sign and verify like any other (transfer of 30 MEME)', () => {
    const t = buildTransfer({ ...common, to: bob.id, amount: 3_000_000_000n })
    expect(decodeTx(t.bytes).body.transfer?.amount).to.equal(3_000_000_000n)
  })
})
