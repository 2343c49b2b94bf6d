/**
 * Consensus rules (SPEC §9, src/core/consensus.ts): time, the epoch state across epochs, the
 * rolling nonce accumulator, VRF leader election, header checks and fork choice.
 * Deterministic: keys and values derive from labels; expected hashes are recomputed here with
 * node:crypto directly, not through the code under test.
 */
import { expect } from 'chai'
import { createHash } from 'node:crypto'
import { accountIdOf } from '../../src/core/address.ts'
import { toHex, utf8 } from '../../src/core/bytes.ts'
import {
  MAX_CLOCK_DRIFT_MS, MAX_EPOCH_SKIP, checkHeaderAgainstParent, checkLeader, checkTxRoot, compareTips,
  contributesToNonce, epochOf, epochStateAfter, epochStateForSlot, genesisEpochState, headerLeaderValue,
  isFutureSlot, leaderValue, nextEpochNonce, nonceContribution, slotAt, slotStart, stakeOf, tryLead, vrfAlpha,
  type EpochState, type ParentInfo, type StakeSnapshot, type TipInfo
} from '../../src/core/consensus.ts'
import { ValidationError } from '../../src/core/errors.ts'
import { defaultDevnetGenesis } from '../../src/core/genesis.ts'
import { sha256 } from '../../src/core/hash.ts'
import { merkleRoot } from '../../src/core/merkle.ts'
import type { ChainParams } from '../../src/core/params.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../../src/core/secp256k1.ts'
import { HEADER_DOMAIN, signBytes } from '../../src/core/signing.ts'
import type { Block, BlockHeader, SignedHeader } from '../../src/core/types.ts'
import { vrfHash, vrfProofToHash, vrfProve } from '../../src/core/vrf.ts'
import { chainParamsOf } from '../../src/wire/genesis.ts'
import { decodeSignedHeader, encodeHeader, encodeSignedHeader } from '../../src/wire/header.ts'
import { Prng } from '../helpers/params.ts'

// ---------------------------------------------------------------------------------------------
// Independent reference helpers

/** SHA-256 of the concatenation, straight from node:crypto. */
function H (...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

/** 8-byte big-endian, written out by hand. */
function be64 (n: bigint): Uint8Array {
  const out = new Uint8Array(8)
  for (let i = 7; i >= 0; i--) { out[i] = Number(n & 0xffn); n >>= 8n }
  return out
}

function big (b: Uint8Array): bigint { return BigInt('0x' + Buffer.from(b).toString('hex')) }

const LEADER_TAG = new Uint8Array([...Buffer.from('memecoin/leader', 'ascii'), 0])
const NONCE_TAG = new Uint8Array([...Buffer.from('memecoin/nonce', 'ascii'), 0])

function expectRule (fn: () => unknown, rule: string, code: string): void {
  try {
    fn()
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError)
    expect((err as ValidationError).rule).to.equal(rule)
    expect((err as ValidationError).code).to.equal(code)
    return
  }
  expect.fail(`expected ${rule} ${code}`)
}

// ---------------------------------------------------------------------------------------------
// Keys, genesis and parameters

interface Key { name: string, sk: Uint8Array, pk: Uint8Array, id: Uint8Array, hex: string }

function key (name: string): Key {
  const sk = privateKeyFromEntropy(sha256(utf8('consensus-test:' + name)))
  const pk = publicKeyOf(sk)
  const id = accountIdOf(pk)
  return { name, sk, pk, id, hex: toHex(id) }
}

const A = key('A')
const B = key('B')
const C = key('C')
const D = key('D')
const FAUCET = key('faucet')
const KEYS = [A, B, C, D, FAUCET]

const MEME = 10n ** 8n
const GENESIS_TIME = 1_700_000_000_000n
const GENESIS_STAKE = { A: 100n * MEME, B: 300n * MEME, C: 600n * MEME }

const genesis = defaultDevnetGenesis({
  genesisTime: GENESIS_TIME,
  validators: [
    { id: A.id, stake: GENESIS_STAKE.A },
    { id: B.id, stake: GENESIS_STAKE.B },
    { id: C.id, stake: GENESIS_STAKE.C }
  ],
  faucet: { id: FAUCET.id, balance: 1_000_000n * MEME }
})
const params: ChainParams = chainParamsOf(genesis)

/** A snapshot from named amounts (units of MEME); a zero amount is kept in the map. */
function snap (amounts: Partial<Record<string, bigint>>): StakeSnapshot {
  const stakes = new Map<string, bigint>()
  let total = 0n
  for (const k of KEYS) {
    const v = amounts[k.name]
    if (v === undefined) continue
    stakes.set(k.hex, v * MEME)
    total += v * MEME
  }
  return { stakes, total }
}

