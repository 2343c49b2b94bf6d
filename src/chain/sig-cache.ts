/**
 * Verified-signature cache: transactions whose signature (TX-3) already verified, so a
 * transaction checked when it entered the mempool is not verified again when a block carrying
 * it is imported. Bounded LRU (a Set in recency order). Sound because a tx id is SHA-256 of the
 * wire bytes, which hold the signed body and the signature: the same id means the same
 * signature check. The key is the id *and* the signature, so a hand-built SignedTx whose fields
 * disagree with its id can never borrow another transaction's verdict.
 *
 * Memory (found by the soak): an entry is one flat binary (latin1) string of id ‖ signature
 * (96 characters, ≈ 130 bytes with the Set slot) — no per-entry Uint8Array/ArrayBuffer (the
 * previous hex key plus a signature copy cost ≈ 400 bytes). Once its transaction is in an
 * imported canonical block an entry leaves the first tier (the chain service moves the included
 * transactions of every head change to the second, bounded tier below): the first tier then
 * tracks the mempool (plus transactions a block import verified ahead of time), and neither
 * grows with the length of the chain. Transactions a reorg
 * returns to the mempool get an entry again (they passed TX-3 in a valid block: the mempool
 * re-admits them without a check, and a block including them again skips them). The bound is a
 * backstop for entries of transactions that never reach a block (evicted from the mempool); it
 * equals the mempool's hard bound, so an overfilled pool can push out verdicts — a cost
 * (verified again at import), never a wrong verdict.
 *
 * A second, separately bounded tier (`remember`) holds verdicts of transactions that are no
 * longer pending but likely to be seen again: those included by the last head changes (a
 * competing block carries mostly the same transactions, and a reorg applies it) and those the
 * mempool refused for room or order only (full pool, sender limit, nonce gap: they come back in
 * a peer's block, or posted again by their wallet). A loaded 4-node devnet verified the
 * transactions of every reorg's winning blocks again, synchronously on the importing thread,
 * without it. Its own bound keeps a flood of such transactions from pushing out the verdicts of
 * pending ones.
 */
import { ownMemos } from '../core/memo.ts'
import type { SignedTx } from '../core/types.ts'

/** Default bound: twice the mempool's default capacity (MEMPOOL_MAX_TXS), ≈ 2.6 MB when full. */
export const SIG_CACHE_MAX_ENTRIES = 20_000
/** Default bound of the second tier (`remember`): two full blocks (maxBlockTxs 10,000), ≈ 2.6 MB when full. */
export const SIG_CACHE_MAX_REMEMBERED = 20_000

/** Lookup counters (hit rate = hits / (hits + misses)); `size` counts both tiers, `remembered` the second. */
export interface SigCacheStats { hits: number, misses: number, inserts: number, evictions: number, size: number, remembered: number }

/**
 * id ‖ signature as one flat one-byte string, built once per transaction object and kept on it
 * (`tx.sigKey`; a transaction is looked up several times: ingestion, admission, block import,
 * head change). Before, a WeakMap held it: its lookups were ≈ 4% of a loaded node's event loop.
 */
function keyOf (tx: SignedTx): string {
  ownMemos(tx)
  let key = tx.sigKey
  if (key === undefined) {
    const buf = Buffer.allocUnsafe(tx.id.length + tx.signature.length)
    buf.set(tx.id, 0)
    buf.set(tx.signature, tx.id.length)
    key = buf.toString('latin1')
    tx.sigKey = key
  }
  return key
}

/** A bounded LRU set of transactions whose signature verified. */
export class SigCache {
  private readonly m = new Set<string>()
  /** The second tier (see the file comment). */
  private readonly recent = new Set<string>()
  /**
   * The second tier's keys in the order they came (first out first): its eviction order. Keys
   * that left the tier meanwhile stay here until their turn (then skipped) or a compaction.
   * Not `recent.values().next()`: a Set whose oldest entries keep being deleted makes every such
   * call skip the deleted slots, and at 20,000 entries that took 4% of a loaded node's CPU.
   */
  private order: string[] = []
  private head = 0
  private readonly counts = { hits: 0, misses: 0, inserts: 0, evictions: 0 }

