/**
 * What the network layer remembers about misbehaving peers (Bitcoin Core's split: validation
 * reports a reason, the network decides the cost). Offences add penalty points that decay with a
 * half-life; at the ban threshold the peer is banned for a while (the owner disconnects it and
 * refuses its connections). Peers of another chain are remembered separately. Bounded: the
 * oldest records are forgotten first.
 */
import { BAN_DURATION_MS, BAN_THRESHOLD, INCOMPATIBLE_DURATION_MS, MAX_TRACKED_PEERS, PENALTY_HALF_LIFE_MS } from './constants.ts'

/** Options of the peer book. */
export interface PeerBookInit {
  banThreshold?: number
  banDurationMs?: number
  halfLifeMs?: number
  incompatibleDurationMs?: number
  maxPeers?: number
  /** Clock in ms (tests). */
  now?: () => number
}

interface Record { points: number, at: number }

/** Penalty points, bans and incompatible peers, by peer id string. */
export class PeerBook {
  private readonly points = new Map<string, Record>()
  private readonly banned = new Map<string, number>()
  private readonly incompatible = new Map<string, number>()
  private readonly banThreshold: number
  private readonly banDurationMs: number
  private readonly halfLifeMs: number
  private readonly incompatibleDurationMs: number
  private readonly maxPeers: number
  private readonly now: () => number

  constructor (init: PeerBookInit = {}) {
    this.banThreshold = init.banThreshold ?? BAN_THRESHOLD
    this.banDurationMs = init.banDurationMs ?? BAN_DURATION_MS
    this.halfLifeMs = init.halfLifeMs ?? PENALTY_HALF_LIFE_MS
    this.incompatibleDurationMs = init.incompatibleDurationMs ?? INCOMPATIBLE_DURATION_MS
    this.maxPeers = init.maxPeers ?? MAX_TRACKED_PEERS
    this.now = init.now ?? Date.now
  }

  /** Adds penalty points; returns true when this offence got the peer banned. */
  penalise (peer: string, points: number): boolean {
    const now = this.now()
    const total = this.score(peer) + points
    this.points.delete(peer)
    this.points.set(peer, { points: total, at: now })
    trim(this.points, this.maxPeers)
    // whole points: decay over seconds must not turn five 20-point offences into 99.99
    if (Math.round(total) < this.banThreshold || this.isBanned(peer)) return false
    this.banned.set(peer, now + this.banDurationMs)
    trim(this.banned, this.maxPeers)
    return true
  }

  /** Current (decayed) penalty points of a peer. */
  score (peer: string): number {
    const r = this.points.get(peer)
    if (r === undefined) return 0
    return r.points * Math.pow(0.5, (this.now() - r.at) / this.halfLifeMs)
  }

  /** True while the peer is banned. */
  isBanned (peer: string): boolean {
    return live(this.banned, peer, this.now())
  }

  /** Remembers a peer of another chain. */
  markIncompatible (peer: string): void {
    this.incompatible.delete(peer)
    this.incompatible.set(peer, this.now() + this.incompatibleDurationMs)
    trim(this.incompatible, this.maxPeers)
  }

  /** Forgets that the peer was of another chain (it now speaks ours). */
  clearIncompatible (peer: string): void {
    this.incompatible.delete(peer)
  }

  /** True while the peer is remembered as being of another chain. */
  isIncompatible (peer: string): boolean {
    return live(this.incompatible, peer, this.now())
  }

  /** True if connections from/to the peer are refused (banned or incompatible). */
  isRefused (peer: string): boolean {
    return this.isBanned(peer) || this.isIncompatible(peer)
  }
}

function live (m: Map<string, number>, peer: string, now: number): boolean {
  const until = m.get(peer)
  if (until === undefined) return false
  if (until > now) return true
  m.delete(peer)
  return false
}

function trim<V> (m: Map<string, V>, max: number): void {
  while (m.size > max) m.delete(m.keys().next().value as string)
}
