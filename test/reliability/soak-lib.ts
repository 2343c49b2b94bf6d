/**
 * The soak: a small devnet in this process — 3 validators from createNode, LevelDB in a temp
 * directory, libp2p and the API on 127.0.0.1 only, mDNS off — under steady load: signed transfers
 * POSTed to the nodes' APIs (round-robin) at `tps` per second, among a fixed set of 8 funded
 * senders and 8 recipients (so the ledger does not grow: any growth is the node's, not the
 * state's). Every `sampleS` seconds it forces a GC and samples RSS and heap. The result holds peak
 * memory and growth from the first sample after the warm-up to the mean of the last three samples
 * (target ≤ 10%). Every node is stopped and the directory removed, also on failure or abort.
 *
 * Used by `npm run soak` (scripts/soak.ts, long runs) and test/reliability/soak.test.ts (a short
 * run inside `npm run test:reliability`).
 */
import '../../src/polyfill.ts'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import { toHex } from '../../src/core/bytes.ts'
import { createNode, type MemecoinNode } from '../../src/node.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { liveDevnet, liveKey, p2pAddr, type TestKey } from '../helpers/live-devnet.ts'

/** Options of `runSoak`. */
export interface SoakOptions {
  minutes: number
  /** Transfers submitted per second. */
  tps: number
  slotMs: number
  /** Seconds between memory samples. */
  sampleS: number
  /** Samples before this (seconds from the start of the load) are the warm-up; default 25% of the run, 30–120 s. */
  warmupS?: number
  /** Progress lines (default: none). */
  log?: (line: string) => void
  /** Ends the load early (the result is still computed from the samples taken). */
  signal?: AbortSignal
}

/** One memory sample (MiB; the field names keep the historical `Mb` suffix). */
export interface SoakSample {
  t: number
  rssMb: number
  heapUsedMb: number
  externalMb: number
  height: number
  mempool: number[]
  /** Signature-cache first-tier entries per node (tracks the mempool, not time). */
  sigCache: number[]
  /** Signature-cache second-tier entries per node (recently included or refused for room; its own bound). */
  sigCacheRemembered: number[]
}

/** The soak's JSON result (printed by `npm run soak`). */
export interface SoakResult {
  soak: true
  minutes: number
  nodes: number
  slotMs: number
  tps: number
  warmupS: number
  sampleS: number
  txsSubmitted: number
  txsAccepted: number
  txsRefused: number
  postErrors: number
  finalHeight: number
  reorgs: number[]
  headsAgree: boolean
  peakRssMb: number
  peakHeapUsedMb: number
  afterWarmup: { rssMb: number, heapUsedMb: number, t: number }
  end: { rssMb: number, heapUsedMb: number }
  heapGrowthPct: number
  rssGrowthPct: number
  targetGrowthPct: number
  pass: boolean
  samples: SoakSample[]
}

/** Heap growth after warm-up the soak aims for (issue #6). */
export const SOAK_TARGET_GROWTH_PCT = 10

const MEME = 10n ** 8n
const mb = (b: number): number => Math.round(b / 1024 / 1024 * 10) / 10
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

let gcFn: (() => void) | undefined
/** The V8 `gc()` function, exposed at run time (no --expose-gc needed on the command line). */
function gc (): void {
  if (gcFn === undefined) {
    v8.setFlagsFromString('--expose_gc')
    gcFn = vm.runInNewContext('gc') as () => void
  }
  gcFn()
}

async function post (node: MemecoinNode, bytes: Uint8Array): Promise<number> {
  const res = await fetch(`${node.apiUrl as string}/txs`, { method: 'POST', body: JSON.stringify({ tx: toHex(bytes) }), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5000) })
  await res.text()
  return res.status
}
async function getJson (node: MemecoinNode, path: string): Promise<any> {
  const res = await fetch(`${node.apiUrl as string}${path}`, { signal: AbortSignal.timeout(5000) })
  return await res.json()
}

/** Default warm-up: 25% of the run, between 30 and 120 seconds. */
export function defaultWarmupS (durationS: number): number {
  return Math.min(120, Math.max(30, durationS * 0.25))
}

