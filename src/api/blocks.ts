/**
 * Block endpoints: `GET /blocks/:heightOrHash` and `GET /blocks?from=&limit=`. Blocks come from
 * the block tree when held in memory (no decoding), else from the store; only a full block is
 * decoded in full, a list needs headers only.
 */
import { toHex } from '../core/bytes.ts'
import { sha256 } from '../core/hash.ts'
import type { Block, SignedHeader } from '../core/types.ts'
import type { BlockNode } from '../chain/chain.ts'
import type { ChainService } from '../chain/service.ts'
import { decodeBlock } from '../wire/block.ts'
import { decodeMessage } from '../wire/codec.ts'
import { decodeSignedHeader } from '../wire/header.ts'
import { MAX_BLOCK_BYTES, MAX_BLOCK_TXS } from '../wire/limits.ts'
import { Block as BlockMessage } from '../wire/memecoin.ts'
import { DEFAULT_BLOCKS_PAGE, MAX_BLOCKS_PAGE, TXS_PER_CHUNK } from './constants.ts'
import type { ApiContext, ApiRequest } from './context.ts'
import { notFound } from './errors.ts'
import { sendJson, sendJsonText, streamJson } from './http.ts'
import { parseBlockId, parseFormat, parseIntParam, parseUint64 } from './params.ts'
import { blockJsonParts, blockSummaryJson, type BlockPlacement, type BlockSummaryJson } from './views.ts'

/** A block as found: decoded, and its tree node when in memory. */
export interface FoundBlock { block: Block, node?: BlockNode }

/** The signed header and transaction count of stored block bytes, without decoding transactions. */
export function headerOfBytes (bytes: Uint8Array): SignedHeader {
  const b = decodeMessage(BlockMessage, bytes, MAX_BLOCK_BYTES, 'Block', { limits: { txs: MAX_BLOCK_TXS } })
  return decodeSignedHeader(b.header)
}

/** The canonical block at `height`. */
export async function blockAtHeight (svc: ChainService, height: bigint): Promise<FoundBlock | undefined> {
  const node = svc.chain.blockAt(height)
  if (node?.block !== undefined) return { block: node.block, node }
  const bytes = await svc.blockAt(height)
  return bytes === undefined ? undefined : { block: decodeBlock(bytes, svc.params) }
}

/** A known block (any branch) by hash. */
export async function blockByHash (svc: ChainService, hash: Uint8Array): Promise<FoundBlock | undefined> {
  const node = svc.chain.getNode(hash)
  if (node?.block !== undefined) return { block: node.block, node }
  const bytes = await svc.blockByHash(hash)
  return bytes === undefined ? undefined : { block: decodeBlock(bytes, svc.params) }
}

/** Hash of the canonical block at `height` (memory, else store), if any. */
async function canonicalHashAt (svc: ChainService, height: bigint): Promise<string | undefined> {
  if (height > svc.chain.head.height) return undefined
  const node = svc.chain.blockAt(height)
  if (node !== undefined) return node.hex
  const bytes = await svc.blockAt(height)
  return bytes === undefined ? undefined : toHex(sha256(headerOfBytes(bytes).bytes))
}

/** Canonical / settled / confirmations of a block; `canonical` when the caller already knows. */
export async function placementOf (svc: ChainService, sh: SignedHeader, canonical?: boolean): Promise<BlockPlacement> {
  const height = sh.header.height
  const isCanonical = canonical ?? (await canonicalHashAt(svc, height)) === toHex(sh.hash)
  const head = svc.chain.head
  return {
    canonical: isCanonical,
    settled: isCanonical && height <= svc.chain.settledHeight,
    confirmations: (isCanonical && height <= head.height ? head.height - height + 1n : 0n).toString()
  }
}

/** `GET /blocks/:heightOrHash[?format=hex]`. */
export async function getBlock (ctx: ApiContext, r: ApiRequest): Promise<void> {
  const svc = ctx.chain
  const id = parseBlockId(r.params[0] as string)
  const format = parseFormat(r.url)
  let found: FoundBlock | undefined
  if ('height' in id) {
    if (id.height === 0n) throw notFound('height 0 is genesis, which has no block (see genesisHash in /status)')
    if (id.height > svc.chain.head.height) throw notFound(`no block at height ${id.height} (head is at ${svc.chain.head.height})`)
    found = await blockAtHeight(svc, id.height)
  } else {
    found = await blockByHash(svc, id.hash)
  }
  if (found === undefined) throw notFound('block not found')
  const sh = found.block.header
  if (format === 'hex') {
    sendJson(r.res, 200, { hash: toHex(sh.hash), height: sh.header.height.toString(), hex: toHex(found.block.bytes) })
    return
  }
  const placement = await placementOf(svc, sh, 'height' in id ? true : undefined)
  const summary = blockSummaryJson(sh, found.block.bytes.length, placement, svc.params, found.node)
  // one chunk's worth is sent whole (with a length); larger blocks stream, yielding between chunks
  if (found.block.txs.length <= TXS_PER_CHUNK) sendJsonText(r.res, 200, [...blockJsonParts(summary, found.block)].join(''))
  else await streamJson(r.res, 200, blockJsonParts(summary, found.block))
}

/**
 * `GET /blocks?from=&limit=`: block summaries (no transactions). Without `from`: the newest
 * `limit` canonical blocks, newest first. With `from`: ascending from that height, and `next`
 * (the height to ask for next) while the head is not reached.
 */
export async function listBlocks (ctx: ApiContext, r: ApiRequest): Promise<void> {
  const svc = ctx.chain
  const limit = parseIntParam(r.url, 'limit', DEFAULT_BLOCKS_PAGE, 1, MAX_BLOCKS_PAGE)
  const fromParam = r.url.searchParams.get('from')
  const head = svc.chain.head.height
  const heights: bigint[] = []
  if (fromParam === null) {
    for (let h = head; h >= 1n && heights.length < limit; h--) heights.push(h)
  } else {
    const from = parseUint64(fromParam, 'from')
    for (let h = from < 1n ? 1n : from; h <= head && heights.length < limit; h++) heights.push(h)
  }
  const blocks: BlockSummaryJson[] = []
  for (const h of heights) {
    const node = svc.chain.blockAt(h)
    let sh: SignedHeader
    let size: number
    if (node?.block !== undefined) {
      sh = node.block.header
      size = node.block.bytes.length
    } else {
      const bytes = await svc.blockAt(h)
      if (bytes === undefined) break // a reorg shortened the chain meanwhile
      sh = headerOfBytes(bytes)
      size = bytes.length
    }
    blocks.push(blockSummaryJson(sh, size, await placementOf(svc, sh, true), svc.params, node))
  }
  const body: { head: string, blocks: BlockSummaryJson[], next?: string } = { head: svc.chain.head.height.toString(), blocks }
  const last = heights[heights.length - 1]
  if (fromParam !== null && last !== undefined && blocks.length === heights.length && last < svc.chain.head.height) body.next = (last + 1n).toString()
  sendJson(r.res, 200, body)
}
