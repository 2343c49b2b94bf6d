/**
 * Route handlers other than blocks: status, transactions, accounts and proofs, validators,
 * events and metrics. Each reads the chain synchronously where it can, so one response is one
 * consistent view of the head.
 */
import { encodeAddress } from '../core/address.ts'
import { fromHex, toHex } from '../core/bytes.ts'
import { epochOf, epochStateForSlot, type StakeSnapshot } from '../core/consensus.ts'
import { DecodeError, ValidationError } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import { encodeSmtProof } from '../core/smt.ts'
import { encodeAccount } from '../wire/messages.ts'
import { blockByHash, placementOf } from './blocks.ts'
import { MAX_TX_BATCH, SHARE_DECIMALS } from './constants.ts'
import type { ApiContext, ApiRequest } from './context.ts'
import { ApiError, badRequest, notFound } from './errors.ts'
import { readBody, sendJson, sendText } from './http.ts'
import { METRICS_CONTENT_TYPE, MetricsWriter, processMetrics } from './metrics.ts'
import { parseAddress, parseFormat, parseHash, parseHex } from './params.ts'
import { accountJson, decimalRatio, txJson } from './views.ts'

/** The network's sync state, or "not syncing" without a network or when it fails. */
function syncOf (ctx: ApiContext): { peers: number, syncing: boolean, targetHeight?: bigint } {
  const n = ctx.network
  if (n === undefined) return { peers: 0, syncing: false }
  try {
    const s = n.syncState()
    return { peers: n.peers(), syncing: s.syncing, ...(s.targetHeight !== undefined ? { targetHeight: s.targetHeight } : {}) }
  } catch (err) {
    ctx.log('warn', 'network state unavailable', { error: (err as Error).message })
    return { peers: 0, syncing: false }
  }
}

/** `GET /status`. */
export function getStatus (ctx: ApiContext, r: ApiRequest): void {
  const s = ctx.chain.status()
  const net = syncOf(ctx)
  sendJson(r.res, 200, {
    chainId: s.chainId,
    genesisHash: s.genesisHash,
    height: s.height.toString(),
    headHash: s.headHash,
    headSlot: s.headSlot.toString(),
    slot: s.slot.toString(),
    epoch: epochOf(s.slot, ctx.chain.params).toString(),
    settledHeight: s.settledHeight.toString(),
    settledHash: s.settledHash,
    peers: net.peers,
    mempool: s.mempool,
    mempoolBytes: ctx.chain.mempool.bytes,
    orphans: s.orphans,
    syncing: net.syncing,
    ...(net.targetHeight !== undefined ? { targetHeight: net.targetHeight.toString() } : {})
  })
}

/**
 * `GET /peers` → `{count, syncing, peers?: [{peerId, headHeight?, headSlot?, settledHeight?,
 * addresses?}]}`: `peers` when the network layer lists them (else only the count).
 */
export function getPeers (ctx: ApiContext, r: ApiRequest): void {
  const net = syncOf(ctx)
  let peers: Array<Record<string, unknown>> | undefined
  const list = ctx.network?.peerList
  if (list !== undefined) {
    try {
      peers = list.call(ctx.network).map((p) => ({
        peerId: String(p.peerId),
        ...(p.headHeight !== undefined ? { headHeight: p.headHeight.toString() } : {}),
        ...(p.headSlot !== undefined ? { headSlot: p.headSlot.toString() } : {}),
        ...(p.settledHeight !== undefined ? { settledHeight: p.settledHeight.toString() } : {}),
        ...(p.addresses !== undefined ? { addresses: p.addresses.map(String) } : {})
      }))
    } catch (err) {
      ctx.log('warn', 'peer list unavailable', { error: (err as Error).message })
    }
  }
  sendJson(r.res, 200, { count: peers?.length ?? net.peers, syncing: net.syncing, ...(peers !== undefined ? { peers } : {}) })
}

/** Blocks above the index's marker searched by `recentlyIncluded` (the index trails the head by a batch or two). */
const RECENT_BLOCKS_SEARCHED = 16

/**
 * Where `idHex` is in a canonical block the transaction index has not written yet. The mempool
 * lets go of a transaction when its block becomes the head; the index records it only once that
 * head is on disk: between the two, a lookup found it nowhere (a 404 for ≈ 40 ms under load).
 */
