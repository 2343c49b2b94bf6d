/** Types of uncompressed-keys.mjs (see there). */
export declare class UncompressedKeys {
  hits: number
  misses: number
  constructor (convert: (key: Uint8Array, out: Uint8Array) => void, capacity?: number)
  get size (): number
  of (bytes: Uint8Array, at?: number): Uint8Array | undefined
}
