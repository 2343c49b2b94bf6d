/** Adapters from the chain's head state to the narrow views other components take. */
import { epochOf } from '../core/consensus.ts'
import type { SignedTx } from '../core/types.ts'
import type { Chain } from './chain.ts'
import type { AccountView } from './mempool.ts'

/**
 * The head state as the mempool sees it, at the slot in progress when each question is asked (not
 * when the view was made: unbonding released at an epoch's first slot is spendable from that slot,
 * as the API shows it, not only once the next block arrives; SPEC §7).
 */
export function mempoolView (chain: Chain): AccountView {
  const ledger = chain.ledger
  const params = chain.params
  return {
    nonce: (id) => ledger.get(id)?.nonce ?? 0n,
    spendable: (id) => ledger.spendable(id, chain.currentEpoch()),
    stake: (id) => ledger.get(id)?.stake ?? 0n,
    totalStake: () => ledger.totalStake(),
    evidenceAdmissible: (tx: SignedTx) => {
      const ev = tx.evidence
      if (ev === undefined) return true
      const now = chain.currentSlot()
      const slot = ev.a.header.slot
      // from a slot already started (a block of the slot in progress may include it), not
      // expired, and the offender not yet slashed for it
      return slot <= now && !ledger.isSlashed(ev.a.header.proposer, slot) && epochOf(slot, params) + params.evidenceEpochs >= epochOf(now, params)
    }
  }
}
