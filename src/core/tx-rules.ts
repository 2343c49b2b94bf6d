/**
 * Stateless transaction rules: everything that can be decided from the transaction and the
 * chain parameters alone. Each check names its rule id from protocol/SPEC.md §Validation rules.
 * Stateful rules (nonce, balance) live with the state transition.
 */
import { bytesEqual } from './bytes.ts'
import { ValidationError } from './errors.ts'
import { verifyTxSignature } from './signing.ts'
import type { SignedTx } from './types.ts'

/** The chain parameters stateless checks need. */
export interface TxRulesContext {
  chainId: Uint8Array
  minFee: bigint
}

/** Throws ValidationError unless `tx` passes every rule that needs no state, signature last. */
export function checkTxStateless (tx: SignedTx, ctx: TxRulesContext, opts: { skipSignature?: boolean } = {}): void {
  const b = tx.body
  // [REJECT] TX-2: the body's chain id is this chain's
  if (!bytesEqual(b.chainId, ctx.chainId)) throw new ValidationError('TX-2', 'ERR_WRONG_CHAIN', 'transaction is for another chain')
  // [REJECT] TX-4: transfer, stake and unstake amounts are positive
  const amount = b.transfer?.amount ?? b.stake?.amount ?? b.unstake?.amount
  if (amount !== undefined && amount <= 0n) throw new ValidationError('TX-4', 'ERR_ZERO_AMOUNT', 'amount must be positive')
  // [REJECT] TX-5: fee ≥ genesis minFee
  if (b.fee < ctx.minFee) throw new ValidationError('TX-5', 'ERR_FEE_TOO_LOW', `fee ${b.fee} below the minimum ${ctx.minFee}`, { fee: b.fee.toString(), minFee: ctx.minFee.toString() })
  if (opts.skipSignature !== true) checkTxSignature(tx)
}

/** Throws ValidationError TX-3 unless `tx` carries a valid low-S signature by its sender. */
export function checkTxSignature (tx: SignedTx): void {
  // [REJECT] TX-3: a valid low-S signature by the sender over the body in the tx domain
  if (!verifyTxSignature(tx)) throw new ValidationError('TX-3', 'ERR_BAD_SIGNATURE', 'invalid transaction signature')
}
