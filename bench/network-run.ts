/**
 * The network benchmarks with knobs for investigation (`npm run bench` runs them, with the core
 * ones, at their defaults): `npx tsx bench/network-run.ts [--json] [--quick] [--only gossip,sync,load]`.
 * Prints a table per benchmark (figure, baseline, ratio) and, last, one JSON line of every result.
 * `--quick` scales every benchmark down (fewer blocks, 200 sync blocks, a 20 s load) and says so.
 * Load options: `--seconds S`, `--rate TX_PER_S`, `--slot-ms MS`, `--keep` (keep the
 * temp dir with the node logs), `--cpu-prof DIR` (a V8 CPU profile of every node
 * process in DIR/node-i/, for `npx tsx bench/devnet-profile.ts DIR`; the gossip benchmark's
 * node processes write theirs in DIR/gossip/, the sync benchmark its main thread's in DIR/sync/).
 * Gossip options: `--nodes N` (default 8; 2 to 16), e.g. 2 or 3 to see the propagation when
 * each receiving node has a core of its own; `--txs T` transfers per block (default 500, at
 * most 5,000).
 */
import './node-flags.ts'
import { join } from 'node:path'
import { benchDevnetLoad, benchGossip, benchSync, type BenchResult } from './network.ts'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const json = args.includes('--json')
const onlyAt = args.indexOf('--only')
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',') : ['gossip', 'sync', 'load']
const valueOf = (flag: string): string | undefined => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined }
/** The integer value of `flag` in [min, max], undefined without the flag; exits 2 on anything else. */
const integer = (flag: string, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined => {
  const v = valueOf(flag)
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    console.error(`error: ${flag} must be ${max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`}`)
    process.exit(2)
  }
  return n
}
// each node is a process of ≈ 250 MiB at its peak: 16 stay well inside this machine's memory
const gossipNodes = integer('--nodes', 2, 16)
// 5,000 transfers (≈ 740 KB) keep a block under the devnet genesis's 1 MiB block size
const gossipTxs = integer('--txs', 1, 5000)
const loadSeconds = integer('--seconds')
const loadRate = integer('--rate')
const loadSlotMs = integer('--slot-ms')
const cpuProfDir = valueOf('--cpu-prof')
const keepDir = args.includes('--keep')

function print (r: BenchResult): void {
  console.log(`\n== ${r.name}${quick ? ' (--quick: scaled down)' : ''}`)
  for (const [k, v] of Object.entries(r.figures)) console.log(`  ${k.padEnd(26)} ${String(v).padStart(12)}`)
  for (const [k, v] of Object.entries(r.baseline)) console.log(`  baseline ${k.padEnd(17)} ${String(v).padStart(12)}`)
  for (const [k, v] of Object.entries(r.ratios)) console.log(`  ratio ${k.padEnd(20)} ${String(v).padStart(12)}`)
  for (const n of r.notes) console.log(`  note: ${n}`)
}

const results: BenchResult[] = []
const run = async (name: string, fn: () => Promise<BenchResult>): Promise<void> => {
  if (!only.includes(name)) return
  try {
    const r = await fn()
    results.push(r)
    if (!json) print(r)
  } catch (err) {
    const r: BenchResult = { name, figures: {}, baseline: {}, ratios: {}, notes: [`failed: ${(err as Error).message}`] }
    results.push(r)
    if (!json) print(r)
  }
}

await run('gossip', async () => await benchGossip({ ...(quick ? { blocks: 15 } : {}), ...(gossipNodes !== undefined ? { nodes: gossipNodes } : {}), ...(gossipTxs !== undefined ? { txsPerBlock: gossipTxs } : {}), ...(cpuProfDir !== undefined ? { cpuProfDir: join(cpuProfDir, 'gossip') } : {}) }))
await run('sync', async () => await benchSync({ ...(quick ? { blocks: 200 } : {}), ...(cpuProfDir !== undefined ? { cpuProfDir: join(cpuProfDir, 'sync') } : {}) }))
await run('load', async () => await benchDevnetLoad({
  ...(quick ? { seconds: 20 } : {}),
  ...(loadSeconds !== undefined ? { seconds: loadSeconds } : {}),
  ...(loadRate !== undefined ? { rate: loadRate } : {}),
  ...(loadSlotMs !== undefined ? { slotMs: BigInt(loadSlotMs) } : {}),
  ...(cpuProfDir !== undefined ? { cpuProfDir } : {}),
  ...(keepDir ? { keepDir } : {})
}))
console.log(JSON.stringify({ quick, results }))
process.exit(results.some((r) => r.notes.some((n) => n.startsWith('failed:'))) ? 1 : 0)
