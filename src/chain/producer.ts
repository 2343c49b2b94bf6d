/**
 * Block production: for a validator key and a slot, check leadership by VRF on top of the head,
 * assemble transactions, compute the state root, and sign the header. The caller imports and
 * publishes the result (and must persist the slot as signed first, so a restart never
 * equivocates).
 */
import { bytesEqual, toHex } from '../core/bytes.ts'
import { epochStateForSlot, tryLead, type EpochState, type StakeSnapshot } from '../core/consensus.ts'
import { MemecoinError, ValidationError } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import { merkleRoot } from '../core/merkle.ts'
import { HEADER_DOMAIN, signBytes } from '../core/signing.ts'
import { applyBlock, undoBlock, type BlockResult } from '../core/transition.ts'
import type { Block, BlockHeader, SignedTx } from '../core/types.ts'
import { encodeBlock } from '../wire/block.ts'
import { encodeHeader, encodeSignedHeader } from '../wire/header.ts'
import type { Chain } from './chain.ts'

/** A validator's key pair. */
export interface ValidatorKey { privateKey: Uint8Array, publicKey: Uint8Array }

/** Bytes a block adds around its transactions (header, framing): reserved by block assembly. */
export const BLOCK_OVERHEAD_BYTES = 1024
/** Assembly drops an invalid transaction (and its sender's later ones) and retries at most this many times, then builds an empty block. */
const MAX_ASSEMBLY_RETRIES = 16

/** What `leadership` found: the slot's epoch state and this key's winning VRF proof. */
export interface Leadership {
  /** The head it was found on: a block for it is built on that head only. */
  head: Chain['head']
  state: EpochState
  vrfProof: Uint8Array
}

/** A block built on the head, with its state transition still applied to the ledger. */
export interface AppliedBlock {
  block: Block
  /** What applying it did: `undoBlock(ledger, applied.undo)` restores the head's state. */
  applied: BlockResult
}

/**
 * Whether `key` leads `slot` on top of the current head (by VRF): its epoch state and proof, or
 * undefined (also for a slot not after the head's).
 */
export function leadership (chain: Chain, key: ValidatorKey, slot: bigint): Leadership | undefined {
  const head = chain.head
  if (slot <= head.slot) return undefined
  const state = epochStateForSlot(head.epochAfter as EpochState, head.stakesAfter as StakeSnapshot, slot, chain.params)
  const lead = tryLead(key.privateKey, key.publicKey, slot, state, chain.params)
  return lead === undefined ? undefined : { head, state, vrfProof: lead.vrfProof }
}

/**
 * Builds the block `key` may propose in `slot` on the current head, or undefined when it is not
 * a leader there (or the slot is not after the head's). `candidates` are tried in order; one that
 * fails to apply is dropped with its sender's later ones and reported through `onDrop` (the
 * caller removes it from the mempool). Given as a function, the candidates
 * are assembled only once the VRF says this key leads the slot: block assembly (the mempool's
 * `select`, a pass over every pending sender) is then paid in the few slots a validator leads,
 * not in every slot. The ledger is left as it was.
 */
export function produceBlock (chain: Chain, key: ValidatorKey, slot: bigint, candidates: SignedTx[] | (() => SignedTx[]), onDrop?: (tx: SignedTx, err: unknown) => void): Block | undefined {
  const lead = leadership(chain, key, slot)
  if (lead === undefined) return undefined
  const { block, applied } = produceBlockApplied(chain, key, slot, lead, candidates, onDrop)
  undoBlock(chain.ledger, applied.undo)
  return block
}

/**
 * `produceBlock` for a slot `lead` says this key leads, leaving the block's state transition
 * applied to the ledger (the head itself unchanged): `Chain.importProduced` then imports the block
 * without applying it a second time (a loaded validator spent ≈ 5% of its event loop applying,
 * undoing and applying again each block it made). The caller must import it or undo it before
 * anything else reads the ledger. Throws only what building throws, the ledger then unchanged.
 */
export function produceBlockApplied (chain: Chain, key: ValidatorKey, slot: bigint, lead: Leadership, candidates: SignedTx[] | (() => SignedTx[]), onDrop?: (tx: SignedTx, err: unknown) => void): AppliedBlock {
  const head = chain.head
  if (head !== lead.head) throw new MemecoinError('ERR_INTERNAL', 'the head moved since leadership was checked')
  const params = chain.params
  const { state } = lead
  let txs = typeof candidates === 'function' ? candidates() : candidates
  let applied: BlockResult | undefined
  for (let attempt = 0; applied === undefined; attempt++) {
    try {
      // applyBlock rolls the ledger back itself when it throws
      applied = applyBlock(chain.ledger, txs, { params, slot, epoch: state.epoch, proposer: key.publicKey }, { verifySignatures: false })
    } catch (err) {
      const index = err instanceof ValidationError ? Number(err.details?.index ?? -1) : -1
      // an empty block has nothing to fail on: anything else is not about the candidates
      if (txs.length === 0 || index < 0 || index >= txs.length) throw err
      const bad = txs[index] as SignedTx
      onDrop?.(bad, err)
      // The failing transaction goes, with its sender's later ones (they need its nonce). After
      // MAX_ASSEMBLY_RETRIES failures the slot gets an empty block: a leader's block is never
      // withheld because of what its mempool holds.
      const sender = bad.body.sender
      txs = attempt >= MAX_ASSEMBLY_RETRIES ? [] : txs.filter((t, i) => i < index || !(bytesEqual(t.body.sender, sender) && t.body.nonce >= bad.body.nonce))
    }
  }
  try {
    const stateRoot = chain.ledger.root()
    const header: BlockHeader = {
      chainId: params.chainId,
      height: head.height + 1n,
      slot,
      parentHash: head.hash,
      proposer: key.publicKey,
      vrfProof: lead.vrfProof,
      txRoot: merkleRoot(txs.map((t) => t.id)),
      stateRoot,
      txCount: txs.length
    }
    const headerBytes = encodeHeader(header)
    const signature = signBytes(HEADER_DOMAIN, headerBytes, key.privateKey)
    const signedBytes = encodeSignedHeader(headerBytes, signature)
    const bytes = encodeBlock(signedBytes, txs.map((t) => t.bytes))
    return { block: { bytes, header: { bytes: signedBytes, hash: sha256(signedBytes), headerBytes, header, signature }, txs }, applied }
  } catch (err) {
    undoBlock(chain.ledger, applied.undo)
    throw err
  }
}

/** Hex of a block hash, for logs. */
export function shortHash (hash: Uint8Array): string {
  return toHex(hash).slice(0, 12)
}
