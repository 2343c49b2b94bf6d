/** MEME decimal amounts ↔ base units: exact, strict, and bounded by uint64. */
import { expect } from 'chai'
import { AMOUNT_LIMIT, formatAmount, formatMeme, parseAmount } from '../../src/cli/amount.ts'
import { MemecoinError } from '../../src/core/errors.ts'

function codeOf (f: () => unknown): string | undefined {
  try {
    f()
  } catch (err) {
    expect(err).to.be.instanceOf(MemecoinError)
    return (err as MemecoinError).code
  }
  return undefined
}

describe('cli/amount', () => {
  describe('parseAmount', () => {
    const good: Array<[string, bigint]> = [
      ['1', 100_000_000n],
      ['1.5', 150_000_000n],
      ['0.00000001', 1n],
      ['0.1', 10_000_000n],
      ['12.50000000', 1_250_000_000n],
      ['007.25', 725_000_000n],
      [' 3 ', 300_000_000n],
      ['1000000', 100_000_000_000_000n],
      ['184467440737.09551615', AMOUNT_LIMIT - 1n]
    ]
    for (const [text, units] of good) {
      it(`"${text}" → ${units}`, () => { expect(parseAmount(text)).to.equal(units) })
    }

    const bad = [
      '', ' ', '-1', '-0.5', '+1', '1.', '.5', '1.123456789', '0.000000001', 'abc', '1e8', '1,5', '1_000',
      '0x10', '1.5.2', 'Infinity', 'NaN', '١', '1 000', '184467440737.09551616', '99999999999999999999',
      '1'.repeat(41), '0', '0.0', '0.00000000'
    ]
    for (const text of bad) {
      it(`refuses ${JSON.stringify(text.length > 20 ? text.slice(0, 20) + '…' : text)} with ERR_INVALID_AMOUNT`, () => {
        expect(codeOf(() => parseAmount(text))).to.equal('ERR_INVALID_AMOUNT')
      })
    }

    it('accepts zero only when allowed (fees)', () => {
      expect(parseAmount('0', { allowZero: true })).to.equal(0n)
      expect(parseAmount('0.00000', { allowZero: true })).to.equal(0n)
      expect(codeOf(() => parseAmount('-0', { allowZero: true }))).to.equal('ERR_INVALID_AMOUNT')
    })

    it('names the field and quotes a bounded part of the input in its one-line message', () => {
      expect(() => parseAmount('x', { what: 'fee' })).to.throw(/^invalid fee "x": /)
      const long = '9'.repeat(5000)
      let msg: string | undefined
      try {
        parseAmount(long)
      } catch (err) {
        msg = (err as Error).message
      }
      // outside the catch: a thrown assertion must not count as the refusal
      expect(msg, 'a 5,000-digit amount was accepted').to.be.a('string')
      expect(codeOf(() => parseAmount(long))).to.equal('ERR_INVALID_AMOUNT')
      expect((msg as string).length).to.be.below(150)
      expect(msg).to.not.include('\n')
    })

    it('refuses non-strings without throwing a TypeError', () => {
      expect(codeOf(() => parseAmount(undefined as unknown as string))).to.equal('ERR_INVALID_AMOUNT')
      expect(codeOf(() => parseAmount(15 as unknown as string))).to.equal('ERR_INVALID_AMOUNT')
    })
  })

  describe('formatAmount', () => {
    it('prints exactly 8 decimals', () => {
      expect(formatAmount(0n)).to.equal('0.00000000')
      expect(formatAmount(1n)).to.equal('0.00000001')
      expect(formatAmount(150_000_000n)).to.equal('1.50000000')
      expect(formatAmount(AMOUNT_LIMIT - 1n)).to.equal('184467440737.09551615')
      expect(formatMeme(1_000n)).to.equal('0.00001000 MEME')
    })

    it('round-trips with parseAmount', () => {
      for (const units of [1n, 99n, 100_000_000n, 123_456_789_012n, AMOUNT_LIMIT - 1n]) {
        expect(parseAmount(formatAmount(units))).to.equal(units)
      }
    })

    it('refuses negatives', () => {
      expect(codeOf(() => formatAmount(-1n))).to.equal('ERR_INVALID_AMOUNT')
    })
  })
})
