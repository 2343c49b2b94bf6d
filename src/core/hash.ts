/**
 * SHA-256. node:crypto is used because it is 2-3× faster than a JS implementation for the small
 * inputs of tx ids and Merkle nodes (DESIGN.md permits node:crypto in the core where faster).
 * The one-shot `crypto.hash` skips the Hash object of `createHash` (~30% less time per call and
 * less garbage on the hot paths: tx ids, account ids, state-tree nodes).
 */
import { hash } from 'node:crypto'

/** SHA-256 of the concatenation of `parts`. */
export function sha256 (...parts: Uint8Array[]): Uint8Array {
  const input = parts.length === 1 ? parts[0] as Uint8Array : Buffer.concat(parts)
  const d = hash('sha256', input, 'buffer')
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
}
