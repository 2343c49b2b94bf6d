/**
 * Network benchmarks (issue "Performance"), each printing figures next to a baseline measured in
 * the same run (CONVENTIONS §10); nothing here is asserted. Loopback only: every node has mDNS
 * off, listens on 127.0.0.1, API on 127.0.0.1:0, joins by bootstrap, and is stopped in `finally`.
 *
 * - `benchGossip`: a block's propagation among N memecoin nodes (publish on node 0 → import on the
 *   last node) vs. raw gossipsub (same options, same topology, same block bytes, ACCEPT-all).
 * - `benchSync`: a fresh node range-syncing a prebuilt chain from one peer vs. the verify-bound
 *   limit (native verifies/s × cores / txs per block).
 * - `benchDevnetLoad`: 4 validator processes under signed transfers submitted over `POST /txs/batch`
 *   (bench/devnet-load.ts).
 *
 * The gossip nodes run in processes of their own (bench/gossip-node.ts); the two sync nodes run
 * in this one process (one event loop): see each function's notes.
 */
import '../src/polyfill.ts'
import type { Libp2p } from 'libp2p'
import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createRequire } from 'node:module'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { constants as perfConstants } from 'node:perf_hooks'
import { accountIdOf } from '../src/core/address.ts'
import { toHex, utf8 } from '../src/core/bytes.ts'
import { slotAt } from '../src/core/consensus.ts'
import { defaultDevnetGenesis, genesisToJson } from '../src/core/genesis.ts'
import { sha256 } from '../src/core/hash.ts'
import { defaultVerifier, nativeBinding, privateKeyFromEntropy, publicKeyOf } from '../src/core/secp256k1.ts'
import { signingDigest, TX_DOMAIN } from '../src/core/signing.ts'
import { loadGenesis, type LoadedGenesis } from '../src/chain/genesis.ts'
import { ChainService } from '../src/chain/service.ts'
import { NODE_FLAGS } from '../src/cli/node-flags.ts'
import { createNode } from '../src/node.ts'
import { LevelStore } from '../src/storage/level.ts'
import { MemoryStore } from '../src/storage/store.ts'
import { signTx, encodeTx, encodeTxBody } from '../src/wire/tx.ts'
import { runDevnetLoad, type DevnetLoadProcOptions } from './devnet-load.ts'
import type { BenchResult } from './result.ts'
import { peakRssOf, resetPeakRss, threadCpuMs } from './threads.ts'

export type { BenchResult } from './result.ts'

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

/**
 * Native verifies per second on one core (over real transaction signatures): the best of
 * `rounds` runs of `n`, so a scheduling hiccup does not lower the bound a figure is compared to.
 */
function verifiesPerSecond (net: BenchNet, n: number, rounds = 3): number {
  const s = net.senders[0] as Sender
  const items = Array.from({ length: 256 }, (_, i) => {
    const body = encodeTxBody({ chainId: net.genesis.params.chainId, nonce: BigInt(i), fee: 1000n, sender: s.publicKey, transfer: { to: s.id, amount: 1n } })
    const digest = signingDigest(TX_DOMAIN, body)
    return { digest, sig: nativeSign?.(digest, s.privateKey) ?? signTx({ chainId: net.genesis.params.chainId, nonce: BigInt(i), fee: 1000n, transfer: { to: s.id, amount: 1n } }, s.privateKey).bytes.subarray(-64) }
  })
  let best = 0
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) {
      const it = items[i % items.length] as { digest: Uint8Array, sig: Uint8Array }
      // the raw libsecp256k1 call on the compressed key (as bench/core.ts's baseline), not the
      // node's verifier: that one keeps uncompressed keys (src/core/uncompressed-keys.mjs)
      if (!(nativeBinding?.ecdsaVerify(it.sig, it.digest, s.publicKey) ?? defaultVerifier.verify(it.sig, it.digest, s.publicKey))) throw new Error('verify failed')
    }
    best = Math.max(best, n / ((performance.now() - t0) / 1000))
  }
  return best
}

// ------------------------------------------------------------------ 1. gossip propagation

