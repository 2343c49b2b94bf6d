/**
 * A small devnet for chain tests: a genesis with a few validator keys derived from labels, a
 * controllable clock, and helpers that produce valid blocks on top of a chain (trying slots until
 * `produceBlock` returns a block) or forge invalid ones (re-signed headers). Deterministic: every
 * key derives from a label, the clock only moves when a test moves it.
 *
 * To build a block on a specific branch, produce it with a Chain whose head is that branch's tip
 * (`fx.chainWith(blocks)` is a second Chain instance fed the same blocks).
 */
import type { SigCache } from '../../src/chain/sig-cache.ts'
import { accountIdOf } from '../../src/core/address.ts'
import { toHex, utf8 } from '../../src/core/bytes.ts'
import { epochStateForSlot, slotStart, tryLead, type EpochState, type StakeSnapshot } from '../../src/core/consensus.ts'
import { defaultDevnetGenesis, type GenesisConfig } from '../../src/core/genesis.ts'
import { sha256 } from '../../src/core/hash.ts'
import { merkleRoot } from '../../src/core/merkle.ts'
import type { ChainParams, GenesisAllocation } from '../../src/core/params.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../../src/core/secp256k1.ts'
import { HEADER_DOMAIN, signBytes } from '../../src/core/signing.ts'
import type { Block, BlockHeader, SignedTx } from '../../src/core/types.ts'
import { Chain, type HeadChange, type ImportResult } from '../../src/chain/chain.ts'
import { Mempool } from '../../src/chain/mempool.ts'
import { produceBlock, type ValidatorKey } from '../../src/chain/producer.ts'
import { mempoolChangeOf, mempoolView } from '../../src/chain/views.ts'
import { decodeBlock, encodeBlock } from '../../src/wire/block.ts'
import { chainParamsOf } from '../../src/wire/genesis.ts'
import { encodeHeader, encodeSignedHeader } from '../../src/wire/header.ts'
import { decodeTx } from '../../src/wire/tx.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'

/** 1 MEME in base units. */
export const MEME = 10n ** 8n
/** Genesis time of every fixture (Unix ms). */
export const GENESIS_TIME = 1_700_000_000_000n

/** A key pair derived from a label, with its account id. */
export interface TestKey extends ValidatorKey { label: string, id: Uint8Array }

/** The key of `label`: privateKeyFromEntropy(SHA-256(utf8(label))). */
export function keyFromLabel (label: string): TestKey {
  const privateKey = privateKeyFromEntropy(sha256(utf8(label)))
  const publicKey = publicKeyOf(privateKey)
  return { label, privateKey, publicKey, id: accountIdOf(publicKey) }
}

/** Options of `makeFixture`. */
export interface FixtureOptions {
  /** Validator labels (default alice, bob, carol). */
  validators?: string[]
  /** Bonded stake of each validator (default 1000 MEME). */
  stake?: bigint
  /** Settlement depth (default 3). */
  k?: bigint
  /** Slots per epoch (default 24; must be ≥ 3k/f = 6k). */
  epochSlots?: bigint
  /** Distinguishes the chains of different fixtures (default 'chain-test'). */
  name?: string
}

/** A devnet: genesis, keys, clock and chain factories. */
export interface ChainFixture {
  config: GenesisConfig
  params: ChainParams
  allocations: GenesisAllocation[]
  validators: TestKey[]
  /** Funded, no stake. */
  faucet: TestKey
  /** Not in genesis at all: no balance, no stake. */
  outsider: TestKey
  /** The clock every chain of the fixture reads; tests set `clock.t`. */
  clock: { t: bigint }
  now: () => bigint
  /** A fresh chain at genesis. */
  newChain: (opts?: { maxOrphans?: number, maxOrphanTxs?: number, maxSideBlocks?: number, maxUncheckedSideBlocks?: number, maxUncheckedTxs?: number, keepSettledBlocks?: number, decodedTipBlocks?: number, sigCache?: SigCache }) => Chain
  /** A fresh chain that imported `blocks` in order (each must become the head). */
  chainWith: (blocks: Block[]) => Chain
  /** The key of a validator by public key. */
  keyOf: (publicKey: Uint8Array) => TestKey
  /** Moves the clock forward (never back) to the start of `slot`. */
  reachSlot: (slot: bigint) => void
}

