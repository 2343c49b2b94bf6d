/**
 * The disk-backed transaction index (src/chain/tx-index.ts) against a stubbed chain: head events
 * become one batch each, a reorg moves entries, the index survives a restart on LevelDB, and the
 * catch-up walks forward from a lagging marker and back from a non-canonical one, a bounded
 * number of blocks per batch. After every scenario the whole index is compared with what the
 * canonical chain implies (entries, per-account history and counts, no stray keys).
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { accountIdOf } from '../../src/core/address.ts'
import { concatBytes, toHex, utf8 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { Block } from '../../src/core/types.ts'
import type { BlockNode, HeadChange } from '../../src/chain/chain.ts'
import { TX_INDEX_PREFIX } from '../../src/chain/persist.ts'
import { TxIndex, accountIdsOf, type TxIndexChain } from '../../src/chain/tx-index.ts'
import { LevelStore } from '../../src/storage/level.ts'
import { MemoryStore, type BatchOp, type Store } from '../../src/storage/store.ts'

const pub = (n: number): Uint8Array => new Uint8Array(33).fill(n)
const acct = (n: number): Uint8Array => accountIdOf(pub(n))
const to = (n: number): Uint8Array => new Uint8Array(20).fill(n)
const txId = (label: string): Uint8Array => sha256(utf8(label))

/** A transaction as the index reads it: id, sender, optional transfer recipient. */
interface TxSpec { label: string, sender: number, recipient?: number }
const tx = (label: string, sender: number, recipient?: number): TxSpec => ({ label, sender, ...(recipient !== undefined ? { recipient } : {}) })

function makeBlock (parent: Uint8Array, height: bigint, branch: string, txs: TxSpec[]): Block {
  const hash = sha256(concatBytes(parent, utf8(`${branch}:${height}`)))
  return {
    header: { hash, header: { height, parentHash: parent } },
    txs: txs.map((t) => ({
      id: txId(t.label),
      body: { sender: pub(t.sender), ...(t.recipient !== undefined ? { transfer: { to: to(t.recipient), amount: 1n } } : {}) }
    }))
  } as unknown as Block
}
const nodeOf = (b: Block): BlockNode => ({ hash: b.header.hash, hex: toHex(b.header.hash), height: b.header.header.height, block: b }) as unknown as BlockNode

/** A chain stub: canonical blocks by height, every block by hash, head events on demand. */
class StubChain implements TxIndexChain {
  readonly genesisHash = sha256(utf8('genesis'))
  canonical: Block[] = []
  readonly known = new Map<string, Block>()
  private readonly listeners: Array<(c: HeadChange) => void> = []

  head (): { hash: Uint8Array, height: bigint } {
    const b = this.canonical.at(-1)
    return b === undefined ? { hash: this.genesisHash, height: 0n } : { hash: b.header.hash, height: b.header.header.height }
  }

  async blockAt (height: bigint): Promise<Block | undefined> { return height < 1n ? undefined : this.canonical[Number(height) - 1] }
  async blockByHash (hash: Uint8Array): Promise<Block | undefined> { return this.known.get(toHex(hash)) }
  onHead (fn: (c: HeadChange) => void): void { this.listeners.push(fn) }

  /** Replaces the canonical blocks above `forkHeight` with new ones (`txs` per block); emits one head change unless `silent`. */
  reorg (forkHeight: number, branch: string, txs: TxSpec[][], silent = false): Block[] {
    const undone = this.canonical.slice(forkHeight).reverse()
    this.canonical = this.canonical.slice(0, forkHeight)
    const applied: Block[] = []
    for (const t of txs) {
      const b = makeBlock(this.head().hash, this.head().height + 1n, branch, t)
      this.known.set(toHex(b.header.hash), b)
      this.canonical.push(b)
      applied.push(b)
    }
    const tip = this.canonical.at(-1)
    const head = tip === undefined ? ({ hash: this.genesisHash, height: 0n } as unknown as BlockNode) : nodeOf(tip)
    if (!silent) {
      const c = { head, undone: undone.map(nodeOf), applied: applied.map(nodeOf), included: [], orphaned: [], touchedAccounts: [], touchedKeys: [], touchedSlashed: [] } as unknown as HeadChange
      for (const fn of this.listeners) fn(c)
    }
    return applied
  }

  /** Appends blocks on the head (one head change, or none when `silent`). */
  extend (branch: string, txs: TxSpec[][], silent = false): Block[] { return this.reorg(this.canonical.length, branch, txs, silent) }
}

/** A Store that counts batches. */
class CountingStore extends MemoryStore {
  batches = 0
  override async batch (ops: BatchOp[]): Promise<void> {
    this.batches++
    await super.batch(ops)
  }
}

