/**
 * What exactly is signed. Every signature covers SHA-256(domain tag ‖ 0x00 ‖ bytes); the tag
 * names the kind of object and the protocol version, so a signature can never be replayed as
 * another kind of object, and the chain id inside each body keeps it on one chain.
 */
import { sha256 } from './hash.ts'
import { utf8 } from './bytes.ts'
import { signDigest, verifyDigest } from './secp256k1.ts'
import type { SignedHeader, SignedTx } from './types.ts'

/** Domain tag of transaction bodies. */
export const TX_DOMAIN = 'memecoin/tx/v1'
/** Domain tag of block headers. */
export const HEADER_DOMAIN = 'memecoin/header/v1'

const tagCache = new Map<string, Uint8Array>()
function tagBytes (tag: string): Uint8Array {
  let b = tagCache.get(tag)
  if (b === undefined) {
    b = new Uint8Array([...utf8(tag), 0])
    tagCache.set(tag, b)
  }
  return b
}

/** The 32-byte digest a signature over `bytes` in domain `tag` signs. */
export function signingDigest (tag: string, bytes: Uint8Array): Uint8Array {
  return sha256(tagBytes(tag), bytes)
}

/** Signature of `bytes` in domain `tag`. */
export function signBytes (tag: string, bytes: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return signDigest(signingDigest(tag, bytes), privateKey)
}

/** True iff `signature` over `bytes` in domain `tag` is valid for `publicKey`. */
export function verifyBytes (tag: string, bytes: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return verifyDigest(signature, signingDigest(tag, bytes), publicKey)
}

/** True iff the transaction's signature by its sender is valid. */
export function verifyTxSignature (tx: SignedTx): boolean {
  return verifyBytes(TX_DOMAIN, tx.bodyBytes, tx.signature, tx.body.sender)
}

/** True iff the header's signature by its proposer is valid. */
export function verifyHeaderSignature (h: SignedHeader): boolean {
  return verifyBytes(HEADER_DOMAIN, h.headerBytes, h.signature, h.header.proposer)
}
