/**
 * Dialing discovered peers. libp2p 3 only records what discovery finds; this dials it. Of two
 * peers that discover each other the one with the lower peer id (string compare) dials at once,
 * so they do not end up with two connections; the higher one dials only if they are still not
 * connected after `fallbackDelayMs` (the lower one may not dial it: it was of another chain, or
 * banned, and is not any more, or it just started). Attempts are bounded per discovery (a later discovery,
 * e.g. the next mDNS answer, starts a fresh round) with doubling delays. Bootstrap addresses and
 * lost peers are the network service's Reconnector's (reconnect.ts), not this.
 */
import type { Libp2p, PeerId, PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { DIAL_FALLBACK_DELAY_MS, DIAL_MAX_ATTEMPTS, DIAL_MAX_DELAY_MS, DIAL_RETRY_DELAY_MS, DIAL_TIMEOUT_MS } from './constants.ts'
import { timeoutSignal } from './timeout-signal.ts'

/** Options of the dialer. */
export interface DialerInit {
  maxAttempts?: number
  retryDelayMs?: number
  maxDelayMs?: number
  dialTimeoutMs?: number
  /** How long the higher peer id waits for the lower one to dial before it dials (default DIAL_FALLBACK_DELAY_MS). */
  fallbackDelayMs?: number
  /** Peers never dialed (banned, other chain). */
  isRefused?: (peer: PeerId) => boolean
}

/** Dials discovered peers (lower id first), with bounded retries. */
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
      dialTimeoutMs: init.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
      fallbackDelayMs: init.fallbackDelayMs ?? DIAL_FALLBACK_DELAY_MS
    }
  }

  /**
   * A discovered peer, unless connected or being dialed already: dialed now if our id is lower,
   * after `fallbackDelayMs` if it is higher and the other side has not connected by then.
   */
  onDiscovered (info: PeerInfo): void {
    const id = info.id.toString()
    if (this.stopped || id === this.node.peerId.toString()) return
    if (this.init.isRefused?.(info.id) === true) return
    if (this.replaceIfMoved(info)) return
    const delay = this.node.peerId.toString() < id ? 0 : this.opts.fallbackDelayMs
    this.schedule(id, async (signal) => { await this.node.dial(info.id, { signal }) }, () => this.connected(info.id), 0, delay)
  }

  /**
   * A connected peer that announces addresses none of our connections to it uses (its address
   * changed: a DHCP renewal, another network): those connections are dead or about to be, and
   * only an unanswered ping would tell, 20–50 s later. Dial an announced address now (unless a
   * connection to one exists already: it dialed us from there), then close the connections to
   * addresses it no longer announces. True if the peer is connected (nothing else to do for it).
   */
  private replaceIfMoved (info: PeerInfo): boolean {
    const open = this.node.getConnections(info.id).filter((c) => c.status === 'open')
    if (open.length === 0) return false
    const announced = new Set(info.multiaddrs.map(ipOf).filter((ip): ip is string => ip !== undefined))
    if (announced.size === 0 || this.pending.has(info.id.toString())) return true
    const stale = open.filter((c) => { const ip = ipOf(c.remoteAddr); return ip !== undefined && !announced.has(ip) })
    if (stale.length === 0) return true
    if (stale.length < open.length) {
      // it already dialed us from its new address: only the old connections are left to close
      for (const c of stale) c.close().catch(() => { c.abort(new Error('peer moved to another address')) })
      return true
    }
    const key = info.id.toString()
    const targets = info.multiaddrs.filter((m) => ipOf(m) !== undefined)
    this.schedule(key, async (signal) => {
      await this.node.dial(targets, { signal, force: true } as Parameters<Libp2p['dial']>[1])
      for (const c of stale) await c.close().catch(() => { c.abort(new Error('peer moved to another address')) })
    }, () => false, 0, 0)
    return true
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
      // connected meanwhile (the other side dialed, or an earlier attempt got through)
      if (done()) {
        this.pending.delete(key)
        return
      }
      // not AbortSignal.any with AbortSignal.timeout: see timeout-signal.ts
      const deadline = timeoutSignal(this.opts.dialTimeoutMs, this.controller.signal)
      dial(deadline.signal).then(() => { deadline.clear(); this.pending.delete(key) }, () => {
        deadline.clear()
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

/** The IP address of a multiaddr (ip4 or ip6; an IPv4-mapped ip6 as its ip4), if it has one. */
export function ipOf (m: Multiaddr): string | undefined {
  for (const c of m.getComponents()) {
    if (c.name === 'ip4') return c.value
    if (c.name === 'ip6') return c.value?.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')
  }
  return undefined
}
