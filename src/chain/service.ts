/**
 * The chain as a service: one entry point for everything that changes the chain (blocks and
 * transactions from gossip, sync, the API and the local producer), serialized through one queue,
 * persisted in one atomic batch per head change before anything is announced, with events for
 * the network and the API. Gossip validation lives here, with the chain (Lodestar's layout):
 * every refusal is a typed error the network maps to REJECT or IGNORE.
 */
import { accountIdOf, encodeAddress } from '../core/address.ts'
import { bytesEqual, fromHex, toHex, u64be } from '../core/bytes.ts'
import { epochOf, isFutureSlot, slotAt } from '../core/consensus.ts'
import { DecodeError, MemecoinError, ValidationError } from '../core/errors.ts'
import type { ChainParams, GenesisAllocation } from '../core/params.ts'
import type { Block, SignedHeader, SignedTx } from '../core/types.ts'
import { decodeBlock, peekBlockHeader } from '../wire/block.ts'
import { decodeTx, signTx } from '../wire/tx.ts'
import type { Store } from '../storage/store.ts'
import { BoundedSet } from './bounded.ts'
import { Chain, type BlockNode, type Equivocation, type HeadChange, type ImportResult } from './chain.ts'
import { Mempool, REFUSED_BEFORE_SIGNATURE } from './mempool.ts'
import { StateJournal, type JournalLimits } from './state-journal.ts'
import { genesisOps, headChangeOps, lastSignedKey, loadChain, loadLastSigned, storedBlock, storedBlockAt, storedCanonicalBlock } from './persist.ts'
import type { BlockResult } from '../core/transition.ts'
import { leadership, produceBlockApplied, type ValidatorKey } from './producer.ts'
import { mempoolChangeOf, mempoolView } from './views.ts'
import { checkGossipEvidence } from './evidence.ts'
import { SigCache } from './sig-cache.ts'
import { VerifierPool, type VerifierPoolInit } from './verifier-pool.ts'

/** Upper bounds (seconds) of the block import time histogram. */
export const IMPORT_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/** Stake snapshot ids remembered as written (an evicted id is written again: the same key and value). */
export const MAX_WRITTEN_SNAPSHOTS = 1024

/**
 * Blocks kept in memory below the settled height; older ones are served from the store. A
 * block's decoded transactions take ≈ 1.1 KB of heap each (≈ 11 MB for a full 10,000-transaction
 * block): with 64 a loaded devnet node held k + 64 such blocks, most of its ≈ 1 GB. Only the
 * DECODED_TIP_BLOCKS at the tip keep them now; the rest keep their bytes.
 */
export const KEEP_SETTLED_BLOCKS = 8

/**
 * Blocks at the tip whose transactions stay decoded; the blocks kept below them hold their bytes
 * and decode again on access (Chain's `decodedTipBlocks`). Two: the head and its parent, which
 * the API's recent-inclusion lookup and a one-block reorg read.
 */
export const DECODED_TIP_BLOCKS = 2

/** What the network does with a message: forward it, drop it, or drop it and penalise the sender. */
export type GossipAction = 'ACCEPT' | 'IGNORE' | 'REJECT'

/** (proposer, slot) pairs whose first block passed `checkBlockForRelay` (B-14 before relay). */
export const MAX_RELAY_PROPOSALS = 4096

/**
 * What the checks before relay decided about a block (`checkBlockForRelay`; SPEC §12 "Blocks:
 * before and after relay"). `relay`: every rule that needs no state transition holds: forward it,
 * then import it. `equivocation`: the same, but the proposer already has another block for this
 * slot (B-14): import it, do not forward it. `import`: the checks cannot decide (unknown parent,
 * a parent not validated yet, a waiting orphan or a block already found invalid): import first,
 * and let the import's verdict decide.
 */
export interface RelayCheck { block: Block, verdict: 'relay' | 'equivocation' | 'import' }

const IGNORE_RULES = new Set(['B-3', 'B-4', 'B-5', 'B-13', 'B-14', 'TX-10', 'TX-11'])
/**
 * A head at most this many slots behind the clock is followed live: the verdicts of its blocks'
 * transactions are remembered for a reorg (see persistChanges). Farther behind, the node is
 * catching up.
 */
export const RECENT_HEAD_SLOTS = 64n
/**
 * Mempool refusals for room or order only (TX-6 gap, TX-11): raised after the signature check,
 * for transactions likely to come back; their verdicts stay in the signature cache's second tier.
 */
const ROOMLESS = new Set(['ERR_MEMPOOL_FULL', 'ERR_SENDER_LIMIT', 'ERR_NONCE_GAP'])
/** Main-lane tasks (blocks, production) that may run in a row while a transaction batch is ready (`serial`). */
const MAX_MAIN_STREAK = 8
/** What `preverify` found: signatures it cached as valid, and those it found bad. */
interface Preverified { added: Set<SignedTx>, bad: Set<SignedTx> }
/** A task of ChainService's queue. */
interface QueuedTask { ready: boolean, run: () => Promise<void> }
/** Refusals of this validator's own evidence that a later head may lift (room in the mempool). */
const EVIDENCE_RETRY = new Set(['ERR_MEMPOOL_FULL', 'ERR_SENDER_LIMIT'])
/** Local transactions followed for re-announcement (`reannounceLocal`); beyond, the oldest is forgotten. */
export const MAX_LOCAL_ANNOUNCED = 20_000

/** Equivocations remembered as reported (or given up), so each is reported once. */
export const REPORTED_EQUIVOCATIONS = 10_000
/** Equivocations whose evidence may wait for room in the mempool at once (the oldest is given up beyond). */
export const MAX_UNREPORTED_EVIDENCE = 64

/**
 * REJECT only for what is provably bad (malformed, wrong chain, bad signature or VRF, invalid
 * state transition); IGNORE for everything else, including our own unexpected exceptions, so our
 * bugs never punish peers.
 */
export function actionOf (err: unknown): GossipAction {
  if (err instanceof DecodeError) return 'REJECT'
  if (err instanceof ValidationError) {
    if (err.details?.action === 'IGNORE' || IGNORE_RULES.has(err.rule)) return 'IGNORE'
    return 'REJECT'
  }
  return 'IGNORE'
}

/**
 * Where a block or transaction came from: `peer`, the network (gossip, sync); `local`, this node
 * or the application running it (announced to peers: produced blocks, submitted transactions).
 */
