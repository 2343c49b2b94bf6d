/**
 * Deadlines that survive garbage collection (src/network/timeout-signal.ts). On Node 20,
 * AbortSignal.any([AbortSignal.timeout(ms), other]) never fires once a collection has run
 * (nodejs/node#57736): a request to a silent peer, a sync pass, a dial waited for good.
 */
import { expect } from 'chai'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { timeoutSignal } from '../../src/network/timeout-signal.ts'
import { readMessage } from '../../src/network/stream-io.ts'

setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc') as () => void

/** Resolves true once `signal` aborts, false after `ms`. */
async function abortsWithin (signal: AbortSignal, ms: number): Promise<boolean> {
  return await new Promise((resolve) => {
    if (signal.aborted) { resolve(true); return }
    const t = setTimeout(() => { resolve(false) }, ms)
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(true) }, { once: true })
  })
}

describe('network/timeout-signal: deadlines that a garbage collection does not cancel', () => {
  it('fires after its time, with a collection in between, and says it timed out', async () => {
    for (let i = 0; i < 3; i++) {
      const source = new AbortController()
      const { signal } = timeoutSignal(150, source.signal)
      setTimeout(gc, 30)
      expect(await abortsWithin(signal, 1_500)).to.equal(true)
      expect((signal.reason as Error).name).to.equal('TimeoutError')
    }
  })

  it('follows its sources (their reason), and clear() stops the timer and unhooks them', async () => {
    const source = new AbortController()
    const { signal } = timeoutSignal(10_000, undefined, source.signal)
    source.abort(new Error('stopping'))
    expect(signal.aborted).to.equal(true)
    expect((signal.reason as Error).message).to.equal('stopping')
    const already = timeoutSignal(10_000, AbortSignal.abort('gone'))
    expect(already.signal.aborted).to.equal(true)
    const s2 = new AbortController()
    const t = timeoutSignal(50, s2.signal)
    t.clear()
    s2.abort()
    expect(await abortsWithin(t.signal, 300)).to.equal(false)
  })

  it('a read from a peer that never answers times out even when a collection runs while it waits', async () => {
    const never = { read: async ({ signal }: { signal: AbortSignal }) => await new Promise<never>((_resolve, reject) => { signal.addEventListener('abort', () => { reject(new Error('aborted')) }, { once: true }) }) }
    const stop = new AbortController()
    setTimeout(gc, 30)
    // keeps the process up: with a cancelled deadline nothing else would, and the test would
    // end silently instead of failing at mocha's timeout
    const alive = setTimeout(() => {}, 5_000)
    const t0 = Date.now()
    let code: string | undefined
    try {
      await readMessage({ bytes: never, stream: { status: 'open' }, maxDataLength: 16, maxLengthBytes: 1 } as unknown as Parameters<typeof readMessage>[0], { signal: stop.signal, readTimeoutMs: 200 })
    } catch (err) {
      code = (err as { code?: string }).code
    } finally {
      clearTimeout(alive)
    }
    expect(code).to.equal('ERR_TIMEOUT')
    expect(Date.now() - t0).to.be.below(2_000)
  })
})
