/**
 * Request/response and the status handshake against real nodes (SPEC §10, R-1…R-4): blocks by
 * range and by hash; a different genesis disconnects (a node of another chain, and a peer that
 * speaks our protocol but answers another genesis hash); a bad request gets code 1, one over the
 * rate limit code 2; a stream that stalls mid-request is reset by the read timeout.
 */
import { expect } from 'chai'
import type { Connection } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { toHex } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import { encodeBlocksByRange, encodeResponseChunk, RESPONSE_INVALID_REQUEST, RESPONSE_OK, RESPONSE_RATE_LIMITED, RESPONSE_SERVER_ERROR } from '../../src/wire/messages.ts'
import { decodeBlock } from '../../src/wire/block.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { connect, makeNet, openChain, produceNext, producingChain, startHost, stopAll, waitFor } from './net-fixture.ts'
import { answerStatus, answerWith, rawRequest, startRawPeer } from './raw-peer.ts'

describe('network: request/response and handshake', function () {
  this.timeout(30_000)
  afterEach(stopAll)

  it('serves blocks by range and by hash to a peer', async () => {
    const net = makeNet()
    const chainA = await producingChain(net, 5)
    const a = await startHost(chainA)
    const b = await startHost(await openChain(net))
    await connect(b, a)
    const range = await b.services.memecoin.blocksByRange(a.peerId, 2n, 64)
    expect(range.map((x) => decodeBlock(x).header.header.height)).to.deep.equal([2n, 3n, 4n, 5n])
    const h3 = chainA.chain.blockAt(3n)?.hash as Uint8Array
    const h5 = chainA.chain.blockAt(5n)?.hash as Uint8Array
    const byHash = await b.services.memecoin.blocksByHash(a.peerId, [h5, sha256(new Uint8Array([1])), h3])
    expect(byHash.map((x) => toHex(decodeBlock(x).header.hash))).to.deep.equal([toHex(h5), toHex(h3)])
  })

  it('a range from height 0 is answered from 1, and that answer is taken as the range asked for (no penalty)', async () => {
    const net = makeNet()
    const chainA = await producingChain(net, 3)
    const a = await startHost(chainA)
    const b = await startHost(await openChain(net))
    await connect(b, a)
    const range = await b.services.memecoin.blocksByRange(a.peerId, 0n, 3)
    expect(range.map((x) => decodeBlock(x).header.header.height)).to.deep.equal([1n, 2n, 3n])
    expect(b.services.memecoin.peerBook.score(a.peerId.toString())).to.equal(0)
  })

  it('R-5: a by-hash response holding a block not asked for, or the asked ones out of order or twice, is a protocol breach', async () => {
    const net = makeNet()
    const chainA = await producingChain(net, 3)
    const [b1, b2, b3] = await chainA.blocksByRange(1n, 3) as [Uint8Array, Uint8Array, Uint8Array]
    const a = await startHost(await openChain(net))
    const { status, blocksByHash } = a.services.memecoin.protocols
    const answers: Uint8Array[][] = [[b3], [b2, b1], [b1, b1], [b1, b2]]
    const ask = [decodeBlock(b1).header.hash, decodeBlock(b2).header.hash]
    const outcomes: string[] = []
    // a peer per answer (two penalties ban a peer)
    for (const answer of answers) {
      const peer = await startRawPeer()
      await answerStatus(peer, status)
      await answerWith(peer, blocksByHash, answer.map((b) => encodeResponseChunk({ code: RESPONSE_OK, block: b })))
      await connect(peer, a)
      await waitFor('the handshake', () => a.services.memecoin.syncState().peers === 1)
      try {
        const got = await a.services.memecoin.blocksByHash(peer.peerId, ask)
        outcomes.push(`${got.length} blocks`)
      } catch (err) {
        outcomes.push((err as { code?: string }).code ?? 'error')
      }
      outcomes.push(a.services.memecoin.peerBook.score(peer.peerId.toString()) > 0 ? 'penalised' : 'not penalised')
      await peer.stop()
      await waitFor('the peer gone', () => a.services.memecoin.syncState().peers === 0)
    }
    // block 3 (not asked), 2 before 1, 1 twice: breaches; 1 then 2: the answer
    expect(outcomes).to.deep.equal(['ERR_PROTOCOL', 'penalised', 'ERR_PROTOCOL', 'penalised', 'ERR_PROTOCOL', 'penalised', '2 blocks', 'not penalised'])
  })

  it('a connection whose peer never completes the status handshake is closed after the grace (connection slots are not held by throwaway ids); peers of the chain stay', async () => {
    const net = makeNet()
    const grace = { foreignPeerGraceMs: 600 }
    const a = await startHost(await openChain(net), { network: grace })
    const b = await startHost(await openChain(net), { network: grace })
    const raw = await startRawPeer() // identify only: no memecoin, no gossipsub
    await connect(b, a)
    await connect(raw, a)
    await waitFor('the stranger connected', () => a.getConnections(raw.peerId).length > 0, 5_000)
    await waitFor('the stranger dropped', () => a.getConnections(raw.peerId).length === 0, 5_000)
    expect(a.services.memecoin.metrics().network_foreign_connections_closed_total).to.equal(1)
    expect(a.getConnections(b.peerId).length, 'a peer of this chain keeps its connection').to.be.greaterThan(0)
    expect(a.services.memecoin.peers()).to.equal(1)
  })

  it('an embedding application\'s own peers are left alone: the service closes nothing unless told to', async () => {
    const net = makeNet()
    const a = await startHost(await openChain(net), { network: { foreignPeerGraceMs: undefined } })
    const raw = await startRawPeer()
    await connect(raw, a)
    await waitFor('the stranger connected', () => a.getConnections(raw.peerId).length > 0, 5_000)
    await new Promise((resolve) => setTimeout(resolve, 800))
    expect(a.getConnections(raw.peerId).length).to.be.greaterThan(0)
  })

  it('R-1: a node of another genesis is disconnected and refused', async () => {
    const netA = makeNet('net-one')
    const netX = makeNet('net-two')
    const a = await startHost(await openChain(netA))
    const x = await startHost(await openChain(netX))
    await connect(x, a)
    // both sides see the other's status protocol (another chain id) in identify; whichever is
    // first closes the connection, so the other may never finish identify
    await waitFor('a side to refuse the other', () => a.services.memecoin.isRefused(x.peerId) || x.services.memecoin.isRefused(a.peerId))
    await waitFor('the connection to be closed', () => a.getConnections(x.peerId).length === 0 && x.getConnections(a.peerId).length === 0)
    expect(a.services.memecoin.syncState().peers).to.equal(0)
    expect(x.services.memecoin.syncState().peers).to.equal(0)
    // dialing again: A accepts the connection, identify shows the other chain, A closes it
    await connect(x, a).catch(() => {})
    await waitFor('no connection after a redial', () => a.getConnections(x.peerId).length === 0)
  })

  it('R-1: a node refused as of another chain is accepted again once it runs ours with the same peer key (its operator fixed the genesis)', async () => {
    const netA = makeNet('net-one')
    const infos: string[] = []
    const a = await startHost(await openChain(netA), { network: { log: (level, msg) => { if (level === 'info') infos.push(msg) } } })
    const key = await generateKeyPair('Ed25519')
    // first of another chain (its status has another genesis hash)
    const x = await startRawPeer(undefined, { privateKey: key })
    await answerStatus(x, a.services.memecoin.protocols.status, { genesisHash: sha256(new Uint8Array([7])) })
    await connect(x, a)
    await waitFor('A to refuse X', () => a.services.memecoin.isRefused(x.peerId))
    expect(infos.filter((m) => m.includes('another chain')), 'told once in the operator log').to.have.length(1)
    await x.stop()
    // the same machine (peer key) restarted on A's chain: A does not dial it, but lets it in
    const fixed = await startHost(await openChain(netA), { privateKey: key })
    expect(fixed.peerId.equals(x.peerId)).to.equal(true)
    await connect(fixed, a)
    await waitFor('the handshake', () => a.services.memecoin.syncState().peers === 1 && fixed.services.memecoin.syncState().peers === 1)
    expect(a.services.memecoin.isRefused(fixed.peerId)).to.equal(false)
  })

  it('R-1: a peer that answers the status handshake with another genesis hash is disconnected', async () => {
    const net = makeNet()
    const chainA = await openChain(net)
    const a = await startHost(chainA)
    const liar = await startRawPeer()
    const statusProtocol = a.services.memecoin.protocols.status
    await answerStatus(liar, statusProtocol, { genesisHash: sha256(new Uint8Array([42])) })
    await connect(liar, a)
    await waitFor('the liar to be refused', () => a.services.memecoin.isRefused(liar.peerId))
    await waitFor('the liar to be disconnected', () => a.getConnections(liar.peerId).length === 0 && liar.getConnections(a.peerId).length === 0)
    expect(a.services.memecoin.syncState().peers).to.equal(0)
  })

  it('R-2/R-3: a bad request gets code 1, a request over the rate limit code 2', async () => {
    const net = makeNet()
    const chainA = await openChain(net, true)
    await produceNext(net, chainA)
    const a = await startHost(chainA, { network: { rateLimit: { capacity: 3, refillPerSecond: 0.001 } } })
    const raw = await startRawPeer()
    await connect(raw, a)
    const proto = a.services.memecoin.protocols.blocksByRange

    const bad = await rawRequest(await raw.dialProtocol(a.peerId, proto), encodeBlocksByRange({ startHeight: 1n, count: 0 }))
    expect(bad.map((c) => c.code)).to.deep.equal([RESPONSE_INVALID_REQUEST])
    const garbage = await rawRequest(await raw.dialProtocol(a.peerId, proto), new Uint8Array([0xff, 0xff, 0xff]))
    expect(garbage.map((c) => c.code)).to.deep.equal([RESPONSE_INVALID_REQUEST])
    const ok = await rawRequest(await raw.dialProtocol(a.peerId, proto), encodeBlocksByRange({ startHeight: 1n, count: 64 }))
    expect(ok.map((c) => c.code)).to.deep.equal([RESPONSE_OK])
    const limited = await rawRequest(await raw.dialProtocol(a.peerId, proto), encodeBlocksByRange({ startHeight: 1n, count: 1 }))
    expect(limited.map((c) => c.code)).to.deep.equal([RESPONSE_RATE_LIMITED])
    // 2 bad requests (20 each) + 1 over the limit (10): penalised, not yet banned
    expect(a.services.memecoin.peerBook.score(raw.peerId.toString())).to.be.closeTo(50, 1)
    expect(a.services.memecoin.isRefused(raw.peerId)).to.equal(false)
  })

  it('R-4: a stream that stalls mid-request is reset by the read timeout', async () => {
    const net = makeNet()
    const a = await startHost(await openChain(net), { network: { readTimeoutMs: 300, requestTimeoutMs: 2000 } })
    const raw = await startRawPeer()
    await connect(raw, a)
    const stream = await raw.dialProtocol(a.peerId, a.services.memecoin.protocols.blocksByRange)
    // a length prefix of 5 and only 2 of the 5 bytes, then silence
    stream.send(new Uint8Array([5, 0x08, 0x01]))
    const t0 = Date.now()
    await waitFor('the stream to be reset', () => stream.status !== 'open', 3000)
    const ms = Date.now() - t0
    expect(ms).to.be.below(1500)
    expect(stream.status, 'reset by the server, not closed cleanly').to.equal('reset')
    // the connection itself survives
    const connection = raw.getConnections(a.peerId)[0] as Connection
    expect(connection.status).to.equal('open')
    console.log(`      (slow-loris stream reset after ${ms} ms; read timeout 300 ms)`)
  })

  it('R-5: a peer that serves an invalid block during sync is penalised', async () => {
    const net = makeNet()
    const chainA = await openChain(net)
    const a = await startHost(chainA)
    const liar = await startRawPeer()
    const { status, blocksByRange } = a.services.memecoin.protocols
    let served = 0
    // claims a head 10 blocks ahead, then serves junk for it
    await answerStatus(liar, status, { headHeight: 10n, headSlot: 20n })
    await liar.handle(blocksByRange, async (stream) => {
      const lp = lpStream(stream)
      await lp.read()
      served++
      await lp.write(encodeResponseChunk({ code: RESPONSE_OK, block: new Uint8Array([0x0a, 0x01, 0x00]) }))
      await stream.close()
    })
    await connect(liar, a)
    await waitFor('the liar to be penalised', () => a.services.memecoin.peerBook.score(liar.peerId.toString()) >= 49)
    expect(served).to.equal(1)
    expect(chainA.chain.head.height).to.equal(0n)
    await waitFor('sync to give up', () => !a.services.memecoin.syncState().syncing)
  })

  it('R-5: a range response that is not the range asked for (a known block repeated) is a protocol breach; claiming a head is not catching up', async () => {
    const net = makeNet()
    const chainA = await producingChain(net, 3)
    const a = await startHost(chainA)
    const block1 = (await chainA.blocksByRange(1n, 1))[0] as Uint8Array
    const liar = await startRawPeer()
    const { status, blocksByRange } = a.services.memecoin.protocols
    let served = 0
    const catchingUp: boolean[] = []
    await answerStatus(liar, status, { headHeight: 1000n, headSlot: 5000n })
    // a valid block A already has, 64 times: each would import as "already known" (B-3)
    await liar.handle(blocksByRange, async (stream) => {
      const lp = lpStream(stream)
      await lp.read()
      served++
      catchingUp.push(a.services.memecoin.syncState().catchingUp)
      for (let i = 0; i < 64; i++) await lp.write(encodeResponseChunk({ code: RESPONSE_OK, block: block1 }))
      await stream.close()
    })
    await connect(liar, a)
    await waitFor('the liar to be penalised', () => a.services.memecoin.peerBook.score(liar.peerId.toString()) >= 49)
    expect(served).to.equal(1)
    expect(catchingUp).to.deep.equal([false])
    expect(chainA.chain.head.height).to.equal(3n)
    await waitFor('sync to give up', () => !a.services.memecoin.syncState().syncing)
  })

  it('a range response that changes branch mid-way (a reorg while answering) ends there, unpunished; our responder never sends one', async () => {
    const net = makeNet()
    const x = await openChain(net, true)
    const y = await openChain(net, true)
    const x1 = await produceNext(net, x)
    await produceNext(net, x)
    // another block 1 (it carries a transfer), and a block 2 on it
    expect((await y.addTransactions([buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 1000n, to: net.validator.id, amount: 1n }).bytes]))[0]?.ok).to.equal(true)
    const y1 = await produceNext(net, y)
    const y2 = await produceNext(net, y)
    expect(toHex(y1.header.hash)).to.not.equal(toHex(x1.header.hash))
    const chainA = await openChain(net)
    const a = await startHost(chainA)
    const peer = await startRawPeer()
    const { status, blocksByRange } = a.services.memecoin.protocols
    await answerStatus(peer, status)
    // block 1 of one branch, block 2 of the other: heights right, parent link broken
    await answerWith(peer, blocksByRange, [x1, y2].map((b) => encodeResponseChunk({ code: RESPONSE_OK, block: b.bytes })))
    await connect(peer, a)
    await waitFor('the handshake', () => a.services.memecoin.syncState().peers === 1)
    const got = await a.services.memecoin.blocksByRange(peer.peerId, 1n, 2)
    expect(got.map((b) => toHex(sha256(b)))).to.deep.equal([toHex(sha256(x1.bytes))])
    expect(a.services.memecoin.peerBook.score(peer.peerId.toString())).to.equal(0)
    // our responder: a consistent chain, whatever reorganises while it reads
    const served = await x.blocksByRange(1n, 64)
    expect(served).to.have.length(2)
  })

  it('an error chunk ends a response: the blocks before it are kept, with no penalty; an error chunk alone is an error', async () => {
    const net = makeNet()
    const chainA = await producingChain(net, 3)
    const [b1, b2] = await chainA.blocksByRange(1n, 2) as [Uint8Array, Uint8Array]
    const a = await startHost(await openChain(net))
    const outcomes: string[] = []
    for (const answer of [[b1, b2], []]) {
      const peer = await startRawPeer()
      const { status, blocksByRange } = a.services.memecoin.protocols
      await answerStatus(peer, status)
      // a responder whose store failed after some blocks: code 3, then a block that must not count
      await answerWith(peer, blocksByRange, [
        ...answer.map((b) => encodeResponseChunk({ code: RESPONSE_OK, block: b })),
        encodeResponseChunk({ code: RESPONSE_SERVER_ERROR, message: 'server error' }),
        encodeResponseChunk({ code: RESPONSE_OK, block: b1 })
      ])
      await connect(peer, a)
      await waitFor('the handshake', () => a.services.memecoin.syncState().peers === 1)
      try {
        const got = await a.services.memecoin.blocksByRange(peer.peerId, 1n, 3)
        outcomes.push(got.map((x) => decodeBlock(x).header.header.height).join(','))
      } catch (err) {
        outcomes.push((err as { code?: string }).code ?? 'error')
      }
      outcomes.push(a.services.memecoin.peerBook.score(peer.peerId.toString()) > 0 ? 'penalised' : 'not penalised')
      await peer.stop()
      await waitFor('the peer gone', () => a.services.memecoin.syncState().peers === 0)
    }
    expect(outcomes).to.deep.equal(['1,2', 'not penalised', 'ERR_RESPONSE_CODE', 'not penalised'])
  })

  it('R-5: a response chunk larger than the chain\'s block limit is refused before it is buffered', async () => {
    const net = makeNet()
    const chainA = await openChain(net)
    const a = await startHost(chainA)
    const liar = await startRawPeer()
    const { status, blocksByRange } = a.services.memecoin.protocols
    // an honest-looking status (nothing to sync), then a chunk over maxBlockBytes for a direct request
    await answerStatus(liar, status)
    const size = net.params.maxBlockBytes + 4096
    await liar.handle(blocksByRange, async (stream) => {
      const lp = lpStream(stream, { maxDataLength: 8 * 1024 * 1024 })
      await lp.read()
      await lp.write(encodeResponseChunk({ code: RESPONSE_OK, block: new Uint8Array(size) })).catch(() => {})
      await stream.close().catch(() => {})
    })
    await connect(liar, a)
    await waitFor('the handshake', () => a.services.memecoin.syncState().peers === 1)
    let err: unknown
    try { await a.services.memecoin.blocksByRange(liar.peerId, 1n, 1) } catch (e) { err = e }
    expect((err as { code?: string }).code).to.equal('ERR_PROTOCOL')
    expect(a.services.memecoin.peerBook.score(liar.peerId.toString())).to.be.greaterThanOrEqual(49)
  })
})
