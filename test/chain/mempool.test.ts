import { expect } from 'chai'
import { accountIdOf } from '../../src/core/address.ts'
import { concatBytes, toHex, utf8, u64be } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import { HEADER_DOMAIN, signBytes } from '../../src/core/signing.ts'
import type { SignedTx } from '../../src/core/types.ts'
import { encodeHeader, encodeSignedHeader } from '../../src/wire/header.ts'
import { decodeTx, encodeTx } from '../../src/wire/tx.ts'
import { buildEvidence, buildStake, buildTransfer, buildUnstake } from '../../src/wallet/transactions.ts'
import {
  type AccountView, DEFAULT_BLOCK_OVERHEAD_BYTES, Mempool, type MempoolInit, REFUSED_BEFORE_SIGNATURE, blockTxFieldBytes, txCost
} from '../../src/chain/mempool.ts'
import { testAccount, testChainId, testHash } from '../helpers/fixtures.ts'

const chainId = testChainId('mempool')
const MIN_FEE = 1n
type Acct = ReturnType<typeof testAccount>
const accounts = new Map<string, Acct>()
function acct (label: string): Acct {
  let a = accounts.get(label)
  if (a === undefined) { a = testAccount(label); accounts.set(label, a) }
  return a
}
const alice = acct('alice')
const bob = acct('bob')
const carol = acct('carol')
const dave = acct('dave')
const erin = acct('erin')
const sink = acct('sink')

interface State { nonce: bigint, balance: bigint, stake: bigint }

/** An AccountView over a Map, mutable by the tests (and a tiny ledger for the randomized test). */
class FakeView implements AccountView {
  readonly accounts = new Map<string, State>()
  inadmissible = new Set<string>()
  get (id: Uint8Array): State {
    let s = this.accounts.get(toHex(id))
    if (s === undefined) { s = { nonce: 0n, balance: 0n, stake: 0n }; this.accounts.set(toHex(id), s) }
    return s
  }

  set (a: Acct, s: Partial<State>): this { Object.assign(this.get(a.id), s); return this }
  nonce (id: Uint8Array): bigint { return this.accounts.get(toHex(id))?.nonce ?? 0n }
  spendable (id: Uint8Array): bigint { return this.accounts.get(toHex(id))?.balance ?? 0n }
  stake (id: Uint8Array): bigint { return this.accounts.get(toHex(id))?.stake ?? 0n }
  evidenceAdmissible (tx: SignedTx): boolean { return !this.inadmissible.has(toHex(tx.id)) }
  clone (): FakeView {
    const v = new FakeView()
    for (const [k, s] of this.accounts) v.accounts.set(k, { ...s })
    v.inadmissible = new Set(this.inadmissible)
    return v
  }

  /** Applies a transaction with the block rules TX-6…TX-8; throws if it would be invalid in a block. */
  apply (tx: SignedTx): void {
    const s = this.get(accountIdOf(tx.body.sender))
    if (tx.body.nonce !== s.nonce) throw new Error(`bad nonce ${tx.body.nonce} != ${s.nonce}`)
    const cost = txCost(tx)
    if (cost > s.balance) throw new Error('insufficient balance')
    const unstake = tx.body.unstake?.amount ?? 0n
    if (unstake > s.stake) throw new Error('insufficient stake')
    s.nonce++
    s.balance -= cost
    s.stake += (tx.body.stake?.amount ?? 0n) - unstake
    if (tx.body.transfer !== undefined) this.get(tx.body.transfer.to).balance += tx.body.transfer.amount
  }
}

function view (entries: Array<[Acct, Partial<State>]> = []): FakeView {
  const v = new FakeView()
  for (const [a, s] of entries) v.set(a, s)
  return v
}

function pool (v: AccountView, opts: Partial<MempoolInit> = {}): Mempool {
  return new Mempool({ chainId, minFee: MIN_FEE, view: v, ...opts })
}

function transfer (from: Acct, nonce: bigint, fee: bigint, amount = 1n, to: Acct = sink): SignedTx {
  return decodeTx(buildTransfer({ chainId, privateKey: from.privateKey, nonce, fee, to: to.id, amount }).bytes)
}
function stake (from: Acct, nonce: bigint, fee: bigint, amount = 1n): SignedTx {
  return decodeTx(buildStake({ chainId, privateKey: from.privateKey, nonce, fee, amount }).bytes)
}
function unstake (from: Acct, nonce: bigint, fee: bigint, amount = 1n): SignedTx {
  return decodeTx(buildUnstake({ chainId, privateKey: from.privateKey, nonce, fee, amount }).bytes)
}
function signedHeader (proposer: Acct, slot: bigint, label: string): Uint8Array {
  const hb = encodeHeader({
    chainId, height: 1n, slot, parentHash: testHash('parent'), proposer: proposer.publicKey,
    vrfProof: concatBytes(testHash('vrf'), testHash('vrf2'), testHash('vrf3')).subarray(0, 81),
    txRoot: testHash(label), stateRoot: testHash('state'), txCount: 0
  })
  return encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, proposer.privateKey))
}
function evidence (from: Acct, nonce: bigint, fee: bigint, offender: Acct, slot = 5n): SignedTx {
  return decodeTx(buildEvidence({
    chainId, privateKey: from.privateKey, nonce, fee,
    headerA: signedHeader(offender, slot, 'a'), headerB: signedHeader(offender, slot, 'b')
  }).bytes)
}

function errorOf (fn: () => unknown): { code?: string, rule?: string, details?: { action?: string } } | undefined {
  try { fn() } catch (err) { return err as { code?: string } }
  return undefined
}
function code (fn: () => unknown): string | undefined { return errorOf(fn)?.code }
const ids = (txs: SignedTx[]): string[] => txs.map((t) => toHex(t.id))
const nonces = (txs: SignedTx[]): bigint[] => txs.map((t) => t.body.nonce)
const BIG = 10n ** 12n
const limits = { maxBlockBytes: 1 << 20, maxBlockTxs: 1000 }

