/**
 * Gossip between real nodes on 127.0.0.1: a block produced on one node and a batch of local
 * transactions reach the others through gossipsub and are imported by their ChainServices, over
 * two nodes and over a line of three (the middle node checks, forwards, then imports); a block
 * whose header passes the checks before relay but whose body is invalid is relayed once, then
 * refused by every import, and costs its sender (SPEC §12, before and after relay).
 */
import { expect } from 'chai'
import type { Multiaddr } from '@multiformats/multiaddr'
import { toHex } from '../../src/core/bytes.ts'
import { slotStart } from '../../src/core/consensus.ts'
import type { Block } from '../../src/core/types.ts'
import { produceBlock } from '../../src/chain/producer.ts'
import { decodeTx } from '../../src/wire/tx.ts'
import { sha256 } from '../../src/core/hash.ts'
import { utf8 } from '../../src/core/bytes.ts'
import { HEADER_DOMAIN, signBytes } from '../../src/core/signing.ts'
import type { BlockHeader } from '../../src/core/types.ts'
import { decodeBlock, encodeBlock } from '../../src/wire/block.ts'
import type { BlockNode } from '../../src/chain/chain.ts'
import { encodeTxBatch } from '../../src/wire/tx.ts'
import { ChainService as ChainServiceClass } from '../../src/chain/service.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { encodeHeader, encodeSignedHeader } from '../../src/wire/header.ts'
import { PENALTY } from '../../src/network/constants.ts'
import { startRawPeer } from './raw-peer.ts'
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

/** A non-producing chain service of `net` on its own clock. */
async function ChainServiceOpen (net: TestNet, now: () => bigint): Promise<ChainService> {
  return await ChainServiceClass.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now })
}

function transfers (net: TestNet, count: number): Uint8Array[] {
  const to = keyOf('gossip:recipient').id
  return Array.from({ length: count }, (_, i) => buildTransfer({
    chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: BigInt(i), fee: net.params.minFee, to, amount: MEME + BigInt(i)
  }).bytes)
}

/** Nodes A and B (meshed) and a raw gossipsub peer connected to A only, subscribed to its block topic. */
async function hostileBesidePair (net: TestNet): Promise<{ ca: ChainService, cb: ChainService, a: MemecoinHost, b: MemecoinHost, hostile: Awaited<ReturnType<typeof startRawPeer>>, pubsub: NonNullable<Awaited<ReturnType<typeof startRawPeer>>['services']['pubsub']>, topic: string }> {
  const [ca, cb] = [await openChain(net), await openChain(net)]
  const a = await startHost(ca)
  const b = await startHost(cb)
  await connect(a, b)
  await meshed([a, b], [1, 1])
  const hostile = await startRawPeer(ca.chainIdHex)
  const pubsub = hostile.services.pubsub
  if (pubsub === undefined) throw new Error('raw peer without gossipsub')
  await connect(hostile, a)
  const topic = a.services.memecoin.topics.block
  await waitFor('the hostile peer to see A\'s subscription', () => pubsub.getSubscribers(topic).some((p) => p.equals(a.peerId)))
  return { ca, cb, a, b, hostile, pubsub, topic }
}

