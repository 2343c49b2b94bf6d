/**
 * The mempool: transactions that passed the stateless rules and are plausible against the head
 * state, kept per sender as a contiguous nonce run starting at the account's nonce, so that any
 * prefix of a run applies in order. Bounded in count, bytes and per sender; when full, a better
 * paying transaction evicts the cheapest run tail. No clock and no randomness: every decision
 * depends only on the calls made, so two nodes fed the same calls hold the same pool.
 *
 * Soft and hard limits: `add` keeps the pool within `maxTxs`, `maxBytes` and `maxPerSender` (the
 * soft limits). A reorg's orphaned transactions were accepted before, and peers with full pools
 * refuse them again, so `onHead` keeps them even when they overfill the pool, up to
 * MEMPOOL_OVERFLOW_FACTOR times each limit (the hard bound); only beyond it are the cheapest run
 * tails trimmed. While the pool is above a soft limit it may not grow in that dimension: a new
 * transaction gets in only by evicting cheaper run tails worth its own room, and a same-nonce
 * replacement (which adds no transaction) evicts nothing. Blocks drain the overflow.
 *
 * Design choices (see also the report in the issue):
 * - Nonce gaps are refused (`ERR_NONCE_GAP`), not queued: a future queue is unbounded work for
 *   anyone who can sign, and wallets and gossip batches deliver a sender's transactions in order.
 * - Balance and stake are checked conservatively: a run's Σ(amount + fee) ≤ spendable and
 *   Σ unstake ≤ bonded stake, ignoring what the run itself would add (incoming transfers, a stake
 *   followed by an unstake). A valid transaction may be refused (IGNORE), an invalid one never
 *   enters a block (`select` re-checks against the view).
 * - Fees are compared as absolute amounts (the protocol's `minFee` is flat, not per byte).
 */
import { accountIdOf, senderIdOf } from '../core/address.ts'
import { bytesEqual, tail30, toHex } from '../core/bytes.ts'
import { ValidationError } from '../core/errors.ts'
import { checkEvidenceTx, checkTxSignature, checkTxStateless, type TxRulesContext } from '../core/tx-rules.ts'
import type { SignedTx } from '../core/types.ts'
import { MAX_SIGNED_HEADER_BYTES } from '../wire/limits.ts'

/** Default maximum number of transactions in the pool. */
export const MEMPOOL_MAX_TXS = 10_000
/** Default maximum total wire bytes of the pool's transactions. */
export const MEMPOOL_MAX_BYTES = 16 * 1024 * 1024
/** Default maximum pending transactions of one sender. */
export const MEMPOOL_MAX_PER_SENDER = 64
/**
 * The hard bound as a multiple of the soft limits (count, bytes, per sender): how far a reorg's
 * orphans may overfill the pool before valid transactions are trimmed.
 */
export const MEMPOOL_OVERFLOW_FACTOR = 2
/** Replace-by-fee: the new fee must be ≥ old fee × RBF_BUMP_NUM / RBF_BUMP_DEN (and strictly higher). */
export const RBF_BUMP_NUM = 11n
/** Denominator of the replace-by-fee bump (10% bump). */
export const RBF_BUMP_DEN = 10n
/** Default bytes of a block besides its transaction fields: the header field (tag, length, SignedHeader). */
export const DEFAULT_BLOCK_OVERHEAD_BYTES = 1 + 2 + MAX_SIGNED_HEADER_BYTES

const MAX_U64 = (1n << 64n) - 1n

/**
 * The codes of `add`'s refusals decided before the signature is checked (TX-3): such a refusal
 * says nothing about the signature, unless it was verified ahead.
 */
export const REFUSED_BEFORE_SIGNATURE: ReadonlySet<string> = new Set([
  'ERR_NONCE_TOO_LOW', 'ERR_OVERFLOW', 'ERR_NONCE_GAP', 'ERR_REPLACEMENT_UNDERPRICED', 'ERR_SENDER_LIMIT',
  'ERR_INSUFFICIENT_BALANCE', 'ERR_INSUFFICIENT_STAKE', 'ERR_LAST_STAKE'
])

/** The head state as the mempool sees it; the chain adapts its ledger to this. */
export interface AccountView {
  /** The account's next nonce (0 for an absent account). */
  nonce: (id: Uint8Array) => bigint
  /** What the account can spend: its balance plus unbonding matured at the head's epoch. */
  spendable: (id: Uint8Array) => bigint
  /** The account's bonded stake. */
  stake: (id: Uint8Array) => bigint
  /** The chain's total bonded stake (TX-8: an unstake may not take it to 0); absent means unchecked. */
  totalStake?: () => bigint
  /** The stateful part of TX-9 for an evidence tx (from a slot already started, within `evidenceEpochs`, not yet slashed); absent means admissible. */
  evidenceAdmissible?: (tx: SignedTx) => boolean
}