const PREFIX = 'memecoin/chain-test:'

/** Builds a devnet genesis (defaultDevnetGenesis with a small k) and its chain factories. */
export function makeFixture (opts: FixtureOptions = {}): ChainFixture {
  const name = opts.name ?? 'chain-test'
  const validators = (opts.validators ?? ['alice', 'bob', 'carol']).map((l) => keyFromLabel(PREFIX + l))
  const faucet = keyFromLabel(PREFIX + 'faucet')
  const outsider = keyFromLabel(PREFIX + 'outsider')
  const config = defaultDevnetGenesis({
    genesisTime: GENESIS_TIME,
    validators: validators.map((v) => ({ id: v.id, stake: opts.stake ?? 1000n * MEME, balance: 100n * MEME })),
    faucet: { id: faucet.id, balance: 1_000_000n * MEME },
    chainName: name
  })
  config.k = opts.k ?? 3n
  config.epochSlots = opts.epochSlots ?? 24n
  const params = chainParamsOf(config)
  const clock = { t: GENESIS_TIME }
  const now = (): bigint => clock.t
  const byPub = new Map(validators.map((v) => [toHex(v.publicKey), v]))
  const fx: ChainFixture = {
    config,
    params,
    allocations: config.accounts,
    validators,
    faucet,
    outsider,
    clock,
    now,
    newChain: (o = {}) => new Chain({ params, allocations: config.accounts, now, ...o }),
    chainWith: (blocks) => {
      const c = fx.newChain()
      for (const b of blocks) c.importBlock(b)
      return c
    },
    keyOf: (pub) => {
      const k = byPub.get(toHex(pub))
      if (k === undefined) throw new Error('not a validator of the fixture')
      return k
    },
    reachSlot: (slot) => {
      const t = slotStart(slot, params)
      if (t > clock.t) clock.t = t
    }
  }
  return fx
}

/** Options of `nextBlock`. */
export interface NextBlockOptions {
  /** Keys tried in each slot, in order (default: all validators). */
  keys?: TestKey[]
  /** Candidate transactions (default none). */
  txs?: SignedTx[]
  /** First slot tried (default head slot + 1). */
  fromSlot?: bigint
  /** Only a block this accepts is returned; the search goes on otherwise. */
  accept?: (b: Block) => boolean
  /** Slots tried before giving up (default 500). */
  maxSlots?: number
}

/**
 * The first valid block that one of `keys` can produce on `chain`'s head, trying slots upwards.
 * Moves the clock to the block's slot start. The block is not imported.
 */
export function nextBlock (fx: ChainFixture, chain: Chain, opts: NextBlockOptions = {}): Block {
  const keys = opts.keys ?? fx.validators
  const from = opts.fromSlot ?? chain.head.slot + 1n
  const max = BigInt(opts.maxSlots ?? 500)
  for (let slot = from; slot < from + max; slot++) {
    for (const key of keys) {
      const b = produceBlock(chain, key, slot, opts.txs ?? [], (_tx, err) => { throw err })
      if (b !== undefined && (opts.accept?.(b) ?? true)) {
        fx.reachSlot(slot)
        return b
      }
    }
  }
  throw new Error(`no block in ${max} slots from ${from}`)
}

/** Produces and imports `n` blocks on `chain` (each must become the head); returns them. */
export function extend (fx: ChainFixture, chain: Chain, n: number, opts: NextBlockOptions = {}): Block[] {
  const out: Block[] = []
  for (let i = 0; i < n; i++) {
    const b = nextBlock(fx, chain, { ...opts, fromSlot: undefined })
    const r = chain.importBlock(b)
    if (r.node !== chain.head) throw new Error('extend: block did not become the head')
    out.push(b)
  }
  return out
}