/** Keys under one kind of the index (P kind …). */
async function keysOf (store: Store, kind: number): Promise<number> {
  let n = 0
  for await (const _ of store.entries({ gte: Uint8Array.of(TX_INDEX_PREFIX, kind), lt: Uint8Array.of(TX_INDEX_PREFIX, kind + 1) })) n++
  return n
}

/** The index holds exactly the canonical chain's transactions (and forgets `gone`). */
async function expectMatches (idx: TxIndex, store: Store, chain: StubChain, gone: string[] = []): Promise<void> {
  const byAccount = new Map<string, string[]>()
  let entries = 0
  for (const b of chain.canonical) {
    for (let i = 0; i < b.txs.length; i++) {
      const t = b.txs[i] as Block['txs'][number]
      expect(await idx.get(t.id), toHex(t.id)).to.deep.equal({ blockHash: toHex(b.header.hash), height: b.header.header.height, index: i })
      for (const a of accountIdsOf(t)) byAccount.set(toHex(a), [toHex(t.id), ...(byAccount.get(toHex(a)) ?? [])])
      entries++
    }
  }
  for (const label of gone) expect(await idx.get(txId(label)), label).to.equal(undefined)
  for (const [a, ids] of byAccount) {
    expect((await idx.forAccount(Buffer.from(a, 'hex'), 1000)).map((e) => e.id), a).to.deep.equal(ids)
    expect(await idx.countFor(Buffer.from(a, 'hex')), a).to.equal(ids.length)
  }
  const st = idx.status()
  expect(st).to.deep.include({ height: chain.head().height, hash: toHex(chain.head().hash), entries, catchingUp: false })
  // no stray keys: one per transaction, one per (account, transaction), one count per account
  expect(await keysOf(store, 0x01)).to.equal(entries)
  expect(await keysOf(store, 0x02)).to.equal([...byAccount.values()].reduce((s, x) => s + x.length, 0))
  expect(await keysOf(store, 0x03)).to.equal(byAccount.size)
}

