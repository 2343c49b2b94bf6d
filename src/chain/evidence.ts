/**
 * Checks of equivocation evidence (two signed headers) before it is relayed on the `evidence`
 * topic or turned into a slashing transaction — the stateless half of TX-9, with the chain
 * (gossip validation lives with the chain): REJECT what is provably bad (different proposers or
 * slots, another chain, the same header twice, a bad signature), IGNORE what is merely not useful
 * (expired, from a future slot).
 */
import { bytesEqual, toHex } from '../core/bytes.ts'
import { epochOf } from '../core/consensus.ts'
import { ValidationError } from '../core/errors.ts'
import type { ChainParams } from '../core/params.ts'
import { verifyHeaderSignature } from '../core/signing.ts'
import type { SignedHeader } from '../core/types.ts'

/** Throws ValidationError (TX-9) unless `a`/`b` is admissible evidence at `currentSlot`. */
export function checkGossipEvidence (a: SignedHeader, b: SignedHeader, params: ChainParams, currentSlot: bigint): void {
  const bad = (reason: string): never => { throw new ValidationError('TX-9', 'ERR_BAD_EVIDENCE', `bad evidence: ${reason}`, { reason }) }
  const ignore = (reason: string): never => { throw new ValidationError('TX-9', 'ERR_EVIDENCE_NOT_USEFUL', `evidence ignored: ${reason}`, { reason, action: 'IGNORE' }) }
  // [REJECT] TX-9: both headers by the same proposer
  if (!bytesEqual(a.header.proposer, b.header.proposer)) bad('different proposers')
  // [REJECT] TX-9: both headers for the same slot
  if (a.header.slot !== b.header.slot) bad('different slots')
  // [REJECT] TX-9: both headers for this chain
  if (!bytesEqual(a.header.chainId, params.chainId) || !bytesEqual(b.header.chainId, params.chainId)) bad('header for another chain')
  // [REJECT] TX-9: two different blocks
  if (bytesEqual(a.hash, b.hash)) bad('the same header twice')
  // [IGNORE] B-4: not from a slot that has not started (clock drift between honest nodes)
  if (a.header.slot > currentSlot + 1n) ignore('slot in the future')
  // [IGNORE] TX-9: expired evidence is useless, and may be honest relaying across an epoch edge
  if (epochOf(a.header.slot, params) + params.evidenceEpochs < epochOf(currentSlot, params)) ignore('expired')
  // [REJECT] TX-9: both headers validly signed by the proposer
  if (!verifyHeaderSignature(a) || !verifyHeaderSignature(b)) bad('invalid header signature')
}

/** Key of an equivocation: proposer and slot (one piece of evidence is enough per pair). */
export function evidenceKey (a: SignedHeader): string {
  return `${toHex(a.header.proposer)}:${a.header.slot}`
}
