/**
 * The long fuzz mode: `npx tsx scripts/fuzz.ts --seconds N [--seed S] [--out DIR] [--target NAME]`.
 * Runs every target of test/reliability/fuzz-lib.ts for N seconds in total (split evenly), prints
 * executions per target and every finding; each finding's input is saved as hex (or JSON) under
 * DIR (default fuzz-findings/). Exit code 1 if anything was found.
 */
import '../src/polyfill.ts'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildCorpus, fuzzTarget, makeTargets, type Finding, type TargetStats } from '../test/reliability/fuzz-lib.ts'

function arg (name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] as string : dflt
}

const seconds = Number(arg('seconds', '60'))
const seed = Number(arg('seed', String(Date.now() & 0x7fffffff)))
const outDir = arg('out', 'fuzz-findings')
const only = arg('target', '')

const corpus = await buildCorpus({ api: true })
try {
  const targets = (await makeTargets(corpus)).filter((t) => only === '' || t.name === only)
  const perTarget = Math.max(1, seconds / Math.max(1, targets.length))
  console.log(`fuzzing ${targets.length} targets for ${seconds} s (${perTarget.toFixed(1)} s each), seed ${seed}`)
  const stats: Record<string, TargetStats> = {}
  const findings: Finding[] = []
  const save = (f: Finding): void => {
    mkdirSync(outDir, { recursive: true })
    const file = join(outDir, `${f.target.replace(/[^A-Za-z0-9.-]/g, '_')}-${f.seed}-${f.iteration}.txt`)
    writeFileSync(file, `${f.kind}: ${f.error}\n${f.input}\n`)
    console.log(`FINDING ${f.target} (${f.kind}): ${f.error}\n  input saved to ${file}`)
  }
  for (const t of targets) {
    const r = await fuzzTarget(t, { seed, executions: Number.MAX_SAFE_INTEGER, deadline: Date.now() + perTarget * 1000, onFinding: save })
    stats[t.name] = r.stats
    findings.push(...r.findings)
    const s = r.stats
    console.log(`${t.name.padEnd(34)} ${String(s.executions).padStart(9)} execs  ${(s.executions / perTarget).toFixed(0).padStart(7)}/s  ok ${s.decoded}  typed errors ${s.typedErrors}  findings ${s.findings}  max ${s.maxMs.toFixed(1)} ms`)
    console.log(`  codes: ${Object.entries(s.codes).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`)
  }
  const total = Object.values(stats).reduce((a, s) => a + s.executions, 0)
  console.log(JSON.stringify({ seed, seconds, executions: total, perTarget: Object.fromEntries(Object.entries(stats).map(([k, s]) => [k, s.executions])), findings: findings.length }))
  process.exitCode = findings.length > 0 ? 1 : 0
} finally {
  await corpus.close()
}