/** Options of `benchGossip`. */
export interface GossipBenchOptions {
  nodes?: number
  blocks?: number
  txsPerBlock?: number
  /**
   * Blocks of each scenario run first and not measured, as the raw run's first as many publishes
   * (default 10; 2 when `blocks` < 50).
   */
  warmup?: number
  /** A V8 CPU profile of every node process, in DIR/memecoin-i/ and DIR/raw-i/. */
  cpuProfDir?: string
}

/** A benchmark node process (gossip-node.ts) and what it reported. */
class NodeProc {
  readonly proc: ChildProcess
  private readonly waiters: Array<{ op: string, resolve: (m: Record<string, unknown>) => void, reject: (e: Error) => void }> = []
  /** With `cpuProfDir`, the process writes a V8 CPU profile there when it exits (for bench/devnet-profile.ts). */
  constructor (readonly index: number, onEvent: (i: number, m: Record<string, unknown>) => void, cpuProfDir?: string) {
    // the node flags (src/cli/node-flags.ts) for the memecoin and the raw gossipsub processes alike
    const execArgv = [...NODE_FLAGS, '--import', 'tsx', ...(cpuProfDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [])]
    this.proc = fork(new URL('./gossip-node.ts', import.meta.url), [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    this.proc.on('message', (m: Record<string, unknown>) => {
      if (m.op === 'block' || m.op === 'message') { onEvent(index, m); return }
      const k = this.waiters.findIndex((w) => w.op === m.op || m.op === 'error')
      if (k < 0) return
      const [w] = this.waiters.splice(k, 1)
      if (m.op === 'error') w?.reject(new Error(`bench node ${index}: ${String(m.message)}`))
      else w?.resolve(m)
    })
    this.proc.on('exit', () => { for (const w of this.waiters.splice(0)) w.reject(new Error(`bench node ${index} exited`)) })
  }

  /** Sends `msg` and resolves with the reply named `reply` (bounded). */
  async call (msg: Record<string, unknown>, reply: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`bench node ${this.index}: no ${reply} in ${timeoutMs} ms`)) }, timeoutMs)
      this.waiters.push({ op: reply, resolve: (m) => { clearTimeout(timer); resolve(m) }, reject: (e) => { clearTimeout(timer); reject(e) } })
      this.proc.send(msg)
    })
  }

  async stop (): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return
    const exited = new Promise<void>((resolve) => { this.proc.once('exit', () => { resolve() }) })
    try { this.proc.send({ op: 'stop' }) } catch {}
    const timer = setTimeout(() => { this.proc.kill('SIGKILL') }, 10_000)
    await exited
    clearTimeout(timer)
  }
}

/** Starts `n` bench node processes in `mode`, node i bootstrapping to i−1 and ⌊i/2⌋, and waits for their meshes. */
async function startNodeProcs (n: number, mode: 'memecoin' | 'raw', genesis: unknown, onEvent: (i: number, m: Record<string, unknown>) => void, started: Array<{ stop: () => unknown }>, o: { topic?: string, cpuProfDir?: string }): Promise<NodeProc[]> {
  const procs: NodeProc[] = []
  const addrs: string[] = []
  const { topic, cpuProfDir } = o
  for (let i = 0; i < n; i++) {
    const p = new NodeProc(i, onEvent, cpuProfDir === undefined ? undefined : join(cpuProfDir, `${mode}-${i}`))
    started.push(p)
    procs.push(p)
    const ready = await p.call({ op: 'init', mode, genesis, topic, bootstrap: bootstrapIndexes(i).map((j) => addrs[j] as string) }, 'ready', 60_000)
    addrs.push(ready.addr as string)
  }
  await waitFor(`a ${mode} mesh on every node`, async () => (await Promise.all(procs.map(async (p) => (await p.call({ op: 'mesh' }, 'mesh')).ok === true))).every((x) => x), 20_000, 100)
  return procs
}

/**
 * Block propagation among `nodes` memecoin nodes (non-validators, each in its own process, as
 * on separate machines: own event loop, own heap; blocks made by a producer ChainService in this
 * process on the real clock and imported on node 0, which publishes them), then raw gossipsub
 * among as many fresh processes of plain libp2p hosts with the same options and topology
 * publishing the same bytes. Latency = node 0's publish → the last node's import (memecoin) /
 * delivery (raw), from the nodes' own wall-clock stamps. Two scenarios alternate block by block,
 * `blocks` of each: "warm", the block's transactions were gossiped on the tx topic to every node
 * first (a live network: blocks carry mempool transactions, whose signatures are then in every
 * node's verified-signature cache), and "cold", nobody but the producer has seen them (every
 * node verifies all T signatures in the import).
 */
