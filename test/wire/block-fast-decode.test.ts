/**
 * decodeBlock reads the canonical framing of a Block (header, then transactions, minimal length
 * varints) by hand and leaves everything else to the generic path (protons decode, re-encode,
 * compare). It must decide exactly as the generic path alone: the same block for every input
 * that path accepts, the same error code for every input it refuses. With `known` (the
 * mempool's transactions by id) a transaction whose bytes equal a known one's is that object.
 */
import { expect } from 'chai'
import { concatBytes } from '../../src/core/bytes.ts'
import { DecodeError } from '../../src/core/errors.ts'
import { HEADER_DOMAIN, signBytes } from '../../src/core/signing.ts'
import type { BlockHeader, SignedTx } from '../../src/core/types.ts'
import { vrfProve } from '../../src/core/vrf.ts'
import { canonicalBlockFields, decodeBlock, decodeBlockGeneric, encodeBlock } from '../../src/wire/block.ts'
import { encodeHeader, encodeSignedHeader } from '../../src/wire/header.ts'
import { decodeTx } from '../../src/wire/tx.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { testAccount, testChainId, testHash } from '../helpers/fixtures.ts'
import { fBytes, fVarint, varint } from '../helpers/protobuf.ts'

const chainId = testChainId('block-fast')
const alice = testAccount('alice')
const bob = testAccount('bob')
const LIMITS = { maxBlockBytes: 1 << 20, maxBlockTxs: 200 }

function signedHeader (txCount: number): Uint8Array {
  const h: BlockHeader = {
    chainId, height: 7n, slot: 42n, parentHash: testHash('parent'), proposer: alice.publicKey,
    vrfProof: vrfProve(alice.privateKey, testHash('alpha')), txRoot: testHash('txroot'), stateRoot: testHash('stateroot'), txCount
  }
  const hb = encodeHeader(h)
  return encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, alice.privateKey))
}

const txBytes = (i: number): Uint8Array => buildTransfer({ chainId, privateKey: alice.privateKey, nonce: BigInt(i), fee: 1000n + BigInt(i), to: bob.id, amount: 1n + BigInt(i) }).bytes
const TXS = Array.from({ length: 201 }, (_, i) => txBytes(i))

function outcome (f: () => unknown): unknown {
  try { return { ok: f() } } catch (err) {
    if (!(err instanceof DecodeError)) throw err
    return { code: err.code }
  }
}
const same = (b: Uint8Array, label: string): unknown => {
  const fast = outcome(() => decodeBlock(b, LIMITS))
  expect(fast, label).to.deep.equal(outcome(() => decodeBlockGeneric(b, LIMITS)))
  return fast
}

/** A small deterministic PRNG (xorshift32). */
function prng (seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
}

