/**
 * The running chain (src/chain/chain.ts): import pipeline, the typed refusals of SPEC §12 B-*,
 * fork choice and reorgs, orphans, settlement (B-13), equivocation evidence and the mempool after
 * a reorg. Every refusal is asserted by its ValidationError `rule` and `code`, never its message.
 * Deterministic: keys derive from labels, the clock is the fixture's.
 */
import { expect } from 'chai'
import { bigIntToBytes, bytesToBigInt, concatBytes, toHex, utf8 } from '../../src/core/bytes.ts'
import { MAX_EPOCH_SKIP, headerLeaderValue, slotStart, vrfAlpha } from '../../src/core/consensus.ts'
import { MemecoinError, ValidationError } from '../../src/core/errors.ts'
import { sha256 } from '../../src/core/hash.ts'
import { CURVE_N } from '../../src/core/secp256k1.ts'
import { HEADER_DOMAIN, TX_DOMAIN, signBytes } from '../../src/core/signing.ts'
import type { Block, SignedTx } from '../../src/core/types.ts'
import { vrfProve, vrfVerify } from '../../src/core/vrf.ts'
import type { BlockNode, HeadChange } from '../../src/chain/chain.ts'
import { leadership, produceBlock, produceBlockApplied, type Leadership } from '../../src/chain/producer.ts'
import { Mempool } from '../../src/chain/mempool.ts'
import { SigCache } from '../../src/chain/sig-cache.ts'
import { mempoolChangeOf, mempoolView } from '../../src/chain/views.ts'
import { Prng } from '../../src/sim/prng.ts'
import { encodeSignedHeader } from '../../src/wire/header.ts'
import { decodeTx, encodeTx } from '../../src/wire/tx.ts'
import { buildEvidence, buildTransfer } from '../../src/wallet/transactions.ts'
import {
  MEME, extend, hexOf, importAll, keyFromLabel, makeFixture, nextBlock, resign, slotNotLed, snapshot, stateForSlot,
  transfer, wireMempool, withSignedHeader, type ChainFixture, type TestKey
} from '../helpers/chain-fixture.ts'

/** Runs `fn`, expecting a ValidationError with exactly this rule and code; returns it. */
function refused (fn: () => unknown, rule: string, code: string): ValidationError {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught, `expected ${rule} ${code}`).to.be.instanceOf(ValidationError)
  const e = caught as ValidationError
  expect({ rule: e.rule, code: e.code }).to.deep.equal({ rule, code })
  return e
}

const ids = (txs: readonly SignedTx[]): string[] => txs.map((t) => toHex(t.id))
const hexes = (nodes: ReadonlyArray<{ hex: string }>): string[] => nodes.map((n) => n.hex)
const leaderOf = (b: Block): bigint => headerLeaderValue(b.header)
/** The canonical blocks of `chain` above genesis. */
function blocksOf (chain: { head: { height: bigint }, blockAt: (h: bigint) => { block?: Block | undefined } | undefined }): Block[] {
  const out: Block[] = []
  for (let h = 1n; h <= chain.head.height; h++) out.push(chain.blockAt(h)?.block as Block)
  return out
}
const flipByte = (b: Uint8Array, i: number): Uint8Array => { const c = b.slice(); c[i] = (c[i] as number) ^ 0x01; return c }