/** Runs a soak; always stops its nodes and removes its directory before returning or throwing. */
export async function runSoak (opts: SoakOptions): Promise<SoakResult> {
  const { minutes, tps, slotMs, sampleS } = opts
  const log = opts.log ?? (() => {})
  const durationS = minutes * 60
  const warmupS = opts.warmupS ?? defaultWarmupS(durationS)
  const stopped = (): boolean => opts.signal?.aborted === true
  const nodes: MemecoinNode[] = []
  const dir = await mkdtemp(join(tmpdir(), 'memecoin-soak-'))
  try {
    const net = liveDevnet({ label: `soak-${Date.now()}`, stakes: [1000n, 1000n, 1000n], slotMs: BigInt(slotMs) })
    for (let i = 0; i < 3; i++) {
      const node = await createNode({
        genesis: net.genesis,
        dataDir: join(dir, `node-${i}`),
        validatorKey: (net.validators[i] as TestKey).privateKey,
        mdns: false,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        api: { host: '127.0.0.1', port: 0 },
        bootstrap: nodes.map(p2pAddr)
      })
      nodes.push(node)
      await node.start()
    }
    const chainId = net.genesis.params.chainId
    const fee = net.genesis.params.minFee
    const senders = Array.from({ length: 8 }, (_, i) => liveKey(`soak:sender:${i}`))
    const recipients = Array.from({ length: 8 }, (_, i) => liveKey(`soak:recipient:${i}`).address)

    // fund the senders from the faucet and wait until every node has them
    for (let i = 0; i < senders.length; i++) {
      const tx = buildTransfer({ chainId, privateKey: net.faucet.privateKey, nonce: BigInt(i), fee, to: (senders[i] as TestKey).address, amount: 10_000n * MEME })
      const st = await post(nodes[0] as MemecoinNode, tx.bytes)
      if (st !== 202 && st !== 200) throw new Error(`funding tx refused: HTTP ${st}`)
    }
    for (let i = 0; i < 400; i++) {
      if (stopped()) throw new Error('soak aborted')
      const balances = await Promise.all(senders.map(async (s) => await getJson(nodes[2] as MemecoinNode, `/accounts/${s.address}`)))
      if (balances.every((b) => BigInt(b.balance ?? '0') > 0n)) break
      if (i === 399) throw new Error('senders were not funded')
      await sleep(100)
    }

    const nonces = senders.map(() => 0n)
    let submitted = 0
    let accepted = 0
    let refused = 0
    let errors = 0
    const t0 = Date.now()
    const samples: SoakSample[] = []
    const sample = (): void => {
      gc()
      const m = process.memoryUsage()
      const s: SoakSample = {
        t: Math.round((Date.now() - t0) / 1000),
        rssMb: mb(m.rss),
        heapUsedMb: mb(m.heapUsed),
        externalMb: mb(m.external + m.arrayBuffers),
        height: Number(nodes[0]?.chain.chain.head.height ?? 0n),
        mempool: nodes.map((n) => n.chain.mempool.size),
        sigCache: nodes.map((n) => n.chain.sigCache.size - n.chain.sigCache.stats().remembered),
        sigCacheRemembered: nodes.map((n) => n.chain.sigCache.stats().remembered)
      }
      samples.push(s)
      log(`[soak ${s.t}s] rss ${s.rssMb} MB heap ${s.heapUsedMb} MB height ${s.height} submitted ${submitted} accepted ${accepted} mempool ${s.mempool.join('/')} sig-cache ${s.sigCache.join('/')}`)
    }
    sample()
    let nextSample = t0 + sampleS * 1000
    const interval = 1000 / tps
    let next = Date.now()
    let k = 0
    while (!stopped() && Date.now() - t0 < durationS * 1000) {
      const s = k % senders.length
      const sender = senders[s] as TestKey
      const tx = buildTransfer({ chainId, privateKey: sender.privateKey, nonce: nonces[s] as bigint, fee, to: recipients[(k * 7 + 3) % recipients.length] as string, amount: 1000n + BigInt(k % 1000) })
      const node = nodes[k % nodes.length] as MemecoinNode
      submitted++
      try {
        const st = await post(node, tx.bytes)
        if (st === 202 || st === 200) { accepted++; nonces[s] = (nonces[s] as bigint) + 1n } else {
          refused++
          // resynchronise this sender's nonce with the node (confirmed + pending)
          const a = await getJson(node, `/accounts/${sender.address}`)
          nonces[s] = BigInt(a.nextNonce ?? a.nonce)
        }
      } catch { errors++ }
      k++
      if (Date.now() >= nextSample) { sample(); nextSample += sampleS * 1000 }
      next += interval
      const wait = next - Date.now()
      if (wait > 0) await sleep(wait)
      else next = Date.now()
    }
    sample()

    // agreement at the end: one block at the highest height every node has passed
    let agree = false
    for (let i = 0; i < 100 && !agree; i++) {
      const hs = nodes.map((n) => n.chain.chain.head.height)
      const h = hs.reduce((a, b) => (a < b ? a : b)) - 1n
      agree = h > 0n && new Set(nodes.map((n) => n.chain.chain.blockAt(h)?.hex)).size === 1
      if (!agree) await sleep(100)
    }
    const after = samples.filter((s) => s.t >= warmupS)
    const base = after[0] ?? samples[0] as SoakSample
    const tailN = after.slice(-3)
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
    const growth = (f: (s: SoakSample) => number): number => Math.round((mean(tailN.map(f)) / f(base) - 1) * 1000) / 10
    const heapGrowthPct = growth((s) => s.heapUsedMb)
    const rssGrowthPct = growth((s) => s.rssMb)
    return {
      soak: true,
      minutes,
      nodes: nodes.length,
      slotMs,
      tps,
      warmupS,
      sampleS,
      txsSubmitted: submitted,
      txsAccepted: accepted,
      txsRefused: refused,
      postErrors: errors,
      finalHeight: Number(nodes[0]?.chain.chain.head.height ?? 0n),
      reorgs: nodes.map((n) => n.chain.counters.reorgs),
      headsAgree: agree,
      peakRssMb: Math.max(...samples.map((s) => s.rssMb)),
      peakHeapUsedMb: Math.max(...samples.map((s) => s.heapUsedMb)),
      afterWarmup: { rssMb: base.rssMb, heapUsedMb: base.heapUsedMb, t: base.t },
      end: { rssMb: mean(tailN.map((s) => s.rssMb)), heapUsedMb: mean(tailN.map((s) => s.heapUsedMb)) },
      heapGrowthPct,
      rssGrowthPct,
      targetGrowthPct: SOAK_TARGET_GROWTH_PCT,
      pass: agree && heapGrowthPct <= SOAK_TARGET_GROWTH_PCT,
      samples
    }
  } finally {
    await Promise.all(nodes.splice(0).map(async (n) => { try { await n.stop() } catch { /* stopped */ } }))
    await rm(dir, { recursive: true, force: true }).catch(() => {})
  }
}