export async function benchGossip (opts: GossipBenchOptions = {}): Promise<BenchResult> {
  const N = opts.nodes ?? 8
  // 100 blocks per scenario: with 40, p99 was the single worst sample, and one stall on either
  // side moved the ratio between 1.5× and 10.8× across runs of the same code
  const B = opts.blocks ?? 100
  // Not measured, on either side: the first warm blocks of a run took 130–220 ms where the rest
  // took 35–105 (a run of 100: they made its p99), which is the nodes' code not yet optimised by
  // V8, not what a running network sees
  const W = opts.warmup ?? (B >= 50 ? 10 : 2)
  const T = opts.txsPerBlock ?? 500
  const slotMs = 200n
  const net = benchNet(`gossip-${Date.now()}`, { validators: 1, senders: T, genesisTime: BigInt(Date.now()), slotMs })
  const genesisJson = genesisToJson(net.genesis.config)
  const notes: string[] = []
  const started: Array<{ stop: () => unknown }> = []
  // the bytes only, for the raw run
  const blocks: Uint8Array[] = []
  const scenarios = ['warm', 'cold'] as const
  type Scenario = typeof scenarios[number]
  const lat: Record<Scenario, number[]> = { warm: [], cold: [] }
  const relay: Record<Scenario, number[]> = { warm: [], cold: [] }
  const hop1: Record<Scenario, number[]> = { warm: [], cold: [] }
  const stampIn = <T>(m: Map<string, T[]>, k: string, v: T): void => { const a = m.get(k) ?? []; a.push(v); m.set(k, a) }
  try {
    // the producer: the validator's chain on the real clock (not a network node)
    const producer = await ChainService.open({ params: net.genesis.params, allocations: net.genesis.config.accounts, store: new MemoryStore(), now: () => BigInt(Date.now()), validator: net.validators[0] as Sender })
    started.push({ stop: async () => { await producer.close() } })
    const published = new Map<string, number>()
    // [node, wall-clock ms] per block: by node for the anatomy of the slowest blocks
    const arrived = new Map<string, Array<[number, number]>>()
    /** By SHA-256 of the block bytes (the gossip message id). */
    const relayed = new Map<string, Array<[number, number]>>()
    /** Each receiving node's garbage collections so far: [wall-clock start ms, duration ms, kind]. */
    const collected: Array<Array<[number, number, number]>> = Array.from({ length: N }, () => [])
    /** Each measured warm block's last import: publish and import (wall-clock ms), which node, when it relayed. */
    const warmLast: Array<{ t0: number, t: number, node: number, relayMs: number }> = []
    // imported (the figure), and accepted by the topic validator, i.e. relayed (what raw gossipsub measures)
    const nodes = await startNodeProcs(N, 'memecoin', genesisJson, (i, m) => {
      if (m.op === 'block') {
        if (i === 0) {
          if (m.local === true) published.set(m.hash as string, m.t as number)
        } else {
          stampIn(arrived, m.hash as string, [i, m.t as number])
        }
      } else if (i > 0) {
        stampIn(relayed, m.h as string, [i, m.t as number])
      }
    }, started, { cpuProfDir: opts.cpuProfDir })
    const node0 = nodes[0] as NodeProc
    const stats = async (): Promise<Array<Record<string, unknown>>> => await Promise.all(nodes.slice(1).map(async (p, k) => {
      const s = await p.call({ op: 'stats' }, 'stats')
      collected[k + 1]?.push(...s.collections as Array<[number, number, number]>)
      return s
    }))
    const totals = (all: Array<Record<string, unknown>>): { sum: number, count: number } => {
      let sum = 0
      let count = 0
      for (const s of all) { sum += s.importSum as number; count += s.importCount as number }
      return { sum, count }
    }
    // per-node costs: the checks before relay (timed around the call), and imports (the service's own timer)
    const checkMs: number[] = []
    const importMs: Record<Scenario, { sum: number, count: number }> = { warm: { sum: 0, count: 0 }, cold: { sum: 0, count: 0 } }
    const cpuMsOf = (all: Array<Record<string, unknown>>): number => all.reduce((acc, s) => acc + (s.cpuMs as number), 0)
    /** CPU of the receiving nodes' processes from just before node 0's import to the last arrival. */
    const blockCpuMs: Record<Scenario, number> = { warm: 0, cold: 0 }
    /** The same by thread: the event loop's, and every other (Linux; 0 elsewhere). */
    const blockThreadMs: Record<Scenario, { main: number, other: number }> = { warm: { main: 0, other: 0 }, cold: { main: 0, other: 0 } }
    const sumOf = (all: Array<Record<string, unknown>>, k: string): number => all.reduce((acc, s) => acc + ((s[k] as number | undefined) ?? 0), 0)
    const nonces = new Nonces(() => 0n)
    let count = 0
    while (count < 2 * (W + B)) {
      const scenario: Scenario = scenarios[count % 2] as Scenario
      const measured = count >= 2 * W
      if (producer.mempool.size === 0) {
        const txs = net.senders.map((s, i) => transfer(net, s, nonces.take(s), (net.senders[(i + 1) % net.senders.length] as Sender).id).bytes)
        if (scenario === 'warm') {
          // node 0 gossips them on the tx topic; every node admits them (signatures verified, cached)
          await node0.call({ op: 'add', txs }, 'added')
          await waitFor('the transactions in every mempool', async () => (await Promise.all(nodes.map(async (p) => (await p.call({ op: 'mempool' }, 'mempool')).size as number))).every((size) => size >= T), 20_000, 10)
        }
        await producer.addTransactions(txs, { peer: 'bench' })
      }
      const slot = slotAt(BigInt(Date.now()), net.genesis.params)
      const block = await producer.produce(slot)
      if (block === undefined) {
        await sleep(Number(net.genesis.params.genesisTime + (slot + 1n) * slotMs - BigInt(Date.now())) + 1)
        continue
      }
      const h = toHex(block.header.hash)
      const before = await stats()
      const imports0 = totals(before)
      await node0.call({ op: 'import', bytes: block.bytes }, 'imported')
      await waitFor(`block ${count} on every node`, () => (arrived.get(h)?.length ?? 0) >= N - 1, 10_000, 2)
      const t0 = published.get(h) as number
      const a = (arrived.get(h) ?? []).map(([, t]) => t)
      const msgId = toHex(sha256(block.bytes))
      const r = (relayed.get(msgId) ?? []).map(([, t]) => t)
      const all = await stats()
      blocks.push(block.bytes)
      if (measured && scenario === 'warm') {
        const [last, t] = (arrived.get(h) ?? []).reduce((x, y) => y[1] > x[1] ? y : x)
        const relayT = relayed.get(msgId)?.find(([k]) => k === last)?.[1] ?? NaN
        warmLast.push({ t0, t, node: last, relayMs: relayT - t0 })
      }
      if (measured) {
        lat[scenario].push(Math.max(...a) - t0)
        hop1[scenario].push(Math.min(...a) - t0)
        if (r.length >= N - 1) relay[scenario].push(Math.max(...r) - t0)
        for (const s of all) checkMs.push(...(s.checkMs as number[]))
        const imports1 = totals(all)
        blockCpuMs[scenario] += cpuMsOf(all) - cpuMsOf(before)
        blockThreadMs[scenario].main += sumOf(all, 'mainMs') - sumOf(before, 'mainMs')
        blockThreadMs[scenario].other += sumOf(all, 'otherMs') - sumOf(before, 'otherMs')
        importMs[scenario].sum += (imports1.sum - imports0.sum) * 1000
        importMs[scenario].count += imports1.count - imports0.count
      }
      count++
      await sleep(Number(slotMs)) // let gossip heartbeats run between blocks
    }
    const end = await stats()
    await stopAll(started.splice(0))
    const rawEnd: Array<Record<string, unknown>> = []

    // raw gossipsub in fresh processes: same options (the chain's score parameters too), topology and bytes
    const topic = `/memecoin-bench/raw/${Date.now()}`
    const got = new Map<string, number[]>()
    const sent = new Map<string, number>()
    const raw = await startNodeProcs(N, 'raw', genesisJson, (i, m) => { if (i === 0) sent.set(m.h as string, m.t as number); else stampIn(got, m.h as string, m.t as number) }, started, { topic, cpuProfDir: opts.cpuProfDir })
    const rawLat: number[] = []
    const rawStats = async (): Promise<Array<Record<string, unknown>>> => await Promise.all(raw.slice(1).map(async (p) => await p.call({ op: 'stats' }, 'stats')))
    let rawBlockCpuMs = 0
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i] as Uint8Array
      const h = toHex(sha256(b))
      const before = await rawStats()
      await (raw[0] as NodeProc).call({ op: 'publish', bytes: b, topic }, 'published')
      await waitFor('raw delivery', () => (got.get(h)?.length ?? 0) >= N - 1, 10_000, 2)
      const after = await rawStats()
      if (i >= 2 * W) {
        rawLat.push(Math.max(...(got.get(h) as number[])) - (sent.get(h) as number))
        rawBlockCpuMs += cpuMsOf(after) - cpuMsOf(before)
      }
      await sleep(Number(slotMs))
    }
    rawEnd.push(...await rawStats())
    const bytes = blocks.reduce((a, b) => a + b.length, 0) / blocks.length
    const measuredBlocks = blocks.length - 2 * W
    // a last node that got the block another way than gossip (a parent fetch) has no relay stamp
    const relayToImport = warmLast.filter((w) => Number.isFinite(w.relayMs)).map((w) => w.t - w.t0 - w.relayMs)
    const figures = {
      nodes: N,
      blocksPerScenario: B,
      txsPerBlock: T,
      blockBytes: Math.round(bytes),
      warmP50Ms: round(pct(lat.warm, 50)),
      warmP99Ms: round(pct(lat.warm, 99)),
      coldP50Ms: round(pct(lat.cold, 50)),
      coldP99Ms: round(pct(lat.cold, 99)),
      warmRelayP50Ms: round(pct(relay.warm, 50)),
      warmRelayP99Ms: round(pct(relay.warm, 99)),
      coldRelayP50Ms: round(pct(relay.cold, 50)),
      coldRelayP99Ms: round(pct(relay.cold, 99)),
      warmFirstNodeP50Ms: round(pct(hop1.warm, 50)),
      coldFirstNodeP50Ms: round(pct(hop1.cold, 50)),
      relayCheckP50Ms: round(pct(checkMs, 50)),
      relayCheckP99Ms: round(pct(checkMs, 99)),
      warmLastRelayToImportP50Ms: round(pct(relayToImport, 50)),
      warmLastRelayToImportP99Ms: round(pct(relayToImport, 99)),
      warmImportMeanMs: round(importMs.warm.sum / Math.max(1, importMs.warm.count)),
      coldImportMeanMs: round(importMs.cold.sum / Math.max(1, importMs.cold.count)),
      warmCpuMsPerNode: round(blockCpuMs.warm / B / (N - 1)),
      warmMainThreadMsPerNode: round(blockThreadMs.warm.main / B / (N - 1)),
      warmOtherThreadsMsPerNode: round(blockThreadMs.warm.other / B / (N - 1)),
      coldCpuMsPerNode: round(blockCpuMs.cold / B / (N - 1)),
      majorGcsMaxNode: Math.max(...end.map((s) => s.majorGcs as number)),
      majorGcMaxPauseMs: round(Math.max(...end.map((s) => s.majorGcMaxMs as number))),
      heapUsedMiBMaxNode: Math.round(Math.max(...end.map((s) => s.heapUsedMiB as number))),
      peakRssMiBMaxNode: Math.round(Math.max(...end.map((s) => s.peakRssMiB as number))),
      peakRssMiBMinNode: Math.round(Math.min(...end.map((s) => s.peakRssMiB as number)))
    }
    const baseline = { rawP50Ms: round(pct(rawLat, 50)), rawP99Ms: round(pct(rawLat, 99)), rawCpuMsPerNode: round(rawBlockCpuMs / measuredBlocks / (N - 1)), rawPeakRssMiBMaxNode: Math.round(Math.max(...rawEnd.map((s) => s.peakRssMiB as number))) }
    const ratios = {
      warmP50VsRaw: round(figures.warmP50Ms / baseline.rawP50Ms),
      warmP99VsRaw: round(figures.warmP99Ms / baseline.rawP99Ms),
      coldP50VsRaw: round(figures.coldP50Ms / baseline.rawP50Ms),
      coldP99VsRaw: round(figures.coldP99Ms / baseline.rawP99Ms),
      warmRelayP99VsRaw: round(figures.warmRelayP99Ms / baseline.rawP99Ms),
      coldRelayP99VsRaw: round(figures.coldRelayP99Ms / baseline.rawP99Ms)
    }
    const cores = cpus().length
    notes.push('latency = node 0\'s publish → the last node\'s import (warm/cold P50/P99), or → the last node\'s topic-validator ACCEPT (relay, the moment it forwards: what the raw figure measures); stamps are each process\'s own wall clock (performance.timeOrigin + now)')
    notes.push('warm: the block\'s transactions were gossiped on the tx topic to every node before the block (live network); cold: only the producer had them, so every node verifies all T signatures in its import (in its verifier workers); the two alternate block by block')
    notes.push(`${N} node processes (each with its own verifier workers) and this one share ${cores} cores. Blocks are relayed after the checks that need no state transition (relayCheck: decode, header signature, VRF and eligibility, tx root); then the ${N - 1} receiving nodes import at about the same time, so each import's wall time (warm/coldImportMean, state transition of T transfers and persist; cold: + T signature checks) stretches while they share the cores. The last node's import ends no sooner than the receiving nodes' CPU for the block / ${cores} cores after the block reaches them: warmCpuMsPerNode (a receiving node's process, all threads, from node 0's import to the last arrival) × ${N - 1} / ${cores} = ${round(figures.warmCpuMsPerNode * (N - 1) / cores)} ms, vs 2× raw p99 = ${round(2 * baseline.rawP99Ms)} ms; a raw gossipsub node spends ${baseline.rawCpuMsPerNode} ms per block (rawCpuMsPerNode: the same window, publish to last delivery). A core for each receiving node does not close the gap: with --nodes 2 or 3 the import alone takes longer than raw gossipsub's whole delivery (bench/RESULTS.md, "Propagation by node count and block size")`)
    notes.push(`per node process at the end: up to ${figures.majorGcsMaxNode} full collections, longest pause ${figures.majorGcMaxPauseMs} ms, heap used up to ${figures.heapUsedMiBMaxNode} MiB; peak RSS (a receiving node's process, the whole run) ${figures.peakRssMiBMinNode}–${figures.peakRssMiBMaxNode} MiB, a raw gossipsub node's up to ${baseline.rawPeakRssMiBMaxNode} MiB`)
    notes.push(`topology: node i dials i−1 and ⌊i/2⌋; raw gossipsub publishes the same ${blocks.length} blocks (warm and cold bytes) with an ACCEPT-all validator; target (warm) p99 ≤ 2× raw p99 (p99 of n samples leaves out its n − ⌈0.99 n⌉ largest: ${B - Math.ceil(0.99 * B)} of ${B}, ${measuredBlocks - Math.ceil(0.99 * measuredBlocks)} of ${measuredBlocks})`)
    notes.push(`warm-up: the first ${W} blocks of each scenario (memecoin) and the first ${2 * W} publishes (raw) are not measured: the nodes' code is not yet optimised by V8 then (the first warm blocks of a run took 130–220 ms where the rest took 35–105)`)
    notes.push(`by thread (Linux, 10 ms ticks summed over the blocks): a receiving node's event loop ${figures.warmMainThreadMsPerNode} ms per warm block (gossipsub, the relay checks, the import's state transition and state root), its other threads ${figures.warmOtherThreadsMsPerNode} ms (V8's collector helpers, LevelDB in libuv's pool)`)
    const byMs = [...warmLast].sort((a, b) => (b.t - b.t0) - (a.t - a.t0))
    const anatomy = (w: typeof warmLast[number]): string => {
      // the node's collections from publish to its import (the stats after the run included)
      const during = (collected[w.node] ?? []).filter(([start, ms]) => start + ms >= w.t0 && start <= w.t)
      const gcMs = during.reduce((acc, [, ms]) => acc + ms, 0)
      const full = during.filter(([, , kind]) => kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR).length
      return `${round(w.t - w.t0, 1)} ms (node ${w.node}: relayed at ${round(w.relayMs, 1)}, imported at ${round(w.t - w.t0, 1)}; its process collected ${during.length} times, ${round(gcMs, 1)} ms, ${full} full, from publish to that import)`
    }
    const gcCounts = collected.slice(1).map((c) => c.length)
    if (byMs.length > 0) notes.push(`the last import of a warm block, publish → relay → import on the node that imported last (warmLastRelayToImport: its import phase after it relayed, the receiving nodes then importing at the same time): slowest ${byMs.slice(0, 3).map(anatomy).join('; ')}; median ${anatomy(byMs[Math.floor(byMs.length / 2)] as typeof warmLast[number])}; collections per receiving node over the whole run ${Math.min(...gcCounts)}–${Math.max(...gcCounts)}`)
    const topology = (all: Array<Record<string, unknown>>): string => all.map((s) => `${String(s.connections)}/${String(s.blockMesh)}`).join(' ')
    notes.push(`connections / mesh peers on the block topic of receiving nodes 1–${N - 1} at the end: memecoin ${topology(end)}, raw gossipsub ${topology(rawEnd)}`)
    return { name: 'gossip', figures, baseline, ratios, notes }
  } finally {
    await stopAll(started)
  }
}


