/**
 * Network benchmarks (issue "Performance"), each printing figures next to a baseline measured in
 * the same run (CONVENTIONS §10); nothing here is asserted. Loopback only: every node has mDNS
 * off, listens on 127.0.0.1, API on 127.0.0.1:0, joins by bootstrap, and is stopped in `finally`.
 *
 * - `benchGossip`: a block's propagation among N memecoin nodes (publish on node 0 → import on the
 *   last node) vs. raw gossipsub (same options, same topology, same block bytes, ACCEPT-all).
 * - `benchSync`: a fresh node range-syncing a prebuilt chain from one peer vs. the verify-bound
 *   limit (native verifies/s × cores / txs per block).
 * - `benchDevnetLoad`: 4 validators under signed transfers submitted over `POST /txs/batch`.
 *
 * All nodes run in this one process (one event loop): see each function's notes.
 */
import '../src/polyfill.ts'
import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { accountIdOf } from '../src/core/address.ts'
import { toHex, utf8 } from '../src/core/bytes.ts'
import { slotAt } from '../src/core/consensus.ts'
import { defaultDevnetGenesis, genesisToJson } from '../src/core/genesis.ts'
import { sha256 } from '../src/core/hash.ts'
import { defaultVerifier, privateKeyFromEntropy, publicKeyOf } from '../src/core/secp256k1.ts'
import { signingDigest, TX_DOMAIN } from '../src/core/signing.ts'
import type { Block } from '../src/core/types.ts'
import { loadGenesis, type LoadedGenesis } from '../src/chain/genesis.ts'
import { ChainService } from '../src/chain/service.ts'
import { gossipsubOptions } from '../src/network/gossip-options.ts'
import { createNode, type MemecoinNode } from '../src/node.ts'
import { LevelStore } from '../src/storage/level.ts'
import { MemoryStore } from '../src/storage/store.ts'
import { signTx, encodeTx, encodeTxBody } from '../src/wire/tx.ts'

/** One benchmark's result: figures, the same-run baseline, ours/baseline ratios, notes. */
export interface BenchResult {
  name: string
  figures: Record<string, number>
  baseline: Record<string, number>
  ratios: Record<string, number>
  notes: string[]
}

const MEME = 10n ** 8n
const LOOPBACK = '/ip4/127.0.0.1/tcp/0'

// ------------------------------------------------------------------ keys, genesis, signing

/** A sender: key pair and account id. */
interface Sender { privateKey: Uint8Array, publicKey: Uint8Array, id: Uint8Array }

function keyOf (label: string): Sender {
  const privateKey = privateKeyFromEntropy(sha256(utf8('bench:' + label)))
  const publicKey = publicKeyOf(privateKey)
  return { privateKey, publicKey, id: accountIdOf(publicKey) }
}

interface BenchNet { genesis: LoadedGenesis, validators: Sender[], senders: Sender[] }

/** A genesis with `validators` equal validators and `senders` funded accounts (1,000 MEME each). */
function benchNet (label: string, o: { validators: number, senders: number, genesisTime: bigint, slotMs: bigint, maxBlockTxs?: bigint }): BenchNet {
  const validators = Array.from({ length: o.validators }, (_, i) => keyOf(`${label}:v${i}`))
  const senders = Array.from({ length: o.senders }, (_, i) => keyOf(`${label}:s${i}`))
  const config = defaultDevnetGenesis({
    genesisTime: o.genesisTime,
    validators: validators.map((v) => ({ id: v.id, stake: 1000n * MEME, balance: 10n * MEME })),
    faucet: { id: keyOf(`${label}:faucet`).id, balance: 1000n * MEME },
    slotMs: o.slotMs,
    chainName: label
  })
  if (o.maxBlockTxs !== undefined) config.maxBlockTxs = o.maxBlockTxs
  for (const s of senders) config.accounts.push({ id: s.id, balance: 1000n * MEME, stake: 0n })
  return { genesis: loadGenesis(genesisToJson(config)), validators, senders }
}

