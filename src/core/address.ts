/**
 * Addresses: bech32m (BIP 350) with prefix `meme` of the 20-byte account id, where
 * account id = first 20 bytes of SHA-256(33-byte compressed public key).
 */
import { bech32, bech32m } from '@scure/base'
import { bytesEqual, tail30 } from './bytes.ts'
import { sha256 } from './hash.ts'
import { DecodeError } from './errors.ts'
import { ownMemos } from './memo.ts'
import type { SignedTx } from './types.ts'

export const ADDRESS_PREFIX = 'meme'
export const ACCOUNT_ID_BYTES = 20
/** A meme1 address is always 4 + 1 + 32 + 6 = 43 characters. */
export const ADDRESS_LENGTH = 43

/** The 20-byte account id of a compressed public key. */
export function accountIdOf (publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).subarray(0, ACCOUNT_ID_BYTES)
}

/** Public keys whose account ids `senderIdOf` keeps (then it starts over). */
export const SENDER_IDS_KEPT = 16_384
/** Account ids of senders' keys, by 30 bits of the key's end (its x coordinate: uniform). */
const senderIds = new Map<number, { key: Uint8Array, id: Uint8Array }>()

/**
 * The sender's account id of a decoded transaction. The mempool, the state transition and the tx
 * index each need it, a loaded devnet node spent ≈ 3% of its CPU re-hashing the same keys, and
 * senders repeat (a wallet sends many transactions; a sync replays every block of a few thousand
 * accounts): the ids of the last keys seen are kept, up to SENDER_IDS_KEPT, found by their key
 * (compared whole: a key whose 30 bits another shares is only hashed again). The id is then kept
 * on the transaction object too (`tx.senderId`): each transaction is asked several times. The
 * array is shared: callers must not write to it.
 */
export function senderIdOf (tx: SignedTx): Uint8Array {
  ownMemos(tx)
  const memo = tx.senderId
  if (memo !== undefined) return memo
  const key = tx.body.sender
  const k = tail30(key)
  const kept = senderIds.get(k)
  if (kept !== undefined && bytesEqual(kept.key, key)) {
    tx.senderId = kept.id
    return kept.id
  }
  const id = accountIdOf(key)
  if (senderIds.size >= SENDER_IDS_KEPT) senderIds.clear()
  // a copy (Uint8Array's slice: a Buffer's is a view): the key is a view of a transaction's, or
  // a whole block's, bytes
  senderIds.set(k, { key: Uint8Array.prototype.slice.call(key), id })
  tx.senderId = id
  return id
}

/** The `meme1…` address of a 20-byte account id. */
export function encodeAddress (accountId: Uint8Array): string {
  if (accountId.length !== ACCOUNT_ID_BYTES) throw new DecodeError('ERR_ADDRESS_LENGTH', `account id must be ${ACCOUNT_ID_BYTES} bytes`)
  return bech32m.encode(ADDRESS_PREFIX, bech32m.toWords(accountId))
}

/** The `meme1…` address of a compressed public key. */
export function addressOf (publicKey: Uint8Array): string {
  return encodeAddress(accountIdOf(publicKey))
}

/**
 * The account id of a `meme1…` address. Throws DecodeError: `ERR_ADDRESS_CHECKSUM` for a
 * mistyped address, `ERR_ADDRESS_PREFIX` for another network's prefix, `ERR_ADDRESS_FORMAT`
 * for anything else that is not an address. Mixed case is refused (BIP 350).
 */
export function decodeAddress (address: string): Uint8Array {
  if (typeof address !== 'string') throw new DecodeError('ERR_ADDRESS_FORMAT', 'address must be a string')
  // BIP 173 caps bech32 strings at 90 characters; longer input is garbage, whatever it holds.
  if (address.length > 90) throw new DecodeError('ERR_ADDRESS_FORMAT', 'not a memecoin address (too long)')
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) {
    throw new DecodeError('ERR_ADDRESS_FORMAT', 'address mixes upper and lower case')
  }
  const lower = address.toLowerCase()
  const sep = lower.lastIndexOf('1')
  // Another network's address (a well-formed bech32/bech32m string, any length) vs garbage.
  if (sep >= 1 && lower.slice(0, sep) !== ADDRESS_PREFIX &&
      (bech32m.decodeUnsafe(lower, false) !== undefined || bech32.decodeUnsafe(lower, false) !== undefined)) {
    throw new DecodeError('ERR_ADDRESS_PREFIX', `address prefix must be "${ADDRESS_PREFIX}"`)
  }
  if (address.length !== ADDRESS_LENGTH || sep !== ADDRESS_PREFIX.length || !lower.startsWith(ADDRESS_PREFIX)) {
    throw new DecodeError('ERR_ADDRESS_FORMAT', `not a memecoin address (expected ${ADDRESS_LENGTH} characters starting with ${ADDRESS_PREFIX}1)`)
  }
  let words: number[]
  try {
    words = bech32m.decode(lower as `${string}1${string}`).words
  } catch (err) {
    const msg = String((err as Error).message ?? '')
    if (/checksum/i.test(msg)) throw new DecodeError('ERR_ADDRESS_CHECKSUM', 'address checksum mismatch (mistyped address?)')
    throw new DecodeError('ERR_ADDRESS_FORMAT', 'not a valid bech32m address')
  }
  let id: Uint8Array
  try {
    id = bech32m.fromWords(words)
  } catch {
    throw new DecodeError('ERR_ADDRESS_FORMAT', 'address payload has invalid padding')
  }
  if (id.length !== ACCOUNT_ID_BYTES) throw new DecodeError('ERR_ADDRESS_LENGTH', `address payload must be ${ACCOUNT_ID_BYTES} bytes`)
  return id
}

/** True iff `address` decodes. */
export function isAddress (address: string): boolean {
  try { decodeAddress(address); return true } catch { return false }
}
