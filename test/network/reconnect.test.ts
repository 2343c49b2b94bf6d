/**
 * Keeping connectivity: the reconnector with stubbed components on a fake clock (backoff, target,
 * refused peers, stop), then real nodes on 127.0.0.1 (mDNS off) whose connection is cut: a node
 * re-dials its bootstrap peer and the peers it had, never a banned one, and nothing after stop.
 */
import type { PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { startRawPeer } from './raw-peer.ts'
import {
  CONNECTION_PING_INTERVAL_MS, CONNECTION_PING_TIMEOUT_MS, IDENTIFY_TIMEOUT_MS, RECONNECT_BASE_DELAY_MS, RECONNECT_MAX_DELAY_MS, STALL_TOLERANCE_MS
} from '../../src/network/constants.ts'
import { CONNECTION_MONITOR } from '../../src/network/host.ts'
import { Reconnector, type ReconnectInit, type Timers } from '../../src/network/reconnect.ts'
import { connect, makeNet, openChain, startHost, stopAll, waitFor } from './net-fixture.ts'

/** Timers on a fake clock: `advance` runs what is due, in order. */
class FakeTimers implements Timers {
  t = 0
  private seq = 0
  readonly pending = new Map<number, { at: number, fn: () => void }>()
  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): unknown => { const id = ++this.seq; this.pending.set(id, { at: this.t + ms, fn }); return id }
  clearTimeout = (h: unknown): void => { this.pending.delete(h as number) }
  async advance (ms: number): Promise<void> {
    const end = this.t + ms
    for (let i = 0; i < 10_000; i++) {
      await flush()
      const due = [...this.pending.entries()].filter(([, x]) => x.at <= end).sort((x, y) => x[1].at - y[1].at)[0]
      if (due === undefined) break
      this.pending.delete(due[0])
      this.t = Math.max(this.t, due[1].at)
      due[1].fn()
    }
    this.t = end
    await flush()
  }
}

async function flush (): Promise<void> { for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve)) }

const fakePeer = (id: string): PeerId => ({ toString: () => id }) as unknown as PeerId

