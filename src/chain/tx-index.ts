/**
 * The transaction index (Bitcoin Core's -txindex): which canonical block includes a transaction,
 * and each account's included transactions newest first, kept in the node's Store, not in memory.
 * It runs beside block import, never in it: the chain's head events are queued and each one
 * becomes ONE batch (the undone blocks' entries out, the applied blocks' in, the marker), written
 * strictly in order. The marker records the block the index reflects (hash, height) and the
 * number of entries; at start, and whenever an event does not continue from the marker, the
 * index catches up by walking the canonical chain from the marker a bounded number of blocks per
 * tick: forward while the next canonical block's parent is the marker, else back (the marker left
 * the canonical chain: a crash mid-reorg, or a reorg while stopped), undoing the marker's block
 * loaded by hash. So the index always holds exactly the transactions of the chain ending at the
 * marker, whatever order events, reads and crashes come in. Memory is O(1) in the number of
 * transactions indexed.
 *
 * Keys (all under TX_INDEX_PREFIX, src/chain/persist.ts; u64be/u32be big-endian):
 *   P 0x00                              → marker: block hash ‖ u64be(height) ‖ u64be(entries)
 *   P 0x01 ‖ tx id                      → u64be(height) ‖ u32be(position) ‖ block hash
 *   P 0x02 ‖ account ‖ u64be(height) ‖ u32be(position) → tx id ‖ block hash
 *   P 0x03 ‖ account                    → u64be(transactions of the account indexed)
 * An account's transactions are those it sent, received (transfer), or that slashed it
 * (evidence); its history is a reverse range scan of P 0x02 ‖ account.
 */
import { ACCOUNT_ID_BYTES, accountIdOf, senderIdOf } from '../core/address.ts'
import { bytesEqual, bytesToBigInt, concatBytes, toHex, u64be } from '../core/bytes.ts'
import { MemecoinError } from '../core/errors.ts'
import type { Block, SignedTx } from '../core/types.ts'
import type { BatchOp, Store } from '../storage/store.ts'
import { decodeBlock } from '../wire/block.ts'
import type { HeadChange } from './chain.ts'
import { TX_INDEX_PREFIX, storedCanonicalHash } from './persist.ts'
import type { ChainService, ChainServiceInit } from './service.ts'

/** Blocks indexed (or undone) per catch-up tick: one batch, then the event loop runs again. */
export const TX_INDEX_BLOCKS_PER_TICK = 64
/** A catch-up batch stops taking blocks once it holds this many writes (one block always fits). */
export const TX_INDEX_OPS_PER_TICK = 20_000
/** Pause before retrying after a failed batch (the store may be closing, or full). */
export const TX_INDEX_RETRY_MS = 1_000

const MARKER = 0x00
const TX = 0x01
const ACCOUNT_TX = 0x02
const ACCOUNT_COUNT = 0x03
const MARKER_KEY = Uint8Array.of(TX_INDEX_PREFIX, MARKER)
const HASH_BYTES = 32

/** Where a transaction was included. */
export interface TxLocation {
  /** Block hash, lower-case hex. */
  blockHash: string
  height: bigint
  /** Position in the block's transaction list. */
  index: number
}

/** The block the index reflects, and how many transactions it holds. */
export interface TxIndexMarker {
  hash: Uint8Array
  height: bigint
  entries: number
}

/** What the index reads from the chain: `chainSource(svc)` for a ChainService; tests stub it. */
export interface TxIndexChain {
  genesisHash: Uint8Array
  /** The canonical head now. */
  head: () => { hash: Uint8Array, height: bigint }
  /** The canonical block at `height`, undefined above the head. */
  blockAt: (height: bigint) => Promise<Block | undefined>
  /** A block ever applied (any branch), by hash. */
  blockByHash: (hash: Uint8Array) => Promise<Block | undefined>
  /** Subscribes to head changes (there is no unsubscribe: the index lives as long as the chain). */
  onHead: (fn: (c: HeadChange) => void) => void
}

/** Options of a TxIndex. */
export interface TxIndexInit {
  store: Store
  chain: TxIndexChain
  log?: ChainServiceInit['log']
  /** Blocks per catch-up tick (default TX_INDEX_BLOCKS_PER_TICK). */
  blocksPerTick?: number
}

