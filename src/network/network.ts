/**
 * The memecoin libp2p service: gossip topics, the three request protocols, the status handshake
 * on every connection, sync, the penalty book, and re-dialing of bootstrap and lost peers
 * (reconnect.ts). It runs inside any libp2p 3 node that also
 * has a gossipsub service (found by name, `pubsub` unless `init.pubsub` says otherwise) and
 * identify; see index.ts for how to add it.
 */
import type { GossipSub } from '@libp2p/gossipsub'
import type { Multiaddr } from '@multiformats/multiaddr'
import {
  serviceCapabilities, serviceDependencies, type ComponentLogger, type Connection, type IdentifyResult, type Libp2pEvents,
  type Logger, type PeerId, type Startable, type StreamHandler, type StreamHandlerOptions, type TypedEventTarget
} from '@libp2p/interface'
import type { ChainService, ChainServiceInit } from '../chain/service.ts'
import { bytesEqual } from '../core/bytes.ts'
import { MemecoinError } from '../core/errors.ts'
import type { Loose } from '../wire/codec.ts'
import type { Status } from '../wire/messages.ts'
import { RESPONSE_CHUNK_OVERHEAD_BYTES } from '../wire/limits.ts'
import {
  DEFAULT_PUBSUB_SERVICE, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, OUTBOUND_RATE_LIMIT_CAPACITY, OUTBOUND_RATE_LIMIT_REFILL_PER_SECOND,
  PENALTY, RATE_LIMIT_CAPACITY, RATE_LIMIT_REFILL_PER_SECOND,
  READ_TIMEOUT_MS, REQUEST_TIMEOUT_MS, STATUS_TIMEOUT_MS, TX_BATCH_DELAY_MS, STATUS_REFRESH_MS, DIVERGENCE_WARN_INTERVAL_MS, DIVERGENCE_WINDOW_MS, GOSSIP_STREAM_RESTORE_MS, LOCAL_REANNOUNCE_MS, LOCAL_ADDRESS_CHECK_MS
} from './constants.ts'
import { ipOf } from './dialer.ts'
import { Gossip, type GossipStats } from './gossip.ts'
import { interfaceSubnets, killedByAddressLoss } from './local-addresses.ts'
import { PeerBook, type PeerBookInit } from './peer-book.ts'
import { chainIdOfStatusProtocol, protocolsOf, topicsOf, type Protocols, type Topics } from './protocols.ts'
import { RateLimiter } from './rate-limiter.ts'
import { Reconnector, type ReconnectInit, type ReconnectStats } from './reconnect.ts'
import { requestBlocksByHash, requestBlocksByRange, requestStatus, type RequestOptions } from './reqresp-client.ts'
import { ReqRespServer, type Offence } from './reqresp-server.ts'
import { NetworkError } from './stream-io.ts'
import { Sync, type PeerChain, type SyncOptions, type SyncState, type SyncStats } from './sync.ts'
import { parseDialAddress } from './tcp-addresses.ts'