function recentlyIncluded (ctx: ApiContext, idHex: string): { blockHash: string, height: bigint, index: number } | undefined {
  const chain = ctx.chain.chain
  const indexed = ctx.txIndex.status().height
  for (let h = chain.head.height, n = 0; h > indexed && n < RECENT_BLOCKS_SEARCHED; h--, n++) {
    const node = chain.blockAt(h)
    const i = node?.block?.txs.findIndex((t) => toHex(t.id) === idHex) ?? -1
    if (node !== undefined && i >= 0) return { blockHash: node.hex, height: h, index: i }
  }
  return undefined
}

/** `GET /txs/:id[?format=hex]`: pending in the mempool, or included in a canonical block (the transaction index). */
export async function getTx (ctx: ApiContext, r: ApiRequest): Promise<void> {
  const id = parseHash(r.params[0] as string, 'transaction id', 'ERR_BAD_TX_ID')
  const format = parseFormat(r.url)
  const idHex = toHex(id)
  const pending = ctx.chain.mempool.get(id)
  if (pending !== undefined) {
    sendJson(r.res, 200, { id: idHex, status: 'pending', ...(format === 'hex' ? { hex: toHex(pending.bytes) } : { tx: txJson(pending) }) })
    return
  }
  const loc = await ctx.txIndex.get(id) ?? recentlyIncluded(ctx, idHex)
  const found = loc === undefined ? undefined : await blockByHash(ctx.chain, fromHex(loc.blockHash))
  const tx = loc === undefined ? undefined : found?.block.txs[loc.index]
  if (loc === undefined || found === undefined || tx === undefined || toHex(tx.id) !== idHex) {
    const st = ctx.txIndex.status()
    const state = st.failed ? ', the index stopped after a database failure: see the node log' : st.catchingUp ? ', the index is catching up' : ''
    throw notFound(`transaction not in the mempool nor in the indexed blocks (heights up to ${st.height}${state})`)
  }
  const placement = await placementOf(ctx.chain, found.block.header)
  sendJson(r.res, 200, {
    id: idHex,
    status: 'included',
    blockHash: loc.blockHash,
    height: loc.height.toString(),
    index: loc.index,
    ...placement,
    ...(format === 'hex' ? { hex: toHex(tx.bytes) } : { tx: txJson(tx) })
  })
}

/** The transaction hex of a `POST /txs` body: `{"tx": hex}` (JSON) or a bare hex string (text/plain). */
function txHexOf (body: Buffer, contentType: string | undefined): string {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  const text = body.toString('utf8').trim()
  // `curl -X POST` without -d, or a client that lost its body: say so, not "bad hex" or "bad JSON"
  if (text === '') throw badRequest('ERR_EMPTY_BODY', 'the request body is empty: send {"tx": "<hex of the Transaction bytes>"} (application/json) or the hex (text/plain)')
  // curl -d sends application/x-www-form-urlencoded: treated like no type, by the first character
  const sniff = type === '' || type === 'application/x-www-form-urlencoded'
  const json = type === 'application/json' || (sniff && (text.startsWith('{') || text.startsWith('"')))
  if (!json && !sniff && type !== 'text/plain') {
    throw new ApiError(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'send application/json {"tx": "<hex>"} or text/plain hex')
  }
  if (!json) return text
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw badRequest('ERR_BAD_JSON', 'request body is not valid JSON')
  }
  if (typeof value === 'string') return value
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { tx?: unknown }).tx === 'string') {
    return (value as { tx: string }).tx
  }
  throw badRequest('ERR_BAD_REQUEST', 'expected {"tx": "<hex of the Transaction bytes>"}')
}

/** Amounts (base units) a refusal names, for clients to show in their own unit: `error.amounts`. */
const AMOUNT_DETAILS = ['fee', 'minFee', 'oldFee', 'need', 'spendable', 'stake'] as const

function amountsOf (e: ValidationError): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (const k of AMOUNT_DETAILS) {
    const v = e.details?.[k]
    if (typeof v === 'string' && /^\d{1,20}$/.test(v)) out[k] = v
  }
  return Object.keys(out).length > 0 ? out : undefined
}

/** Refusals that are the node's state, not the transaction's fault. */
const UNAVAILABLE: Record<string, number> = { ERR_MEMPOOL_FULL: 503, ERR_CLOSED: 503, ERR_SENDER_LIMIT: 429 }

