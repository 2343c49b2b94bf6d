/**
 * Runs the network benchmarks: `npx tsx bench/network-run.ts [--json] [--quick] [--only gossip,sync,load]`.
 * Prints a table per benchmark (figure, baseline, ratio) and, last, one JSON line of every result.
 * `--quick` scales every benchmark down (fewer blocks, 200 sync blocks, a 20 s load) and says so.
 */
import { benchDevnetLoad, benchGossip, benchSync, type BenchResult } from './network.ts'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const json = args.includes('--json')
const onlyAt = args.indexOf('--only')
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',') : ['gossip', 'sync', 'load']

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

await run('gossip', async () => await benchGossip(quick ? { blocks: 15 } : {}))
await run('sync', async () => await benchSync(quick ? { blocks: 200 } : {}))
await run('load', async () => await benchDevnetLoad(quick ? { seconds: 20 } : {}))
console.log(JSON.stringify({ quick, results }))
process.exit(results.some((r) => r.notes.some((n) => n.startsWith('failed:'))) ? 1 : 0)
