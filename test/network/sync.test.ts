/**
 * Catching up between real nodes: a node started after 30 blocks syncs them by range (pipelined
 * requests of 8 here, to exercise several) and then follows gossip; a gossiped block whose
 * ancestors were never gossiped is completed by blocks-by-hash, walking back.
 */
import { expect } from 'chai'
import { toHex } from '../../src/core/bytes.ts'
import type { Block } from '../../src/core/types.ts'
import { lpStream } from '@libp2p/utils'
import { connect, keyOf, makeNet, openChain, produceNext, producingChain, startHost, stopAll, waitFor } from './net-fixture.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { answerStatus, startRawPeer } from './raw-peer.ts'
import { PARENT_PEERS_PER_HASH } from '../../src/network/sync.ts'
import { decodeBlocksByRange, encodeResponseChunk, RESPONSE_OK } from '../../src/wire/messages.ts'
import { encodeBlock, peekBlockHeader } from '../../src/wire/block.ts'
import { PENALTY } from '../../src/network/constants.ts'
import { encodeHeader, encodeSignedHeader } from '../../src/wire/header.ts'
import { HEADER_DOMAIN, signBytes } from '../../src/core/signing.ts'
import { sha256 } from '../../src/core/hash.ts'
import { utf8 } from '../../src/core/bytes.ts'
import { merkleRoot } from '../../src/core/merkle.ts'

/**
 * Our chain X (k + 6 blocks: settled at 6) and a peer's longer chain Y (k + 10 blocks), apart
 * from height 1 (Y's first block carries a transfer), each made by the devnet's validator.
 */
async function divergedChains (label: string): Promise<{ net: ReturnType<typeof makeNet>, k: bigint, x: Awaited<ReturnType<typeof openChain>>, y: Awaited<ReturnType<typeof openChain>> }> {
  const net = makeNet()
  const k = net.params.k
  const x = await producingChain(net, k + 6n)
  const y = await openChain(net, true)
  const to = keyOf(label).id
  await y.addTransactions([buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: net.params.minFee, to, amount: 1n }).bytes])
  for (let i = 0n; i < k + 10n; i++) await produceNext(net, y)
  return { net, k, x, y }
}

