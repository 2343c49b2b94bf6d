/**
 * One node of the multi-process gossip benchmark (`benchGossip` in network.ts), in its own
 * process, driven over IPC (advanced serialization: byte arrays travel as such). It is either a
 * memecoin node (`createNode`, no API, no mDNS) or a plain libp2p host with raw gossipsub (same
 * transports and gossipsub options, an ACCEPT-all validator) for the baseline. Every timestamp
 * it reports is wall-clock milliseconds with sub-millisecond resolution
 * (`performance.timeOrigin + performance.now()`), so stamps from different processes on one
 * machine compare directly.
 *
 * In:  { op: 'init', mode, genesis (JSON), bootstrap: multiaddrs, topic? (raw) } → { op: 'ready', addr }
 *      { op: 'mesh' } → { op: 'mesh', ok }           every topic it subscribes to has a mesh peer
 *      { op: 'add', txs } → { op: 'added' }           addTransactions (memecoin; node 0 gossips them)
 *      { op: 'mempool' } → { op: 'mempool', size }
 *      { op: 'import', bytes } → { op: 'imported' }   importBlock as local: the node publishes it
 *      { op: 'publish', bytes } → { op: 'published' } raw: publish on the topic
 *      { op: 'stats' } → { op: 'stats', cpuMs (the process's, all threads), mainMs / otherMs (Linux: its
 *        event-loop thread's / every other thread's, 10 ms ticks; 0 elsewhere), importSum, importCount, checkMs, heapUsedMiB,
 *        peakRssMiB (the process's peak resident set so far), majorGcs, majorGcMaxMs, collections (every
 *        garbage collection since the last stats: [wall-clock start ms, duration ms, kind], kind as
 *        perf_hooks' NODE_PERFORMANCE_GC_*), connections, blockMesh (mesh peers on the block topic,
 *        or on the raw topic) }
 *      { op: 'stop' } → exits once stopped
 * Out, unasked: { op: 'block', hash (hex), t, local }  a block imported (memecoin)
 *               { op: 'message', h (hex SHA-256 of the bytes), t } a block-topic message delivered
 *               (memecoin: accepted by the topic validator, i.e. relayed; raw: received)
 */
import '../src/polyfill.ts'
import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks'
import { toHex } from '../src/core/bytes.ts'
import { sha256 } from '../src/core/hash.ts'
import { loadGenesis } from '../src/chain/genesis.ts'
import { gossipsubOptions } from '../src/network/gossip-options.ts'
import { createNode, type MemecoinNode } from '../src/node.ts'
import { threadCpuMs } from './threads.ts'

const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
const now = (): number => performance.timeOrigin + performance.now()
const send = (m: object): void => { process.send?.(m) }

let node: MemecoinNode | undefined
let raw: Libp2p | undefined
/** The topic whose mesh `stats` reports: the block topic (memecoin) or the raw topic. */
let meshTopic = ''
const checkMs: number[] = []
const gc = { count: 0, maxMs: 0 }
/** Collections since the last stats: [wall-clock start ms, duration ms, kind]. */
const collections: Array<[number, number, number]> = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0
    collections.push([performance.timeOrigin + e.startTime, e.duration, kind])
    if (kind !== perfConstants.NODE_PERFORMANCE_GC_MAJOR) continue
    gc.count++
    gc.maxMs = Math.max(gc.maxMs, e.duration)
  }
}).observe({ entryTypes: ['gc'] })

const pubsubOf = (l: Libp2p): GossipSub => (l.services as unknown as { pubsub: GossipSub }).pubsub
/** Mesh peers on `topic` (gossipsub's mesh map; subscribers where it is not exposed). */
const meshSize = (ps: GossipSub, topic: string): number => {
  const mesh = (ps as unknown as { mesh?: Map<string, Set<string>> }).mesh
  return mesh instanceof Map ? mesh.get(topic)?.size ?? 0 : ps.getSubscribers(topic).length
}
/** Every subscribed topic has a mesh peer. */
const meshOk = (ps: GossipSub): boolean => ps.getTopics().every((t) => meshSize(ps, t) > 0)