/** Construction options; limits default to the MEMPOOL_* constants. */
export interface MempoolInit extends TxRulesContext {
  /** The current head state. */
  view: AccountView
  maxTxs?: number
  maxBytes?: number
  maxPerSender?: number
}

/** Options of `add`. */
export interface AddOptions {
  /** The caller already verified the signature (TX-3), e.g. in a batch verify. */
  skipSignature?: boolean
}

/** What `add` changed besides inserting the transaction. */
export interface AddResult {
  /** The transaction of the same sender and nonce that the new one replaced. */
  replaced?: SignedTx
  /** Transactions evicted to make room, cheapest first. */
  evicted: SignedTx[]
}

/** Limits of block assembly. */
export interface SelectLimits {
  maxBlockBytes: number
  maxBlockTxs: number
  /** Block bytes besides the transaction fields; default DEFAULT_BLOCK_OVERHEAD_BYTES. */
  blockOverheadBytes?: number
}

/** What changed with a new head. */
export interface HeadChange {
  /** Transactions of the blocks that joined the chain. */
  included: SignedTx[]
  /** Transactions of the blocks a reorg removed from the chain, in their old chain order. */
  orphaned: SignedTx[]
  /**
   * Accounts whose balance or stake may have dropped for reasons the listed transactions do not
   * show (after a reorg: the accounts in the undo records, e.g. proposers whose rewards were
   * undone, recipients of orphaned transfers), or 'all' to revalidate every sender.
   */
  touched?: Iterable<Uint8Array> | 'all'
}

/** Bytes a transaction adds to an encoded Block: field tag, length varint, bytes. */
export function blockTxFieldBytes (txBytes: number): number {
  let varint = 1
  for (let n = txBytes; n >= 0x80; n = Math.floor(n / 0x80)) varint++
  return 1 + varint + txBytes
}

/** Σ balance a transaction debits from its sender (TX-7): amount + fee for transfer and stake, fee otherwise. */
export function txCost (tx: SignedTx): bigint {
  const b = tx.body
  return b.fee + (b.transfer?.amount ?? b.stake?.amount ?? 0n)
}

interface Entry {
  tx: SignedTx
  idHex: string
  /** Hex of the sender's account id (the key of its run). */
  sender: string
  /** The sender's account id. */
  accountId: Uint8Array
  fee: bigint
  cost: bigint
  unstake: bigint
}

interface Run {
  id: Uint8Array
  /** Nonce of entries[0] = the account nonce of the view at the last (re)validation. */
  base: bigint
  entries: Entry[]
  cost: bigint
  unstake: bigint
}

function ignore (rule: string, code: string, message: string, details: Record<string, unknown> = {}): ValidationError {
  return new ValidationError(rule, code, message, { action: 'IGNORE', ...details })
}

// Ties compare the ids' lower-case hex, which orders exactly as the bytes do (compareBytes)
// and costs one string comparison instead of a byte loop.

/** Cheaper-to-keep first: lower fee, then higher id (the reverse of `select` order). */
function evictFirst (a: Entry, b: Entry): boolean {
  const fa = a.fee
  const fb = b.fee
  return fa !== fb ? fa < fb : a.idHex > b.idHex
}

/** Better-for-a-block first: higher fee, then lower id. */
function includeFirst (a: Entry, b: Entry): boolean {
  const fa = a.fee
  const fb = b.fee
  return fa !== fb ? fa > fb : a.idHex < b.idHex
}

/** The account being slashed and the evidence's (offender, slot) key. */
function evidenceTarget (tx: SignedTx): { offender: string, key: string } | undefined {
  const ev = tx.evidence
  if (ev === undefined) return undefined
  const h = ev.a.header
  return { offender: toHex(accountIdOf(h.proposer)), key: `${toHex(h.proposer)}:${h.slot}` }
}

/** A binary heap of values keyed by string, with update and delete by key. */
class KeyedHeap<V> {
  /** Heap order; each item knows its own index, so a swap touches no map. */
  private readonly items: Array<{ key: string, value: V, i: number }> = []
  private readonly byKey = new Map<string, { key: string, value: V, i: number }>()
  constructor (private readonly before: (a: V, b: V) => boolean) {}

  get size (): number { return this.items.length }

  set (key: string, value: V): void {
    const it = this.byKey.get(key)
    if (it === undefined) {
      const fresh = { key, value, i: this.items.length }
      this.items.push(fresh)
      this.byKey.set(key, fresh)
      this.up(fresh.i)
    } else {
      it.value = value
      this.down(this.up(it.i))
    }
  }

  delete (key: string): void {
    const it = this.byKey.get(key)
    if (it === undefined) return
    const i = it.i
    const last = this.items.length - 1
    if (i !== last) this.swap(i, last)
    this.items.pop()
    this.byKey.delete(key)
    if (i !== last) this.down(this.up(i))
  }

