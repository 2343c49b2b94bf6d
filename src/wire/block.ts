/**
 * Blocks on the wire: canonical decoding into the core's types, and encoding.
 */
import { bytesEqual } from '../core/bytes.ts'
import { DecodeError } from '../core/errors.ts'
import type { Block as CoreBlock, SignedHeader as CoreSignedHeader, SignedTx } from '../core/types.ts'
import { Block } from './memecoin.ts'
import { decodeCanonical, encodeMessage } from './codec.ts'
import { MAX_BLOCK_BYTES, MAX_BLOCK_TXS } from './limits.ts'
import { decodeSignedHeader } from './header.ts'
import { decodeTx, readLength } from './tx.ts'

/** Per-chain block limits (from genesis), never above the protocol caps. */
export interface BlockLimits { maxBlockBytes: number, maxBlockTxs: number }

/**
 * Decodes Block bytes with its header and every transaction. `known`, if given, returns a
 * transaction already decoded (the mempool's) for a transaction's bytes: a block's transaction
 * whose bytes equal the known one's is that object, not decoded (nor hashed) again. Blocks on a
 * live network carry mostly transactions their receivers hold; sharing the object also keeps
 * what was derived from it once (id, sender id, signature-cache key). A known object's id must be
 * SHA-256 of its bytes, as every decoded transaction's is.
 */
export function decodeBlock (bytes: Uint8Array, limits: BlockLimits = { maxBlockBytes: MAX_BLOCK_BYTES, maxBlockTxs: MAX_BLOCK_TXS }, known?: (txBytes: Uint8Array) => SignedTx | undefined): CoreBlock {
  const { maxBytes, maxTxs } = capped(limits)
  // (shared memory goes to the generic path, which copies it first)
  const fields = (bytes instanceof Uint8Array && bytes.length <= maxBytes && !(bytes.buffer instanceof SharedArrayBuffer) ? canonicalBlockFields(bytes, maxTxs) : undefined) ??
    decodeCanonical(Block, bytes, maxBytes, 'Block', { limits: { txs: maxTxs } })
  return blockOf(bytes, fields, known)
}

/** decodeBlock through protons and the canonical re-encoding check alone (what the fast framing must agree with). */
export function decodeBlockGeneric (bytes: Uint8Array, limits: BlockLimits = { maxBlockBytes: MAX_BLOCK_BYTES, maxBlockTxs: MAX_BLOCK_TXS }): CoreBlock {
  const { maxBytes, maxTxs } = capped(limits)
  return blockOf(bytes, decodeCanonical(Block, bytes, maxBytes, 'Block', { limits: { txs: maxTxs } }))
}

function capped (limits: BlockLimits): { maxBytes: number, maxTxs: number } {
  return { maxBytes: Math.min(limits.maxBlockBytes, MAX_BLOCK_BYTES), maxTxs: Math.min(limits.maxBlockTxs, MAX_BLOCK_TXS) }
}

function blockOf (bytes: Uint8Array, b: { header: Uint8Array, txs: Uint8Array[] }, known?: (txBytes: Uint8Array) => SignedTx | undefined): CoreBlock {
  const header = decodeSignedHeader(b.header)
  if (header.header.txCount !== b.txs.length) {
    throw new DecodeError('ERR_TX_COUNT', `header announces ${header.header.txCount} transactions, block has ${b.txs.length}`)
  }
  const txs: SignedTx[] = new Array(b.txs.length)
  for (let i = 0; i < b.txs.length; i++) {
    const t = b.txs[i] as Uint8Array
    const k = known?.(t)
    txs[i] = k !== undefined && bytesEqual(k.bytes, t) ? k : decodeTx(t)
  }
  return { bytes, header, txs }
}

/**
 * The fields of Block bytes in the one canonical form protobuf encoders write: a non-empty
 * header (field 1) first, then each transaction (field 2), every length a minimal varint,
 * nothing else, at most `maxTxs` transactions. Undefined for anything else, which the generic
 * decoder then judges (and refuses, or accepts with the same result): a block parsed here is
 * exactly one `decodeCanonical` accepts, without its re-encoding of the whole block.
 */
export function canonicalBlockFields (bytes: Uint8Array, maxTxs: number): { header: Uint8Array, txs: Uint8Array[] } | undefined {
  const end = bytes.length
  if (bytes[0] !== 0x0a) return undefined
  const h = readLength(bytes, 1, end)
  if (h === undefined || h[0] === 0) return undefined
  const header = bytes.subarray(h[1], h[1] + h[0])
  const txs: Uint8Array[] = []
  let p = h[1] + h[0]
  while (p < end) {
    if (bytes[p] !== 0x12 || txs.length === maxTxs) return undefined
    const t = readLength(bytes, p + 1, end)
    if (t === undefined) return undefined
    txs.push(bytes.subarray(t[1], t[1] + t[0]))
    p = t[1] + t[0]
  }
  return { header, txs }
}

/**
 * The signed header of Block bytes without decoding the transactions: canonical Block bytes start
 * with the header (field 1), which is read from there. For checks of a block's place (height,
 * parent) before the whole block is decoded; the full decode (`decodeBlock`) still judges the rest.
 */
export function peekBlockHeader (bytes: Uint8Array): CoreSignedHeader {
  // field 1, wire type 2: tag 0x0a, then a varint length (a signed header is < 2^14 bytes: ≤ 2 bytes)
  if (bytes[0] !== 0x0a) throw new DecodeError('ERR_MALFORMED', 'Block: the header is not its first field')
  let len = 0
  let at = 1
  for (let shift = 0; ; shift += 7) {
    const b = bytes[at++]
    if (b === undefined || shift > 7) throw new DecodeError('ERR_MALFORMED', 'Block: bad header length')
    len |= (b & 0x7f) << shift
    if (b < 0x80) break
  }
  if (at + len > bytes.length) throw new DecodeError('ERR_MALFORMED', 'Block: header truncated')
  return decodeSignedHeader(bytes.subarray(at, at + len))
}

/** Block bytes of signed-header bytes and transaction bytes. */
export function encodeBlock (signedHeaderBytes: Uint8Array, txs: Uint8Array[]): Uint8Array {
  return encodeMessage(Block, { header: signedHeaderBytes, txs })
}
