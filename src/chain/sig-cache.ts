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
 * previous hex key plus a signature copy cost ≈ 400 bytes). An entry is useless once its
 * transaction is in an imported canonical block, so the chain service `forget`s the included
 * transactions of every head change: the cache then tracks the mempool (plus transactions a
 * block import verified ahead of time), not the length of the chain. Transactions a reorg
 * returns to the mempool get an entry again (they passed TX-3 in a valid block: the mempool
 * re-admits them without a check, and a block including them again skips them). The bound is a
 * backstop for entries of transactions that never reach a block (refused by the mempool,
 * evicted from it); it equals the mempool's hard bound, so an overfilled pool can push out
 * verdicts — a cost (verified again at import), never a wrong verdict.
 */
import type { SignedTx } from '../core/types.ts'

/** Default bound: twice the mempool's default capacity (MEMPOOL_MAX_TXS), ≈ 2.6 MB when full. */
export const SIG_CACHE_MAX_ENTRIES = 20_000

/** Lookup counters (hit rate = hits / (hits + misses)). */
export interface SigCacheStats { hits: number, misses: number, inserts: number, evictions: number, size: number }

/** id ‖ signature as one flat one-byte string. */
function keyOf (tx: SignedTx): string {
  const buf = Buffer.allocUnsafe(tx.id.length + tx.signature.length)
  buf.set(tx.id, 0)
  buf.set(tx.signature, tx.id.length)
  return buf.toString('latin1')
}

/** A bounded LRU set of transactions whose signature verified. */
export class SigCache {
  private readonly m = new Set<string>()
  private readonly counts = { hits: 0, misses: 0, inserts: 0, evictions: 0 }

  constructor (readonly maxEntries: number = SIG_CACHE_MAX_ENTRIES) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('sig cache size must be a positive integer')
  }

  /** True iff `tx`'s signature is known to verify (counts a hit or a miss, refreshes recency): block import uses this. */
  has (tx: SignedTx): boolean {
    const key = keyOf(tx)
    if (!this.m.has(key)) {
      this.counts.misses++
      return false
    }
    this.m.delete(key)
    this.m.add(key)
    this.counts.hits++
    return true
  }

  /** True iff `tx` is held, without touching counters or recency. */
  peek (tx: SignedTx): boolean {
    return this.m.has(keyOf(tx))
  }

  /** Records that `tx`'s signature verified; evicts the least recently used beyond the bound. */
  add (tx: SignedTx): void {
    const key = keyOf(tx)
    if (this.m.has(key)) this.m.delete(key)
    else this.counts.inserts++
    this.m.add(key)
    if (this.m.size > this.maxEntries) {
      const oldest = this.m.values().next().value as string
      this.m.delete(oldest)
      this.counts.evictions++
    }
  }

  /** Drops the entries of `txs` (their verdict is no longer needed: they are in the chain). */
  forget (txs: Iterable<SignedTx>): void {
    for (const tx of txs) this.m.delete(keyOf(tx))
  }

  /** Number of entries held. */
  get size (): number { return this.m.size }

  /** Counters since creation (or the last `resetStats`). */
  stats (): SigCacheStats { return { ...this.counts, size: this.m.size } }

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
