/**
 * Transaction root: the RFC 6962 (Certificate Transparency) Merkle tree hash over the list of
 * transaction ids, in block order. leaf = SHA-256(0x00 ‖ id), node = SHA-256(0x01 ‖ l ‖ r), the
 * split point is the largest power of two below n, and the empty list hashes to SHA-256("").
 * Domain-separated leaves and nodes make second-preimage forgeries of the root impossible.
 */
import { hash } from 'node:crypto'
import { sha256 } from './hash.ts'

const HASH_BYTES = 32
/** Scratch for a node's input; inner hashes are latin1 ('binary') strings, as in smt.ts (cheaper than Buffers). */
const node = Buffer.alloc(1 + 2 * HASH_BYTES)
node[0] = 1
const leaf32 = Buffer.alloc(1 + HASH_BYTES)

/** RFC 6962 Merkle tree hash of `ids`. */
export function merkleRoot (ids: readonly Uint8Array[]): Uint8Array {
  if (ids.length === 0) return sha256()
  let level: string[] = []
  for (const id of ids) {
    const leaf = id.length === HASH_BYTES ? leaf32 : Buffer.alloc(1 + id.length)
    leaf.set(id, 1)
    level.push(hash('sha256', leaf, 'binary'))
  }
  // Bottom-up pairing with the odd last node promoted unchanged gives the same root as
  // RFC 6962's recursive largest-power-of-two split.
  while (level.length > 1) {
    const next: string[] = []
    for (let i = 0; i + 1 < level.length; i += 2) {
      node.write(level[i] as string, 1, HASH_BYTES, 'binary')
      node.write(level[i + 1] as string, 1 + HASH_BYTES, HASH_BYTES, 'binary')
      next.push(hash('sha256', node, 'binary'))
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1] as string)
    level = next
  }
  // in an array of its own (Buffer.from would share Node's 8 KiB pool)
  const root = level[0] as string
  const out = new Uint8Array(root.length)
  for (let i = 0; i < root.length; i++) out[i] = root.charCodeAt(i)
  return out
}
