/**
 * `npm run simulate -- --validators N --slots S --seed X [--latency MS] [--loss PCT]
 *  [--partition FROM:TO] [--equivocate V] [--k K] [--tx-per-slot T]`
 * Runs the deterministic network simulator and prints, as its last line, one JSON object.
 */
import '../src/polyfill.ts'
import { parseArgs } from 'node:util'
import { simulate, type SimOptions } from '../src/sim/simulator.ts'

function fail (msg: string): never {
  process.stderr.write(`error: ${msg}\n`)
  process.exit(2)
}

function int (name: string, v: string | undefined, min: number, max: number, def?: number): number {
  if (v === undefined) {
    if (def === undefined) fail(`--${name} is required`)
    return def
  }
  if (!/^\d+$/.test(v)) fail(`--${name} must be a whole number, got "${v}"`)
  const n = Number(v)
  if (n < min || n > max) fail(`--${name} must be between ${min} and ${max}`)
  return n
}

let values: Record<string, string | undefined>
try {
  values = parseArgs({
    options: {
      validators: { type: 'string' }, slots: { type: 'string' }, seed: { type: 'string' },
      latency: { type: 'string' }, loss: { type: 'string' }, partition: { type: 'string' },
      equivocate: { type: 'string' }, k: { type: 'string' }, 'tx-per-slot': { type: 'string' }, drain: { type: 'string' }
    },
    strict: true
  }).values as Record<string, string | undefined>
} catch (err) {
  fail((err as Error).message)
}

const opts: SimOptions = {
  validators: int('validators', values.validators, 1, 64, 5),
  slots: int('slots', values.slots, 1, 1_000_000, 1000),
  seed: values.seed ?? '1',
  latencyMs: int('latency', values.latency, 0, 60_000, 100),
  lossPercent: int('loss', values.loss, 0, 99, 0),
  txPerSlot: int('tx-per-slot', values['tx-per-slot'], 0, 1000, 1),
  drainSlots: int('drain', values.drain, 0, 100_000, 40)
}
if (values.partition !== undefined) {
  const m = /^(\d+):(\d+)$/.exec(values.partition)
  if (m === null || Number(m[1]) >= Number(m[2])) fail('--partition must be FROM:TO with FROM < TO (slots)')
  opts.partition = { from: Number(m[1]), to: Number(m[2]) }
}
if (values.equivocate !== undefined) opts.equivocate = int('equivocate', values.equivocate, 0, opts.validators - 1)
if (values.k !== undefined) opts.k = BigInt(int('k', values.k, 1, 100_000))

const started = Date.now()
const result = simulate(opts)
process.stderr.write(`simulated ${opts.slots} slots in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
console.log(JSON.stringify(result))