describe('chain/mempool: admission rules', () => {
  it('accepts a valid transaction and reports it by id, sender and totals', () => {
    const m = pool(view([[alice, { balance: 100n }]]))
    const t = transfer(alice, 0n, 2n, 10n)
    expect(m.add(t)).to.deep.equal({ evicted: [] })
    expect(m.has(t.id)).to.equal(true)
    expect(m.get(t.id)).to.equal(t)
    expect(m.size).to.equal(1)
    expect(m.bytes).to.equal(t.bytes.length)
    expect(m.pending(alice.id)).to.deep.equal([t])
    expect(m.pending(bob.id)).to.deep.equal([])
    expect(m.all()).to.deep.equal([t])
  })

  it('runs the stateless rules itself (TX-2, TX-3, TX-5: REJECT) and skips only the signature on request', () => {
    const m = pool(view([[alice, { balance: 100n }]]))
    const other = decodeTx(buildTransfer({ chainId: testChainId('other'), privateKey: alice.privateKey, nonce: 0n, fee: 2n, to: bob.id, amount: 1n }).bytes)
    expect(errorOf(() => m.add(other))).to.include({ code: 'ERR_WRONG_CHAIN', rule: 'TX-2' })
    expect(errorOf(() => m.add(transfer(alice, 0n, 0n)))).to.include({ code: 'ERR_FEE_TOO_LOW', rule: 'TX-5' })
    const good = transfer(alice, 0n, 2n)
    const forged = decodeTx(encodeTx(good.bodyBytes, transfer(bob, 0n, 2n).signature))
    expect(errorOf(() => m.add(forged))).to.include({ code: 'ERR_BAD_SIGNATURE', rule: 'TX-3' })
    expect(m.size).to.equal(0)
    m.add(forged, { skipSignature: true })
    expect(m.has(forged.id)).to.equal(true)
  })

  it('refuses by the state (TX-6…TX-8, TX-10, TX-11: IGNORE) before it checks the signature (TX-3, REJECT): worthless transactions cost no verification', () => {
    const m = pool(view([[alice, { nonce: 3n, balance: 100n }]]))
    const forge = (t: SignedTx): SignedTx => decodeTx(encodeTx(t.bodyBytes, transfer(bob, 0n, 2n).signature))
    const stale = errorOf(() => m.add(forge(transfer(alice, 2n, 2n))))
    expect(stale).to.include({ rule: 'TX-6', code: 'ERR_NONCE_TOO_LOW' })
    expect(stale?.details?.action).to.equal('IGNORE')
    // a gap, more than the sender has, from an account that does not exist: IGNOREd unverified
    expect(errorOf(() => m.add(forge(transfer(alice, 5n, 2n))))).to.include({ rule: 'TX-6', code: 'ERR_NONCE_GAP' })
    expect(errorOf(() => m.add(forge(transfer(alice, 3n, 2n, 99n))))).to.include({ rule: 'TX-7', code: 'ERR_INSUFFICIENT_BALANCE' })
    expect(errorOf(() => m.add(forge(transfer(carol, 0n, 2n))))).to.include({ rule: 'TX-7', code: 'ERR_INSUFFICIENT_BALANCE' })
    for (const code of ['ERR_NONCE_TOO_LOW', 'ERR_NONCE_GAP', 'ERR_INSUFFICIENT_BALANCE']) expect(REFUSED_BEFORE_SIGNATURE.has(code)).to.equal(true)
    // what can get in has its signature checked
    expect(errorOf(() => m.add(forge(transfer(alice, 3n, 2n))))).to.include({ rule: 'TX-3', code: 'ERR_BAD_SIGNATURE' })
    // refusesBeforeSignature: the certain refusals, whatever else arrives (a run's next nonces may)
    expect(m.refusesBeforeSignature(transfer(alice, 2n, 2n))).to.equal(true) // stale
    expect(m.refusesBeforeSignature(transfer(alice, 3n, 2n, 99n))).to.equal(true) // 101 > 100
    expect(m.refusesBeforeSignature(transfer(carol, 0n, 2n))).to.equal(true) // no account
    expect(m.refusesBeforeSignature(transfer(alice, 3n + BigInt(m.overflowPerSender), 2n))).to.equal(true) // past any run
    expect(m.refusesBeforeSignature(transfer(alice, 3n, 2n))).to.equal(false)
    expect(m.refusesBeforeSignature(transfer(alice, 5n, 2n))).to.equal(false) // its run may arrive with it
    // the cheap stateless rules still come first: a stale transaction for another chain is a REJECT
    const other = decodeTx(buildTransfer({ chainId: testChainId('other'), privateKey: alice.privateKey, nonce: 0n, fee: 2n, to: bob.id, amount: 1n }).bytes)
    expect(errorOf(() => m.add(other))).to.include({ code: 'ERR_WRONG_CHAIN', rule: 'TX-2' })
    expect(m.size).to.equal(0)
  })

  it('every stateful refusal is an IGNORE tagged with its rule', () => {
    const v = view([[alice, { nonce: 3n, balance: 100n, stake: 5n }]])
    const m = pool(v, { maxPerSender: 2 })
    const cases: Array<[() => unknown, string, string]> = [
      [() => m.add(transfer(alice, 2n, 2n)), 'TX-6', 'ERR_NONCE_TOO_LOW'],
      [() => m.add(transfer(alice, 4n, 2n)), 'TX-6', 'ERR_NONCE_GAP'],
      [() => m.add(transfer(alice, 3n, 2n, 99n)), 'TX-7', 'ERR_INSUFFICIENT_BALANCE'],
      [() => m.add(transfer(alice, 3n, 1n, (1n << 64n) - 1n)), 'TX-7', 'ERR_OVERFLOW'],
      [() => m.add(unstake(alice, 3n, 2n, 6n)), 'TX-8', 'ERR_INSUFFICIENT_STAKE']
    ]
    for (const [fn, rule, c] of cases) {
      const e = errorOf(fn)
      expect(e, c).to.include({ rule, code: c })
      expect(e?.details?.action, c).to.equal('IGNORE')
    }
    const t = transfer(alice, 3n, 2n)
    m.add(t)
    expect(errorOf(() => m.add(t))).to.include({ rule: 'TX-10', code: 'ERR_KNOWN_TX' })
    expect(errorOf(() => m.add(transfer(alice, 3n, 2n, 2n)))).to.include({ rule: 'TX-10', code: 'ERR_REPLACEMENT_UNDERPRICED' })
    m.add(transfer(alice, 4n, 2n))
    expect(errorOf(() => m.add(transfer(alice, 5n, 2n)))).to.include({ rule: 'TX-11', code: 'ERR_SENDER_LIMIT' })
    expect(m.size).to.equal(2)
  })

  it('keeps each sender a contiguous nonce run from the account nonce; gaps are refused, not queued', () => {
    const v = view([[alice, { nonce: 7n, balance: 100n }], [bob, { balance: 100n }]])
    const m = pool(v)
    expect(code(() => m.add(transfer(alice, 8n, 2n)))).to.equal('ERR_NONCE_GAP')
    for (const n of [7n, 8n, 9n]) m.add(transfer(alice, n, 2n))
    expect(code(() => m.add(transfer(alice, 11n, 2n)))).to.equal('ERR_NONCE_GAP')
    expect(code(() => m.add(transfer(alice, 6n, 2n)))).to.equal('ERR_NONCE_TOO_LOW')
    m.add(transfer(bob, 0n, 2n))
    expect(nonces(m.pending(alice.id))).to.deep.equal([7n, 8n, 9n])
    expect(nonces(m.pending(bob.id))).to.deep.equal([0n])
  })

  it('checks the balance of the whole pending run (TX-7) and Σ unstake against the stake (TX-8)', () => {
    const v = view([[alice, { balance: 30n, stake: 10n }]])
    const m = pool(v)
    m.add(transfer(alice, 0n, 5n, 10n)) // 15
    m.add(stake(alice, 1n, 5n, 5n)) // 25
    expect(code(() => m.add(transfer(alice, 2n, 5n, 1n)))).to.equal('ERR_INSUFFICIENT_BALANCE') // 31
    m.add(unstake(alice, 2n, 5n, 6n)) // 30; unstake 6
    expect(code(() => m.add(unstake(alice, 3n, 1n, 5n)))).to.equal('ERR_INSUFFICIENT_BALANCE')
    v.set(alice, { balance: 40n })
    expect(code(() => m.add(unstake(alice, 3n, 1n, 5n)))).to.equal('ERR_INSUFFICIENT_STAKE') // 11 > 10
    m.add(unstake(alice, 3n, 1n, 4n))
    expect(m.size).to.equal(4)
  })

  it('asks the chain whether evidence is still admissible (TX-9)', () => {
    const v = view([[alice, { balance: 100n }]])
    const m = pool(v)
    const ev = evidence(alice, 0n, 2n, carol)
    v.inadmissible.add(toHex(ev.id))
    expect(errorOf(() => m.add(ev))).to.include({ rule: 'TX-9', code: 'ERR_EVIDENCE_NOT_USEFUL' })
    v.inadmissible.clear()
    m.add(ev)
    expect(m.has(ev.id)).to.equal(true)
  })

  it('resyncs a sender whose view moved before onHead was called', () => {
    const v = view([[alice, { balance: 100n }]])
    const m = pool(v)
    m.add(transfer(alice, 0n, 2n))
    m.add(transfer(alice, 1n, 2n))
    v.set(alice, { nonce: 1n })
    m.add(transfer(alice, 2n, 2n))
    expect(nonces(m.pending(alice.id))).to.deep.equal([1n, 2n])
    expect(m.size).to.equal(2)
  })
})