const nativeSign = ((): ((digest: Uint8Array, sk: Uint8Array) => Uint8Array) | undefined => {
  try {
    const b = createRequire(import.meta.url)('secp256k1/bindings') as { ecdsaSign: (m: Uint8Array, k: Uint8Array) => { signature: Uint8Array } }
    return (d, k) => b.ecdsaSign(d, k).signature
  } catch { return undefined }
})()

/**
 * A signed transfer of 1 base unit. libsecp256k1 signs (RFC 6979, low-S: the same signature
 * noble makes) ≈ 12× faster than the wallet path, which also re-derives the public key per call.
 */
function transfer (net: BenchNet, s: Sender, nonce: bigint, to: Uint8Array): { bytes: Uint8Array, id: Uint8Array } {
  const body = { chainId: net.genesis.params.chainId, nonce, fee: net.genesis.params.minFee, transfer: { to, amount: 1n } }
  if (nativeSign === undefined) return signTx(body, s.privateKey)
  const bodyBytes = encodeTxBody({ ...body, sender: s.publicKey })
  const bytes = encodeTx(bodyBytes, nativeSign(signingDigest(TX_DOMAIN, bodyBytes), s.privateKey))
  return { bytes, id: sha256(bytes) }
}

/** Next nonce per sender, from a ledger. */
class Nonces {
  private readonly next = new Map<string, bigint>()
  constructor (private readonly base: (id: Uint8Array) => bigint) {}
  take (s: Sender): bigint {
    const k = toHex(s.id)
    const n = this.next.get(k) ?? this.base(s.id)
    this.next.set(k, n + 1n)
    return n
  }
}

// ------------------------------------------------------------------ small helpers

function pct (xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p / 100 * s.length) - 1))] as number
}
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function waitFor (what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await cond()) return
    await sleep(everyMs)
  }
  if (!await cond()) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

function p2pAddrOf (n: Libp2p): string {
  const a = n.getMultiaddrs().map(String).find((s) => s.startsWith('/ip4/127.0.0.1/tcp/'))
  if (a === undefined) throw new Error('no loopback address')
  return a.includes('/p2p/') ? a : `${a}/p2p/${n.peerId.toString()}`
}

/** Topology of the gossip runs: node i bootstraps from i − 1 and ⌊i/2⌋ (a sparse, connected graph). */
function bootstrapIndexes (i: number): number[] {
  return i === 0 ? [] : [...new Set([i - 1, Math.floor(i / 2)])]
}

async function stopAll (xs: Array<{ stop: () => unknown }>): Promise<void> {
  await Promise.all(xs.map(async (x) => { try { await x.stop() } catch { /* already stopped */ } }))
}

/** Mesh peers of `topic` (gossipsub's mesh map; subscribers where it is not exposed). */
function meshSize (ps: GossipSub, topic: string): number {
  const mesh = (ps as unknown as { mesh?: Map<string, Set<string>> }).mesh
  return mesh instanceof Map ? mesh.get(topic)?.size ?? 0 : ps.getSubscribers(topic).length
}

/** Native verifies per second on one core (over real transaction signatures). */
function verifiesPerSecond (net: BenchNet, n: number): number {
  const s = net.senders[0] as Sender
  const items = Array.from({ length: 256 }, (_, i) => {
    const body = encodeTxBody({ chainId: net.genesis.params.chainId, nonce: BigInt(i), fee: 1000n, sender: s.publicKey, transfer: { to: s.id, amount: 1n } })
    const digest = signingDigest(TX_DOMAIN, body)
    return { digest, sig: nativeSign?.(digest, s.privateKey) ?? signTx({ chainId: net.genesis.params.chainId, nonce: BigInt(i), fee: 1000n, transfer: { to: s.id, amount: 1n } }, s.privateKey).bytes.subarray(-64) }
  })
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const it = items[i % items.length] as { digest: Uint8Array, sig: Uint8Array }
    if (!defaultVerifier.verify(it.sig, it.digest, s.publicKey)) throw new Error('verify failed')
  }
  return n / ((performance.now() - t0) / 1000)
}

