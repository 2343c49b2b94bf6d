/**
 * `npm run bench [-- --json] [-- --quick] [-- --only core,gossip,sync,load]`: every benchmark of
 * issue "Performance" in one run, each number next to its baseline measured in the same run,
 * printed as tables and, last, one JSON line of every result. Targets are reported (met or not),
 * never asserted. `--quick` scales every benchmark down and says so; `--only` picks some.
 *
 * Order: the core benchmarks first (one process, no network), then gossip propagation, sync and
 * the devnet under load (bench/network.ts). A benchmark that throws is reported as failed and the
 * others still run; the exit code is 1 if any failed.
 */
import '../src/polyfill.ts'
import { DEFAULT_CORE_BENCH, runCoreBench, type BenchRow, type CoreBenchOptions } from './core.ts'
import { benchDevnetLoad, benchGossip, benchSync, type BenchResult } from './network.ts'

const args = process.argv.slice(2)
const json = args.includes('--json')
const quick = args.includes('--quick')
const onlyAt = args.indexOf('--only')
const ALL = ['core', 'gossip', 'sync', 'load']
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',').filter((s) => s !== '') : ALL
const unknown = only.filter((s) => !ALL.includes(s))
if (unknown.length > 0 || only.length === 0) {
  process.stderr.write(`error: --only takes a comma-separated list of ${ALL.join(', ')}\n`)
  process.exit(2)
}
const coreOpts: CoreBenchOptions = quick ? { ...DEFAULT_CORE_BENCH, senders: 500, perSender: 2, verifySeconds: 0.5, rounds: 1 } : DEFAULT_CORE_BENCH
const out = (s: string): void => { if (!json) process.stdout.write(s + '\n') }
const progress = (s: string): void => { if (!json) process.stderr.write(s + '\n') }

function fmtRow (r: BenchRow): string {
  const v = r.unit === 'ratio' ? `${(r.value * 100).toFixed(1)} %` : `${r.value.toFixed(r.value >= 100 ? 0 : 1)} ${r.unit}`
  const base = r.baseline === undefined ? '' : `${(r.ratio ?? 0).toFixed(2)}× ${r.baseline.name}`
  const target = r.target === undefined ? '' : `target ≥ ${r.target}×: ${r.met === true ? 'met' : 'NOT met'}`
  return `  ${r.name.padEnd(44)} ${v.padStart(18)}   ${base.padEnd(32)} ${target}`
}

function printNetwork (r: BenchResult): void {
  out(`\n== ${r.name}${quick ? ' (--quick: scaled down)' : ''}`)
  for (const [k, v] of Object.entries(r.figures)) out(`  ${k.padEnd(30)} ${String(v).padStart(12)}`)
  for (const [k, v] of Object.entries(r.baseline)) out(`  baseline ${k.padEnd(21)} ${String(v).padStart(12)}`)
  for (const [k, v] of Object.entries(r.ratios)) out(`  ratio ${k.padEnd(24)} ${String(v).padStart(12)}`)
  for (const n of r.notes) out(`  note: ${n}`)
}

const results: unknown[] = []
let failed = false

if (only.includes('core')) {
  try {
    const { rows, info } = await runCoreBench(coreOpts, progress)
    out(`== core${quick ? ' (--quick: scaled down)' : ''} · ${String(info.cores)} cores · ${String(info.txs)} transfers in ${String(info.blocks)} blocks of ${String(info.blockTxs)}; mempool: ${String(info.mempoolTxs)} in batches of ${String(info.batch)}, then their ${String(info.mempoolBlocks)} blocks`)
    for (const r of rows) out(fmtRow(r))
    results.push({ name: 'core', ...info, results: rows.map((r) => ({ ...r, value: Number(r.value.toFixed(4)), ...(r.ratio !== undefined ? { ratio: Number(r.ratio.toFixed(4)) } : {}) })) })
  } catch (err) {
    failed = true
    out(`== core: failed: ${(err as Error).message}`)
    results.push({ name: 'core', failed: (err as Error).message })
  }
}

const network: Array<[string, () => Promise<BenchResult>]> = [
  ['gossip', async () => await benchGossip(quick ? { blocks: 15 } : {})],
  ['sync', async () => await benchSync(quick ? { blocks: 200 } : {})],
  ['load', async () => await benchDevnetLoad(quick ? { seconds: 20 } : {})]
]
for (const [name, fn] of network) {
  if (!only.includes(name)) continue
  progress(`${name} …`)
  try {
    const r = await fn()
    printNetwork(r)
    results.push(r)
  } catch (err) {
    failed = true
    const r: BenchResult = { name, figures: {}, baseline: {}, ratios: {}, notes: [`failed: ${(err as Error).message}`] }
    printNetwork(r)
    results.push(r)
  }
}

process.stdout.write(JSON.stringify({ bench: 'memecoin', quick, results }) + '\n')
process.exit(failed ? 1 : 0)