  constructor (readonly maxEntries: number = SIG_CACHE_MAX_ENTRIES, readonly maxRemembered: number = SIG_CACHE_MAX_REMEMBERED) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('sig cache size must be a positive integer')
    if (!Number.isSafeInteger(maxRemembered) || maxRemembered < 0) throw new RangeError('sig cache remembered bound must be a non-negative integer')
  }

  /** True iff `tx`'s signature is known to verify (counts a hit or a miss, refreshes recency): block import uses this. */
  has (tx: SignedTx): boolean {
    const key = keyOf(tx)
    if (this.m.has(key)) {
      this.m.delete(key)
      this.m.add(key)
    } else if (!this.recent.has(key)) {
      this.counts.misses++
      return false
    }
    this.counts.hits++
    return true
  }

  /** True iff `tx` is held (either tier), without touching counters or recency. */
  peek (tx: SignedTx): boolean {
    const key = keyOf(tx)
    return this.m.has(key) || this.recent.has(key)
  }

  /** Records that `tx`'s signature verified; evicts the least recently used beyond the bound. */
  add (tx: SignedTx): void {
    const key = keyOf(tx)
    this.recent.delete(key)
    if (this.m.has(key)) this.m.delete(key)
    else this.counts.inserts++
    this.m.add(key)
    if (this.m.size > this.maxEntries) {
      const oldest = this.m.values().next().value as string
      this.m.delete(oldest)
      this.counts.evictions++
    }
  }

  /**
   * Keeps the verdict of `tx`, whose signature is known valid but which is not pending (included
   * in a block, or refused by the mempool for room or order only), in the second tier (its own
   * bound; the first remembered goes first).
   */
  remember (tx: SignedTx): void {
    if (this.maxRemembered === 0) return
    const key = keyOf(tx)
    this.m.delete(key)
    if (this.recent.has(key)) return
    this.recent.add(key)
    this.order.push(key)
    while (this.recent.size > this.maxRemembered && this.head < this.order.length) {
      if (this.recent.delete(this.order[this.head++] as string)) this.counts.evictions++
    }
    // keys that left the tier early pile up in `order`: rebuild it from the tier (in its order)
    if (this.order.length - this.head > 2 * this.maxRemembered + 1024) {
      this.order = [...this.recent]
      this.head = 0
    } else if (this.head > 1024 && 2 * this.head > this.order.length) {
      this.order = this.order.slice(this.head)
      this.head = 0
    }
  }

  /** Drops the entries of `txs` from both tiers (their verdict is no longer needed: they are in the chain). */
  forget (txs: Iterable<SignedTx>): void {
    for (const tx of txs) {
      const key = keyOf(tx)
      this.m.delete(key)
      this.recent.delete(key)
    }
  }

  /** Drops the first-tier entries of `txs` (verdicts kept in the second tier, a block's, stay). */
  forgetPending (txs: Iterable<SignedTx>): void {
    for (const tx of txs) this.m.delete(keyOf(tx))
  }

  /** Number of entries held, both tiers. */
  get size (): number { return this.m.size + this.recent.size }

  /** Counters since creation (or the last `resetStats`). */
  stats (): SigCacheStats { return { ...this.counts, size: this.size, remembered: this.recent.size } }

  /** hits / (hits + misses), 0 before any lookup. */
  hitRate (): number {
    const n = this.counts.hits + this.counts.misses
    return n === 0 ? 0 : this.counts.hits / n
  }

  /** Zeroes the counters (entries stay). */
  resetStats (): void {
    this.counts.hits = 0
    this.counts.misses = 0
    this.counts.inserts = 0
    this.counts.evictions = 0
  }
}
