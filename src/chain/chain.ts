/**
 * The running chain: the block tree above the settled point, the ledger at the head, fork choice
 * (SPEC §9) and the import pipeline. A block whose branch becomes preferred is fully validated
 * while the chain switches to it (undo to the fork point, apply the branch); a branch that turns
 * out invalid is marked so and the previous head is restored.
 *
 * Validation never learns about peers: failures are ValidationErrors naming a SPEC rule, and the
 * network layer decides what they cost the sender.
 */
import { accountIdOf } from '../core/address.ts'
import { bytesEqual, toHex } from '../core/bytes.ts'
import {
  checkHeaderAgainstParent, checkLeader, checkTxRoot, compareTips, epochOf, epochStateAfter, epochStateForSlot,
  genesisEpochState, headerLeaderValue, isFutureSlot, leaderValue, slotAt, type EpochState, type StakeSnapshot
} from '../core/consensus.ts'
import { MemecoinError, ValidationError } from '../core/errors.ts'
import { verifyHeaderSignature, verifyTxSignature } from '../core/signing.ts'
import { Ledger, type AccountState } from '../core/ledger.ts'
import type { ChainParams, GenesisAllocation } from '../core/params.ts'
import { applyBlock, undoBlock, type BlockContext, type BlockResult, type UndoRecord } from '../core/transition.ts'
import type { Block, SignedHeader, SignedTx } from '../core/types.ts'
import { decodeBlock } from '../wire/block.ts'
import { encodeAccount } from '../wire/messages.ts'
import { BoundedSet } from './bounded.ts'
import type { SigCache } from './sig-cache.ts'
import { decodeUndo, encodeUndo } from './undo.ts'

/** Defaults for the bounded pools of the block tree. */
export const DEFAULT_MAX_ORPHANS = 256
/**
 * Transactions the orphan pool may hold, in full blocks of the chain's `maxBlockTxs`. A decoded
 * transaction takes ≈ 1.1 KB of heap, and an orphan needs only a valid header signature (any
 * key): 256 full orphans would have been ≈ 2.8 GB. Parents missed for a few blocks fit.
 */
export const DEFAULT_MAX_ORPHAN_BLOCKS_OF_TXS = 4
export const DEFAULT_MAX_SIDE_BLOCKS = 4096
/**
 * Side blocks whose leader could not be checked (B-9/B-10) when they came: their parent is not
 * validated and they open a later epoch than its header-derived state. Any key can sign such a
 * block, so they have a pool of their own, oldest evicted first (with their descendants), and
 * never take room from checked side blocks. Honest ones are rare (a side branch crossing an
 * epoch boundary) and come back through parent fetch if evicted. The bound is at least k + 1.
 */
export const DEFAULT_MAX_UNCHECKED_SIDE_BLOCKS = 256
/**
 * Transactions the unchecked pool may hold, in full blocks of the chain's `maxBlockTxs` (≈ 1.1 KB
 * of heap each, like the orphan pool's bound): 256 full junk blocks would be ≈ 1.8 GB.
 */
export const DEFAULT_MAX_UNCHECKED_BLOCKS_OF_TXS = 16
export const DEFAULT_MAX_EVIDENCE = 256
export const DEFAULT_MAX_INVALID = 4096

/** A block in the tree (or genesis, which has no block). */
export interface BlockNode {
  readonly hash: Uint8Array
  readonly hex: string
  readonly block: Block | undefined
  readonly parent: BlockNode | undefined
  readonly height: bigint
  readonly slot: bigint
  readonly leaderValue: bigint
  status: 'valid' | 'pending' | 'invalid'
  /** Consensus state after this block; set once validated. */
  epochAfter?: EpochState
  /** Bonded stakes after this block; set once validated. */
  stakesAfter?: StakeSnapshot
  /**
   * Undo record while on the canonical chain and within k of the head, as `encodeUndo` bytes
   * (src/chain/undo.ts: one buffer for the k blocks it is kept, not objects per account).
   */
  undo?: Uint8Array
  /** VRF output, once the proof was verified against the parent's epoch state. */
  vrfOutput?: Uint8Array
  /**
   * Consensus state after this block as its headers alone determine it, set when its leader was
   * checked (B-9/B-10) before the block was validated: a child in the same epoch is checked
   * against it (the epoch's nonce and distribution do not depend on this epoch's transactions).
   * Equals `epochAfter` once validated.
   */
  headerEpoch?: EpochState
  /** Supply created (reward) and destroyed (slashing burn) by this block, once applied. */
  minted?: bigint
  burned?: bigint
}

/** What changed at the head, for the mempool, the API and the network. */
export interface HeadChange {
  head: BlockNode
  /** Blocks removed from the canonical chain (newest first); empty unless a reorg. */
  undone: BlockNode[]
  /** Blocks added to the canonical chain (oldest first). */
  applied: BlockNode[]
  /** Transactions of applied blocks. */
  included: SignedTx[]
  /** Transactions of undone blocks (candidates to return to the mempool). */
  orphaned: SignedTx[]
  /** Accounts whose state changed (undone and applied blocks), for persistence. */
  touchedAccounts: Uint8Array[]
  /** `toHex` of each of `touchedAccounts`, in the same order (persistence keys them by it). */
  touchedKeys: string[]
  /** Slashed-set entries that changed, for persistence. */
  touchedSlashed: Array<{ proposer: Uint8Array, slot: bigint }>
}

/** Outcome of importing one block. */
export interface ImportResult {
  status: 'head' | 'reorg' | 'side'
  node: BlockNode
  change?: HeadChange
  /** Orphans that this block made importable and that were imported too. */
  adopted: number
  /** Set when this block is a proposer's second block for its slot (B-14: do not relay). */
  equivocation?: Equivocation
}