export interface Source { peer?: string, local?: boolean }

/** Options of the chain service. */
export interface ChainServiceInit {
  params: ChainParams
  allocations: GenesisAllocation[]
  store: Store
  /** Unix time in ms. */
  now: () => bigint
  /** A validator key: the service then produces blocks (see `produce`). */
  validator?: ValidatorKey
  /**
   * Verify transaction signatures in worker threads (true: os.availableParallelism() workers).
   * Off by default: everything is then verified synchronously, with identical results.
   */
  verifierPool?: boolean | VerifierPoolInit
  /** Entries of the verified-signature cache (default SIG_CACHE_MAX_ENTRIES). */
  sigCacheEntries?: number
  /** Mempool limits (defaults MEMPOOL_MAX_TXS, MEMPOOL_MAX_BYTES, MEMPOOL_MAX_PER_SENDER). */
  mempool?: { maxTxs?: number, maxBytes?: number, maxPerSender?: number }
  /** When the store's state journal writes a checkpoint (defaults JOURNAL_MAX_DIFFS, JOURNAL_MAX_DIRTY; src/chain/state-journal.ts). */
  journal?: JournalLimits
  /** Receives one-line events (level, message, fields); never secrets. */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void
}

/** The node's view of its chain for `/status` and the status handshake. */
export interface ChainStatus {
  chainId: string
  genesisHash: string
  headHash: string
  height: bigint
  headSlot: bigint
  slot: bigint
  settledHash: string
  settledHeight: bigint
  mempool: number
  orphans: number
}

/** Events the service emits. */
export interface ChainEvents {
  /** The head changed (after the change is on disk). */
  head: HeadChange
  /** A block was imported; `relay` is false for a proposer's second block of a slot (B-14). */
  block: { block: Block, node: BlockNode, relay: boolean, source: Source }
  /** Transactions entered the mempool. */
  txs: { txs: SignedTx[], source: Source }
  /** An equivocation was observed (to gossip on the evidence topic). */
  evidence: Equivocation
  /**
   * The store could not be written (ERR_STORE_WRITE): the chain in memory is ahead of the disk and
   * the service takes no more work. Its owner should stop serving (the API would show state that
   * is not on disk) and stop; a restart resumes from the last stored block.
   */
  fatal: MemecoinError
}

type Listener<K extends keyof ChainEvents> = (e: ChainEvents[K]) => void

/** Result of adding one transaction. */
export type TxOutcome = { ok: true, id: Uint8Array, /** The pending transaction of the same sender and nonce it replaced (TX-10). */ replaced?: Uint8Array } | {
  ok: false
  error: MemecoinError
  action: GossipAction
  /** Refused before its signature was checked (and it was not verified ahead): nothing is known of the signature. */
  unverified?: true
}

/**
 * The net effect of consecutive head changes: blocks applied and still canonical (oldest first),
 * blocks of the starting chain undone (newest first), every touched account and slashed entry.
 */
export function mergeHeadChanges (changes: HeadChange[]): HeadChange {
  if (changes.length === 1) return changes[0] as HeadChange
  const applied: BlockNode[] = []
  const undone: BlockNode[] = []
  const accounts = new Map<string, Uint8Array>()
  const slashed = new Map<string, { proposer: Uint8Array, slot: bigint }>()
  // Each block's transactions as its change listed them: by now a block below the chain's
  // decoded tip keeps only its bytes, and reading its txs would decode them again.
  const txsOf = new Map<BlockNode, readonly SignedTx[]>()
  const split = (nodes: readonly BlockNode[], txs: readonly SignedTx[]): void => {
    let at = 0
    for (const n of nodes) {
      const count = n.block === undefined ? 0 : Number(n.block.header.header.txCount)
      txsOf.set(n, txs.slice(at, at + count))
      at += count
    }
  }
  for (const c of changes) {
    split(c.applied, c.included)
    split(c.undone, c.orphaned)
    // a change undoes from the head down: first what earlier changes applied, then older blocks
    for (const u of c.undone) {
      if (applied[applied.length - 1] === u) applied.pop()
      else undone.push(u)
    }
    applied.push(...c.applied)
    for (let i = 0; i < c.touchedAccounts.length; i++) accounts.set(c.touchedKeys[i] as string, c.touchedAccounts[i] as Uint8Array)
    for (const x of c.touchedSlashed) slashed.set(`${toHex(x.proposer)}:${x.slot}`, x)
  }
  return {
    head: (changes[changes.length - 1] as HeadChange).head,
    undone,
    applied,
    included: applied.flatMap((b) => txsOf.get(b) ?? []),
    orphaned: undone.flatMap((b) => txsOf.get(b) ?? []),
    touchedAccounts: [...accounts.values()],
    touchedKeys: [...accounts.keys()],
    touchedSlashed: [...slashed.values()]
  }
}

