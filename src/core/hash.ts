/**
 * SHA-256. node:crypto is used because it is 2-3× faster than a JS implementation for the small
 * inputs of tx ids and Merkle nodes (DESIGN.md permits node:crypto in the core where faster).
 */
import { createHash } from 'node:crypto'

/** SHA-256 of the concatenation of `parts`. */
export function sha256 (...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  const d = h.digest()
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
}
