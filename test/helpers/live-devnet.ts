/**
 * Live devnets for in-process node tests: a genesis whose slot 0 starts now (the real clock drives
 * every node's slot ticker), full nodes from `createNode` on loopback only (mDNS off, TCP and the
 * API on 127.0.0.1 with port 0, peers joined through bootstrap addresses), a connection gater a
 * test toggles to partition the nodes, bounded polling, and API calls with `fetch`.
 *
 * Every node started through a `NodeSet` is stopped by `stopAll()` (call it from afterEach) even
 * when the test failed or the node never finished starting.
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { accountIdOf, addressOf } from '../../src/core/address.ts'
import { toHex, utf8 } from '../../src/core/bytes.ts'
import { defaultDevnetGenesis, genesisToJson, type GenesisConfig } from '../../src/core/genesis.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { Rational } from '../../src/core/types.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../../src/core/secp256k1.ts'
import { loadGenesis, type LoadedGenesis } from '../../src/chain/genesis.ts'
import type { ValidatorKey } from '../../src/chain/producer.ts'
import { createNode, type MemecoinNode } from '../../src/node.ts'
import type { LogFn } from '../../src/log.ts'
import { buildTransfer, type BuiltTx } from '../../src/wallet/transactions.ts'

/** 1 MEME in base units. */
export const MEME = 10n ** 8n

/** A key from a label, with its account id and address. */
export interface TestKey extends ValidatorKey { id: Uint8Array, address: string }

/** privateKeyFromEntropy(SHA-256("live:" ‖ label)). */
export function liveKey (label: string): TestKey {
  const privateKey = privateKeyFromEntropy(sha256(utf8('live:' + label)))
  const publicKey = publicKeyOf(privateKey)
  return { privateKey, publicKey, id: accountIdOf(publicKey), address: addressOf(publicKey) }
}

/** Options of `liveDevnet`. */
export interface LiveDevnetOptions {
  /** Chain name, also the key labels' prefix; different labels make different genesis. */
  label: string
  /** Bonded stake of each validator in MEME (one validator per entry). */
  stakes: bigint[]
  slotMs: bigint
  /** Active slot coefficient (default 1/2). */
  f?: Rational
  /** Settlement depth (default 20). */
  k?: bigint
  /** Default: the smallest multiple of 12 with epochSlots · f ≥ 3k (G-5), at least 120. */
  epochSlots?: bigint
  /** Slot 0 starts this long from now (default 0: slot 1, the first block's, starts in one slot). */
  startInMs?: number
}

/** A genesis starting now, its validator keys and a funded faucet. */
export interface LiveDevnet {
  genesis: LoadedGenesis
  config: GenesisConfig
  validators: TestKey[]
  faucet: TestKey
}

/** A validated genesis (through genesis.json, as `memecoin start` loads it) whose slot 0 starts now. */
export function liveDevnet (opts: LiveDevnetOptions): LiveDevnet {
  const validators = opts.stakes.map((_, i) => liveKey(`${opts.label}:validator:${i}`))
  const faucet = liveKey(`${opts.label}:faucet`)
  const config = defaultDevnetGenesis({
    genesisTime: BigInt(Date.now() + (opts.startInMs ?? 0)),
    validators: validators.map((v, i) => ({ id: v.id, stake: (opts.stakes[i] as bigint) * MEME, balance: 10n * MEME })),
    faucet: { id: faucet.id, balance: 1_000_000n * MEME },
    slotMs: opts.slotMs,
    chainName: opts.label
  })
  if (opts.f !== undefined) config.activeSlotCoeff = opts.f
  if (opts.k !== undefined) config.k = opts.k
  const f = config.activeSlotCoeff
  let epochSlots = opts.epochSlots
  if (epochSlots === undefined) {
    epochSlots = 120n
    while (epochSlots * f.num < 3n * config.k * f.den) epochSlots += 12n
  }
  config.epochSlots = epochSlots
  // the JSON round trip applies every genesis rule (G-1…G-11), as a genesis file would
  const genesis = loadGenesis(genesisToJson(config))
  return { genesis, config: genesis.config, validators, faucet }
}

