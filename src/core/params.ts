/**
 * Chain parameters: what genesis fixes and every consensus function reads. Plain data, built
 * from a validated genesis (src/core/genesis.ts).
 */
import type { GenesisConfig } from './genesis.ts'

/**
 * Consensus parameters of one chain: genesis's fields (see GenesisConfig for each) without the
 * chain name and accounts, plus the chain id and genesis hash, with the block limits as numbers.
 */
export interface ChainParams extends Omit<GenesisConfig, 'chainName' | 'accounts' | 'maxBlockBytes' | 'maxBlockTxs'> {
  /** 8-byte chain id (first 8 bytes of the genesis hash). */
  chainId: Uint8Array
  /** 32-byte genesis hash: the hash of height 0, parent of height 1. */
  genesisHash: Uint8Array
  maxBlockBytes: number
  maxBlockTxs: number
}

/** One genesis account: balance and bonded stake. */
export interface GenesisAllocation {
  /** 20-byte account id. */
  id: Uint8Array
  balance: bigint
  stake: bigint
}
