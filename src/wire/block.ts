/**
 * Blocks on the wire: canonical decoding into the core's types, and encoding.
 */
import { DecodeError } from '../core/errors.ts'
import type { Block as CoreBlock, SignedHeader as CoreSignedHeader, SignedTx } from '../core/types.ts'
import { Block } from './memecoin.ts'
import { decodeCanonical, encodeMessage } from './codec.ts'
import { MAX_BLOCK_BYTES, MAX_BLOCK_TXS } from './limits.ts'
import { decodeSignedHeader } from './header.ts'
import { decodeTx } from './tx.ts'

/** Per-chain block limits (from genesis), never above the protocol caps. */
export interface BlockLimits { maxBlockBytes: number, maxBlockTxs: number }

/** Decodes Block bytes with its header and every transaction. */
export function decodeBlock (bytes: Uint8Array, limits: BlockLimits = { maxBlockBytes: MAX_BLOCK_BYTES, maxBlockTxs: MAX_BLOCK_TXS }): CoreBlock {
  const maxBytes = Math.min(limits.maxBlockBytes, MAX_BLOCK_BYTES)
  const maxTxs = Math.min(limits.maxBlockTxs, MAX_BLOCK_TXS)
  const b = decodeCanonical(Block, bytes, maxBytes, 'Block', { limits: { txs: maxTxs } })
  const header = decodeSignedHeader(b.header)
  if (header.header.txCount !== b.txs.length) {
    throw new DecodeError('ERR_TX_COUNT', `header announces ${header.header.txCount} transactions, block has ${b.txs.length}`)
  }
  const txs: SignedTx[] = b.txs.map((t) => decodeTx(t))
  return { bytes, header, txs }
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
