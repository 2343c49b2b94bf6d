/**
 * JSON views of chain objects: integers as decimal strings, bytes as lower-case hex, accounts as
 * meme1 addresses. Pure functions over decoded objects; the shapes are the API contract.
 */
import { addressOf, encodeAddress } from '../core/address.ts'
import { toHex } from '../core/bytes.ts'
import { epochOf, leaderValue } from '../core/consensus.ts'
import type { AccountState } from '../core/ledger.ts'
import type { ChainParams } from '../core/params.ts'
import type { Block, SignedHeader, SignedTx, TxKind } from '../core/types.ts'
import { vrfProofToHash } from '../core/vrf.ts'
import { TXS_PER_CHUNK } from './constants.ts'

/** A transaction. Payload fields appear by kind: `to` + `amount` (transfer), `amount` (stake, unstake), `evidence`. */
export interface TxJson {
  id: string
  kind: TxKind
  /** meme1 address of the sender. */
  sender: string
  senderPublicKey: string
  nonce: string
  fee: string
  /** Wire size in bytes. */
  size: number
  to?: string
  amount?: string
  evidence?: { offender: string, offenderPublicKey: string, slot: string, headerA: string, headerB: string }
}

/** Where a block stands relative to the node's canonical chain. */
export interface BlockPlacement {
  canonical: boolean
  /** Canonical and at or below the settled height. */
  settled: boolean
  /** Head height − height + 1 for a canonical block, else 0. */
  confirmations: string
}

/** A block without its transactions (`GET /blocks` items). */
export interface BlockSummaryJson extends BlockPlacement {
  hash: string
  height: string
  slot: string
  epoch: string
  parentHash: string
  proposer: { address: string, publicKey: string }
  vrfProof: string
  /** VRF output beta (hex) and leader value L (64 hex characters), SPEC §9. */
  vrfOutput: string
  leaderValue: string
  txRoot: string
  stateRoot: string
  txCount: number
  /** Block wire size in bytes. */
  size: number
  signature: string
}

/** A block with its transactions (`GET /blocks/:id`). */
export interface BlockJson extends BlockSummaryJson { txs: TxJson[] }

/** An account (`GET /accounts/:address`); an absent account is all zeros. */
export interface AccountJson {
  address: string
  height: string
  headHash: string
  balance: string
  /** Balance plus unbonding entries released by the epoch in progress (SPEC §7). */
  spendable: string
  nonce: string
  stake: string
  unbonding: Array<{ amount: string, releaseEpoch: string }>
  /** Transactions of this sender in the mempool, and the nonce its next transaction should use. */
  pending: number
  nextNonce: string
}

/** JSON of a transaction. */
export function txJson (tx: SignedTx): TxJson {
  const b = tx.body
  const out: TxJson = {
    id: toHex(tx.id),
    kind: tx.kind,
    sender: addressOf(b.sender),
    senderPublicKey: toHex(b.sender),
    nonce: b.nonce.toString(),
    fee: b.fee.toString(),
    size: tx.bytes.length
  }
  if (b.transfer !== undefined) {
    out.to = encodeAddress(b.transfer.to)
    out.amount = b.transfer.amount.toString()
  }
  const amount = b.stake?.amount ?? b.unstake?.amount
  if (amount !== undefined) out.amount = amount.toString()
  if (tx.evidence !== undefined) {
    const h = tx.evidence.a.header
    out.evidence = {
      offender: addressOf(h.proposer),
      offenderPublicKey: toHex(h.proposer),
      slot: h.slot.toString(),
      headerA: toHex(tx.evidence.a.hash),
      headerB: toHex(tx.evidence.b.hash)
    }
  }
  return out
}

/** VRF output and leader value of a header: from the block tree when known, else from the proof. */
export function vrfOf (sh: SignedHeader, known?: { vrfOutput?: Uint8Array }): { vrfOutput: string, leaderValue: string } {
  const beta = known?.vrfOutput ?? vrfProofToHash(sh.header.vrfProof)
  return { vrfOutput: toHex(beta), leaderValue: leaderValue(beta).toString(16).padStart(64, '0') }
}

/** JSON of a block header with its placement; `size` is the block's wire size. */
export function blockSummaryJson (
  sh: SignedHeader, size: number, placement: BlockPlacement, params: ChainParams,
  known?: { vrfOutput?: Uint8Array }
): BlockSummaryJson {
  const h = sh.header
  return {
    hash: toHex(sh.hash),
    height: h.height.toString(),
    slot: h.slot.toString(),
    epoch: epochOf(h.slot, params).toString(),
    parentHash: toHex(h.parentHash),
    proposer: { address: addressOf(h.proposer), publicKey: toHex(h.proposer) },
    vrfProof: toHex(h.vrfProof),
    ...vrfOf(sh, known),
    txRoot: toHex(h.txRoot),
    stateRoot: toHex(h.stateRoot),
    txCount: h.txCount,
    size,
    signature: toHex(sh.signature),
    ...placement
  }
}

/**
 * A full block as JSON text in parts (`{...summary, "txs": [...]}`), TXS_PER_CHUNK transactions
 * per part, so the response can be streamed without building one large string.
 */
export function * blockJsonParts (summary: BlockSummaryJson, block: Block): Generator<string> {
  const head = JSON.stringify(summary)
  yield `${head.slice(0, -1)},"txs":[`
  for (let i = 0; i < block.txs.length; i += TXS_PER_CHUNK) {
    const part = block.txs.slice(i, i + TXS_PER_CHUNK).map((t) => JSON.stringify(txJson(t))).join(',')
    yield i === 0 ? part : ',' + part
  }
  yield ']}'
}

/** JSON of an account at the head (zeros when absent). */
export function accountJson (
  address: string, a: Readonly<AccountState> | undefined, spendable: bigint,
  head: { height: bigint, hex: string }, pending: number
): AccountJson {
  const nonce = a?.nonce ?? 0n
  return {
    address,
    height: head.height.toString(),
    headHash: head.hex,
    balance: (a?.balance ?? 0n).toString(),
    spendable: spendable.toString(),
    nonce: nonce.toString(),
    stake: (a?.stake ?? 0n).toString(),
    unbonding: (a?.unbonding ?? []).map((u) => ({ amount: u.amount.toString(), releaseEpoch: u.releaseEpoch.toString() })),
    pending,
    nextNonce: (nonce + BigInt(pending)).toString()
  }
}

/** `num/den` as a decimal string with `decimals` fractional digits (truncated); "0" shares for den 0. */
export function decimalRatio (num: bigint, den: bigint, decimals: number): string {
  if (den === 0n) return (0).toFixed(decimals)
  const scale = 10n ** BigInt(decimals)
  const scaled = (num * scale) / den
  const frac = (scaled % scale).toString().padStart(decimals, '0')
  return decimals === 0 ? (scaled / scale).toString() : `${scaled / scale}.${frac}`
}
