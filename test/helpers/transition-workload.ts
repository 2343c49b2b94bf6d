/**
 * A random workload for the state transition, checked block by block against an independent
 * reference model (plain maps, eager bookkeeping) and against the conservation laws.
 */
import { expect } from 'chai'
import { toHex } from '../../src/core/bytes.ts'
import { ValidationError } from '../../src/core/errors.ts'
import { Ledger, type AccountState, type UndoRecord } from '../../src/core/ledger.ts'
import { applyBlock, undoBlock, type BlockContext } from '../../src/core/transition.ts'
import type { SignedTx, TxKind } from '../../src/core/types.ts'
import { encodeAccount } from '../../src/wire/messages.ts'
import { decodeTx, encodeTx } from '../../src/wire/tx.ts'
import { buildEvidence, buildStake, buildTransfer, buildUnstake, type BuiltTx } from '../../src/wallet/transactions.ts'
import { testAccount } from './fixtures.ts'
import { Prng, testParams, testSignedHeader } from './params.ts'

type Who = ReturnType<typeof testAccount>
type Acc = AccountState

/** What a workload exercised. */
export interface WorkloadStats { applied: Record<TxKind, number>, rejected: Record<string, number>, releases: number, slashes: number }

const params = testParams()
const clone = (a?: Readonly<Acc>): Acc => ({ balance: a?.balance ?? 0n, nonce: a?.nonce ?? 0n, stake: a?.stake ?? 0n, unbonding: (a?.unbonding ?? []).map((u) => ({ ...u })) })
const holdings = (a: Readonly<Acc>): bigint => a.unbonding.reduce((t, u) => t + u.amount, a.balance + a.stake)
const isEmpty = (a: Acc): boolean => a.balance === 0n && a.nonce === 0n && a.stake === 0n && a.unbonding.length === 0
const dumpLedger = (l: Ledger): string[] => [...l.entries()].map(([id, a]) => toHex(id) + ':' + toHex(encodeAccount(a))).sort()
const dumpModel = (m: Map<string, Acc>): string[] => [...m].map(([k, a]) => k + ':' + toHex(encodeAccount(a))).sort()

/** The model's accounts as one block sees them: loaded on first touch with matured unbonding released. */
class View {
  readonly touched = new Map<string, Acc>()
  constructor (readonly model: Map<string, Acc>, readonly epoch: bigint, readonly stats: WorkloadStats) {}
  peek (w: Who): Acc {
    const key = toHex(w.id)
    const t = this.touched.get(key)
    if (t !== undefined) return t
    const a = clone(this.model.get(key))
    const mature = a.unbonding.filter((u) => u.releaseEpoch <= this.epoch)
    a.unbonding = a.unbonding.filter((u) => u.releaseEpoch > this.epoch)
    for (const u of mature) a.balance += u.amount
    return a
  }

  acc (w: Who): Acc {
    const a = this.peek(w)
    const key = toHex(w.id)
    if (!this.touched.has(key)) {
      this.stats.releases += (this.model.get(key)?.unbonding.length ?? 0) - a.unbonding.length
      this.touched.set(key, a)
    }
    return a
  }

  commit (): void {
    for (const [k, a] of this.touched) if (isEmpty(a)) this.model.delete(k); else this.model.set(k, a)
  }
}

/** The reference slashing rule, written from SPEC §9 independently of src/core/transition.ts. */
function modelSlash (a: Acc): { reward: bigint, burned: bigint } {
  const slashed = (holdings(a) - a.balance) * params.slashFraction.num / params.slashFraction.den
  let rest = slashed
  // from the stake at most ⌊stake · slashFraction⌋, the rest from unbonding, latest first
  const cap = a.stake * params.slashFraction.num / params.slashFraction.den
  const fromStake = rest > cap ? cap : rest
  a.stake -= fromStake
  rest -= fromStake
  for (const u of [...a.unbonding].sort((x, y) => Number(y.releaseEpoch - x.releaseEpoch))) {
    const take = rest > u.amount ? u.amount : rest
    u.amount -= take
    rest -= take
  }
  a.unbonding = a.unbonding.filter((u) => u.amount > 0n)
  const reward = slashed * params.slashReward.num / params.slashReward.den
  return { reward, burned: slashed - reward }
}

