/**
 * Which block includes a transaction: a bounded map from transaction id to (block hash, height,
 * position), fed by the chain's head changes. The oldest entries are evicted beyond the bound,
 * a reorg removes the transactions of the blocks it undid, and at start only the blocks the chain
 * holds in memory are indexed, so `GET /txs/:id` may not find older transactions (the index is a
 * convenience for wallets waiting on recent transactions, not an archive).
 */
import { toHex } from '../core/bytes.ts'
import type { BlockNode, HeadChange } from '../chain/chain.ts'

/** Where a transaction was included. */
export interface TxLocation {
  blockHash: string
  height: bigint
  /** Position in the block's transaction list. */
  index: number
}

/** Bounded tx id → including block, in insertion (≈ height) order. */
export class TxIndex {
  private readonly map = new Map<string, TxLocation>()
  constructor (readonly maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('tx index size must be a positive integer')
  }

  /** Number of transactions indexed. */
  get size (): number { return this.map.size }

  /** Height of the oldest indexed transaction (undefined when empty). */
  get oldestHeight (): bigint | undefined {
    return this.map.values().next().value?.height
  }

  /** The block including `idHex` (lower-case hex), if indexed. */
  get (idHex: string): TxLocation | undefined { return this.map.get(idHex) }

  /** Indexes the transactions of a canonical block. */
  addBlock (node: BlockNode): void {
    const txs = node.block?.txs ?? []
    txs.forEach((tx, index) => {
      const id = toHex(tx.id)
      this.map.delete(id) // re-inserted at the end: it is now among the newest
      this.map.set(id, { blockHash: node.hex, height: node.height, index })
    })
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as string
      this.map.delete(oldest)
    }
  }

  /** Forgets the transactions of a block a reorg removed (unless indexed under another block). */
  removeBlock (node: BlockNode): void {
    for (const tx of node.block?.txs ?? []) {
      const id = toHex(tx.id)
      if (this.map.get(id)?.blockHash === node.hex) this.map.delete(id)
    }
  }

  /** Applies a head change: undone blocks out (newest first), applied blocks in (oldest first). */
  onHead (change: HeadChange): void {
    for (const n of change.undone) this.removeBlock(n)
    for (const n of change.applied) this.addBlock(n)
  }
}