/** The chain service. Create with `ChainService.open`. */
export class ChainService {
  readonly params: ChainParams
  readonly chain: Chain
  readonly mempool: Mempool
  readonly chainIdHex: string
  /** Transactions whose signature verified: shared by mempool admission and block import. */
  readonly sigCache: SigCache
  /** The signature-verifier workers, when enabled; stopped by `close`. */
  readonly verifierPool: VerifierPool | undefined
  private readonly store: Store
  private readonly now: () => bigint
  private readonly validator?: ValidatorKey
  private readonly log: NonNullable<ChainServiceInit['log']>
  private lastSigned: bigint | undefined
  /**
   * Transactions submitted to this node (its API) while pending, by id (hex), with when they were
   * last announced (bounded, oldest forgotten first): see `reannounceLocal`.
   */
  private readonly localAnnounced = new Map<string, bigint>()
  /** Slots of blocks by our key that we did not sign, already warned about (bounded). */
  private readonly foreignOwnSlots = new BoundedSet<bigint>(REPORTED_EQUIVOCATIONS)
  /** The slot in progress when this service opened: older blocks by our key are a former run's. */
  private readonly openedAtSlot: bigint
  /** Head changes of the chain not yet written (one import may make several: adopted orphans). */
  private readonly unpersisted: HeadChange[] = []
  /**
   * The canonical blocks of the head change being written, readable until the store has them:
   * an import that adopts a burst of orphans longer than the kept window (k + KEEP_SETTLED_BLOCKS)
   * prunes the first of them from memory before its write completes.
   */
  private writing: { byHash: Map<string, BlockNode>, byHeight: Map<bigint, BlockNode> } | undefined
  /** The work queue (`serial`): blocks, production and the rest first, then transaction batches. */
  private readonly lanes: { main: QueuedTask[], tx: QueuedTask[] } = { main: [], tx: [] }
  private pumping = false
  /** Main-lane tasks run in a row while a transaction batch was ready (MAX_MAIN_STREAK). */
  private mainStreak = 0
  /** Stake snapshots already in the store (bounded: one new id per distinct stake distribution). */
  private readonly writtenSnapshots = new BoundedSet<string>(MAX_WRITTEN_SNAPSHOTS)
  /** The store's state journal: where the next head change writes its accounts. */
  private readonly journal: StateJournal
  private readonly listeners: { [K in keyof ChainEvents]: Array<Listener<K>> } = { head: [], block: [], txs: [], evidence: [], fatal: [] }
  /** Equivocations (proposer:slot) reported, or given up for good; bounded. */
  private readonly reported = new BoundedSet<string>(REPORTED_EQUIVOCATIONS)
  /** Equivocations whose evidence found no room in the mempool yet, by proposer:slot (oldest first). */
  private readonly unreported = new Map<string, Equivocation>()
  /** Block hash (hex) by `proposer:slot` of the blocks `checkBlockForRelay` passed (bounded). */
  private readonly relayProposals = new Map<string, { hash: string, slot: bigint }>()
  private closed = false
  /** Import counters for metrics. */
  readonly counters = { blocksImported: 0, reorgs: 0, maxReorgDepth: 0, txsAccepted: 0 }
  private readonly importHistogram = { counts: IMPORT_SECONDS_BUCKETS.map(() => 0).concat([0]), sum: 0, count: 0 }

  private constructor (init: ChainServiceInit, chain: Chain, lastSigned: bigint | undefined, sigCache: SigCache, journal: StateJournal) {
    this.sigCache = sigCache
    this.journal = journal
    this.verifierPool = init.verifierPool === undefined || init.verifierPool === false
      ? undefined
      : new VerifierPool(init.verifierPool === true ? {} : init.verifierPool)
    this.params = init.params
    this.store = init.store
    this.now = init.now
    if (init.validator !== undefined) this.validator = init.validator
    this.log = init.log ?? (() => {})
    this.chain = chain
    this.chainIdHex = toHex(init.params.chainId)
    this.lastSigned = lastSigned
    this.openedAtSlot = slotAt(init.now(), init.params)
    this.mempool = new Mempool({ ...init.mempool, chainId: init.params.chainId, minFee: init.params.minFee, view: mempoolView(chain) })
    chain.onHeadChange((c) => {
      this.unpersisted.push(c)
      this.mempool.onHead(mempoolView(chain), mempoolChangeOf(c))
    })
  }

  /** Opens the chain from `store` (resuming at its stored head) or from genesis. */
  static async open (init: ChainServiceInit): Promise<ChainService> {
    const restored = await loadChain(init.store, init.params)
    const sigCache = new SigCache(init.sigCacheEntries)
    const chain = new Chain({
      sigCache,
      params: init.params,
      allocations: init.allocations,
      now: init.now,
      keepSettledBlocks: KEEP_SETTLED_BLOCKS,
      decodedTipBlocks: DECODED_TIP_BLOCKS,
      ...(restored !== undefined ? { restore: restored } : {})
    })
    // a fresh store (or one whose head is still genesis) gets genesis written in full
    if (restored === undefined) await init.store.batch(await genesisOps(init.store, init.params, chain.ledger))
    const lastSigned = init.validator === undefined ? undefined : await loadLastSigned(init.store, init.validator.publicKey)
    const svc = new ChainService(init, chain, lastSigned, sigCache, new StateJournal(init.journal, restored?.journal))
    svc.log('info', 'chain opened', { height: chain.head.height.toString(), head: chain.head.hex.slice(0, 16), restored: restored !== undefined })
    if (init.validator !== undefined) {
      // a key of another chain, or one that never staked (or unstaked everything), leads no slot
      const id = accountIdOf(init.validator.publicKey)
      const account = chain.ledger.get(id)
      const unbonding = account?.unbonding.reduce((n, u) => n + u.amount, 0n) ?? 0n
      if ((account?.stake ?? 0n) === 0n) {
        svc.log('warn', 'the validator key has no bonded stake at this node\'s head (a node still syncing may not have seen its stake yet): it leads no slot unless it had stake two epochs ago (is it the key of another chain? stake with `memecoin stake`)', { address: encodeAddress(id), height: chain.head.height.toString(), unbonding: unbonding.toString() })
      }
    }
    return svc
  }

  /**
   * Subscribes to an event. Listener lists are replaced, never changed in place, so a listener may
   * subscribe or unsubscribe (itself included) while an event is delivered.
   */
  on<K extends keyof ChainEvents> (event: K, fn: Listener<K>): void {
    (this.listeners as Record<K, Array<Listener<K>>>)[event] = [...(this.listeners[event] as Array<Listener<K>>), fn]
  }

  /** Unsubscribes `fn` from an event (one subscription of it; nothing if it has none). */
  off<K extends keyof ChainEvents> (event: K, fn: Listener<K>): void {
    const list = this.listeners[event] as Array<Listener<K>>
    const i = list.indexOf(fn)
    if (i >= 0) (this.listeners as Record<K, Array<Listener<K>>>)[event] = [...list.slice(0, i), ...list.slice(i + 1)]
  }

  private emit<K extends keyof ChainEvents> (event: K, e: ChainEvents[K]): void {
    for (const fn of this.listeners[event] as Array<Listener<K>>) {
      try { fn(e) } catch (err) { this.log('error', `listener of ${event} failed`, { error: (err as Error).message }) }
    }
  }

