/**
 * The LevelDB Store (classic-level). LevelDB writes a batch atomically through its write-ahead
 * log, so a `kill -9` at any instant leaves either the whole batch or none of it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { ClassicLevel } from 'classic-level'
import { MemecoinError } from '../core/errors.ts'
import type { BatchOp, KeyRange, Store } from './store.ts'

/** A Store in a LevelDB directory. */
export class LevelStore implements Store {
  private readonly db: ClassicLevel<Uint8Array, Uint8Array>

  /** The directory already held files when this store was made: an existing database. */
  private readonly existing: boolean

  constructor (readonly path: string) {
    // A directory that already holds files is an existing database: never create one over it.
    // With LevelDB's default (create if missing) a lost CURRENT file made it start an empty
    // database there and delete every table file of the old one (persistence review). Given to
    // the constructor too: classic-level opens by itself, with these options, on the next tick.
    this.existing = existsSync(path) && statSync(path).isDirectory() && readdirSync(path).length > 0
    this.db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: !this.existing })
  }

  async open (): Promise<void> {
    const existing = this.existing
    try {
      await this.db.open({ createIfMissing: !existing })
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message
      const why = /LOCK/.test(cause) && /(temporarily unavailable|already held)/i.test(cause)
        ? 'another process has it open (a node already running on this directory?)'
        : existing && /does not exist|create_if_missing/i.test(cause)
          ? `the directory holds files but no LevelDB database (its CURRENT file is missing: damaged?); nothing was changed (${cause})`
          : cause
      throw new MemecoinError('ERR_STORE_OPEN', `cannot open the database at ${this.path}: ${why}`)
    }
  }

  async close (): Promise<void> {
    if (this.db.status === 'open') await this.db.close()
  }

  async get (key: Uint8Array): Promise<Uint8Array | undefined> {
    const v = await this.db.get(key)
    return v ?? undefined
  }

  async getMany (keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    if (keys.length === 0) return []
    const values = await this.db.getMany(keys)
    return values.map((v) => v ?? undefined)
  }

  async batch (ops: BatchOp[]): Promise<void> {
    if (ops.length === 0) return
    // A chained batch (one native WriteBatch filled op by op) is as atomic as an array batch and
    // costs the event loop ≈ 6× less for a block's ≈ 1,000+ operations: the array form clones
    // and re-encodes every operation object in JS first (measured: 1,300 puts 9.1 → 1.6 ms).
    const b = this.db.batch()
    try {
      for (const op of ops) {
        if (op.type === 'put') b.put(op.key, op.value)
        else b.del(op.key)
      }
    } catch (err) {
      await b.close()
      throw err
    }
    // sync: the batch is on disk (not only in the OS cache) before the caller publishes anything
    await b.write({ sync: true })
  }

  async * entries (range: KeyRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    const opts = { gte: range.gte, lt: range.lt, reverse: range.reverse === true, ...(range.limit !== undefined ? { limit: range.limit } : {}) }
    for await (const [k, v] of this.db.iterator(opts)) yield [k, v]
  }
}
