/** Adapters from the chain's head state to the narrow views other components take. */
import { epochOf, isFutureSlot } from '../core/consensus.ts'
import type { SignedTx } from '../core/types.ts'
import type { Chain, HeadChange } from './chain.ts'
import { uselessEvidence } from './evidence.ts'
import type { AccountView, HeadChange as MempoolHeadChange } from './mempool.ts'

/**
 * A chain head change as the mempool takes it. After a reorg the senders to revalidate, besides
 * those of the included and orphaned transactions, are the accounts the undone and applied blocks
 * changed: their undo records list every account a block changed (that is what undoing restores),
 * so no other account's nonce, balance or stake moved. Proposers whose rewards were undone and
 * recipients of orphaned transfers are among them. A plain extension changes nothing a pending
 * transaction depends on but its senders' accounts (credits only raise what others can spend) and
 * a slashed offender's, which the mempool marks itself.
 */
export function mempoolChangeOf (c: HeadChange): MempoolHeadChange {
  return { included: c.included, orphaned: c.orphaned, touched: c.undone.length > 0 ? c.touchedAccounts : undefined }
}

/**
 * The head state as the mempool sees it. Without `slot`: at the slot in progress when each
 * question is asked (not when the view was made: unbonding released at an epoch's first slot is
 * spendable from that slot, as the API shows it, not only once the next block arrives; SPEC §7),
 * and evidence of a slot that starts within the clock drift B-4 allows is admitted (blocks that
 * early are imported, and their equivocation must not be refused for good). With `slot`: as a block of
 * that slot will judge it (block assembly: a leader whose produce runs late must not select what
 * its own block would refuse, and then drop it).
 */
export function mempoolView (chain: Chain, slot?: bigint): AccountView {
  const ledger = chain.ledger
  const params = chain.params
  const slotNow = slot === undefined ? () => chain.currentSlot() : () => slot
  // a slot the evidence may be from: started (for a block: not after it), or for the pool within B-4's drift
  const started = slot === undefined ? (s: bigint) => !isFutureSlot(s, chain.clock(), params) : (s: bigint) => s <= slot
  return {
    nonce: (id) => ledger.get(id)?.nonce ?? 0n,
    spendable: (id) => ledger.spendable(id, epochOf(slotNow(), params)),
    stake: (id) => ledger.get(id)?.stake ?? 0n,
    totalStake: () => ledger.totalStake(),
    evidenceAdmissible: (tx: SignedTx) => {
      const ev = tx.evidence
      // from a slot started, not expired, the offender not yet slashed for it (as gossip judges it)
      return ev === undefined || uselessEvidence(ev.a.header, started, slotNow(), (proposer, s) => ledger.isSlashed(proposer, s), params) === undefined
    }
  }
}