/**
 * The chain as the index reads it, never ahead of what the chain persisted (so a crash cannot
 * leave the marker on a block the store lacks): the head is the last one announced by a head
 * event (emitted after the chain's batch), or the head when the source is made (after `open`);
 * with the chain's `store`, canonical blocks are those of its stored canonical index. Blocks
 * come from memory when held, else through the service's block lookup. Without `store` (an index
 * in a MemoryStore of its own, lost on a crash anyway) canonical blocks come from `svc.blockAt`.
 */
export function chainSource (svc: ChainService, store?: Store): TxIndexChain {
  let head = { hash: svc.chain.head.hash, height: svc.chain.head.height }
  svc.on('head', (c) => { head = { hash: c.head.hash, height: c.head.height } })
  const decoded = (bytes: Uint8Array | undefined): Block | undefined => bytes === undefined ? undefined : decodeBlock(bytes, svc.params)
  /** With the height when the caller knows it: the store then need not read the block's metadata for it. */
  const byHash = async (hash: Uint8Array, height?: bigint): Promise<Block | undefined> => svc.chain.getNode(hash)?.block ?? decoded(await svc.blockByHash(hash, height))
  return {
    genesisHash: svc.params.genesisHash,
    head: () => head,
    blockAt: async (height) => {
      if (height < 1n || height > head.height) return undefined
      if (store === undefined) return svc.chain.blockAt(height)?.block ?? decoded(await svc.blockAt(height))
      const hash = await storedCanonicalHash(store, height)
      return hash === undefined ? undefined : await byHash(hash, height)
    },
    blockByHash: async (hash) => await byHash(hash),
    onHead: (fn) => { svc.on('head', fn) }
  }
}

/** Account ids a transaction involves (sender, transfer recipient, evidence offender), distinct. */
export function accountIdsOf (tx: SignedTx): Uint8Array[] {
  // no closure per call: tsx names every function it creates (an `__name` call), and the index
  // asks this of every transaction of every block (≈ 1% of a loaded node's event loop)
  const ids: Uint8Array[] = []
  addAccountId(ids, senderIdOf(tx))
  if (tx.body.transfer !== undefined) addAccountId(ids, tx.body.transfer.to)
  if (tx.evidence !== undefined) addAccountId(ids, accountIdOf(tx.evidence.a.header.proposer))
  return ids
}

/** Appends `id` to `ids` unless it is there already or is not an account id. */
function addAccountId (ids: Uint8Array[], id: Uint8Array): void {
  if (id.length !== ACCOUNT_ID_BYTES) return
  for (const x of ids) if (bytesEqual(x, id)) return
  ids.push(id)
}

/** Account ids (hex) a transaction involves: sender, transfer recipient, evidence offender. */
export function accountsOf (tx: SignedTx): string[] {
  return accountIdsOf(tx).map(toHex)
}

const writeU32 = (b: Uint8Array, at: number, n: number): void => {
  b[at] = n >>> 24
  b[at + 1] = (n >>> 16) & 0xff
  b[at + 2] = (n >>> 8) & 0xff
  b[at + 3] = n & 0xff
}
const readU32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at)
// Keys and values are built in one small array each (a block indexes thousands of entries per
// head change, on the node's event loop): no intermediate arrays, DataViews or concatenations.
const txKey = (id: Uint8Array): Uint8Array => {
  const k = new Uint8Array(2 + id.length)
  k[0] = TX_INDEX_PREFIX
  k[1] = TX
  k.set(id, 2)
  return k
}
/** The key of an account's entry: prefix ‖ account ‖ u64be height (`height8`) ‖ u32be index. */
const accountTxKey = (account: Uint8Array, height8: Uint8Array, index: number): Uint8Array => {
  const k = new Uint8Array(2 + account.length + 12)
  k[0] = TX_INDEX_PREFIX
  k[1] = ACCOUNT_TX
  k.set(account, 2)
  k.set(height8, 2 + account.length)
  writeU32(k, 10 + account.length, index)
  return k
}
/** A transaction's location: u64be height (`height8`) ‖ u32be index ‖ block hash. */
const locationValue = (height8: Uint8Array, index: number, blockHash: Uint8Array): Uint8Array => {
  const v = new Uint8Array(12 + blockHash.length)
  v.set(height8, 0)
  writeU32(v, 8, index)
  v.set(blockHash, 12)
  return v
}
const countKey = (account: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(TX_INDEX_PREFIX, ACCOUNT_COUNT), account)

