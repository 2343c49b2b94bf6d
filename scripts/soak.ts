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
 * Ctrl-C. Exits 0 when heap growth ≤ 10% and the nodes agree, 1 otherwise. The soak itself is
 * test/reliability/soak-lib.ts (also run, shorter, by `npm run test:reliability`).
 */
import { parseArgs } from 'node:util'
import { runSoak } from '../test/reliability/soak-lib.ts'

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
const warmupS = values['warmup-s'] !== undefined ? num('warmup-s', values['warmup-s'], 0, minutes * 60) : undefined

const abort = new AbortController()
let interrupted = false
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { interrupted = true; abort.abort() })

try {
  const result = await runSoak({
    minutes,
    tps,
    slotMs,
    sampleS,
    ...(warmupS !== undefined ? { warmupS } : {}),
    log: (line) => { process.stderr.write(line + '\n') },
    signal: abort.signal
  })
  if (interrupted) process.exit(130)
  process.stdout.write(JSON.stringify(result) + '\n')
  process.exitCode = result.pass ? 0 : 1
} catch (err) {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(interrupted ? 130 : 1)
}