describe('chain/mempool: replace-by-fee', () => {
  it('replaces the same sender and nonce when the fee rises by at least 10%', () => {
    const v = view([[alice, { balance: 10_000n }]])
    const m = pool(v)
    const a0 = transfer(alice, 0n, 100n)
    const a1 = transfer(alice, 1n, 100n)
    m.add(a0)
    m.add(a1)
    expect(code(() => m.add(transfer(alice, 0n, 109n)))).to.equal('ERR_REPLACEMENT_UNDERPRICED')
    const r = transfer(alice, 0n, 110n)
    expect(m.add(r)).to.deep.equal({ replaced: a0, evicted: [] })
    expect(m.has(a0.id)).to.equal(false)
    expect(ids(m.pending(alice.id))).to.deep.equal(ids([r, a1]))
    expect(m.size).to.equal(2)
    expect(m.bytes).to.equal(r.bytes.length + a1.bytes.length)
    // a different kind may replace too
    const s = stake(alice, 1n, 200n, 5n)
    expect(m.add(s).replaced).to.equal(a1)
  })

  it('a replacement must pay strictly more, even when 10% of the fee rounds to zero', () => {
    const v = view([[alice, { balance: 100n }]])
    const m = pool(v, { minFee: 0n })
    m.add(transfer(alice, 0n, 0n))
    expect(code(() => m.add(transfer(alice, 0n, 0n, 2n)))).to.equal('ERR_REPLACEMENT_UNDERPRICED')
    m.add(transfer(alice, 0n, 1n))
    expect(m.size).to.equal(1)
  })

  it('a replacement must keep the run payable, and a refused one changes nothing', () => {
    const v = view([[alice, { balance: 100n }]])
    const m = pool(v)
    m.add(transfer(alice, 0n, 10n, 40n))
    m.add(transfer(alice, 1n, 10n, 40n))
    const before = ids(m.all())
    expect(code(() => m.add(transfer(alice, 0n, 11n, 80n)))).to.equal('ERR_INSUFFICIENT_BALANCE')
    expect(ids(m.all())).to.deep.equal(before)
    m.add(transfer(alice, 0n, 11n, 39n))
    expect(m.size).to.equal(2)
  })

  it('a replacement is allowed at the per-sender limit', () => {
    const m = pool(view([[alice, { balance: 100n }]]), { maxPerSender: 1 })
    m.add(transfer(alice, 0n, 10n))
    expect(code(() => m.add(transfer(alice, 1n, 10n)))).to.equal('ERR_SENDER_LIMIT')
    expect(m.add(transfer(alice, 0n, 11n)).replaced).to.not.equal(undefined)
  })
})

describe('chain/mempool: limits and eviction', () => {
  const funded = (): FakeView => view([alice, bob, carol, dave, erin].map((a) => [a, { balance: BIG, stake: BIG }]))

  it('when full by count, a higher fee evicts the cheapest tail; an equal or lower fee is refused (TX-11)', () => {
    const m = pool(funded(), { maxTxs: 3 })
    const a = transfer(alice, 0n, 5n)
    m.add(a)
    m.add(transfer(bob, 0n, 6n))
    m.add(transfer(carol, 0n, 7n))
    expect(errorOf(() => m.add(transfer(dave, 0n, 5n)))).to.include({ rule: 'TX-11', code: 'ERR_MEMPOOL_FULL' })
    const d = transfer(dave, 0n, 8n)
    expect(m.add(d)).to.deep.equal({ evicted: [a] })
    expect(m.has(a.id)).to.equal(false)
    expect(m.size).to.equal(3)
  })

  it('evicts only run tails, never the adding sender\'s own, so no gap is created', () => {
    const m = pool(funded(), { maxTxs: 4 })
    const a0 = transfer(alice, 0n, 100n)
    const a1 = transfer(alice, 1n, 2n)
    m.add(a0)
    m.add(a1)
    m.add(transfer(bob, 0n, 3n))
    const c0 = transfer(carol, 0n, 1n)
    m.add(c0)
    // carol's own tx (fee 1) is the cheapest, but carol cannot evict it to append after it
    expect(code(() => m.add(transfer(carol, 1n, 2n)))).to.equal('ERR_MEMPOOL_FULL')
    expect(m.add(transfer(carol, 1n, 3n)).evicted).to.deep.equal([a1])
    expect(nonces(m.pending(alice.id))).to.deep.equal([0n])
    // the cheapest tails now are bob's and carol's (both 3): dave's fee 4 evicts one of them (the higher id)
    const r = m.add(transfer(dave, 0n, 4n))
    expect(r.evicted).to.have.length(1)
    expect(r.evicted[0]?.body.fee).to.equal(3n)
    expect(m.pending(alice.id)).to.deep.equal([a0])
  })

  it('when full by bytes, evicts as many tails as needed, all-or-nothing', () => {
    const s = stake(alice, 0n, 1n).bytes.length
    const t = transfer(alice, 0n, 1n).bytes.length
    expect(t).to.be.greaterThan(s)
    const m = pool(funded(), { maxBytes: 3 * s })
    const a = stake(alice, 0n, 2n)
    const b = stake(bob, 0n, 3n)
    const c = stake(carol, 0n, 10n)
    m.add(a)
    m.add(b)
    m.add(c)
    // a transfer needs two stakes out: the second-cheapest pays 3, so a fee of 3 evicts nothing
    expect(code(() => m.add(transfer(dave, 0n, 3n)))).to.equal('ERR_MEMPOOL_FULL')
    expect(ids(m.all())).to.deep.equal(ids([a, b, c]))
    const d = transfer(dave, 0n, 4n)
    expect(m.add(d).evicted).to.deep.equal([a, b])
    expect(m.bytes).to.equal(c.bytes.length + d.bytes.length)
    expect(m.bytes).to.be.at.most(3 * s)
  })

  it('a replacement that grows the pool past its bytes evicts other senders\' tails', () => {
    const s = stake(alice, 0n, 1n).bytes.length
    const m = pool(funded(), { maxBytes: 2 * s })
    const a = stake(alice, 0n, 5n)
    const b = stake(bob, 0n, 2n)
    m.add(a)
    m.add(b)
    const r = m.add(transfer(alice, 0n, 6n))
    expect(r.replaced).to.equal(a)
    expect(r.evicted).to.deep.equal([b])
  })

  it('refuses a transaction larger than the whole pool', () => {
    const m = pool(funded(), { maxBytes: 50 })
    expect(code(() => m.add(transfer(alice, 0n, 1000n)))).to.equal('ERR_MEMPOOL_FULL')
  })

  it('limits must be positive integers', () => {
    expect(() => pool(funded(), { maxTxs: 0 })).to.throw(RangeError)
    expect(() => pool(funded(), { maxPerSender: 1.5 })).to.throw(RangeError)
  })
})

