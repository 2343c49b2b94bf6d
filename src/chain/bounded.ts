/** Small bounded collections: every cache and pool of the node has a limit (CONVENTIONS 7). */

/** A set that forgets its oldest members beyond `max`. */
export class BoundedSet<T> {
  private readonly items = new Set<T>()
  constructor (private readonly max: number) {}

  /** Adds `v`, evicting the oldest member when full. */
  add (v: T): void {
    if (this.items.has(v)) return
    if (this.items.size >= this.max) this.items.delete(this.items.values().next().value as T)
    this.items.add(v)
  }

  /** True iff `v` is a (remembered) member. */
  has (v: T): boolean { return this.items.has(v) }

  /** Number of members. */
  get size (): number { return this.items.size }
}