describe('chain/tx-index: the disk-backed transaction index', () => {
  const started: TxIndex[] = []
  afterEach(async () => { for (const i of started.splice(0)) await i.stop() })
  const open = async (store: Store, chain: StubChain, blocksPerTick?: number): Promise<TxIndex> => {
    const idx = new TxIndex({ store, chain, ...(blocksPerTick !== undefined ? { blocksPerTick } : {}) })
    started.push(idx)
    await idx.start()
    return idx
  }

  it('indexes head changes (one batch each): a transaction by id, an account newest first with a limit, counts', async () => {
    const store = new CountingStore()
    const chain = new StubChain()
    const idx = await open(store, chain)
    const before = store.batches
    chain.extend('a', [[tx('a', 1, 9), tx('b', 2, 9), tx('c', 1)]])
    chain.extend('a', [[tx('d', 9, 1)], []])
    const b1 = chain.canonical[0] as Block
    expect(await idx.get(txId('b'))).to.deep.equal({ blockHash: toHex(b1.header.hash), height: 1n, index: 1 })
    expect(await idx.get(txId('zz'))).to.equal(undefined)
    expect(store.batches - before).to.equal(2)
    const nine = to(9)
    expect(await idx.countFor(nine)).to.equal(2) // 'a' and 'b' received; 'd' was sent by pub(9), another account
    expect((await idx.forAccount(nine, 10)).map((e) => e.id)).to.deep.equal([toHex(txId('b')), toHex(txId('a'))])
    expect((await idx.forAccount(acct(1), 2)).map((e) => e.id)).to.deep.equal([toHex(txId('c')), toHex(txId('a'))])
    expect(await idx.forAccount(acct(1), 0)).to.deep.equal([])
    expect(idx.status()).to.deep.include({ height: 3n, entries: 4 })
    await expectMatches(idx, store, chain)
  })

  it('a reorg removes the undone blocks\' transactions and indexes the winning branch (a transaction moves block)', async () => {
    const store = new MemoryStore()
    const chain = new StubChain()
    const idx = await open(store, chain)
    chain.extend('a', [[tx('a', 1, 9)], [tx('b', 1, 9), tx('c', 2, 8)], [tx('e', 3, 7)]])
    chain.reorg(1, 'b', [[tx('c', 2, 8)], [tx('d', 3)], []])
    expect((await idx.get(txId('c')))?.blockHash).to.equal(toHex((chain.canonical[1] as Block).header.hash))
    await expectMatches(idx, store, chain, ['b', 'e'])
    expect(await idx.countFor(to(7))).to.equal(0)
    // back to genesis: empty
    chain.reorg(0, 'c', [])
    await expectMatches(idx, store, chain, ['a', 'c', 'd'])
    expect(idx.status().entries).to.equal(0)
  })

  it('survives a restart on LevelDB: the marker and entries are read back, nothing is re-indexed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memecoin-txindex-'))
    try {
      const chain = new StubChain()
      let store = new LevelStore(join(dir, 'db'))
      await store.open()
      const first = await open(store, chain)
      chain.extend('a', [[tx('a', 1, 9)], [tx('b', 2, 9)]])
      await first.settled()
      await first.stop()
      await store.close()
      store = new LevelStore(join(dir, 'db'))
      await store.open()
      try {
        const idx = new TxIndex({ store, chain })
        const writes = { n: 0 }
        const batch = store.batch.bind(store)
        store.batch = async (ops) => { writes.n++; await batch(ops) }
        await idx.start()
        started.push(idx)
        expect(writes.n).to.equal(0)
        expect(idx.status()).to.deep.include({ height: 2n, entries: 2 })
        await expectMatches(idx, store, chain)
        await idx.stop()
      } finally {
        await store.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('catches up from a lagging marker, a bounded number of blocks per batch, while head changes keep coming', async () => {
    const store = new CountingStore()
    const chain = new StubChain()
    // blocks imported before the index starts (silent: no one listens yet)
    chain.extend('a', Array.from({ length: 10 }, (_, i) => [tx(`t${i}`, i % 3, 9), tx(`u${i}`, 9, i % 3)]), true)
    const idx = await open(store, chain, 3)
    expect(store.batches).to.equal(1) // start runs the first tick only
    expect(idx.status()).to.deep.include({ height: 3n, catchingUp: true })
    chain.extend('a', [[tx('late', 4, 9)]]) // while lagging: left to the catch-up
    await idx.settled()
    expect(store.batches).to.equal(4) // 11 blocks, 3 per batch
    await expectMatches(idx, store, chain)
    chain.extend('a', [[tx('next', 5, 9)]]) // in step again: one batch
    await idx.settled()
    expect(store.batches).to.equal(5)
    await expectMatches(idx, store, chain)
  })

  it('walks back from a marker that left the canonical chain (reorg while stopped), then forward', async () => {
    const store = new MemoryStore()
    const chain = new StubChain()
    const first = await open(store, chain)
    chain.extend('a', [[tx('a', 1, 9)], [tx('b', 2, 9)], [tx('c', 3, 9)], [tx('d', 4, 9)]])
    await first.stop() // after the queued head change
    expect(first.status().height).to.equal(4n)
    // a deeper and a longer branch from height 1, never announced to the index
    chain.reorg(1, 'b', [[tx('c', 3, 9)], [tx('x', 5, 9)], [tx('y', 6, 8)], [], [tx('z', 7, 9)]], true)
    const idx = await open(store, chain, 2)
    await idx.settled()
    await expectMatches(idx, store, chain, ['b', 'd'])
    // and a marker above a shorter canonical chain
    await idx.stop()
    expect(idx.status().height).to.equal(6n)
    chain.reorg(1, 'c', [[tx('b', 2, 9)]], true)
    const again = await open(store, chain, 2)
    await again.settled()
    await expectMatches(again, store, chain, ['c', 'd', 'x', 'y', 'z'])
  })

  it('a head change that does not continue the marker falls back to the catch-up', async () => {
    const store = new MemoryStore()
    const chain = new StubChain()
    const idx = await open(store, chain)
    chain.extend('a', [[tx('a', 1, 9)]])
    chain.extend('a', [[tx('b', 1, 9)]], true) // lost event
    chain.extend('a', [[tx('c', 1, 9)]]) // its base is not the marker
    await idx.settled()
    await expectMatches(idx, store, chain)
  })

  it('stops when the marker\'s block is missing from the chain (ERR_STORE_CORRUPT), and reads still answer', async () => {
    const store = new MemoryStore()
    const chain = new StubChain()
    const first = await open(store, chain)
    chain.extend('a', [[tx('a', 1, 9)]])
    await first.stop()
    expect(first.status().height).to.equal(1n)
    const other = new StubChain()
    other.extend('z', [[tx('q', 1, 9)], []], true)
    const idx = await open(store, other)
    await idx.settled()
    expect(idx.status()).to.deep.include({ height: 1n, catchingUp: false, failed: true })
    expect(await idx.get(txId('a'))).to.not.equal(undefined)
  })

  it('rejects a non-positive blocks-per-tick', () => {
    expect(() => new TxIndex({ store: new MemoryStore(), chain: new StubChain(), blocksPerTick: 0 })).to.throw(RangeError)
  })
})