async function init (msg: { mode: 'memecoin' | 'raw', genesis: unknown, bootstrap: string[], topic?: string }): Promise<string> {
  const genesis = loadGenesis(msg.genesis)
  if (msg.mode === 'memecoin') {
    const n = await createNode({ genesis, mdns: false, listen: [LOOPBACK], api: false, bootstrap: msg.bootstrap })
    node = n
    await n.start()
    const ps = pubsubOf(n.libp2p)
    const blockTopic = ps.getTopics().find((t) => t.includes('block')) as string
    meshTopic = blockTopic
    n.chain.on('block', (e) => { send({ op: 'block', hash: toHex(e.block.header.hash), t: now(), local: e.source.local === true }) })
    ps.addEventListener('message', (evt) => {
      if (evt.detail.topic !== blockTopic) return
      const t = now() // before hashing the bytes
      send({ op: 'message', h: toHex(sha256(evt.detail.data)), t })
    })
    const check = n.chain.checkBlockForRelay.bind(n.chain)
    n.chain.checkBlockForRelay = (b) => {
      const t = performance.now()
      try { return check(b) } finally { checkMs.push(performance.now() - t) }
    }
    return n.libp2p.getMultiaddrs()[0]?.toString() as string
  }
  const topic = msg.topic as string
  meshTopic = topic
  const l = await createLibp2p({
    addresses: { listen: [LOOPBACK] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsub(gossipsubOptions(genesis.chainIdHex)) }
  })
  raw = l
  const ps = pubsubOf(l)
  ps.topicValidators.set(topic, () => TopicValidatorResult.Accept)
  ps.subscribe(topic)
  ps.addEventListener('message', (evt) => {
    const t = now() // before hashing the bytes
    send({ op: 'message', h: toHex(sha256(evt.detail.data)), t })
  })
  for (const a of msg.bootstrap) await l.dial(multiaddr(a))
  return l.getMultiaddrs()[0]?.toString() as string
}

async function handle (msg: { op: string, [k: string]: unknown }): Promise<void> {
  switch (msg.op) {
    case 'init': send({ op: 'ready', addr: await init(msg as unknown as Parameters<typeof init>[0]) }); return
    case 'mesh': send({ op: 'mesh', ok: meshOk(pubsubOf((node?.libp2p ?? raw) as Libp2p)) }); return
    case 'add': await node?.chain.addTransactions(msg.txs as Uint8Array[], { local: true }); send({ op: 'added' }); return
    case 'mempool': send({ op: 'mempool', size: node?.chain.mempool.size ?? 0 }); return
    case 'import': await node?.chain.importBlock(msg.bytes as Uint8Array, { local: true }); send({ op: 'imported' }); return
    case 'publish': {
      const bytes = msg.bytes as Uint8Array
      const h = toHex(sha256(bytes))
      send({ op: 'message', h, t: now() })
      await pubsubOf(raw as Libp2p).publish(msg.topic as string, bytes)
      send({ op: 'published' })
      return
    }
    case 'stats': {
      const t = node?.chain.importTimes() ?? { sum: 0, count: 0 }
      const host = node?.libp2p ?? raw
      const cpu = process.cpuUsage()
      // the event loop's thread (its id is the process id) and the others (V8's helpers, libuv's pool: LevelDB, verifier workers)
      const threads = threadCpuMs()
      const mainMs = threads.get(process.pid) ?? 0
      let otherMs = 0
      for (const [tid, ms] of threads) if (tid !== process.pid) otherMs += ms
      send({ op: 'stats', mainMs, otherMs, cpuMs: (cpu.user + cpu.system) / 1000, importSum: t.sum, importCount: t.count, checkMs: checkMs.splice(0), heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20, peakRssMiB: process.resourceUsage().maxRSS / 1024, majorGcs: gc.count, majorGcMaxMs: gc.maxMs, collections: collections.splice(0), connections: host?.getConnections().length ?? 0, blockMesh: host === undefined ? 0 : meshSize(pubsubOf(host), meshTopic) })
      return
    }
    case 'stop':
      await node?.stop()
      await raw?.stop()
      process.exit(0)
  }
}

// one message at a time, in order
let queue = Promise.resolve()
process.on('message', (msg: { op: string }) => {
  queue = queue.then(async () => { await handle(msg) }).catch((err: Error) => { send({ op: 'error', message: err.message }) })
})
process.on('disconnect', () => { process.exit(0) })