/** A snapshot back in named MEME amounts, for hand-written expectations. */
function named (s: StakeSnapshot): { stakes: Record<string, bigint>, total: bigint } {
  const out: Record<string, bigint> = {}
  for (const [hex, v] of s.stakes) {
    const k = KEYS.find((x) => x.hex === hex)
    if (k === undefined) throw new Error('unknown account in snapshot')
    out[k.name] = v / MEME
  }
  return { stakes: out, total: s.total / MEME }
}

/** Genesis stakes as the ledger would snapshot them: every genesis account with bonded stake. */
const genesisStakes: StakeSnapshot = (() => {
  const stakes = new Map<string, bigint>()
  let total = 0n
  for (const a of genesis.accounts) {
    if (a.stake === 0n) continue
    stakes.set(toHex(a.id), a.stake)
    total += a.stake
  }
  return { stakes, total }
})()

/** A signed header through the wire codec (so the header is what a peer would decode). */
function header (k: Key, slot: bigint, vrfProof: Uint8Array, over: Partial<BlockHeader> = {}): SignedHeader {
  const h: BlockHeader = {
    chainId: params.chainId,
    height: 1n,
    slot,
    parentHash: params.genesisHash,
    proposer: k.pk,
    vrfProof,
    txRoot: merkleRoot([]),
    stateRoot: H(utf8('state root')),
    txCount: 0,
    ...over
  }
  const headerBytes = encodeHeader(h)
  return decodeSignedHeader(encodeSignedHeader(headerBytes, signBytes(HEADER_DOMAIN, headerBytes, k.sk)))
}

/** A valid VRF proof by `k` for `slot` under `state`'s nonce, whether or not `k` leads it. */
function proofFor (k: Key, slot: bigint, state: EpochState): Uint8Array {
  return vrfProve(k.sk, vrfAlpha(state.nonce, slot))
}

// ---------------------------------------------------------------------------------------------

