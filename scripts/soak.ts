/**
 * `npm run soak -- [--minutes N] [--tps T] [--slot-ms MS] [--sample-s S] [--warmup-s W]`
 *
 * A small devnet in this process — 3 validators from createNode, LevelDB in a temp directory,
 * libp2p and the API on 127.0.0.1 only, mDNS off — under steady load: signed transfers POSTed to
 * the nodes' APIs (round-robin) at T per second, among a fixed set of 8 funded senders and 8
 * recipients (so the ledger does not grow: any growth is the node's, not the state's). Every S
 * seconds (default 10) it forces a GC and samples RSS and heap. Prints one JSON object: peak
 * memory, and growth from the first sample after the warm-up to the mean of the last three
 * samples (target ≤ 10%). Every node is stopped and the directory removed, also on failure or
 * Ctrl-C. Exits 0 when heap growth ≤ 10% and the nodes agree, 1 otherwise.
 */
import '../src/polyfill.ts'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'
import { toHex } from '../src/core/bytes.ts'
import { createNode, type MemecoinNode } from '../src/node.ts'
import { buildTransfer } from '../src/wallet/transactions.ts'
import { liveDevnet, liveKey, p2pAddr, type TestKey } from '../test/helpers/live-devnet.ts'

v8.setFlagsFromString('--expose_gc')
const gc = vm.runInNewContext('gc') as () => void

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    tps: { type: 'string', default: '8' },
    'slot-ms': { type: 'string', default: '250' },
    'sample-s': { type: 'string', default: '10' },
    'warmup-s': { type: 'string' }
  }
})
const num = (name: string, v: string | undefined, min: number, max: number): number => {
  const n = Number(v)
  if (!Number.isFinite(n) || n < min || n > max) { process.stderr.write(`error: --${name} must be a number in [${min}, ${max}]\n`); process.exit(2) }
  return n
}
const minutes = num('minutes', values.minutes, 0.2, 24 * 60)
const tps = num('tps', values.tps, 0.1, 200)
const slotMs = num('slot-ms', values['slot-ms'], 100, 10_000)
const sampleS = num('sample-s', values['sample-s'], 1, 600)
const durationS = minutes * 60
const warmupS = values['warmup-s'] !== undefined ? num('warmup-s', values['warmup-s'], 0, durationS) : Math.min(120, Math.max(30, durationS * 0.25))

const MEME = 10n ** 8n
const nodes: MemecoinNode[] = []
let dir: string | undefined
let stopping = false

async function cleanup (): Promise<void> {
  stopping = true
  await Promise.all(nodes.splice(0).map(async (n) => { try { await n.stop() } catch { /* stopped */ } }))
  if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => {})
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void cleanup().then(() => process.exit(130)) })

async function post (node: MemecoinNode, bytes: Uint8Array): Promise<number> {
  const res = await fetch(`${node.apiUrl as string}/txs`, { method: 'POST', body: JSON.stringify({ tx: toHex(bytes) }), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5000) })
  await res.text()
  return res.status
}
async function getJson (node: MemecoinNode, path: string): Promise<any> {
  const res = await fetch(`${node.apiUrl as string}${path}`, { signal: AbortSignal.timeout(5000) })
  return await res.json()
}
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

interface Sample { t: number, rssMb: number, heapUsedMb: number, externalMb: number, height: number, mempool: number[] }
const mb = (b: number): number => Math.round(b / 1024 / 1024 * 10) / 10

async function main (): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'memecoin-soak-'))
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
  const samples: Sample[] = []
  const sample = (): void => {
    gc()
    const m = process.memoryUsage()
    samples.push({
      t: Math.round((Date.now() - t0) / 1000),
      rssMb: mb(m.rss),
      heapUsedMb: mb(m.heapUsed),
      externalMb: mb(m.external + m.arrayBuffers),
      height: Number(nodes[0]?.chain.chain.head.height ?? 0n),
      mempool: nodes.map((n) => n.chain.mempool.size)
    })
    process.stderr.write(`[soak ${samples.at(-1)?.t}s] rss ${samples.at(-1)?.rssMb} MB heap ${samples.at(-1)?.heapUsedMb} MB height ${samples.at(-1)?.height} submitted ${submitted} accepted ${accepted} mempool ${samples.at(-1)?.mempool.join('/')}\n`)
  }
  sample()
  let nextSample = t0 + sampleS * 1000
  const interval = 1000 / tps
  let next = Date.now()
  let k = 0
  while (!stopping && Date.now() - t0 < durationS * 1000) {
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

  // agreement at the end
  let agree = false
  for (let i = 0; i < 100 && !agree; i++) {
    const hs = nodes.map((n) => n.chain.chain.head.height)
    const h = hs.reduce((a, b) => (a < b ? a : b)) - 1n
    agree = h > 0n && new Set(nodes.map((n) => n.chain.chain.blockAt(h)?.hex)).size === 1
    if (!agree) await sleep(100)
  }
  const after = samples.filter((s) => s.t >= warmupS)
  const base = after[0] ?? samples[0] as Sample
  const tailN = after.slice(-3)
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
  const growth = (f: (s: Sample) => number): number => Math.round((mean(tailN.map(f)) / f(base) - 1) * 1000) / 10
  const heapGrowthPct = growth((s) => s.heapUsedMb)
  const rssGrowthPct = growth((s) => s.rssMb)
  const result = {
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
    targetGrowthPct: 10,
    pass: agree && heapGrowthPct <= 10,
    samples
  }
  await cleanup()
  process.stdout.write(JSON.stringify(result) + '\n')
  process.exitCode = result.pass ? 0 : 1
}

main().catch(async (err) => {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`)
  await cleanup()
  process.exit(1)
})
