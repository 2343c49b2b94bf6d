/**
 * The verified-signature cache is bounded by what is pending, not by the chain's length: the
 * service forgets the verdicts of included transactions, of side-branch blocks' transactions that
 * are not pending, and of refused transactions, except those refused for room or order only,
 * which a second, separately bounded tier remembers; a reorg stays correct (the transactions of
 * the winning branch are verified again, the orphaned ones go back to the mempool).
 */
import { expect } from 'chai'
import { accountIdOf } from '../../src/core/address.ts'
import { toHex } from '../../src/core/bytes.ts'
import type { SignedTx } from '../../src/core/types.ts'
import { ChainService, RECENT_HEAD_SLOTS } from '../../src/chain/service.ts'
import { SigCache } from '../../src/chain/sig-cache.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { decodeTx } from '../../src/wire/tx.ts'
import { testDevnet } from '../helpers/devnet.ts'

type Net = ReturnType<typeof testDevnet>

function transfers (net: Net, nonces: bigint[]): SignedTx[] {
  const to = accountIdOf(net.validators[0]!.publicKey)
  return nonces.map((nonce) => decodeTx(buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce, fee: 1000n, to, amount: 1n + nonce }).bytes))
}

async function open (net: Net, validator?: number, pool = false): Promise<ChainService> {
  return await ChainService.open({
    params: net.params,
    allocations: net.config.accounts,
    store: new MemoryStore(),
    now: net.clock.now,
    ...(validator !== undefined ? { validator: net.validators[validator] } : {}),
    ...(pool ? { verifierPool: { size: 1 } } : {})
  })
}

/** Produces with `svc` from `slot` on until `done()`; returns the last slot tried. */
async function produceUntil (svc: ChainService, net: Net, slot: bigint, done: () => boolean): Promise<bigint> {
  for (let i = 0; i < 2000 && !done(); i++) {
    slot++
    net.clock.toSlot(slot)
    await svc.produce(slot)
  }
  expect(done()).to.equal(true)
  return slot
}

/**
 * A validator (`producer`, holding transfers t0 and t1 of one sender) and a non-validator
 * (`follower`) on one devnet; `fn` runs with both, which are closed afterwards.
 */
async function withProducerAndFollower (label: string, fn: (s: { net: Net, producer: ChainService, follower: ChainService, t0: SignedTx, t1: SignedTx }) => Promise<void>, followerPool = false): Promise<void> {
  const net = testDevnet(1, { label })
  const producer = await open(net, 0)
  const follower = await open(net, undefined, followerPool)
  try {
    const [t0, t1] = transfers(net, [0n, 1n]) as [SignedTx, SignedTx]
    expect((await producer.addTransactions([t0, t1])).every((o) => o.ok)).to.equal(true)
    await fn({ net, producer, follower, t0, t1 })
  } finally {
    await follower.close()
    await producer.close()
  }
}

