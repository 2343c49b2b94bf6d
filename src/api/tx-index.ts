/**
 * Which block includes a transaction: a bounded map from transaction id to (block hash, height,
 * position), fed by the chain's head changes, with a per-account view (sender, transfer
 * recipient, evidence offender) for an account's recent history. The oldest entries are evicted
 * beyond the bound, a reorg removes the transactions of the blocks it undid, and at start only the
 * blocks the chain holds in memory are indexed, so `GET /txs/:id` and `GET /accounts/:a/txs` may
 * not find older transactions (the index is a convenience for wallets and the explorer, not an
 * archive).
 */
import { accountIdOf } from '../core/address.ts'
import { toHex } from '../core/bytes.ts'
import type { SignedTx } from '../core/types.ts'
import type { BlockNode, HeadChange } from '../chain/chain.ts'

/** Where a transaction was included. */
export interface TxLocation {
  blockHash: string
  height: bigint
  /** Position in the block's transaction list. */
  index: number
}

/** An indexed transaction: its location and the accounts (hex ids) it involves. */
interface Entry extends TxLocation { accounts: readonly string[] }

/** Account ids (hex) a transaction involves: sender, transfer recipient, evidence offender. */
export function accountsOf (tx: SignedTx): string[] {
  const out = new Set<string>([toHex(accountIdOf(tx.body.sender))])
  if (tx.body.transfer !== undefined) out.add(toHex(tx.body.transfer.to))
  if (tx.evidence !== undefined) out.add(toHex(accountIdOf(tx.evidence.a.header.proposer)))
  return [...out]
}

/** Bounded tx id → including block, in insertion (≈ height) order, with a per-account view. */
export class TxIndex {
  private readonly map = new Map<string, Entry>()
  /** Account id hex → ids of its indexed transactions, in insertion order. */
  private readonly byAccount = new Map<string, Set<string>>()
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
  get (idHex: string): TxLocation | undefined {
    const e = this.map.get(idHex)
    return e === undefined ? undefined : { blockHash: e.blockHash, height: e.height, index: e.index }
  }

  /** Number of indexed transactions involving the account `accountHex`. */
  countFor (accountHex: string): number { return this.byAccount.get(accountHex)?.size ?? 0 }

  /** Up to `limit` indexed transactions involving `accountHex`, newest first. */
  forAccount (accountHex: string, limit: number): Array<{ id: string } & TxLocation> {
    const ids = this.byAccount.get(accountHex)
    if (ids === undefined || limit <= 0) return []
    const all = [...ids]
    const out: Array<{ id: string } & TxLocation> = []
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const id = all[i] as string
      const e = this.map.get(id)
      if (e !== undefined) out.push({ id, blockHash: e.blockHash, height: e.height, index: e.index })
    }
    return out
  }

  /** Indexes the transactions of a canonical block. */
  addBlock (node: BlockNode): void {
    const txs = node.block?.txs ?? []
    txs.forEach((tx, index) => {
      const id = toHex(tx.id)
      this.delete(id) // re-inserted at the end: it is now among the newest
      let accounts: string[]
      try {
        accounts = accountsOf(tx)
      } catch {
        accounts = [] // never let the history view break head processing
      }
      this.map.set(id, { blockHash: node.hex, height: node.height, index, accounts })
      for (const a of accounts) {
        let set = this.byAccount.get(a)
        if (set === undefined) {
          set = new Set()
          this.byAccount.set(a, set)
        }
        set.add(id)
      }
    })
    while (this.map.size > this.maxEntries) this.delete(this.map.keys().next().value as string)
  }

  /** Forgets the transactions of a block a reorg removed (unless indexed under another block). */
  removeBlock (node: BlockNode): void {
    for (const tx of node.block?.txs ?? []) {
      const id = toHex(tx.id)
      if (this.map.get(id)?.blockHash === node.hex) this.delete(id)
    }
  }

  /** Applies a head change: undone blocks out (newest first), applied blocks in (oldest first). */
  onHead (change: HeadChange): void {
    for (const n of change.undone) this.removeBlock(n)
    for (const n of change.applied) this.addBlock(n)
  }

  private delete (id: string): void {
    const e = this.map.get(id)
    if (e === undefined) return
    this.map.delete(id)
    for (const a of e.accounts) {
      const set = this.byAccount.get(a)
      if (set === undefined) continue
      set.delete(id)
      if (set.size === 0) this.byAccount.delete(a)
    }
  }
}
