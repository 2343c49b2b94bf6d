/**
 * Genesis on the wire: the canonical `Genesis` message, the genesis hash and the chain id
 * (protocol/SPEC.md §4, §8). Accounts are encoded in ascending id order, so the hash depends on
 * the set of accounts, never on their order in genesis.json.
 */
import { compareBytes } from '../core/bytes.ts'
import { DecodeError } from '../core/errors.ts'
import { GenesisError, validateGenesis, type GenesisConfig, type GenesisLimits } from '../core/genesis.ts'
import { sha256 } from '../core/hash.ts'
import type { ChainParams } from '../core/params.ts'
import type { Rational } from '../core/types.ts'
import { Genesis } from './memecoin.ts'
import { decodeCanonical, encodeMessage, expectLength } from './codec.ts'
import {
  ACCOUNT_ID_BYTES, CHAIN_ID_BYTES, HASH_BYTES, MAX_BLOCK_BYTES, MAX_BLOCK_TXS, MAX_CHAIN_NAME_LENGTH,
  MAX_GENESIS_ACCOUNTS, MAX_GENESIS_BYTES, MAX_SIGNED_HEADER_BYTES, MAX_TX_BYTES
} from './limits.ts'

/** The protocol caps every genesis is validated against (SPEC §8, §11). */
export const GENESIS_LIMITS: GenesisLimits = Object.freeze({
  maxBlockBytes: MAX_BLOCK_BYTES,
  // A block must hold the largest signed header and one largest transaction (+ framing).
  minBlockBytes: MAX_SIGNED_HEADER_BYTES + MAX_TX_BYTES + 16,
  maxBlockTxs: MAX_BLOCK_TXS,
  maxAccounts: MAX_GENESIS_ACCOUNTS,
  maxChainNameLength: MAX_CHAIN_NAME_LENGTH
})

const INITIAL_NONCE_BYTES = 32

function copyRational (r: Rational): Rational {
  return { num: r.num, den: r.den }
}

/** The consensus fields that `Genesis` and ChainParams share, copied (no aliasing of the config). */
function consensusFields (cfg: GenesisConfig): Omit<ChainParams, 'chainId' | 'genesisHash' | 'maxBlockBytes' | 'maxBlockTxs'> {
  return {
    genesisTime: cfg.genesisTime,
    slotMs: cfg.slotMs,
    epochSlots: cfg.epochSlots,
    activeSlotCoeff: copyRational(cfg.activeSlotCoeff),
    k: cfg.k,
    unbondingEpochs: cfg.unbondingEpochs,
    blockReward: cfg.blockReward,
    slashFraction: copyRational(cfg.slashFraction),
    slashReward: copyRational(cfg.slashReward),
    evidenceEpochs: cfg.evidenceEpochs,
    minFee: cfg.minFee,
    initialNonce: cfg.initialNonce.slice()
  }
}

/** Canonical `Genesis` bytes of a valid config (validated first: G-1…G-11), accounts sorted by id. */
export function encodeGenesis (cfg: GenesisConfig): Uint8Array {
  validateGenesis(cfg, GENESIS_LIMITS)
  const accounts = [...cfg.accounts]
    .sort((a, b) => compareBytes(a.id, b.id))
    .map((a) => ({ id: a.id, balance: a.balance, stake: a.stake }))
  const bytes = encodeMessage(Genesis, {
    chainName: cfg.chainName,
    ...consensusFields(cfg),
    maxBlockBytes: cfg.maxBlockBytes,
    maxBlockTxs: Number(cfg.maxBlockTxs),
    accounts
  })
  // Unreachable within today's caps (10,000 accounts ≈ 470 KB); kept so a future field cannot
  // produce a genesis that no node would decode.
  if (bytes.length > MAX_GENESIS_BYTES) {
    throw new DecodeError('ERR_TOO_LARGE', `Genesis: ${bytes.length} bytes exceeds the limit of ${MAX_GENESIS_BYTES}`, { size: bytes.length, limit: MAX_GENESIS_BYTES })
  }
  return bytes
}

/**
 * Decodes canonical `Genesis` bytes into a validated config. DecodeError for bad bytes (including
 * accounts out of ascending id order: ERR_NON_CANONICAL), GenesisError for a broken rule.
 */
export function decodeGenesis (bytes: Uint8Array): GenesisConfig {
  const g = decodeCanonical(Genesis, bytes, MAX_GENESIS_BYTES, 'Genesis', { limits: { accounts: MAX_GENESIS_ACCOUNTS } })
  expectLength(g.initialNonce, INITIAL_NONCE_BYTES, 'genesis.initialNonce')
  g.accounts.forEach((a, i) => { expectLength(a.id, ACCOUNT_ID_BYTES, `genesis.accounts[${i}].id`) })
  const rational = (r: Rational | undefined, field: string): Rational => {
    if (r === undefined) throw new GenesisError('ERR_GENESIS_FIELD', `genesis.${field}: missing`, { field, rule: 'G-1' })
    return r
  }
  const cfg: GenesisConfig = {
    chainName: g.chainName,
    genesisTime: g.genesisTime,
    slotMs: g.slotMs,
    epochSlots: g.epochSlots,
    activeSlotCoeff: rational(g.activeSlotCoeff, 'activeSlotCoeff'),
    k: g.k,
    unbondingEpochs: g.unbondingEpochs,
    blockReward: g.blockReward,
    slashFraction: rational(g.slashFraction, 'slashFraction'),
    slashReward: rational(g.slashReward, 'slashReward'),
    evidenceEpochs: g.evidenceEpochs,
    minFee: g.minFee,
    maxBlockBytes: g.maxBlockBytes,
    maxBlockTxs: BigInt(g.maxBlockTxs),
    initialNonce: g.initialNonce,
    accounts: g.accounts.map((a) => ({ id: a.id, balance: a.balance, stake: a.stake }))
  }
  validateGenesis(cfg, GENESIS_LIMITS)
  // Duplicates were refused above (G-10); any other disorder is a second encoding of one genesis.
  let prev: Uint8Array | undefined
  for (const { id } of cfg.accounts) {
    if (prev !== undefined && compareBytes(prev, id) > 0) throw new DecodeError('ERR_NON_CANONICAL', 'Genesis: accounts are not in ascending id order')
    prev = id
  }
  return cfg
}

/** The genesis hash: SHA-256 of the canonical `Genesis` bytes (the hash of height 0). */
export function genesisHash (cfg: GenesisConfig): Uint8Array {
  return sha256(encodeGenesis(cfg))
}

/** The 8-byte chain id of a 32-byte genesis hash (its first 8 bytes, copied). */
export function chainIdOf (hash: Uint8Array): Uint8Array {
  expectLength(hash, HASH_BYTES, 'genesis hash')
  return hash.slice(0, CHAIN_ID_BYTES)
}

/** The ChainParams of a valid genesis, with its chain id and genesis hash filled in. */
export function chainParamsOf (cfg: GenesisConfig): ChainParams {
  const hash = genesisHash(cfg)
  return {
    chainId: chainIdOf(hash),
    genesisHash: hash,
    ...consensusFields(cfg),
    maxBlockBytes: Number(cfg.maxBlockBytes),
    maxBlockTxs: Number(cfg.maxBlockTxs)
  }
}
