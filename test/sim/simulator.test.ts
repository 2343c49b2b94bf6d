import { expect } from 'chai'
import { execFileSync, spawnSync } from 'node:child_process'
import { simulate, type SimResult } from '../../src/sim/simulator.ts'

const root = new URL('../../', import.meta.url).pathname

function expectSafe (r: SimResult): void {
  expect(r.settledViolations, 'settled violations').to.equal(0)
  expect(r.supplyConserved, 'supply conserved').to.equal(true)
  expect(r.rejections, 'no honest block refused').to.deep.equal({})
}

describe('sim: deterministic network simulation of the real chain code', function () {
  this.timeout(180_000)

  it('5 validators, f = 1/2, 3,000 slots: block count within 4σ of slots·f, forks happen and resolve', () => {
    const r = simulate({ validators: 5, slots: 3000, seed: 'baseline' })
    // Every slot has a leader with probability 1 − (1 − f)^(Σα) = f; with 100 ms latency in 1 s
    // slots competing blocks of one slot resolve, so the chain gains one block per leader slot.
    expect(Math.abs(r.blocks - r.expectedLeaderSlots)).to.be.at.most(4 * r.stdDevLeaderSlots)
    expect(r.expectedLeaderSlots).to.equal(1500)
    expect(r.forks, 'forks').to.be.greaterThan(0)
    expect(r.reorgs, 'reorgs').to.be.greaterThan(0)
    expect(r.converged).to.equal(true)
    expect(r.txsIncluded).to.be.greaterThan(r.txsSubmitted * 0.9)
    expectSafe(r)
  })

  it('a 500-slot partition heals to one chain when the losing branch stays within k', () => {
    // 3:2 stake split: the minority branch grows ~0.24 blocks/slot, ~120 blocks in 500 slots, so
    // settlement depth k = 200 lets it reorganise onto the majority chain after the heal.
    const r = simulate({ validators: 5, slots: 800, seed: 'partition', partition: { from: 100, to: 600 }, k: 200n })
    expect(r.messagesDropped).to.be.greaterThan(0)
    expect(r.converged).to.equal(true)
    expect(r.maxReorgDepth).to.be.greaterThan(20)
    expectSafe(r)
  })

  it('a partition longer than settlement allows does not heal, and nobody reverts a settled block', () => {
    // k = 5: both sides settle their own blocks within the partition; finality forbids the merge
    const r = simulate({ validators: 4, slots: 300, seed: 'split', partition: { from: 50, to: 250 }, k: 5n })
    expect(r.converged).to.equal(false)
    expect(r.settledReverts, 'no node ever reverts what it settled').to.equal(0)
    expect(r.settledDisagreements, 'the two sides settled different blocks').to.be.greaterThan(0)
    expect(r.supplyConserved).to.equal(true)
  })

  it('a validator that equivocates is slashed, and the network still converges', () => {
    const r = simulate({ validators: 5, slots: 200, seed: 'equivocation', equivocate: 1 })
    expect(r.equivocations).to.be.greaterThan(0)
    expect(r.equivocationsSlashed).to.be.greaterThan(0)
    expect(r.converged).to.equal(true)
    expectSafe(r)
  })

  it('same seed → same result; another seed → another run', () => {
    const a = simulate({ validators: 3, slots: 120, seed: 'same', latencyMs: 300, lossPercent: 5 })
    const b = simulate({ validators: 3, slots: 120, seed: 'same', latencyMs: 300, lossPercent: 5 })
    const c = simulate({ validators: 3, slots: 120, seed: 'other', latencyMs: 300, lossPercent: 5 })
    expect(JSON.stringify(a)).to.equal(JSON.stringify(b))
    expect(JSON.stringify(a)).not.to.equal(JSON.stringify(c))
  })

  it('npm run simulate prints one JSON object as its last line, and refuses bad flags', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/simulate.ts', '--validators', '3', '--slots', '30', '--seed', 'cli'], { cwd: root, encoding: 'utf8' })
    const last = out.trim().split('\n').pop() as string
    const r = JSON.parse(last) as SimResult
    for (const key of ['slots', 'blocks', 'forks', 'reorgs', 'maxReorgDepth', 'converged', 'supplyConserved', 'settledViolations', 'equivocationsSlashed']) {
      expect(r, key).to.have.property(key)
    }
    for (const bad of [['--validators', 'abc'], ['--slots', '0'], ['--partition', '9:3'], ['--bogus', '1'], ['--equivocate', '7', '--validators', '3']]) {
      const p = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/simulate.ts', ...bad], { cwd: root, encoding: 'utf8' })
      expect(p.status, bad.join(' ')).to.equal(2)
      expect(p.stderr).to.match(/^error: /)
      expect(p.stderr).not.to.match(/\n\s+at /) // no stack trace
    }
  })
})
