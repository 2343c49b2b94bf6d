/**
 * Core throughput benchmarks (issue "Performance"), each next to its baseline, measured in one run:
 * raw native verify/s on one core vs mempool ingestion through ChainService.addTransactions;
 * block import single-threaded vs with the verifier pool; the signature cache hit rate when a
 * block's transactions came through the mempool; peak RSS. Prints numbers, asserts nothing.
 */
import { availableParallelism } from 'node:os'
import { accountIdOf } from '../src/core/address.ts'
import { utf8 } from '../src/core/bytes.ts'
import { defaultDevnetGenesis, type GenesisConfig } from '../src/core/genesis.ts'
import { sha256 } from '../src/core/hash.ts'
import type { ChainParams } from '../src/core/params.ts'
import { nativeBinding, privateKeyFromEntropy, publicKeyOf, signDigest, verifyDigest } from '../src/core/secp256k1.ts'
import { ChainService } from '../src/chain/service.ts'
import { MIN_CHUNK_RECORDS } from '../src/chain/verifier-pool.ts'
import type { ValidatorKey } from '../src/chain/producer.ts'
import { MemoryStore } from '../src/storage/store.ts'
import { buildTransfer } from '../src/wallet/transactions.ts'
import { chainParamsOf } from '../src/wire/genesis.ts'

/** Transactions as a peer's gossip brings them (not the node's own, which it would announce). */
const GOSSIP = { peer: 'bench' }

/** Sizes of one benchmark run. */
export interface CoreBenchOptions {
  /** Distinct funded senders. */
  senders: number
  /** Transfers per sender (consecutive nonces). */
  perSender: number
  /** Transactions per addTransactions call (a gossip batch). */
  batch: number
  /** Transactions per block in the import benchmark. */
  blockTxs: number
  /**
   * Transactions of the mempool benchmarks (ingestion, import after mempool): the first this
   * many of the fixture, within the pool's 10,000-transaction limit. The import benchmarks use
   * every transaction.
   */
  mempoolTxs: number
  /** Seconds spent measuring raw verify/s. */
  verifySeconds: number
  /** Repetitions of each timed phase (best is reported). */
  rounds: number
}

/**
 * 6,000 senders × 4: 24 blocks of 1,000 for the import rates. With 8 blocks a round took ≈ 0.3 s
 * and the pool's fill and drain (the first block's verification, the last block's apply, which
 * nothing overlaps) were an eighth of it: the same code measured 22,000–28,000 tx/s pooled from
 * run to run. 24 blocks measure the sustained rate a sync or a busy network imports at.
 */
export const DEFAULT_CORE_BENCH: CoreBenchOptions = { senders: 6000, perSender: 4, batch: 256, blockTxs: 1000, mempoolTxs: 8000, verifySeconds: 1.5, rounds: 3 }

/** One measured line: a value next to its baseline. */
export interface BenchRow { name: string, value: number, unit: string, baseline?: { name: string, value: number }, ratio?: number, target?: number, met?: boolean }

function keyOf (label: string): ValidatorKey {
  const privateKey = privateKeyFromEntropy(sha256(utf8('bench:' + label)))
  return { privateKey, publicKey: publicKeyOf(privateKey) }
}

interface Fixture { config: GenesisConfig, params: ChainParams, validator: ValidatorKey, senders: ValidatorKey[], txs: Uint8Array[][] }

/** A one-validator devnet with `senders` funded accounts and their signed transfers (nonce-major). */
export function fixture (o: CoreBenchOptions): Fixture {
  const validator = keyOf('validator')
  const faucet = keyOf('faucet')
  const senders = Array.from({ length: o.senders }, (_, i) => keyOf(`sender:${i}`))
  const config = defaultDevnetGenesis({
    genesisTime: 1_800_000_000_000n,
    validators: [{ id: accountIdOf(validator.publicKey), stake: 1000n * 10n ** 8n, balance: 10n * 10n ** 8n }],
    faucet: { id: accountIdOf(faucet.publicKey), balance: 10n ** 8n },
    chainName: 'bench'
  })
  for (const s of senders) config.accounts.push({ id: accountIdOf(s.publicKey), balance: 1000n * 10n ** 8n, stake: 0n })
  const params = chainParamsOf(config)
  const to = accountIdOf(faucet.publicKey)
  // txs[n][i]: sender i's transfer with nonce n
  const txs = Array.from({ length: o.perSender }, (_, n) => senders.map((s, i) =>
    buildTransfer({ chainId: params.chainId, privateKey: s.privateKey, nonce: BigInt(n), fee: 1000n + BigInt(i % 97), to, amount: 1000n + BigInt(n) }).bytes))
  return { config, params, validator, senders, txs }
}