describe('network: sync', function () {
  this.timeout(30_000)
  afterEach(stopAll)

  it("every peer's status is asked again: blocks that never came by gossip are synced by range", async () => {
    const net = makeNet()
    const producer = await openChain(net, true)
    const chainA = await openChain(net)
    const chainB = await openChain(net)
    const a = await startHost(chainA)
    const b = await startHost(chainB, { network: { statusRefreshMs: 200 } })
    await connect(b, a)
    await waitFor('handshakes', () => a.services.memecoin.syncState().peers === 1 && b.services.memecoin.syncState().peers === 1)
    // A learns 6 blocks quietly (imported, never gossiped: as when its gossip to B silently
    // stopped); the handshake told B height 0, so only a later status can tell it more
    for (let i = 0; i < 6; i++) await chainA.importBlock((await produceNext(net, producer)).bytes)
    await waitFor('B at A\'s head', () => chainB.chain.head.hex === chainA.chain.head.hex)
    expect(b.services.memecoin.syncStats().rangeRequests).to.be.greaterThanOrEqual(1)
    expect(b.services.memecoin.peerList().map((p) => p.headHeight), '/peers is current').to.deep.equal([6n])
  })

  it('a peer whose chain left ours below our settled height: a warning in the operator log (once), no penalty', async () => {
    const { net, k, x, y } = await divergedChains('sync:diverged')
    expect(toHex(await x.blockAt(1n) as Uint8Array)).to.not.equal(toHex(await y.blockAt(1n) as Uint8Array))
    const warnings: Array<{ msg: string, fields?: Record<string, unknown> }> = []
    const log = (level: string, msg: string, fields?: Record<string, unknown>): void => { if (level === 'warn') warnings.push({ msg, fields }) }
    const hx = await startHost(x, { network: { log, sync: { tickMs: 100 } } })
    const hy = await startHost(y)
    await connect(hx, hy)
    await waitFor('the warning', () => warnings.length === 1)
    expect(warnings[0]?.msg).to.match(/cannot reorganise that deep.*delete its data directory's db/)
    expect(warnings[0]?.fields).to.deep.equal({ peers: 1, of: 1, settledHeight: 6n })
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(warnings.length, 'rate-limited').to.equal(1)
    expect(x.chain.head.height).to.equal(k + 6n)
    expect(hx.services.memecoin.peerScore(hy.peerId).penalty).to.equal(0)
  })

  it('three peers on a chain that left ours below our settled height: the warning comes (each counts, though the first parked the orphan the others show)', async () => {
    const { net, x, y } = await divergedChains('sync:diverged-three')
    const copies = [await openChain(net), await openChain(net)]
    for (let h = 1n; h <= y.chain.head.height; h++) for (const c of copies) await c.importBlock(await y.blockAt(h) as Uint8Array)
    const warnings: Array<Record<string, unknown> | undefined> = []
    const hx = await startHost(x, { network: { log: (level, _msg, fields) => { if (level === 'warn') warnings.push(fields) }, sync: { tickMs: 100 } } })
    // the three are known before the first pass ends: its report alone (1 of 3) is not enough
    const hosts = await Promise.all([y, ...copies].map(async (c) => await startHost(c)))
    await Promise.all(hosts.map(async (h) => { await connect(hx, h) }))
    await waitFor('the warning', () => warnings.length === 1, 15_000)
    expect(warnings[0]).to.include({ of: 3 })
    expect(warnings[0]?.peers).to.be.at.least(2)
  })

  it('a peer showing a block right above our settled one, with an unknown parent, signed by a key with nothing bonded, does not make the node tell its operator to resync, nor fill its orphan pool', async () => {
    const net = makeNet()
    const k = net.params.k
    const x = await producingChain(net, k + 6n)
    const warnings: string[] = []
    const hx = await startHost(x, { network: { log: (level, msg) => { if (level === 'warn') warnings.push(msg) }, sync: { tickMs: 100 } } })
    const { status, blocksByRange } = hx.services.memecoin.protocols
    // the liar: claims a higher head, answers any range with one block whose parent nobody has
    const liar = await startRawPeer(x.chainIdHex)
    await answerStatus(liar, status, { headHeight: 1_000n })
    const key = keyOf('sync:liar')
    let served = 0
    await liar.handle(blocksByRange, async (stream) => {
      const lp = lpStream(stream)
      const req = decodeBlocksByRange((await lp.read()).subarray())
      const hb = encodeHeader({ chainId: net.params.chainId, height: req.startHeight, slot: x.chain.head.slot, parentHash: sha256(utf8(`nowhere ${served}`)), proposer: key.publicKey, vrfProof: new Uint8Array(81), txRoot: merkleRoot([]), stateRoot: new Uint8Array(32), txCount: 0 })
      await lp.write(encodeResponseChunk({ code: RESPONSE_OK, block: encodeBlock(encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, key.privateKey)), []) }))
      served++
      await stream.close()
    })
    await connect(liar, hx)
    await waitFor('the liar asked for a range', () => served >= 1, 10_000)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(warnings).to.deep.equal([])
    expect(x.chain.head.height).to.equal(k + 6n)
    // nor is the orphan kept (B-5 holds for blocks in responses as on gossip)
    expect(x.chain.orphanCount).to.equal(0)
  })

  it('a node started later syncs 30 blocks by range, then follows gossip', async () => {
    const net = makeNet()
    const chainA = await openChain(net, true)
    const a = await startHost(chainA)
    // produced with no peer: publishing to zero topic peers must not throw
    for (let i = 0; i < 30; i++) await produceNext(net, chainA)
    expect(chainA.chain.head.height).to.equal(30n)
    expect(a.services.memecoin.gossipStats()?.published.block).to.equal(30)
    const alone = await a.services.pubsub.publish(a.services.memecoin.topics.block, new Uint8Array([1, 2, 3]))
    expect(alone.recipients).to.deep.equal([])

    const chainB = await openChain(net)
    const b = await startHost(chainB, { network: { sync: { batch: 8 } } })
    // catching up (what stops a validator producing) holds once sync has moved B's head
    const catchingUp: boolean[] = []
    chainB.on('block', () => { catchingUp.push(b.services.memecoin.syncState().catchingUp) })
    const t0 = Date.now()
    await connect(b, a)
    await waitFor('B at A\'s head', () => chainB.chain.head.hex === chainA.chain.head.hex)
    expect(catchingUp.slice(1).every((x) => x)).to.equal(true)
    const syncMs = Date.now() - t0
    const stats = b.services.memecoin.syncStats()
    // settled height 0 + 1 … 30 in requests of 8: four requests, one pass
    expect(stats.rangeRequests).to.be.within(4, 6)
    expect(stats.passes).to.be.greaterThanOrEqual(1)
    const state = b.services.memecoin.syncState()
    expect(state.peers).to.equal(1)
    expect(state.targetHeight).to.equal(30n)
    await waitFor('sync finished', () => !b.services.memecoin.syncState().syncing)
    expect(b.services.memecoin.syncState().catchingUp).to.equal(false)

    // then gossip: a new block arrives without another range request
    await waitFor('gossip mesh', () => a.services.pubsub.getSubscribers(a.services.memecoin.topics.block).length === 1)
    const before = stats.rangeRequests
    const block = await produceNext(net, chainA)
    await waitFor('block 31 on B', () => chainB.chain.head.hex === toHex(block.header.hash))
    expect(b.services.memecoin.syncStats().rangeRequests).to.equal(before)
    console.log(`      (range sync of 30 blocks: ${syncMs} ms)`)
  })

  it('a peer claiming the highest head that brings one new block per range request does not set the pace: the peer that answers in full does', async () => {
    const net = makeNet()
    const producer = await openChain(net, true)
    const chainA = await openChain(net)
    for (let i = 0; i < 120; i++) await chainA.importBlock((await produceNext(net, producer)).bytes)
    const chainB = await openChain(net)
    const a = await startHost(chainA)
    const b = await startHost(chainB)
    const { status, blocksByRange } = b.services.memecoin.protocols
    // the trickler: real blocks, k + 1 per request (a request starts at our settled height + 1:
    // one new block each time), while its status claims a far higher head
    const trickler = await startRawPeer(chainB.chainIdHex)
    await answerStatus(trickler, status, { headHeight: 10_000n })
    let asked = 0
    await trickler.handle(blocksByRange, async (stream) => {
      const lp = lpStream(stream)
      const req = decodeBlocksByRange((await lp.read()).subarray())
      asked++
      for (let h = req.startHeight; h <= req.startHeight + net.params.k; h++) {
        const block = await producer.blockAt(h)
        if (block !== undefined) await lp.write(encodeResponseChunk({ code: RESPONSE_OK, block }))
      }
      await stream.close()
    })
    await connect(trickler, b)
    await connect(a, b)
    await waitFor('B at A\'s height', () => chainB.chain.head.height === 120n, 30_000)
    // the first pass went to the highest claim; its short answer sent B to A for the rest
    expect(asked).to.be.at.most(3)
  })

  it('an invalid block in a range response, the last of one response or inside the next, stops the pass there and penalises the sender; the blocks before it stay', async () => {
    // requests of 8 with 8 blocks queued ahead: block 8 is judged only after the second
    // response's first blocks went to the import queue (the window runs across responses)
    const net = makeNet()
    const producer = await producingChain(net, 20)
    for (const bad of [8n, 13n]) {
      const chainB = await openChain(net)
      const b = await startHost(chainB, { network: { sync: { batch: 8, tickMs: 100 } } })
      const { status, blocksByRange } = b.services.memecoin.protocols
      const server = await startRawPeer(chainB.chainIdHex)
      await answerStatus(server, status, { headHeight: 20n })
      // the producer's block at `bad`, re-signed by its own proposer with a wrong state root (B-12)
      const real = peekBlockHeader(await producer.blockAt(bad) as Uint8Array)
      const hb = encodeHeader({ ...real.header, stateRoot: sha256(utf8(`wrong root ${bad}`)) })
      const forged = encodeBlock(encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, net.validator.privateKey)), [])
      await server.handle(blocksByRange, async (stream) => {
        const lp = lpStream(stream)
        const req = decodeBlocksByRange((await lp.read()).subarray())
        for (let h = req.startHeight; h < req.startHeight + BigInt(req.count) && h <= 20n; h++) {
          await lp.write(encodeResponseChunk({ code: RESPONSE_OK, block: h === bad ? forged : await producer.blockAt(h) as Uint8Array }))
        }
        await stream.close()
      })
      await connect(server, b)
      await waitFor(`the sender of block ${bad} penalised`, () => b.services.memecoin.peerScore(server.peerId).penalty >= PENALTY.invalidResponse)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(chainB.chain.head.height, `bad block ${bad}`).to.equal(bad - 1n)
      expect(chainB.chain.head.hex).to.equal(toHex(peekBlockHeader(await producer.blockAt(bad - 1n) as Uint8Array).hash))
      // the second response did not continue the first (block 8 was forged): the forged block was
      // judged before any of it was queued, so none of its blocks waits as an orphan
      expect(chainB.chain.orphanCount).to.equal(0)
      await stopAll()
    }
  })

  it('a gossiped block with unknown ancestors is completed by blocks-by-hash', async () => {
    const net = makeNet()
    const producer = await openChain(net, true) // not networked: makes blocks nobody gossips
    const chainA = await openChain(net)
    const chainB = await openChain(net)
    const a = await startHost(chainA)
    const b = await startHost(chainB)
    await connect(a, b)
    await waitFor('handshakes and mesh', () => a.services.memecoin.syncState().peers === 1 && b.services.memecoin.syncState().peers === 1 &&
      a.services.pubsub.getSubscribers(a.services.memecoin.topics.block).length === 1)

    const blocks: Block[] = []
    for (let i = 0; i < 5; i++) blocks.push(await produceNext(net, producer))
    // A learns blocks 1…4 quietly (not local: not published), then gossips block 5 by hand
    for (const blk of blocks.slice(0, 4)) await chainA.importBlock(blk.bytes)
    await chainA.importBlock((blocks[4] as Block).bytes)
    await a.services.pubsub.publish(a.services.memecoin.topics.block, (blocks[4] as Block).bytes)

    await waitFor('B at height 5', () => chainB.chain.head.height === 5n)
    expect(chainB.chain.head.hex).to.equal(toHex((blocks[4] as Block).header.hash))
    const stats = b.services.memecoin.syncStats()
    expect(stats.hashRequests, 'one round per missing ancestor').to.be.within(4, 5)
    expect(stats.rangeRequests).to.equal(0)
    expect(chainB.chain.missingParents()).to.deep.equal([])
  })

  it('a peer that gossips an orphan and withholds its parents cannot make them unavailable: another peer is asked', async () => {
    const net = makeNet()
    const producer = await openChain(net, true)
    const chainA = await openChain(net)
    const chainB = await openChain(net)
    const a = await startHost(chainA)
    const b = await startHost(chainB)
    const liar = await startRawPeer(chainB.chainIdHex)
    const { status, blocksByHash } = b.services.memecoin.protocols
    let asked = 0
    // an honest-looking status (same head), then nothing for any hash asked
    await answerStatus(liar, status)
    await liar.handle(blocksByHash, async (stream) => {
      const lp = lpStream(stream)
      await lp.read()
      asked++
      await stream.close()
    })
    const topic = b.services.memecoin.topics.block
    liar.services.pubsub?.subscribe(topic)
    await connect(a, b)
    await connect(liar, b)
    await waitFor('handshakes and the liar in B\'s mesh', () => b.services.memecoin.syncState().peers === 2 && (liar.services.pubsub?.getSubscribers(topic).length ?? 0) === 1)

    const blocks: Block[] = []
    for (let i = 0; i < 5; i++) blocks.push(await produceNext(net, producer))
    // A holds blocks 1…5 quietly; only the liar gossips block 5, so B asks it first
    for (const blk of blocks) await chainA.importBlock(blk.bytes)
    await liar.services.pubsub?.publish(topic, (blocks[4] as Block).bytes)

    await waitFor('B at height 5', () => chainB.chain.head.height === 5n)
    expect(asked).to.be.greaterThanOrEqual(1)
    expect(chainB.chain.head.hex).to.equal(toHex((blocks[4] as Block).header.hash))
  })

  it('a junk orphan\'s parent is asked of at most PARENT_PEERS_PER_HASH peers', async () => {
    const net = makeNet()
    const producer = await openChain(net, true)
    const chainB = await openChain(net)
    const b = await startHost(chainB)
    const { status, blocksByHash } = b.services.memecoin.protocols
    const topic = b.services.memecoin.topics.block
    // three peers that look like ours and never have a block; the first also gossips the orphan
    const asks: number[] = [0, 0, 0]
    const peers = await Promise.all([0, 1, 2].map(async () => await startRawPeer(chainB.chainIdHex)))
    for (const [i, p] of peers.entries()) {
      await answerStatus(p, status)
      await p.handle(blocksByHash, async (stream) => {
        const lp = lpStream(stream)
        await lp.read()
        asks[i] = (asks[i] as number) + 1
        await stream.close()
      })
      await connect(p, b)
    }
    const gossiper = peers[0] as (typeof peers)[number]
    gossiper.services.pubsub?.subscribe(topic)
    await waitFor('handshakes and the mesh', () => b.services.memecoin.syncState().peers === 3 && (gossiper.services.pubsub?.getSubscribers(topic).length ?? 0) === 1)
    await produceNext(net, producer)
    const orphan = await produceNext(net, producer) // its parent (block 1) is nowhere
    await gossiper.services.pubsub?.publish(topic, orphan.bytes)
    await waitFor('the gossiper asked', () => (asks[0] as number) >= 1)
    // several sync ticks later (3 s each), still no more than two peers asked, once each
    await new Promise((resolve) => setTimeout(resolve, 7_000))
    expect(asks.reduce((x, y) => x + y, 0)).to.equal(PARENT_PEERS_PER_HASH)
    expect(asks[0]).to.equal(1)
  })
})
