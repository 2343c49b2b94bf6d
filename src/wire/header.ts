/**
 * Block headers on the wire: canonical decoding into the core's types, and encoding.
 * Block hash = SHA-256(SignedHeader bytes).
 */
import { sha256 } from '../core/hash.ts'
import type { BlockHeader as CoreBlockHeader, SignedHeader as CoreSignedHeader } from '../core/types.ts'
import { BlockHeader, SignedHeader } from './memecoin.ts'
import { decodeCanonical, encodeMessage, expectLength } from './codec.ts'
import { CHAIN_ID_BYTES, HASH_BYTES, MAX_HEADER_BYTES, MAX_SIGNED_HEADER_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, VRF_PROOF_BYTES } from './limits.ts'

/** Decodes and structurally checks BlockHeader bytes. */
export function decodeHeader (headerBytes: Uint8Array): CoreBlockHeader {
  const h = decodeCanonical(BlockHeader, headerBytes, MAX_HEADER_BYTES, 'BlockHeader')
  expectLength(h.chainId, CHAIN_ID_BYTES, 'header.chainId')
  expectLength(h.parentHash, HASH_BYTES, 'header.parentHash')
  expectLength(h.proposer, PUBLIC_KEY_BYTES, 'header.proposer')
  expectLength(h.vrfProof, VRF_PROOF_BYTES, 'header.vrfProof')
  expectLength(h.txRoot, HASH_BYTES, 'header.txRoot')
  expectLength(h.stateRoot, HASH_BYTES, 'header.stateRoot')
  return h
}

/** Decodes SignedHeader bytes; its hash is the block hash. */
export function decodeSignedHeader (bytes: Uint8Array): CoreSignedHeader {
  const sh = decodeCanonical(SignedHeader, bytes, MAX_SIGNED_HEADER_BYTES, 'SignedHeader')
  expectLength(sh.signature, SIGNATURE_BYTES, 'header signature')
  return { bytes, hash: sha256(bytes), headerBytes: sh.header, header: decodeHeader(sh.header), signature: sh.signature }
}

/** Canonical BlockHeader bytes. */
export function encodeHeader (h: CoreBlockHeader): Uint8Array {
  return encodeMessage(BlockHeader, h)
}

/** SignedHeader bytes of header bytes and the proposer's signature. */
export function encodeSignedHeader (headerBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeMessage(SignedHeader, { header: headerBytes, signature })
}
