/** A discrete-event queue ordered by (time, insertion order): deterministic for equal times. */

interface Entry<T> { time: number, seq: number, event: T }

/** Min-heap of timed events. */
export class EventQueue<T> {
  private readonly heap: Array<Entry<T>> = []
  private seq = 0

  /** Number of pending events. */
  get size (): number { return this.heap.length }

  /** Schedules `event` at `time`. */
  push (time: number, event: T): void {
    this.heap.push({ time, seq: this.seq++, event })
    let i = this.heap.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(i, p)) break
      this.swap(i, p)
      i = p
    }
  }

  /** Time of the next event, or Infinity. */
  peekTime (): number { return this.heap[0]?.time ?? Infinity }

  /** Removes and returns the next event. */
  pop (): { time: number, event: T } | undefined {
    const top = this.heap[0]
    if (top === undefined) return undefined
    const last = this.heap.pop() as Entry<T>
    if (this.heap.length > 0) {
      this.heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < this.heap.length && this.less(l, m)) m = l
        if (r < this.heap.length && this.less(r, m)) m = r
        if (m === i) break
        this.swap(i, m)
        i = m
      }
    }
    return { time: top.time, event: top.event }
  }

  private less (a: number, b: number): boolean {
    const x = this.heap[a] as Entry<T>
    const y = this.heap[b] as Entry<T>
    return x.time < y.time || (x.time === y.time && x.seq < y.seq)
  }

  private swap (a: number, b: number): void {
    const t = this.heap[a] as Entry<T>
    this.heap[a] = this.heap[b] as Entry<T>
    this.heap[b] = t
  }
}
