/**
 * The ledger: every account's state, the sparse Merkle tree that commits to it (SPEC §7), running
 * totals (supply, bonded stake) and the set of (proposer, slot) pairs already slashed.
 *
 * Anyone may read; only a `Journal` (from `ledger.begin()`, used by src/core/transition.ts) writes.
 * The journal remembers each touched account's value before its first write, so a failed block
 * rolls back and an applied block undoes exactly (the SMT root depends only on the account set).
 * Stored account values are deeply frozen and replaced, never mutated, so reads need no copies.
 */
import { fromHex, toHex } from './bytes.ts'
import { MemecoinError } from './errors.ts'
import type { GenesisAllocation } from './params.ts'
import { SMT_KEY_BYTES, SparseMerkleTree, type SmtProof } from './smt.ts'

/** Most unbonding entries one account may hold (SPEC §11; equals src/wire/limits.ts MAX_UNBONDING_ENTRIES). */
export const MAX_UNBONDING_ENTRIES = 64
/** Largest uint64: every amount, nonce and epoch stays ≤ this (SPEC §1). */
export const MAX_U64 = (1n << 64n) - 1n

/** Stake on its way out: spendable from the first slot of `releaseEpoch`. */
export interface UnbondingEntry { amount: bigint, releaseEpoch: bigint }

/** One account (SPEC §7): unbonding entries sorted by releaseEpoch, distinct epochs, amounts > 0. */
export interface AccountState { balance: bigint, nonce: bigint, stake: bigint, unbonding: UnbondingEntry[] }

/** Canonical Account bytes of a state (the chain injects src/wire/messages.ts encodeAccount). */
export type AccountEncoder = (a: AccountState) => Uint8Array

/** Bonded stakes for leader election: sorted by hex id (deterministic iteration), immutable. */
export interface StakeSnapshot { readonly stakes: ReadonlyMap<string, bigint>, readonly total: bigint }

/** A (proposer public key, slot) pair recorded as slashed. */
export interface SlashedSlot { readonly proposer: Uint8Array, readonly slot: bigint }

/**
 * What a block changed, to undo it: each touched account's previous value (undefined: absent)
 * and, when the journal knew them, that value's canonical encoding (`prevBytes`, for
 * persistence) and the id as hex (`key`, `toHex(id)`: the chain lists touched accounts by it).
 */
export interface UndoRecord {
  readonly accounts: ReadonlyArray<{ readonly id: Uint8Array, readonly key?: string, readonly prev: Readonly<AccountState> | undefined, readonly prevBytes?: Uint8Array | undefined }>
  /** Slashed-set changes: `added` true if the block recorded the pair, false if it removed it. */
  readonly slashed: ReadonlyArray<SlashedSlot & { readonly added: boolean }>
}

