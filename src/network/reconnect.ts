/**
 * Keeping connectivity (Bitcoin Core keeps re-opening its outbound connections): the node
 * remembers the peers worth keeping (its bootstrap addresses, and peers it had a connection with)
 * and re-dials them with per-peer exponential backoff whenever a connection is lost. Bootstrap
 * addresses are always kept connected (Bitcoin Core's `-addnode`); other known peers are dialed
 * while the node has fewer than min(known, target) connected peers, and forgotten after
 * `forgetAfterFailures` failed dials in a row (bootstrap addresses never are). A banned peer or one of
 * another chain is never dialed (and forgotten unless it is a bootstrap address, which is dialed
 * again once its ban expires). Time, timers and randomness are injected so tests can drive it.
 */
import type { Logger, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import {
  DIAL_TIMEOUT_MS, RECONNECT_BASE_DELAY_MS, RECONNECT_CHECK_INTERVAL_MS, RECONNECT_JITTER, RECONNECT_MAX_DELAY_MS,
  RECONNECT_FORGET_AFTER_FAILURES, RECONNECT_MAX_KNOWN_PEERS, RECONNECT_STABLE_MS, RECONNECT_TARGET_PEERS
} from './constants.ts'
import { timeoutSignal } from './timeout-signal.ts'

/** A clock and timers (default: the real ones, timers unref'd). */
export interface Timers {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

/** Options of the reconnector; every one has a default in constants.ts. */
export interface ReconnectInit {
  targetPeers?: number
  maxKnownPeers?: number
  baseDelayMs?: number
  maxDelayMs?: number
  jitter?: number
  stableMs?: number
  checkIntervalMs?: number
  dialTimeoutMs?: number
  forgetAfterFailures?: number
  timers?: Timers
  /** Uniform in [0, 1) (jitter). */
  random?: () => number
}

/** What the reconnector needs from the node. */
export interface ReconnectComponents {
  /** Our own peer id (never dialed). */
  self: string
  /** Peer ids with an open connection. */
  connectedPeers: () => Iterable<string>
  /** Dials a peer (by id: the peer store's addresses) or an address; resolves with the peer reached. */
  dial: (target: PeerId | Multiaddr, signal: AbortSignal) => Promise<PeerId>
  /** Banned or of another chain: never dialed. */
  isRefused: (peer: string) => boolean
  log?: Logger
  /**
   * A dial of a bootstrap address failed (the 1st, 2nd, 4th, 8th… in a row): for the operator's
   * log, where a wrong address or peer id would otherwise go unseen while it is retried forever.
   */
  onBootstrapFailure?: (failure: { address: string, failedDials: number, error: string, nextDialInMs: number }) => void
}

/** Counters of the reconnector. */
export interface ReconnectStats {
  dials: number
  failures: number
  forgotten: number
  /** Dials started and not yet settled. */
  inFlight: number
}

interface Entry {
  /** Peer id string, once known (a bootstrap address without /p2p learns it on its first dial). */
  peer: string | undefined
  id: PeerId | undefined
  addr: Multiaddr | undefined
  bootstrap: boolean
  /** Consecutive failed dials and short-lived connections. */
  attempts: number
  /** Consecutive failed dials (a connection, either way, resets it). */
  failedDials: number
  nextAt: number
  connectedAt: number | undefined
  dialing: boolean
}

const realTimers: Timers = {
  now: Date.now,
  setTimeout: (fn, ms) => { const t = setTimeout(fn, ms); t.unref?.(); return t },
  clearTimeout: (t) => { clearTimeout(t as ReturnType<typeof setTimeout>) }
}

/** Re-dials known peers, with backoff, whenever the node has lost them. */
export class Reconnector {
  readonly stats: ReconnectStats = { dials: 0, failures: 0, forgotten: 0, inFlight: 0 }
  private readonly known = new Map<string, Entry>()
  private readonly opts: Required<Omit<ReconnectInit, 'timers' | 'random'>>
  private readonly timers: Timers
  private readonly random: () => number
  private controller = new AbortController()
  private timer: unknown
  private running = false

  constructor (private readonly components: ReconnectComponents, bootstrap: Multiaddr[] = [], init: ReconnectInit = {}) {
    this.opts = {
      targetPeers: init.targetPeers ?? RECONNECT_TARGET_PEERS,
      maxKnownPeers: init.maxKnownPeers ?? RECONNECT_MAX_KNOWN_PEERS,
      baseDelayMs: init.baseDelayMs ?? RECONNECT_BASE_DELAY_MS,
      maxDelayMs: init.maxDelayMs ?? RECONNECT_MAX_DELAY_MS,
      jitter: init.jitter ?? RECONNECT_JITTER,
      stableMs: init.stableMs ?? RECONNECT_STABLE_MS,
      checkIntervalMs: init.checkIntervalMs ?? RECONNECT_CHECK_INTERVAL_MS,
      dialTimeoutMs: init.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
      forgetAfterFailures: init.forgetAfterFailures ?? RECONNECT_FORGET_AFTER_FAILURES
    }
    this.timers = init.timers ?? realTimers
    this.random = init.random ?? Math.random
    for (const addr of bootstrap) {
      const peer = addr.getComponents().find((c) => c.name === 'p2p')?.value
      if (peer === components.self) continue
      this.known.set(peer ?? `addr:${addr.toString()}`, { peer, id: undefined, addr, bootstrap: true, attempts: 0, failedDials: 0, nextAt: 0, connectedAt: undefined, dialing: false })
    }
  }

  /** Dials the bootstrap addresses now and keeps re-dialing lost peers until `stop`. */
  start (): void {
    if (this.running) return
    this.running = true
    this.controller = new AbortController()
    const now = this.timers.now()
    for (const e of this.known.values()) {
      e.dialing = false
      if (e.bootstrap) { e.attempts = 0; e.nextAt = now }
    }
    this.tick()
  }

  /** Cancels the timer and every dial in flight; nothing is dialed after this. */
  stop (): void {
    this.running = false
    this.controller.abort()
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Number of peers remembered (bootstrap addresses included). */
  knownPeers (): number { return this.known.size }

  /** True iff `peer` is remembered (a bootstrap address's peer id once learned, or a peer seen before). */
  knows (peer: PeerId): boolean { return this.find(peer.toString()) !== undefined }

  /** A connection to `peer` opened (either direction) and is worth keeping: remember it. */
  onConnected (peer: PeerId): void {
    const id = peer.toString()
    if (id === this.components.self || this.components.isRefused(id)) return
    const now = this.timers.now()
    let e = this.find(id)
    if (e === undefined) {
      e = { peer: id, id: peer, addr: undefined, bootstrap: false, attempts: 0, failedDials: 0, nextAt: now, connectedAt: now, dialing: false }
      this.known.set(id, e)
      this.trim()
    } else {
      e.id ??= peer
      e.connectedAt ??= now
      e.failedDials = 0
      if (!e.bootstrap) { this.known.delete(id); this.known.set(id, e) } // most recently seen last
    }
  }

  /** The last connection to `peer` closed: schedule its re-dial (unless it is refused now). */
  onDisconnected (peer: PeerId): void {
    const id = peer.toString()
    const e = this.find(id)
    if (e === undefined) return
    const now = this.timers.now()
    if (this.components.isRefused(id)) {
      // banned or of another chain: never re-dialed; a bootstrap address waits for the ban to end
      if (!e.bootstrap) this.known.delete(id)
      e.connectedAt = undefined
      return
    }
    if (e.connectedAt !== undefined && now - e.connectedAt >= this.opts.stableMs) e.attempts = 0
    e.connectedAt = undefined
    this.backoff(e, now)
    this.components.log?.('lost %s; re-dial in %d ms', id, e.nextAt - now)
    this.wake()
  }

  /** Dials every due peer the node should be connected to, then sleeps until the next one is due. */
  private tick (): void {
    this.timer = undefined
    if (!this.running) return
    const now = this.timers.now()
    const connected = new Set(this.components.connectedPeers())
    // connected peers are up to date: a connection opened by the other side resets nothing
    const target = Math.min(this.known.size, this.opts.targetPeers)
    let inFlight = 0
    for (const e of this.known.values()) if (e.dialing) inFlight++
    let next = now + this.opts.checkIntervalMs
    for (const e of this.known.values()) {
      if (e.dialing || (e.peer !== undefined && connected.has(e.peer))) continue
      if (e.peer !== undefined && this.components.isRefused(e.peer)) continue
      if (!e.bootstrap && connected.size + inFlight >= target) continue
      if (e.nextAt > now) { next = Math.min(next, e.nextAt); continue }
      if (inFlight >= this.opts.targetPeers) break
      inFlight++
      this.dial(e)
    }
    this.timer = this.timers.setTimeout(() => { this.tick() }, Math.max(0, next - now))
  }

  private dial (e: Entry): void {
    const target = e.addr ?? e.id
    if (target === undefined) return
    e.dialing = true
    this.stats.dials++
    this.stats.inFlight++
    // not AbortSignal.any with AbortSignal.timeout: see timeout-signal.ts
    const deadline = timeoutSignal(this.opts.dialTimeoutMs, this.controller.signal)
    this.components.dial(target, deadline.signal).then((peer) => {
      deadline.clear()
      e.dialing = false
      this.stats.inFlight--
      e.failedDials = 0
      const id = peer.toString()
      if (e.peer === undefined) {
        // a bootstrap address without /p2p: now we know whom it reaches
        e.peer = id
        const learned = this.known.get(id)
        if (learned !== undefined && learned !== e) this.known.delete(id)
      }
      e.id ??= peer
      // connection:open has set connectedAt, unless the dial found a connection already open
      if (e.connectedAt === undefined && new Set(this.components.connectedPeers()).has(id)) e.connectedAt = this.timers.now()
      // a dial that settles late (e.g. it raced a connection the other side opened, which has
      // since closed) must not leave the peer waiting for the next check: look again now
      this.wake()
    }, (err: Error) => {
      deadline.clear()
      e.dialing = false
      this.stats.inFlight--
      this.stats.failures++
      if (!this.running) return
      this.backoff(e, this.timers.now())
      e.failedDials++
      if (!e.bootstrap && e.peer !== undefined && e.failedDials >= this.opts.forgetAfterFailures && this.known.get(e.peer) === e) {
        // gone for good, as far as we can tell: discovery or its own dial brings it back
        this.known.delete(e.peer)
        this.stats.forgotten++
        this.components.log?.('forgot %s after %d failed dials', e.peer, e.failedDials)
        this.wake()
        return
      }
      this.components.log?.('re-dial of %s failed (%s); next in %d ms', e.peer ?? e.addr?.toString(), err.message, e.nextAt - this.timers.now())
      if (e.bootstrap && (e.failedDials & (e.failedDials - 1)) === 0) {
        try {
          this.components.onBootstrapFailure?.({ address: String(e.addr ?? e.peer), failedDials: e.failedDials, error: String(err.message).split('\n')[0]?.slice(0, 300) ?? '', nextDialInMs: e.nextAt - this.timers.now() })
        } catch {
          // an embedder's logger that throws must not stop the re-dials
        }
      }
      this.wake()
    })
  }

  /** Next attempt after min(max, base · 2^attempts), jittered. */
  private backoff (e: Entry, now: number): void {
    const raw = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.min(e.attempts, 30))
    const jittered = raw * (1 - this.opts.jitter + 2 * this.opts.jitter * this.random())
    e.nextAt = now + Math.min(this.opts.maxDelayMs, Math.round(jittered))
    e.attempts++
  }

  /** Re-runs the loop now (after a disconnect or a dial result). */
  private wake (): void {
    if (!this.running) return
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.timer = this.timers.setTimeout(() => { this.tick() }, 0)
  }

  private find (peer: string): Entry | undefined {
    const e = this.known.get(peer)
    if (e !== undefined) return e
    for (const b of this.known.values()) if (b.bootstrap && b.peer === peer) return b
    return undefined
  }

  /** Forgets the least recently connected non-bootstrap peers beyond the bound. */
  private trim (): void {
    for (const [key, e] of this.known) {
      if (this.known.size <= this.opts.maxKnownPeers) return
      if (!e.bootstrap && !e.dialing) this.known.delete(key)
    }
  }
}