describe('core/consensus', () => {
  it('builds its parameters from the devnet genesis', () => {
    expect(params.genesisTime).to.equal(GENESIS_TIME)
    expect(params.slotMs).to.equal(1000n)
    expect(params.epochSlots).to.equal(120n)
    expect(params.activeSlotCoeff).to.deep.equal({ num: 1n, den: 2n })
    expect(named(genesisStakes)).to.deep.equal({ stakes: { A: 100n, B: 300n, C: 600n }, total: 1000n })
    expect(MAX_CLOCK_DRIFT_MS).to.equal(500n)
  })

  describe('time', () => {
    const g = GENESIS_TIME

    it('slotAt is 0 before genesis and at genesis', () => {
      expect(slotAt(0n, params)).to.equal(0n)
      expect(slotAt(g - 1_000_000n, params)).to.equal(0n)
      expect(slotAt(g - 1n, params)).to.equal(0n)
      expect(slotAt(g, params)).to.equal(0n)
    })

    it('slotAt changes exactly at a slot start; the last ms of a slot belongs to it', () => {
      expect(slotAt(g + 999n, params)).to.equal(0n)
      expect(slotAt(g + 1000n, params)).to.equal(1n)
      for (const s of [1n, 2n, 119n, 120n, 121n, 239n, 240n, 1_000_003n]) {
        expect(slotStart(s, params)).to.equal(g + s * 1000n)
        expect(slotAt(slotStart(s, params), params)).to.equal(s)
        expect(slotAt(slotStart(s, params) - 1n, params)).to.equal(s - 1n)
        expect(slotAt(slotStart(s + 1n, params) - 1n, params)).to.equal(s)
      }
      expect(slotStart(0n, params)).to.equal(g)
    })

    it('respects a non-default slot length', () => {
      const p = { genesisTime: 5_000n, slotMs: 250n }
      expect(slotAt(4_999n, p)).to.equal(0n)
      expect(slotAt(5_249n, p)).to.equal(0n)
      expect(slotAt(5_250n, p)).to.equal(1n)
      expect(slotAt(5_000n + 250n * 77n + 249n, p)).to.equal(77n)
      expect(slotStart(77n, p)).to.equal(5_000n + 250n * 77n)
    })

    it('epochOf switches at multiples of epochSlots', () => {
      const cases: Array<[bigint, bigint]> = [[0n, 0n], [119n, 0n], [120n, 1n], [239n, 1n], [240n, 2n], [1199n, 9n], [1200n, 10n]]
      for (const [slot, epoch] of cases) expect(epochOf(slot, params), `slot ${slot}`).to.equal(epoch)
      expect(epochOf(1n << 60n, params)).to.equal((1n << 60n) / 120n)
    })

    it('isFutureSlot allows exactly 500 ms of drift', () => {
      for (const s of [0n, 1n, 121n]) {
        const start = slotStart(s, params)
        expect(isFutureSlot(s, start - 501n, params), `slot ${s} at start − 501`).to.equal(true)
        expect(isFutureSlot(s, start - 500n, params), `slot ${s} at start − 500`).to.equal(false)
        expect(isFutureSlot(s, start - 499n, params)).to.equal(false)
        expect(isFutureSlot(s, start, params)).to.equal(false)
        expect(isFutureSlot(s, start + 10_000n, params)).to.equal(false)
      }
      // slot 0 may be proposed from 500 ms before genesis
      expect(isFutureSlot(0n, GENESIS_TIME - 500n, params)).to.equal(false)
      expect(isFutureSlot(0n, GENESIS_TIME - 501n, params)).to.equal(true)
    })
  })

  describe('domain separation', () => {
    const betas = [new Uint8Array(32), H(utf8('beta 1')), H(utf8('beta 2'))]

    it('vrfAlpha is η ‖ u64be(slot)', () => {
      const eta = H(utf8('eta'))
      for (const slot of [0n, 1n, 255n, 256n, (1n << 64n) - 1n]) {
        const alpha = vrfAlpha(eta, slot)
        expect(alpha.length).to.equal(40)
        expect(toHex(alpha)).to.equal(toHex(eta) + toHex(be64(slot)))
      }
    })

    it('leaderValue and nonceContribution use their own tags', () => {
      for (const beta of betas) {
        expect(leaderValue(beta)).to.equal(big(H(LEADER_TAG, beta)))
        expect(toHex(nonceContribution(beta))).to.equal(toHex(H(NONCE_TAG, beta)))
        expect(leaderValue(beta)).to.not.equal(big(nonceContribution(beta)))
        expect(leaderValue(beta)).to.not.equal(big(H(beta)))
        expect(toHex(nonceContribution(beta))).to.not.equal(toHex(H(beta)))
        // neither is a hash of the VRF input layout
        expect(toHex(nonceContribution(beta))).to.not.equal(toHex(H(vrfAlpha(beta, 0n))))
      }
    })

    it('nextEpochNonce is SHA256(ρ ‖ u64be(e + 1))', () => {
      const rho = H(utf8('rho'))
      expect(toHex(nextEpochNonce(rho, 7n))).to.equal(toHex(H(rho, be64(7n))))
    })
  })

  describe('epochStateForSlot', () => {
    const E = params.epochSlots
    // A parent in epoch 5 with made-up but distinct values.
    const D5 = snap({ A: 1n, B: 2n })
    const P5 = snap({ A: 3n, C: 4n })
    const S = snap({ B: 5n, C: 6n, D: 7n })
    const parent: EpochState = { epoch: 5n, nonce: H(utf8('eta5')), rho: H(utf8('rho5')), distribution: D5, previousEnd: P5 }

    it('returns the parent state itself within the parent epoch', () => {
      for (const slot of [5n * E, 5n * E + 1n, 6n * E - 1n]) {
        expect(epochStateForSlot(parent, S, slot, params)).to.equal(parent)
      }
      const g = genesisEpochState(params, genesisStakes)
      expect(epochStateForSlot(g, genesisStakes, 1n, params)).to.equal(g)
      expect(epochStateForSlot(g, snap({ D: 1n }), E - 1n, params)).to.equal(g)
    })

    it('genesis state: η_0, ρ = η_0, genesis stakes for epochs 0 and 1', () => {
      const g = genesisEpochState(params, genesisStakes)
      expect(g.epoch).to.equal(0n)
      expect(toHex(g.nonce)).to.equal(toHex(params.initialNonce))
      expect(toHex(g.rho)).to.equal(toHex(params.initialNonce))
      expect(g.distribution).to.equal(genesisStakes)
      expect(g.previousEnd).to.equal(genesisStakes)
    })

    it('next epoch: nonce SHA256(ρ ‖ u64be(e+1)), distribution = previousEnd, previousEnd = post-stakes', () => {
      for (const slot of [6n * E, 6n * E + 37n, 7n * E - 1n]) {
        const st = epochStateForSlot(parent, S, slot, params)
        expect(st.epoch).to.equal(6n)
        expect(toHex(st.nonce)).to.equal(toHex(H(parent.rho, be64(6n))))
        expect(toHex(st.rho)).to.equal(toHex(st.nonce))
        expect(st.distribution).to.equal(P5)
        expect(st.previousEnd).to.equal(S)
      }
      // the parent is untouched
      expect(parent.epoch).to.equal(5n)
      expect(toHex(parent.rho)).to.equal(toHex(H(utf8('rho5'))))
    })

    it('skipping k ≥ 2 empty epochs chains the nonce through each and uses the parent post-stakes', () => {
      for (const k of [2n, 3n, 5n, 17n]) {
        const epoch = 5n + k
        const st = epochStateForSlot(parent, S, epoch * E + 3n, params)
        let eta = H(parent.rho, be64(6n))
        for (let e = 7n; e <= epoch; e++) eta = H(eta, be64(e))
        expect(st.epoch).to.equal(epoch)
        expect(toHex(st.nonce), `k = ${k}`).to.equal(toHex(eta))
        expect(toHex(st.rho)).to.equal(toHex(eta))
        // epoch − 2 ≥ 5: the end of epoch − 2 is the state after the parent
        expect(st.distribution).to.equal(S)
        expect(st.previousEnd).to.equal(S)
      }
      // by hand for k = 2
      const st7 = epochStateForSlot(parent, S, 7n * E, params)
      expect(toHex(st7.nonce)).to.equal(toHex(H(H(parent.rho, be64(6n)), be64(7n))))
    })

    it('is the same whether empty epochs are crossed in one step or one at a time', () => {
      const direct = epochStateForSlot(parent, S, 9n * E + 1n, params)
      let st = parent
      for (let e = 6n; e <= 9n; e++) st = epochStateForSlot(st, S, e * E, params)
      expect(st.epoch).to.equal(9n)
      expect(toHex(st.nonce)).to.equal(toHex(direct.nonce))
      expect(st.distribution).to.equal(direct.distribution)
      expect(st.previousEnd).to.equal(direct.previousEnd)
    })

    it('throws for a slot before the parent epoch', () => {
      expectRule(() => epochStateForSlot(parent, S, 5n * E - 1n, params), 'B-7', 'ERR_SLOT_NOT_INCREASING')
      expectRule(() => epochStateForSlot(parent, S, 0n, params), 'B-7', 'ERR_SLOT_NOT_INCREASING')
    })

    it('refuses a huge slot up front (MAX_EPOCH_SKIP) instead of looping', () => {
      // An unguarded loop would hash ~10^16 times and hang the suite synchronously.
      const g = genesisEpochState(params, genesisStakes)
      expect(epochOf(1n << 60n, params) > MAX_EPOCH_SKIP).to.equal(true)
      expectRule(() => epochStateForSlot(g, genesisStakes, 1n << 60n, params), 'B-4', 'ERR_FUTURE_SLOT')
      expectRule(() => epochStateForSlot(parent, S, (5n + MAX_EPOCH_SKIP + 1n) * E, params), 'B-4', 'ERR_FUTURE_SLOT')
      expectRule(() => epochStateForSlot(g, genesisStakes, (1n << 64n) - 1n, params), 'B-4', 'ERR_FUTURE_SLOT')
    })
  })

  describe('epochStateAfter (rolling nonce accumulator)', () => {
    const E = params.epochSlots
    const cut = (2n * E) / 3n // 80
    const base = epochStateForSlot(genesisEpochState(params, genesisStakes), genesisStakes, 3n * E, params)
    const beta1 = H(utf8('b1'))
    const beta2 = H(utf8('b2'))

    it('only the first ⌊2·epochSlots/3⌋ slots contribute', () => {
      expect(cut).to.equal(80n)
      for (const off of [0n, 1n, 40n, cut - 1n]) {
        const st = epochStateAfter(base, 3n * E + off, beta1, params)
        expect(toHex(st.rho), `offset ${off}`).to.equal(toHex(H(base.rho, H(NONCE_TAG, beta1))))
        expect(st.epoch).to.equal(base.epoch)
        expect(toHex(st.nonce)).to.equal(toHex(base.nonce))
        expect(st.distribution).to.equal(base.distribution)
        expect(st.previousEnd).to.equal(base.previousEnd)
      }
      for (const off of [cut, cut + 1n, E - 1n]) {
        expect(epochStateAfter(base, 3n * E + off, beta1, params), `offset ${off}`).to.equal(base)
      }
      // the input state is never mutated
      expect(toHex(base.rho)).to.equal(toHex(base.nonce))
    })

    it('contributions chain in order', () => {
      const s1 = epochStateAfter(base, 3n * E + 2n, beta1, params)
      const s2 = epochStateAfter(s1, 3n * E + 9n, beta2, params)
      const s3 = epochStateAfter(s2, 3n * E + 100n, H(utf8('late')), params)
      const expected = H(H(base.rho, H(NONCE_TAG, beta1)), H(NONCE_TAG, beta2))
      expect(toHex(s2.rho)).to.equal(toHex(expected))
      expect(s3).to.equal(s2)
      const swapped = epochStateAfter(epochStateAfter(base, 3n * E + 2n, beta2, params), 3n * E + 9n, beta1, params)
      expect(toHex(swapped.rho)).to.not.equal(toHex(s2.rho))
      // the next epoch's nonce is built from the final accumulator
      const next = epochStateForSlot(s3, genesisStakes, 4n * E, params)
      expect(toHex(next.nonce)).to.equal(toHex(H(expected, be64(4n))))
    })

    it('the cut is ⌊2·epochSlots/3⌋ for epoch lengths not divisible by 3', () => {
      for (const [epochSlots, n] of [[10n, 6n], [11n, 7n], [3n, 2n], [1n, 0n]] as Array<[bigint, bigint]>) {
        const p = { epochSlots }
        let count = 0n
        for (let s = 0n; s < epochSlots; s++) if (contributesToNonce(5n * epochSlots + s, p)) count++
        expect(count, `epochSlots ${epochSlots}`).to.equal(n)
        if (n > 0n) {
          expect(contributesToNonce(5n * epochSlots + n - 1n, p)).to.equal(true)
          expect(contributesToNonce(5n * epochSlots + n, p)).to.equal(false)
        }
      }
      const p10 = { ...params, epochSlots: 10n }
      const b = { ...base, epoch: 0n }
      expect(epochStateAfter(b, 5n, beta1, p10)).to.not.equal(b)
      expect(epochStateAfter(b, 6n, beta1, p10)).to.equal(b)
    })
  })

  describe('a three-epoch example (stakes of epoch e − 2)', () => {
    // epoch 0: b1 @5 (A bonds 400 more), b2 @100 (D bonds 1000; slot 100 ≥ 80: no nonce contribution)
    // epoch 1: b3 @130 (B unbonds all 300)
    // epoch 2: b4 @245; epoch 3: b5 @370
    const beta = (i: number): Uint8Array => H(utf8('example beta ' + i))
    const S1 = snap({ A: 500n, B: 300n, C: 600n })
    const S2 = snap({ A: 500n, B: 300n, C: 600n, D: 1000n })
    const S3 = snap({ A: 500n, C: 600n, D: 1000n })

    const g = genesisEpochState(params, genesisStakes)
    const v1 = epochStateForSlot(g, genesisStakes, 5n, params)
    const a1 = epochStateAfter(v1, 5n, beta(1), params)
    const v2 = epochStateForSlot(a1, S1, 100n, params)
    const a2 = epochStateAfter(v2, 100n, beta(2), params)
    const v3 = epochStateForSlot(a2, S2, 130n, params)
    const a3 = epochStateAfter(v3, 130n, beta(3), params)
    const v4 = epochStateForSlot(a3, S3, 245n, params)
    const a4 = epochStateAfter(v4, 245n, beta(4), params)
    const v5 = epochStateForSlot(a4, S3, 370n, params)

    it('distributions: genesis for epochs 0 and 1, end of epoch 0 for 2, end of epoch 1 for 3', () => {
      expect(v1).to.equal(g)
      expect(v2).to.equal(a1)
      expect(named(v1.distribution)).to.deep.equal({ stakes: { A: 100n, B: 300n, C: 600n }, total: 1000n })
      expect(named(v2.distribution)).to.deep.equal({ stakes: { A: 100n, B: 300n, C: 600n }, total: 1000n })
      // epoch 1 still uses genesis stakes, not the stakes changed in epoch 0
      expect(v3.epoch).to.equal(1n)
      expect(named(v3.distribution)).to.deep.equal({ stakes: { A: 100n, B: 300n, C: 600n }, total: 1000n })
      expect(named(v3.previousEnd)).to.deep.equal({ stakes: { A: 500n, B: 300n, C: 600n, D: 1000n }, total: 2400n })
      // epoch 2 uses the end of epoch 0 (B's unbonding in epoch 1 is not visible yet)
      expect(v4.epoch).to.equal(2n)
      expect(named(v4.distribution)).to.deep.equal({ stakes: { A: 500n, B: 300n, C: 600n, D: 1000n }, total: 2400n })
      expect(named(v4.previousEnd)).to.deep.equal({ stakes: { A: 500n, C: 600n, D: 1000n }, total: 2100n })
      // epoch 3 uses the end of epoch 1
      expect(v5.epoch).to.equal(3n)
      expect(named(v5.distribution)).to.deep.equal({ stakes: { A: 500n, C: 600n, D: 1000n }, total: 2100n })
      expect(stakeOf(v4.distribution, B.pk)).to.equal(300n * MEME)
      expect(stakeOf(v5.distribution, B.pk)).to.equal(0n)
    })

    it('nonces by hand', () => {
      const eta0 = params.initialNonce
      const rho0 = H(eta0, H(NONCE_TAG, beta(1))) // b2 @100 does not contribute
      const eta1 = H(rho0, be64(1n))
      const rho1 = H(eta1, H(NONCE_TAG, beta(3)))
      const eta2 = H(rho1, be64(2n))
      const rho2 = H(eta2, H(NONCE_TAG, beta(4)))
      const eta3 = H(rho2, be64(3n))
      expect(a2).to.equal(a1)
      expect(toHex(a2.rho)).to.equal(toHex(rho0))
      expect(toHex(v3.nonce)).to.equal(toHex(eta1))
      expect(toHex(v4.nonce)).to.equal(toHex(eta2))
      expect(toHex(v5.nonce)).to.equal(toHex(eta3))
    })

    it('D, bonded in epoch 0, can lead from epoch 2, never in epoch 1', () => {
      for (let s = 120n; s < 240n; s++) expect(tryLead(D.sk, D.pk, s, v3, params)).to.equal(undefined)
      expectRule(() => checkLeader(header(D, 130n, proofFor(D, 130n, v3)), v3, params), 'B-10', 'ERR_NOT_LEADER')
      let slot = 245n
      let lead = tryLead(D.sk, D.pk, slot, v4, params)
      while (lead === undefined && slot < 360n) lead = tryLead(D.sk, D.pk, ++slot, v4, params)
      expect(lead, 'D leads some slot of epoch 2').to.not.equal(undefined)
      if (lead === undefined) return
      const h = header(D, slot, lead.vrfProof)
      expect(toHex(checkLeader(h, v4, params))).to.equal(toHex(lead.beta))
      // the same header judged with epoch 1's stakes would not be eligible
      expectRule(() => checkLeader(h, { ...v4, distribution: v3.distribution }, params), 'B-10', 'ERR_NOT_LEADER')
    })
  })

  describe('leader election', () => {
    const SLOTS = 400n
    /** Non-leader (slot, key) pairs get a forged header with a valid proof in every STRIDE-th slot (a proof costs ~5 ms). */
    const STRIDE = 4n
    const validators = [A, B, C]
    const g = genesisEpochState(params, genesisStakes)
    // previousEnd (next epoch's stakes) must not influence leadership: a decoy with other fractions.
    const decoy = snap({ A: 5000n, B: 1n, C: 1n, D: 4000n })
    const stateOf = (slot: bigint): EpochState => ({ ...epochStateForSlot(g, genesisStakes, slot, params), previousEnd: decoy })

    // Slots 0..399 cross epochs 0..3, each with its own nonce.
    const wins = new Map<string, bigint[]>(validators.map((k) => [k.name, []]))
    const runs: Array<{ k: Key, slot: bigint, lead: ReturnType<typeof tryLead> }> = []
    before(() => {
      for (let slot = 0n; slot < SLOTS; slot++) {
        const st = stateOf(slot)
        for (const k of validators) {
          const lead = tryLead(k.sk, k.pk, slot, st, params)
          runs.push({ k, slot, lead })
          if (lead !== undefined) wins.get(k.name)?.push(slot)
        }
      }
    })

    it('tryLead ⇒ checkLeader accepts the produced header; not leader ⇒ B-10 for a forged one', () => {
      let leaders = 0
      let forged = 0
      for (const { k, slot, lead } of runs) {
        const st = stateOf(slot)
        if (lead !== undefined) {
          leaders++
          const h = header(k, slot, lead.vrfProof)
          const beta = checkLeader(h, st, params)
          expect(toHex(beta)).to.equal(toHex(lead.beta))
          expect(toHex(vrfProofToHash(lead.vrfProof))).to.equal(toHex(lead.beta))
          expect(toHex(vrfHash(k.sk, vrfAlpha(st.nonce, slot)))).to.equal(toHex(lead.beta))
          expect(lead.leaderValue).to.equal(leaderValue(lead.beta))
          expect(headerLeaderValue(h)).to.equal(lead.leaderValue)
        } else if (slot % STRIDE === 0n) {
          forged++
          const h = header(k, slot, proofFor(k, slot, st))
          expectRule(() => checkLeader(h, st, params), 'B-10', 'ERR_NOT_LEADER')
        }
      }
      expect(leaders).to.be.greaterThan(100)
      expect(forged).to.be.greaterThan(150)
    })

    it('a key without stake is never leader', () => {
      for (let slot = 0n; slot < SLOTS; slot++) {
        const st = stateOf(slot)
        // FAUCET is a genesis account with balance but no bond; D is absent from the distribution
        expect(tryLead(FAUCET.sk, FAUCET.pk, slot, st, params)).to.equal(undefined)
        expect(tryLead(D.sk, D.pk, slot, st, params)).to.equal(undefined)
      }
      // also when the account is listed with an explicit 0
      const zero = { ...g, distribution: snap({ A: 1n, faucet: 0n }) }
      expect(stakeOf(zero.distribution, FAUCET.pk)).to.equal(0n)
      for (let slot = 1n; slot < 50n; slot++) expect(tryLead(FAUCET.sk, FAUCET.pk, slot, zero, params)).to.equal(undefined)
      // a forged header with a valid proof is still not eligible
      for (const slot of [1n, 2n, 3n]) {
        expectRule(() => checkLeader(header(FAUCET, slot, proofFor(FAUCET, slot, g)), g, params), 'B-10', 'ERR_NOT_LEADER')
      }
    })

    it('a proof for another slot, nonce or key, or a malformed proof, is B-9', () => {
      const first = runs.find((r) => r.lead !== undefined && r.slot < params.epochSlots - 1n)
      expect(first).to.not.equal(undefined)
      if (first?.lead === undefined) return
      const { k, slot, lead } = first
      const st = stateOf(slot)
      // right slot and nonce: accepted
      expect(() => checkLeader(header(k, slot, lead.vrfProof), st, params)).to.not.throw()
      // the proof moved to the next slot of the same epoch
      expectRule(() => checkLeader(header(k, slot + 1n, lead.vrfProof), st, params), 'B-9', 'ERR_BAD_VRF')
      // same slot under another nonce
      const other = { ...st, nonce: H(utf8('another nonce')) }
      expectRule(() => checkLeader(header(k, slot, lead.vrfProof), other, params), 'B-9', 'ERR_BAD_VRF')
      // same slot and nonce, claimed by another proposer
      const thief = validators.find((x) => x !== k) as Key
      expectRule(() => checkLeader(header(thief, slot, lead.vrfProof), st, params), 'B-9', 'ERR_BAD_VRF')
      // a tampered or malformed proof
      const tampered = Uint8Array.from(lead.vrfProof)
      tampered[40] = (tampered[40] as number) ^ 1
      expectRule(() => checkLeader(header(k, slot, tampered), st, params), 'B-9', 'ERR_BAD_VRF')
      expectRule(() => checkLeader(header(k, slot, new Uint8Array(81).fill(7)), st, params), 'B-9', 'ERR_BAD_VRF')
      // a valid proof on another slot's input, placed at this slot
      expectRule(() => checkLeader(header(k, slot, vrfProve(k.sk, vrfAlpha(st.nonce, slot + 1n))), st, params), 'B-9', 'ERR_BAD_VRF')
    })

    it('leader frequency is within 4σ of 1 − (1 − f)^α for each stake fraction', () => {
      const f = 0.5
      const n = Number(SLOTS)
      let anyLeader = 0
      for (let slot = 0n; slot < SLOTS; slot++) {
        if (validators.some((k) => wins.get(k.name)?.includes(slot))) anyLeader++
      }
      for (const k of validators) {
        const alpha = Number(stakeOf(genesisStakes, k.pk)) / Number(genesisStakes.total)
        const p = 1 - Math.pow(1 - f, alpha)
        const sigma = Math.sqrt(n * p * (1 - p))
        const observed = wins.get(k.name)?.length ?? 0
        expect(Math.abs(observed - n * p), `${k.name}: α ${alpha}, ${observed} wins, expected ${(n * p).toFixed(1)} ± ${sigma.toFixed(1)}`)
          .to.be.at.most(4 * sigma)
      }
      // leaders are independent per key, so P(at least one leader) = 1 − (1 − f)^(Σα) = f
      const sigma = Math.sqrt(n * f * (1 - f))
      expect(Math.abs(anyLeader - n * f), `${anyLeader} slots with a leader`).to.be.at.most(4 * sigma)
      // more stake, more slots (deterministic for these keys and nonces)
      expect(wins.get('A')?.length ?? 0).to.be.lessThan(wins.get('C')?.length ?? 0)
    })
  })

  describe('header checks', () => {
    const parent: ParentInfo = { hash: params.genesisHash, height: 0n, slot: 0n }
    const proof = new Uint8Array(81).fill(7)

    it('accepts a well-formed child and names each broken rule', () => {
      expect(() => checkHeaderAgainstParent(header(A, 1n, proof), parent, params)).to.not.throw()
      expectRule(() => checkHeaderAgainstParent(header(A, 1n, proof, { chainId: new Uint8Array(8) }), parent, params), 'B-2', 'ERR_WRONG_CHAIN')
      expectRule(() => checkHeaderAgainstParent(header(A, 1n, proof, { parentHash: H(utf8('x')) }), parent, params), 'B-5', 'ERR_WRONG_PARENT')
      expectRule(() => checkHeaderAgainstParent(header(A, 1n, proof, { height: 2n }), parent, params), 'B-6', 'ERR_BAD_HEIGHT')
      expectRule(() => checkHeaderAgainstParent(header(A, 5n, proof, { height: 2n }), { ...parent, height: 1n, slot: 5n }, params), 'B-7', 'ERR_SLOT_NOT_INCREASING')
      expectRule(() => checkHeaderAgainstParent(header(A, 0n, proof), parent, params), 'B-7', 'ERR_SLOT_NOT_INCREASING')
      const h = header(A, 1n, proof)
      const wrongSigner: SignedHeader = { ...h, header: { ...h.header, proposer: B.pk } }
      expectRule(() => checkHeaderAgainstParent(wrongSigner, parent, params), 'B-8', 'ERR_BAD_HEADER_SIGNATURE')
    })

    it('checkTxRoot: the empty block commits to the empty root', () => {
      const h = header(A, 1n, proof)
      const block: Block = { bytes: new Uint8Array(0), header: h, txs: [] }
      expect(() => checkTxRoot(block)).to.not.throw()
      const bad: Block = { ...block, header: header(A, 1n, proof, { txRoot: H(utf8('not empty')) }) }
      expectRule(() => checkTxRoot(bad), 'B-11', 'ERR_BAD_TX_ROOT')
    })
  })

  describe('compareTips', () => {
    const hash = (b: number): Uint8Array => new Uint8Array(32).fill(b)
    const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0)

    it('prefers height, then the lower leader value, then the lower hash', () => {
      const t = (height: bigint, lv: bigint, h: number): TipInfo => ({ height, leaderValue: lv, hash: hash(h) })
      expect(compareTips(t(5n, 900n, 9), t(4n, 1n, 1))).to.be.lessThan(0)
      expect(compareTips(t(4n, 1n, 1), t(5n, 900n, 9))).to.be.greaterThan(0)
      expect(compareTips(t(5n, 1n, 9), t(5n, 2n, 1))).to.be.lessThan(0)
      expect(compareTips(t(5n, 2n, 1), t(5n, 1n, 9))).to.be.greaterThan(0)
      expect(compareTips(t(5n, 2n, 1), t(5n, 2n, 2))).to.be.lessThan(0)
      expect(compareTips(t(5n, 2n, 2), t(5n, 2n, 1))).to.be.greaterThan(0)
      expect(compareTips(t(5n, 2n, 2), t(5n, 2n, 2))).to.equal(0)
      // leader values beyond 2^53 compare exactly
      const big1 = (1n << 255n) + 1n
      expect(compareTips(t(1n, big1, 9), t(1n, big1 + 1n, 0))).to.be.lessThan(0)
    })

    it('is antisymmetric, total and transitive on random tips', () => {
      const rng = new Prng('compareTips')
      const tips: TipInfo[] = []
      for (let i = 0; i < 60; i++) {
        // small ranges so that every tie-break level is exercised
        tips.push({ height: rng.below(3n), leaderValue: rng.below(4n) << 250n, hash: hash(rng.int(4)) })
      }
      const key = (t: TipInfo): string => `${t.height}/${t.leaderValue}/${toHex(t.hash)}`
      for (const a of tips) {
        for (const b of tips) {
          const ab = sign(compareTips(a, b))
          expect(ab).to.equal(-sign(compareTips(b, a)))
          expect(ab === 0).to.equal(key(a) === key(b))
          if (a.height !== b.height) expect(ab).to.equal(a.height > b.height ? -1 : 1)
          else if (a.leaderValue !== b.leaderValue) expect(ab).to.equal(a.leaderValue < b.leaderValue ? -1 : 1)
        }
      }
      for (const a of tips) {
        for (const b of tips) {
          if (compareTips(a, b) > 0) continue
          for (const c of tips) {
            if (compareTips(b, c) <= 0) expect(compareTips(a, c)).to.be.at.most(0)
          }
        }
      }
      const sorted = [...tips].sort(compareTips)
      for (let i = 1; i < sorted.length; i++) expect(compareTips(sorted[i - 1] as TipInfo, sorted[i] as TipInfo)).to.be.at.most(0)
      expect(sorted[0]?.height).to.equal(tips.reduce((m, t) => (t.height > m ? t.height : m), 0n))
    })
  })
})