function encodeMarker (m: TxIndexMarker): Uint8Array {
  return concatBytes(m.hash, u64be(m.height), u64be(BigInt(m.entries)))
}
function decodeMarker (v: Uint8Array): TxIndexMarker {
  if (v.length !== HASH_BYTES + 16) throw new MemecoinError('ERR_STORE_CORRUPT', 'database is inconsistent: malformed transaction index marker')
  return { hash: v.slice(0, HASH_BYTES), height: bytesToBigInt(v.subarray(HASH_BYTES, HASH_BYTES + 8)), entries: Number(bytesToBigInt(v.subarray(HASH_BYTES + 8))) }
}

/** The accounts of a transaction, or none when they cannot be read (never break indexing). */
function safeAccounts (tx: SignedTx): Uint8Array[] {
  try {
    return accountIdsOf(tx)
  } catch {
    return []
  }
}

/** The writes of one batch: entries in and out, per-account count changes, then the marker. */
class IndexBatch {
  readonly ops: BatchOp[] = []
  private readonly counts = new Map<string, { id: Uint8Array, delta: number }>()
  entries = 0

  /** Indexes the transactions of `block` (now canonical). */
  add (block: Block): void {
    const h = block.header
    const height8 = u64be(h.header.height)
    const txs = block.txs
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i] as SignedTx
      this.ops.push({ type: 'put', key: txKey(tx.id), value: locationValue(height8, i, h.hash) })
      // one value for the transaction's accounts (a store copies what it writes)
      const value = new Uint8Array(tx.id.length + h.hash.length)
      value.set(tx.id, 0)
      value.set(h.hash, tx.id.length)
      for (const a of safeAccounts(tx)) {
        this.ops.push({ type: 'put', key: accountTxKey(a, height8, i), value })
        this.count(a, 1)
      }
      this.entries++
    }
  }

  /** Removes the transactions of `block` (no longer canonical). */
  remove (block: Block): void {
    const height8 = u64be(block.header.header.height)
    block.txs.forEach((tx, i) => {
      this.ops.push({ type: 'del', key: txKey(tx.id) })
      for (const a of safeAccounts(tx)) {
        this.ops.push({ type: 'del', key: accountTxKey(a, height8, i) })
        this.count(a, -1)
      }
      this.entries--
    })
  }

  private count (id: Uint8Array, delta: number): void {
    const k = toHex(id)
    const c = this.counts.get(k)
    if (c === undefined) this.counts.set(k, { id, delta })
    else c.delta += delta
  }

  /**
   * The complete batch: count updates (read from `store` in one getMany: a block touches
   * thousands of accounts, and one awaited get each cost more than the rest of the index; one
   * writer at a time) and the marker.
   */
  async finish (store: Store, marker: TxIndexMarker): Promise<BatchOp[]> {
    const changed = [...this.counts.values()].filter((c) => c.delta !== 0)
    const keys = changed.map((c) => countKey(c.id))
    const values = await store.getMany(keys)
    changed.forEach(({ delta }, i) => {
      const v = values[i]
      const key = keys[i] as Uint8Array
      const n = (v === undefined ? 0n : bytesToBigInt(v)) + BigInt(delta)
      this.ops.push(n > 0n ? { type: 'put', key, value: u64be(n) } : { type: 'del', key })
    })
    this.ops.push({ type: 'put', key: MARKER_KEY, value: encodeMarker(marker) })
    return this.ops
  }
}

/** The disk-backed transaction index. Create, then `start()`; `stop()` before closing the store. */
export class TxIndex {
  private readonly store: Store
  private readonly chain: TxIndexChain
  private readonly log: NonNullable<ChainServiceInit['log']>
  private readonly blocksPerTick: number
  private marker: TxIndexMarker | undefined
  /** The write queue: every batch runs after the previous one. */
  private tail: Promise<void> = Promise.resolve()
  private running = false
  /** True while the marker may be behind the head: catch-up ticks, not head events, advance it. */
  private lagging = true
  private timer: ReturnType<typeof setTimeout> | undefined
  private waiters: Array<() => void> = []
  private failed = false