describe('chain/mempool: block assembly (select)', () => {
  const funded = (): FakeView => view([alice, bob, carol, dave].map((a) => [a, { balance: 1000n, stake: 100n }]))

  it('takes the highest fee first across senders, each sender in nonce order', () => {
    const v = funded()
    const m = pool(v)
    const a0 = transfer(alice, 0n, 10n)
    const a1 = transfer(alice, 1n, 100n)
    const b0 = transfer(bob, 0n, 20n)
    const c0 = transfer(carol, 0n, 5n)
    const c1 = transfer(carol, 1n, 50n)
    for (const t of [a0, a1, b0, c0, c1]) m.add(t)
    expect(ids(m.select(v, limits))).to.deep.equal(ids([b0, a0, a1, c0, c1]))
    expect(m.size).to.equal(5) // select does not change the pool
  })

  it('stops at maxBlockTxs and within maxBlockBytes, skipping only senders that do not fit', () => {
    const v = funded()
    const m = pool(v)
    const a = transfer(alice, 0n, 100n)
    const b = transfer(bob, 0n, 50n)
    const c = stake(carol, 0n, 10n)
    const c1 = stake(carol, 1n, 9n)
    for (const t of [a, b, c, c1]) m.add(t)
    expect(ids(m.select(v, { ...limits, maxBlockTxs: 2 }))).to.deep.equal(ids([a, b]))
    const maxBlockBytes = DEFAULT_BLOCK_OVERHEAD_BYTES + blockTxFieldBytes(a.bytes.length) + blockTxFieldBytes(c.bytes.length)
    expect(ids(m.select(v, { maxBlockBytes, maxBlockTxs: 10 }))).to.deep.equal(ids([a, c]))
    const overhead = 100
    const exact = overhead + blockTxFieldBytes(a.bytes.length)
    expect(ids(m.select(v, { maxBlockBytes: exact, maxBlockTxs: 10, blockOverheadBytes: overhead }))).to.deep.equal(ids([a]))
    expect(ids(m.select(v, { maxBlockBytes: exact - 1, maxBlockTxs: 10, blockOverheadBytes: overhead }))).to.deep.equal(ids([c]))
    const none = overhead + blockTxFieldBytes(c.bytes.length) - 1
    expect(m.select(v, { maxBlockBytes: none, maxBlockTxs: 10, blockOverheadBytes: overhead })).to.deep.equal([])
  })

  it('breaks fee ties by transaction id and does not depend on insertion order', () => {
    const v = funded()
    const txs = [transfer(alice, 0n, 7n), transfer(bob, 0n, 7n), transfer(carol, 0n, 7n), transfer(dave, 0n, 7n)]
    const m1 = pool(v)
    const m2 = pool(v)
    for (const t of txs) m1.add(t)
    for (const t of [...txs].reverse()) m2.add(t)
    const sorted = ids(txs).sort()
    expect(ids(m1.select(v, limits))).to.deep.equal(sorted)
    expect(ids(m2.select(v, limits))).to.deep.equal(sorted)
  })

  it('re-checks nonce, balance and stake against the view it is given', () => {
    const v = funded()
    const m = pool(v)
    const a = [transfer(alice, 0n, 10n, 100n), transfer(alice, 1n, 10n, 100n), transfer(alice, 2n, 10n, 100n)]
    const b = [unstake(bob, 0n, 10n, 60n), unstake(bob, 1n, 10n, 40n)]
    const c = [transfer(carol, 0n, 10n)]
    for (const t of [...a, ...b, ...c]) m.add(t)
    const w = v.clone()
    w.set(alice, { nonce: 1n, balance: 115n }) // a[0] applied; only a[1] is still payable
    w.set(bob, { stake: 99n }) // only b[0]
    w.set(carol, { nonce: 5n }) // carol's run is stale for this view
    expect(ids(m.select(w, limits)).sort()).to.deep.equal(ids([a[1] as SignedTx, b[0] as SignedTx]).sort())
    const behind = v.clone().set(alice, { nonce: 0n })
    expect(m.select(behind, limits)).to.have.length(6)
  })

  it('includes one evidence per offender and slot, and nothing more from a slashed offender', () => {
    const v = funded()
    const m = pool(v)
    const e1 = evidence(alice, 0n, 50n, carol)
    const e2 = evidence(bob, 0n, 40n, carol)
    const e3 = evidence(bob, 1n, 40n, carol, 6n)
    const c0 = unstake(carol, 0n, 30n, 10n)
    const c1 = unstake(carol, 1n, 30n, 10n)
    for (const t of [e1, e2, e3, c0, c1]) m.add(t)
    // e1 (50) → carol slashed; e2 duplicates (carol, slot 5) so bob stops; c0 (30) was not yet taken before e1
    expect(ids(m.select(v, limits))).to.deep.equal(ids([e1]))
    v.inadmissible.add(toHex(e1.id))
    expect(ids(m.select(v, limits))).to.deep.equal(ids([e2, e3]))
  })
})