/** Signature verdicts computed elsewhere, collected synchronously (the pool's PendingVerdicts). */
export interface PendingSignatures {
  /** Element i for transaction i; undefined if they could not be had (the chain then verifies itself). */
  wait: () => boolean[] | undefined
}

/** Two headers by one proposer for one slot. */
export interface Equivocation { a: SignedHeader, b: SignedHeader }

/** Options of a chain. */
export interface ChainInit {
  params: ChainParams
  allocations: GenesisAllocation[]
  /** Unix time in ms; the chain never reads a clock of its own. */
  now: () => bigint
  maxOrphans?: number
  /** Transactions the orphan pool may hold in all (default DEFAULT_MAX_ORPHAN_BLOCKS_OF_TXS × maxBlockTxs). */
  maxOrphanTxs?: number
  maxSideBlocks?: number
  /** Bound of the pool of side blocks whose leader could not be checked yet (see DEFAULT_MAX_UNCHECKED_SIDE_BLOCKS). */
  maxUncheckedSideBlocks?: number
  /** Transactions that pool may hold in all (default DEFAULT_MAX_UNCHECKED_BLOCKS_OF_TXS × maxBlockTxs). */
  maxUncheckedTxs?: number
  /**
   * Canonical blocks kept in memory below the settled height (default: all). A node with a
   * store keeps few and serves older blocks from the store.
   */
  keepSettledBlocks?: number
  /**
   * Canonical blocks at the tip that keep their transactions decoded (default: all). Below them a
   * block keeps its bytes and header and decodes its transactions again if something asks for
   * them (a reorg deeper than this, the API): see `slimBelowTip`.
   */
  decodedTipBlocks?: number
  /** Resume from a stored head instead of genesis (see `RestoredChain`). */
  restore?: RestoredChain
  /**
   * Transactions whose signature already verified (mempool admission, the verifier pool): block
   * import does not verify them again, and records the ones it verifies itself.
   */
  sigCache?: SigCache
}

/** A chain state loaded from storage: the head ledger and the last canonical blocks. */
export interface RestoredChain {
  ledger: Ledger
  /**
   * Canonical nodes in ascending height, ending at the head, covering the last k + 1 blocks or
   * starting at height 1 (then genesis is the base); each with epochAfter and stakesAfter, and an
   * undo record above the first.
   */
  nodes: BlockNode[]
}

/** Canonical blocks by height, held from a base height up to the head. */
class CanonicalIndex {
  private readonly items: BlockNode[] = []
  private base = 0n

  constructor (first: BlockNode) {
    this.items.push(first)
    this.base = first.height
  }

  /** The node at `height`, if held. */
  get (height: bigint): BlockNode | undefined {
    return height < this.base ? undefined : this.items[Number(height - this.base)]
  }

  /** The lowest height held. */
  get lowest (): bigint { return this.base }

  push (n: BlockNode): void { this.items.push(n) }
  pop (): void { this.items.pop() }

  /** Forgets nodes below `height`. */
  dropBelow (height: bigint): BlockNode[] {
    if (height <= this.base) return []
    const n = Number(height - this.base)
    this.base = height
    return this.items.splice(0, n)
  }
}

/** The chain state machine. */
export class Chain {
  readonly params: ChainParams
  readonly ledger: Ledger
  readonly genesis: BlockNode
  private headNode!: BlockNode
  /** Every block by hash: the canonical chain and the live side branches. */
  private readonly nodes = new Map<string, BlockNode>()
  /** Blocks at or above the settled height (canonical and side): what pruning looks at. */
  private readonly live = new Set<BlockNode>()
  /** Side blocks (in `live`) whose leader is not checked yet, oldest first: a descendant always follows its ancestors. */
  private readonly unchecked = new Set<BlockNode>()
  private uncheckedTxs = 0
  private readonly canonical: CanonicalIndex
  private readonly orphans = new Map<string, Block>()
  private readonly invalid = new BoundedSet<string>(DEFAULT_MAX_INVALID)
  private readonly proposals = new Map<string, SignedHeader>()
  private readonly equivocations: Equivocation[] = []
  private readonly listeners: Array<(c: HeadChange) => void> = []
  private readonly now: () => bigint
  private readonly maxOrphans: number
  private readonly maxOrphanTxs: number
  private orphanTxs = 0
  private readonly maxSideBlocks: number
  private readonly maxUncheckedSideBlocks: number
  private readonly maxUncheckedTxs: number
  private readonly keepSettledBlocks: number
  private readonly decodedTipBlocks: bigint
  /** Blocks whose transactions are decoded again on access (see `slimBelowTip`). */
  private readonly slim = new WeakSet<Block>()
  private readonly sigCache: SigCache | undefined
  /**
   * Block objects every transaction of which has a valid signature: applied once (whatever told
   * the signatures: the pool, the cache, this thread), so a reorg that applies the same object
   * again checks none of them. By object identity, never bytes or hash, so nothing else can
   * borrow the verdict; entries go with the objects. One entry per block, not one per
   * transaction: a sync marked 500 transactions per block, entries the collector then walks.
   */
  private readonly verifiedBlocks = new WeakSet<Block>()
  /** Signature verdicts still being computed for a block's transactions (see `expectVerdicts`). */
  private readonly pending = new WeakMap<Block, { txs: readonly SignedTx[], verdicts: PendingSignatures }>()
  /**
   * The block `importProduced` is importing, whose transition the ledger already holds (on top
   * of the head): `applyNode` takes it instead of applying the block again. Set only for the
   * duration of that synchronous call.
   */
  private produced: { block: Block, applied: BlockResult } | undefined
  /**
   * What the checks before relay found, by block object (`checkTxRoot`, `checkHeaderAndLeader`):
   * the import that follows a relay does not make them again (the import repeated ≈ 0.5 ms of a
   * warm block's ≈ 2 ms of relay checks). Keyed like `verifiedBlocks`: a decoded
   * block and its transactions are never modified, and entries go with the objects.
   */
  private readonly txRootChecked = new WeakSet<Block>()
  private readonly leaderCheckedWith = new WeakMap<Block, { parent: BlockNode, vrfOutput: Uint8Array }>()
  /** Reorgs performed and the deepest one, for metrics and the simulator. */
  readonly stats = { reorgs: 0, maxReorgDepth: 0, sideBlocks: 0 }

