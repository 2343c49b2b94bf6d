/**
 * Per-peer token buckets for inbound requests. Buckets of peers not seen for a while are
 * forgotten, so the map stays bounded by the peers that are actually talking to us.
 */

/** Options of a rate limiter. */
export interface RateLimiterInit {
  /** Burst size (tokens in a full bucket). */
  capacity: number
  /** Tokens added per second. */
  refillPerSecond: number
  /** Buckets kept at most (least recently used dropped first). */
  maxPeers?: number
  /** Clock in ms (tests). */
  now?: () => number
}

interface Bucket { tokens: number, at: number }

/** A token bucket per peer. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly capacity: number
  private readonly refillPerMs: number
  private readonly maxPeers: number
  private readonly now: () => number

  constructor (init: RateLimiterInit) {
    this.capacity = init.capacity
    this.refillPerMs = init.refillPerSecond / 1000
    this.maxPeers = init.maxPeers ?? 4096
    this.now = init.now ?? Date.now
  }

  /** Takes `cost` tokens from `peer`'s bucket; false (and nothing taken) if it has too few. */
  take (peer: string, cost = 1): boolean {
    const b = this.bucket(peer)
    if (b.tokens < cost) return false
    b.tokens -= cost
    return true
  }

  /**
   * For work whose cost is known only once done: true iff `peer`'s bucket is not empty (it may
   * start more). `charge` then takes the cost, into debt down to −capacity at most, which the
   * refill pays back before the peer may start anything again.
   */
  available (peer: string): boolean { return this.bucket(peer).tokens > 0 }

  /** Takes `cost` tokens after the work (see `available`). */
  charge (peer: string, cost: number): void {
    if (cost <= 0) return
    const b = this.bucket(peer)
    b.tokens = Math.max(-this.capacity, b.tokens - cost)
  }

  /** `peer`'s bucket, refilled up to now (a new one is full), as the most recently used. */
  private bucket (peer: string): Bucket {
    const now = this.now()
    let b = this.buckets.get(peer)
    if (b === undefined) {
      b = { tokens: this.capacity, at: now }
      if (this.buckets.size >= this.maxPeers) this.buckets.delete(this.buckets.keys().next().value as string)
    } else {
      this.buckets.delete(peer)
      b.tokens = Math.min(this.capacity, b.tokens + (now - b.at) * this.refillPerMs)
      b.at = now
    }
    this.buckets.set(peer, b)
    return b
  }
}