// ------------------------------------------------------------------ 1. gossip propagation

/** Options of `benchGossip`. */
export interface GossipBenchOptions { nodes?: number, blocks?: number, txsPerBlock?: number }

/**
 * Block propagation among `nodes` memecoin nodes (non-validators; blocks made by a producer
 * ChainService on the real clock and imported on node 0, which publishes them), then raw
 * gossipsub among as many plain libp2p nodes with the same options and topology publishing the
 * same bytes. Latency = node 0's publish → the last node's import (memecoin) / delivery (raw).
 */
export async function benchGossip (opts: GossipBenchOptions = {}): Promise<BenchResult> {
  const N = opts.nodes ?? 8
  const B = opts.blocks ?? 40
  const T = opts.txsPerBlock ?? 500
  const slotMs = 200n
  const net = benchNet(`gossip-${Date.now()}`, { validators: 1, senders: T, genesisTime: BigInt(Date.now()), slotMs })
  const notes: string[] = []
  const started: Array<{ stop: () => unknown }> = []
  const blocks: Block[] = []
  const lat: number[] = []
  const hop1: number[] = []
  try {
    // the producer: the validator's chain on the real clock (not a network node)
    const producer = await ChainService.open({ params: net.genesis.params, allocations: net.genesis.config.accounts, store: new MemoryStore(), now: () => BigInt(Date.now()), validator: net.validators[0] as Sender })
    started.push({ stop: async () => { await producer.close() } })
    const nodes: MemecoinNode[] = []
    for (let i = 0; i < N; i++) {
      const node = await createNode({ genesis: net.genesis, mdns: false, listen: [LOOPBACK], api: false, bootstrap: bootstrapIndexes(i).map((j) => p2pAddrOf((nodes[j] as MemecoinNode).libp2p)) })
      started.push(node)
      nodes.push(node)
      await node.start()
    }
    const pubsubOf = (n: MemecoinNode): GossipSub => (n.libp2p.services as unknown as { pubsub: GossipSub }).pubsub
    const blockTopic = (): string => pubsubOf(nodes[0] as MemecoinNode).getTopics().find((t) => t.includes('block')) as string
    await waitFor('a mesh on the block topic', () => nodes.every((n) => meshSize(pubsubOf(n), blockTopic()) > 0), 15_000)
    const published = new Map<string, number>()
    const arrived = new Map<string, number[]>()
    ;(nodes[0] as MemecoinNode).chain.on('block', (e) => { if (e.source.local === true) published.set(toHex(e.block.header.hash), performance.now()) })
    for (const n of nodes.slice(1)) {
      n.chain.on('block', (e) => {
        const h = toHex(e.block.header.hash)
        const a = arrived.get(h) ?? []
        a.push(performance.now())
        arrived.set(h, a)
      })
    }
    const nonces = new Nonces(() => 0n)
    while (blocks.length < B) {
      if (producer.mempool.size === 0) {
        const txs = net.senders.map((s, i) => transfer(net, s, nonces.take(s), (net.senders[(i + 1) % net.senders.length] as Sender).id).bytes)
        await producer.addTransactions(txs)
      }
      const slot = slotAt(BigInt(Date.now()), net.genesis.params)
      const block = await producer.produce(slot)
      if (block === undefined) {
        await sleep(Number(net.genesis.params.genesisTime + (slot + 1n) * slotMs - BigInt(Date.now())) + 1)
        continue
      }
      const h = toHex(block.header.hash)
      await (nodes[0] as MemecoinNode).chain.importBlock(block, { local: true })
      await waitFor(`block ${blocks.length} on every node`, () => (arrived.get(h)?.length ?? 0) >= N - 1, 10_000, 2)
      const t0 = published.get(h) as number
      const a = arrived.get(h) as number[]
      lat.push(Math.max(...a) - t0)
      hop1.push(Math.min(...a) - t0)
      blocks.push(block)
      await sleep(Number(slotMs)) // let gossip heartbeats run between blocks
    }
    await stopAll(started.splice(0))

    // raw gossipsub: same options (the chain's score parameters too), topology and bytes
    const topic = `/memecoin-bench/raw/${Date.now()}`
    const raw: Libp2p[] = []
    const got = new Map<string, number[]>()
    for (let i = 0; i < N; i++) {
      const node = await createLibp2p({
        addresses: { listen: [LOOPBACK] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify(), pubsub: gossipsub(gossipsubOptions(net.genesis.chainIdHex)) }
      })
      started.push(node)
      raw.push(node)
      const ps = node.services.pubsub as unknown as GossipSub
      ps.topicValidators.set(topic, () => TopicValidatorResult.Accept)
      ps.subscribe(topic)
      if (i > 0) {
        ps.addEventListener('message', (evt) => {
          const h = toHex(sha256(evt.detail.data))
          const a = got.get(h) ?? []
          a.push(performance.now())
          got.set(h, a)
        })
      }
      for (const j of bootstrapIndexes(i)) await node.dial(multiaddr(p2pAddrOf(raw[j] as Libp2p)))
    }
    const rawPs = (n: Libp2p): GossipSub => n.services.pubsub as unknown as GossipSub
    await waitFor('a raw mesh', () => raw.every((n) => meshSize(rawPs(n), topic) > 0), 15_000)
    const rawLat: number[] = []
    for (const b of blocks) {
      const h = toHex(sha256(b.bytes))
      const t0 = performance.now()
      await rawPs(raw[0] as Libp2p).publish(topic, b.bytes)
      await waitFor('raw delivery', () => (got.get(h)?.length ?? 0) >= N - 1, 10_000, 2)
      rawLat.push(Math.max(...(got.get(h) as number[])) - t0)
      await sleep(Number(slotMs))
    }
    const bytes = blocks.reduce((a, b) => a + b.bytes.length, 0) / blocks.length
    const figures = { nodes: N, blocks: B, txsPerBlock: T, blockBytes: Math.round(bytes), p50Ms: round(pct(lat, 50)), p99Ms: round(pct(lat, 99)), firstNodeP50Ms: round(pct(hop1, 50)) }
    const baseline = { rawP50Ms: round(pct(rawLat, 50)), rawP99Ms: round(pct(rawLat, 99)) }
    notes.push('one process, one event loop: every hop\'s block import (decode, 1 header + T tx signature checks, state transition, persist) runs serially with the other nodes\' work; raw gossipsub has no such work, so the ratio is the cost of validating before forwarding')
    notes.push(`topology: node i dials i−1 and ⌊i/2⌋; target p99 ≤ 2× raw p99 (p99 of ${B} samples is their max)`)
    return { name: 'gossip', figures, baseline, ratios: { p50VsRaw: round(figures.p50Ms / baseline.rawP50Ms), p99VsRaw: round(figures.p99Ms / baseline.rawP99Ms) }, notes }
  } finally {
    await stopAll(started)
  }
}

