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
import { badRequest } from './errors.ts'
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
 * `GET /accounts/:address/txs?limit=` (1–100, default 20) `&before=` (a page's `next`) →
 * `{address, height, headHash, total, oldestIndexedHeight, indexedHeight, txs: HistoryItemJson[],
 * next?, pending: TxJson[]}`: included transactions newest first, a page at a time (`total`: how many the index holds for the account, a count it keeps
 * per account), and up to `limit` mempool transactions that involve it. The index is complete:
 * it covers every block from genesis (`oldestIndexedHeight` is "0") up to `indexedHeight` (the
 * head, unless it is catching up after a start).
 */
export async function getAccountTxs (ctx: ApiContext, r: ApiRequest): Promise<void> {
  const id = parseAddress(r.params[0] as string)
  const limit = parseIntParam(r.url, 'limit', DEFAULT_HISTORY_PAGE, 1, MAX_HISTORY_PAGE)
  const before = parseCursor(r.url.searchParams.get('before'))
  const svc = ctx.chain
  const idHex = toHex(id)
  // the index first (it answers after its queued batches), then one synchronous view of head and
  // mempool; one more than the page, to know whether another follows
  const [found, total] = await Promise.all([ctx.txIndex.forAccount(id, limit + 1, before), ctx.txIndex.countFor(id)])
  const locations = found.slice(0, limit)
  const last = locations[locations.length - 1]
  const next = found.length > limit && last !== undefined ? `${last.height}:${last.index}` : undefined
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
    // the next page: ?before=<next> (absent on the last page)
    ...(next !== undefined ? { next } : {}),
    // pending ones come with the first page only
    pending: before === undefined ? pending.slice(0, limit) : []
  })
}

/** `before=HEIGHT:INDEX` (a page's `next`), or 400 ERR_BAD_QUERY. */
function parseCursor (v: string | null): { height: bigint, index: number } | undefined {
  if (v === null) return undefined
  const m = /^(\d{1,20}):(\d{1,10})$/.exec(v)
  const height = m === null ? -1n : BigInt(m[1] as string)
  const index = m === null ? -1 : Number(m[2])
  if (m === null || height >= 1n << 64n || index > 0xffffffff) throw badRequest('ERR_BAD_QUERY', 'before must be HEIGHT:INDEX, as a page\'s "next" gives it')
  return { height, index }
}