describe('chain: import, fork choice, settlement, equivocation', function () {
  describe('happy path', () => {
    it('imports blocks from several validators: head, height and settled height advance, onHeadChange carries the included txs', () => {
      const fx = makeFixture()
      const chain = fx.newChain()
      const changes: HeadChange[] = []
      chain.onHeadChange((c) => changes.push(c))
      const proposers = new Set<string>()
      const count = 16
      for (let i = 1; i <= count; i++) {
        const txs = i === 5 ? [transfer(fx, chain, fx.faucet, fx.outsider.id, 5n * MEME)] : []
        const b = nextBlock(fx, chain, { txs })
        expect(b.txs.length).to.equal(txs.length)
        const r = chain.importBlock(b)
        expect(r.status).to.equal('head')
        expect(r.adopted).to.equal(0)
        expect(r.equivocation).to.equal(undefined)
        expect(chain.head.hex).to.equal(hexOf(b))
        expect(chain.head.height).to.equal(BigInt(i))
        expect(chain.head.status).to.equal('valid')
        expect(chain.settledHeight).to.equal(i > 3 ? BigInt(i - 3) : 0n)
        expect(chain.settled.height).to.equal(chain.settledHeight)
        expect(chain.blockAt(BigInt(i))?.hex).to.equal(hexOf(b))
        expect(toHex(chain.ledger.root())).to.equal(toHex(b.header.header.stateRoot))
        expect(changes.length).to.equal(i)
        const c = changes[i - 1] as HeadChange
        expect(c.head.hex).to.equal(hexOf(b))
        expect(hexes(c.applied)).to.deep.equal([hexOf(b)])
        expect(c.undone).to.deep.equal([])
        expect(c.orphaned).to.deep.equal([])
        expect(ids(c.included)).to.deep.equal(ids(b.txs))
        // the touched accounts and their hex keys, pairwise (persistence keys the journal by them)
        expect(c.touchedKeys).to.deep.equal(c.touchedAccounts.map(toHex))
        if (i === 5) expect(c.touchedKeys).to.include.members([fx.faucet.id, fx.outsider.id].map(toHex))
        proposers.add(toHex(b.header.header.proposer))
      }
      expect(proposers.size, 'blocks from several validators').to.be.greaterThan(1)
      expect(chain.head.slot > fx.params.epochSlots, 'the run crosses an epoch boundary').to.equal(true)
      expect(chain.stats.reorgs).to.equal(0)
      // a second node fed the same blocks reaches the same state
      const other = fx.newChain()
      importAll(other, blocksOf(chain))
      expect(snapshot(other)).to.deep.equal(snapshot(chain))
    })

    it('a transfer included in a block moves balances, pays the fee to the proposer, and mints the block reward', () => {
      const fx = makeFixture()
      const chain = fx.newChain()
      extend(fx, chain, 2)
      const amount = 7n * MEME
      const fee = 5000n
      const tx = transfer(fx, chain, fx.faucet, fx.outsider.id, amount, { fee })
      const b = nextBlock(fx, chain, { txs: [tx] })
      const proposer = fx.keyOf(b.header.header.proposer)
      const faucetBefore = chain.account(fx.faucet.id)?.balance as bigint
      const proposerBefore = chain.account(proposer.id)?.balance as bigint
      const supplyBefore = chain.ledger.supply()
      expect(chain.account(fx.outsider.id)).to.equal(undefined)
      const r = chain.importBlock(b)
      expect(ids(r.change?.included ?? [])).to.deep.equal([toHex(tx.id)])
      expect(chain.account(fx.outsider.id)?.balance).to.equal(amount)
      expect(chain.account(fx.faucet.id)?.balance).to.equal(faucetBefore - amount - fee)
      expect(chain.account(fx.faucet.id)?.nonce).to.equal(1n)
      expect(chain.account(proposer.id)?.balance).to.equal(proposerBefore + fx.params.blockReward + fee)
      expect(chain.ledger.supply()).to.equal(supplyBefore + fx.params.blockReward)
      expect(r.node.minted).to.equal(fx.params.blockReward)
      expect(r.node.burned).to.equal(0n)
    })
  })

  describe('refused blocks (typed errors; head and ledger unchanged; a later valid block still imports)', () => {
    interface Setup { fx: ChainFixture, chain: ReturnType<ChainFixture['newChain']>, tx: SignedTx, valid: Block, proposer: TestKey, before: ReturnType<typeof snapshot> }

    /** A chain at height 4 and a valid, not yet imported block with one transfer on its head. */
    function setup (): Setup {
      const fx = makeFixture()
      const chain = fx.newChain()
      extend(fx, chain, 4)
      const tx = transfer(fx, chain, fx.faucet, fx.outsider.id, MEME)
      const valid = nextBlock(fx, chain, { txs: [tx] })
      return { fx, chain, tx, valid, proposer: fx.keyOf(valid.header.header.proposer), before: snapshot(chain) }
    }

    /** The refusal left no trace in the head or ledger, and the valid block still becomes the head. */
    function unchangedThenValid (s: Setup, bad: Block): void {
      expect(snapshot(s.chain)).to.deep.equal(s.before)
      expect(s.chain.getNode(bad.header.hash)).to.equal(undefined)
      const r = s.chain.importBlock(s.valid)
      expect(r.status).to.equal('head')
      expect(s.chain.head.hex).to.equal(hexOf(s.valid))
      expect(s.chain.account(s.fx.outsider.id)?.balance).to.equal(MEME)
      // and the chain goes on
      const next = nextBlock(s.fx, s.chain)
      expect(s.chain.importBlock(next).status).to.equal('head')
    }

    it('B-4 ERR_FUTURE_SLOT: a block more than MAX_EPOCH_SKIP epochs after its parent is IGNOREd every time, never cached as invalid', () => {
      const s = setup()
      const slot = (MAX_EPOCH_SKIP + 5n) * s.fx.params.epochSlots
      s.fx.reachSlot(slot)
      const far = resign(s.fx, s.valid, (h) => { h.slot = slot })
      refused(() => s.chain.importBlock(far), 'B-4', 'ERR_FUTURE_SLOT')
      refused(() => s.chain.importBlock(far), 'B-4', 'ERR_FUTURE_SLOT')
      expect(s.chain.hasSeen(far.header.hash)).to.equal(false)
    })

    it('B-9 ERR_BAD_VRF: a flipped proof byte, re-signed by the proposer (valid signature)', () => {
      const s = setup()
      const bad = resign(s.fx, s.valid, (h) => { h.vrfProof = flipByte(h.vrfProof, 80) })
      refused(() => s.chain.importBlock(bad), 'B-9', 'ERR_BAD_VRF')
      unchangedThenValid(s, bad)
    })

    it("B-9 ERR_BAD_VRF: the proposer's valid proof for another slot, in a correctly signed header", () => {
      const s = setup()
      const slot = s.valid.header.header.slot
      const other = slot + 1n
      const proof = vrfProve(s.proposer.privateKey, vrfAlpha(stateForSlot(s.chain, other).nonce, other))
      expect(vrfVerify(s.proposer.publicKey, proof, vrfAlpha(stateForSlot(s.chain, other).nonce, other))).to.not.equal(undefined)
      const bad = resign(s.fx, s.valid, (h) => { h.vrfProof = proof })
      refused(() => s.chain.importBlock(bad), 'B-9', 'ERR_BAD_VRF')
      unchangedThenValid(s, bad)
    })

    it('B-9 ERR_BAD_VRF: a proof whose Gamma is not a curve point', () => {
      const s = setup()
      const bad = resign(s.fx, s.valid, (h) => { const p = h.vrfProof.slice(); p[0] = 0x05; h.vrfProof = p })
      refused(() => s.chain.importBlock(bad), 'B-9', 'ERR_BAD_VRF')
      unchangedThenValid(s, bad)
    })

    it('B-10 ERR_NOT_LEADER: a key with no stake, with a valid VRF proof and a correctly signed header', () => {
      const s = setup()
      const slot = s.valid.header.header.slot
      const alpha = vrfAlpha(stateForSlot(s.chain, slot).nonce, slot)
      const proof = vrfProve(s.fx.outsider.privateKey, alpha)
      expect(vrfVerify(s.fx.outsider.publicKey, proof, alpha), 'the proof itself is valid').to.not.equal(undefined)
      const bad = resign(s.fx, s.valid, (h) => { h.proposer = s.fx.outsider.publicKey; h.vrfProof = proof }, { key: s.fx.outsider })
      refused(() => s.chain.importBlock(bad), 'B-10', 'ERR_NOT_LEADER')
      unchangedThenValid(s, bad)
    })

    it('B-10 ERR_NOT_LEADER: a staked validator in a slot it does not lead, with a valid VRF proof', () => {
      const s = setup()
      const v = s.fx.validators[0] as TestKey
      const slot = slotNotLed(s.chain, v, s.chain.head.slot + 1n)
      s.fx.reachSlot(slot)
      const alpha = vrfAlpha(stateForSlot(s.chain, slot).nonce, slot)
      const proof = vrfProve(v.privateKey, alpha)
      expect(vrfVerify(v.publicKey, proof, alpha)).to.not.equal(undefined)
      const bad = resign(s.fx, s.valid, (h) => { h.slot = slot; h.proposer = v.publicKey; h.vrfProof = proof }, { key: v })
      refused(() => s.chain.importBlock(bad), 'B-10', 'ERR_NOT_LEADER')
      unchangedThenValid(s, bad)
    })

    it('B-12 ERR_BAD_STATE_ROOT: a wrong state root, re-signed; the same block again is ERR_KNOWN_INVALID', () => {
      const s = setup()
      const bad = resign(s.fx, s.valid, (h) => { h.stateRoot = sha256(utf8('not the state')) })
      refused(() => s.chain.importBlock(bad), 'B-12', 'ERR_BAD_STATE_ROOT')
      expect(s.chain.hasSeen(bad.header.hash)).to.equal(true)
      refused(() => s.chain.importBlock(bad), 'B-12', 'ERR_KNOWN_INVALID')
      unchangedThenValid(s, bad)
    })

    it('B-11 ERR_BAD_TX_ROOT: a wrong tx root, re-signed', () => {
      const s = setup()
      const bad = resign(s.fx, s.valid, (h) => { h.txRoot = sha256(utf8('not the txs')) })
      refused(() => s.chain.importBlock(bad), 'B-11', 'ERR_BAD_TX_ROOT')
      unchangedThenValid(s, bad)
    })

    it('B-11 ERR_BAD_TX_ROOT: other transactions under the valid signed header do not poison the valid block', () => {
      const s = setup()
      const other = transfer(s.fx, s.chain, s.fx.faucet, s.fx.outsider.id, 2n * MEME)
      const bad = withSignedHeader(s.valid.header.bytes, [other])
      expect(hexOf(bad)).to.equal(hexOf(s.valid), 'same header, hence same block hash')
      refused(() => s.chain.importBlock(bad), 'B-11', 'ERR_BAD_TX_ROOT')
      expect(snapshot(s.chain)).to.deep.equal(s.before)
      // the header is fine; only that body was wrong: the real block must still import
      expect(s.chain.hasSeen(s.valid.header.hash)).to.equal(false)
      expect(s.chain.importBlock(s.valid).status).to.equal('head')
      expect(s.chain.account(s.fx.outsider.id)?.balance).to.equal(MEME)
    })

    it('B-11 ERR_BAD_TX_ROOT: other transactions under a valid signed header whose parent is unknown are not kept as the orphan', () => {
      const s = setup()
      const child = nextBlock(s.fx, s.fx.chainWith([...blocksOf(s.chain), s.valid]), { txs: [transfer(s.fx, s.chain, s.fx.faucet, s.fx.outsider.id, MEME, { nonce: 1n })] })
      const other = transfer(s.fx, s.chain, s.fx.faucet, s.fx.outsider.id, 2n * MEME, { nonce: 1n })
      const bad = withSignedHeader(child.header.bytes, [other])
      refused(() => s.chain.importBlock(bad), 'B-11', 'ERR_BAD_TX_ROOT')
      expect(s.chain.orphanCount).to.equal(0)
      // the real child is kept as an orphan and adopted when its parent arrives
      refused(() => s.chain.importBlock(child), 'B-5', 'ERR_UNKNOWN_PARENT')
      const r = s.chain.importBlock(s.valid)
      expect(r.adopted).to.equal(1)
      expect(s.chain.head.hex).to.equal(hexOf(child))
    })

    it('B-4 ERR_FUTURE_SLOT: refused until the clock reaches slot start − 500 ms (IGNORE: the block is not marked invalid)', () => {
      const s = setup()
      const start = slotStart(s.valid.header.header.slot, s.fx.params)
      s.fx.clock.t = start - 501n
      refused(() => s.chain.importBlock(s.valid), 'B-4', 'ERR_FUTURE_SLOT')
      expect(s.chain.hasSeen(s.valid.header.hash)).to.equal(false)
      expect(snapshot(s.chain)).to.deep.equal(s.before)
      s.fx.clock.t = start - 500n
      expect(s.chain.importBlock(s.valid).status).to.equal('head')
    })

    it('B-8 ERR_BAD_HEADER_SIGNATURE: a header signed by another key', () => {
      const s = setup()
      const other = s.fx.validators.find((v) => v !== s.proposer) as TestKey
      const hb = s.valid.header.headerBytes
      const bad = withSignedHeader(encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, other.privateKey)), s.valid.txs)
      refused(() => s.chain.importBlock(bad), 'B-8', 'ERR_BAD_HEADER_SIGNATURE')
      unchangedThenValid(s, bad)
    })

    it('B-8 ERR_BAD_HEADER_SIGNATURE: the high-S twin of the valid signature (malleated)', () => {
      const s = setup()
      const sig = s.valid.header.signature
      const highS = concatBytes(sig.subarray(0, 32), bigIntToBytes(CURVE_N - bytesToBigInt(sig.subarray(32)), 32))
      const bad = withSignedHeader(encodeSignedHeader(s.valid.header.headerBytes, highS), s.valid.txs)
      expect(hexOf(bad)).to.not.equal(hexOf(s.valid))
      refused(() => s.chain.importBlock(bad), 'B-8', 'ERR_BAD_HEADER_SIGNATURE')
      unchangedThenValid(s, bad)
    })

    it('B-8 ERR_BAD_HEADER_SIGNATURE: a header signed in the transaction domain', () => {
      const s = setup()
      const hb = s.valid.header.headerBytes
      const bad = withSignedHeader(encodeSignedHeader(hb, signBytes(TX_DOMAIN, hb, s.proposer.privateKey)), s.valid.txs)
      refused(() => s.chain.importBlock(bad), 'B-8', 'ERR_BAD_HEADER_SIGNATURE')
      unchangedThenValid(s, bad)
    })

    it('B-6 ERR_BAD_HEIGHT: height ≠ parent height + 1', () => {
      const s = setup()
      const bad = resign(s.fx, s.valid, (h) => { h.height += 1n })
      refused(() => s.chain.importBlock(bad), 'B-6', 'ERR_BAD_HEIGHT')
      unchangedThenValid(s, bad)
    })

    it('B-7 ERR_SLOT_NOT_INCREASING: slot equal to the parent slot', () => {
      const s = setup()
      const bad = resign(s.fx, s.valid, (h) => { h.slot = s.chain.head.slot })
      refused(() => s.chain.importBlock(bad), 'B-7', 'ERR_SLOT_NOT_INCREASING')
      unchangedThenValid(s, bad)
    })

    it('B-2 ERR_WRONG_CHAIN: another chain id', () => {
      const s = setup()
      const bad = resign(s.fx, s.valid, (h) => { h.chainId = sha256(utf8('another chain')).subarray(0, 8) })
      refused(() => s.chain.importBlock(bad), 'B-2', 'ERR_WRONG_CHAIN')
      unchangedThenValid(s, bad)
    })

    it('B-2 ERR_WRONG_CHAIN: a valid block of another devnet', () => {
      const s = setup()
      const fx2 = makeFixture({ name: 'another-devnet' })
      const foreign = nextBlock(fx2, fx2.newChain())
      s.fx.reachSlot(foreign.header.header.slot)
      refused(() => s.chain.importBlock(foreign), 'B-2', 'ERR_WRONG_CHAIN')
      unchangedThenValid(s, foreign)
    })

    it('B-3 ERR_KNOWN_BLOCK: the same block twice', () => {
      const s = setup()
      s.chain.importBlock(s.valid)
      const after = snapshot(s.chain)
      refused(() => s.chain.importBlock(s.valid), 'B-3', 'ERR_KNOWN_BLOCK')
      expect(snapshot(s.chain)).to.deep.equal(after)
    })

    describe('B-12 ERR_INVALID_TX: a block containing an invalid transaction (details name its index, rule and code)', () => {
      const cases: Array<{ name: string, index: number, rule: string, code: string, txs: (s: Setup) => SignedTx[] }> = [
        { name: 'nonce gap', index: 1, rule: 'TX-6', code: 'ERR_NONCE_GAP', txs: (s) => [s.tx, transfer(s.fx, s.chain, s.fx.faucet, s.fx.outsider.id, MEME, { nonce: 5n })] },
        { name: 'replayed nonce', index: 1, rule: 'TX-6', code: 'ERR_NONCE_TOO_LOW', txs: (s) => [s.tx, s.tx] },
        { name: 'no balance', index: 0, rule: 'TX-7', code: 'ERR_INSUFFICIENT_BALANCE', txs: (s) => [transfer(s.fx, s.chain, s.fx.outsider, s.fx.faucet.id, 1n)] },
        {
          name: 'bad signature', index: 1, rule: 'TX-3', code: 'ERR_BAD_SIGNATURE',
          txs: (s) => {
            const t = transfer(s.fx, s.chain, s.fx.faucet, s.fx.outsider.id, MEME, { nonce: 1n })
            return [s.tx, decodeTx(encodeTx(t.bodyBytes, signBytes(TX_DOMAIN, t.bodyBytes, s.fx.outsider.privateKey)))]
          }
        },
        {
          name: 'another chain', index: 0, rule: 'TX-2', code: 'ERR_WRONG_CHAIN',
          txs: (s) => [decodeTx(buildTransfer({ chainId: sha256(utf8('x')).subarray(0, 8), privateKey: s.fx.faucet.privateKey, nonce: 0n, fee: s.fx.params.minFee, to: s.fx.outsider.id, amount: 1n }).bytes)]
        },
        {
          name: 'fee below minFee', index: 0, rule: 'TX-5', code: 'ERR_FEE_TOO_LOW',
          txs: (s) => [transfer(s.fx, s.chain, s.fx.faucet, s.fx.outsider.id, MEME, { fee: s.fx.params.minFee - 1n })]
        }
      ]
      for (const c of cases) {
        it(c.name, () => {
          const s = setup()
          const txs = c.txs(s)
          const bad = resign(s.fx, s.valid, () => {}, { txs, fixTxRoot: true })
          const e = refused(() => s.chain.importBlock(bad), 'B-12', 'ERR_INVALID_TX')
          expect(e.details).to.deep.include({ index: c.index, txId: toHex((txs[c.index] as SignedTx).id), rule: c.rule, code: c.code })
          unchangedThenValid(s, bad)
        })
      }
    })
  })

  describe('a block this node produced (importProduced: its transition applied once)', () => {
    /** The first slot from `from` that one of the fixture's validators leads on `chain`'s head. */
    function firstLed (fx: ChainFixture, chain: ReturnType<ChainFixture['newChain']>, from: bigint): { key: TestKey, slot: bigint, lead: Leadership } {
      for (let slot = from; slot < from + 500n; slot++) {
        for (const key of fx.validators) {
          const lead = leadership(chain, key, slot)
          if (lead !== undefined) return { key, slot, lead }
        }
      }
      throw new Error('no led slot')
    }

    it('becomes the head with exactly the state, root and undo record of the same block imported as any other', () => {
      const fx = makeFixture()
      // its transaction's signature known valid, as a mempool's is
      const cache = new SigCache()
      const mine = fx.newChain({ sigCache: cache })
      const other = fx.newChain()
      extend(fx, mine, 2)
      for (let h = 1n; h <= 2n; h++) other.importBlock(mine.blockAt(h)?.block as Block)
      const tx = transfer(fx, mine, fx.faucet, fx.outsider.id, 5n * MEME)
      cache.add(tx)
      const { key, slot, lead } = firstLed(fx, mine, mine.head.slot + 1n)
      const { block, applied } = produceBlockApplied(mine, key, slot, lead, [tx])
      // the ledger holds the block's transition while the head is still its parent
      expect(toHex(mine.ledger.root())).to.equal(toHex(block.header.header.stateRoot))
      expect(mine.head.height).to.equal(2n)
      fx.reachSlot(slot)
      // the import writes nothing to the ledger (no journal opened): the transition is kept
      const begin = mine.ledger.begin.bind(mine.ledger)
      let journals = 0
      mine.ledger.begin = () => { journals++; return begin() }
      const r = mine.importProduced(block, applied)
      mine.ledger.begin = begin
      expect(journals).to.equal(0)
      expect(r.status).to.equal('head')
      other.importBlock(block)
      for (const c of [mine, other]) {
        expect(c.head.hex).to.equal(hexOf(block))
        expect(toHex(c.ledger.root())).to.equal(toHex(block.header.header.stateRoot))
      }
      expect(toHex(mine.head.undo as Uint8Array)).to.equal(toHex(other.head.undo as Uint8Array))
      expect(mine.ledger.get(fx.outsider.id)).to.deep.equal(other.ledger.get(fx.outsider.id))
      // and undoes like any other: a longer branch from a twin replaces it on both
      const twin = fx.chainWith([mine.blockAt(1n)?.block as Block, mine.blockAt(2n)?.block as Block])
      const branch = extend(fx, twin, 2, { keys: fx.validators.filter((v) => v !== key) })
      for (const b of branch) { mine.importBlock(b); other.importBlock(b) }
      expect(mine.head.hex).to.equal(hexOf(branch[1] as Block))
      expect(toHex(mine.ledger.root())).to.equal(toHex(other.ledger.root()))
      expect(toHex(mine.ledger.root())).to.equal(toHex((branch[1] as Block).header.header.stateRoot))
    })

    it('an import that fails leaves the ledger as the head has it, and a later block still imports', () => {
      const fx = makeFixture()
      const chain = fx.newChain()
      extend(fx, chain, 1)
      const before = toHex(chain.ledger.root())
      const tx = transfer(fx, chain, fx.faucet, fx.outsider.id, 5n * MEME)
      // a slot far ahead of the clock: B-4 refuses it before anything is applied
      const { key, slot, lead } = firstLed(fx, chain, chain.head.slot + 20n)
      const { block, applied } = produceBlockApplied(chain, key, slot, lead, [tx])
      expect(toHex(chain.ledger.root())).to.not.equal(before)
      refused(() => chain.importProduced(block, applied), 'B-4', 'ERR_FUTURE_SLOT')
      expect(toHex(chain.ledger.root())).to.equal(before)
      expect(chain.head.height).to.equal(1n)
      expect(chain.ledger.get(fx.outsider.id)).to.equal(undefined)
      // the same transaction in a later block applies once
      extend(fx, chain, 1, { txs: [tx] })
      expect(chain.head.height).to.equal(2n)
      expect(chain.ledger.get(fx.outsider.id)?.balance).to.equal(5n * MEME)
    })

    it('produceBlockApplied refuses a head that moved since its leadership was found', () => {
      const fx = makeFixture()
      const chain = fx.newChain()
      const { key, slot, lead } = firstLed(fx, chain, 1n)
      extend(fx, chain, 1)
      const root = toHex(chain.ledger.root())
      expect(() => produceBlockApplied(chain, key, slot, lead, [])).to.throw(MemecoinError)
      expect(toHex(chain.ledger.root())).to.equal(root)
    })

    it('without a signature cache, a produced block is undone and applied again with its signatures checked', () => {
      const fx = makeFixture()
      const chain = fx.newChain()
      const tx = transfer(fx, chain, fx.faucet, fx.outsider.id, 5n * MEME)
      const { key, slot, lead } = firstLed(fx, chain, 1n)
      const { block, applied } = produceBlockApplied(chain, key, slot, lead, [tx])
      fx.reachSlot(slot)
      const begin = chain.ledger.begin.bind(chain.ledger)
      let journals = 0
      chain.ledger.begin = () => { journals++; return begin() }
      expect(chain.importProduced(block, applied).status).to.equal('head')
      chain.ledger.begin = begin
      // undone (one journal) and applied with its signature checked (another)
      expect(journals).to.equal(2)
      expect(toHex(chain.ledger.root())).to.equal(toHex(block.header.header.stateRoot))
      expect(chain.ledger.get(fx.outsider.id)?.balance).to.equal(5n * MEME)
    })
  })

  describe('settlement (B-13), k = 3', () => {
    /** A main chain of height 6 by alice and bob (settled height 3). */
    function mainChain (): { fx: ChainFixture, chain: ReturnType<ChainFixture['newChain']>, main: Block[], carol: TestKey } {
      const fx = makeFixture()
      const [alice, bob, carol] = fx.validators as [TestKey, TestKey, TestKey]
      const chain = fx.newChain()
      const main = extend(fx, chain, 6, { keys: [alice, bob] })
      expect(chain.settledHeight).to.equal(3n)
      return { fx, chain, main, carol }
    }

    it('a longer private fork from below the settled height is refused (ERR_BELOW_SETTLED, then unknown parents), head and root unchanged', () => {
      const { fx, chain, main, carol } = mainChain()
      const before = snapshot(chain)
      // carol's private fork from height 2 (one below the settled height 3), longer than the main chain
      const priv = fx.chainWith(main.slice(0, 2))
      const fork = extend(fx, priv, 7, { keys: [carol] })
      expect(priv.head.height).to.equal(9n)
      expect(priv.head.height > chain.head.height, 'the fork is longer').to.equal(true)
      refused(() => chain.importBlock(fork[0] as Block), 'B-13', 'ERR_BELOW_SETTLED')
      for (const b of fork.slice(1)) refused(() => chain.importBlock(b), 'B-5', 'ERR_UNKNOWN_PARENT')
      expect(snapshot(chain)).to.deep.equal(before)
      expect(chain.stats.reorgs).to.equal(0)
      // the fork's blocks wait for a parent that will never be accepted
      expect(chain.missingParents().map(toHex)).to.deep.equal([hexOf(fork[0] as Block)])
      refused(() => chain.importBlock(fork[0] as Block), 'B-13', 'ERR_BELOW_SETTLED')
      expect(snapshot(chain)).to.deep.equal(before)
      // the main chain goes on
      expect(chain.importBlock(nextBlock(fx, chain, { keys: fx.validators.slice(0, 2) })).status).to.equal('head')
    })

    it('a fork from exactly the settled height may still win: a reorg of depth k', () => {
      const { fx, chain, main, carol } = mainChain()
      const changes: HeadChange[] = []
      chain.onHeadChange((c) => changes.push(c))
      const priv = fx.chainWith(main.slice(0, 3))
      const fork = extend(fx, priv, 4, { keys: [carol] })
      importAll(chain, fork)
      expect(chain.head.hex).to.equal(hexOf(fork[3] as Block))
      const reorgs = changes.filter((c) => c.undone.length > 0)
      expect(reorgs.length).to.equal(1)
      expect(hexes((reorgs[0] as HeadChange).undone)).to.deep.equal([main[5], main[4], main[3]].map((b) => hexOf(b as Block)))
      expect(chain.stats.maxReorgDepth).to.equal(3)
      expect(toHex(chain.ledger.root())).to.equal(toHex(priv.ledger.root()))
      // undone blocks' accounts come from decoded undo records (no keys kept): converted, same pairing
      const reorg = reorgs[0] as HeadChange
      expect(reorg.touchedKeys).to.deep.equal(reorg.touchedAccounts.map(toHex))
      expect(new Set(reorg.touchedKeys).size).to.equal(reorg.touchedKeys.length)
    })
  })

  describe('fork choice', () => {
    it('two blocks at the same height: the lower leader value is the head, in either arrival order', () => {
      const fx = makeFixture()
      const [alice, bob] = fx.validators as [TestKey, TestKey]
      const g = fx.newChain()
      const p = nextBlock(fx, g, { keys: [alice] })
      const q = nextBlock(fx, g, { keys: [bob] })
      expect(leaderOf(p)).to.not.equal(leaderOf(q))
      const [winner, loser] = leaderOf(p) < leaderOf(q) ? [p, q] : [q, p]

      const c1 = fx.newChain()
      expect(c1.importBlock(winner).status).to.equal('head')
      const r1 = c1.importBlock(loser)
      expect(r1.status).to.equal('side')
      expect(r1.change).to.equal(undefined)
      expect(c1.head.hex).to.equal(hexOf(winner))

      const c2 = fx.newChain()
      expect(c2.importBlock(loser).status).to.equal('head')
      const r2 = c2.importBlock(winner)
      expect(r2.status).to.equal('reorg')
      expect(hexes(r2.change?.undone ?? [])).to.deep.equal([hexOf(loser)])
      expect(hexes(r2.change?.applied ?? [])).to.deep.equal([hexOf(winner)])
      expect(c2.head.hex).to.equal(hexOf(winner))

      expect(snapshot(c1)).to.deep.equal(snapshot(c2))
      expect(snapshot(c1)).to.deep.equal(snapshot(fx.chainWith([winner])))
    })

    // slim: every block below the head keeps only its bytes (decodedTipBlocks 1), so the reorg
    // undoes and orphans blocks whose transactions are decoded again from their bytes
    for (const slim of [false, true]) {
    it(`a longer side branch triggers a reorg: undone/applied/orphaned/included are exact and the ledger equals a fresh chain of the winning branch${slim ? ' (blocks below the head slim)' : ''}`, () => {
      const fx = makeFixture()
      const [alice, bob, carol] = fx.validators as [TestKey, TestKey, TestKey]
      const main = fx.newChain(slim ? { decodedTipBlocks: 1 } : {})
      const other = fx.newChain()
      // branch A (alice, bob): two transfers; branch B (carol): a conflicting spend of the faucet's nonce 0
      const tA1 = transfer(fx, main, fx.faucet, fx.outsider.id, 3n * MEME)
      const tA2 = transfer(fx, main, alice, bob.id, 2n * MEME)
      const tB = transfer(fx, other, fx.faucet, carol.id, 4n * MEME)
      const a1 = nextBlock(fx, main, { keys: [alice, bob], txs: [tA1] })
      main.importBlock(a1)
      const a2 = nextBlock(fx, main, { keys: [alice, bob], txs: [tA2] })
      main.importBlock(a2)
      const a3 = nextBlock(fx, main, { keys: [alice, bob] })
      main.importBlock(a3)
      expect(main.head.block).to.equal(a3)
      for (const [h, b] of [a1, a2].entries()) {
        const kept = main.blockAt(BigInt(h + 1))?.block as Block
        // slim: the same bytes and header, the transactions decoded again (new objects, same ids)
        expect(kept === b).to.equal(!slim)
        expect(kept.bytes).to.equal(b.bytes)
        expect(kept.header).to.equal(b.header)
        expect(ids(kept.txs)).to.deep.equal(ids(b.txs))
        if (slim) expect(kept.txs[0]).to.not.equal(b.txs[0])
        expect(kept.txs).to.equal(kept.txs)
      }
      const b1 = nextBlock(fx, other, { keys: [carol] })
      other.importBlock(b1)
      const b2 = nextBlock(fx, other, { keys: [carol], txs: [tB] })
      other.importBlock(b2)
      // b3 loses the tie at height 3, so that b4 is the block that switches
      const b3 = nextBlock(fx, other, { keys: [carol], accept: (b) => leaderOf(b) > leaderOf(a3) })
      other.importBlock(b3)
      const b4 = nextBlock(fx, other, { keys: [carol] })
      other.importBlock(b4)

      const changes: HeadChange[] = []
      main.onHeadChange((c) => changes.push(c))
      const before = snapshot(main)
      for (const b of [b1, b2, b3]) {
        const r = main.importBlock(b)
        expect(r.status).to.equal('side')
        expect(snapshot(main)).to.deep.equal(before)
      }
      expect(changes).to.deep.equal([])
      const r = main.importBlock(b4)
      expect(r.status).to.equal('reorg')
      expect(changes.length).to.equal(1)
      const c = changes[0] as HeadChange
      expect(r.change).to.equal(c)
      expect(c.head.hex).to.equal(hexOf(b4))
      expect(hexes(c.undone)).to.deep.equal([a3, a2, a1].map(hexOf))
      expect(hexes(c.applied)).to.deep.equal([b1, b2, b3, b4].map(hexOf))
      expect(ids(c.orphaned)).to.deep.equal(ids([tA2, tA1]))
      expect(ids(c.included)).to.deep.equal(ids([tB]))
      expect(main.stats).to.deep.include({ reorgs: 1, maxReorgDepth: 3 })
      for (const [h, b] of [b1, b2, b3, b4].entries()) expect(main.blockAt(BigInt(h + 1))?.hex).to.equal(hexOf(b))

      const fresh = fx.chainWith([b1, b2, b3, b4])
      expect(toHex(main.ledger.root())).to.equal(toHex(fresh.ledger.root()))
      expect(snapshot(main)).to.deep.equal(snapshot(fresh))
      expect(main.account(fx.outsider.id)).to.equal(undefined)
      expect(main.account(fx.faucet.id)).to.deep.equal(fresh.account(fx.faucet.id))
      // the old branch forks at genesis, now below the settled height 1: pruned, it can never win (B-13)
      expect(main.settledHeight).to.equal(1n)
      for (const b of [a1, a2, a3]) expect(main.getNode(b.header.hash)).to.equal(undefined)
      if (slim) {
        // the new branch is slim below its head too
        expect(main.head.block).to.equal(b4)
        expect(main.blockAt(3n)?.block).to.not.equal(b3)
        expect(ids(main.blockAt(2n)?.block?.txs ?? [])).to.deep.equal(ids([tB]))
      }
    })
    }

    for (const variant of [
      { name: 'a wrong state root', rule: 'B-12', code: 'ERR_BAD_STATE_ROOT', mutate: (h: { stateRoot: Uint8Array }) => { h.stateRoot = sha256(utf8('wrong')) } },
      // in the next epoch: b2's leader cannot be checked before its parent b1 is validated (in
      // b1's epoch it would be, and b2 REJECTed on arrival; see "side blocks signed by any key")
      { name: 'a bad VRF proof', rule: 'B-9', code: 'ERR_BAD_VRF', mutate: (h: { vrfProof: Uint8Array }) => { h.vrfProof = flipByte(h.vrfProof, 80) }, fromSlot: 24n }
    ]) {
      for (const slim of [false, true]) {
      it(`a branch whose 2nd block has ${variant.name} is refused and the previous head and root are restored exactly${slim ? ' (blocks below the head slim)' : ''}`, () => {
        const fx = makeFixture()
        const [alice, bob, carol] = fx.validators as [TestKey, TestKey, TestKey]
        const main = fx.newChain(slim ? { decodedTipBlocks: 1 } : {})
        const changes: HeadChange[] = []
        main.onHeadChange((c) => changes.push(c))
        const a1 = nextBlock(fx, main, { keys: [alice, bob], txs: [transfer(fx, main, fx.faucet, fx.outsider.id, MEME)] })
        main.importBlock(a1)
        const a2 = nextBlock(fx, main, { keys: [alice, bob] })
        main.importBlock(a2)
        // carol's branch: b1 valid, b2 a forged twin of a valid block (losing the tie at height 2), b3 on b2
        const other = fx.newChain()
        const b1 = nextBlock(fx, other, { keys: [carol], txs: [transfer(fx, other, fx.faucet, carol.id, MEME)] })
        other.importBlock(b1)
        const b2ok = nextBlock(fx, other, { keys: [carol], accept: (b) => leaderOf(b) > leaderOf(a2), fromSlot: variant.fromSlot })
        other.importBlock(b2ok)
        const b3ok = nextBlock(fx, other, { keys: [carol] })
        const b2 = resign(fx, b2ok, variant.mutate)
        const b3 = resign(fx, b3ok, (h) => { h.parentHash = b2.header.hash })

        const before = snapshot(main)
        const accounts = [fx.faucet, fx.outsider, alice, bob, carol].map((k) => main.account(k.id))
        expect(main.importBlock(b1).status).to.equal('side')
        expect(main.importBlock(b2).status).to.equal('side')
        changes.length = 0
        refused(() => main.importBlock(b3), variant.rule, variant.code)
        expect(changes, 'no head change is announced').to.deep.equal([])
        expect(snapshot(main)).to.deep.equal(before)
        expect([fx.faucet, fx.outsider, alice, bob, carol].map((k) => main.account(k.id))).to.deep.equal(accounts)
        expect(main.head.hex).to.equal(hexOf(a2))
        expect(main.stats.reorgs).to.equal(0)
        // b1 was applied and undone: it stays a valid side block; b2 is known invalid
        expect(main.getNode(b1.header.hash)?.status).to.equal('valid')
        expect(main.getNode(b2.header.hash)).to.equal(undefined)
        refused(() => main.importBlock(b2), 'B-12', 'ERR_KNOWN_INVALID')
        // b3 again: a descendant of a known-invalid block, refused outright (not an orphan)
        refused(() => main.importBlock(b3), 'B-12', 'ERR_INVALID_ANCESTOR')
        expect(main.orphanCount).to.equal(0)
        // a later valid block on the old head still imports, and the ledger is that of the old branch
        const a3 = nextBlock(fx, main, { keys: [alice, bob] })
        expect(main.importBlock(a3).status).to.equal('head')
        expect(snapshot(main)).to.deep.equal(snapshot(fx.chainWith([a1, a2, a3])))
        if (slim) expect(main.blockAt(1n)?.block).to.not.equal(a1)
      })
      }
    }

    it('a slim block applied again after a failed reorg is not verified again: its re-decoded transactions carry its verdict', () => {
      const fx = makeFixture()
      const [alice, bob, carol] = fx.validators as [TestKey, TestKey, TestKey]
      // a one-entry cache: a1's verdict is pushed out before the reorg needs it
      const cache = new SigCache(1, 0)
      const main = fx.newChain({ decodedTipBlocks: 1, sigCache: cache })
      const a1 = nextBlock(fx, main, { keys: [alice, bob], txs: [transfer(fx, main, fx.faucet, fx.outsider.id, MEME)] })
      main.importBlock(a1)
      const a2 = nextBlock(fx, main, { keys: [alice, bob], txs: [transfer(fx, main, alice, bob.id, MEME)] })
      main.importBlock(a2)
      expect(main.blockAt(1n)?.block).to.not.equal(a1)
      const other = fx.newChain()
      const b1 = nextBlock(fx, other, { keys: [carol] })
      other.importBlock(b1)
      const b2ok = nextBlock(fx, other, { keys: [carol], accept: (b) => leaderOf(b) > leaderOf(a2) })
      other.importBlock(b2ok)
      const b3ok = nextBlock(fx, other, { keys: [carol] })
      const b2 = resign(fx, b2ok, (h) => { h.stateRoot = sha256(utf8('wrong')) })
      const b3 = resign(fx, b3ok, (h) => { h.parentHash = b2.header.hash })
      expect(main.importBlock(b1).status).to.equal('side')
      expect(main.importBlock(b2).status).to.equal('side')
      const before = snapshot(main)
      cache.resetStats()
      // undoes a2 and a1, applies b1, fails at b2, restores a1 (slim: decoded again) and a2
      refused(() => main.importBlock(b3), 'B-12', 'ERR_BAD_STATE_ROOT')
      expect(snapshot(main)).to.deep.equal(before)
      expect(main.head.hex).to.equal(hexOf(a2))
      // a2 is the object applied before, a1 a slim object carrying its block's mark (its
      // transactions new, decoded from its bytes): nothing looked up, verified or inserted again
      expect(cache.stats()).to.deep.include({ hits: 0, misses: 0, inserts: 0 })
    })

    it('a child of a block found invalid is refused (ERR_INVALID_ANCESTOR), not kept as an orphan waiting for the invalid parent', () => {
      const fx = makeFixture()
      const chain = fx.newChain()
      extend(fx, chain, 2)
      const okChain = fx.chainWith(blocksOf(chain))
      const good = nextBlock(fx, okChain)
      okChain.importBlock(good)
      const child = nextBlock(fx, okChain)
      const bad = resign(fx, good, (h) => { h.stateRoot = sha256(utf8('wrong')) })
      const badChild = resign(fx, child, (h) => { h.parentHash = bad.header.hash })
      refused(() => chain.importBlock(bad), 'B-12', 'ERR_BAD_STATE_ROOT')
      const before = snapshot(chain)
      refused(() => chain.importBlock(badChild), 'B-12', 'ERR_INVALID_ANCESTOR')
      expect(chain.orphanCount).to.equal(0)
      expect(chain.missingParents()).to.deep.equal([])
      expect(snapshot(chain)).to.deep.equal(before)
    })

    it('orphans (child before parent) are adopted when the parent arrives', () => {
      const fx = makeFixture()
      const src = fx.newChain()
      const [b1, b2, b3] = extend(fx, src, 3) as [Block, Block, Block]
      const chain = fx.newChain()
      const changes: HeadChange[] = []
      chain.onHeadChange((c) => changes.push(c))
      refused(() => chain.importBlock(b3), 'B-5', 'ERR_UNKNOWN_PARENT')
      expect(chain.orphanCount).to.equal(1)
      expect(chain.hasSeen(b3.header.hash)).to.equal(true)
      expect(chain.missingParents().map(toHex)).to.deep.equal([hexOf(b2)])
      refused(() => chain.importBlock(b3), 'B-3', 'ERR_KNOWN_BLOCK')
      refused(() => chain.importBlock(b2), 'B-5', 'ERR_UNKNOWN_PARENT')
      expect(chain.orphanCount).to.equal(2)
      expect(chain.missingParents().map(toHex)).to.deep.equal([hexOf(b1)])
      expect(chain.head).to.equal(chain.genesis)
      const r = chain.importBlock(b1)
      expect(r.adopted).to.equal(2)
      expect(chain.orphanCount).to.equal(0)
      expect(chain.missingParents()).to.deep.equal([])
      expect(chain.head.hex).to.equal(hexOf(b3))
      expect(changes.map((c) => c.head.hex)).to.deep.equal([b1, b2, b3].map(hexOf))
      expect(snapshot(chain)).to.deep.equal(snapshot(src))
    })

    it('an orphan must carry a valid header signature (B-8), so junk cannot fill the orphan pool', () => {
      const fx = makeFixture()
      const src = fx.newChain()
      const [, b2] = extend(fx, src, 2) as [Block, Block]
      const chain = fx.newChain()
      const other = keyFromLabel('not-the-proposer')
      const forged = resign(fx, b2, () => {}, { key: other })
      refused(() => chain.importBlock(forged), 'B-8', 'ERR_BAD_HEADER_SIGNATURE')
      expect(chain.orphanCount).to.equal(0)
      refused(() => chain.importBlock(b2), 'B-5', 'ERR_UNKNOWN_PARENT')
      expect(chain.orphanCount).to.equal(1)
    })

    it('decodedTipBlocks must be a positive integer (RangeError), and a slim chain keeps that many blocks decoded at the tip', () => {
      const fx = makeFixture()
      for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => fx.newChain({ decodedTipBlocks: bad }), String(bad)).to.throw(RangeError, 'decodedTipBlocks')
      }
      const chain = fx.newChain({ decodedTipBlocks: 2 })
      const blocks: Block[] = []
      for (let i = 0; i < 5; i++) {
        const b = nextBlock(fx, chain, { keys: fx.validators })
        chain.importBlock(b)
        blocks.push(b)
      }
      // heights 4 and 5 keep the imported objects; 1–3 became their bytes and header
      expect(blocks.map((b, i) => chain.blockAt(BigInt(i + 1))?.block === b)).to.deep.equal([false, false, false, true, true])
      for (const [i, b] of blocks.entries()) expect(chain.blockAt(BigInt(i + 1))?.block?.bytes).to.equal(b.bytes)
    })

    it('blocks older than the kept window are unreachable from the head (memory stays bounded)', () => {
      const fx = makeFixture()
      const chain = fx.newChain({ keepSettledBlocks: 2 })
      extend(fx, chain, Number(fx.params.k) + 12)
      let reachable = 0
      for (let n = chain.head as BlockNode | undefined; n !== undefined; n = n.parent) reachable++
      // head … settled (k + 1 blocks) plus the 2 kept below it
      expect(reachable).to.equal(Number(fx.params.k) + 3)
      expect(chain.blockAt(1n)).to.equal(undefined)
      expect(chain.blockAt(chain.settledHeight - 2n)?.block).to.not.equal(undefined)
    })

    describe('side blocks signed by any key cannot crowd out a heavier honest branch', () => {
      // k 5, 60-slot epochs: canonical M1…M5; S, an honest block at height 2 beside M2 (a side
      // block, never validated); the honest branch B4, B5, B6 forks off M3 and ends up longer.
      const setup = (opts: { maxSideBlocks?: number, maxUncheckedSideBlocks?: number, maxUncheckedTxs?: number } = {}): { fx: ReturnType<typeof makeFixture>, chain: ReturnType<ReturnType<typeof makeFixture>['newChain']>, M: Block[], S: Block, B: Block[] } => {
        const fx = makeFixture({ k: 5n, epochSlots: 60n, name: 'side-pool' })
        const chain = fx.newChain(opts)
        const M = extend(fx, chain, 5)
        const S = nextBlock(fx, fx.chainWith([M[0] as Block]), { accept: (b) => hexOf(b) !== hexOf(M[1] as Block) })
        expect(chain.importBlock(S).status).to.equal('side')
        const bc = fx.chainWith(M.slice(0, 3))
        const B4 = nextBlock(fx, bc, { accept: (b) => hexOf(b) !== hexOf(M[3] as Block) })
        bc.importBlock(B4)
        const B = [B4, ...extend(fx, bc, 2)]
        expect((M[4] as Block).header.header.slot < 60n, 'the canonical chain stays in epoch 0').to.equal(true)
        return { fx, chain, M, S, B }
      }
      // a child of S at height 3 (below the head, so it stays a side block) signed by `key`
      const junk = (fx: ReturnType<typeof makeFixture>, S: Block, i: number, o: { slot: bigint, key: { publicKey: Uint8Array, privateKey: Uint8Array }, parent?: Block, vrfProof?: Uint8Array }): Block => resign(fx, S, (h) => {
        h.height = (o.parent ?? S).header.header.height + 1n
        h.slot = o.slot
        h.parentHash = (o.parent ?? S).header.hash
        h.proposer = o.key.publicKey
        if (o.vrfProof !== undefined) h.vrfProof = o.vrfProof
        h.stateRoot = sha256(utf8(`junk ${i}`))
      }, { key: o.key, txs: [], fixTxRoot: true })

      it('a child of an unvalidated side block in its epoch has its leader checked on import (B-9/B-10): a key without stake is REJECTed', () => {
        const { fx, chain, S, B } = setup({ maxSideBlocks: 3 })
        const slot = S.header.header.slot + 1n
        // S's own proof under another key (B-9), and a valid proof of a key with no stake (B-10)
        refused(() => chain.importBlock(junk(fx, S, 0, { slot, key: fx.outsider })), 'B-9', 'ERR_BAD_VRF')
        const alpha = vrfAlpha(stateForSlot(fx.chainWith([]), slot).nonce, slot)
        refused(() => chain.importBlock(junk(fx, S, 1, { slot, key: fx.outsider, vrfProof: vrfProve(fx.outsider.privateKey, alpha) })), 'B-10', 'ERR_NOT_LEADER')
        // refused for good, and nothing taken from the side pool: the honest branch still wins
        refused(() => chain.importBlock(junk(fx, S, 0, { slot, key: fx.outsider })), 'B-12', 'ERR_KNOWN_INVALID')
        expect(chain.importBlock(B[0] as Block).status).to.equal('side')
        expect(chain.importBlock(B[1] as Block).status).to.equal('side')
        expect(chain.leaderChecked(chain.getNode(B[1]?.header.hash as Uint8Array) as BlockNode), 'B5 (child of an unvalidated B4) checked early').to.equal(true)
        expect(chain.importBlock(B[2] as Block).status).to.equal('reorg')
        expect(chain.head.hex).to.equal(hexOf(B[2] as Block))
      })

      it('a side block opening a later epoch than its unvalidated parent waits unchecked in a pool of its own: oldest evicted with its descendants, never counted against checked side blocks', () => {
        const { fx, chain, S, B } = setup({ maxSideBlocks: 3, maxUncheckedSideBlocks: 3 })
        fx.reachSlot(70n)
        // their proposals are not recorded (B-14) before they are validated: any key could
        // otherwise fill that map until they settle (white-box: the map is private)
        const proposals = (): number => (chain as unknown as { proposals: Map<string, unknown> }).proposals.size
        const recorded = proposals()
        const j = [0, 1, 2, 3, 4].map((i) => junk(fx, S, i, { slot: 60n + BigInt(i), key: fx.outsider }))
        const r0 = chain.importBlock(j[0] as Block)
        expect(r0.status).to.equal('side')
        expect(chain.leaderChecked(r0.node), 'epoch 1 under S (epoch 0) cannot be checked yet').to.equal(false)
        // a descendant of j0, also unchecked (below the head too: height 4)
        const j0child = junk(fx, S, 9, { slot: 65n, key: fx.outsider, parent: j[0] })
        expect(chain.importBlock(j0child).status).to.equal('side')
        expect(chain.importBlock(j[1] as Block).status).to.equal('side')
        // full (3): j2 evicts j0 and its descendant
        expect(chain.importBlock(j[2] as Block).status).to.equal('side')
        expect(chain.hasSeen(j[0]?.header.hash as Uint8Array), 'oldest evicted').to.equal(false)
        expect(chain.hasSeen(j0child.header.hash), 'with its descendant').to.equal(false)
        // j1, j2, j3 fill it again; j4 evicts j1 alone
        expect(chain.importBlock(j[3] as Block).status).to.equal('side')
        expect(chain.hasSeen(j[1]?.header.hash as Uint8Array)).to.equal(true)
        expect(chain.importBlock(j[4] as Block).status).to.equal('side')
        expect(j.map((b) => chain.hasSeen(b.header.hash))).to.deep.equal([false, false, true, true, true])
        expect(proposals()).to.equal(recorded)
        // not handed to peers that ask by hash (they would check it and penalise us, R-5); a
        // checked side block and the canonical ones are
        expect(j.slice(2).map((b) => chain.servable(b.header.hash))).to.deep.equal([undefined, undefined, undefined])
        expect(chain.servable(S.header.hash)?.hex).to.equal(hexOf(S))
        expect(chain.servable(chain.head.hash)?.hex).to.equal(chain.head.hex)
        // the checked side blocks keep their room; the longer honest branch becomes the head
        for (const b of B) chain.importBlock(b)
        expect(chain.head.hex).to.equal(hexOf(B[2] as Block))
        // an evicted block is not known invalid: it may come again (parent fetch) and is kept
        expect(chain.importBlock(j[0] as Block).status).to.equal('side')
      })

      // the honest branch T3 (S's child, epoch 0: checked), T4 (epoch 1: unchecked), T5, T6 beside M
      const crossing = (fx: ReturnType<typeof makeFixture>, M: Block[], S: Block): Block[] => {
        const bc = fx.chainWith([M[0] as Block, S])
        const T3 = nextBlock(fx, bc, { accept: (b) => b.header.header.slot < 60n })
        bc.importBlock(T3)
        const T4 = nextBlock(fx, bc, { fromSlot: 60n })
        bc.importBlock(T4)
        const T5 = nextBlock(fx, bc, { accept: (b) => headerLeaderValue(b.header) > headerLeaderValue((M[4] as Block).header) })
        bc.importBlock(T5)
        const T6 = nextBlock(fx, bc)
        bc.importBlock(T6)
        return [T3, T4, T5, T6]
      }

      it("an unchecked block's own ancestors are never evicted for it: a branch crossing an epoch under a flood still wins, every block indexed once", () => {
        const { fx, chain, M, S } = setup({ maxUncheckedSideBlocks: 3 })
        const [T3, T4, T5, T6] = crossing(fx, M, S) as [Block, Block, Block, Block]
        expect(chain.importBlock(T3).status).to.equal('side')
        expect(chain.importBlock(T4).status).to.equal('side')
        expect(chain.leaderChecked(chain.getNode(T4.header.hash) as BlockNode)).to.equal(false)
        fx.reachSlot(70n)
        const j = [0, 1, 2, 3].map((i) => junk(fx, S, i, { slot: 60n + BigInt(i), key: fx.outsider }))
        chain.importBlock(j[0] as Block)
        chain.importBlock(j[1] as Block)
        // full (T4, j0, j1): T5 evicts j0, not its parent T4 (the oldest)
        const r5 = chain.importBlock(T5)
        expect(r5.status).to.equal('side')
        expect(chain.getNode(T4.header.hash)).to.equal(r5.node.parent)
        expect(chain.hasSeen(j[0]?.header.hash as Uint8Array)).to.equal(false)
        refused(() => chain.importBlock(T4), 'B-3', 'ERR_KNOWN_BLOCK')
        expect(chain.importBlock(T6).status).to.equal('reorg')
        expect(chain.head.hex).to.equal(hexOf(T6))
        for (const [h, b] of [[3n, T3], [4n, T4], [5n, T5]] as Array<[bigint, Block]>) expect(chain.getNode(b.header.hash), `height ${h}`).to.equal(chain.blockAt(h))
        // more junk, now under another unvalidated block, cannot touch the canonical blocks
        const S2 = nextBlock(fx, fx.chainWith([M[0] as Block, S]), { accept: (b) => b.header.header.slot < 60n && hexOf(b) !== hexOf(T3) })
        expect(chain.importBlock(S2).status).to.equal('side')
        fx.reachSlot(80n)
        for (let i = 0; i < 6; i++) chain.importBlock(junk(fx, S2, 100 + i, { slot: 70n + BigInt(i), key: fx.outsider }))
        expect(chain.getNode(T4.header.hash)).to.equal(chain.blockAt(4n))
      })

      it('a block that fits only by evicting its own ancestors is refused (B-13); the pool is bounded by transactions too', () => {
        const { fx, chain, M, S } = setup({ maxUncheckedSideBlocks: 1 })
        const [T3, T4, T5] = crossing(fx, M, S) as [Block, Block, Block, Block]
        chain.importBlock(T3)
        chain.importBlock(T4)
        refused(() => chain.importBlock(T5), 'B-13', 'ERR_TOO_MANY_SIDE_BLOCKS')
        expect(chain.hasSeen(T4.header.hash)).to.equal(true)
        expect(chain.hasSeen(T5.header.hash), 'IGNOREd, not cached').to.equal(false)

        const t = setup({ maxUncheckedTxs: 3 })
        t.fx.reachSlot(70n)
        // blocks of 2 signed (never applied) transfers each: the second evicts the first
        const txs = [transfer(t.fx, t.chain, t.fx.faucet, t.fx.outsider.id, 1n), transfer(t.fx, t.chain, t.fx.faucet, t.fx.outsider.id, 1n, { nonce: 1n })]
        const withTxs = (i: number): Block => resign(t.fx, junk(t.fx, t.S, i, { slot: 60n + BigInt(i), key: t.fx.outsider }), () => {}, { key: t.fx.outsider, txs, fixTxRoot: true })
        const [a, b] = [withTxs(0), withTxs(1)]
        expect(t.chain.importBlock(a).status).to.equal('side')
        expect(t.chain.importBlock(b).status).to.equal('side')
        expect([a, b].map((x) => t.chain.hasSeen(x.header.hash))).to.deep.equal([false, true])
      })

      it('B-4 (too many empty epochs) met while a side branch is applied drops the block without caching it as invalid', () => {
        const { fx, chain, M } = setup()
        const bc = fx.chainWith(M.slice(0, 3))
        const B4 = nextBlock(fx, bc, { accept: (b) => hexOf(b) !== hexOf(M[3] as Block) })
        bc.importBlock(B4)
        const [B5, B6] = extend(fx, bc, 2) as [Block, Block]
        chain.importBlock(B4)
        chain.importBlock(B5)
        const slot = (MAX_EPOCH_SKIP + 5n) * fx.params.epochSlots
        fx.reachSlot(slot)
        const far = resign(fx, B6, (h) => { h.slot = slot })
        refused(() => chain.importBlock(far), 'B-4', 'ERR_FUTURE_SLOT')
        refused(() => chain.importBlock(far), 'B-4', 'ERR_FUTURE_SLOT')
        expect(chain.hasSeen(far.header.hash)).to.equal(false)
        expect(chain.head.hex).to.equal(hexOf(M[4] as Block))
        expect(chain.getNode(B5.header.hash), 'the rest of the branch stays').to.not.equal(undefined)
      })

      it('a checked side block is refused once the side pool is full (B-13), unchecked ones do not fill it', () => {
        const { fx, chain, S, B } = setup({ maxSideBlocks: 1, maxUncheckedSideBlocks: 8 })
        fx.reachSlot(70n)
        for (let i = 0; i < 8; i++) chain.importBlock(junk(fx, S, i, { slot: 60n + BigInt(i), key: fx.outsider }))
        // live: M0…M5 within k + 1 of the head (6), S (1): room for maxSideBlocks + k + 1 = 7
        refused(() => chain.importBlock(B[0] as Block), 'B-13', 'ERR_TOO_MANY_SIDE_BLOCKS')
      })
    })

    it('the orphan pool is bounded by maxOrphans (the oldest is evicted)', () => {
      const fx = makeFixture()
      const src = fx.newChain()
      const [b1, b2, b3, b4] = extend(fx, src, 4) as [Block, Block, Block, Block]
      const chain = fx.newChain({ maxOrphans: 2 })
      for (const b of [b2, b3, b4]) refused(() => chain.importBlock(b), 'B-5', 'ERR_UNKNOWN_PARENT')
      expect(chain.orphanCount).to.equal(2)
      expect(chain.hasSeen(b2.header.hash), 'oldest evicted').to.equal(false)
      expect(chain.hasSeen(b3.header.hash)).to.equal(true)
      expect(chain.hasSeen(b4.header.hash)).to.equal(true)
      expect(chain.importBlock(b1).adopted).to.equal(0)
      expect(chain.missingParents().map(toHex)).to.deep.equal([hexOf(b2)])
      expect(chain.importBlock(b2).adopted).to.equal(2)
      expect(chain.head.hex).to.equal(hexOf(b4))
      expect(chain.orphanCount).to.equal(0)
    })

    it('the orphan pool is bounded by the transactions it holds (oldest evicted first), and its count follows adoption', () => {
      const fx = makeFixture()
      const src = fx.newChain()
      const [b1] = extend(fx, src, 1) as [Block]
      // b2 carries 2 transfers, b3 1, b4 2: a budget of 3 transactions cannot hold all three
      const to = fx.outsider.id
      const b2 = nextBlock(fx, src, { txs: [transfer(fx, src, fx.faucet, to, 1n), transfer(fx, src, fx.faucet, to, 1n, { nonce: 1n })] })
      src.importBlock(b2)
      const b3 = nextBlock(fx, src, { txs: [transfer(fx, src, fx.faucet, to, 1n)] })
      src.importBlock(b3)
      const b4 = nextBlock(fx, src, { txs: [transfer(fx, src, fx.faucet, to, 1n), transfer(fx, src, fx.faucet, to, 1n, { nonce: 4n })] })
      src.importBlock(b4)
      expect([b2, b3, b4].map((b) => b.txs.length)).to.deep.equal([2, 1, 2])

      const chain = fx.newChain({ maxOrphanTxs: 3 })
      refused(() => chain.importBlock(b2), 'B-5', 'ERR_UNKNOWN_PARENT')
      refused(() => chain.importBlock(b3), 'B-5', 'ERR_UNKNOWN_PARENT')
      expect(chain.orphanCount).to.equal(2)
      // b4's 2 transactions do not fit beside 3: b2 (oldest) goes, b3 stays (1 + 2 = 3)
      refused(() => chain.importBlock(b4), 'B-5', 'ERR_UNKNOWN_PARENT')
      expect(chain.orphanCount).to.equal(2)
      expect(chain.hasSeen(b2.header.hash), 'oldest evicted').to.equal(false)
      expect(chain.hasSeen(b3.header.hash)).to.equal(true)
      expect(chain.hasSeen(b4.header.hash)).to.equal(true)
      // adopting empties the pool, and its budget is free again: the whole chain imports in order
      chain.importBlock(b1)
      expect(chain.importBlock(b2).adopted).to.equal(2)
      expect(chain.orphanCount).to.equal(0)
      expect(chain.head.hex).to.equal(hexOf(b4))
      refused(() => fx.newChain({ maxOrphanTxs: 3 }).importBlock(b4), 'B-5', 'ERR_UNKNOWN_PARENT')
    })
  })

  describe('equivocation', () => {
    it('two valid blocks by one proposer for one slot both import; the pair is evidence that slashes the proposer once included', () => {
      const fx = makeFixture()
      const chain = fx.newChain()
      extend(fx, chain, 2)
      const e1 = nextBlock(fx, chain)
      const offender = fx.keyOf(e1.header.header.proposer)
      const slot = e1.header.header.slot
      const self = transfer(fx, chain, offender, offender.id, 1n)
      const e2 = produceBlock(chain, offender, slot, [self]) as Block
      expect(e2).to.not.equal(undefined)
      expect(hexOf(e2)).to.not.equal(hexOf(e1))
      expect(leaderOf(e2)).to.equal(leaderOf(e1))

      const r1 = chain.importBlock(e1)
      expect(r1.equivocation).to.equal(undefined)
      const r2 = chain.importBlock(e2)
      expect(r2.equivocation).to.not.equal(undefined)
      expect(toHex(r2.equivocation?.a.hash as Uint8Array)).to.equal(hexOf(e1))
      expect(toHex(r2.equivocation?.b.hash as Uint8Array)).to.equal(hexOf(e2))
      expect(chain.getNode(e1.header.hash)).to.not.equal(undefined)
      expect(chain.getNode(e2.header.hash)).to.not.equal(undefined)
      // equal leader values: the lower hash is the head, whatever the arrival order
      const lower = toHex(e1.header.hash) < toHex(e2.header.hash) ? e1 : e2
      expect(chain.head.hex).to.equal(hexOf(lower))
      expect(r2.status).to.equal(lower === e2 ? 'reorg' : 'side')
      const reversed = fx.chainWith(blocksOf(chain).slice(0, 2))
      reversed.importBlock(e2)
      expect(reversed.importBlock(e1).equivocation).to.not.equal(undefined)
      expect(reversed.head.hex).to.equal(hexOf(lower))

      const evs = chain.takeEquivocations()
      expect(evs.length).to.equal(1)
      const ev = evs[0] as NonNullable<typeof evs[0]>
      expect([toHex(ev.a.hash), toHex(ev.b.hash)]).to.deep.equal([hexOf(e1), hexOf(e2)])
      expect(chain.takeEquivocations()).to.deep.equal([])

      // evidence from the pair, included by another validator, slashes the offender
      const evTx = decodeTx(buildEvidence({
        chainId: fx.params.chainId, privateKey: fx.faucet.privateKey, nonce: chain.account(fx.faucet.id)?.nonce ?? 0n, fee: fx.params.minFee, headerA: ev.a.bytes, headerB: ev.b.bytes
      }).bytes)
      const others = fx.validators.filter((v) => v !== offender)
      const inc = nextBlock(fx, chain, { keys: others, txs: [evTx] })
      expect(ids(inc.txs)).to.deep.equal(ids([evTx]))
      const includer = fx.keyOf(inc.header.header.proposer)
      const stake0 = chain.account(offender.id)?.stake as bigint
      const includer0 = chain.account(includer.id)?.balance as bigint
      const supply0 = chain.ledger.supply()
      expect(chain.ledger.isSlashed(offender.publicKey, slot)).to.equal(false)
      const r = chain.importBlock(inc)
      expect(r.status).to.equal('head')
      const f = fx.params.slashFraction
      const slashed = stake0 * f.num / f.den
      const reward = slashed * fx.params.slashReward.num / fx.params.slashReward.den
      expect(slashed > 0n).to.equal(true)
      expect(chain.account(offender.id)?.stake).to.equal(stake0 - slashed)
      expect(chain.ledger.isSlashed(offender.publicKey, slot)).to.equal(true)
      expect(chain.account(includer.id)?.balance).to.equal(includer0 + fx.params.blockReward + fx.params.minFee + reward)
      expect(chain.ledger.supply()).to.equal(supply0 + fx.params.blockReward - (slashed - reward))
      expect(r.node.burned).to.equal(slashed - reward)

      // the same equivocation cannot be punished twice
      const evTx2 = decodeTx(buildEvidence({
        chainId: fx.params.chainId, privateKey: fx.faucet.privateKey, nonce: chain.account(fx.faucet.id)?.nonce ?? 0n, fee: fx.params.minFee, headerA: ev.b.bytes, headerB: ev.a.bytes
      }).bytes)
      const before = snapshot(chain)
      const next = nextBlock(fx, chain, { keys: others })
      const twice = resign(fx, next, () => {}, { txs: [evTx2], fixTxRoot: true })
      const e = refused(() => chain.importBlock(twice), 'B-12', 'ERR_INVALID_TX')
      expect(e.details).to.deep.include({ index: 0, rule: 'TX-9', code: 'ERR_ALREADY_SLASHED' })
      expect(snapshot(chain)).to.deep.equal(before)
      expect(chain.importBlock(next).status).to.equal('head')
    })
  })

  describe('mempool integration', () => {
    it('after a reorg, transactions of the orphaned block return to the mempool and are re-included by the next producer', () => {
      const fx = makeFixture()
      const [alice, bob, carol] = fx.validators as [TestKey, TestKey, TestKey]
      const chain = fx.newChain()
      const { mempool, changes } = wireMempool(chain)
      const limits = { maxBlockBytes: fx.params.maxBlockBytes, maxBlockTxs: fx.params.maxBlockTxs }
      // t: in both branches; u: only in the branch that loses
      const t = transfer(fx, chain, fx.faucet, fx.outsider.id, 3n * MEME)
      const u = transfer(fx, chain, alice, bob.id, 2n * MEME)
      mempool.add(t)
      mempool.add(u)
      const a1 = nextBlock(fx, chain, { keys: [alice, bob], txs: mempool.select(mempoolView(chain), limits) })
      expect(ids(a1.txs).sort()).to.deep.equal(ids([t, u]).sort())
      chain.importBlock(a1)
      expect(mempool.size).to.equal(0)

      const other = fx.newChain()
      const b1 = nextBlock(fx, other, { keys: [carol], txs: [t] })
      other.importBlock(b1)
      const b2 = nextBlock(fx, other, { keys: [carol] })
      expect(ids(b1.txs)).to.deep.equal(ids([t]))
      importAll(chain, [b1, b2])
      expect(chain.head.hex).to.equal(hexOf(b2))
      const reorg = changes.filter((c) => c.undone.length > 0)
      expect(reorg.length).to.equal(1)
      expect(hexes((reorg[0] as HeadChange).undone)).to.deep.equal([hexOf(a1)])
      expect(ids((reorg[0] as HeadChange).orphaned)).to.deep.equal(ids(a1.txs))
      // u is back; t is in the new chain already (TX-10)
      expect(mempool.has(u.id)).to.equal(true)
      expect(mempool.has(t.id)).to.equal(false)
      expect(mempool.size).to.equal(1)

      const c3 = nextBlock(fx, chain, { txs: mempool.select(mempoolView(chain), limits) })
      expect(ids(c3.txs)).to.deep.equal(ids([u]))
      const bob0 = chain.account(bob.id)?.balance as bigint
      const bobProposes = fx.keyOf(c3.header.header.proposer) === bob
      expect(chain.importBlock(c3).status).to.equal('head')
      expect(mempool.size).to.equal(0)
      expect(chain.account(bob.id)?.balance).to.equal(bob0 + 2n * MEME + (bobProposes ? fx.params.blockReward + fx.params.minFee : 0n))
      expect(chain.account(fx.outsider.id)?.balance).to.equal(3n * MEME)
    })

    it('a reorg that undoes an account\'s funding drops its pending spend (the undo records\' accounts are revalidated)', () => {
      const fx = makeFixture()
      const [alice, bob, carol] = fx.validators as [TestKey, TestKey, TestKey]
      const chain = fx.newChain()
      const { mempool } = wireMempool(chain)
      // what a reorg would leave without the touched accounts: only the listed senders revalidated
      const listed = new Mempool({ chainId: fx.params.chainId, minFee: fx.params.minFee, view: mempoolView(chain) })
      chain.onHeadChange((c) => { listed.onHead(mempoolView(chain), { included: c.included, orphaned: c.orphaned }) })
      const fund = transfer(fx, chain, fx.faucet, fx.outsider.id, 10n * MEME)
      const a1 = nextBlock(fx, chain, { keys: [alice, bob], txs: [fund] })
      chain.importBlock(a1)
      // the outsider spends what it got; pending in both pools
      const spend = transfer(fx, chain, fx.outsider, carol.id, 5n * MEME)
      mempool.add(spend)
      listed.add(spend)
      // a longer branch without the funding undoes a1
      const other = fx.newChain()
      const b1 = nextBlock(fx, other, { keys: [carol], fromSlot: a1.header.header.slot + 1n })
      other.importBlock(b1)
      const b2 = nextBlock(fx, other, { keys: [carol] })
      importAll(chain, [b1, b2])
      expect(chain.head.hex).to.equal(hexOf(b2))
      expect(chain.account(fx.outsider.id)).to.equal(undefined)
      // the funding is pending again; the spend no longer pays (TX-7) and is gone
      expect(ids(mempool.all())).to.deep.equal(ids([fund]))
      expect(ids(listed.all()).sort(), 'revalidating only the listed senders keeps the spend').to.deep.equal(ids([fund, spend]).sort())
    })

    it('after every head change the pool equals one that revalidated every sender (random blocks and forks)', () => {
      let reorgs = 0
      let steps = 0
      for (const seed of ['one', 'two', 'three']) {
        const fx = makeFixture({ name: `touched-${seed}` })
        const rng = new Prng(`mempool-touched:${seed}`)
        const chain = fx.newChain()
        const pool = (): Mempool => new Mempool({ chainId: fx.params.chainId, minFee: fx.params.minFee, view: mempoolView(chain) })
        // as the node wires it (mempoolChangeOf: included senders' runs lose their included
        // head without a revalidation; after a reorg the accounts the blocks changed)
        const node = pool()
        const every = pool() // every sender revalidated at every head change
        chain.onHeadChange((c) => {
          const v = mempoolView(chain)
          node.onHead(v, mempoolChangeOf(c))
          every.onHead(v, { included: c.included, orphaned: c.orphaned, touched: 'all' })
          if (c.undone.length > 0) reorgs++
        })
        const people = [fx.faucet, fx.outsider, ...fx.validators]
        const pick = (): TestKey => people[rng.int(people.length)] as TestKey
        const limits = { maxBlockBytes: fx.params.maxBlockBytes, maxBlockTxs: fx.params.maxBlockTxs }
        const sorted = (m: Mempool): string[] => ids(m.all()).sort()
        const tryAdd = (m: Mempool, tx: SignedTx): string => {
          try { m.add(tx); return 'added' } catch (err) { return (err as { code?: string }).code ?? String(err) }
        }
        for (let step = 0; step < 40; step++) {
          // 1-3 new transfers: the faucet often funds the outsider, who spends what it got
          for (let i = rng.int(3); i >= 0; i--) {
            const from = pick()
            const to = from === fx.faucet && rng.chance(1, 2) ? fx.outsider : pick()
            const nonce = (chain.account(from.id)?.nonce ?? 0n) + BigInt(every.pending(from.id).length)
            const tx = transfer(fx, chain, from, to.id, BigInt(1 + rng.int(from === fx.faucet ? 20 : 5)) * MEME, { nonce })
            const outcome = tryAdd(every, tx)
            expect(tryAdd(node, tx)).to.equal(outcome)
          }
          if (chain.head.height < 3n || rng.chance(1, 2)) {
            // all that is selectable, or a prefix of it (then runs keep their later nonces)
            const selected = every.select(mempoolView(chain), limits)
            const txs = rng.chance(1, 2) ? selected : selected.slice(0, rng.int(selected.length + 1))
            chain.importBlock(nextBlock(fx, chain, { txs }))
          } else {
            // a branch from 1 or 2 blocks below the head, one block longer, in later slots (no
            // equivocation); its blocks carry a transfer of their own or nothing
            const depth = 1 + rng.int(2)
            const other = fx.chainWith(blocksOf(chain).slice(0, Number(chain.head.height) - depth))
            let fromSlot = chain.head.slot + 1n
            for (let i = 0; i <= depth; i++) {
              const from = pick()
              const txs = rng.chance(1, 2) && (other.account(from.id)?.balance ?? 0n) > 2n * MEME ? [transfer(fx, other, from, pick().id, MEME)] : []
              const b = nextBlock(fx, other, { txs, fromSlot })
              other.importBlock(b)
              chain.importBlock(b)
              fromSlot = b.header.header.slot + 1n
            }
            expect(chain.head.hex).to.equal(other.head.hex)
          }
          steps++
          expect(sorted(node), `seed ${seed}, step ${step}`).to.deep.equal(sorted(every))
        }
      }
      expect(reorgs).to.be.greaterThan(10)
      expect(steps).to.equal(120)
    })
  })
})
