/**
 * Gossip between real nodes on 127.0.0.1: a block produced on one node and a batch of local
 * transactions reach the others through gossipsub and are imported by their ChainServices, over
 * two nodes and over a line of three (the middle node validates, then forwards).
 */
import { expect } from 'chai'
import { toHex } from '../../src/core/bytes.ts'
import { slotStart } from '../../src/core/consensus.ts'
import type { Block } from '../../src/core/types.ts'
import { produceBlock } from '../../src/chain/producer.ts'
import { decodeTx } from '../../src/wire/tx.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import type { ChainService } from '../../src/chain/service.ts'
import type { MemecoinHost } from '../../src/network/host.ts'
import { connect, keyOf, makeNet, MEME, openChain, produceNext, startHost, stopAll, waitFor, type TestNet } from './net-fixture.ts'

/** Waits until every host has a completed status handshake with `n` peers and a gossip mesh. */
async function meshed (hosts: MemecoinHost[], n: number[]): Promise<void> {
  await waitFor('handshakes and gossip subscriptions', () => hosts.every((h, i) =>
    h.services.memecoin.syncState().peers === n[i] &&
    h.services.pubsub.getSubscribers(h.services.memecoin.topics.block).length === n[i] &&
    h.services.pubsub.getSubscribers(h.services.memecoin.topics.tx).length === n[i]))
}

function transfers (net: TestNet, count: number): Uint8Array[] {
  const to = keyOf('gossip:recipient').id
  return Array.from({ length: count }, (_, i) => buildTransfer({
    chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: BigInt(i), fee: net.params.minFee, to, amount: MEME + BigInt(i)
  }).bytes)
}

describe('network: gossip', function () {
  this.timeout(30_000)
  afterEach(stopAll)

  it('two nodes: a produced block and a transaction batch reach the other node and are imported', async () => {
    const net = makeNet()
    const chainA = await openChain(net, true)
    const chainB = await openChain(net)
    const a = await startHost(chainA)
    const b = await startHost(chainB)
    await connect(a, b)
    await meshed([a, b], [1, 1])

    const block = await produceNext(net, chainA)
    await waitFor('block on B', () => chainB.chain.head.hex === toHex(block.header.hash))
    expect(chainB.chain.head.height).to.equal(1n)
    expect(a.services.memecoin.gossipStats()?.published.block).to.equal(1)

    const txs = transfers(net, 5)
    const outcomes = await chainA.addTransactions(txs, { local: true })
    expect(outcomes.every((o) => o.ok)).to.equal(true)
    await waitFor('5 transactions in B\'s mempool', () => chainB.mempool.size === 5)
    // batched: 5 local transactions within 50 ms travel as one TxBatch
    expect(a.services.memecoin.gossipStats()?.published.tx).to.equal(1)
    expect(b.services.memecoin.gossipStats()?.received.tx).to.deep.equal({ accept: 1, ignore: 0, reject: 0 })
    expect(b.services.memecoin.gossipStats()?.received.block).to.deep.equal({ accept: 1, ignore: 0, reject: 0 })
  })

  it('three nodes in a line: the middle node validates and forwards blocks and transactions', async () => {
    const net = makeNet()
    const chains: ChainService[] = [await openChain(net, true), await openChain(net), await openChain(net)]
    const [ca, cb, cc] = chains as [ChainService, ChainService, ChainService]
    const hosts = [await startHost(ca), await startHost(cb), await startHost(cc)]
    const [a, b, c] = hosts as [MemecoinHost, MemecoinHost, MemecoinHost]
    await connect(a, b)
    await connect(b, c)
    await meshed(hosts, [1, 2, 1])

    for (let i = 1; i <= 3; i++) {
      const block = await produceNext(net, ca)
      await waitFor(`block ${i} on C`, () => cc.chain.head.hex === toHex(block.header.hash))
    }
    expect(cb.chain.head.height).to.equal(3n)
    const txs = transfers(net, 3)
    await ca.addTransactions(txs, { local: true })
    await waitFor('transactions on C', () => cc.mempool.size === 3)
    expect(cb.mempool.size).to.equal(3)
    // C never talked to A: everything came through B
    expect(c.getConnections(a.peerId)).to.have.length(0)
  })

  it('an equivocating block is imported but not relayed (B-14); the evidence is gossiped to all', async () => {
    const net = makeNet()
    const chains: ChainService[] = [await openChain(net), await openChain(net), await openChain(net)]
    const [ca, cb, cc] = chains as [ChainService, ChainService, ChainService]
    const hosts = [await startHost(ca), await startHost(cb), await startHost(cc)]
    const [a, b, c] = hosts as [MemecoinHost, MemecoinHost, MemecoinHost]
    await connect(a, b)
    await connect(b, c)
    await meshed(hosts, [1, 2, 1])
    await waitFor('evidence mesh', () => b.services.pubsub.getSubscribers(b.services.memecoin.topics.evidence).length === 2)

    // two different blocks by the one validator for one slot, made off the network
    const offline = await openChain(net, true)
    const tx = decodeTx(transfers(net, 1)[0] as Uint8Array)
    let x1: Block | undefined
    let x2: Block | undefined
    for (let slot = 1n; slot < 200n && x2 === undefined; slot++) {
      x1 = produceBlock(offline.chain, net.validator, slot, [])
      if (x1 === undefined) continue
      net.clock.t = slotStart(slot, net.params)
      x2 = produceBlock(offline.chain, net.validator, slot, [tx])
    }
    if (x1 === undefined || x2 === undefined) throw new Error('no led slot')
    const topic = a.services.memecoin.topics.block
    await ca.importBlock(x1.bytes)
    await a.services.pubsub.publish(topic, x1.bytes)
    await waitFor('X1 on C', () => cc.chain.getNode(x1.header.hash) !== undefined)

    // A sees the second block: it records the equivocation and gossips the evidence
    await ca.importBlock(x2.bytes)
    await waitFor('evidence accepted by B and C', () =>
      b.services.memecoin.gossipStats()?.received.evidence.accept === 1 && c.services.memecoin.gossipStats()?.received.evidence.accept === 1)
    expect(a.services.memecoin.gossipStats()?.published.evidence).to.equal(1)

    // gossiped, X2 is imported by B (it is valid) but IGNOREd: B never forwards it to C
    await a.services.pubsub.publish(topic, x2.bytes)
    await waitFor('X2 on B', () => cb.chain.getNode(x2.header.hash) !== undefined)
    expect(b.services.memecoin.gossipStats()?.received.block.ignore).to.equal(1)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(cc.chain.getNode(x2.header.hash), 'C never received X2').to.equal(undefined)
    // B observed the equivocation too; its evidence is the same message (same bytes, same id)
    expect(c.services.memecoin.gossipStats()?.received.evidence.accept).to.equal(1)
  })
})