  constructor (init: ChainInit) {
    this.params = init.params
    this.now = init.now
    this.maxOrphans = init.maxOrphans ?? DEFAULT_MAX_ORPHANS
    this.maxOrphanTxs = init.maxOrphanTxs ?? DEFAULT_MAX_ORPHAN_BLOCKS_OF_TXS * Number(init.params.maxBlockTxs)
    this.maxSideBlocks = init.maxSideBlocks ?? DEFAULT_MAX_SIDE_BLOCKS
    // an honest side branch that can still win has at most k + 1 blocks (its fork point is not
    // below the settled height): room for one whole, whatever k the genesis chose
    this.maxUncheckedSideBlocks = init.maxUncheckedSideBlocks ?? Math.max(DEFAULT_MAX_UNCHECKED_SIDE_BLOCKS, Number(init.params.k) + 1)
    this.maxUncheckedTxs = init.maxUncheckedTxs ?? DEFAULT_MAX_UNCHECKED_BLOCKS_OF_TXS * Number(init.params.maxBlockTxs)
    this.keepSettledBlocks = init.keepSettledBlocks ?? Number.MAX_SAFE_INTEGER
    const decodedTip = init.decodedTipBlocks ?? Number.MAX_SAFE_INTEGER
    if (!Number.isSafeInteger(decodedTip) || decodedTip < 1) throw new RangeError('decodedTipBlocks must be a positive integer')
    this.decodedTipBlocks = BigInt(decodedTip)
    this.sigCache = init.sigCache
    this.ledger = init.restore?.ledger ?? Ledger.fromGenesis(init.allocations, encodeAccount)
    // genesis stakes: the fresh ledger's own snapshot; only a restored chain rebuilds them
    const stakes = init.restore === undefined ? this.ledger.stakeSnapshot() : Ledger.fromGenesis(init.allocations, encodeAccount).stakeSnapshot()
    this.genesis = {
      hash: init.params.genesisHash,
      hex: toHex(init.params.genesisHash),
      block: undefined,
      parent: undefined,
      height: 0n,
      slot: 0n,
      leaderValue: 0n,
      status: 'valid',
      epochAfter: genesisEpochState(init.params, stakes),
      stakesAfter: stakes
    }
    const restored = init.restore?.nodes ?? []
    const first = restored[0]
    if (first === undefined || first.height === 1n) {
      this.canonical = new CanonicalIndex(this.genesis)
      if (first !== undefined) (first as { parent: BlockNode | undefined }).parent = this.genesis
      for (const n of restored) this.canonical.push(n)
    } else {
      this.canonical = new CanonicalIndex(first)
      for (const n of restored.slice(1)) this.canonical.push(n)
    }
    for (let h = this.canonical.lowest; this.canonical.get(h) !== undefined; h++) {
      const n = this.canonical.get(h) as BlockNode
      this.nodes.set(n.hex, n)
      this.live.add(n)
      this.headNode = n
      // the restored blocks' proposals, so a second block for one of their slots is still
      // detected as an equivocation (B-14) after a restart
      if (n.block !== undefined) this.recordProposal(n.block.header)
    }
    this.headNode ??= this.genesis
    // the store's blocks come decoded (loadChain checks them so); below the tip they keep only
    // their bytes from the start, not until the first head change (k + 2 blocks of up to 10,000
    // transactions on a restarted devnet node: ≈ 1.1 KB of heap each)
    this.slimBelowTip()
  }

  /** The current head. */
  get head (): BlockNode { return this.headNode }

  /** Height below or at which blocks are settled (final): head height − k. */
  get settledHeight (): bigint {
    const h = this.headNode.height - this.params.k
    return h > 0n ? h : 0n
  }

  /** The settled block. */
  get settled (): BlockNode { return this.canonical.get(this.settledHeight) as BlockNode }

  /** Subscribes to head changes. */
  onHeadChange (fn: (c: HeadChange) => void): void { this.listeners.push(fn) }

  /** The canonical block at `height`, if any. */
  blockAt (height: bigint): BlockNode | undefined {
    return height <= this.headNode.height ? this.canonical.get(height) : undefined
  }

  /** A known block (any branch) by hash. */
  getNode (hash: Uint8Array): BlockNode | undefined { return this.nodes.get(toHex(hash)) }

  /**
   * The block `hash` names if this node may hand it to a peer that asks for it by hash: known,
   * not found invalid, and not in the unchecked side-block pool (its leader eligibility is not
   * checked: any key can sign one, it is not relayed, and a peer that checked it would penalise
   * the sender as the relayer of an invalid block, R-5).
   */
  servable (hash: Uint8Array): BlockNode | undefined {
    const node = this.nodes.get(toHex(hash))
    return node === undefined || node.status === 'invalid' || this.unchecked.has(node) ? undefined : node
  }

