import { expect } from 'chai'
import { toHex } from '../../src/core/bytes.ts'
import { ValidationError } from '../../src/core/errors.ts'
import { Ledger, MAX_U64, MAX_UNBONDING_ENTRIES, type AccountState } from '../../src/core/ledger.ts'
import type { ChainParams } from '../../src/core/params.ts'
import { SparseMerkleTree, verifySmtProof } from '../../src/core/smt.ts'
import { applyBlock, applyTx, undoBlock, type BlockContext } from '../../src/core/transition.ts'
import type { SignedHeader, SignedTx } from '../../src/core/types.ts'
import { MAX_UNBONDING_ENTRIES as WIRE_MAX_UNBONDING } from '../../src/wire/limits.ts'
import { encodeAccount } from '../../src/wire/messages.ts'
import { encodeSignedHeader } from '../../src/wire/header.ts'
import { decodeTx, encodeTx } from '../../src/wire/tx.ts'
import { buildEvidence, buildStake, buildTransfer, buildUnstake } from '../../src/wallet/transactions.ts'
import { testAccount, testChainId } from '../helpers/fixtures.ts'
import { testParams, testSignedHeader } from '../helpers/params.ts'
import { runWorkload } from '../helpers/transition-workload.ts'

type Who = ReturnType<typeof testAccount>
const P = testParams()
const A = testAccount('alice')
const B = testAccount('bob')
const V = testAccount('validator')
const E = testAccount('equivocator')
const S = testAccount('staker-without-balance')

function genesis (): Ledger {
  return Ledger.fromGenesis([
    { id: A.id, balance: 10_000n, stake: 0n },
    { id: B.id, balance: 500n, stake: 0n },
    { id: V.id, balance: 100n, stake: 5_000n },
    { id: E.id, balance: 100n, stake: 3_001n },
    { id: S.id, balance: 0n, stake: 50n }
  ], encodeAccount)
}
const at = (slot: bigint, proposer: Who = V, params: ChainParams = P): BlockContext => ({ params, slot, epoch: slot / params.epochSlots, proposer: proposer.publicKey })
const common = (w: Who, nonce: bigint, fee: bigint, params: ChainParams = P) => ({ chainId: params.chainId, privateKey: w.privateKey, nonce, fee })
const transfer = (w: Who, nonce: bigint, to: Who, amount: bigint, fee = 10n): SignedTx => decodeTx(buildTransfer({ ...common(w, nonce, fee), to: to.id, amount }).bytes)
const stake = (w: Who, nonce: bigint, amount: bigint, fee = 10n, params = P): SignedTx => decodeTx(buildStake({ ...common(w, nonce, fee, params), amount }).bytes)
const unstake = (w: Who, nonce: bigint, amount: bigint, fee = 10n, params = P): SignedTx => decodeTx(buildUnstake({ ...common(w, nonce, fee, params), amount }).bytes)
const evidence = (w: Who, nonce: bigint, a: SignedHeader, b: SignedHeader, fee = 10n): SignedTx => decodeTx(buildEvidence({ ...common(w, nonce, fee), headerA: a.bytes, headerB: b.bytes }).bytes)
const header = (w: Who, slot: bigint, label: string, chainId = P.chainId): SignedHeader => testSignedHeader(w.privateKey, { chainId, slot, label })
const acct = (l: Ledger, w: Who): Readonly<AccountState> | undefined => l.get(w.id)
const dump = (l: Ledger): string[] => [...l.entries()].map(([id, a]) => toHex(id) + ':' + toHex(encodeAccount(a))).sort()
const apply = (l: Ledger, txs: SignedTx[], ctx: BlockContext) => applyBlock(l, txs, ctx, { verifySignatures: true })