describe('chain/mempool: new heads and reorgs (onHead)', () => {
  it('removes included transactions and drops those that became stale or unpayable', () => {
    const v = view([[alice, { balance: 100n }], [bob, { balance: 100n }], [carol, { balance: 100n }]])
    const m = pool(v)
    const a = [transfer(alice, 0n, 2n), transfer(alice, 1n, 2n), transfer(alice, 2n, 2n)]
    const c = [transfer(carol, 0n, 2n), transfer(carol, 1n, 2n, 90n)]
    const b = [transfer(bob, 0n, 2n, 10n), transfer(bob, 1n, 2n, 10n)]
    for (const t of [...a, ...b, ...c]) m.add(t)
    // block: alice's a[0]; a different carol tx at nonce 0 that spends more than planned
    const cOther = transfer(carol, 0n, 3n, 20n)
    v.apply(a[0] as SignedTx)
    v.apply(cOther)
    m.onHead(v, { included: [a[0] as SignedTx, cOther], orphaned: [] })
    expect(ids(m.pending(alice.id))).to.deep.equal(ids(a.slice(1)))
    expect(m.pending(carol.id)).to.deep.equal([]) // c[0] replaced by the block's tx, c[1] no longer payable
    expect(ids(m.pending(bob.id))).to.deep.equal(ids(b)) // untouched
    // an unreported balance drop is fixed by `touched`
    v.set(bob, { balance: 12n })
    m.onHead(v, { included: [], orphaned: [], touched: [bob.id] })
    expect(ids(m.pending(bob.id))).to.deep.equal(ids(b.slice(0, 1)))
    expect(m.size).to.equal(3)
  })

  it('withBytes finds a held transaction by its bytes (no hashing) while it is held, and nothing for other bytes', () => {
    const v = view([[alice, { balance: 100n }], [bob, { balance: 100n }]])
    const m = pool(v)
    const a = [transfer(alice, 0n, 2n), transfer(alice, 1n, 2n)]
    const b0 = transfer(bob, 0n, 2n)
    for (const t of [...a, b0]) m.add(t)
    for (const t of [...a, b0]) {
      expect(m.withBytes(t.bytes)).to.equal(t)
      // equal bytes in another array: the same object
      expect(m.withBytes(t.bytes.slice())).to.equal(t)
    }
    // the same last bytes (where the lookup starts), other bytes before them: not held
    const twin = b0.bytes.slice()
    twin[0] = (twin[0] as number) ^ 1
    expect(m.withBytes(twin)).to.equal(undefined)
    expect(m.withBytes(transfer(bob, 1n, 2n).bytes)).to.equal(undefined)
    expect(m.withBytes(new Uint8Array(3))).to.equal(undefined)
    // included in a block: no longer held, no longer found; the rest still are
    v.apply(a[0] as SignedTx)
    m.onHead(v, { included: [a[0] as SignedTx], orphaned: [] })
    expect(m.withBytes((a[0] as SignedTx).bytes)).to.equal(undefined)
    expect(m.withBytes((a[1] as SignedTx).bytes)).to.equal(a[1])
    // dropped with the rest of its run: gone too
    m.drop(a[1] as SignedTx)
    expect(m.withBytes((a[1] as SignedTx).bytes)).to.equal(undefined)
    expect(m.withBytes(b0.bytes)).to.equal(b0)
  })

  it('withBytes with two held transactions sharing the index key: the one indexed last is found, the other is not (its decoder hashes), never a wrong one', () => {
    const v = view([[alice, { balance: 100n }], [bob, { balance: 100n }]])
    const m = pool(v)
    const a0 = transfer(alice, 0n, 2n)
    // bob's transaction with the last 4 bytes of a0's signature (the index key's 30 bits):
    // admitted without its (now wrong) signature checked
    const bytes = transfer(bob, 0n, 2n).bytes.slice()
    bytes.set(a0.bytes.subarray(a0.bytes.length - 4), bytes.length - 4)
    const b0 = decodeTx(bytes)
    m.add(a0)
    m.add(b0, { skipSignature: true })
    expect(m.withBytes(b0.bytes)).to.equal(b0)
    expect(m.withBytes(a0.bytes)).to.equal(undefined)
    expect(m.get(a0.id)).to.equal(a0)
    // the one the key names leaves: neither is found by bytes, both still by id
    m.drop(b0)
    expect(m.withBytes(b0.bytes)).to.equal(undefined)
    expect(m.withBytes(a0.bytes)).to.equal(undefined)
    // back again; the other one leaving does not take the key from it
    m.add(b0, { skipSignature: true })
    v.apply(a0)
    m.onHead(v, { included: [a0], orphaned: [] })
    expect(m.withBytes(b0.bytes)).to.equal(b0)
    // replaced by a higher fee at the same nonce: the new one is found, the old one not
    const b0x = transfer(bob, 0n, 5n)
    m.add(b0x)
    expect(m.get(b0.id)).to.equal(undefined)
    expect(m.withBytes(b0x.bytes)).to.equal(b0x)
    expect(m.withBytes(b0.bytes)).to.equal(undefined)
  })

  it('re-admits orphaned transactions ahead of the pending run, skipping those included again', () => {
    const v = view([[alice, { balance: 100n }], [bob, { balance: 100n }]])
    const before = v.clone()
    const m = pool(v)
    const a0 = transfer(alice, 0n, 2n)
    const a1 = transfer(alice, 1n, 2n)
    const b0 = transfer(bob, 0n, 2n)
    m.add(a0)
    m.add(a1)
    m.add(b0)
    // block 1 (a0, a1, b0) is applied, then orphaned by a branch that includes only b0
    for (const t of [a0, a1, b0]) v.apply(t)
    m.onHead(v, { included: [a0, a1, b0], orphaned: [] })
    expect(m.size).to.equal(0)
    const a2 = transfer(alice, 2n, 2n)
    m.add(a2)
    const fork = before.clone()
    fork.apply(b0)
    m.onHead(fork, { included: [b0], orphaned: [a0, a1, b0] })
    expect(ids(m.pending(alice.id))).to.deep.equal(ids([a0, a1, a2]))
    expect(m.pending(bob.id)).to.deep.equal([])
    expect(m.has(b0.id)).to.equal(false)
  })

  it('drops orphaned transactions that no longer pay, and trims to the hard bound', () => {
    const v = view([[alice, { balance: 100n }], [bob, { balance: 100n }], [carol, { balance: 100n }]])
    const m = pool(v, { maxTxs: 1 })
    const o = [transfer(alice, 0n, 5n, 50n), transfer(alice, 1n, 5n, 50n), transfer(bob, 0n, 1n), transfer(carol, 0n, 9n)]
    m.onHead(v, { included: [], orphaned: o })
    // alice's second is unpayable (110 > 100); three remain valid, the hard bound is 2: the cheapest (bob's) is trimmed
    expect(ids(m.all())).to.deep.equal(ids([o[0] as SignedTx, o[3] as SignedTx]))
    expect(m.trimmedAfterHead, 'bob\'s valid transaction was dropped for room, and counted').to.equal(1)
  })

  it('revalidates the offender of an included slash and senders of pending evidence', () => {
    const v = view([[alice, { balance: 100n }], [bob, { balance: 100n }], [carol, { balance: 100n, stake: 50n }]])
    const m = pool(v)
    const eA = evidence(alice, 0n, 5n, carol)
    const eB = evidence(bob, 0n, 5n, carol)
    const cu = unstake(carol, 0n, 5n, 40n)
    for (const t of [eA, eB, cu]) m.add(t)
    v.apply(eA)
    v.set(carol, { stake: 25n })
    v.inadmissible.add(toHex(eB.id))
    m.onHead(v, { included: [eA], orphaned: [] })
    expect(m.size).to.equal(0)
  })

  it("'all' revalidates every sender", () => {
    const v = view([[alice, { balance: 100n }], [bob, { balance: 100n }]])
    const m = pool(v)
    m.add(transfer(alice, 0n, 2n))
    m.add(transfer(bob, 0n, 2n))
    v.set(alice, { balance: 0n }).set(bob, { balance: 0n })
    m.onHead(v, { included: [], orphaned: [] })
    expect(m.size).to.equal(2)
    m.onHead(v, { included: [], orphaned: [], touched: 'all' })
    expect(m.size).to.equal(0)
    expect(m.bytes).to.equal(0)
  })
})

