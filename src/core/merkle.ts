/**
 * Transaction root: the RFC 6962 (Certificate Transparency) Merkle tree hash over the list of
 * transaction ids, in block order. leaf = SHA-256(0x00 ‖ id), node = SHA-256(0x01 ‖ l ‖ r), the
 * split point is the largest power of two below n, and the empty list hashes to SHA-256("").
 * Domain-separated leaves and nodes make second-preimage forgeries of the root impossible.
 */
import { bytesOfDigest, sha256, sha256Binary, sha256InnerNode, type BinaryDigest } from './hash.ts'

const HASH_BYTES = 32
/** Scratch for a leaf's input (ids are 32 bytes); the tree's hashes are BinaryDigest strings. */
const leaf32 = Buffer.alloc(1 + HASH_BYTES)

/** RFC 6962 Merkle tree hash of `ids`. */
export function merkleRoot (ids: readonly Uint8Array[]): Uint8Array {
  if (ids.length === 0) return sha256()
  let level: BinaryDigest[] = []
  for (const id of ids) {
    const leaf = id.length === HASH_BYTES ? leaf32 : Buffer.alloc(1 + id.length)
    leaf.set(id, 1)
    level.push(sha256Binary(leaf))
  }
  // Bottom-up pairing with the odd last node promoted unchanged gives the same root as
  // RFC 6962's recursive largest-power-of-two split.
  while (level.length > 1) {
    const next: BinaryDigest[] = []
    for (let i = 0; i + 1 < level.length; i += 2) next.push(sha256InnerNode(level[i] as BinaryDigest, level[i + 1] as BinaryDigest))
    if (level.length % 2 === 1) next.push(level[level.length - 1] as BinaryDigest)
    level = next
  }
  return bytesOfDigest(level[0] as BinaryDigest)
}
