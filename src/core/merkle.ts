/**
 * Transaction root: the RFC 6962 (Certificate Transparency) Merkle tree hash over the list of
 * transaction ids, in block order. leaf = SHA-256(0x00 ‖ id), node = SHA-256(0x01 ‖ l ‖ r), the
 * split point is the largest power of two below n, and the empty list hashes to SHA-256("").
 * Domain-separated leaves and nodes make second-preimage forgeries of the root impossible.
 */
import { sha256, sha256of3 } from './hash.ts'

const LEAF = new Uint8Array([0])
const NODE = new Uint8Array([1])

/** RFC 6962 Merkle tree hash of `ids`. */
export function merkleRoot (ids: readonly Uint8Array[]): Uint8Array {
  if (ids.length === 0) return sha256()
  const EMPTY = new Uint8Array(0)
  let level = ids.map((id) => sha256of3(LEAF, id, EMPTY))
  // Bottom-up pairing with the odd last node promoted unchanged gives the same root as
  // RFC 6962's recursive largest-power-of-two split.
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i + 1 < level.length; i += 2) next.push(sha256of3(NODE, level[i] as Uint8Array, level[i + 1] as Uint8Array))
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array)
    level = next
  }
  return level[0] as Uint8Array
}