// ------------------------------------------------------------------ 2. sync

/** µs of CPU per transaction: the main thread, the busiest other thread, and all others. */
function threadFigures (threads: Map<number, number>, txs: number): Record<string, number> {
  if (threads.size === 0) return {}
  const main = threads.get(process.pid) ?? 0
  const others = [...threads].filter(([tid]) => tid !== process.pid).map(([, ms]) => ms).sort((a, b) => b - a)
  const busiest = others[0] ?? 0
  const rest = others.slice(1).reduce((a, b) => a + b, 0)
  const perTx = (ms: number): number => round(ms * 1000 / txs)
  return { mainThreadUsPerTx: perTx(main), busiestOtherThreadUsPerTx: perTx(busiest), otherThreadsUsPerTx: perTx(rest) }
}

/** Options of `benchSync`. */
export interface SyncBenchOptions {
  blocks?: number
  txsPerBlock?: number
  senders?: number
  /** Write a V8 CPU profile of this process's main thread during the sync (not the build) here. */
  cpuProfDir?: string
}

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
    // the baseline on an idle process: now, and again once the sync is over and both nodes are
    // stopped; the faster of the two counts (one sample taken while the machine was slow for a
    // moment, 24,154/s where the run's core benchmark saw 25,787, would flatter the ratio)
    const verifiesBefore = verifiesPerSecond(net, 20_000)
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
        await builder.addTransactions(txs, { peer: 'bench' })
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
    const profiler = opts.cpuProfDir !== undefined ? new Session() : undefined
    if (profiler !== undefined) {
      profiler.connect()
      await profiler.post('Profiler.enable')
      await profiler.post('Profiler.start')
    }
    // the peak of the sync alone, not of the build before it
    const peakReset = resetPeakRss()
    const threads0 = threadCpuMs()
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    await client.start()
    await waitFor('the synced head', () => client.chain.chain.head.height >= BigInt(B), 30 * 60_000, 50)
    const t1 = performance.now()
    const cpu = process.cpuUsage(cpu0)
    const cpuUs = cpu.user + cpu.system
    const threads = threadCpuMs(threads0)
    const peakRss = peakReset ? peakRssOf() : 0
    if (profiler !== undefined && opts.cpuProfDir !== undefined) {
      const { profile } = await profiler.post('Profiler.stop')
      profiler.disconnect()
      mkdirSync(opts.cpuProfDir, { recursive: true })
      writeFileSync(join(opts.cpuProfDir, 'sync-main.cpuprofile'), JSON.stringify(profile))
    }
    const seconds = (t1 - t0) / 1000
    const importSeconds = (t1 - (first ?? t0)) / 1000
    await stopAll(started.splice(0))
    const verifiesAfter = verifiesPerSecond(net, 20_000)
    const verifies = Math.max(verifiesBefore, verifiesAfter)
    const cores = cpus().length
    const bound = verifies * cores / T
    const figures = {
      blocks: B,
      txsPerBlock: T,
      seconds: round(seconds),
      blocksPerS: round(B / seconds),
      txPerS: Math.round(txCount / seconds),
      txPerSFromFirstBlock: Math.round(txCount / importSeconds),
      coresBusy: round(cpuUs / 1e3 / (t1 - t0)),
      cpuUsPerTx: round(cpuUs / txCount),
      ...threadFigures(threads, txCount),
      ...(peakRss > 0 ? { peakRssMiB: Math.round(peakRss / 2 ** 20) } : {}),
      buildSeconds: round(buildS),
      buildSignSeconds: round(signMs / 1000)
    }
    const baseline = { nativeVerifiesPerS: Math.round(verifies), nativeVerifiesPerSBefore: Math.round(verifiesBefore), nativeVerifiesPerSAfter: Math.round(verifiesAfter), cores, verifyBoundBlocksPerS: round(bound), verifyBoundTxPerS: Math.round(verifies * cores), verifyUsPerTx: round(1e6 / verifies) }
    // With every core busy, tx/s ≤ cores / CPU per tx, so the ratio ≤ verify µs / CPU µs per tx
    const ceiling = round(baseline.verifyUsPerTx / figures.cpuUsPerTx, 3)
    notes.push(`CPU (this process: both nodes, every thread, incl. the verifier worker, the collector's and LevelDB's): ${figures.coresBusy} of ${cores} cores busy, ${figures.cpuUsPerTx} µs per transaction, of which verifying its signature is ${baseline.verifyUsPerTx}; at that CPU per transaction the ratio cannot exceed ${ceiling} (verify µs / CPU µs per tx), and 0.7 needs ≤ ${round(baseline.verifyUsPerTx / 0.7)} µs per transaction in all`)
    if (threads.size > 0) notes.push('CPU by thread (Linux /proc, µs per transaction): mainThreadUsPerTx is the event loop of both nodes (decoding, the state transition and state root, storage calls, networking; it also verifies its share of each block, ≈ 30% of them); busiestOtherThreadUsPerTx is the verifier worker that helps with each block (the busiest other thread in every run seen); otherThreadsUsPerTx is the rest: V8\'s helper threads (parallel scavenges, concurrent marking, compilation), libuv\'s pool (LevelDB), the second verifier worker')
    notes.push('time from starting the fresh node (dial, status handshake) to its head at the last block; both nodes on LevelDB in one process')
    if (peakRss > 0) notes.push(`peakRssMiB: this process's peak resident set during the sync (both nodes; the peak was reset after the build): ${figures.peakRssMiB} MiB`)
    notes.push(`verify bound = one-core native verifies/s × cores: what verifying every tx signature on all cores would allow. The verifies/s is the best of 3 runs of 20,000 before the build (${Math.round(verifiesBefore)}/s) and 3 after the sync, with both nodes stopped (${Math.round(verifiesAfter)}/s), whichever is faster. Import verifies in the worker pool (the importing thread helping) while it applies the block, and sync queues up to 8 blocks ahead`)
    notes.push('target ≥ 70% of the verify-bound tx/s')
    return { name: 'sync', figures, baseline, ratios: { txPerSVsVerifyBound: round(figures.txPerS / baseline.verifyBoundTxPerS, 3), ceilingAtThisCpuPerTx: ceiling }, notes }
  } finally {
    await stopAll(started)
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
}

// ------------------------------------------------------------------ 3. devnet under load

/** Options of `benchDevnetLoad` (see bench/devnet-load.ts). */
export type DevnetLoadOptions = DevnetLoadProcOptions

/**
 * `nodes` validator processes (`memecoin start`, LevelDB, loopback only) and this process as
 * the load generator posting presigned transfers to `POST /txs/batch` for `seconds`, then a
 * drain of ≤ 30 s; bench/devnet-load.ts. Baseline: the offered rate.
 */
export async function benchDevnetLoad (opts: DevnetLoadOptions = {}): Promise<BenchResult> {
  return await runDevnetLoad(opts)
}