  peek (): [string, V] | undefined {
    const top = this.items[0]
    return top === undefined ? undefined : [top.key, top.value]
  }

  pop (): [string, V] | undefined {
    const top = this.items[0]
    if (top === undefined) return undefined
    this.delete(top.key)
    return [top.key, top.value]
  }

  private swap (i: number, j: number): void {
    const a = this.items[i] as { key: string, value: V, i: number }
    const b = this.items[j] as { key: string, value: V, i: number }
    this.items[i] = b
    this.items[j] = a
    b.i = i
    a.i = j
  }

  private up (i: number): number {
    const items = this.items
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.before((items[i] as { value: V }).value, (items[p] as { value: V }).value)) break
      this.swap(i, p)
      i = p
    }
    return i
  }

  private down (i: number): void {
    const items = this.items
    const n = items.length
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && this.before((items[l] as { value: V }).value, (items[m] as { value: V }).value)) m = l
      if (r < n && this.before((items[r] as { value: V }).value, (items[m] as { value: V }).value)) m = r
      if (m === i) return
      this.swap(i, m)
      i = m
    }
  }
}

/** The transaction pool of one node (see the file comment for the rules). */
export class Mempool {
  /** Maximum number of transactions `add` fills the pool to (soft limit). */
  readonly maxTxs: number
  /** Maximum total wire bytes `add` fills the pool to (soft limit). */
  readonly maxBytes: number
  /** Maximum pending transactions per sender `add` admits (soft limit). */
  readonly maxPerSender: number
  /** Hard bound on the count: reorg orphans may fill the pool up to here (MEMPOOL_OVERFLOW_FACTOR × maxTxs). */
  readonly overflowTxs: number
  /** Hard bound on the bytes (MEMPOOL_OVERFLOW_FACTOR × maxBytes). */
  readonly overflowBytes: number
  /** Hard bound on one sender's run (MEMPOOL_OVERFLOW_FACTOR × maxPerSender). */
  readonly overflowPerSender: number
  private readonly ctx: TxRulesContext
  private view: AccountView
  private readonly runs = new Map<string, Run>()
  private readonly byId = new Map<string, Entry>()
  /**
   * Held transactions by 30 bits of their last bytes (`tail30`: the end of the signature's s,
   * uniform for every signer; a small integer, so a key costs no allocation), one per key (the last
   * indexed), for `withBytes`: hashing each transaction of a block to look it up by id was ≈ 1 µs
   * per transaction of a warm block's decode. Keys that collide (≈ 5 pairs among 100,000 held, or
   * ground for on purpose) only send a transaction to the hashing path: a lookup compares the
   * whole bytes.
   */
  private readonly byTail = new Map<number, SignedTx>()
  /** The last entry of every run: the only evictable transactions. */
  private readonly tails = new KeyedHeap<Entry>(evictFirst)
  /** Senders with pending evidence and how many: revalidated at every head (TX-9 windows move). */
  private readonly evidenceSenders = new Map<string, number>()
  private totalBytes = 0
  private trimmed = 0
  private overflows = 0

  constructor (init: MempoolInit) {
    this.ctx = { chainId: init.chainId, minFee: init.minFee }
    this.view = init.view
    this.maxTxs = init.maxTxs ?? MEMPOOL_MAX_TXS
    this.maxBytes = init.maxBytes ?? MEMPOOL_MAX_BYTES
    this.maxPerSender = init.maxPerSender ?? MEMPOOL_MAX_PER_SENDER
    for (const [name, v] of [['maxTxs', this.maxTxs], ['maxBytes', this.maxBytes], ['maxPerSender', this.maxPerSender]] as const) {
      if (!Number.isSafeInteger(v) || v < 1 || !Number.isSafeInteger(v * MEMPOOL_OVERFLOW_FACTOR)) throw new RangeError(`mempool ${name} must be a positive integer`)
    }
    this.overflowTxs = MEMPOOL_OVERFLOW_FACTOR * this.maxTxs
    this.overflowBytes = MEMPOOL_OVERFLOW_FACTOR * this.maxBytes
    this.overflowPerSender = MEMPOOL_OVERFLOW_FACTOR * this.maxPerSender
  }

  /**
   * Valid pending transactions dropped after head changes to fit the hard bounds (a reorg
   * returned more than even the overflow holds: the cheapest run tails go; or a sender's run
   * beyond overflowPerSender), since creation: accepted transactions this node no longer holds,
   * counted for operators.
   */
  get trimmedAfterHead (): number { return this.trimmed }

  /** True while the pool is above `maxTxs` or `maxBytes` (reorg orphans put it there); `add` then admits only replacements. */
  get overflowing (): boolean { return this.byId.size > this.maxTxs || this.totalBytes > this.maxBytes }

