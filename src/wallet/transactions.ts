/**
 * Building and signing transactions of every kind. The result is the wire bytes that
 * `POST /txs` and the tx gossip topic carry, and the transaction id.
 */
import { decodeAddress } from '../core/address.ts'
import { MemecoinError } from '../core/errors.ts'
import { isValidPrivateKey } from '../core/secp256k1.ts'
import { TX_DOMAIN } from '../core/signing.ts'
import type { TxBody } from '../core/types.ts'
import { signTx } from '../wire/tx.ts'

const MAX_U64 = (1n << 64n) - 1n

/** Fields every transaction needs. */
export interface TxCommon {
  /** 8-byte chain id. */
  chainId: Uint8Array
  /** The sender's 32-byte private key. */
  privateKey: Uint8Array
  /** The sender account's current nonce. */
  nonce: bigint
  /** Fee in base units. */
  fee: bigint
}

/** A signed transaction ready to submit. */
export interface BuiltTx {
  bytes: Uint8Array
  id: Uint8Array
}

function checkU64 (v: bigint, what: string): void {
  if (typeof v !== 'bigint' || v < 0n || v > MAX_U64) throw new MemecoinError('ERR_INVALID_AMOUNT', `${what} must be an integer in [0, 2^64)`)
}

/** Signs a body with the sender key, after checking the key matches and the integers fit. */
export function signTxBody (body: Omit<TxBody, 'sender'>, privateKey: Uint8Array, domain: string = TX_DOMAIN): BuiltTx {
  if (!isValidPrivateKey(privateKey)) throw new MemecoinError('ERR_INVALID_PRIVATE_KEY', 'invalid private key')
  checkU64(body.nonce, 'nonce')
  checkU64(body.fee, 'fee')
  return signTx(body, privateKey, domain)
}

function common (c: TxCommon): Omit<TxBody, 'sender'> {
  return { chainId: c.chainId, nonce: c.nonce, fee: c.fee }
}

/** A transfer of `amount` base units to `to` (a meme1 address or a 20-byte account id). */
export function buildTransfer (c: TxCommon & { to: string | Uint8Array, amount: bigint }): BuiltTx {
  checkU64(c.amount, 'amount')
  const to = typeof c.to === 'string' ? decodeAddress(c.to) : c.to
  return signTxBody({ ...common(c), transfer: { to, amount: c.amount } }, c.privateKey)
}

/** Bonds `amount` base units of the sender's balance as stake. */
export function buildStake (c: TxCommon & { amount: bigint }): BuiltTx {
  checkU64(c.amount, 'amount')
  return signTxBody({ ...common(c), stake: { amount: c.amount } }, c.privateKey)
}

/** Starts unbonding `amount` base units of the sender's stake. */
export function buildUnstake (c: TxCommon & { amount: bigint }): BuiltTx {
  checkU64(c.amount, 'amount')
  return signTxBody({ ...common(c), unstake: { amount: c.amount } }, c.privateKey)
}

/** Reports an equivocation: two signed headers (bytes) by one proposer for one slot. */
export function buildEvidence (c: TxCommon & { headerA: Uint8Array, headerB: Uint8Array }): BuiltTx {
  return signTxBody({ ...common(c), evidence: { headerA: c.headerA, headerB: c.headerB } }, c.privateKey)
}