/** Asserts the block fails with B-12 carrying `code` (and `index`), leaving the ledger untouched. */
function rejects (l: Ledger, txs: SignedTx[], ctx: BlockContext, code: string, index = txs.length - 1, opts = { verifySignatures: true }): ValidationError {
  const root = l.root()
  const supply = l.supply()
  const before = dump(l)
  let err: unknown
  try { applyBlock(l, txs, ctx, opts) } catch (e) { err = e }
  expect(err, 'block should fail').to.be.instanceOf(ValidationError)
  const v = err as ValidationError
  expect(v.rule).to.equal('B-12')
  if (v.code === 'ERR_INVALID_TX') {
    expect(v.details?.code, v.message).to.equal(code)
    expect(v.details?.index).to.equal(index)
  } else expect(v.code).to.equal(code)
  expect(l.root()).to.deep.equal(root)
  expect(l.supply()).to.equal(supply)
  expect(dump(l)).to.deep.equal(before)
  return v
}

describe('core/ledger', () => {
  it('genesis: root commits to encodeAccount of every allocation; supply and stake are totals', () => {
    const l = genesis()
    const smt = new SparseMerkleTree()
    for (const [id, a] of l.entries()) smt.set(id, encodeAccount(a))
    expect(l.root()).to.deep.equal(smt.root())
    expect(l.supply()).to.equal(10_000n + 500n + 5_100n + 3_101n + 50n)
    expect(l.totalStake()).to.equal(8_051n)
    const proof = l.prove(A.id)
    expect(verifySmtProof(l.root(), A.id, encodeAccount(acct(l, A) as AccountState), proof)).to.equal(true)
    expect(acct(l, testAccount('nobody'))).to.equal(undefined)
    expect(Ledger.fromGenesis([{ id: A.id, balance: 0n, stake: 0n }], encodeAccount).size).to.equal(0)
    expect(() => Ledger.fromGenesis([{ id: A.id, balance: 1n, stake: 0n }, { id: A.id, balance: 1n, stake: 0n }], encodeAccount)).to.throw('twice')
    expect(MAX_UNBONDING_ENTRIES).to.equal(WIRE_MAX_UNBONDING)
  })

  it('never hands out mutable internals; the stake snapshot is cached, sorted and immutable', () => {
    const l = genesis()
    const a = acct(l, V) as AccountState
    expect(() => { a.balance = 1n }).to.throw(TypeError)
    expect(() => { a.unbonding.push({ amount: 1n, releaseEpoch: 1n }) }).to.throw(TypeError)
    const snap = l.stakeSnapshot()
    expect(l.stakeSnapshot()).to.equal(snap)
    expect([...snap.stakes.keys()]).to.deep.equal([...snap.stakes.keys()].sort())
    expect(snap.total).to.equal(8_051n)
    expect((snap.stakes as unknown as { set?: unknown }).set).to.equal(undefined)
    apply(l, [transfer(A, 0n, B, 5n)], at(1n))
    expect(l.stakeSnapshot(), 'no stake changed').to.equal(snap)
    apply(l, [stake(A, 1n, 1_000n)], at(2n))
    const next = l.stakeSnapshot()
    expect(next).not.to.equal(snap)
    expect(next.stakes.get(toHex(A.id))).to.equal(1_000n)
    expect(snap.stakes.has(toHex(A.id)), 'old snapshot unchanged').to.equal(false)
  })

  it('one journal at a time; a closed journal refuses writes', () => {
    const l = genesis()
    const j = l.begin()
    expect(() => l.begin()).to.throw().with.property('code', 'ERR_JOURNAL_OPEN')
    j.commit()
    expect(() => { j.put(A.id, undefined) }).to.throw().with.property('code', 'ERR_JOURNAL_CLOSED')
  })
})

