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

/** Decodes Transaction bytes into a SignedTx (not yet signature-checked). */
export function decodeTx (bytes: Uint8Array): SignedTx {
  const tx = decodeCanonical(Transaction, bytes, MAX_TX_BYTES, 'Transaction')
  expectLength(tx.signature, SIGNATURE_BYTES, 'signature')
  const body = decodeTxBody(tx.body)
  const kind = txKindOf(body)
  const out: SignedTx = { bytes, id: sha256(bytes), bodyBytes: tx.body, body, kind, signature: tx.signature }
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
