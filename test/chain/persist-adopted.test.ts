/**
 * Regression: a head change made by adopted orphans must reach the store in full. Found by
 * test/node/process.test.ts: a node restarted after SIGKILL refused its own database ("missing
 * canonical block") when, while it synced, a side block's import let waiting orphans switch the
 * head: the service wrote the new head pointer without the blocks, index entries and accounts of
 * that switch.
 */
import { expect } from 'chai'
import { toHex } from '../../src/core/bytes.ts'
import { ChainService, KEEP_SETTLED_BLOCKS } from '../../src/chain/service.ts'
import { MemoryStore, type BatchOp } from '../../src/storage/store.ts'
import { decodeBlock } from '../../src/wire/block.ts'
import { testDevnet } from '../helpers/devnet.ts'

describe('chain/service: head changes through adopted orphans are persisted', function () {
  this.timeout(30_000)

  for (const order of ['side block last', 'newest first'] as const) {
    it(`a reorg completed by orphans (${order}) reopens at the new head with its state`, async () => {
      const net = testDevnet(2, { label: `adopt-${order}`, k: 10n })
      const store = new MemoryStore()
      const a = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now, validator: net.validators[0] })
      const b = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[1] })
      // A builds alone; B builds a longer branch alone
      let slot = 0n
      for (let i = 0; i < 40 && a.chain.head.height < 3n; i++) { slot++; net.clock.toSlot(slot); await a.produce(slot) }
      for (let i = 0; i < 200 && b.chain.head.height < a.chain.head.height + 3n; i++) { slot++; net.clock.toSlot(slot); await b.produce(slot) }
      const blocks = await b.blocksByRange(1n, 64)
      // B's blocks above the first arrive before it (orphans); the first, a side block at a
      // height below A's head, arrives last and its descendants switch the head
      const rest = blocks.slice(1)
      for (const bytes of order === 'newest first' ? [...rest].reverse() : rest) {
        await a.importBlock(bytes).catch((err: { rule?: string }) => { expect(err.rule).to.equal('B-5') })
      }
      const result = await a.importBlock(blocks[0] as Uint8Array)
      expect(result.status).to.equal('side')
      expect(result.adopted).to.equal(rest.length)
      expect(a.chain.head.hex).to.equal(b.chain.head.hex)

      const reopened = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now })
      expect(reopened.chain.head.hex).to.equal(b.chain.head.hex)
      expect(toHex(reopened.chain.ledger.root())).to.equal(toHex(b.chain.ledger.root()))
      expect(await reopened.blocksByRange(1n, 64)).to.deep.equal(blocks)
    })
  }

  it('blocks an adopted burst pruned from memory stay readable while their write is in flight', async () => {
    const k = 4n
    const net = testDevnet(1, { label: 'adopt-burst', k })
    const src = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    const n = Number(k) + KEEP_SETTLED_BLOCKS + 8
    for (let slot = 1n; slot < 400n && src.chain.head.height < BigInt(n); slot++) { net.clock.toSlot(slot); await src.produce(slot) }
    const blocks = await src.blocksByRange(1n, n)
    expect(blocks.length).to.equal(n)
    // a store whose next write waits for the test
    let release = (): void => {}
    let entered = (): void => {}
    const writeStarted = new Promise<void>((resolve) => { entered = resolve })
    class GatedStore extends MemoryStore {
      gated = false
      override async batch (ops: BatchOp[]): Promise<void> {
        if (this.gated) {
          this.gated = false
          entered()
          await new Promise<void>((resolve) => { release = resolve })
        }
        await super.batch(ops)
      }
    }
    const store = new GatedStore()
    const a = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now })
    for (const bytes of blocks.slice(1)) await a.importBlock(bytes).catch((err: { rule?: string }) => { expect(err.rule).to.equal('B-5') })
    store.gated = true
    const imported = a.importBlock(blocks[0] as Uint8Array)
    await writeStarted
    // the burst moved the head n blocks at once: the first ones left memory before the write
    expect(a.chain.head.height).to.equal(BigInt(n))
    expect(a.chain.blockAt(1n), 'pruned from memory').to.equal(undefined)
    const during = await a.blocksByRange(1n, n)
    const first = await a.blockByHash(decodeBlock(blocks[0] as Uint8Array, net.params).header.hash)
    release()
    expect((await imported).adopted).to.equal(n - 1)
    expect(during).to.deep.equal(blocks)
    expect(first).to.deep.equal(blocks[0])
    expect(await a.blocksByRange(1n, n)).to.deep.equal(blocks)
  })
})
