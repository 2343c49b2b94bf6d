/**
 * Deadlines that survive garbage collection. On Node 20, `AbortSignal.any([AbortSignal.timeout(ms),
 * other])` stops firing once a garbage collection has run (nodejs/node#57736: the composite holds
 * the timeout signal weakly, nothing else holds it, its timer goes with it). A sync pass, a
 * request or a dial then waited for a peer that never answered, for good. Here the timer holds
 * the controller until it fires or `clear()` is called.
 */

/** A deadline: `signal` aborts after `ms` or when any source aborts; `clear()` ends it early (call it when done). */
export interface TimeoutSignal { signal: AbortSignal, clear: () => void }

/**
 * An AbortSignal that aborts after `ms` (reason: a TimeoutError, as AbortSignal.timeout gives) or
 * when any of `sources` aborts (with its reason). `clear()` stops the timer and unhooks the
 * sources, so long-lived sources (a service's stop signal) collect no listeners.
 */
export function timeoutSignal (ms: number, ...sources: Array<AbortSignal | undefined>): TimeoutSignal {
  const ac = new AbortController()
  const hooked: AbortSignal[] = []
  const onAbort = function (this: AbortSignal): void { finish(this.reason) }
  const timer = setTimeout(() => { finish(new DOMException('The operation was aborted due to timeout', 'TimeoutError')) }, ms)
  // like AbortSignal.timeout: a pending deadline alone keeps no process alive
  timer.unref?.()
  function clear (): void {
    clearTimeout(timer)
    for (const s of hooked.splice(0)) s.removeEventListener('abort', onAbort)
  }
  function finish (reason: unknown): void {
    clear()
    if (!ac.signal.aborted) ac.abort(reason)
  }
  for (const s of sources) {
    if (s === undefined) continue
    if (s.aborted) {
      finish(s.reason)
      break
    }
    s.addEventListener('abort', onAbort, { once: true })
    hooked.push(s)
  }
  return { signal: ac.signal, clear }
}