  constructor (init: TxIndexInit) {
    this.store = init.store
    this.chain = init.chain
    this.log = init.log ?? (() => {})
    this.blocksPerTick = init.blocksPerTick ?? TX_INDEX_BLOCKS_PER_TICK
    if (!Number.isSafeInteger(this.blocksPerTick) || this.blocksPerTick < 1) throw new RangeError('blocksPerTick must be a positive integer')
    this.chain.onHead((c) => {
      if (!this.running || this.lagging) return // a catch-up tick will read the chain itself
      // The blocks as the change has them now: the update runs after the index's earlier writes,
      // and by then the chain may have let these blocks drop their decoded transactions (Chain's
      // decodedTipBlocks), which reading them there would decode again.
      const blocks = { undone: c.undone.map((n) => n.block), applied: c.applied.map((n) => n.block) }
      this.enqueue(async () => { await this.onHead(c, blocks) }).catch((err: Error) => {
        this.log('error', 'transaction index update failed', { error: err.message })
      })
    })
  }

  /** Loads the marker and runs the first catch-up tick; the rest continues in the background. */
  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.lagging = true
    this.failed = false
    await this.enqueue(async () => {
      try {
        const v = await this.store.get(MARKER_KEY)
        this.marker = v === undefined ? { hash: this.chain.genesisHash, height: 0n, entries: 0 } : decodeMarker(v)
      } catch (err) {
        // the node runs without a working index rather than not at all
        this.failed = true
        this.log('error', 'transaction index unavailable', { error: (err as Error).message })
        return
      }
      await this.catchUp()
    })
  }

  /** Stops indexing once the head changes already queued are written (later ones are left to the next `start`'s catch-up). */
  async stop (): Promise<void> {
    this.running = false
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    await this.tail
    this.release()
  }

  /**
   * The indexed block, entries, whether the index is behind the head (catching up), and whether
   * it gave up (an inconsistent store: it keeps answering from what it holds).
   */
  status (): { height: bigint, hash: string, entries: number, catchingUp: boolean, failed: boolean } {
    const m = this.marker
    return { height: m?.height ?? 0n, hash: toHex(m?.hash ?? this.chain.genesisHash), entries: m?.entries ?? 0, catchingUp: this.running && this.lagging && !this.failed, failed: this.failed }
  }

  /** Resolves once the index reflects the head and its queue is empty (or it is stopped, or failed). */
  async settled (): Promise<void> {
    for (;;) {
      await this.tail
      if (!this.running || this.failed || (!this.lagging && this.timer === undefined)) return
      await new Promise<void>((resolve) => { this.waiters.push(resolve) })
    }
  }

  /** The block including transaction `id`, after the batches queued so far. */
  async get (id: Uint8Array): Promise<TxLocation | undefined> {
    await this.tail
    const v = await this.store.get(txKey(id))
    if (v === undefined) return undefined
    return { height: bytesToBigInt(v.subarray(0, 8)), index: readU32(v, 8), blockHash: toHex(v.subarray(12)) }
  }

  /**
   * Up to `limit` transactions involving `account` (id bytes), newest first; with `before`, only
   * those older than that position (a page after the one that ended there).
   */
  async forAccount (account: Uint8Array, limit: number, before?: { height: bigint, index: number }): Promise<Array<{ id: string } & TxLocation>> {
    await this.tail
    if (limit <= 0) return []
    const prefix = concatBytes(Uint8Array.of(TX_INDEX_PREFIX, ACCOUNT_TX), account)
    const out: Array<{ id: string } & TxLocation> = []
    const lt = before !== undefined
      ? accountTxKey(account, u64be(before.height), before.index)
      : concatBytes(prefix, new Uint8Array(12).fill(0xff), Uint8Array.of(0xff))
    for await (const [k, v] of this.store.entries({ gte: prefix, lt, reverse: true, limit })) {
      out.push({
        id: toHex(v.subarray(0, HASH_BYTES)),
        blockHash: toHex(v.subarray(HASH_BYTES)),
        height: bytesToBigInt(k.subarray(prefix.length, prefix.length + 8)),
        index: readU32(k, prefix.length + 8)
      })
    }
    return out
  }

  /** How many indexed transactions involve `account` (id bytes). */
  async countFor (account: Uint8Array): Promise<number> {
    await this.tail
    const v = await this.store.get(countKey(account))
    return v === undefined ? 0 : Number(bytesToBigInt(v))
  }

  private async enqueue (fn: () => Promise<void>): Promise<void> {
    const run = this.tail.then(fn)
    this.tail = run.catch(() => {})
    await run
  }

  /** A head change while in step: one batch, or a catch-up when it does not continue the marker. */
  private async onHead (c: HeadChange, blocks: { undone: Array<Block | undefined>, applied: Array<Block | undefined> }): Promise<void> {
    const m = this.marker
    if (this.lagging || this.failed || m === undefined) return
    // the change continues the marker: it undoes the marker's block, or applies onto it
    const base = c.undone.length > 0 ? c.undone[0]?.hash : blocks.applied[0]?.header.header.parentHash
    if (base === undefined || !bytesEqual(base, m.hash) || [...blocks.undone, ...blocks.applied].some((b) => b === undefined)) {
      this.behind()
      return
    }
    const batch = new IndexBatch()
    for (const b of blocks.undone) batch.remove(b as Block)
    for (const b of blocks.applied) batch.add(b as Block)
    const next: TxIndexMarker = { hash: c.head.hash, height: c.head.height, entries: m.entries + batch.entries }
    try {
      await this.store.batch(await batch.finish(this.store, next))
      this.marker = next
    } catch (err) {
      this.log('warn', 'transaction index write failed; catching up later', { error: (err as Error).message })
      this.behind(TX_INDEX_RETRY_MS)
    }
  }

  /** Hands progress to catch-up ticks. */
  private behind (delayMs = 0): void {
    this.lagging = true
    this.schedule(delayMs)
  }

  private schedule (delayMs: number): void {
    if (!this.running || this.timer !== undefined) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.enqueue(async () => { await this.catchUp() })
    }, delayMs)
  }

  /** One catch-up tick: up to `blocksPerTick` blocks forward or back, one batch. */
  private async catchUp (): Promise<void> {
    if (!this.running || this.failed) return
    try {
      const done = await this.step()
      // checked again with no await before `lagging` drops: a head event in between is not lost
      if (done && this.marker !== undefined && bytesEqual(this.chain.head().hash, this.marker.hash)) {
        this.lagging = false
        this.release()
      } else {
        this.schedule(0)
      }
    } catch (err) {
      if (err instanceof MemecoinError && err.code === 'ERR_STORE_CORRUPT') {
        // nothing to retry: the index stays where it is (GET /txs answers from what it holds)
        this.failed = true
        this.log('error', 'transaction index stopped', { error: err.message })
        this.release()
        return
      }
      this.log('warn', 'transaction index catch-up failed; retrying', { error: (err as Error).message })
      this.schedule(TX_INDEX_RETRY_MS)
    }
  }

  /** Moves the marker toward the head; true when it reached it. */
  private async step (): Promise<boolean> {
    const start = this.marker
    if (start === undefined) return false
    const batch = new IndexBatch()
    let m = start
    let moved = 0
    while (moved < this.blocksPerTick && batch.ops.length < TX_INDEX_OPS_PER_TICK) {
      const head = this.chain.head()
      if (bytesEqual(head.hash, m.hash)) break
      const next = m.height < head.height ? await this.chain.blockAt(m.height + 1n) : undefined
      if (next !== undefined && bytesEqual(next.header.header.parentHash, m.hash)) {
        batch.add(next)
        m = { hash: next.header.hash, height: m.height + 1n, entries: 0 }
      } else if (next === undefined && m.height < head.height) {
        break // the chain moved meanwhile: the next tick reads it again
      } else {
        // the marker is not canonical: undo its block (a crash mid-reorg, or a reorg while stopped)
        if (m.height === 0n) throw new MemecoinError('ERR_STORE_CORRUPT', 'database is inconsistent: the transaction index is not on this chain')
        const block = await this.chain.blockByHash(m.hash)
        if (block === undefined) throw new MemecoinError('ERR_STORE_CORRUPT', `database is inconsistent: indexed block ${toHex(m.hash).slice(0, 12)} is missing`)
        batch.remove(block)
        m = { hash: block.header.header.parentHash, height: m.height - 1n, entries: 0 }
      }
      moved++
    }
    if (moved > 0) {
      const next: TxIndexMarker = { hash: m.hash, height: m.height, entries: start.entries + batch.entries }
      await this.store.batch(await batch.finish(this.store, next))
      this.marker = next
      if (moved >= this.blocksPerTick) this.log('debug', 'transaction index catching up', { height: next.height.toString() })
    }
    return bytesEqual(this.chain.head().hash, this.marker?.hash ?? start.hash)
  }

  private release (): void {
    for (const w of this.waiters.splice(0)) w()
  }
}
