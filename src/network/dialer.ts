/**
 * Dialing discovered peers. libp2p 3 only records what discovery finds; this dials it. Of two
 * peers that discover each other only the one with the lower peer id (string compare) dials, so
 * they do not end up with two connections. Attempts are bounded per discovery (a later discovery,
 * e.g. the next mDNS answer, starts a fresh round) with doubling delays. Bootstrap addresses and
 * lost peers are the network service's Reconnector's (reconnect.ts), not this.
 */
import type { Libp2p, PeerId, PeerInfo } from '@libp2p/interface'
import { DIAL_MAX_ATTEMPTS, DIAL_MAX_DELAY_MS, DIAL_RETRY_DELAY_MS, DIAL_TIMEOUT_MS } from './constants.ts'

/** Options of the dialer. */
export interface DialerInit {
  maxAttempts?: number
  retryDelayMs?: number
  maxDelayMs?: number
  dialTimeoutMs?: number
  /** Peers never dialed (banned, other chain). */
  isRefused?: (peer: PeerId) => boolean
}

/** Dials discovered peers (lower id dials), with bounded retries. */
export class Dialer {
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly controller = new AbortController()
  private readonly opts: Required<Omit<DialerInit, 'isRefused'>>
  private stopped = false

  constructor (private readonly node: Pick<Libp2p, 'peerId' | 'dial' | 'getConnections'>, private readonly init: DialerInit = {}) {
    this.opts = {
      maxAttempts: init.maxAttempts ?? DIAL_MAX_ATTEMPTS,
      retryDelayMs: init.retryDelayMs ?? DIAL_RETRY_DELAY_MS,
      maxDelayMs: init.maxDelayMs ?? DIAL_MAX_DELAY_MS,
      dialTimeoutMs: init.dialTimeoutMs ?? DIAL_TIMEOUT_MS
    }
  }

  /** A discovered peer: dialed if our id is lower and we are not connected or dialing already. */
  onDiscovered (info: PeerInfo): void {
    const id = info.id.toString()
    if (this.stopped || id === this.node.peerId.toString()) return
    if (this.node.peerId.toString() >= id) return
    if (this.init.isRefused?.(info.id) === true) return
    this.schedule(id, async (signal) => { await this.node.dial(info.id, { signal }) }, () => this.connected(info.id), 0, 0)
  }

  /** Cancels every pending attempt. */
  stop (): void {
    this.stopped = true
    this.controller.abort()
    for (const t of this.pending.values()) clearTimeout(t)
    this.pending.clear()
  }

  private connected (peer: PeerId): boolean {
    return this.node.getConnections(peer).some((c) => c.status === 'open')
  }

  private schedule (key: string, dial: (signal: AbortSignal) => Promise<void>, done: () => boolean, attempt: number, delayMs: number): void {
    if (this.stopped || done() || (attempt === 0 && this.pending.has(key))) return
    const t = setTimeout(() => {
      if (this.stopped) return
      const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.opts.dialTimeoutMs)])
      dial(signal).then(() => { this.pending.delete(key) }, () => {
        this.pending.delete(key)
        if (attempt + 1 >= this.opts.maxAttempts) return
        const next = Math.min(this.opts.maxDelayMs, this.opts.retryDelayMs * 2 ** attempt)
        this.schedule(key, dial, done, attempt + 1, next)
      })
    }, delayMs)
    t.unref?.()
    this.pending.set(key, t)
  }
}