  /** Head changes that took the pool from within its soft limits to above them, since creation. */
  get overflowsAfterHead (): number { return this.overflows }

  /** Number of transactions held. */
  get size (): number { return this.byId.size }

  /** Total wire bytes of the transactions held. */
  get bytes (): number { return this.totalBytes }

  /** True iff a transaction with this id is held. */
  has (id: Uint8Array): boolean { return this.byId.has(toHex(id)) }

  /**
   * True if `add` will refuse `tx` before its signature whatever else arrives with it: stale
   * (TX-6), a nonce past any run the sender may hold (TX-6/TX-11), more than the sender can
   * spend or unstake on its own (TX-7/TX-8). Callers skip verifying such transactions ahead, so
   * replaying old or unfunded transactions costs no signature check (Bitcoin Core looks up a
   * transaction's inputs before it checks its scripts for the same reason).
   */
  refusesBeforeSignature (tx: SignedTx): boolean {
    const id = senderIdOf(tx)
    const view = this.view
    const nonce = view.nonce(id)
    const n = tx.body.nonce
    if (n < nonce || n >= nonce + BigInt(this.overflowPerSender)) return true
    if (txCost(tx) > view.spendable(id)) return true
    const unstake = tx.body.unstake?.amount ?? 0n
    return unstake > 0n && unstake > view.stake(id)
  }

  /**
   * Removes a held transaction that turned out invalid (block assembly failed on it) and its
   * sender's later pending ones, which cannot be included without it (a run stays contiguous).
   * Returns what it removed, nothing if `tx` is not held.
   */
  drop (tx: SignedTx): SignedTx[] {
    const e = this.byId.get(toHex(tx.id))
    if (e === undefined) return []
    const run = this.runs.get(e.sender)
    const at = run?.entries.indexOf(e) ?? -1
    if (run === undefined || at < 0) return []
    const dropped = run.entries.slice(at).map((x) => x.tx)
    for (let n = run.entries.length - at; n > 0; n--) this.dropTail(e.sender)
    return dropped
  }

  /** The held transaction with this id. */
  get (id: Uint8Array): SignedTx | undefined { return this.byId.get(toHex(id))?.tx }

  /**
   * The held transaction with exactly these bytes, found without hashing them (a block's decoder
   * asks this for each of its transactions). Undefined if none is held, and now and then for one
   * that is: a transaction whose last bytes another held one shares (see `byTail`).
   */
  withBytes (bytes: Uint8Array): SignedTx | undefined {
    const tx = this.byTail.get(tail30(bytes))
    return tx !== undefined && bytesEqual(tx.bytes, bytes) ? tx : undefined
  }

  /** The pending transactions of an account id, in nonce order. */
  pending (senderId: Uint8Array): SignedTx[] {
    return this.runs.get(toHex(senderId))?.entries.map((e) => e.tx) ?? []
  }

  /** Every held transaction, grouped by sender, each sender's in nonce order. */
  all (): SignedTx[] {
    const out: SignedTx[] = []
    for (const run of this.runs.values()) for (const e of run.entries) out.push(e.tx)
    return out
  }

