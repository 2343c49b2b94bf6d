import { expect } from 'chai'
import { bytesToBigInt, concatBytes, toHex } from '../../src/core/bytes.ts'
import type { Block } from '../../src/core/types.ts'
import { storedBlock, storedBlockAt, storedCanonicalBlock } from '../../src/chain/persist.ts'
import type { BatchOp, MemoryStore } from '../../src/storage/store.ts'
import { chainWithTransfers, openValidator, twoProducersAndFollower } from '../helpers/stored-chain.ts'

const BLOCK_AT = 0x00
const BLOCK_BY_HASH = 0x02
const NODE = 0x03

async function keysUnder (store: MemoryStore, prefix: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const [k] of store.entries({ gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) })) out.push(k)
  return out
}

describe('chain/persist: block keys', function () {
  this.timeout(60_000)

  it('stores each block under 0x00 ‖ u64be(height) ‖ hash, so the keys sort by height; nothing under the old 0x02 ‖ hash', async () => {
    const { store, svc } = await chainWithTransfers(12n, 'blocks-by-height')
    try {
      const keys = await keysUnder(store, BLOCK_AT)
      expect(keys).to.have.length(12)
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as Uint8Array
        expect(k.length).to.equal(1 + 8 + 32)
        const height = bytesToBigInt(k.subarray(1, 9))
        expect(height).to.equal(BigInt(i + 1))
        const node = svc.chain.blockAt(height)
        expect(toHex(k.subarray(9))).to.equal(node?.hex)
        expect(toHex(await store.get(k) as Uint8Array)).to.equal(toHex(node?.block?.bytes as Uint8Array))
      }
      expect(await keysUnder(store, BLOCK_BY_HASH)).to.have.length(0)
      // read back by hash and by height from the store alone
      const b7 = svc.chain.blockAt(7n)
      expect(toHex(await storedBlock(store, b7?.hash as Uint8Array) as Uint8Array)).to.equal(toHex(b7?.block?.bytes as Uint8Array))
      expect(toHex(await storedCanonicalBlock(store, 7n) as Uint8Array)).to.equal(toHex(b7?.block?.bytes as Uint8Array))
      expect(await storedBlock(store, new Uint8Array(32).fill(9))).to.equal(undefined)
      expect(toHex(await storedBlockAt(store, 7n, b7?.hash as Uint8Array) as Uint8Array)).to.equal(toHex(b7?.block?.bytes as Uint8Array))
      expect(await storedBlockAt(store, 8n, b7?.hash as Uint8Array)).to.equal(undefined)
      expect(await storedCanonicalBlock(store, 13n)).to.equal(undefined)
    } finally {
      await svc.close()
    }
  })

  it('a block whose stored metadata is damaged is ERR_STORE_CORRUPT when read by hash, not a crash or a wrong block', async () => {
    const { store, svc } = await chainWithTransfers(6n, 'blocks-bad-meta')
    try {
      const hash = svc.chain.blockAt(2n)?.hash as Uint8Array
      const metaKey = concatBytes(Uint8Array.of(NODE), hash)
      const good = await store.get(metaKey) as Uint8Array
      for (const [name, value] of [['not JSON', new TextEncoder().encode('{"height":')], ['no height', new TextEncoder().encode('{"slot":"2"}')], ['height not a number', new TextEncoder().encode('{"height":"two"}')]] as const) {
        await store.batch([{ type: 'put', key: metaKey, value }])
        let error: unknown
        try { await storedBlock(store, hash) } catch (err) { error = err }
        expect(error, name).to.have.property('code', 'ERR_STORE_CORRUPT')
        expect(String((error as Error).message), name).to.match(/metadata of block/)
      }
      await store.batch([{ type: 'put', key: metaKey, value: good }])
      expect(toHex(await storedBlock(store, hash) as Uint8Array)).to.equal(toHex(svc.chain.blockAt(2n)?.block?.bytes as Uint8Array))
    } finally {
      await svc.close()
    }
  })

  it('blocks of a branch the chain left are stored under their heights too, and found by their hashes', async () => {
    const { a, b, svc, store, next, close } = await twoProducersAndFollower('blocks-side')
    try {
      while (a.chain.head.height < 5n) await b.importBlock(await next(a))
      const main6 = await next(a)
      const side6 = await next(b) // heights 6 and 7 on another branch, without main6
      const side7 = await next(b)
      for (let h = 1n; h <= 5n; h++) await svc.importBlock(a.chain.blockAt(h)?.block as Block)
      await svc.importBlock(main6)
      await svc.importBlock(side6)
      await svc.importBlock(side7)
      // the longer branch won: main6 was applied, then undone
      expect(svc.chain.head.hex).to.equal(toHex(side7.header.hash))
      const at6 = (await keysUnder(store, BLOCK_AT)).filter((k) => bytesToBigInt(k.subarray(1, 9)) === 6n).map((k) => toHex(k.subarray(9))).sort()
      expect(at6).to.deep.equal([toHex(main6.header.hash), toHex(side6.header.hash)].sort())
      for (const blk of [main6, side6]) expect(toHex(await storedBlock(store, blk.header.hash) as Uint8Array)).to.equal(toHex(blk.bytes))
    } finally {
      await close()
    }
  })

  it('a database written before (blocks under 0x02 ‖ hash) still opens, serves its blocks, and stores new blocks by height', async () => {
    const { net, store, svc } = await chainWithTransfers(12n, 'blocks-old-keys')
    const hashes = new Map<bigint, Uint8Array>()
    for (let h = 1n; h <= 12n; h++) hashes.set(h, svc.chain.blockAt(h)?.hash as Uint8Array)
    const lastSlot = svc.chain.head.slot
    await svc.close()
    // rewrite the store as the versions before wrote it: every block under 0x02 ‖ hash
    const ops: BatchOp[] = []
    for (const k of await keysUnder(store, BLOCK_AT)) {
      ops.push({ type: 'put', key: concatBytes(Uint8Array.of(BLOCK_BY_HASH), k.subarray(9)), value: await store.get(k) as Uint8Array })
      ops.push({ type: 'del', key: k })
    }
    await store.batch(ops)
    expect(await keysUnder(store, BLOCK_AT)).to.have.length(0)
    expect(await keysUnder(store, BLOCK_BY_HASH)).to.have.length(12)
    const re = await openValidator(net, store)
    try {
      expect(re.chain.head.height).to.equal(12n)
      // block 2 is below what a restart keeps in memory (k + 1 = 5 blocks): read from the store
      expect(re.chain.blockAt(2n)).to.equal(undefined)
      const byHeight = await re.blockAt(2n)
      const byHash = await re.blockByHash(hashes.get(2n) as Uint8Array)
      expect(byHeight).to.not.equal(undefined)
      expect(toHex(byHash as Uint8Array)).to.equal(toHex(byHeight as Uint8Array))
      // with its height known (the transaction index's catch-up), the same block, from the old key
      expect(toHex(await re.blockByHash(hashes.get(2n) as Uint8Array, 2n) as Uint8Array)).to.equal(toHex(byHeight as Uint8Array))
      const range = await re.blocksByRange(1n, 12)
      expect(range).to.have.length(12)
      expect(toHex(range[1] as Uint8Array)).to.equal(toHex(byHeight as Uint8Array))
      // new blocks go under the new key
      let slot = lastSlot
      for (let i = 0; i < 100 && re.chain.head.height < 13n; i++) {
        slot++
        net.clock.toSlot(slot)
        await re.produce(slot)
      }
      expect(re.chain.head.height).to.equal(13n)
      const fresh = await keysUnder(store, BLOCK_AT)
      expect(fresh.map((k) => bytesToBigInt(k.subarray(1, 9)))).to.deep.equal([13n])
    } finally {
      await re.close()
    }
    // and the mixed database opens again
    const again = await openValidator(net, store)
    try {
      expect(again.chain.head.height).to.equal(13n)
      expect(await again.blocksByRange(1n, 13)).to.have.length(13)
    } finally {
      await again.close()
    }
  })
})
