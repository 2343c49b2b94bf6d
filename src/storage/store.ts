/**
 * The Store: an ordered key-value store with atomic batches. The chain keeps everything in one
 * Store (one LevelDB per node); `MemoryStore` serves tests and the simulator.
 */
import { compareBytes } from '../core/bytes.ts'

/** One write of a batch: put a value or delete a key. */
export type BatchOp = { type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }

/** A key range gte ≤ key < lt; `reverse` walks it from the end, `limit` caps the entries yielded. */
export interface KeyRange { gte: Uint8Array, lt: Uint8Array, reverse?: boolean, limit?: number }

/** An ordered byte-keyed store with atomic batches. */
export interface Store {
  /** Opens the store (creating it if needed). */
  open: () => Promise<void>
  /** Closes the store; pending writes finish first. */
  close: () => Promise<void>
  /** The value at `key`, or undefined. */
  get: (key: Uint8Array) => Promise<Uint8Array | undefined>
  /** The values at `keys`, in order (undefined where absent): one read for many keys. */
  getMany: (keys: Uint8Array[]) => Promise<Array<Uint8Array | undefined>>
  /** Applies every op or none (a crash leaves either all or none of them). */
  batch: (ops: BatchOp[]) => Promise<void>
  /** Entries with gte ≤ key < lt, in key order (descending with `reverse`), at most `limit` of them. */
  entries: (range: KeyRange) => AsyncIterable<[Uint8Array, Uint8Array]>
}

/** An in-memory Store (tests, simulator). */
export class MemoryStore implements Store {
  private readonly map = new Map<string, { key: Uint8Array, value: Uint8Array }>()

  async open (): Promise<void> {}
  async close (): Promise<void> {}

  async get (key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.map.get(Buffer.from(key).toString('hex'))?.value
  }

  async getMany (keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    return keys.map((key) => this.map.get(Buffer.from(key).toString('hex'))?.value)
  }

  async batch (ops: BatchOp[]): Promise<void> {
    for (const op of ops) {
      const k = Buffer.from(op.key).toString('hex')
      if (op.type === 'put') this.map.set(k, { key: op.key.slice(), value: op.value.slice() })
      else this.map.delete(k)
    }
  }

  async * entries (range: KeyRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    const all = [...this.map.values()]
      .filter((e) => compareBytes(e.key, range.gte) >= 0 && compareBytes(e.key, range.lt) < 0)
      .sort((a, b) => range.reverse === true ? compareBytes(b.key, a.key) : compareBytes(a.key, b.key))
    for (const e of all.slice(0, range.limit ?? all.length)) yield [e.key, e.value]
  }
}