describe('chain/mempool: reorg orphans above the limits (soft limits, hard bound)', () => {
  const frank = acct('frank')
  const gina = acct('gina')
  const everyone = [alice, bob, carol, dave, erin, frank, gina]
  const funded = (): FakeView => view(everyone.map((a) => [a, { balance: BIG, stake: BIG }]))

  /** A pool with maxTxs 3, full with alice 5, bob 6, carol 7, then a reorg returning dave 1, erin 2, frank 3. */
  function overfilled (): { v: FakeView, m: Mempool, held: SignedTx[], orphans: SignedTx[] } {
    const v = funded()
    const m = pool(v, { maxTxs: 3 })
    const held = [transfer(alice, 0n, 5n), transfer(bob, 0n, 6n), transfer(carol, 0n, 7n)]
    for (const t of held) m.add(t)
    expect(m.overflowing).to.equal(false)
    const orphans = [transfer(dave, 0n, 1n), transfer(erin, 0n, 2n), transfer(frank, 0n, 3n)]
    m.onHead(v, { included: [], orphaned: orphans })
    return { v, m, held, orphans }
  }

  it('hard bounds are twice the limits', () => {
    const m = pool(funded(), { maxTxs: 3, maxBytes: 1000, maxPerSender: 5 })
    expect([m.overflowTxs, m.overflowBytes, m.overflowPerSender]).to.deep.equal([6, 2000, 10])
  })

  it('keeps valid orphans that overfill a full pool, up to twice its count limit', () => {
    const { m, held, orphans } = overfilled()
    expect(ids(m.all()).sort()).to.deep.equal(ids([...held, ...orphans]).sort())
    expect(m.size).to.equal(m.overflowTxs)
    expect(m.overflowing).to.equal(true)
    expect(m.trimmedAfterHead).to.equal(0)
    expect(m.overflowsAfterHead).to.equal(1)
  })

  it('beyond the hard bound trims the cheapest run tails, and counts them', () => {
    const v = funded()
    const m = pool(v, { maxTxs: 3 })
    const held = [transfer(alice, 0n, 5n), transfer(bob, 0n, 6n), transfer(carol, 0n, 7n)]
    for (const t of held) m.add(t)
    const d0 = transfer(dave, 0n, 9n)
    const d1 = transfer(dave, 1n, 1n)
    const e0 = transfer(erin, 0n, 2n)
    const f0 = transfer(frank, 0n, 4n)
    const g0 = transfer(gina, 0n, 8n)
    m.onHead(v, { included: [], orphaned: [d0, d1, e0, f0, g0] })
    // 8 valid, bound 6: d1 (1) goes, exposing d0 (9); then e0 (2)
    expect(m.size).to.equal(6)
    expect(ids(m.pending(dave.id))).to.deep.equal(ids([d0]))
    expect(m.has(e0.id)).to.equal(false)
    expect(ids(m.all()).sort()).to.deep.equal(ids([...held, d0, f0, g0]).sort())
    expect(m.trimmedAfterHead).to.equal(2)
    expect(m.overflowing).to.equal(true)
  })

  it('while above its limits never grows: a new transaction must evict its own room from cheaper tails (TX-11)', () => {
    const { m, held, orphans } = overfilled()
    const [d0, e0] = orphans as [SignedTx, SignedTx, SignedTx]
    const size = m.size
    // no cheaper tail to take the place of: refused, nothing changes (dave's 1 is the cheapest)
    const before = ids(m.all())
    const e = errorOf(() => m.add(transfer(gina, 0n, 1n)))
    expect(e).to.include({ rule: 'TX-11', code: 'ERR_MEMPOOL_FULL' })
    expect(e?.details?.action).to.equal('IGNORE')
    expect(ids(m.all())).to.deep.equal(before)
    // a higher fee gets in one for one, the cheapest tail going: the pool stays at its size
    expect(m.add(transfer(gina, 0n, 1000n)).evicted).to.deep.equal([d0])
    expect(m.add(transfer(alice, 1n, 1000n)).evicted).to.deep.equal([e0])
    expect(m.size).to.equal(size)
    expect(m.overflowing).to.equal(true)
    // other rules still answer first
    expect(code(() => m.add(transfer(alice, 3n, 1000n)))).to.equal('ERR_NONCE_GAP')
    expect(code(() => m.add(transfer(bob, 0n, 6n, 2n)))).to.equal('ERR_REPLACEMENT_UNDERPRICED')
    // a same-nonce replacement adds no transaction: admitted, nothing evicted
    const r = transfer(bob, 0n, 10n)
    expect(m.add(r)).to.deep.equal({ replaced: held[1], evicted: [] })
    expect(m.size).to.equal(size)
    expect(m.overflowing).to.equal(true)
  })

  it('once blocks include enough, admits again, evicting only what the new transaction needs', () => {
    const { v, m, held, orphans } = overfilled()
    const [a0, b0, c0] = held as [SignedTx, SignedTx, SignedTx]
    const [d0, e0, f0] = orphans as [SignedTx, SignedTx, SignedTx]
    v.apply(a0)
    v.apply(b0)
    m.onHead(v, { included: [a0, b0], orphaned: [] })
    expect(m.size).to.equal(4)
    expect(m.overflowing).to.equal(true)
    // still above the limits: nothing cheaper than dave's 1 to evict for gina's 1
    expect(code(() => m.add(transfer(gina, 0n, 1n)))).to.equal('ERR_MEMPOOL_FULL')
    v.apply(c0)
    m.onHead(v, { included: [c0], orphaned: [] })
    expect(m.size).to.equal(3)
    expect(m.overflowing).to.equal(false)
    // full again, the ordinary rule: a strictly higher fee evicts the cheapest tail, one for one
    expect(code(() => m.add(transfer(gina, 0n, 1n)))).to.equal('ERR_MEMPOOL_FULL')
    expect(m.add(transfer(gina, 0n, 100n)).evicted).to.deep.equal([d0])
    v.apply(e0)
    m.onHead(v, { included: [e0], orphaned: [] })
    expect(m.add(transfer(alice, 1n, 1n)).evicted).to.deep.equal([])
    expect(m.size).to.equal(3)
    expect(m.has(f0.id)).to.equal(true)
    expect(m.trimmedAfterHead).to.equal(0)
  })

  it('the byte limit likewise: orphans up to twice maxBytes, then trimmed; no growth meanwhile', () => {
    const s = stake(alice, 0n, 1n).bytes.length
    const t = transfer(alice, 0n, 1n).bytes.length
    expect(t).to.be.greaterThan(s)
    const v = funded()
    const m = pool(v, { maxBytes: 2 * s })
    m.add(stake(alice, 0n, 5n))
    m.add(stake(bob, 0n, 6n))
    const c0 = stake(carol, 0n, 1n)
    const d0 = stake(dave, 0n, 2n)
    m.onHead(v, { included: [], orphaned: [c0, d0] })
    expect(m.bytes).to.equal(4 * s)
    expect(m.bytes).to.equal(m.overflowBytes)
    expect(m.overflowing).to.equal(true)
    expect(m.trimmedAfterHead).to.equal(0)
    // nothing cheaper than carol's 1 to make room for erin's 1
    expect(code(() => m.add(stake(erin, 0n, 1n)))).to.equal('ERR_MEMPOOL_FULL')
    expect(m.size).to.equal(4)
    // a replacement may not take the bytes past the hard bound; one of the same size gets in
    expect(code(() => m.add(transfer(alice, 0n, 10n)))).to.equal('ERR_MEMPOOL_FULL')
    expect(m.add(stake(alice, 0n, 10n)).evicted).to.deep.equal([])
    expect(m.bytes).to.equal(4 * s)
    // one more orphan: beyond the bound, the cheapest tail (carol's) goes
    const e0 = stake(erin, 0n, 3n)
    m.onHead(v, { included: [], orphaned: [e0] })
    expect(m.bytes).to.equal(4 * s)
    expect(m.has(c0.id)).to.equal(false)
    expect(m.has(e0.id)).to.equal(true)
    expect(m.trimmedAfterHead).to.equal(1)
    expect(m.overflowsAfterHead).to.equal(1)
  })

  it('a sender\'s held and orphaned transactions together keep up to twice maxPerSender; the rest are trimmed and counted', () => {
    const before = funded()
    const a = [0n, 1n, 2n, 3n, 4n, 5n].map((n) => transfer(alice, n, 2n))
    const [a0, a1, a2, a3, a4, a5] = a as [SignedTx, SignedTx, SignedTx, SignedTx, SignedTx, SignedTx]
    // a block includes a0, a1; alice sends a2, a3 (her limit); a reorg returns a0, a1
    const v = before.clone()
    const m = pool(v, { maxPerSender: 2 })
    v.apply(a0)
    v.apply(a1)
    m.onHead(v, { included: [a0, a1], orphaned: [] })
    m.add(a2)
    m.add(a3)
    m.onHead(before.clone(), { included: [], orphaned: [a0, a1], touched: 'all' })
    expect(ids(m.pending(alice.id))).to.deep.equal(ids([a0, a1, a2, a3]))
    expect(m.trimmedAfterHead).to.equal(0)
    expect(m.overflowing, 'the per-sender bound is not the pool\'s').to.equal(false)
    expect(code(() => m.add(a4))).to.equal('ERR_SENDER_LIMIT')
    // a head change that revalidates her keeps the run
    m.onHead(before.clone(), { included: [], orphaned: [], touched: 'all' })
    expect(m.pending(alice.id)).to.have.length(4)

    // three orphans and two held: five valid, the bound is four
    const w = before.clone()
    const m2 = pool(w, { maxPerSender: 2 })
    for (const x of [a0, a1, a2]) w.apply(x)
    m2.onHead(w, { included: [a0, a1, a2], orphaned: [] })
    m2.add(a3)
    m2.add(a4)
    m2.onHead(before.clone(), { included: [], orphaned: [a0, a1, a2] })
    expect(ids(m2.pending(alice.id))).to.deep.equal(ids([a0, a1, a2, a3]))
    expect(m2.has(a4.id)).to.equal(false)
    expect(m2.trimmedAfterHead).to.equal(1)
    expect(code(() => m2.add(a4))).to.equal('ERR_SENDER_LIMIT')
    expect(code(() => m2.add(a5))).to.equal('ERR_NONCE_GAP')
  })
})