  /**
   * Admits a transaction or throws ValidationError: REJECT rules TX-2…TX-5 (from
   * checkTxStateless), IGNORE rules TX-6…TX-11 (`details.action` = 'IGNORE'). `tx` must be a
   * decoded transaction (`decodeTx`: its fields and id, SHA-256 of its bytes, are its bytes'):
   * a block's decoder takes a held object for equal bytes (`withBytes`), id included.
   */
  add (tx: SignedTx, opts: AddOptions = {}): AddResult {
    const idHex = toHex(tx.id)
    // [IGNORE] TX-10: already in the mempool (checked first: duplicates are the common gossip case)
    if (this.byId.has(idHex)) throw ignore('TX-10', 'ERR_KNOWN_TX', 'transaction already in the mempool')
    // [REJECT] TX-2, TX-4, TX-5: chain id, positive amount, minimum fee
    checkTxStateless(tx, this.ctx, { skipSignature: true })
    const entry = this.entryOf(tx, idHex)
    const accountId = entry.accountId
    const view = this.view
    const nonce = view.nonce(accountId)
    const n = tx.body.nonce
    // Every IGNORE decided by the state (TX-6…TX-8, TX-10's replacement fee, TX-11's sender
    // limit) comes before the signature (TX-3): a peer sending transactions that cannot get in
    // (replayed, unfunded, out of order) costs a node a lookup each, not a signature check. Such a
    // refusal says nothing about the signature (REFUSED_BEFORE_SIGNATURE; gossip.ts relays no batch
    // holding one). See also `refusesBeforeSignature`.
    // [IGNORE] TX-6: a nonce below the account's is a replay or stale
    if (n < nonce) throw ignore('TX-6', 'ERR_NONCE_TOO_LOW', `nonce ${n} below the account nonce ${nonce}`, { nonce: n.toString(), accountNonce: nonce.toString() })
    // [IGNORE] TX-7: amount + fee must fit in a uint64
    if (entry.cost > MAX_U64) throw ignore('TX-7', 'ERR_OVERFLOW', 'amount + fee overflows a uint64')

    const spendable = view.spendable(accountId)
    const stake = view.stake(accountId)
    let run = this.runs.get(entry.sender)
    // The view may have moved since the last onHead (or an account changed unreported): resync the sender.
    if (run !== undefined && (run.base !== nonce || run.cost > spendable || run.unstake > stake)) {
      this.revalidate(entry.sender, accountId)
      run = this.runs.get(entry.sender)
    }
    const count = run?.entries.length ?? 0
    // [IGNORE] TX-6: a nonce beyond the sender's pending run would leave a gap; not queued
    if (n > nonce + BigInt(count)) throw ignore('TX-6', 'ERR_NONCE_GAP', `nonce ${n} leaves a gap after ${nonce + BigInt(count) - 1n}`, { nonce: n.toString(), expected: (nonce + BigInt(count)).toString() })

    const index = Number(n - nonce)
    const old = index < count ? run?.entries[index] : undefined
    if (old !== undefined) {
      const oldFee = old.tx.body.fee
      // [IGNORE] TX-10: the (sender, nonce) slot is taken; a replacement must pay ≥ 10% more, and strictly more
      if (tx.body.fee * RBF_BUMP_DEN < oldFee * RBF_BUMP_NUM || tx.body.fee <= oldFee) {
        throw ignore('TX-10', 'ERR_REPLACEMENT_UNDERPRICED', `replacement fee ${tx.body.fee} below ${oldFee} + 10%`, { fee: tx.body.fee.toString(), oldFee: oldFee.toString() })
      }
    } else {
      // [IGNORE] TX-11: at most maxPerSender pending transactions per sender
      if (count >= this.maxPerSender) throw ignore('TX-11', 'ERR_SENDER_LIMIT', `sender already has ${count} pending transactions`)
    }
    const runCost = (run?.cost ?? 0n) - (old?.cost ?? 0n) + entry.cost
    const runUnstake = (run?.unstake ?? 0n) - (old?.unstake ?? 0n) + entry.unstake
    // [IGNORE] TX-7: the sender's pending run, this one included, must be payable from its spendable balance
    if (runCost > spendable) throw ignore('TX-7', 'ERR_INSUFFICIENT_BALANCE', `pending transactions need ${runCost}, spendable ${spendable}`, { need: runCost.toString(), spendable: spendable.toString() })
    // [IGNORE] TX-8: Σ pending unstake ≤ bonded stake
    if (runUnstake > stake) throw ignore('TX-8', 'ERR_INSUFFICIENT_STAKE', `pending unstakes need ${runUnstake}, stake ${stake}`, { need: runUnstake.toString(), stake: stake.toString() })
    // [IGNORE] TX-8: the chain keeps some bonded stake (its last would leave no one to produce)
    if (entry.unstake > 0n && view.totalStake !== undefined && view.totalStake() - runUnstake <= 0n) {
      throw ignore('TX-8', 'ERR_LAST_STAKE', 'this unstake would leave the chain with no bonded stake: no one could produce a block again')
    }

    // [REJECT] TX-3: the signature, unless the caller verified it
    if (opts.skipSignature !== true) checkTxSignature(tx)
    // [REJECT] TX-9: evidence headers that can never be valid (the stateless half, signatures
    // included), before any IGNORE of evidence below
    if (tx.kind === 'evidence') checkEvidenceTx(tx, this.ctx.chainId)
    // [IGNORE] TX-9: evidence admissible now (a slot already started, not expired, the offender
    // not yet slashed for it), as far as the chain tells: honest relaying across a slot or epoch
    // edge can miss either end of that window
    if (tx.kind === 'evidence' && view.evidenceAdmissible?.(tx) === false) throw ignore('TX-9', 'ERR_EVIDENCE_NOT_USEFUL', 'evidence not admissible now (from a slot not yet started, expired, or its offender already slashed)')

    const needCount = old === undefined ? 1 : 0
    const needBytes = tx.bytes.length - (old?.tx.bytes.length ?? 0)
    const overflowing = this.overflowing
    let plan: Entry[] | undefined
    if (overflowing && needCount === 0) {
      // [IGNORE] TX-11: above the soft limits (reorg orphans) a replacement adds no transaction
      // and evicts nothing; it may not take the bytes past the hard bound
      if (this.totalBytes + needBytes > this.overflowBytes) {
        throw ignore('TX-11', 'ERR_MEMPOOL_FULL', 'mempool above its limits after a reorg; the replacement would pass its hard bound', { fee: tx.body.fee.toString() })
      }
      plan = []
    } else {
      // [IGNORE] TX-11: room by count and bytes, evicting only cheaper run tails of other senders;
      // above a soft limit (reorg orphans) the pool may not grow past its current level in that
      // dimension, so a new transaction evicts its own room there (the fee market still works
      // while blocks drain the overflow)
      plan = this.planEviction(needCount, needBytes, tx.body.fee, entry.sender, Math.max(this.maxTxs, this.byId.size), Math.max(this.maxBytes, this.totalBytes))
    }
    if (plan === undefined) throw ignore('TX-11', 'ERR_MEMPOOL_FULL', 'mempool full and the fee does not beat the cheapest evictable transaction', { fee: tx.body.fee.toString() })

    for (const e of plan) this.dropTail(e.sender)
    if (run === undefined) {
      run = { id: accountId, base: nonce, entries: [], cost: 0n, unstake: 0n }
      this.runs.set(entry.sender, run)
    }
    if (old !== undefined) {
      run.entries[index] = entry
      this.unindex(old)
    } else {
      run.entries.push(entry)
    }
    run.cost = runCost
    run.unstake = runUnstake
    this.index(entry)
    this.refreshTail(entry.sender)
    const result: AddResult = { evicted: plan.map((e) => e.tx) }
    if (old !== undefined) result.replaced = old.tx
    return result
  }

