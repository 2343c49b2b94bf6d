/**
 * `GET /accounts/:address/txs`: an account's history from the transaction index (transactions it
 * sent, received, or that slashed it; src/chain/tx-index.ts) and its transactions in the mempool.
 */
import { encodeAddress } from '../core/address.ts'
import { bytesEqual, fromHex, toHex } from '../core/bytes.ts'
import type { Block } from '../core/types.ts'
import { accountsOf } from '../chain/tx-index.ts'
import { blockByHash } from './blocks.ts'
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE } from './constants.ts'
import type { ApiContext, ApiRequest } from './context.ts'
import { sendJson } from './http.ts'
import { parseAddress, parseIntParam } from './params.ts'
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
 * oldestIndexedHeight, indexedHeight, txs: HistoryItemJson[], pending: TxJson[]}`: included
 * transactions newest first (`total`: how many the index holds for the account, a count it keeps
 * per account), and up to `limit` mempool transactions that involve it. The index is complete:
 * it covers every block from genesis (`oldestIndexedHeight` is "0") up to `indexedHeight` (the
 * head, unless it is catching up after a start).
 */
export async function getAccountTxs (ctx: ApiContext, r: ApiRequest): Promise<void> {
  const id = parseAddress(r.params[0] as string)
  const limit = parseIntParam(r.url, 'limit', DEFAULT_HISTORY_PAGE, 1, MAX_HISTORY_PAGE)
  const svc = ctx.chain
  const idHex = toHex(id)
  // the index first (it answers after its queued batches), then one synchronous view of head and mempool
  const [locations, total] = await Promise.all([ctx.txIndex.forAccount(id, limit), ctx.txIndex.countFor(id)])
  const indexed = ctx.txIndex.status()
  const head = svc.chain.head
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
    oldestIndexedHeight: '0',
    indexedHeight: indexed.height.toString(),
    txs,
    pending: pending.slice(0, limit)
  })
}
