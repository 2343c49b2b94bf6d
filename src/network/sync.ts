/**
 * Catching up (SPEC §10). Range sync: when a peer's status is ahead of our head, fetch its
 * canonical chain from our settled height + 1 in requests of `batch` blocks, one peer at a time,
 * the next request in flight while the current one imports; bounded in requests and time per
 * pass and in passes per run. Parent fetch: when blocks wait for unknown parents (B-5), ask for
 * the missing hashes by hash, walking back at most `parentRounds` rounds; an orphan far above our
 * head is caught up by range instead. Every block goes through ChainService.importBlock; a
 * REJECTed one penalises the peer that sent it.
 */
import type { Logger, PeerId } from '@libp2p/interface'
import { actionOf, type ChainService } from '../chain/service.ts'
import { bytesEqual, toHex } from '../core/bytes.ts'
import { ValidationError } from '../core/errors.ts'
import type { Block } from '../core/types.ts'
import type { Status } from '../wire/messages.ts'
import {
  PARENT_FETCH_BATCH, PARENT_FETCH_MAX_GAP, PARENT_FETCH_MAX_ROUNDS, SYNC_BATCH, SYNC_MAX_PASSES, SYNC_MAX_REQUESTS,
  SYNC_PASS_TIMEOUT_MS, SYNC_TICK_MS
} from './constants.ts'
import { NetworkError } from './stream-io.ts'
import { timeoutSignal } from './timeout-signal.ts'
import { peekBlockHeader } from '../wire/block.ts'

/**
 * Range blocks handed to the chain service ahead of the one being judged, across the responses
 * of a pass: their signatures verify in the worker pool while the earlier blocks apply (bounded:
 * at most this many decoded blocks wait in the import queue per sync).
 */
export const SYNC_IMPORT_AHEAD = 8
/** Peers a missing parent is asked of, at most (the orphan's sender, then the best other). */
export const PARENT_PEERS_PER_HASH = 2
/** Missing parents remembered with the peers asked for them. */
export const MAX_UNAVAILABLE_PARENTS = 4096

/** A range block handed to the chain service, not judged yet. */
interface Pending {
  bytes: Uint8Array
  /** The pass's first block: right above our settled one (see `judge`). */
  aboveSettled: boolean
  /** Settles to the import's error, or undefined. */
  outcome: Promise<unknown>
}

/** A block's hash from its bytes, undefined if its header does not decode (its import says why). */
function hashOf (bytes: Uint8Array): Uint8Array | undefined {
  try {
    return peekBlockHeader(bytes).hash
  } catch {
    return undefined
  }
}

/** True iff `first` is a block whose parent is the block hashed `parent`. */
function continues (parent: Uint8Array | undefined, first: Uint8Array | undefined): boolean {
  if (parent === undefined || first === undefined) return false
  try {
    return bytesEqual(peekBlockHeader(first).header.parentHash, parent)
  } catch {
    return false
  }
}

/** Bounds of sync (defaults in constants.ts, and SYNC_IMPORT_AHEAD). */
export interface SyncOptions {
  batch: number
  importAhead: number
  maxRequests: number
  passTimeoutMs: number
  maxPasses: number
  parentRounds: number
  parentBatch: number
  maxParentGap: bigint
  tickMs: number
}

/** What sync needs from the network service. */
export interface SyncInit {
  chain: ChainService
  fetchRange: (peer: PeerId, start: bigint, count: number, signal: AbortSignal) => Promise<Uint8Array[]>
  fetchByHash: (peer: PeerId, hashes: Uint8Array[], signal: AbortSignal) => Promise<Uint8Array[]>
  /** A block `peer` sent failed validation (REJECT). */
  onInvalidBlock: (peer: PeerId, reason: string) => void
  /**
   * `peer`'s chain leaves ours at or below our settled height (its block right above it does not
   * descend from our settled block): this node cannot follow it (B-13), only be resynced.
   */
  onDiverged?: (peer: PeerId, settledHeight: bigint, proposer: Uint8Array) => void
  log: Logger
  options?: Partial<SyncOptions>
}