/** A signed transfer from the faucet (nonce as given, minimum fee). */
export function faucetTransfer (net: LiveDevnet, to: string, amount: bigint, nonce = 0n): BuiltTx {
  return buildTransfer({ chainId: net.genesis.params.chainId, privateKey: net.faucet.privateKey, nonce, fee: net.genesis.params.minFee, to, amount })
}

/**
 * A connection gater that refuses peers of other groups while a partition is on. Nodes join a
 * group by peer id once they exist (the gater is built before the node, so it is late-bound).
 */
export class Partition {
  private readonly groups = new Map<string, number>()
  private on = false

  /** Puts `node` into group `g`. */
  assign (node: MemecoinNode, g: number): void { this.groups.set(node.libp2p.peerId.toString(), g) }

  get active (): boolean { return this.on }

  /** True if `a` and `b` are in different groups and the partition is on. */
  separates (a: PeerId | string, b: PeerId | string): boolean {
    if (!this.on) return false
    const ga = this.groups.get(a.toString())
    const gb = this.groups.get(b.toString())
    return ga !== undefined && gb !== undefined && ga !== gb
  }

  /** The gater for one node; `self` names that node once it exists. */
  gaterFor (self: () => PeerId | undefined): ConnectionGater {
    const deny = (peer: PeerId): boolean => {
      const me = self()
      return me !== undefined && this.separates(me, peer)
    }
    return {
      denyDialPeer: async (peer) => deny(peer),
      denyInboundEncryptedConnection: async (peer) => deny(peer),
      denyOutboundEncryptedConnection: async (peer) => deny(peer)
    }
  }

  /** Turns the partition on and hangs up every connection that crosses it. */
  async split (nodes: MemecoinNode[]): Promise<void> {
    this.on = true
    for (const n of nodes) {
      for (const c of n.libp2p.getConnections()) {
        if (this.separates(n.libp2p.peerId, c.remotePeer)) await n.libp2p.hangUp(c.remotePeer).catch(() => {})
      }
    }
  }

  /** Turns the partition off and redials every pair it separated (both directions tried). */
  async heal (groupA: MemecoinNode[], groupB: MemecoinNode[]): Promise<void> {
    this.on = false
    await Promise.all(groupA.flatMap((a) => groupB.map(async (b) => {
      const addr = p2pAddr(b)
      await a.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(5000) }).catch(async () => {
        await b.libp2p.dial(multiaddr(p2pAddr(a)), { signal: AbortSignal.timeout(5000) }).catch(() => {})
      })
    })))
  }
}

/** Options of `NodeSet.start`. */
export interface StartOptions {
  /** Index of the validator key in `net.validators`; none: a non-validator. */
  validator?: number
  /** Nodes to bootstrap from (their loopback multiaddrs). */
  bootstrap?: MemecoinNode[]
  /** Partition gater this node obeys. */
  partition?: Partition
  /** Name for logs (MEMECOIN_TEST_LOG=1 prints the nodes' logs). */
  name?: string
}

/** The nodes of one test; `stopAll` stops them all. */
export class NodeSet {
  readonly nodes: MemecoinNode[] = []

  /** Creates and starts a full node of `net` on loopback. */
  async start (net: LiveDevnet, opts: StartOptions = {}): Promise<MemecoinNode> {
    const name = opts.name ?? `node${this.nodes.length}`
    let self: PeerId | undefined
    const key = opts.validator === undefined ? undefined : net.validators[opts.validator]
    if (opts.validator !== undefined && key === undefined) throw new Error(`no validator ${opts.validator}`)
    const node = await createNode({
      genesis: net.genesis,
      mdns: false,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      api: { host: '127.0.0.1', port: 0 },
      bootstrap: (opts.bootstrap ?? []).map(p2pAddr),
      ...(key !== undefined ? { validatorKey: key.privateKey } : {}),
      ...(opts.partition !== undefined ? { host: { connectionGater: opts.partition.gaterFor(() => self) } } : {}),
      log: testLog(name)
    })
    self = node.libp2p.peerId
    this.nodes.push(node)
    await node.start()
    return node
  }