describe('chain/sig-cache: first-tier verdicts live as long as the transaction is pending; the second tier is bounded', () => {
  it('keys on id and signature, and forget drops entries without touching the counters', () => {
    const net = testDevnet(1, { label: 'sc-unit' })
    const [a, b] = transfers(net, [0n, 1n]) as [SignedTx, SignedTx]
    const cache = new SigCache(10)
    cache.add(a)
    cache.add(b)
    expect(cache.peek({ ...a, signature: b.signature })).to.equal(false)
    cache.forget([a])
    expect(cache.peek(a)).to.equal(false)
    expect(cache.peek(b)).to.equal(true)
    expect(cache.stats()).to.deep.equal({ hits: 0, misses: 0, inserts: 2, evictions: 0, size: 1, remembered: 0 })
    expect(() => new SigCache(0)).to.throw(RangeError)
    expect(() => new SigCache(1, -1)).to.throw(RangeError)
  })

  it('the second tier has its own bound and never pushes out the pending verdicts', () => {
    const net = testDevnet(1, { label: 'sc-tiers' })
    const [a, b, c, d, e] = transfers(net, [0n, 1n, 2n, 3n, 4n]) as [SignedTx, SignedTx, SignedTx, SignedTx, SignedTx]
    const cache = new SigCache(2, 2)
    cache.add(a)
    cache.add(b)
    cache.remember(c)
    cache.remember(d)
    cache.remember(e)
    // c, the least recently remembered, went; a and b (pending) are untouched
    expect([a, b, c, d, e].map((t) => cache.peek(t))).to.deep.equal([true, true, false, true, true])
    expect(cache.stats()).to.include({ size: 4, remembered: 2, evictions: 1 })
    // a remembered verdict is a hit for block import
    expect(cache.has(d)).to.equal(true)
    expect(cache.stats().hits).to.equal(1)
    // admitted later, it moves to the first tier (whose bound then evicts its oldest, a)
    cache.add(d)
    expect(cache.stats()).to.include({ size: 3, remembered: 1 })
    expect(cache.peek(a)).to.equal(false)
    // forget drops either tier
    cache.forget([d, e])
    expect(cache.peek(d) || cache.peek(e)).to.equal(false)
    expect(cache.stats()).to.include({ size: 1, remembered: 0 })
    // a bound of 0 remembers nothing
    const none = new SigCache(2, 0)
    none.remember(a)
    expect(none.size).to.equal(0)
  })

  it('the second tier evicts first-in first-out and stays bounded under churn', () => {
    const net = testDevnet(1, { label: 'sc-fifo' })
    const [a] = transfers(net, [0n]) as [SignedTx]
    // distinct keys (id ‖ signature) without signing 20,000 transactions
    const fake = (i: number): SignedTx => {
      const id = new Uint8Array(32)
      new DataView(id.buffer).setUint32(0, i)
      return { ...a, id }
    }
    const cache = new SigCache(10, 100)
    const txs = Array.from({ length: 20_000 }, (_, i) => fake(i))
    for (let i = 0; i < txs.length; i++) {
      cache.remember(txs[i] as SignedTx)
      // every third one leaves early (included again, admitted, or spent)
      if (i % 3 === 0) cache.forget([txs[i] as SignedTx])
      // remembering again keeps its place
      if (i % 7 === 0 && i > 0) cache.remember(txs[i - 1] as SignedTx)
      expect(cache.stats().remembered).to.be.at.most(100)
    }
    expect(cache.stats().remembered).to.equal(100)
    // the newest are held, the oldest went first
    expect(cache.peek(txs[19_999] as SignedTx)).to.equal(true)
    expect(cache.peek(txs[1] as SignedTx)).to.equal(false)
    expect(txs.slice(0, 19_000).some((t) => cache.peek(t))).to.equal(false)
  })

  it('a refused transaction leaves no entry unless refused for room or order (verified ahead); a pending one keeps its entry', async () => {
    const net = testDevnet(1, { label: 'sc-refused' })
    // the node's verifier pool checks signatures ahead, except for transactions refused before
    // their signature whatever comes with them (the unfunded one below)
    const svc = await open(net, undefined, true)
    try {
      const [ok, gap] = transfers(net, [0n, 5n]) as [SignedTx, SignedTx]
      const to = accountIdOf(net.validators[0]!.publicKey)
      // more than the faucet holds: TX-7, refused for the sender's state, not for room
      const poor = decodeTx(buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 1n, fee: 1000n, to, amount: 10n ** 19n }).bytes)
      const out = await svc.addTransactions([ok, gap, poor])
      expect(out.map((o) => o.ok)).to.deep.equal([true, false, false])
      expect(out.map((o) => o.ok ? '' : o.error.code)).to.deep.equal(['', 'ERR_NONCE_GAP', 'ERR_INSUFFICIENT_BALANCE'])
      expect([ok, gap, poor].map((t) => svc.sigCache.peek(t))).to.deep.equal([true, true, false])
      expect(svc.sigCache.stats()).to.include({ size: 2, remembered: 1 })
      // nothing is known of the unfunded one's signature: the outcome says so (gossip relays no batch holding it)
      expect(out.map((o) => !o.ok && o.unverified === true)).to.deep.equal([false, false, true])
      // the same transaction again (ERR_KNOWN_TX): still pending, still cached
      await svc.addTransactions([ok])
      expect(svc.sigCache.peek(ok)).to.equal(true)
    } finally {
      await svc.close()
    }
  })

  it('without a verifier pool a refusal by the state verifies nothing and remembers nothing', async () => {
    const net = testDevnet(1, { label: 'sc-refused-sync' })
    const svc = await open(net)
    try {
      const [ok, gap] = transfers(net, [0n, 5n]) as [SignedTx, SignedTx]
      const out = await svc.addTransactions([ok, gap])
      expect(out.map((o) => o.ok ? '' : o.error.code)).to.deep.equal(['', 'ERR_NONCE_GAP'])
      expect(out[1]?.ok === false && out[1].unverified).to.equal(true)
      expect([ok, gap].map((t) => svc.sigCache.peek(t))).to.deep.equal([true, false])
    } finally {
      await svc.close()
    }
  })

  it('a transaction refused for a nonce gap is not verified again when a block brings it', async () => {
    await withProducerAndFollower('sc-remembered', async ({ net, producer, follower, t1 }) => {
      // the follower sees t1 first (gossip gives no order across messages): a gap, remembered
      expect((await follower.addTransactions([t1]))[0]?.ok).to.equal(false)
      expect(follower.sigCache.peek(t1)).to.equal(true)
      await produceUntil(producer, net, 0n, () => producer.chain.head.height >= 1n)
      follower.sigCache.resetStats()
      for (const bytes of await producer.blocksByRange(1n, 64)) await follower.importBlock(bytes)
      expect(follower.chain.head.hex).to.equal(producer.chain.head.hex)
      // t1's verdict was used (a hit); t0 was verified by the pool during the import (no cache
      // lookup); both are included, so no longer in the first tier (which tracks the mempool),
      // and remembered in the second
      expect(follower.sigCache.stats()).to.include({ hits: 1, misses: 0, size: 2, remembered: 2 })
    }, true)
  })

  it('a node catching up on old blocks remembers nothing', async () => {
    await withProducerAndFollower('sc-catch-up', async ({ net, producer, follower }) => {
      const slot = await produceUntil(producer, net, 0n, () => producer.chain.head.height >= 1n)
      // the follower imports the block RECENT_HEAD_SLOTS + 1 slots after it was made
      net.clock.toSlot(slot + RECENT_HEAD_SLOTS + 1n)
      for (const bytes of await producer.blocksByRange(1n, 64)) await follower.importBlock(bytes)
      expect(follower.chain.head.hex).to.equal(producer.chain.head.hex)
      expect(follower.sigCache.size).to.equal(0)
      // the producer, at its own block's slot, remembered them
      expect(producer.sigCache.stats().remembered).to.equal(2)
    })
  })

  it('after a reorg the winning branch uses the remembered verdicts, orphaned transactions are pending again, and the first tier holds only pending ones', async () => {
    const net = testDevnet(2, { label: 'sc-reorg', k: 10n })
    const a = await open(net, 0)
    const b = await open(net, 1)
    try {
      const [t0, t1] = transfers(net, [0n, 1n]) as [SignedTx, SignedTx]
      expect((await a.addTransactions([t0, t1])).every((o) => o.ok)).to.equal(true)
      expect((await b.addTransactions([t0])).every((o) => o.ok)).to.equal(true)
      // A includes both alone; its first tier is empty afterwards, the verdicts are in the second
      let slot = await produceUntil(a, net, 0n, () => a.chain.head.height >= 1n)
      expect(a.mempool.size).to.equal(0)
      expect(a.sigCache.stats()).to.include({ size: 2, remembered: 2 })
      // B builds a longer branch that includes t0 only
      slot = await produceUntil(b, net, slot, () => b.chain.head.height >= a.chain.head.height + 2n)
      expect(b.sigCache.stats()).to.include({ size: 1, remembered: 1 })
      a.sigCache.resetStats()
      for (const bytes of await b.blocksByRange(1n, 64)) await a.importBlock(bytes)
      expect(a.chain.head.hex).to.equal(b.chain.head.hex)
      expect(a.counters.reorgs).to.be.greaterThan(0)
      // t0 on B's branch is the same transaction (same id and signature): its remembered verdict
      // is used, nothing is verified again
      expect(a.sigCache.stats()).to.include({ misses: 0 })
      expect(a.sigCache.stats().hits).to.be.greaterThan(0)
      // t1 went back to the mempool; t0 is included again
      expect(a.mempool.has(t1.id)).to.equal(true)
      expect(a.mempool.has(t0.id)).to.equal(false)
      expect(a.sigCache.peek(t0)).to.equal(true)
      // t1 went back to the mempool with the verdict its block's import established
      expect(a.sigCache.peek(t1)).to.equal(true)
      // the first tier holds nothing but pending transactions
      const st = a.sigCache.stats()
      expect(st.size - st.remembered).to.be.at.most(a.mempool.size)
      // and A's next block carries t1 onto the common chain
      const before = a.chain.head.height
      await produceUntil(a, net, slot, () => a.chain.head.height > before)
      for (const bytes of await a.blocksByRange(before + 1n, 64)) await b.importBlock(bytes)
      expect(b.chain.head.hex).to.equal(a.chain.head.hex)
      expect(a.mempool.size).to.equal(0)
      const first = (svc: ChainService): number => svc.sigCache.stats().size - svc.sigCache.stats().remembered
      expect([first(a), first(b)]).to.deep.equal([0, 0])
      expect(toHex(a.chain.ledger.root())).to.equal(toHex(b.chain.ledger.root()))
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('a side-branch block keeps the verdicts a reorg onto its branch needs', async () => {
    const net = testDevnet(2, { label: 'sc-side', k: 10n })
    const a = await open(net, 0)
    const b = await open(net, 1)
    const c = await open(net)
    try {
      const [t0] = transfers(net, [0n]) as [SignedTx]
      for (const s of [a, b, c]) expect((await s.addTransactions([t0])).every((o) => o.ok)).to.equal(true)
      // two competing blocks at height 1 carrying t0: C imports A's (canonical), then B's (a side
      // block), then B's next block, which makes B's branch the longer: a reorg applies B's first
      const slot = await produceUntil(a, net, 0n, () => a.chain.head.height >= 1n)
      await produceUntil(b, net, slot, () => b.chain.head.height >= 2n)
      const [fromA] = await a.blocksByRange(1n, 1)
      const [b1, b2] = await b.blocksByRange(1n, 2)
      await c.importBlock(fromA as Uint8Array)
      expect(c.sigCache.stats()).to.include({ size: 1, remembered: 1 })
      await c.importBlock(b1 as Uint8Array)
      expect(c.chain.head.hex).to.equal(a.chain.head.hex)
      expect(c.sigCache.peek(t0)).to.equal(true)
      c.sigCache.resetStats()
      await c.importBlock(b2 as Uint8Array)
      expect(c.chain.head.hex).to.equal(b.chain.head.hex)
      expect(c.counters.reorgs).to.equal(1)
      // t0 in B's block was not verified again
      expect(c.sigCache.stats()).to.include({ hits: 1, misses: 0 })
    } finally {
      await a.close()
      await b.close()
      await c.close()
    }
  })
})
