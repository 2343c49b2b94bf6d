/**
 * The state journal: how head changes persist the accounts they change (src/chain/persist.ts).
 *
 * The store keeps a checkpoint of every account under its own key (0x05 ‖ id), and after it a
 * journal: one record per head change (0x09 ‖ u64be(sequence)) holding the new bytes of each
 * account the change touched. A restart loads the checkpoint and replays the journal in order,
 * then checks the result against the head block's state root, as before. Every
 * JOURNAL_MAX_DIFFS head changes (sooner if the accounts changed since the checkpoint pass
 * JOURNAL_MAX_DIRTY) the head change's batch writes a new checkpoint instead: the current bytes
 * of every account changed since the last one, each once, and deletes the journal's records.
 * Either way the head change is still one atomic batch (block, undo record, state changes,
 * head pointer), so a crash at any instant leaves a store that opens at a consistent head.
 *
 * Why: written as one entry per account, a block of 500 transfers was ≈ 500–1,000 LevelDB
 * entries, each inserted in the memtable, logged, flushed and compacted on its own. One record
 * per head change costs LevelDB one entry, and an account changed by many blocks between two
 * checkpoints is written to its key once. Bitcoin Core's coins cache, flushed to its database
 * now and then rather than per block, is the model; unlike it, nothing is lost on a crash
 * here: the journal is on disk with the block.
 *
 * A record replays the values the ledger held after its head change, whatever that change did
 * (applied blocks, or undone ones in a reorg): replaying the records in order gives the state
 * at the head of the last one, so the journal needs no knowledge of branches.
 */
import { toHex } from '../core/bytes.ts'
import { MemecoinError } from '../core/errors.ts'
import { accountEntriesSize, readAccountEntries, writeAccountEntries, type AccountEntry } from './account-entries.ts'

/** Head changes journaled between two checkpoints: a restart replays at most this many records. */
export const JOURNAL_MAX_DIFFS = 64
/**
 * Accounts changed since the checkpoint beyond which the next head change writes a checkpoint:
 * the bound of the journal's memory (one id per account) and of a checkpoint batch's size.
 */
export const JOURNAL_MAX_DIRTY = 50_000

/** Version byte of a journal record. */
const DIFF_V1 = 1

/**
 * A journal record as bytes: u8 version (1) ‖ u32 n ‖ n accounts, each as in an undo record
 * (src/chain/account-entries.ts: id ‖ u32 length, or 0xffffffff if the account no longer exists ‖
 * its Account bytes). Integers big-endian.
 */
export function encodeStateDiff (entries: readonly AccountEntry[]): Uint8Array {
  const out = new Uint8Array(1 + 4 + accountEntriesSize(entries))
  const view = new DataView(out.buffer)
  out[0] = DIFF_V1
  view.setUint32(1, entries.length)
  writeAccountEntries(out, view, 5, entries, 'state journal record')
  return out
}

/** The entries of a journal record (Account bytes as views into `bytes`); ERR_STORE_CORRUPT if it is not one. */
export function decodeStateDiff (bytes: Uint8Array): AccountEntry[] {
  const bad = (why: string): never => { throw new MemecoinError('ERR_STORE_CORRUPT', `database is inconsistent: state journal record: ${why}`) }
  if (bytes.length < 5 || bytes[0] !== DIFF_V1) bad('unknown version or too short')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const { entries, at } = readAccountEntries(bytes, view, 5, view.getUint32(1), bad)
  if (at !== bytes.length) bad(`${bytes.length - at} bytes after the last entry`)
  return entries
}

/** What a store's journal holds when it opens (from loadChain). */
export interface JournalState {
  /** Sequence number of the first record since the checkpoint (= next when there is none). */
  first: bigint
  /** Sequence number the next record gets. */
  next: bigint
  /** Ids of the accounts the records change. */
  dirty: Uint8Array[]
}

/** What a head change writes for its accounts (persist.ts turns it into batch operations). */
export type JournalPlan =
  | { kind: 'record', seq: bigint, bytes: Uint8Array }
  | { kind: 'checkpoint', accounts: Uint8Array[], drop: { first: bigint, next: bigint } }

/** Limits of a journal (tests lower them). */
export interface JournalLimits { maxDiffs?: number, maxDirty?: number }

/**
 * The journal's position and the accounts changed since the checkpoint, kept by the chain service
 * between head changes. `plan` advances it as if the batch it is part of were written: a failed
 * write stops the service (ChainService.storeFailed), so it is never used after one.
 */
export class StateJournal {
  readonly maxDiffs: number
  readonly maxDirty: number
  #first: bigint
  #next: bigint
  /** Accounts changed since the checkpoint, by hex id. */
  readonly #dirty = new Map<string, Uint8Array>()

  constructor (limits: JournalLimits = {}, restored?: JournalState) {
    this.maxDiffs = limits.maxDiffs ?? JOURNAL_MAX_DIFFS
    this.maxDirty = limits.maxDirty ?? JOURNAL_MAX_DIRTY
    if (!Number.isSafeInteger(this.maxDiffs) || this.maxDiffs < 1) throw new RangeError('journal maxDiffs must be a positive integer')
    if (!Number.isSafeInteger(this.maxDirty) || this.maxDirty < 1) throw new RangeError('journal maxDirty must be a positive integer')
    this.#first = restored?.first ?? 0n
    this.#next = restored?.next ?? 0n
    for (const id of restored?.dirty ?? []) this.#dirty.set(toHex(id), id)
  }

  /** Records since the checkpoint. */
  get records (): number { return Number(this.#next - this.#first) }
  /** Accounts changed since the checkpoint. */
  get dirty (): number { return this.#dirty.size }

  /**
   * How a head change that touched `touched` persists them: `keys[i]` is `toHex(touched[i])` (the
   * head change has them: not converted again), `valueOf` gives an account's current bytes
   * (undefined: it no longer exists). A record, or a checkpoint once the journal is full.
   */
  plan (touched: readonly Uint8Array[], keys: readonly string[], valueOf: (id: Uint8Array) => Uint8Array | undefined): JournalPlan {
    if (keys.length !== touched.length) throw new RangeError('journal plan: one key per touched account')
    for (let i = 0; i < touched.length; i++) {
      const k = keys[i] as string
      if (!this.#dirty.has(k)) this.#dirty.set(k, touched[i] as Uint8Array)
    }
    if (this.records + 1 >= this.maxDiffs || this.#dirty.size > this.maxDirty) {
      const plan: JournalPlan = { kind: 'checkpoint', accounts: [...this.#dirty.values()], drop: { first: this.#first, next: this.#next } }
      this.#dirty.clear()
      this.#first = this.#next
      return plan
    }
    const bytes = encodeStateDiff(touched.map((id) => ({ id, bytes: valueOf(id) })))
    return { kind: 'record', seq: this.#next++, bytes }
  }
}