/**
 * `POST /txs`: 202 `{id}` when the transaction entered the mempool (the network then gossips
 * it; `replaced`: the id of the pending transaction of the same sender and nonce it replaced), 200 `{id}` when it was already pending or is already in the chain (TX-10: a wallet that
 * lost the first answer and posts again learns its transaction got in, not a nonce error), else
 * the refusal with its protocol code.
 */
export async function postTx (ctx: ApiContext, r: ApiRequest): Promise<void> {
  const body = await readBody(r.req, ctx.maxBodyBytes)
  const bytes = parseHex(txHexOf(body, r.req.headers['content-type']), 'tx')
  const [outcome] = await ctx.chain.addTransactions([bytes], { local: true })
  if (outcome === undefined) throw new Error('no outcome for a submitted transaction')
  if (outcome.ok) {
    // a replacement (same sender and nonce, higher fee) says which pending transaction it ended
    sendJson(r.res, 202, { id: toHex(outcome.id), ...(outcome.replaced !== undefined ? { replaced: toHex(outcome.replaced) } : {}) })
    return
  }
  const e = outcome.error
  const id = sha256(bytes) // tx id = SHA-256 of its bytes (SPEC §4)
  // a stale nonce may be this very transaction, already included: the index knows
  if (e.code === 'ERR_KNOWN_TX' || (e.code === 'ERR_NONCE_TOO_LOW' && (await ctx.txIndex.get(id).catch(() => undefined) ?? recentlyIncluded(ctx, toHex(id))) !== undefined)) {
    sendJson(r.res, 200, { id: toHex(id) })
    return
  }
  if (e.code === 'ERR_INTERNAL') throw e
  if (!(e instanceof ValidationError || e instanceof DecodeError) && UNAVAILABLE[e.code] === undefined) throw e
  const details: Record<string, unknown> = e instanceof ValidationError ? { rule: e.rule, amounts: amountsOf(e) } : {}
  throw new ApiError(UNAVAILABLE[e.code] ?? 400, e.code, e.message, details)
}

/**
 * The bytes of a transaction's hex: plain even-length hex is decoded in one pass (Buffer stops at
 * the first non-hex pair, so a shorter result means "not plain hex"); anything else goes through
 * parseHex, which accepts or refuses it exactly as before.
 */
function txBytesOfHex (hex: string): Uint8Array {
  if (hex.length > 0 && (hex.length & 1) === 0) {
    const b = Buffer.from(hex, 'hex')
    // a plain Uint8Array view (Buffer's slice() would share memory where callers expect a copy)
    if (b.length * 2 === hex.length) return new Uint8Array(b.buffer, b.byteOffset, b.length)
  }
  return parseHex(hex, 'tx')
}

/**
 * `POST /txs/batch` body `{"txs": ["<hex>", …]}` (≤ MAX_TX_BATCH): one mempool call for all, in
 * order (a sender's consecutive nonces may share a batch) → 200 `{results: [{id} | {error: {code,
 * message[, rule]}}]}`, one per transaction, `{id}` also when it was already pending. A malformed
 * body is a 400 for the whole batch; a malformed entry only fails itself.
 */
export async function postTxBatch (ctx: ApiContext, r: ApiRequest): Promise<void> {
  const type = (r.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') throw new ApiError(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'send application/json {"txs": ["<hex>", …]}')
  const body = await readBody(r.req, ctx.maxBodyBytes)
  if (body.toString('utf8').trim() === '') throw badRequest('ERR_EMPTY_BODY', 'the request body is empty: send {"txs": ["<hex>", …]}')
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch {
    throw badRequest('ERR_BAD_JSON', 'request body is not valid JSON')
  }
  const list = (value as { txs?: unknown } | null)?.txs
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string')) {
    throw badRequest('ERR_BAD_REQUEST', 'expected {"txs": ["<hex of the Transaction bytes>", …]}')
  }
  if (list.length > MAX_TX_BATCH) throw badRequest('ERR_BATCH_TOO_LARGE', `at most ${MAX_TX_BATCH} transactions per batch, got ${list.length}`)
  const results: Array<{ id?: string, error?: Record<string, unknown> }> = new Array(list.length)
  const bytes: Uint8Array[] = []
  const at: number[] = []
  list.forEach((hex: string, i) => {
    try {
      bytes.push(txBytesOfHex(hex))
      at.push(i)
    } catch (err) {
      const e = err as ApiError
      results[i] = { error: { code: e.code, message: e.message } }
    }
  })
  const outcomes = bytes.length === 0 ? [] : await ctx.chain.addTransactions(bytes, { local: true })
  outcomes.forEach((o, j) => {
    const i = at[j] as number
    if (o.ok) { results[i] = { id: toHex(o.id) }; return }
    const e = o.error
    if (e.code === 'ERR_KNOWN_TX') { results[i] = { id: toHex(sha256(bytes[j] as Uint8Array)) }; return }
    results[i] = { error: { code: e.code, message: e.message, ...(e instanceof ValidationError ? { rule: e.rule } : {}) } }
  })
  sendJson(r.res, 200, { results })
}