/** Runs `blocks` random blocks over `accounts` accounts, asserting every invariant after each. */
export function runWorkload (opts: { seed: string, accounts: number, blocks: number }): WorkloadStats {
  const rng = new Prng(opts.seed)
  const stats: WorkloadStats = { applied: { transfer: 0, stake: 0, unstake: 0, evidence: 0 }, rejected: {}, releases: 0, slashes: 0 }
  const keys = Array.from({ length: opts.accounts }, (_, i) => testAccount(`${opts.seed}:${i}`))
  const allocs = keys.map((k, i) => ({ id: k.id, balance: 1_000n + rng.below(100_000n), stake: i % 3 === 0 ? 1_000n + rng.below(50_000n) : 0n }))
  const ledger = Ledger.fromGenesis(allocs, encodeAccount)
  const model = new Map(allocs.map((g) => [toHex(g.id), { balance: g.balance, nonce: 0n, stake: g.stake, unbonding: [] }] as [string, Acc]))
  const genesis = { root: ledger.root(), supply: ledger.supply(), dump: dumpLedger(ledger) }
  const slashed = new Map<string, { who: Who, slot: bigint }>()
  const appliedNonces = new Set<string>()
  const undos: UndoRecord[] = []
  const tx = (b: BuiltTx): SignedTx => decodeTx(b.bytes)
  let slot = 0n

  for (let h = 0; h < opts.blocks; h++) {
    slot += 1n + rng.below(6n)
    const epoch = slot / params.epochSlots
    const proposer = rng.pick(keys)
    const ctx: BlockContext = { params, slot, epoch, proposer: proposer.publicKey }
    const view = new View(model, epoch, stats)
    const txs: SignedTx[] = []
    const senders: Who[] = []
    let fees = 0n
    let rewards = 0n
    let burned = 0n
    const newly: string[] = []
    const minEvidenceSlot = epoch > params.evidenceEpochs ? (epoch - params.evidenceEpochs) * params.epochSlots : 0n
    const headers = (who: Who, s: bigint): [Uint8Array, Uint8Array] => [testSignedHeader(who.privateKey, { chainId: params.chainId, slot: s, label: `${h}a` }).bytes, testSignedHeader(who.privateKey, { chainId: params.chainId, slot: s, label: `${h}b` }).bytes]

    /** A valid transaction against the view (applied to it), or undefined if the dice found none. */
    const valid = (): SignedTx | undefined => {
      const w = rng.pick(keys)
      const s = view.peek(w)
      const fee = params.minFee + rng.below(20n)
      const c = { chainId: params.chainId, privateKey: w.privateKey, nonce: s.nonce, fee }
      const roll = rng.int(100)
      let t: SignedTx
      if (roll < 65) {
        if (s.balance < fee + 1n) return undefined
        const amount = rng.chance(1, 10) ? s.balance - fee : 1n + rng.below(s.balance - fee)
        const a = view.acc(w)
        a.balance -= amount + fee
        if (roll < 50) {
          const to = rng.pick(keys)
          t = tx(buildTransfer({ ...c, to: to.id, amount }))
          view.acc(to).balance += amount
        } else {
          t = tx(buildStake({ ...c, amount }))
          a.stake += amount
        }
      } else if (roll < 95) {
        if (s.stake === 0n || s.balance < fee) return undefined
        const amount = 1n + rng.below(s.stake)
        const a = view.acc(w)
        a.balance -= fee
        a.stake -= amount
        const release = epoch + params.unbondingEpochs
        const same = a.unbonding.find((u) => u.releaseEpoch === release)
        if (same !== undefined) same.amount += amount
        else a.unbonding.push({ amount, releaseEpoch: release })
        t = tx(buildUnstake({ ...c, amount }))
      } else {
        const off = rng.pick(keys)
        const evSlot = minEvidenceSlot + rng.below(slot - minEvidenceSlot + 1n)
        const key = toHex(off.publicKey) + ':' + evSlot
        if (s.balance < fee || slashed.has(key)) return undefined
        const [headerA, headerB] = headers(off, evSlot)
        t = tx(buildEvidence({ ...c, headerA, headerB }))
        view.acc(w).balance -= fee
        const o = view.acc(off)
        const r = modelSlash(o)
        if (r.reward + r.burned > 0n) stats.slashes++
        rewards += r.reward
        burned += r.burned
        slashed.set(key, { who: off, slot: evSlot })
        newly.push(key)
      }
      view.acc(w).nonce++
      fees += fee
      senders.push(w)
      return t
    }

    /** An invalid transaction at this point of the block, with the code it must fail with. */
    const invalid = (): { tx: SignedTx, code: string } | undefined => {
      const w = rng.pick(keys)
      const s = view.peek(w)
      const fee = params.minFee + rng.below(5n)
      const c = { chainId: params.chainId, privateKey: w.privateKey, nonce: s.nonce, fee }
      switch (rng.int(6)) {
        case 0: // a double spend: the nonce of an already applied tx, spending everything again
          return s.nonce === 0n ? undefined : { tx: tx(buildTransfer({ ...c, nonce: s.nonce - 1n, to: rng.pick(keys).id, amount: s.balance + 1n })), code: 'ERR_NONCE_TOO_LOW' }
        case 1:
          return { tx: tx(buildTransfer({ ...c, nonce: s.nonce + 1n + rng.below(3n), to: w.id, amount: 1n })), code: 'ERR_NONCE_GAP' }
        case 2:
          return { tx: tx(buildTransfer({ ...c, to: rng.pick(keys).id, amount: (s.balance > fee ? s.balance - fee : 0n) + 1n + rng.below(1000n) })), code: 'ERR_INSUFFICIENT_BALANCE' }
        case 3:
          return s.balance < fee ? undefined : { tx: tx(buildUnstake({ ...c, amount: s.stake + 1n + rng.below(100n) })), code: 'ERR_INSUFFICIENT_STAKE' }
        case 4: {
          const t = tx(buildTransfer({ ...c, to: w.id, amount: 1n }))
          const sig = t.signature.slice()
          const i = rng.int(64)
          sig[i] = (sig[i] as number) ^ (1 << rng.int(8))
          return { tx: decodeTx(encodeTx(t.bodyBytes, sig)), code: 'ERR_BAD_SIGNATURE' }
        }
        default: {
          if (s.balance < fee) return undefined
          const again = [...slashed.values()].find((x) => x.slot >= minEvidenceSlot && x.slot <= slot)
          if (again !== undefined && rng.chance(1, 2)) {
            const [headerA, headerB] = headers(again.who, again.slot)
            return { tx: tx(buildEvidence({ ...c, headerA, headerB })), code: 'ERR_ALREADY_SLASHED' }
          }
          if (minEvidenceSlot === 0n) return undefined
          const [headerA, headerB] = headers(rng.pick(keys), rng.below(minEvidenceSlot))
          return { tx: tx(buildEvidence({ ...c, headerA, headerB })), code: 'ERR_BAD_EVIDENCE' }
        }
      }
    }

    let bad: { at: number, tx: SignedTx, code: string } | undefined
    const count = rng.int(9)
    for (let i = 0; i <= count; i++) {
      if (bad === undefined && rng.chance(1, 5)) {
        const b = invalid()
        if (b !== undefined) bad = { at: txs.length, ...b }
      }
      const t = i < count ? valid() : undefined
      if (t !== undefined) txs.push(t)
    }

    const before = { root: ledger.root(), supply: ledger.supply(), dump: dumpLedger(ledger) }
    if (bad !== undefined) {
      const withBad = [...txs.slice(0, bad.at), bad.tx, ...txs.slice(bad.at)]
      let err: unknown
      try { applyBlock(ledger, withBad, ctx, { verifySignatures: true }) } catch (e) { err = e }
      expect(err, `block ${h}: ${bad.code}`).to.be.instanceOf(ValidationError)
      expect((err as ValidationError).details).to.deep.include({ index: bad.at, code: bad.code })
      expect(ledger.root()).to.deep.equal(before.root)
      expect(dumpLedger(ledger)).to.deep.equal(before.dump)
      stats.rejected[bad.code] = (stats.rejected[bad.code] ?? 0) + 1
    }

    const r = applyBlock(ledger, txs, ctx, { verifySignatures: true })
    view.acc(proposer).balance += params.blockReward + fees + rewards
    const nonceBefore = new Map(senders.map((w) => [toHex(w.id), model.get(toHex(w.id))?.nonce ?? 0n]))
    view.commit()
    // supply: + reward − burned, and equal to the sum over all accounts
    expect(r).to.include({ fees, burned, minted: params.blockReward, slashRewards: rewards })
    expect(ledger.supply()).to.equal(before.supply + params.blockReward - burned)
    expect([...ledger.entries()].reduce((t, [, a]) => t + holdings(a), 0n)).to.equal(ledger.supply())
    expect([...ledger.entries()].reduce((t, [, a]) => t + a.stake, 0n)).to.equal(ledger.totalStake())
    expect(ledger.stakeSnapshot().total).to.equal(ledger.totalStake())
    // exact state: every account equals the reference model (balances, stake, unbonding, nonces)
    expect(dumpLedger(ledger), `block ${h}`).to.deep.equal(dumpModel(model))
    // nonces: +1 per applied tx of each sender; no (sender, nonce) ever applies twice
    for (const [k, n0] of nonceBefore) expect(ledger.get(k)?.nonce).to.equal(n0 + BigInt(senders.filter((w) => toHex(w.id) === k).length))
    for (const t of txs) {
      const key = toHex(t.body.sender) + ':' + t.body.nonce
      expect(appliedNonces.has(key), 'double spend').to.equal(false)
      appliedNonces.add(key)
      stats.applied[t.kind]++
    }
    for (const key of newly) expect(ledger.isSlashed(slashed.get(key)?.who.publicKey as Uint8Array, slashed.get(key)?.slot as bigint)).to.equal(true)
    // apply → undo → apply: undo restores the exact state; re-applying is deterministic
    const after = { root: ledger.root(), dump: dumpLedger(ledger) }
    undoBlock(ledger, r.undo)
    expect(ledger.root()).to.deep.equal(before.root)
    expect(dumpLedger(ledger)).to.deep.equal(before.dump)
    expect(ledger.supply()).to.equal(before.supply)
    for (const key of newly) expect(ledger.isSlashed(slashed.get(key)?.who.publicKey as Uint8Array, slashed.get(key)?.slot as bigint)).to.equal(false)
    const again = applyBlock(ledger, txs, ctx, { verifySignatures: false })
    expect(ledger.root()).to.deep.equal(after.root)
    expect(dumpLedger(ledger)).to.deep.equal(after.dump)
    undos.push(again.undo)
  }

  // undoing the whole sequence in reverse returns to genesis
  for (const u of undos.reverse()) undoBlock(ledger, u)
  expect(ledger.root()).to.deep.equal(genesis.root)
  expect(ledger.supply()).to.equal(genesis.supply)
  expect(dumpLedger(ledger)).to.deep.equal(genesis.dump)
  expect(ledger.slashedSlots()).to.deep.equal([])
  return stats
}