/** Options of the memecoin service; everything but `chain` is optional. */
export interface MemecoinNetworkInit {
  /** The chain this node follows (required). */
  chain: ChainService
  /** The gossipsub service: its name in the libp2p `services` map (default `pubsub`) or the instance. */
  pubsub?: string | GossipSub
  /** Deadline of one request; default 10 s. */
  requestTimeoutMs?: number
  /** Longest wait for one message of a stream; a stalled stream is reset; default 5 s. */
  readTimeoutMs?: number
  /** Deadline of the status handshake; default 5 s. */
  statusTimeoutMs?: number
  /** Per-peer token bucket for inbound requests; default 32 burst, 8/s. */
  rateLimit?: { capacity?: number, refillPerSecond?: number }
  /** Per-peer pacing of our own block requests (below every peer's R-3 limit); default 24 burst, 6/s. */
  outboundRateLimit?: { capacity?: number, refillPerSecond?: number }
  /** Local transactions are gossiped in batches collected this long; default 50 ms. */
  txBatchDelayMs?: number
  /** Per peer, transactions refused before their signature before its tx batches are dropped unread (default WASTED_TX_BUDGET, gossip.ts). */
  wastedTxBudget?: { capacity: number, refillPerSecond: number }
  /** Concurrent inbound streams per connection and protocol; default 4. */
  maxInboundStreams?: number
  /** Bounds of range sync and parent fetch. */
  sync?: Partial<SyncOptions>
  /** Penalty points, ban threshold and durations. */
  peerBook?: PeerBookInit
  /**
   * Bootstrap multiaddrs (with `/p2p/<peer id>`): dialed at start and re-dialed whenever they are
   * lost (unless banned or of another chain), like Bitcoin Core's `-addnode`.
   */
  bootstrap?: string[]
  /** Re-dialing of lost peers: target, backoff, timers (reconnect.ts). */
  reconnect?: ReconnectInit
  /** How often every peer's status is asked again (default STATUS_REFRESH_MS). */
  statusRefreshMs?: number
  /** How often local pending transactions are announced again (default LOCAL_REANNOUNCE_MS). */
  localReannounceMs?: number
  /**
   * This machine's addresses as `address/prefix` (default: its network interfaces', IPv4 and IPv6,
   * loopback left out); read every LOCAL_ADDRESS_CHECK_MS.
   */
  localAddresses?: () => string[]
  /** How often they are read (default LOCAL_ADDRESS_CHECK_MS). */
  localAddressCheckMs?: number
  /**
   * Close a connection whose peer has not completed the status handshake of this chain this long
   * after it opened (a peer that speaks no memecoin, or throwaway peer ids holding connection
   * slots). Off by default: an application embedding this service has peers of its own;
   * `createHost` (the node) sets FOREIGN_PEER_GRACE_MS.
   */
  foreignPeerGraceMs?: number
  /**
   * The node operator's log (warnings they must act on: this node's chain left its peers', a
   * peer of another chain); libp2p's debug logger gets the rest. Default: none.
   */
  log?: OperatorLog
}

/** The node operator's log: the chain service's log type (src/log.ts LogFn, which this layer does not import). */
export type OperatorLog = NonNullable<ChainServiceInit['log']>
const silentLog: OperatorLog = () => {}

/** The registrar methods the service uses. */
export interface RegistrarLike {
  handle: (protocol: string, handler: StreamHandler, options?: StreamHandlerOptions) => Promise<void>
  unhandle: (protocol: string) => Promise<void>
}

/** The connection manager methods the service uses. */
export interface ConnectionManagerLike {
  getConnections: (peerId?: PeerId) => Connection[]
  closeConnections: (peer: PeerId) => Promise<void>
  openConnection: (peer: PeerId | Multiaddr, options?: { signal?: AbortSignal }) => Promise<Connection>
}

/** The libp2p components the service uses (services are looked up by name at start). */
export interface MemecoinNetworkComponents {
  peerId: PeerId
  registrar: RegistrarLike
  connectionManager: ConnectionManagerLike
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

/** A peer as `/status` and the CLI show it. */
export interface PeerView { peerId: string, headHeight: bigint, headSlot: bigint, settledHeight: bigint }

/** The memecoin network service. */
export class MemecoinNetwork implements Startable {
  readonly [Symbol.toStringTag] = '@memecoin/network'
  readonly [serviceCapabilities]: string[] = ['@memecoin/network']
  readonly [serviceDependencies]: string[] = ['@libp2p/pubsub', '@libp2p/identify']

  readonly topics: Topics
  readonly protocols: Protocols
  readonly peerBook: PeerBook
  private readonly chain: ChainService
  private readonly log: Logger
  private readonly limiter: RateLimiter
  private readonly outbound: RateLimiter
  private readonly server: ReqRespServer
  private readonly sync: Sync
  private readonly reconnector: Reconnector
  private readonly timeouts: { request: number, read: number, status: number }
  private readonly handshaking = new WeakSet<Connection>()
  private pubsub: GossipSub | undefined
  private gossip: Gossip | undefined
  private stopping = new AbortController()
  private started = false
  private penalties = 0
  private bans = 0
  private statusTimer: ReturnType<typeof setInterval> | undefined
  private reannounceTimer: ReturnType<typeof setInterval> | undefined
  private addressTimer: ReturnType<typeof setInterval> | undefined
  private localAddresses: Set<string> | undefined
  /** Connections closed for want of a status handshake (foreignPeerGraceMs). */
  private foreignClosed = 0
  private readonly refreshing = new Set<string>()
  private lastDivergenceWarning = -Infinity
  /** Peers whose chain left ours below our settled height, and when they showed it (onDiverged). */
  private readonly divergedPeers = new Map<string, number>()
  private readonly opLog: OperatorLog