/** `GET /accounts/:address`: the account at the head; an absent account is all zeros. */
export function getAccount (ctx: ApiContext, r: ApiRequest): void {
  const id = parseAddress(r.params[0] as string)
  const svc = ctx.chain
  const ledger = svc.chain.ledger
  sendJson(r.res, 200, accountJson(encodeAddress(id), ledger.get(id), ledger.spendable(id, svc.currentEpoch()), svc.chain.head, svc.mempool.pending(id).length))
}

/**
 * `GET /accounts/:address/proof`: the account's canonical bytes (or null) and its sparse-Merkle
 * proof against the head's stateRoot, with the head's signed header so a light client can check
 * the header signature and the proof (verifySmtProof) from this one response.
 */
export function getAccountProof (ctx: ApiContext, r: ApiRequest): void {
  const id = parseAddress(r.params[0] as string)
  const chain = ctx.chain.chain
  const head = chain.head
  const a = chain.ledger.get(id)
  sendJson(r.res, 200, {
    address: encodeAddress(id),
    accountId: toHex(id),
    height: head.height.toString(),
    headHash: head.hex,
    stateRoot: toHex(chain.ledger.root()),
    header: head.block === undefined ? null : toHex(head.block.header.bytes),
    account: a === undefined ? null : toHex(encodeAccount(a)),
    proof: encodeSmtProof(chain.ledger.prove(id))
  })
}

/**
 * `GET /validators`: bonded stake at the head (`stake`, `share`) and the distribution leader
 * election uses in the epoch in progress (`activeStake`, `activeShare`: stakes at the end of
 * epoch − 2, SPEC §9). Shares are decimal strings; largest stake first.
 */
export function getValidators (ctx: ApiContext, r: ApiRequest): void {
  const svc = ctx.chain
  const head = svc.chain.head
  const bonded = svc.chain.ledger.stakeSnapshot()
  const slot = svc.currentSlot() > head.slot ? svc.currentSlot() : head.slot
  let active: StakeSnapshot | undefined
  try {
    if (head.epochAfter !== undefined && head.stakesAfter !== undefined) active = epochStateForSlot(head.epochAfter, head.stakesAfter, slot, svc.params).distribution
  } catch {
    active = head.epochAfter?.distribution
  }
  const ids = new Set([...bonded.stakes.keys(), ...(active?.stakes.keys() ?? [])])
  const validators = [...ids].map((hex) => {
    const stake = bonded.stakes.get(hex) ?? 0n
    const activeStake = active?.stakes.get(hex) ?? 0n
    return {
      address: encodeAddress(fromHex(hex)),
      stake: stake.toString(),
      share: decimalRatio(stake, bonded.total, SHARE_DECIMALS),
      activeStake: activeStake.toString(),
      activeShare: decimalRatio(activeStake, active?.total ?? 0n, SHARE_DECIMALS),
      sort: stake
    }
  }).sort((x, y) => (x.sort !== y.sort ? (x.sort > y.sort ? -1 : 1) : x.address < y.address ? -1 : 1))
    .map(({ sort: _sort, ...v }) => v)
  sendJson(r.res, 200, {
    height: head.height.toString(),
    epoch: epochOf(slot, svc.params).toString(),
    totalStake: bonded.total.toString(),
    activeTotalStake: (active?.total ?? 0n).toString(),
    validators
  })
}

/** `GET /events`: server-sent `head`, `block` and `reorg` events; the current head first. */
export function getEvents (ctx: ApiContext, r: ApiRequest): void {
  if (ctx.hub.full) throw new ApiError(503, 'ERR_TOO_MANY_CLIENTS', 'too many event-stream clients; retry later')
  const head = ctx.chain.chain.head
  ctx.hub.add(r.req, r.res, [{ event: 'head', data: headEvent(ctx, head) }])
}

