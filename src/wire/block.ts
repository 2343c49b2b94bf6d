/**
 * Blocks on the wire: canonical decoding into the core's types, and encoding.
 */
import { DecodeError } from '../core/errors.ts'
import type { Block as CoreBlock, SignedTx } from '../core/types.ts'
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

/** Block bytes of signed-header bytes and transaction bytes. */
export function encodeBlock (signedHeaderBytes: Uint8Array, txs: Uint8Array[]): Uint8Array {
  return encodeMessage(Block, { header: signedHeaderBytes, txs })
}
