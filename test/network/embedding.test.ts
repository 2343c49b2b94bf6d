/**
 * `memecoin()` as a service of somebody else's libp2p node (services named as the embedder
 * likes, gossipsub found through `init.pubsub`), the dependency and configuration checks, the
 * bootstrap list of `createHost`, and the discovery dialer (the lower peer id dials, bounded
 * retries).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import { toHex } from '../../src/core/bytes.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { Dialer } from '../../src/network/dialer.ts'
import { gossipsubOptions, memecoin, type MemecoinNetwork } from '../../src/network/index.ts'
import { connect, makeNet, nodes, openChain, produceNext, producingChain, startHost, stopAll, waitFor } from './net-fixture.ts'

const base = { addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] }

describe('network: embedding and discovery', function () {
  this.timeout(30_000)
  afterEach(stopAll)

  it('runs inside an application\'s own libp2p node and syncs and gossips with a memecoin host', async () => {
    const net = makeNet()
    const chainA = await producingChain(net, 3)
    const a = await startHost(chainA)
    const chainE = await openChain(net)
    const app = await createLibp2p({
      ...base,
      services: {
        identify: identify(),
        gs: gossipsub(gossipsubOptions(chainE.chainIdHex)),
        coin: memecoin({ chain: chainE, pubsub: 'gs' })
      }
    })
    nodes.push(app)
    const coin: MemecoinNetwork = app.services.coin
    await connect(app, a)
    await waitFor('embedded node synced', () => chainE.chain.head.hex === chainA.chain.head.hex)
    await waitFor('gossip mesh', () => app.services.gs.getSubscribers(coin.topics.block).length === 1)
    const block = await produceNext(net, chainA)
    await waitFor('gossiped block on the embedded node', () => chainE.chain.head.hex === toHex(block.header.hash))
    expect(coin.syncState().peers).to.equal(1)
    // a transaction the application submits (no source given) reaches the other node
    const tx = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: net.params.minFee, to: net.validator.id, amount: 1n })
    expect((await chainE.addTransactions([tx.bytes]))[0]?.ok).to.equal(true)
    await waitFor('the application\'s transaction in the other node\'s mempool', () => chainA.mempool.has(tx.id))
  })

  it('refuses to build without identify, and to start on a signing gossipsub or one configured for another chain, before anything starts', async () => {
    const net = makeNet()
    const chain = await openChain(net)
    let err: unknown
    try {
      await createLibp2p({ ...base, start: false, services: { pubsub: gossipsub(gossipsubOptions(chain.chainIdHex)), memecoin: memecoin({ chain }) } })
    } catch (e) { err = e }
    expect((err as Error | undefined)?.name).to.equal('UnmetServiceDependenciesError')

    const signing = await createLibp2p({ ...base, start: false, services: { identify: identify(), pubsub: gossipsub(), memecoin: memecoin({ chain }) } })
    nodes.push(signing)
    err = undefined
    try { await signing.start() } catch (e) { err = e }
    expect((err as { code?: string } | undefined)?.code).to.equal('ERR_NETWORK_CONFIG')
    // refused before anything started: no gossipsub timers left to keep the process alive
    expect((signing.services.pubsub as unknown as { isStarted: () => boolean }).isStarted()).to.equal(false)

    // gossipsub options made for another chain: our topics would go unscored
    const other = await createLibp2p({ ...base, start: false, services: { identify: identify(), pubsub: gossipsub(gossipsubOptions('00112233aabbccdd')), memecoin: memecoin({ chain }) } })
    nodes.push(other)
    err = undefined
    try { await other.start() } catch (e) { err = e }
    expect((err as { code?: string } | undefined)?.code).to.equal('ERR_NETWORK_CONFIG')
    expect((err as Error).message).to.include(`gossipsubOptions('${chain.chainIdHex}')`)
    expect((other.services.pubsub as unknown as { isStarted: () => boolean }).isStarted()).to.equal(false)
  })

  it('createHost dials its bootstrap list', async () => {
    const net = makeNet()
    const a = await startHost(await openChain(net))
    const addr = a.getMultiaddrs()[0]?.toString() as string
    const b = await startHost(await openChain(net), { bootstrap: [addr] })
    await waitFor('B connected to its bootstrap peer', () => b.getConnections(a.peerId).length > 0)
    await waitFor('handshake', () => b.services.memecoin.syncState().peers === 1)
  })

  it('the dialer: the lower peer id dials a discovered peer at once, the higher one only after the fallback delay, with bounded retries', async () => {
    const ids = ['12D3KooWDbncg4fq7NoZ1RnhrYaEsiWXg6wQnXe2SEK7AZY9kJ2k', '12D3KooWLZdCz6p2qwJzXxCjF8UbxEqD4LfgbkGvKK3AU9FLxmo9'].sort()
    const low = peerIdFromString(ids[0] as string)
    const high = peerIdFromString(ids[1] as string)
    const dials: string[] = []
    const fake = (self: PeerId): ConstructorParameters<typeof Dialer>[0] => ({
      peerId: self,
      getConnections: () => [],
      dial: (async (target: PeerId) => { dials.push(`${self.toString()}→${target.toString()}`); throw new Error('unreachable') }) as never
    })
    const info = (id: PeerId): PeerInfo => ({ id, multiaddrs: [] })
    const fromHigh = new Dialer(fake(high), { maxAttempts: 3, retryDelayMs: 10, fallbackDelayMs: 500 })
    const fromLow = new Dialer(fake(low), { maxAttempts: 3, retryDelayMs: 10, fallbackDelayMs: 500 })
    const quiet: string[] = []
    const connectedHigh = new Dialer({ ...fake(high), getConnections: () => [{ status: 'open' }] as never, dial: (async () => { quiet.push('dial') }) as never }, { fallbackDelayMs: 50 })
    try {
      fromHigh.onDiscovered(info(low))
      fromLow.onDiscovered(info(high))
      fromLow.onDiscovered(info(high)) // a second discovery while a round is pending adds nothing
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(dials).to.deep.equal(Array(3).fill(`${low.toString()}→${high.toString()}`))
      // still not connected after the fallback delay (the lower one cannot reach it, or will not
      // dial it): the higher one dials too
      await new Promise((resolve) => setTimeout(resolve, 600))
      fromHigh.stop()
      fromLow.stop()
      expect(dials.slice(3)).to.deep.equal(Array(3).fill(`${high.toString()}→${low.toString()}`))
      // connected meanwhile: the fallback does not dial
      connectedHigh.onDiscovered(info(low))
      await new Promise((resolve) => setTimeout(resolve, 150))
      connectedHigh.stop()
      expect(quiet).to.deep.equal([])
    } finally {
      // their retry timers do not outlive a failed assertion (stop is idempotent)
      fromHigh.stop()
      fromLow.stop()
      connectedHigh.stop()
    }
  })
})
