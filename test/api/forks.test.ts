/** `RecentBlocks` (src/api/forks.ts): only blocks `GET /forks` can still show are kept. */
import { expect } from 'chai'
import { toHex, u64be, utf8 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { BlockNode } from '../../src/chain/chain.ts'
import { MAX_FORK_WINDOW } from '../../src/api/constants.ts'
import { RecentBlocks, forkFloor } from '../../src/api/forks.ts'

const node = (height: bigint, branch = 'a'): BlockNode => {
  const hash = sha256(new Uint8Array([...utf8(branch), ...u64be(height)]))
  return {
    hash,
    hex: toHex(hash),
    height,
    block: { header: { hash, header: { height, slot: height, parentHash: new Uint8Array(32), proposer: new Uint8Array(33).fill(2), txCount: 0 } } }
  } as unknown as BlockNode
}

describe('api/forks: RecentBlocks', () => {
  it('pruned to the widest fork window on each head change, its size stops growing with time', () => {
    const recent = new RecentBlocks(1024)
    let largest = 0
    for (let h = 1n; h <= 1000n; h++) {
      recent.add(node(h))
      if (h % 10n === 0n) recent.add(node(h, 'side'))
      recent.prune(forkFloor(h))
      largest = Math.max(largest, recent.size)
    }
    expect(largest).to.equal(MAX_FORK_WINDOW + MAX_FORK_WINDOW / 10)
    const heights = [...recent.values()].map((b) => b.height)
    expect(heights.every((h) => h >= forkFloor(1000n))).to.equal(true)
    // a side block below the window is not remembered
    recent.add(node(5n, 'late'))
    expect([...recent.values()].some((b) => b.height === 5n)).to.equal(false)
  })

  it('still bounded by its maximum between prunes', () => {
    const recent = new RecentBlocks(3)
    for (let h = 1n; h <= 5n; h++) recent.add(node(h))
    expect([...recent.values()].map((b) => b.height)).to.deep.equal([3n, 4n, 5n])
  })
})
