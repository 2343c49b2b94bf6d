import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { NODE_FLAGS } from '../../src/cli/node-flags.ts'

const BIN = fileURLToPath(new URL('../../bin/memecoin.js', import.meta.url))

describe('node flags', function () {
  this.timeout(30_000)

  it('bin/memecoin.js starts node with exactly NODE_FLAGS (its first line, split by env -S)', () => {
    const first = readFileSync(BIN, 'utf8').split('\n')[0] as string
    expect(first.split(/\s+/)).to.deep.equal(['#!/usr/bin/env', '-S', 'node', ...NODE_FLAGS])
  })

  it('bin/memecoin.js runs as a command through that line', () => {
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
    expect(execFileSync(BIN, ['--version'], { encoding: 'utf8' }).trim()).to.equal(version)
  })

  it('with NODE_FLAGS the young generation grows past V8\'s default 2 × 16 MiB', () => {
    // objects that survive a while (as a block's do) make V8 grow its new space to the maximum
    const script = [
      "const v8 = require('node:v8')",
      'const keep = []',
      'for (let i = 0; i < 3e6; i++) { keep.push({ a: i, b: [i] }); if (keep.length > 200000) keep.length = 0 }',
      "process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size))"
    ].join('\n')
    const size = (flags: readonly string[]): number => Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }))
    const MiB = 2 ** 20
    expect(size([]), 'default').to.be.at.most(32 * MiB)
    expect(size(NODE_FLAGS), 'with NODE_FLAGS').to.be.above(32 * MiB)
  })
})