describe('wire/block: the fast block framing', () => {
  it('reads every canonical block itself, with the generic path\'s result', () => {
    for (const n of [0, 1, 2, 5, 130, 200]) {
      const b = encodeBlock(signedHeader(n), TXS.slice(0, n))
      expect(canonicalBlockFields(b, LIMITS.maxBlockTxs), `${n} txs`).to.not.equal(undefined)
      const r = same(b, `${n} txs`) as { ok: { txs: SignedTx[] } }
      expect(r.ok.txs.length).to.equal(n)
    }
  })

  it('leaves non-canonical framings to the generic path, which decides as before', () => {
    const h = signedHeader(1)
    const t = TXS[0] as Uint8Array
    const cases: Record<string, Uint8Array> = {
      'padded header length': concatBytes(varint(0x0a), varint(h.length, 1), h, fBytes(2, t)),
      'padded tx length': concatBytes(fBytes(1, h), varint(0x12), varint(t.length, 1), t),
      'empty header field': concatBytes(fBytes(1, new Uint8Array(0)), fBytes(2, t)),
      'header twice': concatBytes(fBytes(1, h), fBytes(1, h), fBytes(2, t)),
      'header after the transaction': concatBytes(fBytes(2, t), fBytes(1, h)),
      'unknown field': concatBytes(fBytes(1, h), fBytes(2, t), fVarint(3, 1)),
      'transaction as a varint field': concatBytes(fBytes(1, h), fVarint(2, 5)),
      'trailing byte': concatBytes(fBytes(1, h), fBytes(2, t), Uint8Array.of(0)),
      'truncated transaction': concatBytes(fBytes(1, h), fBytes(2, t)).subarray(0, -1),
      'empty transaction': concatBytes(fBytes(1, signedHeader(2)), fBytes(2, t), fBytes(2, new Uint8Array(0))),
      'no header': fBytes(2, t)
    }
    for (const [label, b] of Object.entries(cases)) {
      if (label !== 'empty transaction') expect(canonicalBlockFields(b, LIMITS.maxBlockTxs), label).to.equal(undefined)
      const r = same(b, label) as { code?: string }
      expect(r.code, label).to.be.a('string')
    }
  })

  it('a block in shared memory takes the generic path (which copies it first): no views into memory another thread may change', () => {
    const b = encodeBlock(signedHeader(2), TXS.slice(0, 2))
    const shared = new Uint8Array(new SharedArrayBuffer(b.length))
    shared.set(b)
    const block = decodeBlock(shared, LIMITS)
    expect(block.txs.every((t) => !(t.bytes.buffer instanceof SharedArrayBuffer))).to.equal(true)
    expect(block.txs.map((t) => t.bytes)).to.deep.equal(decodeBlockGeneric(b, LIMITS).txs.map((t) => t.bytes))
  })

  it('refuses one transaction past the limit as the generic path does (ERR_TOO_MANY), and the size limit first', () => {
    const at = encodeBlock(signedHeader(200), TXS.slice(0, 200))
    expect((same(at, 'at the limit') as { ok?: unknown }).ok).to.not.equal(undefined)
    const over = encodeBlock(signedHeader(201), TXS.slice(0, 201))
    expect(same(over, 'over the limit')).to.deep.equal({ code: 'ERR_TOO_MANY' })
    expect(outcome(() => decodeBlock(at, { maxBlockBytes: at.length - 1, maxBlockTxs: 200 }))).to.deep.equal({ code: 'ERR_TOO_LARGE' })
  })

  it('decides as the generic path on mutated blocks (bytes flipped, inserted, removed, truncated)', () => {
    const rnd = prng(11)
    let accepted = 0
    let refused = 0
    for (let i = 0; i < 3000; i++) {
      const n = rnd() % 4
      const b = encodeBlock(signedHeader(n), TXS.slice(0, n))
      const at = rnd() % b.length
      let m: Uint8Array
      switch (rnd() % 5) {
        case 0: m = b.slice(); m[at] = rnd() & 0xff; break
        case 1: m = Uint8Array.of(...b.subarray(0, at), rnd() & 0xff, ...b.subarray(at)); break
        case 2: m = Uint8Array.of(...b.subarray(0, at), ...b.subarray(at + 1)); break
        case 3: m = b.subarray(0, at); break
        default: m = b.slice(); m[at] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x1a][rnd() % 8] as number
      }
      const r = same(m, `input ${Buffer.from(m).toString('hex')}`) as { code?: string }
      if (r.code === undefined) accepted++
      else refused++
    }
    expect(refused).to.be.greaterThan(1000)
    expect(accepted).to.be.greaterThan(100)
  })

  it('with `known`, a transaction whose bytes equal a known one\'s is that object; others are decoded', () => {
    const b = encodeBlock(signedHeader(3), TXS.slice(0, 3))
    const held = decodeTx(TXS[1] as Uint8Array)
    // a "known" transaction offered for tx 2's bytes, with other bytes (and tx 2's id), must not be taken
    const forged = { ...decodeTx(TXS[5] as Uint8Array), id: decodeTx(TXS[2] as Uint8Array).id }
    const hex = (x: Uint8Array): string => Buffer.from(x).toString('hex')
    const byBytes = new Map([[hex(held.bytes), held], [hex(TXS[2] as Uint8Array), forged]])
    const asked: string[] = []
    const block = decodeBlock(b, LIMITS, (bytes) => { const k = hex(bytes); asked.push(k); return byBytes.get(k) })
    expect(asked).to.deep.equal(TXS.slice(0, 3).map((t) => hex(t as Uint8Array)))
    expect(block.txs[1]).to.equal(held)
    expect(block.txs[2]).to.not.equal(forged)
    expect(block).to.deep.equal(decodeBlockGeneric(b, LIMITS))
  })
})