  constructor (private readonly components: MemecoinNetworkComponents, private readonly init: MemecoinNetworkInit) {
    if (init?.chain === undefined) throw new MemecoinError('ERR_NETWORK_CONFIG', 'memecoin(): init.chain (a ChainService) is required')
    this.chain = init.chain
    this.log = components.logger.forComponent('memecoin:network')
    this.opLog = init.log ?? silentLog
    this.topics = topicsOf(init.chain.chainIdHex)
    this.protocols = protocolsOf(init.chain.chainIdHex)
    this.peerBook = new PeerBook(init.peerBook)
    this.limiter = new RateLimiter({
      capacity: init.rateLimit?.capacity ?? RATE_LIMIT_CAPACITY,
      refillPerSecond: init.rateLimit?.refillPerSecond ?? RATE_LIMIT_REFILL_PER_SECOND
    })
    this.outbound = new RateLimiter({
      capacity: init.outboundRateLimit?.capacity ?? OUTBOUND_RATE_LIMIT_CAPACITY,
      refillPerSecond: init.outboundRateLimit?.refillPerSecond ?? OUTBOUND_RATE_LIMIT_REFILL_PER_SECOND
    })
    this.timeouts = {
      request: init.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      read: init.readTimeoutMs ?? READ_TIMEOUT_MS,
      status: init.statusTimeoutMs ?? STATUS_TIMEOUT_MS
    }
    this.server = new ReqRespServer({
      chain: init.chain,
      protocols: this.protocols,
      limiter: this.limiter,
      requestTimeoutMs: this.timeouts.request,
      readTimeoutMs: this.timeouts.read,
      localStatus: () => this.localStatus(),
      onStatus: (peer, status, connection) => { this.onStatus(peer, status, connection) },
      onOffence: (peer, offence, reason) => { this.penalise(peer, offence, reason) },
      log: this.log
    })
    this.sync = new Sync({
      chain: init.chain,
      fetchRange: async (peer, start, count, signal) => await this.blocksByRange(peer, start, count, signal),
      fetchByHash: async (peer, hashes, signal) => await this.blocksByHash(peer, hashes, signal),
      onInvalidBlock: (peer, reason) => { this.penalise(peer, 'invalidResponse', `invalid block: ${reason}`) },
      onDiverged: (peer, settled, proposer) => { this.onDiverged(peer, settled, proposer) },
      log: this.log,
      ...(init.sync !== undefined ? { options: init.sync } : {})
    })
    this.reconnector = new Reconnector({
      self: components.peerId.toString(),
      connectedPeers: () => this.components.connectionManager.getConnections().filter((c) => c.status === 'open').map((c) => c.remotePeer.toString()),
      dial: async (target, signal) => (await this.components.connectionManager.openConnection(target, { signal })).remotePeer,
      isRefused: (peer) => this.peerBook.isRefused(peer),
      log: this.log,
      onBootstrapFailure: (f) => { this.opLog('warn', 'cannot reach a bootstrap peer (check its address and peer id); dialing it again with backoff', f) }
    }, (init.bootstrap ?? []).map((a) => parseDialAddress(a)), init.reconnect)
  }

  isStarted (): boolean { return this.started }

  /**
   * Finds the pubsub service and checks its configuration. Here, before any component starts: a
   * refusal from start() came after gossipsub had started its timers in parallel, and libp2p does
   * not stop what started, so the embedding process never exited (docs review).
   */
  async beforeStart (): Promise<void> {
    this.pubsub = this.findPubsub()
    if (this.pubsub.globalSignaturePolicy !== 'StrictNoSign') {
      throw new MemecoinError('ERR_NETWORK_CONFIG', "memecoin: gossipsub must run with globalSignaturePolicy 'StrictNoSign' (use gossipsubOptions(chainIdHex))")
    }
    // the peer scores (graylisting peers whose messages our validators REJECT) are per topic:
    // options made for another chain id, or without them, would leave our topics unscored
    const scored = (this.pubsub as { opts?: { scoreParams?: { topics?: Record<string, unknown> } } }).opts?.scoreParams?.topics ?? {}
    const missing = Object.values(this.topics).filter((t) => scored[t] === undefined)
    if (missing.length > 0) {
      throw new MemecoinError('ERR_NETWORK_CONFIG', `memecoin: gossipsub has no peer-score parameters for ${missing.join(', ')} (use gossipsubOptions('${this.chain.chainIdHex}'))`)
    }
  }

