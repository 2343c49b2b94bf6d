/**
 * Transactions on the wire: canonical decoding into the core's SignedTx, and encoding.
 * Structural rules only (sizes, lengths, exactly one payload); signatures and state rules are
 * checked by the core.
 */
import { DecodeError } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import type { SignedTx, TxBody as CoreTxBody, TxKind } from '../core/types.ts'
import { Transaction, TxBody, TxBatch } from './memecoin.ts'
import { decodeCanonical, decodeMessage, encodeMessage, expectLength } from './codec.ts'
import { ACCOUNT_ID_BYTES, CHAIN_ID_BYTES, MAX_TX_BATCH_BYTES, MAX_TX_BATCH_TXS, MAX_TX_BODY_BYTES, MAX_TX_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from './limits.ts'
import { decodeSignedHeader } from './header.ts'
import { publicKeyOf } from '../core/secp256k1.ts'
import { signBytes, TX_DOMAIN } from '../core/signing.ts'

/** The payload kind of a body; throws ERR_TX_KIND unless exactly one payload is present. */
export function txKindOf (body: CoreTxBody): TxKind {
  const kinds: TxKind[] = []
  if (body.transfer !== undefined) kinds.push('transfer')
  if (body.stake !== undefined) kinds.push('stake')
  if (body.unstake !== undefined) kinds.push('unstake')
  if (body.evidence !== undefined) kinds.push('evidence')
  if (kinds.length !== 1) throw new DecodeError('ERR_TX_KIND', `a transaction body must carry exactly one payload, found ${kinds.length}`)
  return kinds[0] as TxKind
}

/** Decodes and structurally checks TxBody bytes. */
export function decodeTxBody (bodyBytes: Uint8Array): CoreTxBody {
  const body = decodeCanonical(TxBody, bodyBytes, MAX_TX_BODY_BYTES, 'TxBody')
  expectLength(body.chainId, CHAIN_ID_BYTES, 'chainId')
  expectLength(body.sender, PUBLIC_KEY_BYTES, 'sender')
  txKindOf(body)
  if (body.transfer !== undefined) expectLength(body.transfer.to, ACCOUNT_ID_BYTES, 'transfer.to')
  return body
}

// ---- fast path: the canonical encodings of transfer, stake and unstake transactions, read in
// one pass. It accepts only bytes that are canonical (fields in order, each once, no explicit
// defaults, minimal varints, the fixed lengths of D-4) and returns exactly what the generic
// path (protons decode, re-encode, compare) returns for them; anything else — evidence, an
// error of any kind, a value ≥ 2^63 — goes to the generic path, which decides as before.

/** A minimal varint at `p` of at most 9 bytes (< 2^63): [value, next position], or undefined. */
function readVarint (b: Uint8Array, p: number, end: number): [bigint, number] | undefined {
  let lo = 0
  let i = p
  // up to 4 bytes (28 bits) in plain integer arithmetic
  for (let shift = 0; i < end && i - p < 4; shift += 7) {
    const x = b[i++] as number
    lo += (x & 0x7f) * 2 ** shift
    if ((x & 0x80) === 0) return x === 0 && i - p > 1 ? undefined : [BigInt(lo), i]
  }
  let v = BigInt(lo)
  for (let shift = 28n; i < end && i - p < 9; shift += 7n) {
    const x = b[i++] as number
    v |= BigInt(x & 0x7f) << shift
    if ((x & 0x80) === 0) return x === 0 ? undefined : [v, i]
  }
  return undefined
}

/** A minimal varint length at `p` (< 2^28) that fits before `end`: [length, next position], or undefined. */
export function readLength (b: Uint8Array, p: number, end: number): [number, number] | undefined {
  let n = 0
  for (let i = p, shift = 0; i < end && i - p < 4; shift += 7) {
    const x = b[i++] as number
    n += (x & 0x7f) * 2 ** shift
    if ((x & 0x80) === 0) return (x === 0 && i - p > 1) || i + n > end ? undefined : [n, i]
  }
  return undefined
}

/** A nonzero uint64 field `tag` at `p` (absent: 0n at p). */
function readU64Field (b: Uint8Array, p: number, end: number, tag: number): [bigint, number] | undefined {
  if (p >= end || b[p] !== tag) return [0n, p]
  const r = readVarint(b, p + 1, end)
  // an explicit 0 is a default written out: not canonical
  return r === undefined || r[0] === 0n ? undefined : r
}

/** The canonical TxBody of a transfer, stake or unstake, or undefined (use the generic path). */
function fastTxBody (b: Uint8Array): CoreTxBody | undefined {
  const end = b.length
  // 1 chainId (8 bytes), 2 sender (33 bytes)
  if (end < 2 + CHAIN_ID_BYTES + 2 + PUBLIC_KEY_BYTES + 2 || b[0] !== 0x0a || b[1] !== CHAIN_ID_BYTES) return undefined
  let p = 2 + CHAIN_ID_BYTES
  if (b[p] !== 0x12 || b[p + 1] !== PUBLIC_KEY_BYTES) return undefined
  const chainId = b.subarray(2, p)
  const sender = b.subarray(p + 2, p + 2 + PUBLIC_KEY_BYTES)
  p += 2 + PUBLIC_KEY_BYTES
  const nonce = readU64Field(b, p, end, 0x18)
  if (nonce === undefined) return undefined
  const fee = readU64Field(b, nonce[1], end, 0x20)
  if (fee === undefined) return undefined
  p = fee[1]
  // exactly one payload, the last field: 5 transfer, 6 stake, 7 unstake
  const tag = b[p]
  if (tag !== 0x2a && tag !== 0x32 && tag !== 0x3a) return undefined
  const len = readLength(b, p + 1, end)
  if (len === undefined || len[1] + len[0] !== end) return undefined
  p = len[1]
  const body: CoreTxBody = { chainId, sender, nonce: nonce[0], fee: fee[0] }
  if (tag === 0x2a) {
    // Transfer: 1 to (20 bytes), 2 amount
    if (b[p] !== 0x0a || b[p + 1] !== ACCOUNT_ID_BYTES || p + 2 + ACCOUNT_ID_BYTES > end) return undefined
    const to = b.subarray(p + 2, p + 2 + ACCOUNT_ID_BYTES)
    const amount = readU64Field(b, p + 2 + ACCOUNT_ID_BYTES, end, 0x10)
    if (amount === undefined || amount[1] !== end) return undefined
    body.transfer = { to, amount: amount[0] }
  } else {
    // Stake / Unstake: 1 amount
    const amount = readU64Field(b, p, end, 0x08)
    if (amount === undefined || amount[1] !== end) return undefined
    if (tag === 0x32) body.stake = { amount: amount[0] }
    else body.unstake = { amount: amount[0] }
  }
  return body
}

/** The SignedTx of canonical Transaction bytes of a transfer, stake or unstake, or undefined. */
function fastDecodeTx (bytes: Uint8Array, id?: Uint8Array): SignedTx | undefined {
  const end = bytes.length
  if (!(bytes instanceof Uint8Array) || end > MAX_TX_BYTES || bytes[0] !== 0x0a) return undefined
  // 1 body (non-empty, ≤ MAX_TX_BODY_BYTES), then 2 signature (64 bytes), then nothing
  const len = readLength(bytes, 1, end)
  if (len === undefined || len[0] === 0 || len[0] > MAX_TX_BODY_BYTES) return undefined
  const sigAt = len[1] + len[0]
  if (sigAt + 2 + SIGNATURE_BYTES !== end || bytes[sigAt] !== 0x12 || bytes[sigAt + 1] !== SIGNATURE_BYTES) return undefined
  const bodyBytes = bytes.subarray(len[1], sigAt)
  const body = fastTxBody(bodyBytes)
  if (body === undefined) return undefined
  const kind: TxKind = body.transfer !== undefined ? 'transfer' : body.stake !== undefined ? 'stake' : 'unstake'
  return { bytes, id: id ?? sha256(bytes), bodyBytes, body, kind, signature: bytes.subarray(sigAt + 2, end), memoOf: undefined, senderId: undefined, sigKey: undefined }
}

/**
 * Decodes Transaction bytes into a SignedTx (not yet signature-checked). `id`, if given, must be
 * SHA-256(bytes), already computed by the caller (a block's decoder hashes every transaction
 * first, to find those it already holds).
 */
export function decodeTx (bytes: Uint8Array, id?: Uint8Array): SignedTx {
  return fastDecodeTx(bytes, id) ?? decodeTxGeneric(bytes, id)
}

/** decodeTx through protons and the canonical re-encoding check (every kind, every error). */
export function decodeTxGeneric (bytes: Uint8Array, id?: Uint8Array): SignedTx {
  const tx = decodeCanonical(Transaction, bytes, MAX_TX_BYTES, 'Transaction')
  expectLength(tx.signature, SIGNATURE_BYTES, 'signature')
  const body = decodeTxBody(tx.body)
  const kind = txKindOf(body)
  const out: SignedTx = { bytes, id: id ?? sha256(bytes), bodyBytes: tx.body, body, kind, signature: tx.signature, memoOf: undefined, senderId: undefined, sigKey: undefined }
  if (body.evidence !== undefined) {
    out.evidence = { a: decodeSignedHeader(body.evidence.headerA), b: decodeSignedHeader(body.evidence.headerB) }
  }
  return out
}

/** Canonical TxBody bytes of `body` (the caller ensures exactly one payload). */
export function encodeTxBody (body: CoreTxBody): Uint8Array {
  txKindOf(body)
  return encodeMessage(TxBody, body)
}

/** Transaction bytes of a body and its signature. */
export function encodeTx (bodyBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeMessage(Transaction, { body: bodyBytes, signature })
}

/** Decodes a gossiped TxBatch into its transactions' bytes (each still to be decoded). */
export function decodeTxBatch (bytes: Uint8Array): Uint8Array[] {
  const batch = decodeMessage(TxBatch, bytes, MAX_TX_BATCH_BYTES, 'TxBatch', { limits: { txs: MAX_TX_BATCH_TXS } })
  return batch.txs
}

/** TxBatch bytes of transactions' bytes; `salt` distinguishes batches with the same transactions. */
export function encodeTxBatch (txs: Uint8Array[], salt = 0n): Uint8Array {
  return encodeMessage(TxBatch, { txs, salt })
}

/**
 * Signs a body (sender filled in from the key) and returns the transaction's wire bytes and id.
 * The key must be valid; wallets check amounts and keys first (src/wallet/transactions.ts).
 */
export function signTx (body: Omit<CoreTxBody, 'sender'>, privateKey: Uint8Array, domain: string = TX_DOMAIN): { bytes: Uint8Array, id: Uint8Array } {
  const bodyBytes = encodeTxBody({ ...body, sender: publicKeyOf(privateKey) })
  const bytes = encodeTx(bodyBytes, signBytes(domain, bodyBytes, privateKey))
  return { bytes, id: sha256(bytes) }
}