// ------------------------------------------------------------------ 2. sync

/** Options of `benchSync`. */
export interface SyncBenchOptions { blocks?: number, txsPerBlock?: number, senders?: number }

/**
 * Builds `blocks` blocks of `txsPerBlock` transfers on a ChainService with a controlled clock
 * (LevelDB), serves them from a node opened on that database, and times a fresh node (its own
 * LevelDB) range-syncing them; baseline: native verifies/s × cores / txsPerBlock.
 */
export async function benchSync (opts: SyncBenchOptions = {}): Promise<BenchResult> {
  const B = opts.blocks ?? 2000
  const T = opts.txsPerBlock ?? 500
  const S = opts.senders ?? 2000
  const slotMs = 1000n
  const genesisTime = 1_700_000_000_000n
  const net = benchNet(`sync-${B}x${T}`, { validators: 1, senders: S, genesisTime, slotMs, maxBlockTxs: BigInt(T) })
  const clock = { t: genesisTime }
  const now = (): bigint => clock.t
  const dirs = [mkdtempSync(join(tmpdir(), 'memecoin-bench-sync-a-')), mkdtempSync(join(tmpdir(), 'memecoin-bench-sync-b-'))]
  const started: Array<{ stop: () => unknown }> = []
  const notes: string[] = []
  try {
    // the baseline first, on an idle process
    const verifies = verifiesPerSecond(net, 20_000)
    // build
    const tBuild = performance.now()
    const store = new LevelStore(join(dirs[0] as string, 'db'))
    await store.open()
    const builder = await ChainService.open({ params: net.genesis.params, allocations: net.genesis.config.accounts, store, now, validator: net.validators[0] as Sender })
    const nonces = new Nonces(() => 0n)
    let next = 0
    let slot = 0n
    let signMs = 0
    while (builder.chain.head.height < BigInt(B)) {
      if (builder.mempool.size < T) {
        // refill: up to 16 blocks' worth, ≤ 8 per sender (under the mempool's per-sender cap)
        const s0 = performance.now()
        const txs: Uint8Array[] = []
        for (let i = 0; i < 16 * T; i++) {
          const s = net.senders[next % S] as Sender
          txs.push(transfer(net, s, nonces.take(s), (net.senders[(next + 1) % S] as Sender).id).bytes)
          next++
        }
        signMs += performance.now() - s0
        await builder.addTransactions(txs)
      }
      slot++
      clock.t = genesisTime + slot * slotMs
      await builder.produce(slot)
    }
    await builder.close()
    await store.close()
    const buildS = (performance.now() - tBuild) / 1000
    const txCount = B * T

    const server = await createNode({ genesis: net.genesis, dataDir: dirs[0] as string, now, mdns: false, listen: [LOOPBACK], api: false })
    started.push(server)
    await server.start()
    const client = await createNode({ genesis: net.genesis, dataDir: dirs[1] as string, now, mdns: false, listen: [LOOPBACK], api: false, bootstrap: [p2pAddrOf(server.libp2p)] })
    started.push(client)
    let first: number | undefined
    client.chain.on('block', () => { first ??= performance.now() })
    const t0 = performance.now()
    await client.start()
    await waitFor('the synced head', () => client.chain.chain.head.height >= BigInt(B), 30 * 60_000, 50)
    const t1 = performance.now()
    const seconds = (t1 - t0) / 1000
    const importSeconds = (t1 - (first ?? t0)) / 1000
    const cores = cpus().length
    const bound = verifies * cores / T
    const figures = {
      blocks: B,
      txsPerBlock: T,
      seconds: round(seconds),
      blocksPerS: round(B / seconds),
      txPerS: Math.round(txCount / seconds),
      txPerSFromFirstBlock: Math.round(txCount / importSeconds),
      buildSeconds: round(buildS),
      buildSignSeconds: round(signMs / 1000)
    }
    const baseline = { nativeVerifiesPerS: Math.round(verifies), cores, verifyBoundBlocksPerS: round(bound), verifyBoundTxPerS: Math.round(verifies * cores) }
    notes.push('time from starting the fresh node (dial, status handshake) to its head at the last block; both nodes on LevelDB in one process')
    notes.push('verify bound = one-core native verifies/s × cores: what verifying every tx signature on all cores would allow; import verifies on one core today')
    notes.push('target ≥ 70% of the verify-bound tx/s')
    return { name: 'sync', figures, baseline, ratios: { txPerSVsVerifyBound: round(figures.txPerS / baseline.verifyBoundTxPerS, 3) }, notes }
  } finally {
    await stopAll(started)
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
}

// ------------------------------------------------------------------ 3. devnet under load

/** Options of `benchDevnetLoad`. */
export interface DevnetLoadOptions { nodes?: number, seconds?: number, rate?: number, senders?: number, batch?: number, slotMs?: bigint }

/**
 * `nodes` validators (equal stake, real clock, in-memory stores, API on 127.0.0.1:0) and a load
 * generator posting presigned transfers (`rate` tx/s, batches of `batch`, round robin over the
 * nodes' `POST /txs/batch`, nonces tracked per sender) for `seconds`, then a drain of ≤ 30 s.
 * Baseline: the offered rate.
 */
export async function benchDevnetLoad (opts: DevnetLoadOptions = {}): Promise<BenchResult> {
  const N = opts.nodes ?? 4
  const D = opts.seconds ?? 60
  const rate = opts.rate ?? 2500
  const S = opts.senders ?? 4000
  const batch = opts.batch ?? 250
  const slotMs = opts.slotMs ?? 500n
  const notes: string[] = []
  const net = benchNet(`load-${Date.now()}`, { validators: N, senders: S, genesisTime: BigInt(Date.now() + 3000), slotMs })
  // presign everything before the nodes start: signing in this process would compete with them
  const tSign = performance.now()
  const nonces = new Nonces(() => 0n)
  const total = rate * D
  const txs: Array<{ hex: string, id: string, sender: number }> = []
  for (let i = 0; i < total; i++) {
    const k = i % S
    const s = net.senders[k] as Sender
    const t = transfer(net, s, nonces.take(s), (net.senders[(k + 1) % S] as Sender).id)
    txs.push({ hex: toHex(t.bytes), id: toHex(t.id), sender: k })
  }
  notes.push(`presigned ${total} transfers in ${round((performance.now() - tSign) / 1000)} s before the run`)
  const nodes: MemecoinNode[] = []
  let peakRss = 0
  const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()) }, 250)
  try {
    for (let i = 0; i < N; i++) {
      const node = await createNode({ genesis: net.genesis, validatorKey: (net.validators[i] as Sender).privateKey, mdns: false, listen: [LOOPBACK], api: { host: '127.0.0.1', port: 0 }, bootstrap: nodes.map((n) => p2pAddrOf(n.libp2p)) })
      nodes.push(node)
      await node.start()
    }
    const n0 = nodes[0] as MemecoinNode
    await waitFor('peers', () => nodes.every((n) => n.libp2p.getPeers().length >= N - 1), 15_000)
    await waitFor('the first block', () => n0.chain.chain.head.height >= 1n, 20_000)
    // inclusion times, as node 0 sees its canonical chain grow
    const submitted = new Map<string, number>()
    const included = new Map<string, number>()
    n0.chain.on('head', (c) => {
      const t = performance.now()
      for (const tx of c.included) { const h = toHex(tx.id); if (!included.has(h)) included.set(h, t) }
      for (const tx of c.orphaned) included.delete(toHex(tx.id))
    })
    const acceptedBySender = new Array<number>(S).fill(0)
    let accepted = 0
    let refused = 0
    const refusals = new Map<string, number>()
    const post = async (node: MemecoinNode, part: typeof txs): Promise<void> => {
      const t = performance.now()
      for (const x of part) submitted.set(x.id, t)
      const res = await fetch(`${node.apiUrl as string}/txs/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ txs: part.map((x) => x.hex) }), signal: AbortSignal.timeout(30_000) })
      const body = await res.json() as { results?: Array<{ id?: string, error?: { code: string } }>, error?: { code: string } }
      if (body.results === undefined) throw new Error(`POST /txs/batch ${res.status}: ${JSON.stringify(body.error)}`)
      body.results.forEach((r, i) => {
        const x = part[i] as (typeof txs)[number]
        if (r.error === undefined) { accepted++; acceptedBySender[x.sender] = (acceptedBySender[x.sender] ?? 0) + 1 } else {
          refused++
          submitted.delete(x.id)
          refusals.set(r.error.code, (refusals.get(r.error.code) ?? 0) + 1)
        }
      })
    }
    // open loop: N batches every batch·N/rate seconds (a sender refused once leaves a nonce gap:
    // its later transactions are still sent and counted as refused)
    const t0 = performance.now()
    const h0 = n0.chain.chain.head.height
    const inflight = new Set<Promise<void>>()
    let sent = 0
    while (sent < total) {
      const due = t0 + (sent / rate) * 1000
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      const chunk = txs.slice(sent, sent + batch * N)
      sent += chunk.length
      // a sender's transactions always go to the same node (sender mod N), in nonce order: a
      // node never sees a nonce before its predecessor
      for (let j = 0; j < N; j++) {
        const part = chunk.filter((x) => x.sender % N === j)
        if (part.length === 0) continue
        const p = post(nodes[j] as MemecoinNode, part).catch((err: Error) => { refused += part.length; refusals.set(err.message.slice(0, 60), (refusals.get(err.message.slice(0, 60)) ?? 0) + part.length) })
        inflight.add(p)
        void p.finally(() => inflight.delete(p))
      }
      while (inflight.size > 64) await Promise.race(inflight)
    }
    await Promise.all(inflight)
    const tEnd = performance.now()
    const inWindow = [...included.values()].filter((t) => t <= tEnd).length
    await waitFor('every accepted tx included', () => [...submitted.keys()].every((id) => included.has(id)), 30_000, 100).catch(() => {})
    const tDrained = performance.now()
    await waitFor('heads agreeing', () => nodes.every((n) => n.chain.chain.head.hex === n0.chain.chain.head.hex), 10_000, 20).catch(() => {})
    const agree = nodes.every((n) => n.chain.chain.head.hex === n0.chain.chain.head.hex)
    const lat = [...submitted.entries()].flatMap(([id, t]) => { const i = included.get(id); return i === undefined ? [] : [i - t] })
    const lost = [...submitted.keys()].filter((id) => !included.has(id)).length
    // and by nonces: every sender's ledger nonce moved by exactly what was accepted
    let nonceGap = 0
    net.senders.forEach((s, k) => { nonceGap += (acceptedBySender[k] ?? 0) - Number(n0.chain.chain.ledger.get(s.id)?.nonce ?? 0n) })
    const blocks = Number(n0.chain.chain.head.height - h0)
    const figures = {
      nodes: N,
      seconds: D,
      offeredTxPerS: rate,
      accepted,
      refused,
      includedTxPerS: Math.round(inWindow / ((tEnd - t0) / 1000)),
      includedTxPerSWithDrain: Math.round(lat.length / ((tDrained - t0) / 1000)),
      p50InclusionMs: Math.round(pct(lat, 50)),
      p99InclusionMs: Math.round(pct(lat, 99)),
      lost,
      nonceGap,
      headsAgree: agree ? 1 : 0,
      blocks,
      txPerBlock: Math.round(lat.length / Math.max(1, blocks)),
      peakRssMiBAllNodes: Math.round(peakRss / 2 ** 20),
      peakRssMiBPerNode: Math.round(peakRss / 2 ** 20 / N)
    }
    if (refusals.size > 0) notes.push(`refusals: ${JSON.stringify(Object.fromEntries(refusals))}`)
    notes.push('all nodes and the load generator in one process (2 cores, one event loop): RSS per node is the process peak / nodes; latency is submit → head change on node 0')
    notes.push(`slot ${slotMs} ms, f = 1/2; target ≥ 2,000 tx/s included, 0 lost`)
    return { name: 'devnet-load', figures, baseline: { offeredTxPerS: rate }, ratios: { includedVsOffered: round(figures.includedTxPerS / rate, 3) }, notes }
  } finally {
    clearInterval(rssTimer)
    await stopAll(nodes)
  }
}