async function open (f: Fixture, opts: { pool: boolean, validator?: boolean }): Promise<ChainService> {
  return await ChainService.open({
    params: f.params,
    allocations: f.config.accounts,
    store: new MemoryStore(),
    // far in the future: every slot has started
    now: () => f.params.genesisTime + 1_000_000n * f.params.slotMs,
    verifierPool: opts.pool,
    ...(opts.validator === true ? { validator: f.validator } : {})
  })
}

/** Raw libsecp256k1 verifies per second on this thread (the baseline), and verifyDigest's. */
function rawVerify (o: CoreBenchOptions): { native: number, verifyDigest: number } {
  const items = Array.from({ length: 256 }, (_, i) => {
    const k = keyOf(`raw:${i}`)
    const digest = sha256(utf8(`msg:${i}`))
    return { sig: signDigest(digest, k.privateKey), digest, pk: k.publicKey }
  })
  const rate = (fn: (it: typeof items[number]) => boolean): number => {
    let n = 0
    const end = performance.now() + o.verifySeconds * 1000
    const start = performance.now()
    while (performance.now() < end) {
      for (const it of items) if (!fn(it)) throw new Error('bench vector failed to verify')
      n += items.length
    }
    return n / ((performance.now() - start) / 1000)
  }
  const native = nativeBinding
  if (native === undefined) throw new Error('the native secp256k1 binding does not load here')
  return { native: rate((it) => native.ecdsaVerify(it.sig, it.digest, it.pk)), verifyDigest: rate((it) => verifyDigest(it.sig, it.digest, it.pk)) }
}

/**
 * Starts `svc`'s verifier pool and waits until every worker has answered once. A node's pool lives
 * as long as the node, and its workers start once, at its first verification. Starting two here
 * (a thread each, the worker module, libsecp256k1 loaded in it) takes ≈ 40 ms and ≈ 80 ms of CPU,
 * which a round that started them inside its timed window counted against a ≈ 1 s import (≈ 0.4 s
 * of ingestion): not the rate the pool sustains (bench/RESULTS.md, runs X, Y and Z).
 */
async function startedPool (svc: ChainService): Promise<void> {
  const pool = svc.verifierPool
  if (pool === undefined) return
  pool.start()
  // one chunk of MIN_CHUNK_RECORDS per worker; all-zero signatures: each worker refuses them at once
  const item = { signature: new Uint8Array(64), digest: new Uint8Array(32), publicKey: new Uint8Array(33) }
  const answers = await pool.verify(Array.from({ length: pool.size * MIN_CHUNK_RECORDS }, () => item))
  if (answers.some((ok) => ok)) throw new Error('verifier pool accepted an all-zero signature')
}

/** Mempool ingestion tx/s: every transfer through decode → validate → insert, in gossip-sized batches. */
async function ingest (f: Fixture, o: CoreBenchOptions, pool: boolean): Promise<number> {
  const all = f.txs.flat().slice(0, o.mempoolTxs)
  const svc = await open(f, { pool })
  try {
    if (pool) await startedPool(svc)
    const t0 = performance.now()
    const calls: Array<Promise<unknown>> = []
    for (let i = 0; i < all.length; i += o.batch) calls.push(svc.addTransactions(all.slice(i, i + o.batch), GOSSIP))
    const outcomes = (await Promise.all(calls)).flat() as Array<{ ok: boolean }>
    const s = (performance.now() - t0) / 1000
    const bad = outcomes.filter((x) => !x.ok).length
    if (bad > 0 || svc.mempool.size !== all.length) throw new Error(`ingestion refused ${bad} transactions`)
    return all.length / s
  } finally {
    await svc.close()
  }
}

/** Blocks of `blockTxs` transfers, produced on a validator's chain (bytes, in order). */
export async function makeBlocks (f: Fixture, o: CoreBenchOptions): Promise<Uint8Array[]> {
  const svc = await open(f, { pool: false, validator: true })
  const blocks: Uint8Array[] = []
  try {
    const all = f.txs.flat()
    for (let i = 0; i < all.length; i += o.blockTxs) {
      const out = await svc.addTransactions(all.slice(i, i + o.blockTxs), GOSSIP)
      if (out.some((x) => !x.ok)) throw new Error('block fixture: a transaction was refused')
      let slot = svc.chain.head.slot
      for (let tries = 0; ; tries++) {
        if (tries > 200) throw new Error('block fixture: no leader slot')
        slot++
        const b = await svc.produce(slot)
        if (b !== undefined) {
          if (b.txs.length !== Math.min(o.blockTxs, all.length - i)) throw new Error(`block fixture: ${b.txs.length} txs`)
          blocks.push(b.bytes)
          break
        }
      }
    }
  } finally {
    await svc.close()
  }
  return blocks
}