  /** True iff `hash` names a known block, a pending orphan or a known-invalid block. */
  hasSeen (hash: Uint8Array): boolean {
    const hex = toHex(hash)
    return this.nodes.has(hex) || this.orphans.has(hex) || this.invalid.has(hex)
  }

  /** The account at the head (undefined if it does not exist). */
  account (id: Uint8Array): Readonly<AccountState> | undefined { return this.ledger.get(id) }

  /** The chain's clock, milliseconds since the Unix epoch. */
  clock (): bigint { return this.now() }

  /** The slot in progress by the chain's clock. */
  currentSlot (): bigint { return slotAt(this.now(), this.params) }

  /** Epoch of the slot in progress by the chain's clock. */
  currentEpoch (): bigint { return epochOf(this.currentSlot(), this.params) }

  /**
   * The signatures of `txs` (of `block`, in its order) are being verified elsewhere (the verifier
   * pool): when the block is applied, its state transition runs meanwhile and the verdicts are
   * collected before it is kept (see `applyNode`).
   */
  expectVerdicts (block: Block, txs: readonly SignedTx[], verdicts: PendingSignatures): void {
    this.pending.set(block, { txs, verdicts })
  }

  /** Equivocations observed so far (two headers, one proposer, one slot). */
  takeEquivocations (): Equivocation[] { return this.equivocations.splice(0) }

  /** Number of blocks waiting for their parent. */
  get orphanCount (): number { return this.orphans.size }

  /** Hashes of missing parents of waiting orphans (what sync should fetch). */
  missingParents (): Uint8Array[] {
    const out = new Map<string, Uint8Array>()
    for (const b of this.orphans.values()) {
      const p = b.header.header.parentHash
      const hex = toHex(p)
      if (!this.nodes.has(hex) && !this.orphans.has(hex)) out.set(hex, p)
    }
    return [...out.values()]
  }

  /**
   * Imports a decoded block. Throws ValidationError: REJECT rules for invalid blocks, and IGNORE
   * rules `B-3` known, `B-4` future slot, `B-5` unknown parent (kept as an orphan), `B-13` below the
   * settled point. An equivocating block (B-14) is imported and reported in the result.
   */
  importBlock (block: Block): ImportResult {
    const sh = block.header
    const hex = toHex(sh.hash)
    // [REJECT] B-2: for this chain
    if (!bytesEqual(sh.header.chainId, this.params.chainId)) throw new ValidationError('B-2', 'ERR_WRONG_CHAIN', 'block is for another chain')
    // [REJECT] (cached) a block already found invalid
    if (this.invalid.has(hex)) throw new ValidationError('B-12', 'ERR_KNOWN_INVALID', 'block was already found invalid')
    // [IGNORE] B-3: already known
    if (this.nodes.has(hex) || this.orphans.has(hex)) throw new ValidationError('B-3', 'ERR_KNOWN_BLOCK', 'block already known')
    // [IGNORE] B-4: not from the future beyond the drift allowance
    if (isFutureSlot(sh.header.slot, this.now(), this.params)) throw new ValidationError('B-4', 'ERR_FUTURE_SLOT', `slot ${sh.header.slot} has not started yet`)
    // [IGNORE] B-13: nothing at or below the settled height can change
    if (sh.header.height <= this.settledHeight) throw new ValidationError('B-13', 'ERR_BELOW_SETTLED', 'block height is at or below the settled height')
    // [REJECT] B-11, before a block is kept as an orphan and never cached by hash: the signed
    // header may be valid and only this copy's transactions wrong (caching would poison its hash)
    this.checkTxRoot(block)
    const parentHex = toHex(sh.header.parentHash)
    // [REJECT] B-12: a child of a block found invalid is invalid, not an orphan waiting for it
    if (this.invalid.has(parentHex)) {
      this.invalid.add(hex)
      throw new ValidationError('B-12', 'ERR_INVALID_ANCESTOR', 'parent block is invalid')
    }
    const parent = this.nodes.get(parentHex)
    if (parent === undefined) {
      // [REJECT] B-8: only a block signed by its proposer may occupy the bounded orphan pool, so
      // unsigned junk cannot push real orphans out (the signature is cheap to check)
      if (!verifyHeaderSignature(sh)) throw new ValidationError('B-8', 'ERR_BAD_HEADER_SIGNATURE', 'invalid header signature')
      this.addOrphan(hex, block)
      // [IGNORE] B-5: unknown parent (kept; sync fetches the parent)
      throw new ValidationError('B-5', 'ERR_UNKNOWN_PARENT', 'parent block unknown')
    }
    const result = this.importWithParent(block, parent)
    result.adopted = this.adoptOrphans(result.node)
    return result
  }

  /**
   * `importBlock` for a block this node just built on the head with `produceBlockApplied`, whose
   * state transition (`applied`) the ledger already holds: the block is checked like any other,
   * and when it becomes the head the ledger's state is kept instead of undone and applied again
   * (its state root is still compared with the header's, and every signature must be known valid
   * as for any block). If the import ends without applying it (it throws, or it did not become
   * the head), `applied` is undone: the ledger is the head's state again either way. Synchronous,
   * so nothing reads the ledger in between.
   */
  importProduced (block: Block, applied: BlockResult): ImportResult {
    if (this.produced !== undefined || !bytesEqual(block.header.header.parentHash, this.headNode.hash)) {
      undoBlock(this.ledger, applied.undo)
      throw new MemecoinError('ERR_INTERNAL', 'a produced block can only be imported on the head it was built on, one at a time')
    }
    this.produced = { block, applied }
    try {
      return this.importBlock(block)
    } finally {
      const left = this.produced
      this.produced = undefined
      if (left !== undefined) undoBlock(this.ledger, left.applied.undo)
    }
  }

