/**
 * Stateless transaction rules: everything that can be decided from the transaction and the
 * chain parameters alone. Each check names its rule id from protocol/SPEC.md §Validation rules.
 * Stateful rules (nonce, balance) live with the state transition.
 */
import { bytesEqual } from './bytes.ts'
import { ValidationError } from './errors.ts'
import { verifyHeaderSignature, verifyTxSignature } from './signing.ts'
import type { SignedHeader, SignedTx } from './types.ts'

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

/** Throws the REJECT of TX-9: `ERR_BAD_EVIDENCE`, with the reason in the message and `details.reason`. */
function badEvidence (reason: string): never {
  throw new ValidationError('TX-9', 'ERR_BAD_EVIDENCE', `bad evidence: ${reason}`, { reason })
}

/**
 * The cheap stateless checks of equivocation evidence (TX-9): two different headers for one slot
 * by one proposer, both for this chain. Their signatures (`checkEvidenceSignatures`) cost two
 * verifications, so each caller runs that last of its REJECT checks.
 */
export function checkEvidencePair (a: SignedHeader, b: SignedHeader, chainId: Uint8Array): void {
  // [REJECT] TX-9: both headers by the same proposer
  if (!bytesEqual(a.header.proposer, b.header.proposer)) badEvidence('different proposers')
  // [REJECT] TX-9: both headers for the same slot
  if (a.header.slot !== b.header.slot) badEvidence('different slots')
  // [REJECT] TX-9: both headers for this chain
  if (!bytesEqual(a.header.chainId, chainId) || !bytesEqual(b.header.chainId, chainId)) badEvidence('header for another chain')
  // [REJECT] TX-9: two different blocks (different hashes)
  if (bytesEqual(a.hash, b.hash)) badEvidence('the same header twice')
}

/** Throws TX-9 `ERR_BAD_EVIDENCE` unless both headers are validly signed by their proposer. */
export function checkEvidenceSignatures (a: SignedHeader, b: SignedHeader): void {
  // [REJECT] TX-9: both headers validly signed by the proposer
  if (!verifyHeaderSignature(a) || !verifyHeaderSignature(b)) badEvidence('invalid header signature')
}

/**
 * Every check of an evidence transaction's headers that needs no state and no clock (TX-9's
 * REJECT half, signatures included): what the mempool decides before any IGNORE of evidence, so
 * a transaction it relays has passed every REJECT rule whatever the receiver's head or clock.
 */
export function checkEvidenceTx (tx: SignedTx, chainId: Uint8Array): void {
  const ev = tx.evidence
  if (ev === undefined) return badEvidence('headers not decoded')
  checkEvidencePair(ev.a, ev.b, chainId)
  checkEvidenceSignatures(ev.a, ev.b)
}