describe('core/transition: happy paths with exact balances', () => {
  it('transfer: sender pays amount + fee, recipient gains, proposer gets reward + fee', () => {
    const l = genesis()
    const r = apply(l, [transfer(A, 0n, B, 100n)], at(1n))
    expect(acct(l, A)).to.deep.equal({ balance: 9_890n, nonce: 1n, stake: 0n, unbonding: [] })
    expect(acct(l, B)?.balance).to.equal(600n)
    expect(acct(l, V)?.balance).to.equal(100n + 1_000n + 10n)
    expect(r).to.include({ fees: 10n, burned: 0n, minted: 1_000n })
  })

  it('transfer to self costs only the fee; several txs of one sender apply in nonce order', () => {
    const l = genesis()
    apply(l, [transfer(A, 0n, A, 100n), transfer(A, 1n, B, 1n), transfer(B, 0n, A, 490n)], at(1n))
    expect(acct(l, A)).to.deep.include({ balance: 10_000n - 10n - 11n + 490n, nonce: 2n })
    expect(acct(l, B)).to.deep.include({ balance: 1n, nonce: 1n })
  })

  it('stake moves balance to bonded stake', () => {
    const l = genesis()
    apply(l, [stake(A, 0n, 2_000n)], at(1n))
    expect(acct(l, A)).to.deep.equal({ balance: 7_990n, nonce: 1n, stake: 2_000n, unbonding: [] })
    expect(l.totalStake()).to.equal(10_051n)
  })

  it('unstake unbonds for unbondingEpochs (merging one epoch\'s entries); release is lazy and not early', () => {
    const l = genesis()
    apply(l, [unstake(V, 0n, 1_000n), unstake(V, 1n, 500n)], at(5n, B))
    expect(acct(l, V)).to.deep.equal({ balance: 80n, nonce: 2n, stake: 3_500n, unbonding: [{ amount: 1_500n, releaseEpoch: 3n }] })
    apply(l, [unstake(V, 2n, 500n)], at(15n, B))
    expect(acct(l, V)?.unbonding).to.deep.equal([{ amount: 1_500n, releaseEpoch: 3n }, { amount: 500n, releaseEpoch: 4n }])
    expect(l.spendable(V.id, 2n)).to.equal(70n)
    expect(l.spendable(V.id, 3n)).to.equal(1_570n)
    rejects(l, [transfer(V, 3n, B, 1_000n)], at(29n, B), 'ERR_INSUFFICIENT_BALANCE')
    apply(l, [], at(30n, B))
    expect(acct(l, V)?.unbonding, 'untouched accounts keep matured entries').to.have.length(2)
    apply(l, [transfer(V, 3n, B, 1_000n)], at(31n, B))
    expect(acct(l, V)).to.deep.equal({ balance: 560n, nonce: 4n, stake: 3_000n, unbonding: [{ amount: 500n, releaseEpoch: 4n }] })
    apply(l, [], at(40n, V))
    expect(acct(l, V), 'the proposer releases too').to.deep.equal({ balance: 2_060n, nonce: 4n, stake: 3_000n, unbonding: [] })
  })

  it('a sole staker slashed while unbonding keeps a bonded stake: the chain keeps a leader (G-6)', () => {
    const p = testParams({ slashFraction: { num: 1n, den: 2n } })
    const l = Ledger.fromGenesis([{ id: E.id, balance: 1_000n, stake: 1_000n }, { id: A.id, balance: 1_000n, stake: 0n }], encodeAccount)
    // unstaking 600 of 1000 leaves 400 bonded (TX-8 allows it); slashed ⌊1000 / 2⌋ = 500
    applyBlock(l, [decodeTx(buildUnstake({ ...common(E, 0n, 10n, p), amount: 600n }).bytes)], at(1n, E, p), { verifySignatures: true })
    const ev = decodeTx(buildEvidence({ ...common(A, 0n, 10n, p), headerA: header(E, 2n, 'x', p.chainId).bytes, headerB: header(E, 2n, 'y', p.chainId).bytes }).bytes)
    applyBlock(l, [ev], at(3n, E, p), { verifySignatures: true })
    // 200 of the stake (half of it), 300 of the unbonding: before, all 400 went and no stake was left
    expect(acct(l, E)).to.include({ stake: 200n })
    expect(acct(l, E)?.unbonding).to.deep.equal([{ amount: 300n, releaseEpoch: p.unbondingEpochs }])
    expect(l.totalStake()).to.equal(200n)
  })

  it('evidence slashes stake (at most its slashFraction) then unbonding latest-first, rewards the proposer, burns the rest; undo restores', () => {
    const p = testParams({ slashFraction: { num: 9n, den: 10n }, slashReward: { num: 1n, den: 3n } })
    const l = genesis()
    apply(l, [unstake(E, 0n, 600n)], at(5n, B, p))
    apply(l, [unstake(E, 1n, 300n)], at(15n, B, p))
    const supply = l.supply()
    const root = l.root()
    const ev = evidence(A, 0n, header(E, 12n, 'x'), header(E, 12n, 'y'))
    const r = applyBlock(l, [ev], at(25n, V, p), { verifySignatures: true })
    // slashable 2101 + 900 = 3001; slashed ⌊3001 · 9/10⌋ = 2700: ⌊2101 · 9/10⌋ = 1890 of the stake
    // (never all of it), then 300 of epoch 4 and 510 of epoch 3
    expect(acct(l, E)).to.deep.equal({ balance: 80n, nonce: 2n, stake: 211n, unbonding: [{ amount: 90n, releaseEpoch: 3n }] })
    expect(r).to.include({ burned: 1_800n, slashRewards: 900n, fees: 10n })
    expect(acct(l, V)?.balance).to.equal(100n + 1_000n + 10n + 900n)
    expect(l.supply()).to.equal(supply + 1_000n - 1_800n)
    expect(l.isSlashed(E.publicKey, 12n)).to.equal(true)
    rejects(l, [evidence(B, 0n, header(E, 12n, 'z'), header(E, 12n, 'w'))], at(26n, V, p), 'ERR_ALREADY_SLASHED', 0)
    undoBlock(l, r.undo)
    expect(l.root()).to.deep.equal(root)
    expect(l.isSlashed(E.publicKey, 12n)).to.equal(false)
  })
})

