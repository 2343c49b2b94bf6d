/**
 * The protocol's data as the core sees it: plain decoded objects that keep the exact bytes they
 * came from (hashes and signatures are always over received bytes, never a re-encoding).
 * Field names and shapes match protocol/memecoin.proto; src/wire builds these.
 */

/** The four transaction kinds; a body carries exactly one payload. */
export type TxKind = 'transfer' | 'stake' | 'unstake' | 'evidence'

export interface TransferPayload { to: Uint8Array, amount: bigint }
export interface AmountPayload { amount: bigint }
export interface EvidencePayload { headerA: Uint8Array, headerB: Uint8Array }

/** A decoded TxBody (protocol/memecoin.proto). */
export interface TxBody {
  chainId: Uint8Array
  sender: Uint8Array
  nonce: bigint
  fee: bigint
  transfer?: TransferPayload
  stake?: AmountPayload
  unstake?: AmountPayload
  evidence?: EvidencePayload
}

/** A decoded, structurally valid (not yet signature-checked) transaction. */
export interface SignedTx {
  /** Transaction wire bytes. */
  bytes: Uint8Array
  /** SHA-256(bytes). */
  id: Uint8Array
  /** TxBody bytes, the signed part. */
  bodyBytes: Uint8Array
  body: TxBody
  kind: TxKind
  signature: Uint8Array
  /** For evidence transactions: the two decoded signed headers. */
  evidence?: { a: SignedHeader, b: SignedHeader }
  /**
   * Memos of values derived from this object's fields, set on first use by the function named
   * (the decoders create them undefined, so decoded transactions share one shape). A transaction
   * is looked at by the mempool, the state transition, the verified-signature cache and the
   * transaction index in turn; a loaded devnet node spent ≈ 8% of its event loop finding these
   * again by key. Never encoded, never part of what a transaction is. They hold only while
   * `memoOf` is this very object: a copy (`{ ...tx, signature }`) carries another object's memos
   * and so derives its own. Transaction objects are not changed in place.
   */
  memoOf?: SignedTx | undefined
  /** The sender's account id (`senderIdOf`, src/core/address.ts); shared, never written to. */
  senderId?: Uint8Array | undefined
  /** The verified-signature cache's key (src/chain/sig-cache.ts). */
  sigKey?: string | undefined
}

/** A decoded BlockHeader. */
export interface BlockHeader {
  chainId: Uint8Array
  height: bigint
  slot: bigint
  parentHash: Uint8Array
  proposer: Uint8Array
  vrfProof: Uint8Array
  txRoot: Uint8Array
  stateRoot: Uint8Array
  txCount: number
}

/** A decoded SignedHeader: block hash = SHA-256(bytes). */
export interface SignedHeader {
  bytes: Uint8Array
  hash: Uint8Array
  headerBytes: Uint8Array
  header: BlockHeader
  signature: Uint8Array
}

/** A decoded block with its decoded transactions. */
export interface Block {
  bytes: Uint8Array
  header: SignedHeader
  txs: SignedTx[]
}

/** A rational number num/den, den > 0. */
export interface Rational { num: bigint, den: bigint }