/** Sync state for `/status`. */
export interface SyncState {
  /** A range sync or parent fetch is running. */
  syncing: boolean
  /**
   * The running range sync has moved our head: this node is behind its peers. A peer's claim of
   * a higher head (which costs nothing) makes `syncing` true, never this; a validator skips its
   * slots only while this holds.
   */
  catchingUp: boolean
  /** The highest head height among our peers and us. */
  targetHeight: bigint
  /** Peers with a completed status handshake. */
  peers: number
}

/** Counters of sync work, for metrics and tests. */
export interface SyncStats { rangeRequests: number, hashRequests: number, passes: number }

/** A peer's chain as we last heard it. */
export interface PeerChain { id: PeerId, headHeight: bigint, headSlot: bigint, settledHeight: bigint }

/** Range sync and parent fetch. */
export class Sync {
  readonly stats: SyncStats = { rangeRequests: 0, hashRequests: 0, passes: 0 }
  private readonly opts: SyncOptions
  private readonly peers = new Map<string, PeerChain>()
  /** Peers whose last pass made no progress, with the head height they had then. */
  private readonly stale = new Map<string, bigint>()
  /**
   * Peers whose last pass ended on a short response (fewer blocks than asked while their status
   * claims more), and how many such passes in a row: tried after every other peer, and not twice
   * in one run. A peer claiming the highest head and trickling a block per response otherwise
   * stayed first in line for good and held a lagging node's catch-up to its pace.
   */
  private readonly short = new Map<string, number>()
  /** Parent hashes asked for and not delivered: not asked again (until forgotten). */
  /** Missing parents (hex) and the peers asked for each in vain; bounded, oldest first out. */
  private readonly unavailable = new Map<string, string[]>()
  private controller = new AbortController()
  private running: Promise<void> | undefined
  private again = false
  private syncing = false
  private catchingUp = false
  private parentPeer: PeerId | undefined
  private timer: ReturnType<typeof setInterval> | undefined

  constructor (private readonly init: SyncInit) {
    this.opts = {
      batch: SYNC_BATCH,
      importAhead: SYNC_IMPORT_AHEAD,
      maxRequests: SYNC_MAX_REQUESTS,
      passTimeoutMs: SYNC_PASS_TIMEOUT_MS,
      maxPasses: SYNC_MAX_PASSES,
      parentRounds: PARENT_FETCH_MAX_ROUNDS,
      parentBatch: PARENT_FETCH_BATCH,
      maxParentGap: PARENT_FETCH_MAX_GAP,
      tickMs: SYNC_TICK_MS,
      ...init.options
    }
  }

  /** Starts the maintenance tick. */
  start (): void {
    this.controller = new AbortController()
    this.timer = setInterval(() => { this.tick() }, this.opts.tickMs)
    this.timer.unref?.()
  }

