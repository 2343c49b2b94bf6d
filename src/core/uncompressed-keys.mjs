/**
 * Uncompressed (65-byte) forms of compressed public keys, for libsecp256k1's verify. Parsing a
 * compressed key takes a field square root, ≈ 4 µs of a ≈ 41 µs verify on the reference machine;
 * the uncompressed form needs only an on-curve check (verify ≈ 37 µs). Senders repeat (a wallet
 * sends many transactions; a block of 500 transfers from 2,000 accounts repeats them every few
 * blocks), so the thread that verifies keeps the forms it converted. A miss costs the conversion
 * (≈ 4 µs), which the cheaper verify nearly pays back at once: a stream of fresh keys costs 1–5%
 * more per verify than without the cache (the bookkeeping), repeated keys ≈ 10% less. Keys that
 * are not on the curve take no slot.
 *
 * Plain JavaScript, so both src/core/secp256k1.ts and the verifier worker (which runs without
 * the tsx loader) use it. Not consensus logic: it changes how fast a verify runs, never its answer.
 */

/** Bytes of a compressed and of an uncompressed public key. */
const COMPRESSED = 33
const UNCOMPRESSED = 65

export class UncompressedKeys {
  /** @type {Uint8Array[]} made at the first miss: a process that never verifies pays nothing */
  #slots = []
  /** @type {(string | undefined)[]} the key held by each slot */
  #held = []
  #capacity
  #scratch = new Uint8Array(UNCOMPRESSED)
  /** @type {Map<string, number>} key (latin1) → slot */
  #index = new Map()
  #next = 0
  /** @type {(key: Uint8Array, out: Uint8Array) => void} */
  #convert
  hits = 0
  misses = 0

  /**
   * @param {(key: Uint8Array, out: Uint8Array) => void} convert writes the 65-byte form of a
   *   33-byte key into `out`; throws if the key is not a point on the curve
   * @param {number} capacity keys kept (the oldest converted is replaced first); 65 bytes each
   *   plus a map entry, ≈ 4 MiB for the default
   */
  constructor (convert, capacity = 16384) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer')
    this.#convert = convert
    this.#capacity = capacity
  }

  /** Keys held now. */
  get size () { return this.#index.size }

  /**
   * The 65-byte form of the 33-byte compressed key at `bytes[at, at + 33)`, or undefined if it is
   * not a point on the curve (or `bytes` ends before). The array is the cache's own and is reused once the key is evicted:
   * use it at once (a verify), never keep or modify it.
   * @param {Uint8Array} bytes
   * @param {number} at
   * @returns {Uint8Array | undefined}
   */
  of (bytes, at = 0) {
    if (at < 0 || at + COMPRESSED > bytes.length) return undefined
    const id = Buffer.from(bytes.buffer, bytes.byteOffset + at, COMPRESSED).latin1Slice(0, COMPRESSED)
    const hit = this.#index.get(id)
    if (hit !== undefined) {
      this.hits++
      return this.#slots[hit]
    }
    this.misses++
    if (this.#slots.length === 0) {
      const slab = new Uint8Array(this.#capacity * UNCOMPRESSED)
      this.#slots = Array.from({ length: this.#capacity }, (_, i) => slab.subarray(i * UNCOMPRESSED, (i + 1) * UNCOMPRESSED))
      this.#held = new Array(this.#capacity).fill(undefined)
    }
    // converted aside first: a key off the curve takes no slot (a flood of them evicts nothing)
    try {
      this.#convert(bytes.subarray(at, at + COMPRESSED), this.#scratch)
    } catch {
      return undefined
    }
    const slot = this.#next
    this.#next = slot + 1 === this.#slots.length ? 0 : slot + 1
    const old = this.#held[slot]
    if (old !== undefined) this.#index.delete(old)
    const out = this.#slots[slot]
    out.set(this.#scratch)
    this.#held[slot] = id
    this.#index.set(id, slot)
    return out
  }
}
