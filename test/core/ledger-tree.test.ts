import { expect } from 'chai'
import { Ledger, type AccountState } from '../../src/core/ledger.ts'
import { SparseMerkleTree } from '../../src/core/smt.ts'
import { encodeAccount } from '../../src/wire/messages.ts'

const id = (i: number): Uint8Array => Uint8Array.from({ length: 20 }, (_, k) => (i * 37 + k * 11) & 0xff)
const acc = (balance: bigint, nonce = 0n): AccountState => ({ balance, nonce, stake: 0n, unbonding: [] })

/** The root of exactly `accounts`, built from scratch. */
function rootOf (accounts: Iterable<readonly [Uint8Array, AccountState]>): Uint8Array {
  const t = new SparseMerkleTree()
  for (const [k, a] of accounts) t.set(k, encodeAccount(a))
  return t.root()
}

describe('core/ledger: the state tree is updated once per account, when read', () => {
  it('root, proofs and encodings follow every write, however many per account', () => {
    const ledger = Ledger.fromGenesis([{ id: id(1), balance: 100n, stake: 5n }, { id: id(2), balance: 7n, stake: 0n }], encodeAccount)
    const j = ledger.begin()
    for (let n = 1n; n <= 50n; n++) j.put(id(3), acc(n, n)) // one account written many times
    j.put(id(2), undefined) // deleted
    j.put(id(4), acc(9n))
    const undo = j.commit()
    const expected = [...ledger.entries()]
    expect(expected).to.have.length(3)
    expect(ledger.root()).to.deep.equal(rootOf(expected))
    for (const [k, a] of expected) expect(ledger.encoded(k)).to.deep.equal(encodeAccount(a))
    expect(ledger.encoded(id(2))).to.equal(undefined)
    // the undo record carries the encodings of the values before the journal
    const prev = new Map(undo.accounts.map((a) => [a.id.join(','), a]))
    expect(prev.get(id(2).join(','))?.prevBytes).to.deep.equal(encodeAccount(acc(7n)))
    expect(prev.get(id(3).join(','))?.prevBytes).to.equal(undefined)
    expect(prev.get(id(3).join(','))?.prev).to.equal(undefined)
  })

  it('a rolled-back journal leaves the root it started from', () => {
    const ledger = Ledger.fromGenesis([{ id: id(1), balance: 100n, stake: 5n }], encodeAccount)
    const before = ledger.root()
    const j = ledger.begin()
    j.put(id(1), acc(1n))
    j.put(id(5), acc(2n))
    j.rollback()
    expect(ledger.root()).to.deep.equal(before)
    expect(ledger.encoded(id(5))).to.equal(undefined)
  })
})
