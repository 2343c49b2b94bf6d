import { expect } from 'chai'
import { bytesToBigInt, bigIntToBytes, concatBytes } from '../../src/core/bytes.ts'
import { CURVE_N } from '../../src/core/secp256k1.ts'
import { HEADER_DOMAIN } from '../../src/core/signing.ts'
import { checkTxStateless } from '../../src/core/tx-rules.ts'
import { decodeTx, encodeTx, encodeTxBody } from '../../src/wire/tx.ts'
import { buildStake, buildTransfer, signTxBody } from '../../src/wallet/transactions.ts'
import { testAccount, testChainId } from '../helpers/fixtures.ts'

const chainA = testChainId('A')
const chainB = testChainId('B')
const alice = testAccount('alice')
const bob = testAccount('bob')
const ctxA = { chainId: chainA, minFee: 10n }

function code (fn: () => unknown): string | undefined {
  try { fn() } catch (err) { return (err as { code?: string }).code }
  return undefined
}

describe('core/tx-rules: stateless rules and replay protection', () => {
  const good = buildTransfer({ chainId: chainA, privateKey: alice.privateKey, nonce: 0n, fee: 10n, to: bob.id, amount: 5n })

  it('accepts a well-formed transfer signed for this chain', () => {
    expect(() => checkTxStateless(decodeTx(good.bytes), ctxA)).not.to.throw()
  })

  it('a transaction signed for another chain id is refused (TX-2)', () => {
    const other = buildTransfer({ chainId: chainB, privateKey: alice.privateKey, nonce: 0n, fee: 10n, to: bob.id, amount: 5n })
    expect(code(() => checkTxStateless(decodeTx(other.bytes), ctxA))).to.equal('ERR_WRONG_CHAIN')
  })

  it('rewriting the chain id of a signed body breaks its signature (TX-3)', () => {
    const d = decodeTx(good.bytes)
    const moved = encodeTx(encodeTxBody({ ...d.body, chainId: chainB }), d.signature)
    expect(code(() => checkTxStateless(decodeTx(moved), { ...ctxA, chainId: chainB }))).to.equal('ERR_BAD_SIGNATURE')
  })

  it('a body signed under another domain tag does not verify (TX-3)', () => {
    const d = decodeTx(good.bytes)
    const asHeader = signTxBody({ chainId: chainA, nonce: 0n, fee: 10n, transfer: { to: bob.id, amount: 5n } }, alice.privateKey, HEADER_DOMAIN)
    expect(code(() => checkTxStateless(decodeTx(asHeader.bytes), ctxA))).to.equal('ERR_BAD_SIGNATURE')
    expect(d.bodyBytes).to.deep.equal(decodeTx(asHeader.bytes).bodyBytes)
  })

  it('the high-S twin of a valid signature is refused (TX-3), so a tx has one id', () => {
    const d = decodeTx(good.bytes)
    const s = bytesToBigInt(d.signature.subarray(32))
    const highS = concatBytes(d.signature.subarray(0, 32), bigIntToBytes(CURVE_N - s, 32))
    expect(code(() => checkTxStateless(decodeTx(encodeTx(d.bodyBytes, highS)), ctxA))).to.equal('ERR_BAD_SIGNATURE')
  })

  it('a signature by someone other than the sender is refused (TX-3)', () => {
    const d = decodeTx(good.bytes)
    const mallory = signTxBody({ ...d.body }, bob.privateKey) // sender becomes bob's key...
    const forged = encodeTx(d.bodyBytes, decodeTx(mallory.bytes).signature) // ...but keep alice as sender
    expect(code(() => checkTxStateless(decodeTx(forged), ctxA))).to.equal('ERR_BAD_SIGNATURE')
  })

  it('zero amounts (TX-4) and fees below the minimum (TX-5) are refused', () => {
    const zero = buildStake({ chainId: chainA, privateKey: alice.privateKey, nonce: 0n, fee: 10n, amount: 0n })
    expect(code(() => checkTxStateless(decodeTx(zero.bytes), ctxA))).to.equal('ERR_ZERO_AMOUNT')
    const cheap = buildStake({ chainId: chainA, privateKey: alice.privateKey, nonce: 0n, fee: 9n, amount: 1n })
    expect(code(() => checkTxStateless(decodeTx(cheap.bytes), ctxA))).to.equal('ERR_FEE_TOO_LOW')
  })

  it('the wallet refuses amounts outside uint64 and invalid keys', () => {
    expect(code(() => buildStake({ chainId: chainA, privateKey: alice.privateKey, nonce: 0n, fee: 10n, amount: 1n << 64n }))).to.equal('ERR_INVALID_AMOUNT')
    expect(code(() => buildStake({ chainId: chainA, privateKey: alice.privateKey, nonce: -1n, fee: 10n, amount: 1n }))).to.equal('ERR_INVALID_AMOUNT')
    expect(code(() => buildStake({ chainId: chainA, privateKey: new Uint8Array(32), nonce: 0n, fee: 10n, amount: 1n }))).to.equal('ERR_INVALID_PRIVATE_KEY')
    expect(code(() => buildTransfer({ chainId: chainA, privateKey: alice.privateKey, nonce: 0n, fee: 10n, to: 'meme1notanaddress', amount: 1n }))).to.equal('ERR_ADDRESS_FORMAT')
  })
})