  private importWithParent (block: Block, parent: BlockNode): ImportResult {
    const sh = block.header
    const hex = toHex(sh.hash)
    if (parent.status === 'invalid') {
      this.invalid.add(hex)
      throw new ValidationError('B-12', 'ERR_INVALID_ANCESTOR', 'parent block is invalid')
    }
    // B-6…B-10 passed against this very parent before relay: not checked again (B-9/B-10 below).
    // Used once: the entry (which holds the parent) goes now.
    const relayed = this.leaderCheckedWith.get(block)
    this.leaderCheckedWith.delete(block)
    const checked = relayed !== undefined && relayed.parent === parent ? relayed.vrfOutput : undefined
    if (checked === undefined) {
      try {
        checkHeaderAgainstParent(sh, parent, this.params)
      } catch (err) {
        this.invalid.add(hex)
        throw err
      }
    }
    let leader: bigint
    try {
      // β of a checked proof is its proof-to-hash output: the same value, without decoding it again
      leader = checked !== undefined ? leaderValue(checked) : headerLeaderValue(sh)
    } catch {
      this.invalid.add(hex)
      throw new ValidationError('B-9', 'ERR_BAD_VRF', 'malformed VRF proof')
    }
    // [REJECT] B-9/B-10 early when the epoch state the block is validated under is known: the
    // parent is validated, or its state follows from headers alone (a side branch within one
    // epoch). Only a child of an unvalidated block that opens a later epoch waits for its branch.
    let state: EpochState | undefined
    if (parent.epochAfter !== undefined && parent.stakesAfter !== undefined) {
      try {
        state = epochStateForSlot(parent.epochAfter, parent.stakesAfter, sh.header.slot, this.params)
      } catch (err) {
        // B-4 (too many empty epochs after the parent) is an IGNORE: not cached as invalid
        if (!(err instanceof ValidationError && err.rule === 'B-4')) this.invalid.add(hex)
        throw err
      }
    } else if (parent.headerEpoch !== undefined && epochOf(sh.header.slot, this.params) === parent.headerEpoch.epoch) {
      state = parent.headerEpoch
    }
    let vrfOutput: Uint8Array | undefined
    if (state !== undefined) {
      try {
        // a relay's check used the parent's epoch state (it requires one), as `state` does here
        vrfOutput = checked ?? checkLeader(sh, state, this.params)
      } catch (err) {
        this.invalid.add(hex)
        throw err
      }
    }
    // B-14 for blocks whose leader is checked; an unchecked one's proposal is recorded when it is
    // validated (otherwise any key could fill the proposals map until its blocks settle)
    const equivocation = vrfOutput !== undefined ? this.recordProposal(sh) : undefined
    const node: BlockNode = {
      hash: sh.hash, hex, block, parent, height: sh.header.height, slot: sh.header.slot, leaderValue: leader, status: 'pending'
    }
    if (state !== undefined && vrfOutput !== undefined) {
      node.vrfOutput = vrfOutput
      node.headerEpoch = epochStateAfter(state, node.slot, vrfOutput, this.params)
    }
    if (compareTips(node, this.headNode) < 0) {
      const change = this.switchTo(node)
      // an unchecked block's proposal was recorded as it was validated
      const ev = equivocation ?? (vrfOutput === undefined ? this.equivocationWith(sh) : undefined)
      return { status: change.undone.length > 0 ? 'reorg' : 'head', node, change, adopted: 0, equivocation: ev }
    }
    if (vrfOutput === undefined) {
      // [IGNORE] B-13: the unchecked pool evicts its oldest (with their descendants) to make room,
      // never this block's own ancestors; if only they are left, the block is refused
      this.makeUncheckedRoom(node)
      this.unchecked.add(node)
      this.uncheckedTxs += block.txs.length
    } else if (this.live.size - this.unchecked.size >= this.maxSideBlocks + Number(this.params.k) + 1) {
      throw new ValidationError('B-13', 'ERR_TOO_MANY_SIDE_BLOCKS', 'side-branch pool is full')
    }
    this.nodes.set(hex, node)
    this.live.add(node)
    this.stats.sideBlocks++
    return { status: 'side', node, adopted: 0, equivocation }
  }

  /** [REJECT] B-11 (`checkTxRoot`), made once per block object. Throws ValidationError. */
  checkTxRoot (block: Block): void {
    if (this.txRootChecked.has(block)) return
    checkTxRoot(block)
    this.txRootChecked.add(block)
  }

  /**
   * [REJECT] B-6…B-10 of `block` against `parent`, a validated block (its epoch state known):
   * height, slot, header signature, VRF proof and eligibility. Returns the VRF output; remembered
   * for this block object and parent, so its import does not check them again. Throws
   * ValidationError (B-4 when the parent is too many epochs back).
   */
  checkHeaderAndLeader (block: Block, parent: BlockNode): Uint8Array {
    const known = this.leaderCheckedWith.get(block)
    if (known !== undefined && known.parent === parent) return known.vrfOutput
    if (parent.epochAfter === undefined || parent.stakesAfter === undefined) throw new MemecoinError('ERR_INTERNAL', 'leader check against a parent without its epoch state')
    const sh = block.header
    checkHeaderAgainstParent(sh, parent, this.params)
    const vrfOutput = checkLeader(sh, epochStateForSlot(parent.epochAfter, parent.stakesAfter, sh.header.slot, this.params), this.params)
    this.leaderCheckedWith.set(block, { parent, vrfOutput })
    return vrfOutput
  }

  /** True iff `node`'s leader was checked (B-9/B-10): validated, or checked early on import. */
  leaderChecked (node: BlockNode): boolean {
    return node.vrfOutput !== undefined
  }