/** Data of a `head` event. */
export function headEvent (ctx: ApiContext, head: { height: bigint, hex: string, slot: bigint }): { height: string, hash: string, slot: string, settledHeight: string } {
  return { height: head.height.toString(), hash: head.hex, slot: head.slot.toString(), settledHeight: ctx.chain.chain.settledHeight.toString() }
}

/** `GET /metrics`: Prometheus text. */
export function getMetrics (ctx: ApiContext, r: ApiRequest): void {
  const svc = ctx.chain
  const s = svc.status()
  const c = svc.counters
  const net = syncOf(ctx)
  const w = new MetricsWriter()
    .gauge('memecoin_head_height', 'Height of the head block.', s.height)
    .gauge('memecoin_head_slot', 'Slot of the head block.', s.headSlot)
    .gauge('memecoin_current_slot', 'Slot in progress by the node clock.', s.slot)
    .gauge('memecoin_settled_height', 'Height at or below which blocks are final (head height - k).', s.settledHeight)
    .gauge('memecoin_peers', 'Connected peers.', net.peers)
    .gauge('memecoin_syncing', '1 while the node catches up with its peers.', net.syncing ? 1 : 0)
  if (net.targetHeight !== undefined) w.gauge('memecoin_sync_target_height', 'Height the node is syncing to.', net.targetHeight)
  w.gauge('memecoin_mempool_txs', 'Transactions in the mempool.', s.mempool)
    .gauge('memecoin_mempool_bytes', 'Wire bytes of the transactions in the mempool.', svc.mempool.bytes)
    .counter('memecoin_mempool_trimmed_total', 'Valid pending transactions dropped after a head change to fit the mempool hard bounds (twice its limits).', svc.mempool.trimmedAfterHead)
    .gauge('memecoin_mempool_overflowing', '1 while reorg orphans hold the mempool above its limits (only replacements are admitted).', svc.mempool.overflowing ? 1 : 0)
    .counter('memecoin_mempool_overflows_total', 'Head changes that took the mempool above its limits (orphans kept up to twice them).', svc.mempool.overflowsAfterHead)
    .gauge('memecoin_orphan_blocks', 'Blocks waiting for their parent.', s.orphans)
    .counter('memecoin_blocks_imported_total', 'Blocks imported (any branch).', c.blocksImported)
    .counter('memecoin_txs_accepted_total', 'Transactions accepted into the mempool.', c.txsAccepted)
    .counter('memecoin_reorgs_total', 'Head changes that undid blocks.', c.reorgs)
    .gauge('memecoin_reorg_max_depth', 'Most blocks undone by one reorg.', c.maxReorgDepth)
  const imports = ctx.blockImportSeconds?.()
  if (imports !== undefined) w.histogram('memecoin_block_import_seconds', 'Time to validate, apply and persist a block.', imports)
  if (ctx.network?.metrics !== undefined) {
    try {
      w.external('memecoin_', ctx.network.metrics(), 'Reported by the network layer.')
    } catch (err) {
      ctx.log('warn', 'network metrics unavailable', { error: (err as Error).message })
    }
  }
  w.gauge('memecoin_api_sse_clients', 'Connected server-sent-event clients.', ctx.hub.size)
    .counter('memecoin_api_sse_dropped_total', 'Event-stream clients dropped for reading too slowly.', ctx.hub.dropped)
    .gauge('memecoin_api_tx_index_entries', 'Transactions in the transaction index (GET /txs/:id), persisted with it.', ctx.txIndex.status().entries)
    .gauge('memecoin_api_tx_index_height', 'Height of the block the transaction index reflects (the head when in step).', ctx.txIndex.status().height)
    .gauge('memecoin_api_tx_index_failed', '1 if the transaction index stopped after a database failure (GET /txs/:id then finds only what it indexed before).', ctx.txIndex.status().failed ? 1 : 0)
  for (const [code, n] of [...ctx.responses].sort((a, b) => a[0] - b[0])) {
    w.counter('memecoin_api_responses_total', 'API responses by HTTP status.', n, `{code="${code}"}`)
  }
  w.histogram('memecoin_api_request_seconds', 'API request durations (event streams excluded).', ctx.requestSeconds.snapshot())
  processMetrics(w, ctx.lag)
  sendText(r.res, 200, w.toString(), METRICS_CONTENT_TYPE)
}