/** A deterministic PRNG: SHA-256 of a seed and a counter. */
function prng (seed: string): (n: number) => number {
  let counter = 0n
  let buf: Uint8Array = new Uint8Array(0)
  let off = 0
  return (n: number): number => {
    if (off + 4 > buf.length) { buf = sha256(utf8(seed), u64be(counter++)); off = 0 }
    const x = new DataView(buf.buffer, buf.byteOffset + off, 4).getUint32(0)
    off += 4
    return x % n
  }
}

describe('chain/mempool: randomized consistency', function () {
  this.timeout(120_000)

  function checkInvariants (m: Mempool, v: FakeView, label: string): void {
    const all = m.all()
    expect(m.size, label).to.equal(all.length)
    expect(m.bytes, label).to.equal(all.reduce((s, t) => s + t.bytes.length, 0))
    // adds keep the soft limits, reorg orphans may fill up to the hard bound (checked around each step)
    expect(m.size, label).to.be.at.most(m.overflowTxs)
    expect(m.bytes, label).to.be.at.most(m.overflowBytes)
    expect(m.overflowing, label).to.equal(m.size > m.maxTxs || m.bytes > m.maxBytes)
    const senders = new Map<string, Uint8Array>()
    for (const t of all) {
      expect(m.has(t.id), label).to.equal(true)
      senders.set(toHex(accountIdOf(t.body.sender)), accountIdOf(t.body.sender))
    }
    let total = 0
    for (const id of senders.values()) {
      const run = m.pending(id)
      total += run.length
      expect(run.length, label).to.be.within(1, m.overflowPerSender)
      const n0 = v.nonce(id)
      expect(nonces(run), label).to.deep.equal(run.map((_, i) => n0 + BigInt(i)))
      expect(run.reduce((s, t) => s + txCost(t), 0n) <= v.spendable(id), label).to.equal(true)
      expect(run.reduce((s, t) => s + (t.body.unstake?.amount ?? 0n), 0n) <= v.stake(id), label).to.equal(true)
    }
    expect(total, label).to.equal(all.length)
  }

  /**
   * An independent, naive model of eviction: above the soft limits, nothing but a replacement
   * within the hard bound, evicting nothing; else repeatedly the cheapest tail (then highest id)
   * of another sender.
   */
  function expectedEviction (m: Mempool, runs: Map<string, SignedTx[]>, size: number, bytes: number, tx: SignedTx, replaced?: SignedTx): SignedTx[] | undefined {
    const me = toHex(accountIdOf(tx.body.sender))
    const left = new Map([...runs].filter(([k, r]) => k !== me && r.length > 0).map(([k, r]) => [k, [...r]]))
    let count = size + (replaced === undefined ? 1 : 0)
    let b = bytes + tx.bytes.length - (replaced?.bytes.length ?? 0)
    const overflowing = size > m.maxTxs || bytes > m.maxBytes
    if (overflowing && replaced !== undefined) return b <= m.overflowBytes ? [] : undefined
    // above a soft limit the pool may not grow past its current level in that dimension
    const [maxTxs, maxBytes] = [Math.max(size, m.maxTxs), Math.max(bytes, m.maxBytes)]
    const plan: SignedTx[] = []
    while (count > maxTxs || b > maxBytes) {
      let best: [string, SignedTx] | undefined
      for (const [k, r] of left) {
        const t = r[r.length - 1]
        if (t === undefined) continue
        if (best === undefined || t.body.fee < best[1].body.fee || (t.body.fee === best[1].body.fee && toHex(t.id) > toHex(best[1].id))) best = [k, t]
      }
      if (best === undefined || best[1].body.fee >= tx.body.fee) return undefined
      left.get(best[0])?.pop()
      plan.push(best[1])
      count--
      b -= best[1].bytes.length
    }
    return plan
  }

  for (const seed of ['one', 'two', 'three']) {
    it(`holds its invariants through random adds, blocks, reorgs and balance drops (seed ${seed})`, () => {
      const rnd = prng('mempool-random:' + seed)
      const people = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'].map(acct)
      const proposer = acct('proposer')
      let v = view(people.map((p) => [p, { balance: 1500n, stake: 60n }]))
      const m = pool(v, { maxTxs: 10, maxPerSender: 4, maxBytes: 9 * 150 })
      const history: Array<{ state: FakeView, txs: SignedTx[] }> = []
      const counts: Record<string, number> = {}
      const count = (k: string): void => { counts[k] = (counts[k] ?? 0) + 1 }

      let largest = 0
      for (let step = 0; step < 400; step++) {
        const op = rnd(100)
        const label = `${seed} step ${step}`
        const stepSize = m.size
        const stepTrimmed = m.trimmedAfterHead
        /** After a head change without orphans: nothing grows and nothing valid is trimmed. */
        const expectNoGrowth = (): void => {
          expect(m.size, label).to.be.at.most(stepSize)
          expect(m.trimmedAfterHead, label).to.equal(stepTrimmed)
        }
        if (op < 70) {
          const p = people[rnd(people.length)] as Acct
          const offset = BigInt(rnd(m.pending(p.id).length + 2)) - (rnd(8) === 0 ? 1n : 0n)
          const n = v.nonce(p.id) + offset < 0n ? 0n : v.nonce(p.id) + offset
          const fee = 1n + BigInt(rnd(40))
          const amount = 1n + BigInt(rnd(400))
          const kind = rnd(10)
          const tx = kind < 6
            ? transfer(p, n, fee, amount, people[rnd(people.length)] as Acct)
            : kind < 8 ? stake(p, n, fee, amount) : unstake(p, n, fee, BigInt(1 + rnd(40)))
          largest = Math.max(largest, tx.bytes.length)
          const snapshot = new Map(people.map((q) => [toHex(q.id), m.pending(q.id)]))
          const sizeBefore = m.size
          const bytesBefore = m.bytes
          const overflowingBefore = m.overflowing
          try {
            const r = m.add(tx, { skipSignature: rnd(2) === 0 })
            count(overflowingBefore ? (r.replaced !== undefined ? 'replacedWhileOverflowing' : 'evictedWhileOverflowing') : r.evicted.length > 0 ? 'evicted' : 'accepted')
            const plan = expectedEviction(m, snapshot, sizeBefore, bytesBefore, tx, r.replaced)
            expect(plan && ids(plan), label).to.deep.equal(ids(r.evicted))
            if (overflowingBefore) {
              // it does not grow where it is above a limit: a replacement keeps the count, a new
              // transaction evicted its room
              expect(m.size, label).to.be.at.most(Math.max(sizeBefore, m.maxTxs))
              if (r.replaced === undefined) expect(m.bytes, label).to.be.at.most(Math.max(bytesBefore, m.maxBytes))
            } else {
              expect(m.size, label).to.be.at.most(m.maxTxs)
              expect(m.bytes, label).to.be.at.most(m.maxBytes)
            }
          } catch (err) {
            const c = (err as { code?: string }).code
            if (c === undefined) throw err
            count(c)
            expect(m.size, label).to.equal(sizeBefore)
            if (c === 'ERR_MEMPOOL_FULL') {
              if (overflowingBefore) count('refusedWhileOverflowing')
              const replaced = (snapshot.get(toHex(accountIdOf(tx.body.sender))) ?? []).find((t) => t.body.nonce === tx.body.nonce)
              expect(expectedEviction(m, snapshot, sizeBefore, bytesBefore, tx, replaced), label).to.equal(undefined)
            }
          }
        } else if (op < 80) {
          // produce a block on the head: it must apply cleanly
          const txs = m.select(v, { maxBlockBytes: DEFAULT_BLOCK_OVERHEAD_BYTES + 4 * 170, maxBlockTxs: 1 + rnd(6) })
          const next = v.clone()
          for (const t of txs) next.apply(t)
          next.get(proposer.id).balance += 10n
          history.push({ state: v, txs })
          v = next
          m.onHead(v, { included: txs, orphaned: [] })
          expectNoGrowth()
          count('block')
        } else if (op < 90 && history.length > 0) {
          // reorg: undo 1-3 blocks, then apply an empty or one-tx branch
          const depth = Math.min(history.length, 1 + rnd(3))
          const undone = history.splice(history.length - depth, depth)
          const orphaned = undone.flatMap((b) => b.txs)
          const base = (undone[0] as { state: FakeView }).state
          const next = base.clone()
          const included: SignedTx[] = []
          const candidate = orphaned[rnd(orphaned.length + 1)]
          if (candidate !== undefined) { try { next.clone().apply(candidate); next.apply(candidate); included.push(candidate) } catch {} }
          const touched = [proposer.id, ...orphaned.flatMap((t) => t.body.transfer !== undefined ? [t.body.transfer.to] : [])]
          history.push({ state: base, txs: included })
          v = next
          m.onHead(v, { included, orphaned, touched })
          count('reorg')
          if (m.overflowing) count('overflow')
          if (people.some((q) => m.pending(q.id).length > m.maxPerSender)) count('senderOverflow')
          if (m.trimmedAfterHead > stepTrimmed) {
            count('trimmed')
            // valid transactions go only at a hard bound: a full run, or the pool at its count or bytes bound
            const atBound = people.some((q) => m.pending(q.id).length === m.overflowPerSender) ||
              m.size === m.overflowTxs || m.bytes > m.overflowBytes - largest
            expect(atBound, label).to.equal(true)
          }
        } else {
          // an account loses balance or stake in a way no transaction shows (e.g. a slash)
          const p = people[rnd(people.length)] as Acct
          const s = v.get(p.id)
          s.balance = s.balance / 2n
          s.stake = s.stake / 2n
          m.onHead(v, { included: [], orphaned: [], touched: [p.id] })
          expectNoGrowth()
          count('drop')
        }
        checkInvariants(m, v, label)
      }
      // the run must have exercised the interesting paths
      for (const k of ['accepted', 'evicted', 'block', 'reorg', 'drop', 'ERR_NONCE_GAP', 'ERR_INSUFFICIENT_BALANCE', 'ERR_MEMPOOL_FULL', 'overflow', 'refusedWhileOverflowing', 'senderOverflow']) {
        expect(counts[k] ?? 0, `${k} in ${JSON.stringify(counts)}`).to.be.greaterThan(0)
      }
    })
  }
})