  /** Registers the protocol handlers and connection listeners. */
  async start (): Promise<void> {
    this.stopping = new AbortController()
    this.pubsub ??= this.findPubsub()
    const opts = { maxInboundStreams: this.init.maxInboundStreams ?? MAX_INBOUND_STREAMS, maxOutboundStreams: MAX_OUTBOUND_STREAMS }
    await this.components.registrar.handle(this.protocols.status, this.server.handleStatus, opts)
    await this.components.registrar.handle(this.protocols.blocksByRange, this.server.handleBlocksByRange, opts)
    await this.components.registrar.handle(this.protocols.blocksByHash, this.server.handleBlocksByHash, opts)
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.components.events.addEventListener('connection:close', this.onConnectionClose)
    this.components.events.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.started = true
  }

  /** Subscribes to the topics (gossipsub is started by now) and starts sync. */
  async afterStart (): Promise<void> {
    const pubsub = this.pubsub as GossipSub
    this.gossip ??= new Gossip({
      chain: this.chain,
      pubsub,
      topics: this.topics,
      batchDelayMs: this.init.txBatchDelayMs ?? TX_BATCH_DELAY_MS,
      ...(this.init.wastedTxBudget !== undefined ? { wastedTxBudget: this.init.wastedTxBudget } : {}),
      onReject: (peer, topic, reason) => { this.penalise(peer, 'gossipReject', `${topic}: ${reason}`) },
      onUnknownParent: (peer, block) => { this.sync.onUnknownParent(peer, block) },
      onBlockImported: (peer, node) => { this.sync.noteHeight(peer, node.height) },
      log: this.log
    })
    this.gossip.start()
    this.sync.start()
    this.reconnector.start()
    this.statusTimer = setInterval(() => { this.refreshStatuses() }, this.init.statusRefreshMs ?? STATUS_REFRESH_MS)
    this.statusTimer.unref?.()
    const every = this.init.localReannounceMs ?? LOCAL_REANNOUNCE_MS
    this.reannounceTimer = setInterval(() => {
      // with no peer there is no one to tell: the first tick after a connection does it
      if (this.sync.peerChains().length > 0) this.chain.reannounceLocal(BigInt(every))
    }, every)
    this.reannounceTimer.unref?.()
    this.localAddresses = new Set(this.readLocalAddresses())
    this.addressTimer = setInterval(() => { this.checkLocalAddresses() }, this.init.localAddressCheckMs ?? LOCAL_ADDRESS_CHECK_MS)
    this.addressTimer.unref?.()
  }

  private readLocalAddresses (): string[] {
    return this.init.localAddresses !== undefined ? this.init.localAddresses() : interfaceSubnets()
  }

  /**
   * One of this machine's addresses went away (a DHCP renewal, another network): connections made
   * over it are dead, but only an unanswered ping would tell, 20–50 s later. Those to peers in the
   * subnet that went, or reached through a router, are closed (local-addresses.ts); peers are
   * dialed again at once (re-dial, mDNS), and peers that see our new address do the same from
   * their side (dialer.ts replaceIfMoved).
   */
  private checkLocalAddresses (): void {
    const now = new Set(this.readLocalAddresses())
    const gone = [...(this.localAddresses ?? [])].filter((a) => !now.has(a))
    this.localAddresses = now
    if (gone.length === 0 || !this.started) return
    const open = this.components.connectionManager.getConnections().filter((c) => c.status === 'open')
    const killed = killedByAddressLoss(gone, [...now], open.flatMap((c) => ipOf(c.remoteAddr) ?? []))
    const close = open.filter((c) => { const ip = ipOf(c.remoteAddr); return ip !== undefined && killed.has(ip) })
    this.opLog('info', 'a local address went away: closing the connections made over it, which are made again over the new one', { gone: gone.join(','), connections: close.length, kept: open.length - close.length })
    for (const c of close) c.close().catch(() => { c.abort(new Error('local address gone')) })
  }

