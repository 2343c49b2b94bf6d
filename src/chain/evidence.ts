/**
 * Checks of equivocation evidence (two signed headers) before it is relayed on the `evidence`
 * topic or turned into a slashing transaction — the stateless half of TX-9, with the chain
 * (gossip validation lives with the chain): REJECT what is provably bad (different proposers or
 * slots, another chain, the same header twice, a bad signature), IGNORE what is merely not useful
 * (expired, from a future slot).
 */
import { toHex } from '../core/bytes.ts'
import { epochOf, isFutureSlot, slotAt } from '../core/consensus.ts'
import { ValidationError } from '../core/errors.ts'
import type { ChainParams } from '../core/params.ts'
import { checkEvidencePair, checkEvidenceSignatures } from '../core/tx-rules.ts'
import type { SignedHeader } from '../core/types.ts'

/**
 * Throws ValidationError (TX-9) unless `a`/`b` is admissible evidence at `nowMs` (the chain's
 * clock): the same window as the mempool's (src/chain/views.ts), so gossip relays exactly the
 * evidence a node would admit.
 */
export function checkGossipEvidence (a: SignedHeader, b: SignedHeader, params: ChainParams, nowMs: bigint): void {
  const ignore = (reason: string): never => { throw new ValidationError('TX-9', 'ERR_EVIDENCE_NOT_USEFUL', `evidence ignored: ${reason}`, { reason, action: 'IGNORE' }) }
  const currentSlot = slotAt(nowMs, params)
  // [REJECT] TX-9: same proposer, same slot, this chain, two different headers
  checkEvidencePair(a, b, params.chainId)
  // [IGNORE] TX-9: not from a slot that has not started, within B-4's clock drift
  if (isFutureSlot(a.header.slot, nowMs, params)) ignore('slot in the future')
  // [IGNORE] TX-9: expired evidence is useless, and may be honest relaying across an epoch edge
  if (epochOf(a.header.slot, params) + params.evidenceEpochs < epochOf(currentSlot, params)) ignore('expired')
  // [REJECT] TX-9: both headers validly signed by the proposer (last: two verifications)
  checkEvidenceSignatures(a, b)
}

/** Key of an equivocation: proposer and slot (one piece of evidence is enough per pair). */
export function evidenceKey (a: SignedHeader): string {
  return `${toHex(a.header.proposer)}:${a.header.slot}`
}
