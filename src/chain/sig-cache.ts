/**
 * Verified-signature cache: transaction ids whose signature (TX-3) already verified, so a
 * transaction checked when it entered the mempool is not verified again when a block carrying
 * it is imported. Bounded LRU (a Map in recency order). Sound because a tx id is SHA-256 of the
 * wire bytes, which hold the signed body and the signature: the same id means the same
 * signature check. The signature itself is kept and compared as well, so a hand-built SignedTx
 * whose fields disagree with its id can never borrow another transaction's verdict.
 */
import { bytesEqual, toHex } from '../core/bytes.ts'
import type { SignedTx } from '../core/types.ts'

/** Default number of verified transaction ids kept. */
export const SIG_CACHE_MAX_ENTRIES = 100_000

/** Lookup counters (hit rate = hits / (hits + misses)). */
export interface SigCacheStats { hits: number, misses: number, inserts: number, evictions: number, size: number }

/** A bounded LRU set of transactions whose signature verified. */
export class SigCache {
  private readonly m = new Map<string, Uint8Array>()
  private readonly counts = { hits: 0, misses: 0, inserts: 0, evictions: 0 }

  constructor (readonly maxEntries: number = SIG_CACHE_MAX_ENTRIES) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('sig cache size must be a positive integer')
  }

  /** True iff `tx`'s signature is known to verify (counts a hit or a miss, refreshes recency): block import uses this. */
  has (tx: SignedTx): boolean {
    const key = toHex(tx.id)
    const sig = this.m.get(key)
    if (sig === undefined || !bytesEqual(sig, tx.signature)) {
      this.counts.misses++
      return false
    }
    this.m.delete(key)
    this.m.set(key, sig)
    this.counts.hits++
    return true
  }

  /** True iff `tx` is held, without touching counters or recency. */
  peek (tx: SignedTx): boolean {
    const sig = this.m.get(toHex(tx.id))
    return sig !== undefined && bytesEqual(sig, tx.signature)
  }

  /** Records that `tx`'s signature verified; evicts the least recently used beyond the bound. */
  add (tx: SignedTx): void {
    const key = toHex(tx.id)
    if (this.m.has(key)) this.m.delete(key)
    else this.counts.inserts++
    // a copy: the signature is usually a view into a whole block's bytes, which must not be retained
    this.m.set(key, tx.signature.slice())
    if (this.m.size > this.maxEntries) {
      const oldest = this.m.keys().next().value as string
      this.m.delete(oldest)
      this.counts.evictions++
    }
  }

  /** Number of ids held. */
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
