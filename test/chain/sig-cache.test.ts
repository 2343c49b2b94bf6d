/**
 * The verified-signature cache is bounded by what is pending, not by the chain's length: the
 * service forgets the verdicts of included transactions, of side-branch blocks' transactions that
 * are not pending, and of refused transactions; a reorg stays correct (the transactions of the
 * winning branch are verified again, the orphaned ones go back to the mempool).
 */
import { expect } from 'chai'
import { accountIdOf } from '../../src/core/address.ts'
import { toHex } from '../../src/core/bytes.ts'
import type { SignedTx } from '../../src/core/types.ts'
import { ChainService } from '../../src/chain/service.ts'
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

async function open (net: Net, validator?: number): Promise<ChainService> {
  return await ChainService.open({
    params: net.params,
    allocations: net.config.accounts,
    store: new MemoryStore(),
    now: net.clock.now,
    ...(validator !== undefined ? { validator: net.validators[validator] } : {})
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

describe('chain/sig-cache: verdicts live as long as the transaction is pending', () => {
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
    expect(cache.stats()).to.deep.equal({ hits: 0, misses: 0, inserts: 2, evictions: 0, size: 1 })
    expect(() => new SigCache(0)).to.throw(RangeError)
  })

  it('a refused transaction leaves no entry; a pending one keeps its entry', async () => {
    const net = testDevnet(1, { label: 'sc-refused' })
    const svc = await open(net)
    try {
      const [ok, gap] = transfers(net, [0n, 5n]) as [SignedTx, SignedTx]
      const out = await svc.addTransactions([ok, gap])
      expect(out.map((o) => o.ok)).to.deep.equal([true, false])
      expect(svc.sigCache.size).to.equal(1)
      expect(svc.sigCache.peek(ok)).to.equal(true)
      // the same transaction again (ERR_KNOWN_TX): still pending, still cached
      await svc.addTransactions([ok])
      expect(svc.sigCache.peek(ok)).to.equal(true)
    } finally {
      await svc.close()
    }
  })

  it('after a reorg the winning branch is verified again, orphaned transactions are pending again, and the cache holds only pending ones', async () => {
    const net = testDevnet(2, { label: 'sc-reorg', k: 10n })
    const a = await open(net, 0)
    const b = await open(net, 1)
    try {
      const [t0, t1] = transfers(net, [0n, 1n]) as [SignedTx, SignedTx]
      expect((await a.addTransactions([t0, t1])).every((o) => o.ok)).to.equal(true)
      expect((await b.addTransactions([t0])).every((o) => o.ok)).to.equal(true)
      // A includes both alone; its cache is empty afterwards (the verdicts were spent)
      let slot = await produceUntil(a, net, 0n, () => a.chain.head.height >= 1n)
      expect(a.mempool.size).to.equal(0)
      expect(a.sigCache.size).to.equal(0)
      // B builds a longer branch that includes t0 only
      slot = await produceUntil(b, net, slot, () => b.chain.head.height >= a.chain.head.height + 2n)
      expect(b.sigCache.size).to.equal(0)
      a.sigCache.resetStats()
      for (const bytes of await b.blocksByRange(1n, 64)) await a.importBlock(bytes)
      expect(a.chain.head.hex).to.equal(b.chain.head.hex)
      expect(a.counters.reorgs).to.be.greaterThan(0)
      // t0 was verified again on B's branch (a miss, never a borrowed verdict)
      expect(a.sigCache.stats().misses).to.be.greaterThan(0)
      // t1 went back to the mempool; nothing but pending transactions may be cached
      expect(a.mempool.has(t1.id)).to.equal(true)
      expect(a.mempool.has(t0.id)).to.equal(false)
      expect(a.sigCache.peek(t0)).to.equal(false)
      // t1 went back to the mempool with the verdict its block's import established
      expect(a.sigCache.peek(t1)).to.equal(true)
      expect(a.sigCache.size).to.be.at.most(a.mempool.size)
      // and A's next block carries t1 onto the common chain
      const before = a.chain.head.height
      await produceUntil(a, net, slot, () => a.chain.head.height > before)
      for (const bytes of await a.blocksByRange(before + 1n, 64)) await b.importBlock(bytes)
      expect(b.chain.head.hex).to.equal(a.chain.head.hex)
      expect(a.mempool.size).to.equal(0)
      expect([a.sigCache.size, b.sigCache.size]).to.deep.equal([0, 0])
      expect(toHex(a.chain.ledger.root())).to.equal(toHex(b.chain.ledger.root()))
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('a side-branch block forgets the verdicts of transactions that are not pending', async () => {
    const net = testDevnet(2, { label: 'sc-side', k: 10n })
    const a = await open(net, 0)
    const b = await open(net, 1)
    const c = await open(net)
    try {
      const [t0] = transfers(net, [0n]) as [SignedTx]
      for (const s of [a, b, c]) expect((await s.addTransactions([t0])).every((o) => o.ok)).to.equal(true)
      // two competing blocks at height 1 carrying t0: C imports A's (canonical), then B's (a side block)
      const slot = await produceUntil(a, net, 0n, () => a.chain.head.height >= 1n)
      await produceUntil(b, net, slot, () => b.chain.head.height >= 1n)
      const [fromA] = await a.blocksByRange(1n, 1)
      const [fromB] = await b.blocksByRange(1n, 1)
      await c.importBlock(fromA as Uint8Array)
      expect(c.sigCache.size).to.equal(0)
      await c.importBlock(fromB as Uint8Array)
      expect(c.chain.head.height).to.equal(1n)
      expect(c.sigCache.size).to.equal(0)
    } finally {
      await a.close()
      await b.close()
      await c.close()
    }
  })
})
