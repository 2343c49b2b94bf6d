/**
 * mergeHeadChanges (src/chain/service.ts): the net effect of head changes made by one import
 * (adopted orphans). A block below the chain's decoded tip keeps only its bytes by the time the
 * changes are merged, so each block's transactions come from the change that listed them.
 */
import { expect } from 'chai'
import type { BlockNode, HeadChange } from '../../src/chain/chain.ts'
import { mergeHeadChanges } from '../../src/chain/service.ts'
import { toHex } from '../../src/core/bytes.ts'
import type { SignedTx } from '../../src/core/types.ts'

const tx = (n: number): SignedTx => ({ id: Uint8Array.of(n) }) as unknown as SignedTx

/** A node whose block announces `count` transactions and throws if they are read. */
function node (hex: string, count: number): BlockNode {
  return {
    hex,
    block: { header: { header: { txCount: count } }, get txs (): never { throw new Error(`the txs of ${hex} were read`) } }
  } as unknown as BlockNode
}

function change (head: BlockNode, undone: BlockNode[], orphaned: SignedTx[], applied: BlockNode[], included: SignedTx[]): HeadChange {
  return { head, undone, applied, included, orphaned, touchedAccounts: [], touchedKeys: [], touchedSlashed: [] }
}

describe('chain/service: mergeHeadChanges', () => {
  const [t1, t2, t3, t4, t5, t6] = [1, 2, 3, 4, 5, 6].map(tx) as [SignedTx, SignedTx, SignedTx, SignedTx, SignedTx, SignedTx]
  const E = node('E', 1) // canonical before the import
  const A = node('A', 2)
  const B = node('B', 1)
  const C = node('C', 1)
  const D = node('D', 0)

  it('takes each block\'s transactions from the change that listed them, never from the block', () => {
    // 1: E undone, A and B applied; 2: B undone, C applied
    const m = mergeHeadChanges([change(B, [E], [t6], [A, B], [t1, t2, t3]), change(C, [B], [t3], [C], [t4])])
    expect(m.head).to.equal(C)
    expect(m.undone).to.deep.equal([E])
    expect(m.applied).to.deep.equal([A, C])
    expect(m.orphaned).to.deep.equal([t6])
    expect(m.included).to.deep.equal([t1, t2, t4])
  })

  it('blocks applied and undone within the merge cancel out; empty blocks take no transactions', () => {
    const m = mergeHeadChanges([
      change(B, [], [], [A, B], [t1, t2, t3]),
      change(C, [B], [t3], [C], [t4]),
      change(D, [C, A], [t4, t1, t2], [D, node('F', 1)], [t5])
    ])
    expect(m.undone).to.deep.equal([])
    expect(m.applied.map((n) => n.hex)).to.deep.equal(['D', 'F'])
    expect(m.orphaned).to.deep.equal([])
    expect(m.included).to.deep.equal([t5])
  })

  it('lists each touched account once, with its key beside it', () => {
    const id = (n: number): Uint8Array => new Uint8Array(20).fill(n)
    const touching = (ids: Uint8Array[]): HeadChange => ({ ...change(A, [], [], [], []), touchedAccounts: ids, touchedKeys: ids.map(toHex) })
    const m = mergeHeadChanges([touching([id(1), id(2)]), touching([id(2), id(3)])])
    expect(m.touchedKeys).to.deep.equal([1, 2, 3].map((n) => toHex(id(n))))
    expect(m.touchedAccounts.map(toHex)).to.deep.equal(m.touchedKeys)
  })

  it('a single change is returned as it is', () => {
    const c = change(A, [], [], [A], [t1, t2])
    expect(mergeHeadChanges([c])).to.equal(c)
  })
})
