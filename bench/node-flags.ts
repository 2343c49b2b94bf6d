/**
 * Imported first by the benchmark entry points (bench/run.ts, bench/network-run.ts): the nodes a
 * benchmark runs in its own process (the core and sync benchmarks) must run with the flags every
 * node process gets (src/cli/node-flags.ts). V8 reads them only at start-up, so a process started
 * without them runs itself again with them (same arguments, same standard streams) and exits with
 * that run's status. The baselines measured in that process get the same runtime as the figures.
 */
import { spawnSync } from 'node:child_process'
import { NODE_FLAGS } from '../src/cli/node-flags.ts'

if (!NODE_FLAGS.every((f) => process.execArgv.includes(f))) {
  const script = process.argv[1] as string
  const r = spawnSync(process.execPath, [...NODE_FLAGS, ...process.execArgv, script, ...process.argv.slice(2)], { stdio: 'inherit' })
  if (r.error !== undefined) {
    process.stderr.write(`error: cannot run ${script} with ${NODE_FLAGS.join(' ')}: ${r.error.message}\n`)
    process.exit(1)
  }
  process.exit(r.status ?? 1)
}
