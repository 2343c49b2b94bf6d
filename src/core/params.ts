/**
 * Chain parameters: what genesis fixes and every consensus function reads. Plain data, built
 * from a validated genesis (src/core/genesis.ts).
 */
import type { Rational } from './types.ts'

/** Consensus parameters of one chain. All integers are bigint except the byte/count limits. */
export interface ChainParams {
  /** 8-byte chain id (first 8 bytes of the genesis hash). */
  chainId: Uint8Array
  /** 32-byte genesis hash: the hash of height 0, parent of height 1. */
  genesisHash: Uint8Array
  /** Unix time of the start of slot 0, in milliseconds. */
  genesisTime: bigint
  slotMs: bigint
  epochSlots: bigint
  /** Active slot coefficient f. */
  activeSlotCoeff: Rational
  /** Settlement depth in blocks. */
  k: bigint
  unbondingEpochs: bigint
  blockReward: bigint
  slashFraction: Rational
  slashReward: Rational
  evidenceEpochs: bigint
  minFee: bigint
  maxBlockBytes: number
  maxBlockTxs: number
  /** η_0, 32 bytes. */
  initialNonce: Uint8Array
}

/** One genesis account: balance and bonded stake. */
export interface GenesisAllocation {
  /** 20-byte account id. */
  id: Uint8Array
  balance: bigint
  stake: bigint
}