  /**
   * Block assembly: transactions that apply in order on `view`, highest fee first across senders,
   * each sender's in nonce order, within the block limits. Does not change the pool.
   */
  select (view: AccountView, limits: SelectLimits): SignedTx[] {
    const out: SignedTx[] = []
    let bytes = limits.blockOverheadBytes ?? DEFAULT_BLOCK_OVERHEAD_BYTES
    interface Cursor { run: Run, next: number, spendable: bigint, stake: bigint }
    const cursors = new Map<string, Cursor>()
    const heap = new KeyedHeap<Entry>(includeFirst)
    for (const [key, run] of this.runs) {
      // [REJECT in a block] TX-6: start at the view's nonce; skip senders whose run does not reach it
      const next = view.nonce(run.id) - run.base
      if (next < 0n || next >= BigInt(run.entries.length)) continue
      const c: Cursor = { run, next: Number(next), spendable: view.spendable(run.id), stake: view.stake(run.id) }
      cursors.set(key, c)
      heap.set(key, run.entries[c.next] as Entry)
    }
    const evidenceKeys = new Set<string>()
    const slashed = new Set<string>()
    while (out.length < limits.maxBlockTxs) {
      const top = heap.pop()
      if (top === undefined) break
      const [key, e] = top
      const c = cursors.get(key) as Cursor
      // A sender slashed earlier in this block may have lost the stake or balance its run relied on.
      if (slashed.has(key)) continue
      // [REJECT in a block] TX-7: balance for amount + fee, re-checked against the view
      if (e.cost > c.spendable) continue
      // [REJECT in a block] TX-8: unstake ≤ bonded stake
      if (e.unstake > c.stake) continue
      const target = evidenceTarget(e.tx)
      if (target !== undefined) {
        // [REJECT in a block] TX-9: one slash per (offender, slot), and still admissible
        if (evidenceKeys.has(target.key) || view.evidenceAdmissible?.(e.tx) === false) continue
      }
      const size = blockTxFieldBytes(e.tx.bytes.length)
      // [REJECT] B-1: within maxBlockBytes; a sender that does not fit stops (its next nonces need this one)
      if (bytes + size > limits.maxBlockBytes) continue
      out.push(e.tx)
      bytes += size
      c.spendable -= e.cost
      c.stake -= e.unstake
      if (target !== undefined) {
        evidenceKeys.add(target.key)
        slashed.add(target.offender)
      }
      c.next++
      const following = c.run.entries[c.next]
      if (following !== undefined) heap.set(key, following)
    }
    return out
  }

