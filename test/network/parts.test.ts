/**
 * The network layer's parts without a network: protocol ids, the gossipsub configuration and
 * what its score numbers mean, the per-peer rate limiter, the penalty book, transaction batching,
 * and the gossip checks of evidence (each refusal by rule and action).
 */
import { expect } from 'chai'
import { actionOf } from '../../src/chain/service.ts'
import { bytesEqual, toHex } from '../../src/core/bytes.ts'
import { isFutureSlot, MAX_CLOCK_DRIFT_MS, slotStart } from '../../src/core/consensus.ts'
import { ValidationError } from '../../src/core/errors.ts'
import { sha256 } from '../../src/core/hash.ts'
import { checkGossipEvidence } from '../../src/chain/evidence.ts'
import { gossipsubOptions, SCORE_THRESHOLDS, TOPIC_SCORE_PARAMS } from '../../src/network/gossip-options.ts'
import { PeerBook } from '../../src/network/peer-book.ts'
import { chainIdOfStatusProtocol, protocolsOf, topicsOf } from '../../src/network/protocols.ts'
import { RateLimiter } from '../../src/network/rate-limiter.ts'
import { splitBatches } from '../../src/network/tx-batcher.ts'
import { MAX_BLOCK_BYTES, MAX_TX_BATCH_BYTES, MAX_TX_BATCH_TXS } from '../../src/wire/limits.ts'
import { connect, stopAll, waitFor } from './net-fixture.ts'
import { startRawPeer } from './raw-peer.ts'
import { testKey } from '../helpers/fixtures.ts'
import { testParams, testSignedHeader } from '../helpers/params.ts'