/**
 * A block with the header of `block` changed by `mutate` and re-signed by `key` (default: its
 * proposer's key, found through the fixture), with `txs` (default the block's) and txCount fixed
 * up. Goes through the wire decoder, like any received block.
 */
export function resign (fx: ChainFixture, block: Block, mutate: (h: BlockHeader) => void, opts: { key?: ValidatorKey, txs?: SignedTx[], fixTxRoot?: boolean } = {}): Block {
  const txs = opts.txs ?? block.txs
  const h: BlockHeader = { ...block.header.header, txCount: txs.length }
  if (opts.fixTxRoot === true) h.txRoot = merkleRoot(txs.map((t) => t.id))
  mutate(h)
  const key = opts.key ?? fx.keyOf(block.header.header.proposer)
  const headerBytes = encodeHeader(h)
  return withSignedHeader(encodeSignedHeader(headerBytes, signBytes(HEADER_DOMAIN, headerBytes, key.privateKey)), txs)
}

/** A block of signed-header bytes and transactions, decoded from its wire bytes. */
export function withSignedHeader (signedHeaderBytes: Uint8Array, txs: SignedTx[]): Block {
  return decodeBlock(encodeBlock(signedHeaderBytes, txs.map((t) => t.bytes)))
}

/** The epoch state a child of `chain`'s head at `slot` is validated under. */
export function stateForSlot (chain: Chain, slot: bigint): EpochState {
  const head = chain.head
  return epochStateForSlot(head.epochAfter as EpochState, head.stakesAfter as StakeSnapshot, slot, chain.params)
}

/** A slot ≥ `from` in which `key` is not a leader on `chain`'s head. */
export function slotNotLed (chain: Chain, key: ValidatorKey, from: bigint): bigint {
  for (let s = from; s < from + 1000n; s++) {
    if (tryLead(key.privateKey, key.publicKey, s, stateForSlot(chain, s), chain.params) === undefined) return s
  }
  throw new Error('key leads every slot')
}

/** A decoded transfer of `amount` from `from` to `to` (nonce from `chain` unless given). */
export function transfer (fx: ChainFixture, chain: Chain, from: TestKey, to: Uint8Array, amount: bigint, opts: { nonce?: bigint, fee?: bigint } = {}): SignedTx {
  return decodeTx(buildTransfer({
    chainId: fx.params.chainId,
    privateKey: from.privateKey,
    nonce: opts.nonce ?? chain.account(from.id)?.nonce ?? 0n,
    fee: opts.fee ?? fx.params.minFee,
    to,
    amount
  }).bytes)
}

/** A mempool wired to `chain` as the simulator (and the node) wires it; head changes are recorded. */
export function wireMempool (chain: Chain): { mempool: Mempool, changes: HeadChange[] } {
  const mempool = new Mempool({ chainId: chain.params.chainId, minFee: chain.params.minFee, view: mempoolView(chain) })
  const changes: HeadChange[] = []
  chain.onHeadChange((c) => {
    changes.push(c)
    mempool.onHead(mempoolView(chain), mempoolChangeOf(c))
  })
  return { mempool, changes }
}

/** Imports blocks in order, returning the results. */
export function importAll (chain: Chain, blocks: Block[]): ImportResult[] {
  return blocks.map((b) => chain.importBlock(b))
}

/** What must not change when a block is refused. */
export interface ChainSnapshot { head: string, height: bigint, root: string, canonical: string[], supply: bigint }

/** The head, ledger root and canonical chain of `chain`. */
export function snapshot (chain: Chain): ChainSnapshot {
  const canonical: string[] = []
  for (let h = 0n; h <= chain.head.height; h++) canonical.push(chain.blockAt(h)?.hex ?? '?')
  return { head: chain.head.hex, height: chain.head.height, root: toHex(chain.ledger.root()), canonical, supply: chain.ledger.supply() }
}

/** Hex hash of a block. */
export function hexOf (b: Block): string {
  return toHex(b.header.hash)
}