  private clearTimers (): void {
    if (this.statusTimer !== undefined) clearInterval(this.statusTimer)
    if (this.reannounceTimer !== undefined) clearInterval(this.reannounceTimer)
    if (this.addressTimer !== undefined) clearInterval(this.addressTimer)
    this.statusTimer = undefined
    this.reannounceTimer = undefined
    this.addressTimer = undefined
  }

  /** Asks every peer with a completed handshake for its status again (one request each in flight). */
  private refreshStatuses (): void {
    for (const p of this.sync.peerChains()) {
      const key = p.id.toString()
      if (this.refreshing.has(key)) continue
      this.refreshing.add(key)
      this.requestStatus(p.id, this.stopping.signal)
        .catch((err: Error) => { this.log('status refresh from %p failed: %s', p.id, err.message) })
        .finally(() => { this.refreshing.delete(key) })
    }
  }

  /**
   * A peer's chain left ours at or below our settled height. Any peer can send a block with an
   * unknown parent right above our settled point, so one proves little: it counts only if its
   * proposer has something bonded at our head (a random key's block does not), and the operator
   * is told to resync once at least half of the peers that could show it (those whose head is
   * above ours: range sync asks only them) did so within DIVERGENCE_WINDOW_MS. Peers on our side
   * of a split, at or below our height, do not hold the warning back.
   */
  private onDiverged (peer: PeerId, settled: bigint, proposer: Uint8Array): void {
    if (!this.chain.hasBond(proposer)) return
    const now = Date.now()
    this.divergedPeers.set(peer.toString(), now)
    for (const [id, at] of this.divergedPeers) if (now - at > DIVERGENCE_WINDOW_MS) this.divergedPeers.delete(id)
    const head = this.chain.chain.head.height
    const current = this.sync.peerChains()
    if (!current.some((p) => p.id.equals(peer))) return
    const ahead = new Set(current.filter((p) => p.headHeight > head || p.id.equals(peer)).map((p) => p.id.toString()))
    const agreeing = [...this.divergedPeers.keys()].filter((id) => ahead.has(id)).length
    if (agreeing < Math.ceil(ahead.size / 2)) return
    if (now - this.lastDivergenceWarning < DIVERGENCE_WARN_INTERVAL_MS) return
    this.lastDivergenceWarning = now
    this.opLog('warn', "its peers' chain left this node's at or below its settled height: this node cannot reorganise that deep. It was cut off for more than k blocks; stop it, delete its data directory's db and start it again to resync", { peers: agreeing, of: ahead.size, settledHeight: settled })
  }

  /** Unsubscribes while gossipsub still runs. */
  async beforeStop (): Promise<void> {
    this.clearTimers()
    this.reconnector.stop()
    this.gossip?.stop()
  }

  /** Stops sync and removes handlers and listeners. */
  async stop (): Promise<void> {
    this.started = false
    this.clearTimers()
    this.reconnector.stop()
    this.stopping.abort()
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.components.events.removeEventListener('connection:open', this.onConnectionOpen)
    this.components.events.removeEventListener('connection:close', this.onConnectionClose)
    this.components.events.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    await this.sync.stop()
    for (const p of [this.protocols.status, this.protocols.blocksByRange, this.protocols.blocksByHash]) {
      await this.components.registrar.unhandle(p).catch(() => {})
    }
  }

  /** Sync state for `/status`: `{ syncing, targetHeight, peers }`. */
  syncState (): SyncState { return this.sync.state() }

  /** Number of peers with a completed status handshake (what `/status` shows as peers). */
  peers (): number { return this.sync.state().peers }

  /** Peers with a completed status handshake, as last heard. */
  peerList (): PeerView[] {
    return this.sync.peerChains().map((p: PeerChain) => ({ peerId: p.id.toString(), headHeight: p.headHeight, headSlot: p.headSlot, settledHeight: p.settledHeight }))
  }

  /** Re-dial counters (dials started, dials failed). */
  reconnectStats (): ReconnectStats { return this.reconnector.stats }

  /** Peers remembered for re-dialing (bootstrap addresses included). */
  knownPeers (): number { return this.reconnector.knownPeers() }

  /** Sync counters (requests, passes). */
  syncStats (): SyncStats { return this.sync.stats }

  /** Gossip counters (published messages, validation results). */
  gossipStats (): GossipStats | undefined { return this.gossip?.stats }

