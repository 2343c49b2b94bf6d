/**
 * A hostile raw libp2p peer gossips malformed blocks and badly signed transactions to an honest
 * node: every message is REJECTed (never imported, never forwarded), its gossipsub score falls,
 * and it is banned and disconnected within 10 messages, while the honest node keeps its head and
 * keeps gossiping with its honest peer.
 */
import { expect } from 'chai'
import { toHex } from '../../src/core/bytes.ts'
import { encodeTxBatch } from '../../src/wire/tx.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { SCORE_THRESHOLDS } from '../../src/network/gossip-options.ts'
import type { MemecoinHost } from '../../src/network/host.ts'
import { connect, keyOf, makeNet, MEME, openChain, produceNext, startHost, stopAll, waitFor, type TestNet } from './net-fixture.ts'
import { startRawPeer } from './raw-peer.ts'

/** Message i of the attack: alternately a malformed block and a transaction batch with a bad signature. */
function attack (net: TestNet, i: number, topics: { block: string, tx: string }): { topic: string, data: Uint8Array } {
  if (i % 2 === 0) return { topic: topics.block, data: new Uint8Array([0x0a, 0xff, 0xff, 0xff, i]) }
  const tx = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: net.params.minFee, to: keyOf('x').id, amount: MEME + BigInt(i) }).bytes.slice()
  tx[tx.length - 5] = (tx[tx.length - 5] as number) ^ 0x01 // inside the signature
  return { topic: topics.tx, data: encodeTxBatch([tx]) }
}

/** REJECTs of a host's validators, all topics. */
function rejects (h: MemecoinHost): number {
  const r = h.services.memecoin.gossipStats()?.received
  return r === undefined ? 0 : r.block.reject + r.tx.reject + r.evidence.reject
}

describe('network: a hostile gossip peer', function () {
  this.timeout(30_000)
  afterEach(stopAll)

  it('is rejected, scored down and disconnected within 10 messages; the honest nodes carry on', async () => {
    const net = makeNet()
    const chainA = await openChain(net, true)
    const chainB = await openChain(net)
    const a = await startHost(chainA)
    const b = await startHost(chainB)
    await connect(a, b)
    await waitFor('honest mesh', () => a.services.pubsub.getSubscribers(a.services.memecoin.topics.block).length === 1)
    const first = await produceNext(net, chainA)
    await waitFor('B at height 1', () => chainB.chain.head.height === 1n)

    const topics = a.services.memecoin.topics
    const hostile = await startRawPeer(chainA.chainIdHex)
    const pubsub = hostile.services.pubsub
    if (pubsub === undefined) throw new Error('raw peer without gossipsub')
    await connect(hostile, a)
    await waitFor('the hostile peer to see A\'s subscriptions', () =>
      pubsub.getSubscribers(topics.block).some((p) => p.equals(a.peerId)) && pubsub.getSubscribers(topics.tx).some((p) => p.equals(a.peerId)))

    const gossipScore = (): number => a.services.memecoin.peerScore(hostile.peerId).gossipsub ?? 0
    let sent = 0
    let bannedAt = 0
    let lowestScore = 0
    for (let i = 0; i < 20 && a.getConnections(hostile.peerId).length > 0; i++) {
      const m = attack(net, i, topics)
      await pubsub.publish(m.topic, m.data)
      sent++
      const rejectsBefore = sent
      await waitFor(`message ${i} judged`, () => rejects(a) >= rejectsBefore || a.getConnections(hostile.peerId).length === 0, 3000)
      lowestScore = Math.min(lowestScore, gossipScore())
      if (bannedAt === 0 && a.services.memecoin.isRefused(hostile.peerId)) bannedAt = sent
    }
    expect(bannedAt, 'REJECTed messages until the ban').to.be.within(1, 10)
    expect(sent, 'messages before the disconnect').to.be.at.most(10)
    await waitFor('the hostile peer to be disconnected', () => a.getConnections(hostile.peerId).length === 0)
    expect(a.services.memecoin.isRefused(hostile.peerId)).to.equal(true)
    expect(rejects(a)).to.equal(sent)
    // gossipsub's own score (P4 = −10·n²) follows, and is retained after the disconnect
    await waitFor('gossipsub score below the gossip threshold', () => gossipScore() < SCORE_THRESHOLDS.gossipThreshold, 3000)
    console.log(`      (banned at REJECT ${bannedAt}, ${sent} sent before the disconnect; gossipsub score ${gossipScore().toFixed(0)}, lowest seen while connected ${lowestScore.toFixed(0)})`)

    // nothing of it reached the chain, the mempool, or the honest peer
    expect(chainA.chain.head.hex).to.equal(toHex(first.header.hash))
    expect(chainA.mempool.size).to.equal(0)
    expect(rejects(b)).to.equal(0)
    // a redial is refused
    await connect(hostile, a).catch(() => {})
    await waitFor('no connection after a redial', () => a.getConnections(hostile.peerId).length === 0)
    // and the honest pair still gossips
    const next = await produceNext(net, chainA)
    await waitFor('B follows A', () => chainB.chain.head.hex === toHex(next.header.hash))
  })
})
