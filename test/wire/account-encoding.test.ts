/**
 * encodeAccount writes Account bytes by hand (the state root encodes every touched account); they
 * must be exactly what protons' generated codec writes, since the state root commits to them.
 * Checked across the varint and 64-bit boundaries, with 0…MAX_UNBONDING_ENTRIES (and more)
 * unbonding entries, and decoded back.
 */
import { expect } from 'chai'
import { encodeMessage } from '../../src/wire/codec.ts'
import { MAX_UNBONDING_ENTRIES } from '../../src/wire/limits.ts'
import { Account } from '../../src/wire/memecoin.ts'
import { decodeAccount, encodeAccount } from '../../src/wire/messages.ts'

/** A small deterministic PRNG (xorshift32). */
function prng (seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x }
}

const BOUNDARIES = [0n, 1n, 127n, 128n, 255n, 16383n, 16384n, 2n ** 28n - 1n, 2n ** 28n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 49n, 2n ** 53n + 1n, 2n ** 56n - 1n, 2n ** 56n, 2n ** 62n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n]

describe('wire/messages: encodeAccount', () => {
  const rnd = prng(11)
  const u64 = (): bigint => rnd() % 2 === 0 ? BOUNDARIES[rnd() % BOUNDARIES.length] as bigint : ((BigInt(rnd()) << 32n) | BigInt(rnd())) >> BigInt(rnd() % 64)

  it('writes what the generated codec writes, for accounts across the varint boundaries', () => {
    for (let i = 0; i < 5000; i++) {
      const entries = rnd() % 4 === 0 ? rnd() % (MAX_UNBONDING_ENTRIES + 1) : rnd() % 3
      const a = { balance: u64(), nonce: u64(), stake: u64(), unbonding: Array.from({ length: entries }, () => ({ amount: u64(), releaseEpoch: u64() })) }
      const bytes = encodeAccount(a)
      expect(bytes).to.deep.equal(encodeMessage(Account, a))
      expect(decodeAccount(bytes)).to.deep.equal(a)
    }
  })

  it('writes the empty account as no bytes and an account of more entries than the limit as the codec does', () => {
    expect(encodeAccount({ balance: 0n, nonce: 0n, stake: 0n, unbonding: [] })).to.have.length(0)
    const many = { balance: 1n, nonce: 2n, stake: 3n, unbonding: Array.from({ length: MAX_UNBONDING_ENTRIES + 5 }, (_, i) => ({ amount: 2n ** 64n - 1n, releaseEpoch: BigInt(i + 1) })) }
    expect(encodeAccount(many)).to.deep.equal(encodeMessage(Account, many))
  })

  it('returns arrays of their own (the scratch it writes in is not shared)', () => {
    const a = encodeAccount({ balance: 5n, nonce: 0n, stake: 0n, unbonding: [] })
    const b = encodeAccount({ balance: 7n, nonce: 1n, stake: 0n, unbonding: [] })
    expect([...a]).to.deep.equal([0x08, 5])
    expect([...b]).to.deep.equal([0x08, 7, 0x10, 1])
  })

  it('refuses a field outside uint64 with a RangeError', () => {
    expect(() => encodeAccount({ balance: -1n, nonce: 0n, stake: 0n, unbonding: [] })).to.throw(RangeError)
    expect(() => encodeAccount({ balance: 0n, nonce: 2n ** 64n, stake: 0n, unbonding: [] })).to.throw(RangeError)
    expect(() => encodeAccount({ balance: 0n, nonce: 0n, stake: 0n, unbonding: [{ amount: 1n, releaseEpoch: -5n }] })).to.throw(RangeError)
  })
})
