/** Adapters from the chain's head state to the narrow views other components take. */
import { epochOf } from '../core/consensus.ts'
import type { SignedTx } from '../core/types.ts'
import type { Chain } from './chain.ts'
import type { AccountView } from './mempool.ts'

/** The head state as the mempool sees it, at the epoch of the slot now in progress. */
export function mempoolView (chain: Chain): AccountView {
  const now = chain.currentSlot()
  const epoch = epochOf(now, chain.params)
  const ledger = chain.ledger
  const params = chain.params
  return {
    nonce: (id) => ledger.get(id)?.nonce ?? 0n,
    spendable: (id) => ledger.spendable(id, epoch),
    stake: (id) => ledger.get(id)?.stake ?? 0n,
    evidenceAdmissible: (tx: SignedTx) => {
      const ev = tx.evidence
      if (ev === undefined) return true
      const slot = ev.a.header.slot
      // from a slot already started (a block of the slot in progress may include it), not
      // expired, and the offender not yet slashed for it
      return slot <= now && !ledger.isSlashed(ev.a.header.proposer, slot) && epochOf(slot, params) + params.evidenceEpochs >= epoch
    }
  }
}