  /**
   * Evicts the oldest unchecked side blocks that are not ancestors of `node` (each with its
   * descendants, none of which is an ancestor of `node` either) until `node` fits the pool's
   * count and transaction bounds. Throws B-13 if it cannot fit beside its own ancestors.
   */
  private makeUncheckedRoom (node: BlockNode): void {
    const txs = node.block?.txs.length ?? 0
    const fits = (): boolean => this.unchecked.size + 1 <= this.maxUncheckedSideBlocks && this.uncheckedTxs + txs <= this.maxUncheckedTxs
    if (fits()) return
    const ancestors = new Set<BlockNode>()
    for (let a = node.parent; a !== undefined && this.unchecked.has(a); a = a.parent) ancestors.add(a)
    for (const oldest of this.unchecked) {
      if (fits()) return
      if (ancestors.has(oldest) || !this.unchecked.has(oldest)) continue
      this.dropSubtree(oldest, false)
    }
    if (!fits()) throw new ValidationError('B-13', 'ERR_TOO_MANY_SIDE_BLOCKS', 'pool of unchecked side blocks is full')
  }

  /**
   * Removes a side block and every live block descending from it from the tree; `invalid`
   * caches their hashes as invalid (B-12), otherwise they may come again.
   */
  private dropSubtree (node: BlockNode, invalid: boolean): void {
    const drop = (n: BlockNode): void => {
      if (invalid) {
        n.status = 'invalid'
        this.invalid.add(n.hex)
      }
      this.forgetSide(n)
    }
    drop(node)
    for (const other of [...this.live]) {
      for (let a = other.parent; a !== undefined && a.height >= node.height; a = a.parent) {
        if (a === node) {
          drop(other)
          break
        }
      }
    }
  }

  /** Removes a side block from the tree's indexes. */
  private forgetSide (node: BlockNode): void {
    this.nodes.delete(node.hex)
    this.live.delete(node)
    if (this.unchecked.delete(node)) this.uncheckedTxs -= node.block?.txs.length ?? 0
  }

  /**
   * [IGNORE] B-14: a second valid header by the same proposer for the same slot is evidence. The
   * block is still imported (the honest majority may build on it, and every node must be able to
   * follow), but the network does not relay it.
   */
  private recordProposal (sh: SignedHeader): Equivocation | undefined {
    const key = `${toHex(sh.header.proposer)}:${sh.header.slot}`
    const first = this.proposals.get(key)
    if (first === undefined) {
      this.proposals.set(key, sh)
      return undefined
    }
    if (bytesEqual(first.hash, sh.hash)) return undefined
    const ev = { a: first, b: sh }
    if (this.equivocations.length < DEFAULT_MAX_EVIDENCE) this.equivocations.push(ev)
    return ev
  }

  /** The equivocation `sh` forms with the first recorded header of its (proposer, slot), if any. */
  private equivocationWith (sh: SignedHeader): Equivocation | undefined {
    const first = this.proposals.get(`${toHex(sh.header.proposer)}:${sh.header.slot}`)
    return first === undefined || bytesEqual(first.hash, sh.hash) ? undefined : { a: first, b: sh }
  }

  /** Makes `target` (whose parent is known) the head: undo to the fork point, apply its branch. */
  private switchTo (target: BlockNode): HeadChange {
    const branch: BlockNode[] = []
    let n: BlockNode = target
    while (!this.isCanonical(n)) {
      branch.push(n)
      n = n.parent as BlockNode
    }
    const fork = n
    // [IGNORE] B-13: never reorganise past the settled point
    if (fork.height < this.settledHeight) throw new ValidationError('B-13', 'ERR_REORG_TOO_DEEP', 'fork point is below the settled height')
    branch.reverse()
    // every block to undo must have its undo record, checked before anything changes: failing
    // half-way would leave the ledger and the canonical index between two chains
    for (let u = this.headNode; u !== fork; u = u.parent as BlockNode) {
      if (u.undo === undefined) throw new MemecoinError('ERR_INTERNAL', `cannot reorganise to ${target.hex.slice(0, 12)}: block ${u.height} has no undo record`)
    }
    const undone: BlockNode[] = []
    const touched = new Map<string, Uint8Array>()
    const touchedSlashed = new Map<string, { proposer: Uint8Array, slot: bigint }>()
    const collect = ({ accounts, slashed }: UndoRecord): void => {
      for (let i = 0; i < accounts.length; i++) {
        const a = accounts[i] as UndoRecord['accounts'][number]
        // the hex the ledger's journal keyed the account by (a decoded undo record has none)
        touched.set(a.key ?? toHex(a.id), a.id)
      }
      for (const x of slashed) touchedSlashed.set(`${toHex(x.proposer)}:${x.slot}`, { proposer: x.proposer, slot: x.slot })
    }
    while (this.headNode !== fork) undone.push(this.undoHead(collect))
    const applied: BlockNode[] = []
    for (const node of branch) {
      try {
        collect(this.applyNode(node))
        applied.push(node)
      } catch (err) {
        // B-4 (too many empty epochs, an IGNORE) drops the branch from here without caching it
        // as invalid; anything else is a REJECT rule: it and its descendants are invalid
        this.dropSubtree(node, !(err instanceof ValidationError && err.rule === 'B-4'))
        // restore the previous chain exactly
        for (let i = applied.length - 1; i >= 0; i--) this.undoHead()
        for (let i = undone.length - 1; i >= 0; i--) this.applyNode(undone[i] as BlockNode)
        throw err
      }
    }
    if (undone.length > 0) {
      this.stats.reorgs++
      this.stats.maxReorgDepth = Math.max(this.stats.maxReorgDepth, undone.length)
    }
    this.prune()
    const change: HeadChange = {
      head: this.headNode,
      undone,
      applied,
      included: applied.flatMap((b) => b.block?.txs ?? []),
      orphaned: undone.flatMap((b) => b.block?.txs ?? []),
      touchedAccounts: [...touched.values()],
      touchedKeys: [...touched.keys()],
      touchedSlashed: [...touchedSlashed.values()]
    }
    for (const fn of this.listeners) fn(change)
    this.slimBelowTip()
    return change
  }