  /**
   * A new head (after a block or a reorg): drops included and no-longer-valid transactions,
   * re-admits orphaned ones that are still valid — above the soft limits if need be — then trims
   * to the hard bounds. Revalidates only the senders the change touches (plus `touched` and
   * senders with pending evidence).
   */
  onHead (view: AccountView, change: HeadChange): void {
    const wasOverflowing = this.overflowing
    this.view = view
    // An empty pool with nothing returned has nothing to revalidate (a syncing node: no account
    // id hashed per included transaction)
    if (this.byId.size === 0 && change.orphaned.length === 0) return
    const affected = new Map<string, Uint8Array>()
    const mark = (id: Uint8Array): void => { affected.set(toHex(id), id) }
    const includedIds = new Set<string>()
    for (const tx of change.included) {
      const idHex = toHex(tx.id)
      includedIds.add(idHex)
      // a held transaction's entry knows its sender (no SHA-256 of the key per transaction)
      const held = this.byId.get(idHex)
      if (held === undefined) mark(senderIdOf(tx))
      else if (!this.popIncluded(held)) affected.set(held.sender, held.accountId)
      // A slash lowers the offender's stake (and maybe balance): its pending run must be rechecked.
      if (tx.evidence !== undefined) mark(accountIdOf(tx.evidence.a.header.proposer))
    }
    const orphans = new Map<string, SignedTx[]>()
    for (const tx of change.orphaned) {
      // [IGNORE] TX-10: already in the chain again
      if (includedIds.has(toHex(tx.id))) continue
      const id = senderIdOf(tx)
      const key = toHex(id)
      mark(id)
      const list = orphans.get(key)
      if (list === undefined) orphans.set(key, [tx])
      else list.push(tx)
    }
    if (change.touched === 'all') {
      for (const [key, run] of this.runs) affected.set(key, run.id)
    } else if (change.touched !== undefined) {
      for (const id of change.touched) mark(id)
    }
    if (view.evidenceAdmissible !== undefined) {
      for (const key of this.evidenceSenders.keys()) {
        const run = this.runs.get(key)
        if (run !== undefined) affected.set(key, run.id)
      }
    }
    for (const [key, id] of affected) this.trimmed += this.revalidate(key, id, orphans.get(key))
    // [IGNORE] TX-11: orphans may overfill the pool up to the hard bound; beyond it the cheapest tails go
    while (this.byId.size > this.overflowTxs || this.totalBytes > this.overflowBytes) {
      const top = this.tails.peek()
      if (top === undefined) break
      this.dropTail(top[0])
      this.trimmed++
    }
    if (!wasOverflowing && this.overflowing) this.overflows++
  }

  /**
   * A block included `e`, the first of its sender's run: it leaves the run, and the rest stays
   * valid without a look at the view. The run held consecutive nonces from the account nonce,
   * its total cost within what the sender could spend and its unstakes within its stake; the
   * block moved the account nonce past `e` and took from the sender exactly `e`'s cost (and
   * unstake), and a block takes from an account only through its own transactions or a slash
   * (whose offender `onHead` revalidates). So the rest of the run still starts at the account
   * nonce and fits what is left. Returns false (the caller revalidates the sender) for anything
   * else: `e` not first in its run (a block including a later nonce without the earlier one).
   * The common case of every block (most of a node's pending senders have their lowest nonce
   * included) no longer reads three account fields and rebuilds the run per sender.
   */
  private popIncluded (e: Entry): boolean {
    const run = this.runs.get(e.sender)
    if (run === undefined || run.entries[0] !== e) return false
    run.entries.shift()
    run.base++
    run.cost -= e.cost
    run.unstake -= e.unstake
    this.unindex(e)
    if (run.entries.length === 0) {
      this.runs.delete(e.sender)
      this.tails.delete(e.sender)
    }
    return true
  }

  private entryOf (tx: SignedTx, idHex: string): Entry {
    const accountId = senderIdOf(tx)
    return { tx, idHex, sender: toHex(accountId), accountId, fee: tx.body.fee, cost: txCost(tx), unstake: tx.body.unstake?.amount ?? 0n }
  }

  private index (e: Entry): void {
    this.byId.set(e.idHex, e)
    this.byTail.set(tail30(e.tx.bytes), e.tx)
    this.totalBytes += e.tx.bytes.length
    if (e.tx.kind === 'evidence') this.evidenceSenders.set(e.sender, (this.evidenceSenders.get(e.sender) ?? 0) + 1)
  }

  private unindex (e: Entry): void {
    this.byId.delete(e.idHex)
    const tail = tail30(e.tx.bytes)
    if (this.byTail.get(tail) === e.tx) this.byTail.delete(tail)
    this.totalBytes -= e.tx.bytes.length
    if (e.tx.kind === 'evidence') {
      const n = (this.evidenceSenders.get(e.sender) ?? 1) - 1
      if (n === 0) this.evidenceSenders.delete(e.sender)
      else this.evidenceSenders.set(e.sender, n)
    }
  }

  /** Puts a run's current last entry in the eviction heap (or removes an empty run from it). */
  private refreshTail (key: string): void {
    const run = this.runs.get(key)
    const last = run?.entries[run.entries.length - 1]
    if (last === undefined) this.tails.delete(key)
    else this.tails.set(key, last)
  }