  /** Samples for `/metrics` (names without the `memecoin_` prefix; `_total` are counters). */
  metrics (): Record<string, number> {
    const out: Record<string, number> = {}
    const g = this.gossip?.stats
    if (g !== undefined) {
      for (const kind of ['block', 'tx', 'evidence'] as const) {
        out[`gossip_published_total{topic="${kind}"}`] = g.published[kind]
        for (const result of ['accept', 'ignore', 'reject'] as const) out[`gossip_messages_total{topic="${kind}",result="${result}"}`] = g.received[kind][result]
      }
      // blocks relayed (or dropped as equivocations) before their import, by the import's outcome
      for (const result of ['imported', 'ignore', 'reject'] as const) out[`gossip_block_imports_after_relay_total{result="${result}"}`] = g.afterRelay[result]
      // tx batches dropped unread: too much in validation, or their peer past its budget of worthless transactions
      for (const reason of ['busy', 'wasteful'] as const) out[`gossip_tx_batches_dropped_total{reason="${reason}"}`] = g.txBatchesDropped[reason]
    }
    const s = this.sync.stats
    out.sync_range_requests_total = s.rangeRequests
    out.sync_hash_requests_total = s.hashRequests
    out.sync_passes_total = s.passes
    out.network_peers = this.peers()
    out.network_penalties_total = this.penalties
    out.network_bans_total = this.bans
    out.network_foreign_connections_closed_total = this.foreignClosed
    out.network_redials_total = this.reconnector.stats.dials
    out.network_redial_failures_total = this.reconnector.stats.failures
    out.network_peers_forgotten_total = this.reconnector.stats.forgotten
    return out
  }

  /** Starts a sync now (it also starts by itself when a peer is ahead or parents are missing). */
  triggerSync (): void { this.sync.trigger() }

  /** A peer's gossipsub score (if the pubsub service exposes it) and our penalty points. */
  peerScore (peer: PeerId | string): { gossipsub: number | undefined, penalty: number } {
    const pubsub = this.pubsub as (GossipSub & { getScore?: (id: string) => number }) | undefined
    return { gossipsub: pubsub?.getScore?.(peer.toString()), penalty: this.peerBook.score(peer.toString()) }
  }

  /** True while connections of `peer` are refused (banned, or of another chain). */
  isRefused (peer: PeerId | string): boolean { return this.peerBook.isRefused(peer.toString()) }

  /**
   * True if inbound connections from the peer are refused: only while it is banned. A peer
   * remembered as of another chain is not dialed, but may come back on ours (its operator fixed
   * its genesis and kept its peer key): identify tells, and its handshake clears the mark.
   */
  refusesInbound (peer: PeerId | string): boolean { return this.peerBook.isBanned(peer.toString()) }

  /** Adds the penalty of `offence`; at the threshold the peer is banned and disconnected. */
  penalise (peer: PeerId, offence: Offence, reason: string): void {
    const banned = this.peerBook.penalise(peer.toString(), PENALTY[offence])
    this.penalties++
    this.log('penalised %p (%s): %s', peer, offence, reason)
    if (banned) {
      this.bans++
      this.log('banned %p', peer)
      this.components.connectionManager.closeConnections(peer).catch(() => {})
    }
  }

  /** The status handshake with a connected peer: its Status (R-1 is applied as for any handshake). */
  async requestStatus (peer: PeerId, signal?: AbortSignal): Promise<Status> {
    const connection = this.connectionTo(peer)
    const status = await requestStatus(connection, this.protocols.status, this.localStatus(), this.requestOptions(this.timeouts.status, signal))
    this.onStatus(peer, status, connection)
    return status
  }

  /** Blocks-by-range from a connected peer (bytes, not yet validated); a protocol breach penalises it. */
  async blocksByRange (peer: PeerId, start: bigint, count: number, signal?: AbortSignal): Promise<Uint8Array[]> {
    return await this.guarded(peer, async (c) => await requestBlocksByRange(c, this.protocols.blocksByRange, start, count, this.requestOptions(this.timeouts.request, signal)), signal)
  }

