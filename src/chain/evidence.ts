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

/** Why evidence is of no use now: TX-9's IGNORE cases. */
export type UselessEvidence = 'slot in the future' | 'expired' | 'already slashed'

/**
 * Why evidence against `offence` (the proposer and slot of its headers) is of no use, or
 * undefined: from a slot not `started`, expired at `currentSlot` (older than `evidenceEpochs`
 * epochs), or its offender already slashed for that slot. The one judgement of TX-9's window,
 * for gossip (checkGossipEvidence), the mempool and block assembly (src/chain/views.ts), which
 * differ only in what "started" and "current" mean to them.
 */
export function uselessEvidence (offence: { proposer: Uint8Array, slot: bigint }, started: (slot: bigint) => boolean, currentSlot: bigint, isSlashed: (proposer: Uint8Array, slot: bigint) => boolean, params: ChainParams): UselessEvidence | undefined {
  if (!started(offence.slot)) return 'slot in the future'
  // expired evidence is useless, and may be honest relaying across an epoch edge
  if (epochOf(offence.slot, params) + params.evidenceEpochs < epochOf(currentSlot, params)) return 'expired'
  if (isSlashed(offence.proposer, offence.slot)) return 'already slashed'
  return undefined
}

/**
 * Throws ValidationError (TX-9) unless `a`/`b` is admissible evidence at `nowMs` (the chain's
 * clock), `isSlashed` telling the pairs already slashed: the mempool's window (a slot started
 * within B-4's clock drift, not expired, not slashed: `uselessEvidence`), so gossip relays exactly
 * the evidence a node would admit.
 */
export function checkGossipEvidence (a: SignedHeader, b: SignedHeader, params: ChainParams, nowMs: bigint, isSlashed: (proposer: Uint8Array, slot: bigint) => boolean): void {
  // [REJECT] TX-9: same proposer, same slot, this chain, two different headers
  checkEvidencePair(a, b, params.chainId)
  // [IGNORE] TX-9: from a slot not started (within B-4's clock drift), expired, or already slashed
  const reason = uselessEvidence(a.header, (slot) => !isFutureSlot(slot, nowMs, params), slotAt(nowMs, params), isSlashed, params)
  if (reason !== undefined) throw new ValidationError('TX-9', 'ERR_EVIDENCE_NOT_USEFUL', `evidence ignored: ${reason === 'already slashed' ? 'the offender was already slashed for this slot' : reason}`, { reason, action: 'IGNORE' })
  // [REJECT] TX-9: both headers validly signed by the proposer (last: two verifications)
  checkEvidenceSignatures(a, b)
}

/** Key of an equivocation: proposer and slot (one piece of evidence is enough per pair). */
export function evidenceKey (a: SignedHeader): string {
  return `${toHex(a.header.proposer)}:${a.header.slot}`
}
