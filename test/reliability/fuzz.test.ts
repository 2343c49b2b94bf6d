/**
 * The short fuzz pass (test/reliability/fuzz-lib.ts): every decoder and validator entry point gets
 * a fixed number of mutated inputs from a fixed seed (so a failure reproduces), and may only fail
 * with typed errors, within its time bound, round-tripping where decoding succeeds. The long mode
 * is `npx tsx scripts/fuzz.ts --seconds N`.
 */
import { expect } from 'chai'
import { fromHex } from '../../src/core/bytes.ts'
import { DecodeError } from '../../src/core/errors.ts'
import { decodeResponseChunk, encodeResponseChunk } from '../../src/wire/messages.ts'
import { record, recordEntry } from './summary.ts'
import { buildCorpus, fuzzAll, makeTargets, type Finding, type FuzzCorpus, type TargetStats } from './fuzz-lib.ts'

/** Executions per target of the short pass. */
export const SHORT_EXECUTIONS = Number(process.env.FUZZ_EXECUTIONS ?? 2000)
/** Results of the last short pass, for a reliability runner to print as JSON. */
export const fuzzSummary: { seed: number, executionsPerTarget: number, targets: Record<string, TargetStats>, findings: Finding[], seconds: number } = {
  seed: 0, executionsPerTarget: 0, targets: {}, findings: [], seconds: 0
}

describe('reliability: fuzzing every decoder and validator entry point', function () {
  this.timeout(180_000)
  let corpus: FuzzCorpus | undefined
  after(async () => { await corpus?.close() })

  it('regression (found by scripts/fuzz.ts, seed 7): a ResponseChunk message of invalid UTF-8 is malformed, not a lone-surrogate string', () => {
    // code 2 with a message whose bytes ED B8 AC ED B9 9A are CESU-8 surrogates: protons decoded them to
    // lone surrogates, and re-encoding gave other bytes and another value (round trip unstable)
    const found = fromHex('08021a4a72263be7c34c044b2eb0ee8b086d7db67ce09a9d58c3ad803e6dfe5b495a1f082d05b843ed87c7eef968061023cf64100497b5b676881fe65e234009b64275617465206c696d69746564')
    expect(() => decodeResponseChunk(found)).to.throw(DecodeError)
    // well-formed text (including astral characters) still round-trips
    const ok = decodeResponseChunk(encodeResponseChunk({ code: 2, message: 'rate limited 😀 ✓' }))
    expect(ok.message).to.equal('rate limited 😀 ✓')
  })

  it(`${SHORT_EXECUTIONS} mutated inputs per target: only typed errors, no hang, stable round trips`, async () => {
    corpus = await buildCorpus({ api: true })
    const targets = await makeTargets(corpus)
    const seed = Number(process.env.FUZZ_SEED ?? 0x5eed)
    const t0 = Date.now()
    const r = await fuzzAll(targets, { seed, executionsPerTarget: SHORT_EXECUTIONS })
    Object.assign(fuzzSummary, { seed, executionsPerTarget: SHORT_EXECUTIONS, targets: r.stats, findings: r.findings, seconds: (Date.now() - t0) / 1000 })
    for (const [name, s] of Object.entries(r.stats)) recordEntry('fuzzExecutionsPerDecoder', name, s.executions)
    record('fuzzFindings', r.findings.length)
    const rows = Object.entries(r.stats).map(([name, s]) => `${name}: ${s.executions} runs, ${s.decoded} ok, ${s.typedErrors} typed errors, max ${s.maxMs.toFixed(1)} ms`)
    console.log('      ' + rows.join('\n      '))
    console.log(`      (${fuzzSummary.seconds.toFixed(1)} s in total, seed ${seed})`)
    expect(r.findings, JSON.stringify(r.findings.slice(0, 5), null, 1)).to.deep.equal([])
    for (const [name, s] of Object.entries(r.stats)) {
      expect(s.executions, name).to.equal(SHORT_EXECUTIONS)
      // every target sees both accepted and refused inputs (the mutations reach past the first check)
      expect(s.typedErrors, `${name}: refusals`).to.be.greaterThan(0)
      expect(s.decoded, `${name}: accepted inputs`).to.be.greaterThan(0)
    }
  })
})