/** A host's gossip counters. */
function stats (h: MemecoinHost): NonNullable<ReturnType<MemecoinHost['services']['memecoin']['gossipStats']>> {
  const g = h.services.memecoin.gossipStats()
  if (g === undefined) throw new Error('no gossip stats')
  return g
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

  it('gossip survives the connection carrying it closing while another stays open (an address change): the stream is reopened', async () => {
    const net = makeNet()
    const ca = await openChain(net, true)
    const cb = await openChain(net, true)
    const a = await startHost(ca)
    const b = await startHost(cb, { network: { statusRefreshMs: 60_000 } })
    await connect(b, a)
    await meshed([a, b], [1, 1])
    await produceNext(net, ca)
    await waitFor('B at 1', () => cb.chain.head.height === 1n)
    // B dials A again (as after its address changed), then the first connection dies
    const first = b.getConnections(a.peerId)[0]
    if (first === undefined) throw new Error('no connection')
    await b.dial(a.getMultiaddrs()[0] as Parameters<typeof b.dial>[0], { force: true } as Parameters<typeof b.dial>[1])
    // identify has run on the new connection (gossipsub heard of it while the first one still
    // carried its stream) before the first one dies: the order of a real address change
    await new Promise((resolve) => setTimeout(resolve, 300))
    first.abort(new Error('address gone'))
    await waitFor('one open connection each way', () => b.getConnections(a.peerId).length === 1 && a.getConnections(b.peerId).length === 1)
    // blocks still travel both ways by gossip (counted as received on the block topic)
    // each side's gossipsub has an outbound stream to the other again (white-box: its member)
    const outbound = (h: MemecoinHost, to: MemecoinHost): boolean => (h.services.pubsub as unknown as { streamsOutbound: Map<string, unknown> }).streamsOutbound.has(to.peerId.toString())
    await waitFor('gossip streams reopened', () => outbound(a, b) && outbound(b, a), 3_000)
    const [onB, onA] = [stats(b).received.block.accept, stats(a).received.block.accept]
    const fromA = await produceNext(net, ca)
    await waitFor('A\'s block on B by gossip', () => stats(b).received.block.accept === onB + 1, 5_000)
    const fromB = await produceNext(net, cb)
    await waitFor('B\'s block on A by gossip', () => stats(a).received.block.accept === onA + 1, 5_000)
    await waitFor('both heads', () => cb.chain.head.hex === toHex(fromA.header.hash) || cb.chain.head.hex === toHex(fromB.header.hash))
    expect(ca.chain.head.hex).to.equal(toHex(fromB.header.hash))
  })

  it('a connected peer announcing only new addresses (it moved) is dialed there and the old connection closed; gossip goes on', async () => {
    const net = makeNet()
    const ca = await openChain(net, true)
    const cb = await openChain(net, true)
    const a = await startHost(ca)
    // B reachable at two loopback addresses: A first connects to the one "before the move"
    const b = await startHost(cb, { listen: ['/ip4/127.0.0.2/tcp/0', '/ip4/127.0.0.3/tcp/0'] })
    const at = (ip: string): Multiaddr => b.getMultiaddrs().find((m) => m.toString().includes(`/ip4/${ip}/`)) as Multiaddr
    await a.dial(at('127.0.0.2'))
    await meshed([a, b], [1, 1])
    // mDNS now answers with B's new address only
    a.dispatchEvent(new CustomEvent('peer:discovery', { detail: { id: b.peerId, multiaddrs: [at('127.0.0.3')] } }))
    await waitFor('one connection, to the new address', () => {
      const cs = a.getConnections(b.peerId).filter((c) => c.status === 'open')
      return cs.length === 1 && cs[0]?.remoteAddr.toString().includes('/ip4/127.0.0.3/') === true
    }, 5_000)
    const outbound = (h: MemecoinHost, to: MemecoinHost): boolean => (h.services.pubsub as unknown as { streamsOutbound: Map<string, unknown> }).streamsOutbound.has(to.peerId.toString())
    await waitFor('gossip streams on it', () => outbound(a, b) && outbound(b, a), 3_000)
    const onB = stats(b).received.block.accept
    await produceNext(net, ca)
    await waitFor('A\'s block on B by gossip', () => stats(b).received.block.accept === onB + 1, 5_000)
    // an announcement that still includes the address in use changes nothing
    a.dispatchEvent(new CustomEvent('peer:discovery', { detail: { id: b.peerId, multiaddrs: [at('127.0.0.2'), at('127.0.0.3')] } }))
    await new Promise((resolve) => setTimeout(resolve, 300))
    const kept = a.getConnections(b.peerId).filter((c) => c.status === 'open')
    expect(kept).to.have.length(1)
    // connected at both addresses (it dialed us from the new one already): the old one is closed, nothing dialed
    await a.dial(at('127.0.0.2'), { force: true } as Parameters<typeof a.dial>[1])
    expect(a.getConnections(b.peerId).filter((c) => c.status === 'open')).to.have.length(2)
    a.dispatchEvent(new CustomEvent('peer:discovery', { detail: { id: b.peerId, multiaddrs: [at('127.0.0.3')] } }))
    await waitFor('only the new connection left', () => {
      const cs = a.getConnections(b.peerId).filter((c) => c.status === 'open')
      return cs.length === 1 && cs[0] === kept[0]
    }, 3_000)
  })

  it('when one of its own addresses goes away a node closes the connections made over it, and they are made again', async () => {
    const net = makeNet()
    const ca = await openChain(net, true)
    const cb = await openChain(net)
    // the hosts talk over 127.0.0.1: here that is "the LAN", 127.0.0.14/24 this machine's address on it
    const addresses = ['127.0.0.14/24', '172.18.0.1/16']
    const infos: string[] = []
    const b = await startHost(cb, { network: { localAddresses: () => addresses, localAddressCheckMs: 50, log: (level, msg) => { if (level === 'info') infos.push(msg) } } })
    const a = await startHost(ca, { network: { reconnect: { baseDelayMs: 50 } } })
    await connect(b, a)
    await meshed([a, b], [1, 1])
    const first = b.getConnections(a.peerId)[0]
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(first?.status, 'an unchanged address closes nothing').to.equal('open')
    addresses.pop() // a Docker bridge went away: peers on the LAN were never reached over it
    await waitFor('the loss noticed', () => infos.some((m) => m.includes('local address went away')), 3_000)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(first?.status, 'another subnet\'s address going closes nothing here').to.equal('open')
    infos.length = 0
    addresses[0] = '10.77.0.24/24' // the machine moved to another network
    await waitFor('the old connection closed', () => first?.status !== 'open', 3_000)
    expect(infos.some((m) => m.includes('local address went away'))).to.equal(true)
    // made again (A re-dials a lost peer), and gossip flows on it
    await waitFor('connected again', () => b.getConnections(a.peerId).some((c) => c.status === 'open'), 10_000)
    await meshed([a, b], [1, 1])
    const onB = stats(b).received.block.accept
    await produceNext(net, ca)
    await waitFor('A\'s block on B by gossip', () => stats(b).received.block.accept === onB + 1, 5_000)
  })

  it('a transaction submitted while the node had no peer is announced again once it has one (like a wallet rebroadcast)', async () => {
    const net = makeNet()
    const ca = await openChain(net)
    const cb = await openChain(net)
    const a = await startHost(ca, { network: { localReannounceMs: 300 } })
    const b = await startHost(cb)
    const [bytes] = transfers(net, 1) as [Uint8Array]
    const [out] = await ca.addTransactions([bytes], { local: true })
    expect(out?.ok).to.equal(true)
    // published to nobody; B connects afterwards and learns of it only from a later announcement
    await new Promise((resolve) => setTimeout(resolve, 200))
    await connect(b, a)
    await meshed([a, b], [1, 1])
    net.clock.t += 1_000n // the chain's clock (the service's "last announced" is on it) moves on
    await waitFor('B\'s mempool to hold it', () => cb.mempool.size === 1, 5_000)
    expect(stats(a).published.tx).to.be.greaterThanOrEqual(2)
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

  it('a batch holding a stale transaction is not relayed (a node behind would blame us for its forged signature); its new transactions are sent on in a batch of our own', async () => {
    const net = makeNet()
    const producer = await openChain(net, true) // makes block 1 (with the faucet's nonce 0), not networked
    const to = keyOf('gossip:recipient').id
    const tx = (nonce: bigint, amount: bigint): Uint8Array => buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce, fee: net.params.minFee, to, amount }).bytes
    expect((await producer.addTransactions([tx(0n, 1n)]))[0]?.ok).to.equal(true)
    const block1 = await produceNext(net, producer)
    // B has block 1 (nonce 0 is stale there); C does not: its clock is still before block 1's slot
    const cb = await openChain(net)
    await cb.importBlock(block1.bytes)
    const behind = net.clock.t - 10n * net.params.slotMs
    const cc = await ChainServiceOpen(net, () => behind)
    const b = await startHost(cb)
    const c = await startHost(cc)
    const raw = await startRawPeer(cb.chainIdHex)
    const topic = b.services.memecoin.topics.tx
    raw.services.pubsub?.subscribe(topic)
    await connect(b, c)
    await connect(raw, b)
    await waitFor('meshes', () => (raw.services.pubsub?.getSubscribers(topic).length ?? 0) === 1 && b.services.pubsub.getSubscribers(topic).length === 2 && c.services.pubsub.getSubscribers(topic).length === 1)
    // a new transaction (nonce 1) and a stale one (nonce 0) whose signature is forged
    const forged = tx(0n, 2n).slice()
    forged[forged.length - 64] = (forged[forged.length - 64] as number) ^ 1
    const before = b.services.memecoin.gossipStats()?.published.tx ?? 0
    await raw.services.pubsub?.publish(topic, encodeTxBatch([tx(1n, 3n), forged]))
    await waitFor('B admitted the new one', () => cb.mempool.size === 1)
    await waitFor('B sent it on in a batch of its own', () => (b.services.memecoin.gossipStats()?.published.tx ?? 0) > before)
    await new Promise((resolve) => setTimeout(resolve, 500))
    // C saw only B's batch (nonce 1: a gap there, an IGNORE), never the forged one: B is not blamed
    expect(c.services.memecoin.peerBook.score(b.peerId.toString())).to.equal(0)
    expect(cb.mempool.size).to.equal(1)
  })

  it('a peer flooding worthless transactions (unfunded senders, forged signatures, a new batch salt each time) costs no signature check and no relay; past its budget its batches are dropped unread', async () => {
    const net = makeNet()
    const ca = await openChain(net)
    const a = await startHost(ca, { network: { wastedTxBudget: { capacity: 100, refillPerSecond: 1 } } })
    const raw = await startRawPeer(ca.chainIdHex)
    const topic = a.services.memecoin.topics.tx
    raw.services.pubsub?.subscribe(topic)
    await connect(raw, a)
    await waitFor('mesh', () => (raw.services.pubsub?.getSubscribers(topic).length ?? 0) === 1 && a.services.pubsub.getSubscribers(topic).length === 1)
    // 64 transfers from keys that hold nothing, each signature forged: checked, each would be a REJECT
    const to = keyOf('gossip:recipient').id
    const junk = Array.from({ length: 64 }, (_, i) => {
      const t = buildTransfer({ chainId: net.params.chainId, privateKey: keyOf(`gossip:nobody-${i}`).privateKey, nonce: 0n, fee: net.params.minFee, to, amount: MEME }).bytes.slice()
      t[t.length - 64] = (t[t.length - 64] as number) ^ 1
      return t
    })
    const sigChecks = (): number => ca.sigCache.stats().inserts + ca.sigCache.stats().misses
    const checksBefore = sigChecks()
    for (let i = 0; i < 6; i++) {
      await raw.services.pubsub?.publish(topic, encodeTxBatch(junk, BigInt(i + 1)))
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await waitFor('all six batches judged', () => stats(a).received.tx.ignore >= 6, 5_000)
    // two batches (128 transactions) spent the budget of 100: the next ones were not even decoded
    expect(stats(a).received.tx).to.include({ accept: 0, reject: 0 })
    expect(stats(a).txBatchesDropped.wasteful).to.equal(4)
    // refused before their signatures: no verification, no penalty (nothing proves them bad), no relay
    expect(sigChecks()).to.equal(checksBefore)
    expect(a.services.memecoin.peerBook.score(raw.peerId.toString())).to.equal(0)
    expect(ca.mempool.size).to.equal(0)
    expect(stats(a).published.tx).to.equal(0)
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

  it('side blocks signed by a key without stake: REJECTed where their leader can be checked, otherwise kept but never relayed', async () => {
    const net = makeNet('side-gossip')
    const { ca, cb, a, b, hostile, pubsub, topic } = await hostileBesidePair(net)

    // the canonical chain X1…X3 on A and B; S, the validator's block at height 1 in a later slot
    // than X1, is a side block there (never validated)
    const offline = await openChain(net, true)
    const xs = [await produceNext(net, offline), await produceNext(net, offline), await produceNext(net, offline)]
    for (const x of xs) { await ca.importBlock(x.bytes); await cb.importBlock(x.bytes) }
    const atGenesis = await openChain(net)
    let S: Block | undefined
    for (let slot = (xs[0] as Block).header.header.slot + 1n; slot < 200n && S === undefined; slot++) S = produceBlock(atGenesis.chain, net.validator, slot, [])
    if (S === undefined) throw new Error('no led slot')
    expect((await ca.importBlock(S.bytes)).status).to.equal('side')
    // children of S at height 2 (below the head) signed by a key with no stake, S's VRF proof
    const junk = (slot: bigint): Uint8Array => {
      const key = keyOf('side-gossip:no-stake')
      const h: BlockHeader = { ...(S as Block).header.header, height: 2n, slot, parentHash: (S as Block).header.hash, proposer: key.publicKey }
      const hb = encodeHeader(h)
      return encodeBlock(encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, key.privateKey)), [])
    }
    // in S's epoch its leader is checked against S's header-derived state: REJECT (B-9), the sender pays
    const epochSlots = net.params.epochSlots
    expect(S.header.header.slot < epochSlots - 1n).to.equal(true)
    await pubsub.publish(topic, junk(S.header.header.slot + 1n))
    await waitFor('A to REJECT the junk in S\'s epoch', () => stats(a).received.block.reject === 1)
    expect(a.services.memecoin.peerScore(hostile.peerId).penalty).to.be.closeTo(PENALTY.gossipReject, 0.1)
    // in the next epoch it cannot be checked before S is validated: kept (a side block), IGNOREd
    net.clock.t = slotStart(epochSlots + 1n, net.params)
    const later = junk(epochSlots)
    await pubsub.publish(topic, later)
    await waitFor('A to keep the unchecked junk', () => stats(a).received.block.ignore === 1)
    const laterHash = ca.chain.getNode(decodeBlock(later).header.hash)?.hash
    expect(laterHash, 'kept as a side block').to.not.equal(undefined)
    expect(ca.chain.leaderChecked(ca.chain.getNode(laterHash as Uint8Array) as BlockNode)).to.equal(false)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(stats(b).received.block, 'B never received either').to.deep.equal({ accept: 0, ignore: 0, reject: 0 })
    expect(ca.chain.head.height).to.equal(3n)
  })

  it('a block valid but for its state root is relayed, then refused by every import: the sender pays, the proposer turns suspect', async () => {
    const net = makeNet()
    const { ca, cb, a, b, hostile, pubsub, topic } = await hostileBesidePair(net)

    // the (only, hence hostile) validator's blocks, made off the network on genesis, one with a
    // wrong state root: every rule but B-12 holds, so only an import can tell
    const offline = await openChain(net)
    const led = (from: bigint): Block => {
      for (let slot = from; slot < from + 200n; slot++) {
        const blk = produceBlock(offline.chain, net.validator, slot, [])
        if (blk !== undefined) {
          if (slotStart(slot, net.params) > net.clock.t) net.clock.t = slotStart(slot, net.params)
          return blk
        }
      }
      throw new Error('no led slot')
    }
    const badStateRoot = (blk: Block, label: string): Uint8Array => {
      const h: BlockHeader = { ...blk.header.header, stateRoot: sha256(utf8(label)) }
      const hb = encodeHeader(h)
      return encodeBlock(encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, net.validator.privateKey)), [])
    }
    const points = (h: MemecoinHost, of: MemecoinHost | typeof hostile): number => h.services.memecoin.peerScore(of.peerId).penalty
    const x1 = led(1n)
    await pubsub.publish(topic, badStateRoot(x1, 'bad 1'))
    // A: ACCEPT (relayed), then its import refuses it: the sender pays a gossip REJECT
    await waitFor('A to refuse it after relay', () => stats(a).afterRelay.reject === 1)
    expect(stats(a).received.block).to.deep.equal({ accept: 1, ignore: 0, reject: 0 })
    expect(points(a, hostile)).to.be.closeTo(PENALTY.gossipReject, 0.1)
    // B got it from A, refused it in its import too, and charges A (the relayer) once
    await waitFor('B to refuse it after relay', () => stats(b).afterRelay.reject === 1)
    expect(points(b, a)).to.be.closeTo(PENALTY.gossipReject, 0.1)
    expect(ca.chain.head.height).to.equal(0n)
    expect(cb.chain.head.height).to.equal(0n)

    // the proposer is now a suspect: its next block is imported before relay, REJECTed by A's
    // validator, and never reaches B, so an honest relayer pays for at most one block per proposer
    const x2 = led(x1.header.header.slot + 1n)
    await pubsub.publish(topic, badStateRoot(x2, 'bad 2'))
    await waitFor('A to REJECT it before relay', () => stats(a).received.block.reject === 1)
    expect(stats(a).afterRelay.started).to.equal(1)
    expect(points(a, hostile)).to.be.closeTo(2 * PENALTY.gossipReject, 0.2)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(stats(b).received.block).to.deep.equal({ accept: 1, ignore: 0, reject: 0 })
    expect(stats(b).afterRelay.started).to.equal(1)
    expect(points(b, a)).to.be.at.most(PENALTY.gossipReject)
    expect(b.services.memecoin.isRefused(a.peerId)).to.equal(false)

    // a valid block of the suspect proposer is still accepted (imported first) and relayed
    const x3 = led(x2.header.header.slot + 1n)
    await pubsub.publish(topic, x3.bytes)
    await waitFor('B to import the valid block', () => cb.chain.head.hex === toHex(x3.header.hash))
    expect(ca.chain.head.hex).to.equal(toHex(x3.header.hash))
    expect(stats(a).received.block.accept).to.equal(2)
    expect(a.getConnections(b.peerId)).to.have.length(1)
    await offline.close()
  })
})
