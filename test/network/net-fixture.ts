/**
 * Real libp2p nodes on 127.0.0.1 for the network tests: a devnet genesis with one validator that
 * holds all stake (it leads about every second slot), a shared controllable clock, ChainServices
 * on MemoryStores, hosts with mDNS off, and bounded waiting. Every node a test starts goes into
 * `nodes` so `stopAll` (called from afterEach) stops it even when the test failed.
 */
import type { Libp2p } from '@libp2p/interface'
import { accountIdOf } from '../../src/core/address.ts'
import { utf8 } from '../../src/core/bytes.ts'
import { slotStart } from '../../src/core/consensus.ts'
import { defaultDevnetGenesis, type GenesisConfig } from '../../src/core/genesis.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { ChainParams } from '../../src/core/params.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../../src/core/secp256k1.ts'
import type { Block } from '../../src/core/types.ts'
import { ChainService } from '../../src/chain/service.ts'
import type { ValidatorKey } from '../../src/chain/producer.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { chainParamsOf } from '../../src/wire/genesis.ts'
import { createHost, type HostOptions, type MemecoinHost } from '../../src/network/host.ts'

/** 1 MEME in base units. */
export const MEME = 10n ** 8n
/** Genesis time of every test network (Unix ms); the clock starts here. */
export const GENESIS_TIME = 1_700_000_000_000n

/** A key derived from a label: privateKeyFromEntropy(SHA-256(utf8(label))). */
export function keyOf (label: string): ValidatorKey & { id: Uint8Array } {
  const privateKey = privateKeyFromEntropy(sha256(utf8(label)))
  const publicKey = publicKeyOf(privateKey)
  return { privateKey, publicKey, id: accountIdOf(publicKey) }
}

/** A test devnet: genesis, params, keys and the shared clock. */
export interface TestNet {
  config: GenesisConfig
  params: ChainParams
  validator: ReturnType<typeof keyOf>
  faucet: ReturnType<typeof keyOf>
  clock: { t: bigint }
}

/** A devnet whose only validator is `validator:<name>`; `name` makes a different genesis. */
export function makeNet (name = 'net-test'): TestNet {
  const validator = keyOf(`${name}:validator`)
  const faucet = keyOf(`${name}:faucet`)
  const config = defaultDevnetGenesis({
    genesisTime: GENESIS_TIME,
    validators: [{ id: validator.id, stake: 1000n * MEME, balance: 10n * MEME }],
    faucet: { id: faucet.id, balance: 1_000_000n * MEME },
    slotMs: 100n,
    chainName: name
  })
  return { config, params: chainParamsOf(config), validator, faucet, clock: { t: GENESIS_TIME } }
}

/** A chain service of `net` on a fresh MemoryStore (producing if `producer`). */
export async function openChain (net: TestNet, producer = false): Promise<ChainService> {
  return await ChainService.open({
    params: net.params,
    allocations: net.config.accounts,
    store: new MemoryStore(),
    now: () => net.clock.t,
    ...(producer ? { validator: net.validator } : {})
  })
}

/** Produces the next block on `svc` (trying slots upwards, moving the shared clock). */
export async function produceNext (net: TestNet, svc: ChainService, maxSlots = 200): Promise<Block> {
  const from = svc.chain.head.slot + 1n
  for (let slot = from; slot < from + BigInt(maxSlots); slot++) {
    const t = slotStart(slot, net.params)
    if (t > net.clock.t) net.clock.t = t
    const b = await svc.produce(slot)
    if (b !== undefined) return b
  }
  throw new Error(`no block led in ${maxSlots} slots from ${from}`)
}

/** A producing chain service of `net` (fresh MemoryStore) with `blocks` blocks made on it. */
export async function producingChain (net: TestNet, blocks: number | bigint): Promise<ChainService> {
  const svc = await openChain(net, true)
  for (let i = 0n; i < BigInt(blocks); i++) await produceNext(net, svc)
  return svc
}

/** Nodes started by a test, stopped by `stopAll`. */
export const nodes: Libp2p[] = []

/** Starts a memecoin host on 127.0.0.1 with mDNS off. */
export async function startHost (chain: ChainService, opts: Partial<HostOptions> = {}): Promise<MemecoinHost> {
  const host = await createHost({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, ...opts, chain })
  nodes.push(host)
  return host
}

/** Stops every node started since the last call (never throws). */
export async function stopAll (): Promise<void> {
  const all = nodes.splice(0)
  await Promise.all(all.map(async (n) => {
    try { await n.stop() } catch { /* already stopped or failed: nothing to clean */ }
  }))
}

/** Dials `b` from `a` (its first listen address). */
export async function connect (a: Libp2p, b: Libp2p): Promise<void> {
  const addr = b.getMultiaddrs()[0]
  if (addr === undefined) throw new Error('node has no listen address')
  await a.dial(addr)
}

/** Waits until `cond()` holds, polling every `intervalMs`, failing after `timeoutMs`. */
export async function waitFor (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 25): Promise<number> {
  const start = Date.now()
  for (let i = 0; Date.now() - start < timeoutMs && i < 100_000; i++) {
    if (await cond()) return Date.now() - start
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}
