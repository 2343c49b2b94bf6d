/**
 * `GET /accounts/:address/txs`: an account's recent history from the API's transaction index
 * (transactions it sent, received, or that slashed it) and its transactions in the mempool.
 */
import { encodeAddress } from '../core/address.ts'
import { bytesEqual, fromHex, toHex } from '../core/bytes.ts'
import type { Block } from '../core/types.ts'
import { blockByHash } from './blocks.ts'
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE } from './constants.ts'
import type { ApiContext, ApiRequest } from './context.ts'
import { sendJson } from './http.ts'
import { parseAddress, parseIntParam } from './params.ts'
import { accountsOf } from './tx-index.ts'
import { txJson, type TxJson } from './views.ts'

/** One included transaction of an account's history. */
export interface HistoryItemJson {
  blockHash: string
  height: string
  /** Position in the block. */
  index: number
  confirmations: string
  tx: TxJson
}

/**
 * `GET /accounts/:address/txs?limit=` (1–100, default 20) → `{address, height, headHash, total,
 * oldestIndexedHeight, txs: HistoryItemJson[], pending: TxJson[]}`: included transactions newest
 * first (`total`: how many the index holds for the account; the index covers heights from
 * `oldestIndexedHeight`, null when empty), and up to `limit` mempool transactions that involve it.
 */
export async function getAccountTxs (ctx: ApiContext, r: ApiRequest): Promise<void> {
  const id = parseAddress(r.params[0] as string)
  const limit = parseIntParam(r.url, 'limit', DEFAULT_HISTORY_PAGE, 1, MAX_HISTORY_PAGE)
  const svc = ctx.chain
  const idHex = toHex(id)
  // one synchronous view: head, index and mempool; blocks are read afterwards
  const head = svc.chain.head
  const locations = ctx.txIndex.forAccount(idHex, limit)
  const total = ctx.txIndex.countFor(idHex)
  const oldest = ctx.txIndex.oldestHeight
  const pending: TxJson[] = svc.mempool.pending(id).map(txJson)
  const seen = new Set(pending.map((t) => t.id))
  for (const tx of svc.mempool.all()) {
    if (pending.length >= limit) break
    const to = tx.body.transfer?.to
    const involved = (to !== undefined && bytesEqual(to, id)) || (tx.evidence !== undefined && accountsOf(tx).includes(idHex))
    if (involved && !seen.has(toHex(tx.id))) pending.push(txJson(tx))
  }
  const blocks = new Map<string, Block | undefined>()
  const txs: HistoryItemJson[] = []
  for (const loc of locations) {
    if (!blocks.has(loc.blockHash)) blocks.set(loc.blockHash, (await blockByHash(svc, fromHex(loc.blockHash)))?.block)
    const tx = blocks.get(loc.blockHash)?.txs[loc.index]
    if (tx === undefined || toHex(tx.id) !== loc.id) continue
    txs.push({
      blockHash: loc.blockHash,
      height: loc.height.toString(),
      index: loc.index,
      confirmations: (loc.height <= head.height ? head.height - loc.height + 1n : 0n).toString(),
      tx: txJson(tx)
    })
  }
  sendJson(r.res, 200, {
    address: encodeAddress(id),
    height: head.height.toString(),
    headHash: head.hex,
    total,
    oldestIndexedHeight: oldest === undefined ? null : oldest.toString(),
    txs,
    pending: pending.slice(0, limit)
  })
}