/** A stubbed node: `up` peers accept dials; every dial is logged with its clock time. */
function stubNode (timers: FakeTimers, bootstrap: string[] = [], init: ReconnectInit = {}) {
  const connected = new Set<string>()
  const up = new Set<string>()
  const refused = new Set<string>()
  const dials: Array<{ peer: string, at: number }> = []
  const bootstrapFailures: Array<{ address: string, failedDials: number, error: string, nextDialInMs: number }> = []
  const r: Reconnector = new Reconnector({
    self: 'self',
    connectedPeers: () => connected,
    isRefused: (p) => refused.has(p),
    onBootstrapFailure: (f) => { bootstrapFailures.push(f) },
    dial: async (target) => {
      const peer = 'getComponents' in target ? ((target as Multiaddr).getComponents().find((c) => c.name === 'p2p')?.value as string) : target.toString()
      dials.push({ peer, at: timers.t })
      if (!up.has(peer)) throw new Error('connection refused')
      connected.add(peer)
      r.onConnected(fakePeer(peer))
      return fakePeer(peer)
    }
  }, bootstrap.map((p) => multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${p}`)), { timers, random: () => 0.5, ...init })
  const disconnect = (peer: string): void => { connected.delete(peer); r.onDisconnected(fakePeer(peer)) }
  return { r, connected, up, refused, dials, disconnect, bootstrapFailures }
}

// peer ids only need to be valid in a multiaddr
const P = ['12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN', '12D3KooWHFrmLWTTDD4NodngtRMEVYgxrsDMp4F9CQSHn7j6Tw4E', '12D3KooWRm8J3iL796zPFi2EtGGtUJn58AG67gcqzMFHZnnsTzqD'] as const

describe('network: reconnecting lost peers', function () {
  this.timeout(60_000)

  describe('the reconnector (fake clock)', () => {
    it('dials bootstrap peers at start and re-dials a lost one with doubling delays up to the maximum', async () => {
      const timers = new FakeTimers()
      const n = stubNode(timers, [P[0]])
      n.up.add(P[0])
      n.r.start()
      await timers.advance(0)
      expect(n.dials.map((d) => d.at)).to.deep.equal([0])
      expect(n.connected.has(P[0])).to.equal(true)

      // the peer goes away: re-dials at 1 s, then +2, +4, … capped at 60 s
      n.up.delete(P[0])
      timers.t = 100_000
      n.disconnect(P[0])
      await timers.advance(300_000)
      const gaps = n.dials.slice(1).map((d, i) => d.at - (i === 0 ? 100_000 : (n.dials[i] as { at: number }).at))
      expect(gaps.slice(0, 7)).to.deep.equal([1000, 2000, 4000, 8000, 16000, 32000, 60000])
      expect(Math.max(...gaps)).to.equal(RECONNECT_MAX_DELAY_MS)

      // back up: connected at the next attempt; a connection that lasted resets the backoff
      n.up.add(P[0])
      await timers.advance(RECONNECT_MAX_DELAY_MS)
      expect(n.connected.has(P[0])).to.equal(true)
      await timers.advance(120_000)
      const before = n.dials.length
      n.disconnect(P[0])
      await timers.advance(RECONNECT_BASE_DELAY_MS)
      expect(n.dials.length).to.equal(before + 1)
      n.r.stop()
    })

    it('keeps min(known, target) peers: other known peers are re-dialed only below the target', async () => {
      const timers = new FakeTimers()
      const n = stubNode(timers, [], { targetPeers: 1 })
      n.r.start()
      for (const p of P) { n.up.add(p); n.connected.add(p); n.r.onConnected(fakePeer(p)) }
      expect(n.r.knownPeers()).to.equal(3)
      n.disconnect(P[0])
      n.disconnect(P[1])
      await timers.advance(10_000)
      expect(n.dials, 'still one peer connected: at the target').to.deep.equal([])
      n.disconnect(P[2])
      await timers.advance(10_000)
      expect(n.dials.length, 'one dial brings it back to the target').to.equal(1)
      expect(n.connected.size).to.equal(1)
      n.r.stop()
    })

    it('never dials a refused (banned or other-chain) peer: a learned one is forgotten, a bootstrap one waits', async () => {
      const timers = new FakeTimers()
      const n = stubNode(timers, [P[0]])
      n.up.add(P[0]); n.up.add(P[1])
      n.r.start()
      await timers.advance(0)
      n.connected.add(P[1]); n.r.onConnected(fakePeer(P[1]))
      n.refused.add(P[0]); n.refused.add(P[1])
      n.dials.length = 0
      n.disconnect(P[0]); n.disconnect(P[1])
      await timers.advance(600_000)
      expect(n.dials).to.deep.equal([])
      expect(n.r.knownPeers(), 'the banned learned peer is forgotten').to.equal(1)
      // the bootstrap peer's ban ends: dialed again
      n.refused.delete(P[0])
      await timers.advance(10_000)
      expect(n.dials.map((d) => d.peer)).to.deep.equal([P[0]])
      n.r.stop()
    })

    it('forgets a learned peer after RECONNECT_FORGET_AFTER_FAILURES failed dials in a row; a bootstrap peer never', async () => {
      const timers = new FakeTimers()
      const n = stubNode(timers, [P[0]], { forgetAfterFailures: 5 })
      n.up.add(P[0]); n.up.add(P[1])
      n.r.start()
      await timers.advance(0)
      n.connected.add(P[1]); n.r.onConnected(fakePeer(P[1]))
      expect(n.r.knownPeers()).to.equal(2)
      // both go away for good
      n.up.delete(P[0]); n.up.delete(P[1])
      n.dials.length = 0
      n.disconnect(P[0]); n.disconnect(P[1])
      await timers.advance(3_600_000)
      const count = (p: string): number => n.dials.filter((d) => d.peer === p).length
      expect(count(P[1]), 'the learned peer: 5 failed dials, then forgotten').to.equal(5)
      expect(n.r.knownPeers()).to.equal(1)
      expect(n.r.stats.forgotten).to.equal(1)
      expect(count(P[0]), 'the bootstrap peer: dialed all along (≈ once a minute)').to.be.greaterThan(50)
      // the learned peer connects again by itself: remembered anew, and re-dialed when lost
      n.up.add(P[1]); n.connected.add(P[1]); n.r.onConnected(fakePeer(P[1]))
      expect(n.r.knownPeers()).to.equal(2)
      n.disconnect(P[1])
      await timers.advance(RECONNECT_BASE_DELAY_MS)
      expect(n.connected.has(P[1])).to.equal(true)
      n.r.stop()
    })

    it('tells the operator when a bootstrap address cannot be reached: at its 1st, 2nd, 4th, 8th… failed dial in a row; never for a learned peer', async () => {
      const timers = new FakeTimers()
      const n = stubNode(timers, [P[0]])
      n.up.add(P[1])
      n.r.start()
      await timers.advance(0)
      // a learned peer that goes away is re-dialed in vain too, but is not the operator's to fix
      n.connected.add(P[1]); n.r.onConnected(fakePeer(P[1]))
      n.up.delete(P[1])
      n.disconnect(P[1])
      await timers.advance(600_000)
      const failed = n.dials.filter((d) => d.peer === P[0]).length
      expect(failed, 'the bootstrap peer was dialed again and again').to.be.greaterThan(8)
      expect(n.bootstrapFailures.map((f) => f.failedDials)).to.deep.equal([1, 2, 4, 8, 16, 32].filter((k) => k <= failed))
      for (const f of n.bootstrapFailures) {
        expect(f.address).to.equal(`/ip4/127.0.0.1/tcp/1/p2p/${P[0]}`)
        expect(f.error).to.equal('connection refused')
        expect(f.nextDialInMs).to.be.greaterThan(0)
      }
      // reached at last: the count starts again, so a later outage is reported from its first failure
      n.up.add(P[0])
      await timers.advance(RECONNECT_MAX_DELAY_MS)
      expect(n.connected.has(P[0])).to.equal(true)
      const reported = n.bootstrapFailures.length
      n.up.delete(P[0])
      n.disconnect(P[0])
      await timers.advance(RECONNECT_MAX_DELAY_MS)
      expect(n.bootstrapFailures.slice(reported).map((f) => f.failedDials)).to.deep.equal([1])
      n.r.stop()
    })

    it('stop clears its timer and dials nothing more', async () => {
      const timers = new FakeTimers()
      const n = stubNode(timers, [P[0], P[1]])
      n.r.start()
      await timers.advance(5_000)
      expect(n.dials.length).to.be.greaterThan(0)
      n.r.stop()
      expect(timers.pending.size, 'no timer left').to.equal(0)
      const before = n.dials.length
      n.disconnect(P[2])
      n.r.onDisconnected(fakePeer(P[0]))
      await timers.advance(600_000)
      expect(n.dials.length).to.equal(before)
      expect(timers.pending.size).to.equal(0)
    })
  })

  it('liveness timeouts tolerate stalls and pings never overlap', () => {
    expect(CONNECTION_PING_TIMEOUT_MS).to.be.at.least(STALL_TOLERANCE_MS)
    expect(IDENTIFY_TIMEOUT_MS).to.be.at.least(STALL_TOLERANCE_MS)
    // libp2p's ping allows one outbound stream per connection: a second ping would abort it
    expect(CONNECTION_MONITOR.pingTimeout.maxTimeout).to.be.below(CONNECTION_MONITOR.pingInterval)
    expect(CONNECTION_MONITOR.pingInterval).to.equal(CONNECTION_PING_INTERVAL_MS)
  })

  describe('real nodes on 127.0.0.1', () => {
    afterEach(stopAll)
    const fast = { reconnect: { baseDelayMs: 100, maxDelayMs: 1_000, checkIntervalMs: 1_000 } }

    it('a cut connection comes back, whichever side cut it (bootstrap peer and learned peer)', async () => {
      const net = makeNet()
      const a = await startHost(await openChain(net), { network: fast })
      const b = await startHost(await openChain(net), { network: fast, bootstrap: [a.getMultiaddrs()[0]?.toString() as string] })
      const both = (): boolean => a.services.memecoin.peers() === 1 && b.services.memecoin.peers() === 1
      await waitFor('B connected to its bootstrap peer A, status exchanged', both, 15_000)
      const redials = (): number => a.services.memecoin.reconnectStats().dials + b.services.memecoin.reconnectStats().dials
      for (const [cutter, other] of [[b, a], [a, b]] as const) {
        // a dial of the last round still settling would connect them again behind the cut, and
        // nothing would be re-dialed (seen on a loaded machine)
        await waitFor('no dial in flight', () => a.services.memecoin.reconnectStats().inFlight === 0 && b.services.memecoin.reconnectStats().inFlight === 0, 20_000)
        const before = redials()
        await cutter.hangUp(other.peerId)
        await waitFor('a re-dial', () => redials() > before, 20_000)
        await waitFor('connected again, status exchanged', () => cutter.getConnections(other.peerId).length > 0 && both(), 20_000)
      }
      expect(b.services.memecoin.metrics().network_redials_total).to.be.greaterThan(0)
    })

    it('a banned peer is not re-dialed (and its own re-dials are refused)', async () => {
      const net = makeNet()
      const a = await startHost(await openChain(net), { network: fast })
      const b = await startHost(await openChain(net), { network: fast, bootstrap: [a.getMultiaddrs()[0]?.toString() as string] })
      await waitFor('connected', () => a.services.memecoin.peers() === 1 && b.services.memecoin.peers() === 1, 15_000)
      const bDials = b.services.memecoin.reconnectStats().dials
      const aDials = a.services.memecoin.reconnectStats().dials
      b.services.memecoin.penalise(a.peerId, 'invalidResponse', 'test')
      b.services.memecoin.penalise(a.peerId, 'invalidResponse', 'test')
      expect(b.services.memecoin.isRefused(a.peerId)).to.equal(true)
      // A (which B banned, not the other way round) keeps trying; B's gater refuses every attempt
      await waitFor('A to re-dial three times', () => a.services.memecoin.reconnectStats().dials >= aDials + 3, 30_000)
      expect(b.services.memecoin.reconnectStats().dials, 'B never dialed its banned bootstrap peer').to.equal(bDials)
      expect(b.getConnections(a.peerId)).to.have.length(0)
    })

    it('only peers of this chain are remembered for re-dialing: connections that never complete a handshake are not', async () => {
      const net = makeNet()
      const a = await startHost(await openChain(net), { network: fast })
      const b = await startHost(await openChain(net), { network: fast })
      // throwaway peer ids: plain libp2p hosts that connect and speak no memecoin protocol
      const strangers = await Promise.all([0, 1, 2].map(async () => await startRawPeer()))
      for (const x of strangers) await connect(x, a)
      await connect(b, a)
      await waitFor('B handshaken with A', () => a.services.memecoin.peers() === 1, 15_000)
      expect(a.getPeers().length).to.equal(4)
      expect(a.services.memecoin.knownPeers(), 'only B').to.equal(1)
    })

    it('nothing is dialed after stop', async () => {
      const net = makeNet()
      const a = await startHost(await openChain(net))
      const addr = a.getMultiaddrs()[0]?.toString() as string
      await a.stop()
      const b = await startHost(await openChain(net), { network: fast, bootstrap: [addr] })
      await waitFor('B to fail two dials of its stopped bootstrap peer', () => b.services.memecoin.reconnectStats().failures >= 2, 20_000)
      await b.stop()
      const after = b.services.memecoin.reconnectStats().dials
      // at 100 ms … 1 s backoff a running reconnector would dial several times in this wait
      await new Promise((resolve) => setTimeout(resolve, 2_500))
      expect(b.services.memecoin.reconnectStats().dials).to.equal(after)
    })
  })
})
