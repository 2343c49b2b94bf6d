/**
 * `npm run bench [-- --json] [-- --quick]`: the core benchmarks in one run, each number next to its
 * baseline, as a table and one final JSON line. Targets are reported (met or not), never asserted.
 */
import '../src/polyfill.ts'
import { DEFAULT_CORE_BENCH, runCoreBench, type BenchRow, type CoreBenchOptions } from './core.ts'

const args = process.argv.slice(2)
const json = args.includes('--json')
const quick = args.includes('--quick')
const opts: CoreBenchOptions = quick ? { ...DEFAULT_CORE_BENCH, senders: 500, perSender: 2, verifySeconds: 0.5, rounds: 1 } : DEFAULT_CORE_BENCH

const fmt = (r: BenchRow): string => {
  const v = r.unit === 'ratio' ? `${(r.value * 100).toFixed(1)} %` : `${r.value.toFixed(r.value >= 100 ? 0 : 1)} ${r.unit}`
  const base = r.baseline === undefined ? '' : `${(r.ratio ?? 0).toFixed(2)}× ${r.baseline.name}`
  const target = r.target === undefined ? '' : `target ≥ ${r.target}×: ${r.met === true ? 'met' : 'NOT met'}`
  return `${r.name.padEnd(44)} ${v.padStart(18)}   ${base.padEnd(32)} ${target}`
}

const { rows, info } = await runCoreBench(opts, (s) => { if (!json) process.stderr.write(s + '\n') })
if (!json) {
  process.stdout.write(`memecoin core benchmark · ${String(info.cores)} cores · ${String(info.txs)} transfers, batches of ${String(info.batch)}, ${String(info.blocks)} blocks of ${String(info.blockTxs)}\n`)
  for (const r of rows) process.stdout.write(fmt(r) + '\n')
}
process.stdout.write(JSON.stringify({ bench: 'core', ...info, results: rows.map((r) => ({ ...r, value: Number(r.value.toFixed(4)), ...(r.ratio !== undefined ? { ratio: Number(r.ratio.toFixed(4)) } : {}) })) }) + '\n')