  /** Removes the last entry of a sender's run, keeping the run contiguous. */
  private dropTail (key: string): void {
    const run = this.runs.get(key)
    const e = run?.entries.pop()
    if (run === undefined || e === undefined) return
    run.cost -= e.cost
    run.unstake -= e.unstake
    this.unindex(e)
    if (run.entries.length === 0) this.runs.delete(key)
    this.refreshTail(key)
  }

  /**
   * The run tails to evict, cheapest first, so that `needCount` more transactions and
   * `needBytes` more bytes fit within `maxTxs` and `maxBytes` (the soft limits, or the current
   * level where the pool is above one); each must pay less than `fee`, none may be `exclude`'s.
   * Undefined if that is impossible. Leaves the pool unchanged.
   */
  private planEviction (needCount: number, needBytes: number, fee: bigint, exclude: string, maxTxs = this.maxTxs, maxBytes = this.maxBytes): Entry[] | undefined {
    const plan: Entry[] = []
    let count = this.byId.size + needCount
    let bytes = this.totalBytes + needBytes
    if (count <= maxTxs && bytes <= maxBytes) return plan
    // Simulate on the tails heap (popping a tail exposes the entry before it), then restore it.
    const depth = new Map<string, number>()
    this.tails.delete(exclude)
    let ok = true
    while (count > maxTxs || bytes > maxBytes) {
      const top = this.tails.peek()
      if (top === undefined || top[1].tx.body.fee >= fee) { ok = false; break }
      const [key, e] = top
      this.tails.delete(key)
      plan.push(e)
      count--
      bytes -= e.tx.bytes.length
      const d = (depth.get(key) ?? 0) + 1
      depth.set(key, d)
      const entries = (this.runs.get(key) as Run).entries
      const before = entries[entries.length - 1 - d]
      if (before !== undefined) this.tails.set(key, before)
    }
    for (const key of depth.keys()) this.refreshTail(key)
    this.refreshTail(exclude)
    return ok ? plan : undefined
  }

  /**
   * Rebuilds a sender's run against the view: its held transactions plus `extra` (orphaned ones,
   * a held transaction keeps its nonce), walked from the account nonce while each still pays.
   * Everything after the first failure is dropped (keeping the run contiguous), and everything
   * beyond overflowPerSender. Returns how many still valid transactions that cap dropped.
   */
  private revalidate (key: string, accountId: Uint8Array, extra: SignedTx[] = []): number {
    const run = this.runs.get(key)
    const old = run?.entries ?? []
    if (old.length === 0 && extra.length === 0) return 0
    const view = this.view
    const base = view.nonce(accountId)
    // A run holds consecutive nonces from run.base: without extra transactions the entry of
    // nonce n is old[n − run.base] (checked as it is read), and no map is needed.
    let byNonce: { get: (n: bigint) => Entry | undefined }
    if (extra.length === 0 && run !== undefined) {
      const first = run.base
      byNonce = { get: (n) => { const e = n >= first ? old[Number(n - first)] : undefined; return e !== undefined && e.tx.body.nonce === n ? e : undefined } }
    } else {
      const m = new Map<bigint, Entry>()
      for (const e of old) m.set(e.tx.body.nonce, e)
      for (const tx of extra) {
        if (!m.has(tx.body.nonce)) m.set(tx.body.nonce, this.entryOf(tx, toHex(tx.id)))
      }
      byNonce = m
    }
    const spendable = view.spendable(accountId)
    const stake = view.stake(accountId)
    const kept: Entry[] = []
    // Σ of the walk so far, and of the kept prefix (they differ only past the cap)
    let cost = 0n
    let unstake = 0n
    let keptCost = 0n
    let keptUnstake = 0n
    let capped = 0
    // [IGNORE] TX-6: from the account nonce, contiguous (lower nonces are stale or included)
    for (let n = base; ; n++) {
      const e = byNonce.get(n)
      if (e === undefined) break
      // [IGNORE] TX-7, TX-8: the run stays payable; [IGNORE] TX-9: evidence stays admissible
      if (cost + e.cost > spendable || unstake + e.unstake > stake) break
      if (e.tx.kind === 'evidence' && view.evidenceAdmissible?.(e.tx) === false) break
      cost += e.cost
      unstake += e.unstake
      // [IGNORE] TX-11: held and orphaned together may exceed maxPerSender (add admits no more
      // then), up to the hard bound; the valid ones beyond it go, and are counted
      if (kept.length >= this.overflowPerSender) { capped++; continue }
      kept.push(e)
      keptCost = cost
      keptUnstake = unstake
    }
    const keep = new Set(kept)
    for (const e of old) if (!keep.has(e)) this.unindex(e)
    for (const e of kept) if (!this.byId.has(e.idHex)) this.index(e)
    if (kept.length === 0) this.runs.delete(key)
    else this.runs.set(key, { id: accountId, base, entries: kept, cost: keptCost, unstake: keptUnstake })
    this.refreshTail(key)
    return capped
  }
}