describe('core/transition: every failure has its rule and code and changes nothing', () => {
  const l = genesis()

  it('stateless rules inside a block: TX-2, TX-3 (unless signatures are pre-verified), TX-4, TX-5', () => {
    const other = decodeTx(buildTransfer({ ...common(A, 0n, 10n), chainId: testChainId('other'), to: B.id, amount: 1n }).bytes)
    expect(rejects(l, [other], at(1n), 'ERR_WRONG_CHAIN').details?.rule).to.equal('TX-2')
    const good = transfer(A, 0n, B, 1n)
    const sig = good.signature.slice()
    sig[63] = (sig[63] as number) ^ 1
    const forged = decodeTx(encodeTx(good.bodyBytes, sig))
    rejects(l, [forged], at(1n), 'ERR_BAD_SIGNATURE')
    const r = applyBlock(l, [forged], at(1n), { verifySignatures: false })
    undoBlock(l, r.undo)
    rejects(l, [stake(A, 0n, 0n)], at(1n), 'ERR_ZERO_AMOUNT')
    rejects(l, [transfer(A, 0n, B, 1n, 0n)], at(1n), 'ERR_FEE_TOO_LOW')
  })

  it('TX-6: a replayed or stale nonce, and a nonce gap', () => {
    const t = transfer(A, 0n, B, 1n)
    const r = apply(l, [t], at(1n))
    expect(rejects(l, [t], at(2n), 'ERR_NONCE_TOO_LOW').details?.rule).to.equal('TX-6')
    rejects(l, [transfer(A, 1n, B, 1n), transfer(A, 1n, B, 2n)], at(2n), 'ERR_NONCE_TOO_LOW', 1)
    rejects(l, [transfer(A, 2n, B, 1n)], at(2n), 'ERR_NONCE_GAP')
    undoBlock(l, r.undo)
  })

  it('TX-7: balance must cover amount + fee, or the fee alone', () => {
    rejects(l, [transfer(B, 0n, A, 491n)], at(1n), 'ERR_INSUFFICIENT_BALANCE')
    rejects(l, [stake(B, 0n, 491n)], at(1n), 'ERR_INSUFFICIENT_BALANCE')
    rejects(l, [unstake(S, 0n, 1n)], at(1n), 'ERR_INSUFFICIENT_BALANCE')
    rejects(l, [evidence(S, 0n, header(E, 1n, 'a'), header(E, 1n, 'b'))], at(1n), 'ERR_INSUFFICIENT_BALANCE')
    rejects(l, [transfer(A, 0n, B, 1n), transfer(A, 1n, B, 9_980n)], at(1n), 'ERR_INSUFFICIENT_BALANCE', 1)
  })

  it('TX-7 (and TX-6, B-12): no sum may reach 2^64', () => {
    const rich = Ledger.restore([[A.id, { balance: 100n, nonce: MAX_U64, stake: 0n, unbonding: [] }], [B.id, { balance: MAX_U64 - 5n, nonce: 0n, stake: MAX_U64 - 5n, unbonding: [] }]], [], encodeAccount)
    rejects(rich, [transfer(A, MAX_U64, B, 1n)], at(1n, B), 'ERR_OVERFLOW')
    rejects(rich, [transfer(B, 0n, A, MAX_U64 - 5n, 10n)], at(1n, A), 'ERR_OVERFLOW')
    rejects(rich, [stake(B, 0n, 6n, 1n)], at(1n, A), 'ERR_OVERFLOW')
    const e = rejects(rich, [], at(1n, B), 'ERR_OVERFLOW')
    expect(e.rule).to.equal('B-12')
    const poor = Ledger.restore([[A.id, { balance: 100n, nonce: 0n, stake: 0n, unbonding: [] }], [B.id, { balance: MAX_U64 - 5n, nonce: 0n, stake: 0n, unbonding: [] }]], [], encodeAccount)
    rejects(poor, [transfer(A, 0n, B, 6n)], at(1n), 'ERR_OVERFLOW')
  })

  it('TX-8: unstake at most the bonded stake; at most MAX_UNBONDING_ENTRIES entries', () => {
    expect(rejects(l, [unstake(V, 0n, 5_001n)], at(1n), 'ERR_INSUFFICIENT_STAKE').details?.rule).to.equal('TX-8')
    const p = testParams({ unbondingEpochs: 1000n })
    const unbonding = Array.from({ length: MAX_UNBONDING_ENTRIES }, (_, i) => ({ amount: 1n, releaseEpoch: 1000n + BigInt(i) }))
    const full = Ledger.restore([[V.id, { balance: 100n, nonce: 0n, stake: 10n, unbonding }]], [], encodeAccount)
    rejects(full, [unstake(V, 0n, 1n, 10n, p)], at(640n, A, p), 'ERR_TOO_MANY_UNBONDING')
    applyBlock(full, [unstake(V, 0n, 2n, 10n, p)], at(9n, A, p), { verifySignatures: true })
    expect(full.get(V.id)?.unbonding[0], 'merged into the existing epoch-1000 entry').to.deep.equal({ amount: 3n, releaseEpoch: 1000n })
  })

  it('TX-8: an unstake may not leave the chain without bonded stake (ERR_LAST_STAKE), counting earlier transactions of the block', () => {
    const solo = (): Ledger => Ledger.restore([[V.id, { balance: 100n, nonce: 0n, stake: 10n, unbonding: [] }], [A.id, { balance: 100n, nonce: 0n, stake: 0n, unbonding: [] }]], [], encodeAccount)
    expect(rejects(solo(), [unstake(V, 0n, 10n)], at(1n, V), 'ERR_LAST_STAKE').details?.rule).to.equal('TX-8')
    const l = solo()
    applyBlock(l, [unstake(V, 0n, 9n)], at(1n, V), { verifySignatures: true })
    expect(l.totalStake()).to.equal(1n)
    // A stakes 5 then V unstakes its last 1 in the same block: the chain keeps A's 5
    const both = solo()
    applyBlock(both, [stake(A, 0n, 5n), unstake(V, 0n, 10n)], at(1n, V), { verifySignatures: true })
    expect(both.totalStake()).to.equal(5n)
    // and the other way round the unstake comes first: refused
    rejects(solo(), [unstake(V, 0n, 10n), stake(A, 0n, 5n)], at(1n, V), 'ERR_LAST_STAKE', 0)
  })

  it('TX-9: each way evidence can be bad', () => {
    const ev = (a: SignedHeader, b: SignedHeader, slot = 30n): void => { rejects(l, [evidence(A, 0n, a, b)], at(slot), 'ERR_BAD_EVIDENCE') }
    ev(header(E, 22n, 'a'), header(V, 22n, 'b'))
    ev(header(E, 22n, 'a'), header(E, 23n, 'b'))
    ev(header(E, 22n, 'a', testChainId('other')), header(E, 22n, 'b', testChainId('other')))
    ev(header(E, 22n, 'a'), header(E, 22n, 'a'))
    ev(header(E, 31n, 'a'), header(E, 31n, 'b'))
    ev(header(E, 9n, 'a'), header(E, 9n, 'b'))
    const good = header(E, 22n, 'b')
    const forged = testSignedHeader(V.privateKey, { chainId: P.chainId, slot: 22n, label: 'b' })
    const bad = { ...good, signature: forged.signature, bytes: encodeSignedHeader(good.headerBytes, forged.signature) }
    ev(header(E, 22n, 'a'), bad)
    const r = apply(l, [evidence(A, 0n, header(E, 10n, 'a'), header(E, 10n, 'b'))], at(30n))
    expect(acct(l, E)?.stake).to.equal(3_001n - 1_000n)
    undoBlock(l, r.undo)
  })

  it('a failure after valid transactions rolls the whole block back and names its index', () => {
    rejects(l, [transfer(A, 0n, B, 1n), stake(B, 0n, 10n), unstake(B, 1n, 11n)], at(1n), 'ERR_INSUFFICIENT_STAKE', 2)
  })

  it('applyTx alone is atomic: a failing tx leaves no change even inside an open journal', () => {
    const before = dump(l)
    const j = l.begin()
    const ctx = at(35n)
    applyTx(l, transfer(A, 0n, B, 1n), ctx, j)
    const mid = dump(l)
    expect(() => applyTx(l, unstake(B, 0n, 1n), ctx, j)).to.throw().with.property('code', 'ERR_INSUFFICIENT_STAKE')
    expect(dump(l)).to.deep.equal(mid)
    j.rollback()
    expect(dump(l)).to.deep.equal(before)
  })
})

describe('core/transition: properties over random workloads', () => {
  it('300 blocks over 30 accounts: supply, nonces, no double spend, exact undo, slashing, unbonding', () => {
    const stats = runWorkload({ seed: 'transition-property', accounts: 30, blocks: 300 })
    expect(stats.applied.transfer).to.be.greaterThan(100)
    expect(stats.applied.stake).to.be.greaterThan(20)
    expect(stats.applied.unstake).to.be.greaterThan(20)
    expect(stats.applied.evidence).to.be.greaterThan(3)
    expect(stats.releases).to.be.greaterThan(10)
    for (const code of ['ERR_NONCE_TOO_LOW', 'ERR_NONCE_GAP', 'ERR_INSUFFICIENT_BALANCE', 'ERR_INSUFFICIENT_STAKE', 'ERR_BAD_SIGNATURE', 'ERR_BAD_EVIDENCE', 'ERR_ALREADY_SLASHED']) {
      expect(stats.rejected[code] ?? 0, code).to.be.greaterThan(0)
    }
  })
})