describe('network parts', () => {
  it('protocol ids carry the chain id (SPEC §10)', () => {
    expect(topicsOf('00112233aabbccdd')).to.deep.equal({
      block: '/memecoin/00112233aabbccdd/block/1', tx: '/memecoin/00112233aabbccdd/tx/1', evidence: '/memecoin/00112233aabbccdd/evidence/1'
    })
    expect(protocolsOf('00112233aabbccdd')).to.deep.equal({
      status: '/memecoin/00112233aabbccdd/status/1',
      blocksByRange: '/memecoin/00112233aabbccdd/blocks-by-range/1',
      blocksByHash: '/memecoin/00112233aabbccdd/blocks-by-hash/1'
    })
    expect(chainIdOfStatusProtocol('/memecoin/0011/status/1')).to.equal('0011')
    expect(chainIdOfStatusProtocol('/memecoin/0011/blocks-by-range/1')).to.equal(undefined)
  })

  it('gossipsub options: StrictNoSign, id = SHA-256(data), zero-peer publishing, scored topics', async () => {
    const o = gossipsubOptions('00112233aabbccdd')
    expect(o.globalSignaturePolicy).to.equal('StrictNoSign')
    expect(o.allowPublishToZeroTopicPeers).to.equal(true)
    const data = new Uint8Array([1, 2, 3])
    const id = await o.msgIdFn?.({ type: 'unsigned', topic: 't', data })
    expect(toHex(id as Uint8Array)).to.equal(toHex(sha256(data)))
    expect(Object.keys(o.scoreParams?.topics ?? {})).to.have.members(Object.values(topicsOf('00112233aabbccdd')))
    expect([o.D, o.Dlo, o.Dhi]).to.deep.equal([4, 3, 8])
  })

  it('score numbers: n invalid messages on one topic cost 10·n²; graylisted by the 7th whatever was banked', () => {
    const p4 = (n: number): number => TOPIC_SCORE_PARAMS.topicWeight * TOPIC_SCORE_PARAMS.invalidMessageDeliveriesWeight * n * n
    const firstBelow = (threshold: number, banked: number): number => {
      for (let n = 0; n < 100; n++) if (banked + p4(n) < threshold) return n
      return Infinity
    }
    expect(firstBelow(SCORE_THRESHOLDS.gossipThreshold, 0)).to.equal(4)
    expect(firstBelow(SCORE_THRESHOLDS.publishThreshold, 0)).to.equal(5)
    expect(firstBelow(SCORE_THRESHOLDS.graylistThreshold, 20)).to.equal(7)
    // all the positive score a peer can bank (P1 ≤ ≈10, P2 ≤ 20 on each of three topics) buys nothing
    const maxPositive = 3 * (TOPIC_SCORE_PARAMS.timeInMeshWeight * TOPIC_SCORE_PARAMS.timeInMeshCap + TOPIC_SCORE_PARAMS.firstMessageDeliveriesWeight * TOPIC_SCORE_PARAMS.firstMessageDeliveriesCap)
    expect(firstBelow(SCORE_THRESHOLDS.graylistThreshold, maxPositive)).to.equal(7)
  })

  it('rate limiter: a burst of `capacity`, then `refillPerSecond`', () => {
    let t = 0
    const rl = new RateLimiter({ capacity: 2, refillPerSecond: 1, now: () => t })
    expect([rl.take('p'), rl.take('p'), rl.take('p')]).to.deep.equal([true, true, false])
    expect(rl.take('q'), 'per peer').to.equal(true)
    t += 500
    expect(rl.take('p')).to.equal(false)
    t += 600
    expect(rl.take('p')).to.equal(true)
  })

  it('peer book: offences add up to a ban; points decay; peers of another chain are remembered for a while', () => {
    let t = 0
    const book = new PeerBook({ banThreshold: 100, halfLifeMs: 1000, banDurationMs: 5000, incompatibleDurationMs: 3000, now: () => t })
    for (let i = 0; i < 4; i++) expect(book.penalise('p', 20)).to.equal(false)
    expect(book.penalise('p', 20), 'the fifth offence bans').to.equal(true)
    expect(book.isRefused('p')).to.equal(true)
    t += 1000
    expect(book.score('p')).to.be.closeTo(50, 0.01)
    t += 4001
    expect(book.isBanned('p'), 'bans expire').to.equal(false)
    book.penalise('q', 60)
    t += 1000
    expect(book.penalise('q', 60), 'decayed: 30 + 60').to.equal(false)
    book.markIncompatible('x')
    expect(book.isRefused('x')).to.equal(true)
    t += 3001
    expect(book.isRefused('x')).to.equal(false)
  })

  it('transaction batches stay within 512 transactions and 1 MiB', () => {
    const small = Array.from({ length: 1000 }, () => new Uint8Array(100))
    expect(splitBatches(small).map((b) => b.length)).to.deep.equal([MAX_TX_BATCH_TXS, 1000 - MAX_TX_BATCH_TXS])
    const big = Array.from({ length: 3 }, () => new Uint8Array(MAX_TX_BATCH_BYTES / 2))
    expect(splitBatches(big).map((b) => b.length)).to.deep.equal([1, 1, 1])
    expect(splitBatches([])).to.deep.equal([])
  })

  describe('evidence checks (TX-9 in gossip)', () => {
    const params = testParams({ epochSlots: 10n, evidenceEpochs: 2n })
    const key = testKey('evidence:proposer')
    const h = (slot: bigint, label: string, k = key, chainId = params.chainId): ReturnType<typeof testSignedHeader> => testSignedHeader(k, { chainId, slot, label })
    /** Nobody slashed yet. */
    const none = (): boolean => false
    /** The chain's clock 1 ms into `slot`. */
    const at = (slot: bigint): bigint => slotStart(slot, params) + 1n
    const verdict = (fn: () => void): string => {
      try { fn() } catch (err) {
        expect(err).to.be.instanceOf(ValidationError)
        return `${actionOf(err)} ${(err as ValidationError).details?.reason as string}`
      }
      return 'ACCEPT'
    }
    it('accepts two signed headers by one proposer for one slot', () => {
      expect(verdict(() => { checkGossipEvidence(h(5n, 'a'), h(5n, 'b'), params, at(6n), none) })).to.equal('ACCEPT')
    })
    it('rejects what is provably bad, ignores what is merely late or early', () => {
      expect(verdict(() => { checkGossipEvidence(h(5n, 'a'), h(5n, 'b', testKey('other')), params, at(6n), none) })).to.equal('REJECT different proposers')
      expect(verdict(() => { checkGossipEvidence(h(5n, 'a'), h(6n, 'b'), params, at(6n), none) })).to.equal('REJECT different slots')
      expect(verdict(() => { checkGossipEvidence(h(5n, 'a'), h(5n, 'a'), params, at(6n), none) })).to.equal('REJECT the same header twice')
      expect(verdict(() => { checkGossipEvidence(h(5n, 'a'), h(5n, 'b', key, new Uint8Array(8)), params, at(6n), none) })).to.equal('REJECT header for another chain')
      const forged = { ...h(5n, 'b'), signature: h(5n, 'c').signature }
      expect(verdict(() => { checkGossipEvidence(h(5n, 'a'), forged, params, at(6n), none) })).to.equal('REJECT invalid header signature')
      expect(verdict(() => { checkGossipEvidence(h(5n, 'a'), h(5n, 'b'), params, at(40n), none) })).to.equal('IGNORE expired')
      expect(verdict(() => { checkGossipEvidence(h(50n, 'a'), h(50n, 'b'), params, at(6n), none) })).to.equal('IGNORE slot in the future')
    })
    it('takes evidence from a slot about to start within B-4\'s clock drift, as the mempool does; not from one further ahead', () => {
      // the slot starts within the drift: admissible (a peer's clock a little ahead)
      expect(verdict(() => { checkGossipEvidence(h(7n, 'a'), h(7n, 'b'), params, slotStart(7n, params) - MAX_CLOCK_DRIFT_MS, none) })).to.equal('ACCEPT')
      expect(isFutureSlot(7n, slotStart(7n, params) - MAX_CLOCK_DRIFT_MS, params)).to.equal(false)
      // just beyond the drift: ignored, and the mempool would not admit it either
      const early = slotStart(7n, params) - MAX_CLOCK_DRIFT_MS - 1n
      expect(verdict(() => { checkGossipEvidence(h(7n, 'a'), h(7n, 'b'), params, early, none) })).to.equal('IGNORE slot in the future')
      expect(isFutureSlot(7n, early, params)).to.equal(true)
    })
    it('ignores evidence against an offender already slashed for that slot (before checking signatures), not for another slot', () => {
      const slashed = (proposer: Uint8Array, slot: bigint): boolean => bytesEqual(proposer, h(5n, 'a').header.proposer) && slot === 5n
      expect(verdict(() => { checkGossipEvidence(h(5n, 'a'), h(5n, 'b'), params, at(6n), slashed) })).to.equal('IGNORE already slashed')
      const forged = { ...h(5n, 'b'), signature: h(5n, 'c').signature }
      expect(verdict(() => { checkGossipEvidence(h(5n, 'a'), forged, params, at(6n), slashed) })).to.equal('IGNORE already slashed')
      expect(verdict(() => { checkGossipEvidence(h(4n, 'a'), h(4n, 'b'), params, at(6n), slashed) })).to.equal('ACCEPT')
    })
  })
})

describe('network parts: gossipsub carries the largest block the protocol allows', function () {
  this.timeout(30_000)
  afterEach(stopAll)

  it('a message of MAX_BLOCK_BYTES on the block topic reaches the other peer (its RPC stays within gossipsub\'s 4 MiB)', async () => {
    const chainIdHex = '00112233aabbccdd'
    const topic = topicsOf(chainIdHex).block
    const a = await startRawPeer(chainIdHex)
    const b = await startRawPeer(chainIdHex)
    const got: number[] = []
    b.services.pubsub?.addEventListener('message', (e) => { if (e.detail.topic === topic) got.push(e.detail.data.length) })
    a.services.pubsub?.subscribe(topic)
    b.services.pubsub?.subscribe(topic)
    await connect(a, b)
    await waitFor('b subscribed, seen by a', () => (a.services.pubsub?.getSubscribers(topic).length ?? 0) === 1)
    const data = new Uint8Array(MAX_BLOCK_BYTES).fill(7)
    await a.services.pubsub?.publish(topic, data)
    await waitFor('the block-sized message at b', () => got.length === 1)
    expect(got).to.deep.equal([data.length])
  })
})