  /**
   * Lets the canonical blocks below the `decodedTipBlocks` at the tip drop their decoded
   * transactions (≈ 1 KB of heap each): each becomes its bytes and header, with `txs` decoded
   * again from the bytes on first access and kept from then on. Nothing on the path of a new
   * block reads them: its import, the mempool and persistence take the transactions from the
   * head change (made before this), the transaction index takes the blocks when the change is
   * announced. A reorg deeper than the decoded tip (the slim block carries the block's signature
   * verdict: see `slimBlock`), the API and an index catching up pay a decode. Without
   * this a node kept k + KEEP_SETTLED_BLOCKS
   * blocks of decoded transactions, which the collector promoted and marked over and over.
   * Walks down from the tip until it meets a block already slim, so a reorg's new blocks are
   * covered and a step costs O(1) otherwise.
   */
  private slimBelowTip (): void {
    for (let h = this.headNode.height - this.decodedTipBlocks; h > 0n; h--) {
      const node = this.canonical.get(h)
      if (node === undefined || node.block === undefined || this.slim.has(node.block)) return
      const slimmed = this.slimBlock(node.block)
      ;(node as { block: Block | undefined }).block = slimmed
      this.slim.add(slimmed)
    }
  }

  /**
   * `block` (canonical, so fully validated) as its bytes and header. Its transactions, decoded
   * again, are new objects; the slim block is marked verified as the block was (the same bytes
   * passed their signature checks when it was applied), so a reorg that applies it again does
   * not verify them again on this thread.
   */
  private slimBlock (block: Block): Block {
    const { bytes, header } = block
    const params = this.params
    let txs: SignedTx[] | undefined
    const slimmed: Block = {
      bytes,
      header,
      get txs (): SignedTx[] {
        // the bytes decoded before under the same limits: this cannot throw short of a bug
        txs ??= decodeBlock(bytes, params).txs
        return txs
      }
    }
    if (this.verifiedBlocks.has(block)) this.verifiedBlocks.add(slimmed)
    return slimmed
  }

  private isCanonical (n: BlockNode): boolean {
    return this.canonical.get(n.height) === n
  }

  /** Fully validates `node` on top of the head and makes it the head; returns its undo record. */
  private applyNode (node: BlockNode): UndoRecord {
    const parent = node.parent as BlockNode
    const block = node.block as Block
    const sh = block.header
    const state = epochStateForSlot(parent.epochAfter as EpochState, parent.stakesAfter as StakeSnapshot, node.slot, this.params)
    // the proof depends only on the parent's state, so an early check stays valid
    const checkedEarly = node.vrfOutput !== undefined
    const beta = node.vrfOutput ?? checkLeader(sh, state, this.params)
    node.vrfOutput = beta
    const ctx = { params: this.params, slot: node.slot, epoch: state.epoch, proposer: sh.header.proposer }
    let res: BlockResult | undefined
    let known: boolean
    const pending = this.pending.get(block)
    const produced = this.produced
    if (produced !== undefined && produced.block === block) {
      // built by this node on this very parent (importProduced): the ledger holds the block's
      // transition already; kept when its signatures are known valid and its root is the
      // header's, as an applied block would be, else undone and applied as any other
      this.produced = undefined
      known = this.signaturesKnownValid(block)
      if (known && bytesEqual(this.ledger.root(), sh.header.stateRoot)) res = produced.applied
      else undoBlock(this.ledger, produced.applied.undo)
    } else if (pending !== undefined) {
      this.pending.delete(block)
      // The pool is still verifying: apply meanwhile as if every signature were valid, then
      // collect the verdicts. The block is kept only if they all hold; otherwise (or if the
      // speculative apply failed) the ledger is restored exactly and the block goes through the
      // path below, which yields exactly the error it yields without the pool.
      res = this.applySpeculatively(block.txs, ctx, sh.header.stateRoot)
      known = this.signaturesKnownValid(block, { txs: pending.txs, verdicts: pending.verdicts.wait() })
      if (!known && res !== undefined) {
        undoBlock(this.ledger, res.undo)
        res = undefined
      }
    } else {
      known = this.signaturesKnownValid(block)
    }
    if (res === undefined) {
      res = applyBlock(this.ledger, block.txs, ctx, { verifySignatures: !known })
      if (!bytesEqual(this.ledger.root(), sh.header.stateRoot)) {
        undoBlock(this.ledger, res.undo)
        // [REJECT] B-12: the state root commits to the state after the block
        throw new ValidationError('B-12', 'ERR_BAD_STATE_ROOT', 'state root does not match the state after the block')
      }
    }
    // every signature held: known valid, or checked by applyBlock
    this.verifiedBlocks.add(block)
    node.undo = encodeUndo(res.undo)
    node.minted = res.minted
    node.burned = res.burned
    node.epochAfter = epochStateAfter(state, node.slot, beta, this.params)
    node.stakesAfter = this.ledger.stakeSnapshot()
    node.status = 'valid'
    node.headerEpoch = node.epochAfter
    if (!checkedEarly) this.recordProposal(sh)
    this.nodes.set(node.hex, node)
    this.live.add(node)
    if (this.unchecked.delete(node)) this.uncheckedTxs -= block.txs.length
    this.canonical.push(node)
    this.headNode = node
    return res.undo
  }