  /** Stops every node (in parallel), never throwing. */
  async stopAll (): Promise<void> {
    const all = this.nodes.splice(0)
    await Promise.all(all.map(async (n) => {
      try { await n.stop() } catch { /* a failed start or a second stop: nothing left to clean */ }
    }))
  }
}

function testLog (name: string): LogFn | undefined {
  if (process.env.MEMECOIN_TEST_LOG === undefined) return undefined
  return (level, msg, fields) => {
    if (level === 'debug') return
    const f = fields === undefined ? '' : ' ' + JSON.stringify(fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? toHex(v) : v))
    console.log(`      [${Date.now() % 100_000} ${name}] ${level} ${msg}${f}`)
  }
}

/** The node's loopback TCP multiaddr with /p2p/<peer id>. */
export function p2pAddr (node: MemecoinNode): string {
  const id = node.libp2p.peerId.toString()
  const a = node.libp2p.getMultiaddrs().map(String).find((s) => s.startsWith('/ip4/127.0.0.1/tcp/'))
  if (a === undefined) throw new Error('node has no loopback listen address')
  return a.includes('/p2p/') ? a : `${a}/p2p/${id}`
}

/** Waits until `cond()` holds, polling every `intervalMs`; fails after `timeoutMs`. Returns the time waited. */
export async function waitFor (what: string | (() => string), cond: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<number> {
  const start = Date.now()
  while (Date.now() - start < timeoutMs) {
    if (await cond()) return Date.now() - start
    await sleep(intervalMs)
  }
  if (await cond()) return Date.now() - start
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`)
}

/** Resolves after `ms`. */
export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** A JSON API response. */
export interface ApiResult { status: number, body: any }

/** `GET`/`POST` on a node's API (5 s timeout). */
export async function api (node: MemecoinNode, path: string, init: { method?: string, json?: unknown } = {}): Promise<ApiResult> {
  if (node.apiUrl === undefined) throw new Error('node has no API')
  const res = await fetch(node.apiUrl + path, {
    method: init.method ?? (init.json !== undefined ? 'POST' : 'GET'),
    ...(init.json !== undefined ? { body: JSON.stringify(init.json), headers: { 'content-type': 'application/json' } } : {}),
    signal: AbortSignal.timeout(5000)
  })
  const text = await res.text()
  let body: unknown
  try { body = JSON.parse(text) } catch { body = text }
  return { status: res.status, body }
}

/** `POST /txs` of a built transaction; returns the response. */
export async function submitTx (node: MemecoinNode, tx: BuiltTx): Promise<ApiResult> {
  return await api(node, '/txs', { json: { tx: toHex(tx.bytes) } })
}

/** Canonical proposer (hex public key) of each height in [from, to] that the node holds in memory. */
export function proposersOf (node: MemecoinNode, from: bigint, to: bigint): Map<bigint, string> {
  const out = new Map<bigint, string>()
  for (let h = from; h <= to; h++) {
    const b = node.chain.chain.blockAt(h)?.block
    if (b !== undefined) out.set(h, toHex(b.header.header.proposer))
  }
  return out
}

/** Canonical block hash (hex) at `height`, from memory or the store. */
export async function hashAt (node: MemecoinNode, height: bigint): Promise<string | undefined> {
  const n = node.chain.chain.blockAt(height)
  if (n !== undefined) return n.hex
  const bytes = await node.chain.blockAt(height)
  return bytes === undefined ? undefined : toHex(sha256(bytes)) // not a block hash: only compared with itself
}

/** Heights of every node. */
export function heights (nodes: MemecoinNode[]): bigint[] {
  return nodes.map((n) => n.chain.chain.head.height)
}

/** Smallest of some bigints. */
export function minOf (xs: bigint[]): bigint {
  return xs.reduce((a, b) => (b < a ? b : a))
}
