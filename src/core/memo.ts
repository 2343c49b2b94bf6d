/**
 * The memos a transaction object carries (`SignedTx.memoOf`, `senderId`, `sigKey`: see
 * src/core/types.ts): values derived from its fields, kept on it by the functions that derive
 * them (`senderIdOf`, the signature cache's key).
 */
import type { SignedTx } from './types.ts'

/**
 * Makes `tx`'s memos its own before one is read or written: a fresh object, or a copy made by
 * spreading another transaction (which carries that one's memos), starts with none.
 */
export function ownMemos (tx: SignedTx): void {
  if (tx.memoOf === tx) return
  tx.memoOf = tx
  tx.senderId = undefined
  tx.sigKey = undefined
}