/** Block import tx/s of `blocks` (bytes: decode + validate + apply + persist to memory). */
export async function importRate (f: Fixture, blocks: Uint8Array[], pool: boolean, viaMempool: Uint8Array[] | undefined): Promise<{ txps: number, hitRate: number, hits: number, misses: number }> {
  const svc = await open(f, { pool })
  try {
    if (pool) await startedPool(svc)
    if (viaMempool !== undefined) {
      const out = await svc.addTransactions(viaMempool, GOSSIP)
      if (out.some((x) => !x.ok)) throw new Error('import fixture: a transaction was refused')
    }
    svc.sigCache.resetStats()
    const t0 = performance.now()
    // as sync delivers them: several blocks in flight, imported in order
    const results = await Promise.all(blocks.map(async (b) => await svc.importBlock(b)))
    const s = (performance.now() - t0) / 1000
    const txs = results.reduce((n, r) => n + (r.node.block?.txs.length ?? 0), 0)
    if (svc.chain.head.height !== BigInt(blocks.length)) throw new Error('import: not every block became the head')
    const st = svc.sigCache.stats()
    return { txps: txs / s, hitRate: svc.sigCache.hitRate(), hits: st.hits, misses: st.misses }
  } finally {
    await svc.close()
  }
}

const best = async (rounds: number, fn: () => Promise<number>): Promise<number> => {
  let b = 0
  for (let i = 0; i < rounds; i++) b = Math.max(b, await fn())
  return b
}

/** Runs every core benchmark once; `log` gets progress lines. */
export async function runCoreBench (o: CoreBenchOptions = DEFAULT_CORE_BENCH, log: (s: string) => void = () => {}): Promise<{ rows: BenchRow[], info: Record<string, unknown> }> {
  log(`fixture: ${o.senders} senders × ${o.perSender} signed transfers …`)
  const f = fixture(o)
  log('raw verify …')
  const raw = rawVerify(o)
  log('mempool ingestion …')
  const ingestSync = await best(o.rounds, async () => await ingest(f, o, false))
  const ingestPool = await best(o.rounds, async () => await ingest(f, o, true))
  log('block fixture …')
  const blocks = await makeBlocks(f, o)
  log(`block import (${blocks.length} blocks of ${o.blockTxs}) …`)
  const single = await best(o.rounds, async () => (await importRate(f, blocks, false, undefined)).txps)
  const pooled = await best(o.rounds, async () => (await importRate(f, blocks, true, undefined)).txps)
  // the blocks whose transactions fit in the pool: those are admitted first, then imported
  const first = blocks.slice(0, Math.max(1, Math.floor(o.mempoolTxs / o.blockTxs)))
  const cached = await importRate(f, first, true, f.txs.flat().slice(0, first.length * o.blockTxs))
  const rssMiB = process.resourceUsage().maxRSS / 1024

  const rows: BenchRow[] = [
    { name: 'raw native verify (1 core)', value: raw.native, unit: 'verify/s' },
    { name: 'verifyDigest (1 core)', value: raw.verifyDigest, unit: 'verify/s', baseline: { name: 'raw native verify', value: raw.native }, ratio: raw.verifyDigest / raw.native },
    { name: 'mempool ingestion, synchronous', value: ingestSync, unit: 'tx/s', baseline: { name: 'raw native verify', value: raw.native }, ratio: ingestSync / raw.native },
    { name: 'mempool ingestion, verifier pool', value: ingestPool, unit: 'tx/s', baseline: { name: 'raw native verify', value: raw.native }, ratio: ingestPool / raw.native, target: 0.8, met: ingestPool / raw.native >= 0.8 },
    { name: 'block import, single-threaded', value: single, unit: 'tx/s' },
    { name: 'block import, verifier pool', value: pooled, unit: 'tx/s', baseline: { name: 'single-threaded', value: single }, ratio: pooled / single, target: 1.7, met: pooled / single >= 1.7 },
    { name: 'block import, txs via mempool', value: cached.txps, unit: 'tx/s', baseline: { name: 'single-threaded', value: single }, ratio: cached.txps / single },
    { name: 'sig-cache hit rate (import after mempool)', value: cached.hitRate, unit: 'ratio' },
    { name: 'peak RSS', value: rssMiB, unit: 'MiB' }
  ]
  return { rows, info: { cores: availableParallelism(), txs: f.txs.flat().length, mempoolTxs: Math.min(o.mempoolTxs, f.txs.flat().length), batch: o.batch, blocks: blocks.length, blockTxs: o.blockTxs, mempoolBlocks: first.length, cacheHits: cached.hits, cacheMisses: cached.misses } }
}
