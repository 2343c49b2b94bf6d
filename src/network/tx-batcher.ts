/**
 * Collects local transactions for `delayMs` and hands them on as TxBatch payloads within the
 * batch limits (SPEC §11: 512 transactions, 1 MiB), so a burst of API submissions becomes a few
 * gossip messages instead of one per transaction.
 */
import { MAX_TX_BATCH_BYTES, MAX_TX_BATCH_TXS } from '../wire/limits.ts'
import { encodeTxBatch } from '../wire/tx.ts'

/** Bytes of protobuf framing counted per transaction (tag + length varint), generously. */
const FRAMING_BYTES = 8

/** Batches transaction bytes into TxBatch payloads. */
export class TxBatcher {
  private pending: Uint8Array[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  /** Salt of the next batch: gossip ids are SHA-256 of the data, so the same transactions
   * re-announced after a reorg must travel in different bytes or peers drop them as seen. */
  private salt = BigInt(Date.now()) << 16n

  constructor (private readonly delayMs: number, private readonly emit: (batch: Uint8Array) => void) {}

  /** Queues transactions; a flush follows within `delayMs`. */
  add (txs: Uint8Array[]): void {
    this.pending.push(...txs)
    this.timer ??= setTimeout(() => { this.flush() }, this.delayMs)
  }

  /** Emits everything pending now, as as many batches as the limits need. */
  flush (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    const txs = this.pending
    this.pending = []
    for (const batch of splitBatches(txs)) this.emit(encodeTxBatch(batch, this.salt++))
  }

  /** Drops everything pending. */
  clear (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.pending = []
  }
}

/** Splits transactions into groups within MAX_TX_BATCH_TXS and MAX_TX_BATCH_BYTES. */
export function splitBatches (txs: Uint8Array[]): Uint8Array[][] {
  const out: Uint8Array[][] = []
  let cur: Uint8Array[] = []
  let bytes = 0
  for (const tx of txs) {
    const size = tx.length + FRAMING_BYTES
    if (cur.length > 0 && (cur.length >= MAX_TX_BATCH_TXS || bytes + size > MAX_TX_BATCH_BYTES)) {
      out.push(cur)
      cur = []
      bytes = 0
    }
    cur.push(tx)
    bytes += size
  }
  if (cur.length > 0) out.push(cur)
  return out
}