  /** Stops: aborts requests in flight and waits for the running pass to end. */
  async stop (): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.controller.abort()
    await this.running?.catch(() => {})
    this.peers.clear()
    this.stale.clear()
    this.short.clear()
  }

  /** The sync state for `/status`. */
  state (): SyncState {
    let target = this.init.chain.chain.head.height
    for (const p of this.peers.values()) if (p.headHeight > target) target = p.headHeight
    return { syncing: this.syncing, catchingUp: this.catchingUp, targetHeight: target, peers: this.peers.size }
  }

  /** Peers with a completed handshake and their chains. */
  peerChains (): PeerChain[] { return [...this.peers.values()] }

  /** A peer's status arrived (handshake); a peer ahead of us starts a sync. */
  setPeer (id: PeerId, s: Status): void {
    this.peers.set(id.toString(), { id, headHeight: s.headHeight, headSlot: s.headSlot, settledHeight: s.settledHeight })
    if (s.headHeight > this.init.chain.chain.head.height) this.trigger()
  }

  /** Forgets a disconnected peer. */
  removePeer (id: PeerId): void {
    this.peers.delete(id.toString())
    this.stale.delete(id.toString())
    this.short.delete(id.toString())
  }

  /** A block from `id` imported: its head is at least that high. */
  noteHeight (id: PeerId, height: bigint): void {
    const p = this.peers.get(id.toString())
    if (p !== undefined && height > p.headHeight) p.headHeight = height
  }

  /** A block from `id` waits for an unknown parent: fetch its ancestors (by hash, or by range if far ahead). */
  onUnknownParent (id: PeerId, block: Block | undefined): void {
    const height = block?.header.header.height
    // far ahead: catch up by range from this peer; near: walk back by hash
    if (height !== undefined && height > this.init.chain.chain.head.height + this.opts.maxParentGap) this.noteHeight(id, height)
    else this.parentPeer = id
    this.trigger()
  }

  /** Runs a sync now, or once more after the running one. */
  trigger (): void {
    if (this.controller.signal.aborted) return
    if (this.running !== undefined) {
      this.again = true
      return
    }
    this.running = this.run().finally(() => { this.running = undefined })
  }

  private tick (): void {
    const head = this.init.chain.chain.head.height
    const ahead = [...this.peers.values()].some((p) => p.headHeight > head && this.stale.get(p.id.toString()) !== p.headHeight)
    if (ahead || this.init.chain.chain.missingParents().length > 0) this.trigger()
  }

  private async run (): Promise<void> {
    // bounded: a trigger during a run causes at most a few more runs
    for (let i = 0; i < 4; i++) {
      this.again = false
      try {
        await this.rangeSync()
        await this.fetchParents()
      } catch (err) {
        this.init.log.error('sync failed: %s', (err as Error).message)
      } finally {
        this.syncing = false
        this.catchingUp = false
      }
      if (!this.again || this.controller.signal.aborted) return
    }
  }

  /** Passes of range sync, one peer each, best peer first. */
  private async rangeSync (): Promise<void> {
    const tried = new Set<string>()
    for (let pass = 0; pass < this.opts.maxPasses && !this.controller.signal.aborted; pass++) {
      const head = this.init.chain.chain.head.height
      const shortOf = (p: PeerChain): number => this.short.get(p.id.toString()) ?? 0
      const candidates = [...this.peers.values()]
        .filter((p) => p.headHeight > head && !tried.has(p.id.toString()) && this.stale.get(p.id.toString()) !== p.headHeight)
        // peers that answered in full first, then the highest claimed head
        .sort((a, b) => shortOf(a) - shortOf(b) || (b.headHeight > a.headHeight ? 1 : b.headHeight < a.headHeight ? -1 : 0))
      const peer = candidates[0]
      if (peer === undefined) return
      const key = peer.id.toString()
      tried.add(key)
      this.syncing = true
      this.stats.passes++
      const claimed = peer.headHeight
      const { progressed, short } = await this.syncFrom(peer, claimed)
      // a peer gone meanwhile leaves no entry behind
      if (!this.peers.has(key)) continue
      if (progressed) this.stale.delete(key)
      else this.stale.set(key, claimed)
      if (short) this.short.set(key, shortOf(peer) + 1)
      else this.short.delete(key)
      // after full progress the same peer may be tried again (it may have more by now)
      if (progressed && !short) tried.delete(key)
    }
  }

  /**
   * One pass from one peer: pipelined blocks-by-range from our settled height + 1. `progressed`:
   * our head moved; `short`: a response held fewer blocks than asked while the peer's status
   * claims more (a reorg at the responder does that once in a while; a peer doing it every time
   * is slow-walking us).
   */
  private async syncFrom (peer: PeerChain, claimed: bigint): Promise<{ progressed: boolean, short: boolean }> {
    const { chain, log } = this.init
    const startHead = chain.chain.head
    // the pass's budget (not AbortSignal.any with AbortSignal.timeout: see timeout-signal.ts)
    const budget = timeoutSignal(this.opts.passTimeoutMs, this.controller.signal)
    const pass = budget.signal
    const local = new AbortController()
    const signal = AbortSignal.any([pass, local.signal])
    const fetch = (start: bigint): Promise<Uint8Array[]> => {
      this.stats.rangeRequests++
      const p = this.init.fetchRange(peer.id, start, this.opts.batch, signal)
      p.catch(() => {}) // awaited later; never an unhandled rejection
      return p
    }
    const settled = chain.chain.settledHeight
    let start = settled + 1n
    let next = fetch(start)
    let short = false
    const source = { peer: peer.id.toString() }
    // Blocks handed to the chain service and not judged yet, oldest first. The window runs on
    // across responses: the next response's first blocks are queued while the last ones of this
    // response still import, so the verifier pool does not run dry at every response's end.
    const pending: Pending[] = []
    /** Judges the oldest pending block; false: the pass stops here. */
    const judgeOldest = async (): Promise<boolean> => {
      const p = pending.shift() as Pending
      const err = await p.outcome
      return err === undefined || this.judge(peer.id, err, p.bytes, p.aboveSettled ? settled : undefined)
    }
    const done = (s: boolean): { progressed: boolean, short: boolean } => ({ progressed: chain.chain.head !== startHead, short: s })
    /** Hash of the last block handed over (what the next response's first block should descend from). */
    let lastHash: Uint8Array | undefined
    log('range sync from %p: %d → %d', peer.id, start, peer.headHeight)
    try {
      for (let req = 0; req < this.opts.maxRequests; req++) {
        let blocks: Uint8Array[]
        try {
          blocks = await next
        } catch (err) {
          log('range request to %p failed: %s', peer.id, (err as Error).message)
          // what was queued is judged first (an invalid block among it still penalises)
          while (pending.length > 0) if (!await judgeOldest()) break
          // a peer that lets requests fail (time out) is not asked first next time either
          return done(true)
        }
        // against the head it claimed when the pass began (its gossip may raise it meanwhile)
        if (blocks.length < this.opts.batch && start + BigInt(blocks.length) <= claimed) short = true
        const more = blocks.length === this.opts.batch && start + BigInt(this.opts.batch) <= peer.headHeight && req + 1 < this.opts.maxRequests && !pass.aborted
        if (more) next = fetch(start + BigInt(this.opts.batch))
        // the window runs on only where this response continues the last one (the client checks
        // that within a response): after a break (the responder reorganised, or the last blocks
        // were forged) what is queued is judged first, and descendants of an invalid block are
        // not parked as orphans
        if (pending.length > 0 && !continues(lastHash, blocks[0])) {
          while (pending.length > 0) if (!await judgeOldest()) return done(short)
        }
        for (let i = 0; i < blocks.length; i++) {
          // at most importAhead + 1 blocks handed over and not judged
          while (pending.length > this.opts.importAhead) if (!await judgeOldest()) return done(short)
          if (this.controller.signal.aborted) return done(short)
          // settles to the error (or undefined): never an unhandled rejection
          // a block that moves our head: we are behind (see SyncState.catchingUp)
          const outcome = chain.importBlock(blocks[i] as Uint8Array, source).then((r) => { if (r.status !== 'side') this.catchingUp = true }, (err: unknown) => err ?? new Error('import failed'))
          pending.push({ bytes: blocks[i] as Uint8Array, aboveSettled: start === settled + 1n && i === 0, outcome })
        }
        lastHash = blocks.length > 0 ? hashOf(blocks[blocks.length - 1] as Uint8Array) : undefined
        if (!more) break
        start += BigInt(this.opts.batch)
      }
      while (pending.length > 0) if (!await judgeOldest()) return done(short)
      return done(short)
    } finally {
      local.abort()
      budget.clear()
    }
  }

  /**
   * Judges a range block's failed import (`err`); true if the pass goes on past it. Blocks are
   * judged in order; the few queued after a failure still run their import (descendants of an
   * invalid block fail as such) and nothing else is judged or penalised. `settled`: our settled
   * height, given for the block right above it (the first of the pass).
   */
  private judge (peer: PeerId, err: unknown, bytes: Uint8Array, settled?: bigint): boolean {
    const action = actionOf(err)
    if (action === 'REJECT') {
      // an invalid block in a response penalises the sender (not once stopped: the
      // queued imports may settle after stop(), when the network is gone)
      if (!this.controller.signal.aborted) this.init.onInvalidBlock(peer, (err as Error).message)
      return false
    }
    const rule = err instanceof ValidationError ? err.rule : undefined
    // B-3 known and B-13 at/below settled are expected while overlapping our chain; but a
    // "known" first block that is not in our chain and whose parent we lack is an orphan an
    // earlier peer's pass parked: this peer's chain left ours below the settled point too
    // (a LAN test: only the first of three peers counted, and the warning never came)
    if (rule === 'B-3' && settled !== undefined && !this.controller.signal.aborted) {
      const sh = peekBlockHeader(bytes)
      const known = this.init.chain.chain
      if (known.getNode(sh.hash) === undefined && known.getNode(sh.header.parentHash) === undefined) this.init.onDiverged?.(peer, settled, sh.header.proposer)
    }
    if (rule === 'B-3' || rule === 'B-13') return true
    // B-5 (the peer's chain leaves ours below our settled point), B-4 (future), our own failures
    this.init.log('range sync from %p stopped: %s', peer, (err as Error).message)
    // the block right above our settled one has a parent we do not know: the peer's chain
    // forked off at or below our settled height
    if (rule === 'B-5' && settled !== undefined && !this.controller.signal.aborted) this.init.onDiverged?.(peer, settled, peekBlockHeader(bytes).header.proposer)
    return false
  }

  /** Walks back from orphans by hash, at most `parentRounds` requests of `parentBatch` hashes. */
  private async fetchParents (): Promise<void> {
    const { chain } = this.init
    for (let round = 0; round < this.opts.parentRounds && !this.controller.signal.aborted; round++) {
      const all = chain.chain.missingParents()
      if (all.length === 0) return
      // The peer that sent the latest orphan first (it has that branch), then the others, best
      // head first. What a peer does not deliver is never asked of it again (no retry loop on
      // junk orphans), and of PARENT_PEERS_PER_HASH peers at most: a peer that gossips junk
      // orphans can neither make the parents of honest ones unavailable (the next peer is asked)
      // nor make us ask every peer for each of its free orphans.
      const open = (p: PeerId, h: Uint8Array): boolean => {
        const tried = this.unavailable.get(toHex(h))
        return tried === undefined || (tried.length < PARENT_PEERS_PER_HASH && !tried.includes(p.toString()))
      }
      const peer = this.parentCandidates().find((p) => all.some((h) => open(p, h)))
      if (peer === undefined) return
      const missing = all.filter((h) => open(peer, h)).slice(0, this.opts.parentBatch)
      for (const h of missing) {
        const key = toHex(h)
        const tried = this.unavailable.get(key) ?? []
        tried.push(peer.toString())
        this.unavailable.delete(key)
        this.unavailable.set(key, tried)
        if (this.unavailable.size > MAX_UNAVAILABLE_PARENTS) this.unavailable.delete(this.unavailable.keys().next().value as string)
      }
      this.syncing = true
      let blocks: Uint8Array[]
      this.stats.hashRequests++
      try {
        blocks = await this.init.fetchByHash(peer, missing, this.controller.signal)
      } catch (err) {
        if (!(err instanceof NetworkError)) throw err
        this.init.log('blocks-by-hash to %p failed: %s', peer, err.message)
        continue
      }
      if (blocks.length === 0) continue
      for (const bytes of blocks) {
        try {
          await chain.importBlock(bytes, { peer: peer.toString() })
        } catch (err) {
          if (actionOf(err) === 'REJECT') {
            this.init.onInvalidBlock(peer, (err as Error).message)
            return
          }
          // B-5 is the normal case here: the parent is itself an orphan until its parent arrives
        }
      }
    }
  }

  /** Peers to ask for missing parents, in order: the last orphan's sender, then best head first. */
  private parentCandidates (): PeerId[] {
    const first = this.parentPeer !== undefined && this.peers.has(this.parentPeer.toString()) ? [this.parentPeer] : []
    const rest = [...this.peers.values()]
      .filter((p) => !first.some((f) => f.equals(p.id)))
      .sort((a, b) => (b.headHeight > a.headHeight ? 1 : b.headHeight < a.headHeight ? -1 : 0))
      .map((p) => p.id)
    return [...first, ...rest]
  }
}
