/** Chains on a MemoryStore for the persistence tests (test/chain/persist-*.test.ts). */
import { expect } from 'chai'
import { accountIdOf } from '../../src/core/address.ts'
import { ChainService } from '../../src/chain/service.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import type { Block } from '../../src/core/types.ts'
import { slotStepper, testDevnet } from './devnet.ts'

export type TestNet = ReturnType<typeof testDevnet>

/** Opens a chain service of `net`'s first validator on `store`. */
export async function openValidator (net: TestNet, store: MemoryStore): Promise<ChainService> {
  return await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now, validator: net.validators[0] })
}

/** A one-validator chain of `height` blocks with a faucet transfer in each, k = 4, on a MemoryStore. */
export async function chainWithTransfers (height: bigint, label: string): Promise<{ net: TestNet, store: MemoryStore, svc: ChainService }> {
  const net = testDevnet(1, { label, k: 4n })
  const store = new MemoryStore()
  const svc = await openValidator(net, store)
  const to = accountIdOf(net.validators[0]!.publicKey)
  let nonce = 0n
  let slot = 0n
  for (let i = 0; i < 5000 && svc.chain.head.height < height; i++) {
    if (svc.mempool.size === 0) {
      const t = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: nonce++, fee: 1000n, to, amount: 7n })
      expect((await svc.addTransactions([t.bytes]))[0]?.ok).to.equal(true)
    }
    slot++
    net.clock.toSlot(slot)
    await svc.produce(slot)
  }
  expect(svc.chain.head.height).to.equal(height)
  return { net, store, svc }
}

/**
 * Two producers `a` and `b` of one validator key (to build competing branches: `next(a)`,
 * `next(b)` on a shared slot counter) and a follower `svc` on `store`; `close` stops all three.
 */
export async function twoProducersAndFollower (label: string): Promise<{ net: TestNet, a: ChainService, b: ChainService, svc: ChainService, store: MemoryStore, next: (who: ChainService) => Promise<Block>, close: () => Promise<void> }> {
  const net = testDevnet(1, { label, k: 4n })
  const a = await openValidator(net, new MemoryStore())
  const b = await openValidator(net, new MemoryStore())
  const store = new MemoryStore()
  const svc = await openValidator(net, store)
  const { next } = slotStepper(net.clock, 1000)
  const close = async (): Promise<void> => {
    await svc.close()
    await a.close()
    await b.close()
  }
  return { net, a, b, svc, store, next, close }
}