/** An immutable map view (a cached snapshot is shared by every caller). */
class FrozenMap<K, V> implements ReadonlyMap<K, V> {
  readonly #m: Map<K, V>
  constructor (m: Map<K, V>) { this.#m = m }
  get size (): number { return this.#m.size }
  get (k: K): V | undefined { return this.#m.get(k) }
  has (k: K): boolean { return this.#m.has(k) }
  forEach (f: (v: V, k: K, m: ReadonlyMap<K, V>) => void): void { this.#m.forEach((v, k) => { f(v, k, this) }) }
  entries (): MapIterator<[K, V]> { return this.#m.entries() }
  keys (): MapIterator<K> { return this.#m.keys() }
  values (): MapIterator<V> { return this.#m.values() }
  [Symbol.iterator] (): MapIterator<[K, V]> { return this.#m.entries() }
}

function isEmpty (a: AccountState): boolean {
  return a.balance === 0n && a.nonce === 0n && a.stake === 0n && a.unbonding.length === 0
}

function holdings (a: AccountState | undefined): bigint {
  if (a === undefined) return 0n
  let t = a.balance + a.stake
  // indexed, not for…of: this runs twice per account write, and the iterator showed up in heap samples
  for (let i = 0; i < a.unbonding.length; i++) t += (a.unbonding[i] as UnbondingEntry).amount
  return t
}

function isU64 (n: unknown): boolean {
  return typeof n === 'bigint' && n >= 0n && n <= MAX_U64
}

/** The unbonding list of every account with none (most accounts): one frozen array, not one each. */
const NO_UNBONDING: UnbondingEntry[] = Object.freeze([]) as unknown as UnbondingEntry[]

/** A deeply frozen copy of `a`; throws RangeError on a state no valid transition produces. */
function frozen (a: AccountState): AccountState {
  if (!isU64(a.balance) || !isU64(a.nonce) || !isU64(a.stake)) throw new RangeError('account field outside uint64')
  if (a.unbonding.length > MAX_UNBONDING_ENTRIES) throw new RangeError('too many unbonding entries')
  if (a.unbonding.length === 0) return Object.freeze({ balance: a.balance, nonce: a.nonce, stake: a.stake, unbonding: NO_UNBONDING })
  let last = -1n
  const unbonding = a.unbonding.map((u) => {
    if (!isU64(u.amount) || u.amount === 0n || !isU64(u.releaseEpoch) || u.releaseEpoch <= last) throw new RangeError('invalid unbonding entries')
    last = u.releaseEpoch
    return Object.freeze({ amount: u.amount, releaseEpoch: u.releaseEpoch })
  })
  return Object.freeze({ balance: a.balance, nonce: a.nonce, stake: a.stake, unbonding: Object.freeze(unbonding) as UnbondingEntry[] })
}

function slashKey (proposer: Uint8Array, slot: bigint): string {
  return `${toHex(proposer)}:${slot}`
}

/** The ledger's mutable internals; reachable only through Ledger (reads) and Journal (writes). */
class Store {
  readonly accounts = new Map<string, AccountState>()
  readonly smt = new SparseMerkleTree()
  readonly stakes = new Map<string, bigint>()
  /** Not part of the state root: replaying the chain from genesis rebuilds it (SPEC §9). */
  readonly slashed = new Map<string, SlashedSlot>()
  supply = 0n
  totalStake = 0n
  snapshot: StakeSnapshot | undefined
  journalOpen = false
  /**
   * Accounts written since the tree was last brought up to date (hex → id). The tree is updated
   * once per account when it is next read (`flush`), not once per write: a block that touches an
   * account many times encodes and re-inserts it once (the root depends only on the final set).
   */
  readonly dirty = new Map<string, Uint8Array>()
  constructor (readonly encode: AccountEncoder) {}

  /** Brings the tree up to date with the accounts written since the last flush. */
  flush (): void {
    if (this.dirty.size === 0) return
    for (const [key, id] of this.dirty) {
      const value = this.accounts.get(key)
      this.smt.set(id, value === undefined ? undefined : this.encode(value), true)
    }
    this.dirty.clear()
  }

  /**
   * Replaces the account `id` (an all-zero state deletes it, SPEC §7) and updates every total;
   * `key` is toHex(id) (the caller's, when it has it already).
   */
  write (id: Uint8Array, next: Readonly<AccountState> | undefined, key = toHex(id)): void {
    if (id.length !== SMT_KEY_BYTES) throw new RangeError(`account id must be ${SMT_KEY_BYTES} bytes`)
    const old = this.accounts.get(key)
    // Everything that can throw happens before the first change, so a write is all or nothing
    // (the encoding of a frozen, range-checked account cannot fail).
    const value = next === undefined || isEmpty(next) ? undefined : frozen(next)
    this.supply += holdings(value) - holdings(old)
    const oldStake = old?.stake ?? 0n
    const newStake = value?.stake ?? 0n
    if (oldStake !== newStake) {
      this.totalStake += newStake - oldStake
      if (newStake === 0n) this.stakes.delete(key)
      else this.stakes.set(key, newStake)
      this.snapshot = undefined
    }
    if (value === undefined) this.accounts.delete(key)
    else this.accounts.set(key, value)
    if (!this.dirty.has(key)) this.dirty.set(key, id)
  }
}

/** Account states, their state root, and the slashed set. Mutated only through `begin()`. */
export class Ledger {
  readonly #s: Store
  private constructor (store: Store) { this.#s = store }

  /** A ledger holding `accounts` and `slashed` as given (e.g. loaded from storage). */
  static restore (accounts: Iterable<readonly [Uint8Array, AccountState]>, slashed: Iterable<SlashedSlot>, encodeAccount: AccountEncoder): Ledger {
    const store = new Store(encodeAccount)
    for (const [id, a] of accounts) {
      if (store.accounts.has(toHex(id))) throw new MemecoinError('ERR_DUPLICATE_ACCOUNT', `account ${toHex(id)} given twice`)
      store.write(id, a)
    }
    for (const s of slashed) store.slashed.set(slashKey(s.proposer, s.slot), { proposer: s.proposer.slice(), slot: s.slot })
    return new Ledger(store)
  }

  /** The ledger at height 0: genesis balances and bonded stakes, nonce 0, nothing unbonding. */
  static fromGenesis (allocs: readonly GenesisAllocation[], encodeAccount: AccountEncoder): Ledger {
    return Ledger.restore(allocs.map((g) => [g.id, { balance: g.balance, nonce: 0n, stake: g.stake, unbonding: [] }] as const), [], encodeAccount)
  }

  /** The account (deeply frozen), or undefined if it does not exist; `id` is 20 bytes or its hex. */
  get (id: Uint8Array | string): Readonly<AccountState> | undefined {
    return this.#s.accounts.get(typeof id === 'string' ? id.toLowerCase() : toHex(id))
  }

  /** Every existing account as [id, frozen state], in no particular order. */
  * entries (): IterableIterator<[Uint8Array, Readonly<AccountState>]> {
    for (const [key, a] of this.#s.accounts) yield [fromHex(key), a]
  }

  /** Number of existing accounts. */
  get size (): number { return this.#s.accounts.size }

  /** The state root (SPEC §7). */
  root (): Uint8Array {
    this.#s.flush()
    return this.#s.smt.root()
  }

  /** SMT proof of (non-)membership of `id` against `root()`. */
  prove (id: Uint8Array): SmtProof {
    this.#s.flush()
    return this.#s.smt.prove(id)
  }

  /**
   * The canonical Account bytes of `id` (what the state root commits to), or undefined if it does
   * not exist. Shared, not copied: callers must not modify them.
   */
  encoded (id: Uint8Array): Uint8Array | undefined {
    this.#s.flush()
    return this.#s.smt.peek(id)
  }

  /** Σ balance + stake + unbonding over all accounts (kept incrementally). */
  supply (): bigint { return this.#s.supply }

  /** Σ bonded stake over all accounts. */
  totalStake (): bigint { return this.#s.totalStake }

  /** Bonded stakes now; cached until some stake changes, so repeated calls are O(1). */
  stakeSnapshot (): StakeSnapshot {
    const s = this.#s
    if (s.snapshot === undefined) {
      const sorted = new Map([...s.stakes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      s.snapshot = Object.freeze({ stakes: new FrozenMap(sorted), total: s.totalStake })
    }
    return s.snapshot
  }

  /** What `id` may spend in `epoch`: balance plus unbonding entries with releaseEpoch ≤ epoch. */
  spendable (id: Uint8Array | string, epoch: bigint): bigint {
    const a = this.get(id)
    if (a === undefined) return 0n
    let total = a.balance
    for (const u of a.unbonding) if (u.releaseEpoch <= epoch) total += u.amount
    return total
  }

  /** True iff `proposerPubkey` was already slashed for equivocating in `slot` (TX-9). */
  isSlashed (proposerPubkey: Uint8Array, slot: bigint): boolean {
    return this.#s.slashed.has(slashKey(proposerPubkey, slot))
  }

  /** Every recorded (proposer, slot) slashing, for persistence. */
  slashedSlots (): SlashedSlot[] {
    return [...this.#s.slashed.values()].map((x) => ({ proposer: x.proposer.slice(), slot: x.slot }))
  }

  /** Opens the only write path (for src/core/transition.ts); one journal at a time. */
  begin (): Journal {
    const s = this.#s
    if (s.journalOpen) throw new MemecoinError('ERR_JOURNAL_OPEN', 'another journal is still open on this ledger')
    // the tree then holds every account's value as of the journal's start (see Journal.put)
    s.flush()
    s.journalOpen = true
    return new Journal(s)
  }
}

/** A write session on a ledger: every write is remembered so it can be rolled back or undone. */
export class Journal {
  readonly #s: Store
  readonly #prev = new Map<string, { id: Uint8Array, key: string, prev: Readonly<AccountState> | undefined, prevBytes: Uint8Array | undefined }>()
  readonly #slashed: Array<SlashedSlot & { added: boolean }> = []
  #open = true

  /** Created by `Ledger.begin()` only (its argument is not reachable from outside this module). */
  constructor (store: Store) { this.#s = store }

  #check (): void {
    if (!this.#open) throw new MemecoinError('ERR_JOURNAL_CLOSED', 'journal already committed or rolled back')
  }

  /**
   * Sets account `id` to `state` (undefined or all-zero: delete), remembering its first value.
   * `key` must be toHex(id): a caller that already has it (the state transition keys its accounts
   * by it) passes it, and the id is not converted again (converting ids to hex, each touched
   * account four times, was ≈ 5% of a syncing node's importing thread).
   */
  put (id: Uint8Array, state: Readonly<AccountState> | undefined, key = toHex(id)): void {
    this.#check()
    // the tree is not flushed while the journal is open, so it still holds the value before the
    // journal's first write of `id`: its encoding, kept for persisting the undo record
    if (!this.#prev.has(key)) this.#prev.set(key, { id: id.slice(), key, prev: this.#s.accounts.get(key), prevBytes: this.#s.smt.peek(id) })
    this.#s.write(id, state, key)
  }

  /** Records (or with `added` false, forgets) that `proposer` was slashed for `slot`. */
  setSlashed (proposer: Uint8Array, slot: bigint, added: boolean): void {
    this.#check()
    const key = slashKey(proposer, slot)
    if (this.#s.slashed.has(key) === added) return
    if (added) this.#s.slashed.set(key, { proposer: proposer.slice(), slot })
    else this.#s.slashed.delete(key)
    this.#slashed.push({ proposer: proposer.slice(), slot, added })
  }

  /** Reverts every write of this journal and closes it. */
  rollback (): void {
    this.#check()
    this.#close()
    for (const { id, prev } of [...this.#prev.values()].reverse()) this.#s.write(id, prev)
    for (const x of [...this.#slashed].reverse()) {
      if (x.added) this.#s.slashed.delete(slashKey(x.proposer, x.slot))
      else this.#s.slashed.set(slashKey(x.proposer, x.slot), { proposer: x.proposer, slot: x.slot })
    }
  }

  /** Keeps every write, closes the journal, and returns what undoes it. */
  commit (): UndoRecord {
    this.#check()
    this.#close()
    return Object.freeze({ accounts: Object.freeze([...this.#prev.values()]), slashed: Object.freeze([...this.#slashed]) })
  }

  #close (): void {
    this.#open = false
    this.#s.journalOpen = false
  }
}