  /** Blocks-by-hash from a connected peer (bytes, not yet validated); a protocol breach penalises it. */
  async blocksByHash (peer: PeerId, hashes: Uint8Array[], signal?: AbortSignal): Promise<Uint8Array[]> {
    return await this.guarded(peer, async (c) => await requestBlocksByHash(c, this.protocols.blocksByHash, hashes, this.requestOptions(this.timeouts.request, signal)), signal)
  }

  private async guarded<T> (peer: PeerId, fn: (c: Connection) => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.paced(peer, signal)
    try {
      return await fn(this.connectionTo(peer))
    } catch (err) {
      // a peer that breaks the response protocol is penalised
      if (err instanceof NetworkError && err.code === 'ERR_PROTOCOL') this.penalise(peer, 'invalidResponse', err.message)
      throw err
    }
  }

  /**
   * Waits (at most the request deadline) for a token of `peer`'s outbound bucket: our requests stay
   * below the R-3 rate an honest peer enforces, so it never penalises or bans us, however many
   * requests a hostile third party provokes (e.g. an orphan flood driving parent fetch).
   */
  private async paced (peer: PeerId, signal?: AbortSignal): Promise<void> {
    const id = peer.toString()
    const deadline = Date.now() + this.timeouts.request
    const stop = signal === undefined ? this.stopping.signal : AbortSignal.any([signal, this.stopping.signal])
    while (!this.outbound.take(id)) {
      if (stop.aborted || Date.now() >= deadline) throw new NetworkError('ERR_TIMEOUT', `request to ${id} not sent: outbound rate limit`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  private requestOptions (timeoutMs: number, signal?: AbortSignal): RequestOptions {
    return {
      timeoutMs,
      readTimeoutMs: this.timeouts.read,
      signal: signal === undefined ? this.stopping.signal : AbortSignal.any([signal, this.stopping.signal]),
      // a chunk carries one block of this chain: nothing larger is buffered (64 chunks per response)
      maxChunkBytes: this.chain.params.maxBlockBytes + RESPONSE_CHUNK_OVERHEAD_BYTES
    }
  }

  private connectionTo (peer: PeerId): Connection {
    const c = this.components.connectionManager.getConnections(peer).find((x) => x.status === 'open')
    if (c === undefined) throw new NetworkError('ERR_NO_CONNECTION', `not connected to ${peer.toString()}`)
    return c
  }

  /** Our Status: genesis, head and settled point. */
  private localStatus (): Loose<Status> {
    const c = this.chain.chain
    const head = c.head
    const settled = c.settled
    return { genesisHash: this.chain.params.genesisHash, headHash: head.hash, headHeight: head.height, headSlot: head.slot, settledHash: settled.hash, settledHeight: settled.height }
  }

  /** A peer's Status (either direction of the handshake). */
  private onStatus (peer: PeerId, status: Status, connection: Connection): void {
    if (!bytesEqual(status.genesisHash, this.chain.params.genesisHash)) {
      // another genesis: disconnect and remember
      this.refuseIncompatible(peer, connection, 'different genesis hash')
      return
    }
    // a handshake that completes after the peer left must not leave it in sync's peer list
    // (peer:disconnect already ran: nothing would remove it)
    if (connection.status !== 'open') return
    this.sync.setPeer(peer, status)
    // Remembered for re-dialing only now, as a peer of this chain: any peer id can open a
    // connection, and throwaway ones would otherwise push the honest peers out of the bounded list.
    this.reconnector.onConnected(peer)
  }

  private refuseIncompatible (peer: PeerId, connection: Connection, reason: string): void {
    if (!this.peerBook.isIncompatible(peer.toString())) {
      this.opLog('info', 'disconnected a peer of another chain; not dialing it for a while (it may still connect once it runs this chain)', { peer: peer.toString(), reason })
    }
    this.peerBook.markIncompatible(peer.toString())
    this.log('disconnecting %p: %s', peer, reason)
    connection.close().catch(() => { connection.abort(new Error(reason)) })
  }

  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, connection } = evt.detail
    if (this.peerBook.isBanned(peerId.toString())) {
      connection.close().catch(() => {})
      return
    }
    if (protocols.includes(this.protocols.status)) {
      // a peer once of another chain that now speaks ours: the handshake decides
      this.peerBook.clearIncompatible(peerId.toString())
      void this.handshake(connection)
      return
    }
    // a memecoin node of another chain (its protocol ids carry its chain id)
    const other = protocols.map(chainIdOfStatusProtocol).find((id) => id !== undefined)
    if (other !== undefined) this.refuseIncompatible(peerId, connection, `chain ${other}`)
  }

  private readonly onConnectionOpen = (evt: CustomEvent<Connection>): void => {
    const connection = evt.detail
    const grace = this.init.foreignPeerGraceMs
    if (grace !== undefined) {
      const timer = setTimeout(() => { this.closeIfForeign(connection) }, grace)
      timer.unref?.()
    }
    // banned: closed at once; a peer of another chain: identify decides (it may run ours now)
    if (this.peerBook.isBanned(connection.remotePeer.toString())) {
      connection.close().catch(() => {})
      return
    }
    // a peer the reconnector already knows (a bootstrap address, a peer of this chain seen
    // before) is back: its backoff resets now; a new one is remembered after its handshake
    if (this.reconnector.knows(connection.remotePeer)) this.reconnector.onConnected(connection.remotePeer)
  }

  /**
   * gossipsub (17.1.1) keeps one outbound stream per peer and opens one only when a connection
   * opens: when the connection carrying it closes while another stays open (the peer's address
   * changed and it dialed again), it never opens another, and gossip to that peer stops for good
   * (seen on a LAN; test/network/gossip.test.ts reproduces it). Shortly after such a close, if the
   * stream is gone, gossipsub is told about the open connection again.
   */
  private readonly onConnectionClose = (evt: CustomEvent<Connection>): void => {
    const peer = evt.detail.remotePeer
    const timer = setTimeout(() => { this.restoreGossipStream(peer) }, GOSSIP_STREAM_RESTORE_MS)
    timer.unref?.()
  }

  /** A connection still open whose peer never completed our status handshake: its slot goes to someone else. */
  private closeIfForeign (connection: Connection): void {
    if (!this.started || connection.status !== 'open') return
    if (this.sync.peerChains().some((p) => p.id.equals(connection.remotePeer))) return
    this.foreignClosed++
    this.log('closing the connection to %p: no status handshake of this chain after it opened', connection.remotePeer)
    connection.close().catch(() => { connection.abort(new Error('no memecoin handshake')) })
  }

  private restoreGossipStream (peer: PeerId): void {
    // the implementation's members (pinned version), not its interface
    const impl = this.pubsub as unknown as { streamsOutbound?: Map<string, unknown>, onPeerConnected?: (p: PeerId, c: Connection) => void } | undefined
    if (!this.started || impl?.streamsOutbound === undefined || impl.streamsOutbound.has(peer.toString())) return
    const open = this.components.connectionManager.getConnections(peer).find((c) => c.status === 'open')
    if (open === undefined) return
    this.log('reopening the gossip stream to %p on its remaining connection', peer)
    impl.onPeerConnected?.(peer, open)
  }

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    this.sync.removePeer(evt.detail)
    this.reconnector.onDisconnected(evt.detail)
  }