  /**
   * Runs `fn` alone (one writer at a time), after everything queued before it in its lane. Two
   * lanes: the main one (blocks, production, evidence, close) goes first; the tx lane (mempool
   * additions, each once `ready`, its signatures verified ahead) gets a turn when the main lane is
   * empty or after MAX_MAIN_STREAK main tasks. A flood of transaction batches then never delays a
   * validator's block by more than one batch, and a batch waiting for its signatures holds no one.
   * Within a lane, call order is kept.
   */
  private serial<T> (fn: () => Promise<T> | T, lane: 'main' | 'tx' = 'main', ready?: Promise<unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const task: QueuedTask = {
        ready: ready === undefined,
        run: async () => {
          try {
            if (this.closed) throw new MemecoinError('ERR_CLOSED', 'chain service is closed')
            resolve(await fn())
          } catch (err) {
            reject(err)
          }
        }
      }
      if (ready !== undefined) {
        const done = (): void => { task.ready = true; this.kick() }
        ready.then(done, done)
      }
      this.lanes[lane].push(task)
      this.kick()
    })
  }

  /** Starts the queue's runner unless it runs (on a later microtask: `fn` never runs inside `serial`). */
  private kick (): void {
    if (this.pumping) return
    this.pumping = true
    queueMicrotask(() => { void this.pump() })
  }

  private async pump (): Promise<void> {
    try {
      for (;;) {
        const tx = this.lanes.tx[0]
        const txReady = tx?.ready === true
        let task: QueuedTask | undefined
        if (this.lanes.main.length > 0 && !(txReady && this.mainStreak >= MAX_MAIN_STREAK)) {
          task = this.lanes.main.shift()
          if (txReady) this.mainStreak++
        } else if (txReady) {
          task = this.lanes.tx.shift()
          this.mainStreak = 0
        }
        if (task === undefined) return
        await task.run()
      }
    } finally {
      this.pumping = false
    }
  }

  /** The slot now in progress. */
  currentSlot (): bigint { return slotAt(this.now(), this.params) }

  /** Head, settled point, mempool and orphans. */
  status (): ChainStatus {
    const head = this.chain.head
    const settled = this.chain.settled
    return {
      chainId: this.chainIdHex,
      genesisHash: toHex(this.params.genesisHash),
      headHash: head.hex,
      height: head.height,
      headSlot: head.slot,
      slot: this.currentSlot(),
      settledHash: settled.hex,
      settledHeight: settled.height,
      mempool: this.mempool.size,
      orphans: this.chain.orphanCount
    }
  }

  /**
   * The mempool's transaction with these bytes, for the block decoder (`decodeBlock`'s `known`);
   * an empty pool (a syncing node) is not asked.
   */
  private readonly heldTx = (txBytes: Uint8Array): SignedTx | undefined => this.mempool.size === 0 ? undefined : this.mempool.withBytes(txBytes)

  /**
   * Decodes (with the genesis block limits) and imports a block, persists a head change, then
   * emits events. Throws DecodeError / ValidationError: map with `actionOf`.
   */
  async importBlock (bytesOrBlock: Uint8Array | Block, source: Source = {}): Promise<ImportResult> {
    const block = bytesOrBlock instanceof Uint8Array ? decodeBlock(bytesOrBlock, this.params, this.heldTx) : bytesOrBlock
    // Signatures go to the workers now, while earlier imports run; the import applies the block
    // meanwhile and collects the verdicts before keeping it (Chain.expectVerdicts). They stay
    // with these very transaction objects, never in the bounded cache (which many blocks in
    // flight would overflow). The queue position is taken now, so imports stay in call order.
    this.preverifyBlock(block)
    return await this.serial(async () => await this.importNow(block, source))
  }

  /** Sends the signatures of `block`'s transactions not yet known valid to the pool, if any. Never throws. */
  private preverifyBlock (block: Block): void {
    const pool = this.verifierPool
    if (pool === undefined || !pool.running || block.txs.length === 0) return
    // nothing pending and nothing cached (sync, a fresh node): every signature is to be verified
    const todo = this.mempool.size === 0 && this.sigCache.size === 0 ? block.txs : block.txs.filter((tx) => !this.sigCache.peek(tx) && !this.mempool.has(tx.id))
    if (todo.length === 0) return
    try {
      this.chain.expectVerdicts(block, todo, pool.verifyTxsPending(todo))
    } catch (err) {
      this.log('debug', 'verifier pool unavailable; verifying synchronously', { error: (err as Error).message })
    }
  }

  /**
   * Verifies in the pool the signatures of `txs` not yet known valid and caches the valid ones;
   * says which it cached (`added`) and which it found bad (`bad`). Never throws: without a pool,
   * or if it fails, the synchronous path verifies what is missing.
   */
  private async preverify (txs: readonly SignedTx[]): Promise<Preverified> {
    const out: Preverified = { added: new Set(), bad: new Set() }
    const pool = this.verifierPool
    if (pool === undefined || !pool.running || txs.length === 0) return out
    // held, known valid, or refused before its signature is checked (stale, unfunded, far ahead):
    // nothing to verify
    const todo = txs.filter((tx) => !this.sigCache.peek(tx) && !this.mempool.has(tx.id) && !this.mempool.refusesBeforeSignature(tx))
    if (todo.length === 0) return out
    try {
      const ok = await pool.verifyTxs(todo)
      for (let i = 0; i < todo.length; i++) {
        const tx = todo[i] as SignedTx
        if (ok[i] === true) {
          // a block imported meanwhile may hold its verdict already (second tier, for a reorg):
          // left where it is
          if (this.sigCache.peek(tx)) continue
          this.sigCache.add(tx)
          out.added.add(tx)
        } else {
          out.bad.add(tx)
        }
      }
    } catch (err) {
      this.log('debug', 'verifier pool unavailable; verifying synchronously', { error: (err as Error).message })
    }
    return out
  }

  /** `applied`: the block's transition, which the ledger already holds (a block this node just built). */
  private async importNow (block: Block, source: Source, applied?: BlockResult): Promise<ImportResult> {
    const started = performance.now()
    const result = await this.importTimed(block, source, applied)
    const seconds = (performance.now() - started) / 1000
    const i = IMPORT_SECONDS_BUCKETS.findIndex((b) => seconds <= b)
    const counts = this.importHistogram.counts
    counts[i < 0 ? counts.length - 1 : i] = (counts[i < 0 ? counts.length - 1 : i] ?? 0) + 1
    this.importHistogram.sum += seconds
    this.importHistogram.count++
    return result
  }

  /** Block import durations (validate, apply, persist) as a histogram: per-bucket counts, last = +Inf. */
  importTimes (): { bounds: readonly number[], counts: readonly number[], sum: number, count: number } {
    const h = this.importHistogram
    return { bounds: IMPORT_SECONDS_BUCKETS, counts: [...h.counts], sum: h.sum, count: h.count }
  }

  private async importTimed (block: Block, source: Source, applied?: BlockResult): Promise<ImportResult> {
    // Verdicts of a refused block's transactions are spent (only pending transactions keep
    // theirs). A block kept off the canonical chain spends nothing: its transactions are mostly
    // those of the competing canonical block, whose verdicts the cache's second tier holds for
    // the reorg that may yet choose this branch (src/chain/sig-cache.ts). A canonical block's
    // verdicts move to that tier with its head change.
    const spend = (): void => { this.sigCache.forget(block.txs.filter((tx) => !this.mempool.has(tx.id))) }
    let result: ImportResult
    try {
      // from a peer (gossip, range sync, parent fetch), judged now that the blocks queued before
      // it are in: an orphan of an unbonded key is not kept however it came (a peer answering
      // parent fetches with a chain of such orphans filled the pool and pushed honest ones out)
      if (source.peer !== undefined) this.dropUnbondedOrphan(block.header)
      // nothing awaits before this: a produced block's transition is still the ledger's state
      result = applied !== undefined ? this.chain.importProduced(block, applied) : this.chain.importBlock(block)
    } catch (err) {
      if (err instanceof ValidationError && err.rule === 'B-5') this.log('debug', 'orphan block', { hash: toHex(block.header.hash).slice(0, 16) })
      spend()
      throw err
    } finally {
      this.reportEquivocations()
    }
    await this.persistChanges()
    this.counters.blocksImported += 1 + result.adopted
    this.noteForeignOwnBlock(block, source)
    this.emit('block', { block, node: result.node, relay: result.equivocation === undefined, source })
    return result
  }

  /**
   * A block signed with this validator's key for a slot it never signed (beyond its persisted
   * last signed slot, and not before this service opened: a node resynced from scratch gets its
   * former run's blocks back) came from the network: the key is producing on another node too,
   * and two nodes with one key sign two blocks for a slot sooner or later (slashed, SPEC §9).
   * Warned once per slot, the slots bounded.
   */
  private noteForeignOwnBlock (block: Block, source: Source): void {
    const key = this.validator
    if (key === undefined || source.local === true) return
    const { proposer, slot } = block.header.header
    if (!bytesEqual(proposer, key.publicKey) || slot < this.openedAtSlot || (this.lastSigned !== undefined && slot <= this.lastSigned)) return
    if (this.foreignOwnSlots.has(slot)) return
    this.foreignOwnSlots.add(slot)
    this.log('error', "a block signed with this node's validator key came from the network for a slot this node did not sign: is the key running on another node too? Stop all but one, or it will be slashed for signing two blocks in one slot", { slot: slot.toString(), from: source.peer ?? 'unknown' })
  }

  /**
   * Persists and announces the head change of an import. Every change the chain made meanwhile
   * is merged (orphans adopted by the import may switch the head again, even when the imported
   * block itself went to a side branch).
   */
  private async persistChanges (): Promise<void> {
    if (this.unpersisted.length === 0) return
    const merged = mergeHeadChanges(this.unpersisted.splice(0))
    const writing = { byHash: new Map<string, BlockNode>(), byHeight: new Map<bigint, BlockNode>() }
    for (const n of merged.applied) {
      writing.byHash.set(n.hex, n)
      writing.byHeight.set(n.height, n)
    }
    this.writing = writing
    try {
      await this.store.batch(headChangeOps(this.chain, merged, this.writtenSnapshots, this.journal))
    } catch (err) {
      // The in-memory chain is now ahead of the disk: stop accepting work rather than diverge.
      throw this.storeFailed(err)
    } finally {
      this.writing = undefined
    }
    if (merged.undone.length > 0) {
      this.counters.reorgs++
      this.counters.maxReorgDepth = Math.max(this.counters.maxReorgDepth, merged.undone.length)
      this.log('info', 'reorg', { depth: merged.undone.length, head: merged.head.hex.slice(0, 16), height: merged.head.height.toString() })
    }
    // Included transactions are no longer pending: their verdicts leave the first tier (which
    // tracks the mempool) for the bounded second one, where a competing branch carrying the same
    // transactions finds them if a reorg applies it. A loaded devnet verified every transaction
    // of a reorg's winning blocks again on the importing thread without this. A node catching up
    // on old blocks (sync) has no competing branch to expect: it only drops them, if it has any.
    if (merged.head.slot + RECENT_HEAD_SLOTS >= this.currentSlot()) {
      for (const tx of merged.included) this.sigCache.remember(tx)
    } else if (this.sigCache.size > 0) {
      this.sigCache.forget(merged.included)
    }
    this.emit('head', merged)
    // blocks free room in the mempool: evidence that found none tries again
    if (this.unreported.size > 0) this.retryEvidence()
    // Transactions of undone blocks that went back to the mempool are announced again: peers that
    // saw them only inside the losing branch may have dropped them (their validators must include
    // them on the winning chain). Their signatures verified when those blocks were imported, so
    // they are pending with a verdict like any other (a block including them again skips them).
    const back = merged.orphaned.filter((tx) => this.mempool.has(tx.id))
    for (const tx of back) this.sigCache.add(tx)
    if (back.length > 0) this.emit('txs', { txs: back, source: { local: true } })
  }

  /**
   * Announces again (a 'txs' event, local) the transactions submitted to this node that are still
   * pending and were last announced at least `ageMs` ago: one published while the node had no
   * peer, or lost by gossip, would otherwise wait in this mempool alone (a node that does not
   * produce never includes it). Like Bitcoin Core's wallet rebroadcast. Returns how many.
   */
  reannounceLocal (ageMs: bigint): number {
    const now = this.now()
    const due: SignedTx[] = []
    for (const [id, at] of [...this.localAnnounced]) {
      const tx = this.mempool.get(fromHex(id))
      if (tx === undefined) {
        this.localAnnounced.delete(id)
        continue
      }
      if (now - at < ageMs) continue
      due.push(tx)
      this.localAnnounced.set(id, now)
    }
    if (due.length > 0) this.emit('txs', { txs: due, source: { local: true } })
    return due.length
  }

  /**
   * Adds transactions (wire bytes or decoded) to the mempool; one outcome per transaction. A
   * decoded transaction is taken by its bytes (decoded again): a transaction is its bytes, and
   * the block decoder reuses the mempool's object for a block transaction with the same bytes,
   * so a hand-built object whose fields disagree with its bytes must never be held.
   *
   * `source` defaults to local: what an application (or the API) submits is announced to peers
   * and announced again while pending. The network passes `{ peer }` for what it received (an
   * application that embedded the node called this without a source, and its transactions were
   * accepted but never left the node).
   */
  async addTransactions (txs: Array<Uint8Array | SignedTx>, source: Source = { local: true }): Promise<TxOutcome[]> {
    // Decoding is pure; a failure is reported in order below, exactly as before.
    const decoded = txs.map((t) => {
      try { return decodeTx(t instanceof Uint8Array ? t : t.bytes) } catch (err) { return { err } }
    })
    const verified = this.preverify(decoded.filter((d): d is SignedTx => !('err' in d)))
    return await this.serial(async () => {
      const pre = await verified
      const out: TxOutcome[] = []
      const accepted: SignedTx[] = []
      const roomless = new Set<SignedTx>()
      for (const d of decoded) {
        try {
          if ('err' in d) throw d.err
          const tx = d
          // [REJECT] TX-3: the pool found its signature bad. Whatever the state would say of it
          // (a gap, a taken nonce), it is provably bad, and no honest node relays it (gossip.ts
          // relays no batch holding a transaction refused unverified)
          if (pre.bad.has(tx)) throw new ValidationError('TX-3', 'ERR_BAD_SIGNATURE', 'invalid transaction signature')
          // [REJECT] TX-3 was checked (pool or earlier) iff cached; otherwise mempool.add verifies
          // it, so a bad signature fails with exactly the synchronous path's error
          const { replaced } = this.mempool.add(tx, { skipSignature: this.sigCache.peek(tx) })
          this.sigCache.add(tx)
          accepted.push(tx)
          out.push(replaced === undefined ? { ok: true, id: tx.id } : { ok: true, id: tx.id, replaced: replaced.id })
        } catch (err) {
          const e = err instanceof MemecoinError ? err : new MemecoinError('ERR_INTERNAL', (err as Error).message)
          // verified ahead, or by `add` itself (a refusal for room comes after TX-3)
          const verified = !('err' in d) && (this.sigCache.peek(d) || e.code === 'ERR_MEMPOOL_FULL')
          // refused for room or order with its signature known valid: it may come back
          if (ROOMLESS.has(e.code) && verified) roomless.add(d as SignedTx)
          // an evidence transaction's headers (TX-9) are checked by `add` only, after the state:
          // its outer signature verified ahead says nothing of them
          const unverified = !('err' in d) && (!verified || d.kind === 'evidence') && REFUSED_BEFORE_SIGNATURE.has(e.code)
          out.push({ ok: false, error: e, action: actionOf(err), ...(unverified ? { unverified: true as const } : {}) })
        }
      }
      // a refused transaction keeps no verdict this call cached ahead (unless it is pending
      // anyway), but one refused for room or order only keeps it in the cache's bounded second
      // tier; verdicts held before this call (a block's, kept for a reorg) stay
      for (const d of decoded) {
        if ('err' in d || this.mempool.has(d.id)) continue
        if (roomless.has(d)) this.sigCache.remember(d)
        else if (pre.added.has(d)) this.sigCache.forgetPending([d])
      }
      this.counters.txsAccepted += accepted.length
      if (source.local === true) {
        const now = this.now()
        for (const tx of accepted) {
          this.localAnnounced.set(toHex(tx.id), now)
          if (this.localAnnounced.size > MAX_LOCAL_ANNOUNCED) this.localAnnounced.delete(this.localAnnounced.keys().next().value as string)
        }
      }
      if (accepted.length > 0) this.emit('txs', { txs: accepted, source })
      return out
    }, 'tx', verified)
  }

  /**
   * Produces this validator's block for `slot` if it leads it: the slot is persisted as signed
   * before the block is imported and announced, so a restart can never sign the slot twice.
   */
  async produce (slot: bigint): Promise<Block | undefined> {
    const key = this.validator
    if (key === undefined) return undefined
    return await this.serial(async () => {
      if (this.lastSigned !== undefined && slot <= this.lastSigned) return undefined
      // selected only once the VRF says we lead the slot (most slots we do not)
      // judged as this block will be (its slot and epoch, not the clock's, which may be later)
      const candidates = (): SignedTx[] => this.mempool.select(mempoolView(this.chain, slot), { maxBlockBytes: this.params.maxBlockBytes, maxBlockTxs: this.params.maxBlockTxs })
      const lead = leadership(this.chain, key, slot)
      if (lead === undefined) return undefined
      // The slot is recorded as signed before the block is built: nothing signed is published
      // without this record (no double signing across restarts), and from the build to the
      // import nothing awaits, so the ledger holding the new block's transition
      // (produceBlockApplied) is never seen by anything else. A build that fails leaves the slot
      // empty, as a failed write would.
      try {
        await this.store.batch([{ type: 'put', key: lastSignedKey(key.publicKey), value: u64be(slot) }])
      } catch (err) {
        throw this.storeFailed(err)
      }
      this.lastSigned = slot
      const { block, applied } = produceBlockApplied(this.chain, key, slot, lead, candidates, (tx, err) => {
        // out of the mempool too (with its sender's later ones), or every slot this validator
        // leads would try it again
        const dropped = this.mempool.drop(tx)
        this.sigCache.forget(dropped)
        this.log('warn', 'dropped a transaction that failed block assembly', { tx: toHex(tx.id).slice(0, 16), dropped: dropped.length, error: (err as Error).message })
      })
      await this.importNow(block, { local: true }, applied)
      this.log('info', 'produced block', { height: block.header.header.height.toString(), slot: slot.toString(), txs: block.txs.length, hash: toHex(block.header.hash).slice(0, 16) })
      return block
    })
  }

  /** A write to the store failed: take no more work, tell the owner ('fatal'), return the error to throw. */
  private storeFailed (err: unknown): MemecoinError {
    this.closed = true
    this.log('error', 'database write failed; chain service stopped', { error: (err as Error).message })
    const fatal = new MemecoinError('ERR_STORE_WRITE', `database write failed: ${(err as Error).message}`)
    this.emit('fatal', fatal)
    return fatal
  }

  /** Records gossiped evidence (two signed headers); the validator turns it into a slashing transaction. */
  async addEvidence (a: SignedHeader, b: SignedHeader): Promise<void> {
    // TX-9: throws ValidationError (REJECT, or IGNORE when expired or from the future) for bad evidence
    // (IGNORE as the mempool judges it: from the future, expired, or the offender already slashed)
    checkGossipEvidence(a, b, this.params, this.now(), (proposer, slot) => this.chain.ledger.isSlashed(proposer, slot))
    // [IGNORE] TX-9: two headers signed by a key with nothing at stake cost their author nothing;
    // relayed and reported, they would cost every validator a fee for a slash of 0
    if (!this.hasBond(a.header.proposer)) throw new ValidationError('TX-9', 'ERR_EVIDENCE_NOT_USEFUL', 'evidence ignored: the offender has nothing to slash', { reason: 'nothing to slash', action: 'IGNORE' })
    await this.serial(() => { this.reportEquivocation({ a, b }) })
  }

  /**
   * True iff `proposer` (a public key) has stake, or unbonding stake not yet released by the
   * current epoch, at the head: a validator, or one just leaving; evidence against it slashes
   * something. (An entry whose release epoch has come is released before a slash, SPEC §7: a
   * slash would take nothing from it.)
   */
  hasBond (proposer: Uint8Array): boolean {
    const acc = this.chain.ledger.get(accountIdOf(proposer))
    if (acc === undefined) return false
    if (acc.stake > 0n) return true
    const epoch = this.chain.currentEpoch()
    return acc.unbonding.some((u) => u.releaseEpoch > epoch)
  }

  /**
   * [IGNORE] B-5: throws if `sh` is an orphan (parent unknown, not seen, above the settled height)
   * whose proposer has nothing bonded at our head: such a block is not kept (see checkBlockForRelay).
   */
  private dropUnbondedOrphan (sh: SignedHeader): void {
    const hd = sh.header
    if (this.chain.getNode(hd.parentHash) === undefined && !this.chain.hasSeen(sh.hash) && hd.height > this.chain.settledHeight && !this.hasBond(hd.proposer)) {
      throw new ValidationError('B-5', 'ERR_UNKNOWN_PARENT', 'parent block unknown, and its proposer has nothing bonded at our head: not kept', { action: 'IGNORE' })
    }
  }

  /**
   * The gossip checks of a block that need no state transition (Ethereum's gossip block rules,
   * BIP152's relay before full validation), synchronous and outside the import queue: decoding,
   * B-2, B-3, B-4, B-13, B-11, and with a validated parent B-6…B-10 and B-14. Throws
   * DecodeError / ValidationError (map with `actionOf`). What the verdict cannot cover (B-12: the
   * transactions and the state root) the import that follows checks; see `RelayCheck`.
   */
  checkBlockForRelay (bytesOrBlock: Uint8Array | Block): RelayCheck {
    if (bytesOrBlock instanceof Uint8Array) {
      // [IGNORE] B-5: an orphan (parent unknown) from a key with nothing bonded at our head is
      // dropped on its header alone: any key can sign one, nothing else of it can be checked,
      // and decoding it, its tx root and parking it cost a node real CPU and memory for each
      // (a sync review: 10 junk orphans/s of 3,000 transactions took more than a core). An
      // honest orphan comes from a validator; one we lack stake data for arrives by range sync.
      this.dropUnbondedOrphan(peekBlockHeader(bytesOrBlock))
    }
    // [REJECT] B-1: decodes within the genesis block limits (D-1…D-6); transactions the mempool
    // holds are its objects, not decoded again
    const block = bytesOrBlock instanceof Uint8Array ? decodeBlock(bytesOrBlock, this.params, this.heldTx) : bytesOrBlock
    const sh = block.header
    const hd = sh.header
    const chain = this.chain
    // [REJECT] B-2: for this chain
    if (!bytesEqual(hd.chainId, this.params.chainId)) throw new ValidationError('B-2', 'ERR_WRONG_CHAIN', 'block is for another chain')
    if (chain.hasSeen(sh.hash)) {
      // [IGNORE] B-3: already known
      if (chain.getNode(sh.hash) !== undefined) throw new ValidationError('B-3', 'ERR_KNOWN_BLOCK', 'block already known')
      return { block, verdict: 'import' } // a waiting orphan or a block found invalid: the import says which
    }
    // [IGNORE] B-4: not from the future beyond the drift allowance
    if (isFutureSlot(hd.slot, this.now(), this.params)) throw new ValidationError('B-4', 'ERR_FUTURE_SLOT', `slot ${hd.slot} has not started yet`)
    // [IGNORE] B-13: nothing at or below the settled height can change
    if (hd.height <= chain.settledHeight) throw new ValidationError('B-13', 'ERR_BELOW_SETTLED', 'block height is at or below the settled height')
    // [REJECT] B-11: the tx root commits to exactly these transactions
    chain.checkTxRoot(block)
    const parent = chain.getNode(hd.parentHash)
    // B-5 (unknown parent: the orphan path) or a parent without a validated epoch state: import first
    if (parent === undefined || parent.status !== 'valid' || parent.epochAfter === undefined || parent.stakesAfter === undefined) return { block, verdict: 'import' }
    // [REJECT] B-6, B-7, B-8: height and slot follow the parent, signed by the proposer; B-9,
    // B-10: VRF proof and eligibility against the epoch's stake distribution (the import that
    // follows does not check them again)
    chain.checkHeaderAndLeader(block, parent)
    // [IGNORE] B-14: only the first block of a proposer for a slot is relayed
    const key = `${toHex(hd.proposer)}:${hd.slot}`
    const canonical = chain.blockAt(hd.height)
    // forget proposals below the settled slot (insertion order ≈ slot order): a block there is
    // refused by B-13 before this check, so the map tracks the unsettled window, not time
    const settledSlot = chain.blockAt(chain.settledHeight)?.slot
    if (settledSlot !== undefined) {
      for (const [k, v] of this.relayProposals) {
        if (v.slot >= settledSlot) break
        this.relayProposals.delete(k)
      }
    }
    const first = this.relayProposals.get(key)?.hash ??
      (canonical !== undefined && canonical.slot === hd.slot && canonical.block !== undefined && bytesEqual(canonical.block.header.header.proposer, hd.proposer) ? canonical.hex : undefined)
    if (first !== undefined && first !== toHex(sh.hash)) return { block, verdict: 'equivocation' }
    this.relayProposals.delete(key)
    this.relayProposals.set(key, { hash: toHex(sh.hash), slot: hd.slot })
    if (this.relayProposals.size > MAX_RELAY_PROPOSALS) this.relayProposals.delete(this.relayProposals.keys().next().value as string)
    return { block, verdict: 'relay' }
  }

  private reportEquivocations (): void {
    for (const ev of this.chain.takeEquivocations()) {
      this.emit('evidence', ev)
      this.reportEquivocation(ev)
    }
  }

  /**
   * As a validator, turns an equivocation into an evidence transaction in the mempool. Evidence
   * the mempool has no room for (full, or this validator's sender limit) waits in `unreported`
   * and is tried again at each head change (the blocks that make one free room); any other
   * refusal (expired, offender already slashed) is final.
   */
  private reportEquivocation (ev: Equivocation): void {
    const key = this.validator
    if (key === undefined) return
    const proposer = toHex(ev.a.header.proposer)
    if (proposer === toHex(key.publicKey)) {
      const id = `own:${ev.a.header.slot}`
      if (this.reported.has(id)) return
      this.reported.add(id)
      this.log('error', "this node's validator key signed two different blocks for one slot (an equivocation: its stake will be slashed): the key is running on more than one node; stop all but one", { slot: ev.a.header.slot.toString() })
      return
    }
    const id = `${proposer}:${ev.a.header.slot}`
    if (this.reported.has(id)) return
    // the fee buys nothing if there is nothing to slash (stake released, or never any)
    if (!this.hasBond(ev.a.header.proposer)) {
      this.unreported.delete(id)
      return
    }
    const self = accountIdOf(key.publicKey)
    const nonce = (this.chain.ledger.get(self)?.nonce ?? 0n) + BigInt(this.mempool.pending(self).length)
    const slot = ev.a.header.slot.toString()
    try {
      const body = { chainId: this.params.chainId, nonce, fee: this.params.minFee, evidence: { headerA: ev.a.bytes, headerB: ev.b.bytes } }
      const tx = decodeTx(signTx(body, key.privateKey).bytes)
      this.mempool.add(tx)
      this.unreported.delete(id)
      this.reported.add(id)
      this.emit('txs', { txs: [tx], source: { local: true } })
      this.log('info', 'equivocation reported', { slot })
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      if (EVIDENCE_RETRY.has(code)) {
        if (!this.unreported.has(id)) {
          // bounded: equivocations are rare; beyond the bound the oldest waiting one is given up
          if (this.unreported.size >= MAX_UNREPORTED_EVIDENCE) this.unreported.delete(this.unreported.keys().next().value as string)
          this.unreported.set(id, ev)
          this.log('warn', 'equivocation not reported yet: no room in the mempool; trying again at each new head', { slot, error: (err as Error).message })
        }
        return
      }
      this.unreported.delete(id)
      this.reported.add(id)
      this.log('warn', 'could not report an equivocation', { slot, error: (err as Error).message })
    }
  }

  /** Tries again the evidence the mempool had no room for (see reportEquivocation). */
  private retryEvidence (): void {
    for (const ev of [...this.unreported.values()]) this.reportEquivocation(ev)
  }

  /** Equivocations this validator found but could not yet put in its mempool (none once reported). */
  get unreportedEquivocations (): number { return this.unreported.size }

  /**
   * Block bytes by hash: in memory (any branch) or stored. A caller that knows the block's
   * height passes it: the store then finds the block without reading its metadata first.
   */
  async blockByHash (hash: Uint8Array, height?: bigint): Promise<Uint8Array | undefined> {
    const held = this.chain.getNode(hash)?.block?.bytes ?? this.writing?.byHash.get(toHex(hash))?.block?.bytes
    if (held !== undefined) return held
    return height === undefined ? await storedBlock(this.store, hash) : await storedBlockAt(this.store, height, hash)
  }

  /**
   * Block bytes by hash for a peer (blocks-by-hash): as `blockByHash`, but of the blocks in memory
   * only those this node would relay: not an unchecked side block (its leader is not checked, any
   * key can sign one) nor one found invalid, which the asking peer would penalise us for.
   */
  async blockByHashForPeer (hash: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.chain.getNode(hash) !== undefined && this.chain.servable(hash) === undefined) return undefined
    return await this.blockByHash(hash)
  }

  /** Canonical block bytes at `height`: in memory or stored. */
  async blockAt (height: bigint): Promise<Uint8Array | undefined> {
    if (height < 1n || height > this.chain.head.height) return undefined
    const mem = this.chain.blockAt(height) ?? this.writing?.byHeight.get(height)
    if (mem !== undefined) return mem.block?.bytes
    return await storedCanonicalBlock(this.store, height)
  }

  /** Up to `count` canonical blocks from `start` (stops at the head). */
  async blocksByRange (start: bigint, count: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = []
    for await (const b of this.eachBlockInRange(start, count)) out.push(b)
    return out
  }

  /**
   * `blocksByRange` one block at a time, each read when the one before was taken: a responder
   * writes each (until it drains) before reading the next, so a peer that asks for 64 blocks and
   * reads its socket slowly holds a block or two in memory, not 64 fresh copies from the store.
   */
  async * eachBlockInRange (start: bigint, count: number): AsyncGenerator<Uint8Array> {
    let parent: Uint8Array | undefined
    let n = 0
    for (let h = start < 1n ? 1n : start; n < count && h <= this.chain.head.height; h++) {
      const b = await this.blockAt(h)
      if (b === undefined) return
      // one chain: a reorg between two reads would otherwise mix two branches in one response
      const sh = peekBlockHeader(b)
      if (parent !== undefined && !bytesEqual(sh.header.parentHash, parent)) return
      parent = sh.hash
      n++
      yield b
    }
  }

  /** Epoch of the slot in progress. */
  currentEpoch (): bigint { return epochOf(this.currentSlot(), this.params) }

  /**
   * Waits for the blocks and production queued (the main lane) and refuses more; transaction
   * batches still queued are refused (ERR_CLOSED): their senders may submit them again.
   */
  async close (): Promise<void> {
    await this.serial(() => { this.closed = true }).catch(() => {})
    this.closed = true
    await this.verifierPool?.stop()
  }
}
