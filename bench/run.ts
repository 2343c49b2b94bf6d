/**
 * `npm run bench [-- --json] [-- --quick] [-- --only core,gossip,sync,load]`: every benchmark of
 * issue "Performance" in one run, each number next to its baseline measured in the same run,
 * printed as tables and, last, one JSON line of every result. Targets are reported (met or not),
 * never asserted. `--quick` scales every benchmark down and says so; `--only` picks some.
 *
 * Order: the core benchmarks (one process, no network), then gossip propagation, sync and the
 * devnet under load (bench/network.ts). With more than one picked, each runs in a fresh process
 * of its own (this script again, with `--only NAME --child`): a benchmark inherits no heap, worker
 * threads, sockets or JIT state from the ones before it, so a figure does not depend on which
 * others ran first in the same command. A benchmark that throws (or whose process fails) is
 * reported as failed and the others still run; the exit code is 1 if any failed.
 */
import './node-flags.ts'
import '../src/polyfill.ts'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DEFAULT_CORE_BENCH, runCoreBench, type BenchRow, type CoreBenchOptions } from './core.ts'
import { benchDevnetLoad, benchGossip, benchSync, type BenchResult } from './network.ts'

const args = process.argv.slice(2)
/** Run by the parent for one benchmark: results as one JSON line on stdout, progress on stderr. */
const child = args.includes('--child')
const json = args.includes('--json') || child
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
const progress = (s: string): void => { if (!json || child) process.stderr.write(s + '\n') }

/** What the core benchmark reports (also its JSON form). */
interface CoreResult { name: 'core', cores?: number, txs?: number, blocks?: number, blockTxs?: number, mempoolTxs?: number, batch?: number, mempoolBlocks?: number, results?: BenchRow[], failed?: string }

function fmtRow (r: BenchRow): string {
  const v = r.unit === 'ratio' ? `${(r.value * 100).toFixed(1)} %` : `${r.value.toFixed(r.value >= 100 ? 0 : 1)} ${r.unit}`
  const base = r.baseline === undefined ? '' : `${(r.ratio ?? 0).toFixed(2)}× ${r.baseline.name}`
  const target = r.target === undefined ? '' : `target ≥ ${r.target}×: ${r.met === true ? 'met' : 'NOT met'}`
  return `  ${r.name.padEnd(44)} ${v.padStart(18)}   ${base.padEnd(32)} ${target}`
}

function printCore (r: CoreResult): void {
  if (r.failed !== undefined) { out(`== core: failed: ${r.failed}`); return }
  out(`== core${quick ? ' (--quick: scaled down)' : ''} · ${String(r.cores)} cores · ${String(r.txs)} transfers in ${String(r.blocks)} blocks of ${String(r.blockTxs)}; mempool: ${String(r.mempoolTxs)} in batches of ${String(r.batch)}, then their ${String(r.mempoolBlocks)} blocks`)
  for (const row of r.results ?? []) out(fmtRow(row))
}

function printNetwork (r: BenchResult): void {
  out(`\n== ${r.name}${quick ? ' (--quick: scaled down)' : ''}`)
  for (const [k, v] of Object.entries(r.figures)) out(`  ${k.padEnd(30)} ${String(v).padStart(12)}`)
  for (const [k, v] of Object.entries(r.baseline)) out(`  baseline ${k.padEnd(21)} ${String(v).padStart(12)}`)
  for (const [k, v] of Object.entries(r.ratios)) out(`  ratio ${k.padEnd(24)} ${String(v).padStart(12)}`)
  for (const n of r.notes) out(`  note: ${n}`)
}

const failedNetwork = (name: string, why: string): BenchResult => ({ name, figures: {}, baseline: {}, ratios: {}, notes: [`failed: ${why}`] })
const isFailed = (r: CoreResult | BenchResult): boolean => r.name === 'core' ? (r as CoreResult).failed !== undefined : (r as BenchResult).notes.some((n) => n.startsWith('failed:'))

async function runHere (name: string): Promise<CoreResult | BenchResult> {
  if (name === 'core') {
    try {
      const { rows, info } = await runCoreBench(coreOpts, progress)
      return { name: 'core', ...info, results: rows.map((r) => ({ ...r, value: Number(r.value.toFixed(4)), ...(r.ratio !== undefined ? { ratio: Number(r.ratio.toFixed(4)) } : {}) })) }
    } catch (err) {
      return { name: 'core', failed: (err as Error).message }
    }
  }
  progress(`${name} …`)
  const fn = name === 'gossip'
    ? async () => await benchGossip(quick ? { blocks: 15 } : {})
    : name === 'sync'
      ? async () => await benchSync(quick ? { blocks: 200 } : {})
      : async () => await benchDevnetLoad(quick ? { seconds: 20 } : {})
  try {
    return await fn()
  } catch (err) {
    return failedNetwork(name, (err as Error).message)
  }
}

/** Runs one benchmark in a fresh process (this script with `--only name --child`); its last stdout line is its JSON. */
function runInChild (name: string): CoreResult | BenchResult {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--only', name, '--child', ...(quick ? ['--quick'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20
  })
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? ''
  try {
    const parsed = JSON.parse(last) as { results?: Array<CoreResult | BenchResult> }
    const got = parsed.results?.[0]
    if (got !== undefined) return got
  } catch {}
  const why = r.error !== undefined ? r.error.message : `its process ended (${r.signal ?? `exit code ${String(r.status)}`}) without a result`
  return name === 'core' ? { name: 'core', failed: why } : failedNetwork(name, why)
}

const results: Array<CoreResult | BenchResult> = []
for (const name of ALL) {
  if (!only.includes(name)) continue
  const r = only.length > 1 ? runInChild(name) : await runHere(name)
  if (r.name === 'core') printCore(r as CoreResult)
  else printNetwork(r as BenchResult)
  results.push(r)
}

process.stdout.write(JSON.stringify({ bench: 'memecoin', quick, results }) + '\n')
process.exit(results.some(isFailed) ? 1 : 0)