  private async handshake (connection: Connection): Promise<void> {
    if (this.handshaking.has(connection) || connection.status !== 'open') return
    this.handshaking.add(connection)
    const peer = connection.remotePeer
    try {
      const status = await requestStatus(connection, this.protocols.status, this.localStatus(), this.requestOptions(this.timeouts.status))
      this.onStatus(peer, status, connection)
    } catch (err) {
      if (err instanceof NetworkError && err.code === 'ERR_PROTOCOL') this.penalise(peer, 'invalidResponse', err.message)
      this.log('status handshake with %p failed: %s', peer, (err as Error).message)
    }
  }

  /** The gossipsub service: the instance given, or the component named `init.pubsub` (default `pubsub`). */
  private findPubsub (): GossipSub {
    const given = this.init.pubsub
    if (given !== undefined && typeof given !== 'string') return given
    const name = given ?? DEFAULT_PUBSUB_SERVICE
    let found: unknown
    try {
      found = (this.components as unknown as Record<string, unknown>)[name]
    } catch {
      found = undefined
    }
    if (found === undefined || typeof (found as GossipSub).subscribe !== 'function' || !((found as GossipSub).topicValidators instanceof Map)) {
      throw new MemecoinError('ERR_NETWORK_CONFIG', `memecoin: no gossipsub service named '${name}' in the libp2p services (set init.pubsub)`)
    }
    return found as GossipSub
  }
}