  /**
   * `applyBlock` without signature checks, kept only if the state root matches; undefined (the
   * ledger unchanged) if anything fails. The caller keeps the result only once every signature
   * is known valid, when it equals what `applyBlock` with the known verdicts returns.
   */
  private applySpeculatively (txs: readonly SignedTx[], ctx: BlockContext, stateRoot: Uint8Array): BlockResult | undefined {
    let res: BlockResult
    try {
      res = applyBlock(this.ledger, txs, ctx, { verifySignatures: false })
    } catch {
      return undefined // rolled back by applyBlock; the checked path reports the error
    }
    if (bytesEqual(this.ledger.root(), stateRoot)) return res
    undoBlock(this.ledger, res.undo)
    return undefined
  }

  /**
   * True iff every transaction of `block` has a valid signature, taking the block's own mark
   * (applied before), verdicts checked ahead (`expectVerdicts`: `ahead.txs` in the block's order,
   * each matched by object) and cached ones, and verifying (and caching) the rest. False at the
   * first bad one, or without a cache for one not checked ahead: applyBlock then verifies every
   * signature itself, so the B-12 error (first failing index, rule, code) is exactly what it is
   * without either.
   */
  private signaturesKnownValid (block: Block, ahead?: { txs: readonly SignedTx[], verdicts: boolean[] | undefined }): boolean {
    if (this.verifiedBlocks.has(block)) return true
    const cache = this.sigCache
    const txs = block.txs
    let j = 0
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i] as SignedTx
      if (ahead !== undefined && ahead.txs[j] === tx) {
        // checked ahead: a verdict either way decides; none (the pool failed) leaves it to the rest
        const v = ahead.verdicts?.[j++]
        if (v === true) continue
        if (v === false) return false
      }
      if (cache === undefined) return false
      if (cache.has(tx)) continue
      if (!verifyTxSignature(tx)) return false
      cache.add(tx)
    }
    return true
  }

  /** Removes the head block from the canonical chain, restoring the ledger; `seen` gets its undo record first. */
  private undoHead (seen?: (undo: UndoRecord) => void): BlockNode {
    const node = this.headNode
    if (node.undo === undefined) throw new MemecoinError('ERR_INTERNAL', 'cannot undo a block without an undo record')
    const undo = decodeUndo(node.undo)
    seen?.(undo)
    undoBlock(this.ledger, undo)
    node.undo = undefined
    this.canonical.pop()
    this.headNode = node.parent as BlockNode
    return node
  }


  /** Drops side blocks that can no longer win, and undo records and proposals older than k. */
  private prune (): void {
    const settled = this.settledHeight
    for (const node of [...this.live]) {
      const canonical = this.isCanonical(node)
      if (node.height < settled) {
        if (canonical) this.live.delete(node)
        else this.forgetSide(node)
        continue
      }
      if (canonical) continue
      // a side block whose fork point is below the settled height can never be chosen (B-13)
      let a: BlockNode | undefined = node
      while (a !== undefined && !this.isCanonical(a)) a = a.parent
      if (a === undefined || a.height < settled) this.forgetSide(node)
    }
    for (let h = this.headNode.height - this.params.k - 1n; h > this.canonical.lowest; h--) {
      const node = this.canonical.get(h) as BlockNode
      if (node.undo === undefined) break
      node.undo = undefined
    }
    const keepFrom = settled - BigInt(Math.min(this.keepSettledBlocks, Number(settled)))
    const dropped = this.canonical.dropBelow(keepFrom)
    for (const old of dropped) {
      if (old !== this.genesis) this.nodes.delete(old.hex)
    }
    if (dropped.length > 0) {
      // Cut the parent link below the lowest block kept: every block points at its parent, so
      // without this the head would keep the whole chain since genesis reachable in memory.
      const base = this.canonical.get(this.canonical.lowest)
      if (base !== undefined && base !== this.genesis) (base as { parent: BlockNode | undefined }).parent = undefined
    }
    for (const [key, sh] of this.proposals) {
      if (sh.header.height < settled) this.proposals.delete(key)
    }
  }

  /** Keeps an orphan, evicting the oldest while the pool is over its count or transaction bound. */
  private addOrphan (hex: string, block: Block): void {
    while (this.orphans.size > 0 && (this.orphans.size >= this.maxOrphans || this.orphanTxs + block.txs.length > this.maxOrphanTxs)) {
      const [oldest, b] = this.orphans.entries().next().value as [string, Block]
      this.deleteOrphan(oldest, b)
    }
    this.orphans.set(hex, block)
    this.orphanTxs += block.txs.length
  }

  private deleteOrphan (hex: string, block: Block): void {
    if (this.orphans.delete(hex)) this.orphanTxs -= block.txs.length
  }

  /** Imports waiting orphans that descend from `node` (bounded by the pool size). */
  private adoptOrphans (node: BlockNode): number {
    let adopted = 0
    const queue: BlockNode[] = [node]
    while (queue.length > 0) {
      const parent = queue.shift() as BlockNode
      for (const [hex, b] of [...this.orphans]) {
        // a parent dropped meanwhile (an unchecked side block evicted by a sibling's import, a
        // branch found invalid): its orphans wait for it again, never hang off a removed node
        if (this.nodes.get(parent.hex) !== parent) break
        if (!bytesEqual(b.header.header.parentHash, parent.hash)) continue
        this.deleteOrphan(hex, b)
        try {
          const r = this.importWithParent(b, parent)
          adopted++
          queue.push(r.node)
        } catch {
          // an invalid or ignored orphan is simply dropped
        }
      }
    }
    return adopted
  }
}
