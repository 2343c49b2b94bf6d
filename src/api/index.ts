/**
 * The HTTP JSON API (node:http, binds 127.0.0.1 by default). Integers (amounts, heights, slots,
 * nonces, stakes) are decimal strings, bytes lower-case hex, accounts meme1 addresses. Every
 * error is `{error: {code, message[, rule]}}` with a stable code; never internals.
 *
 * - `GET /status` → `{chainId, genesisHash, height, headHash, headSlot, slot, epoch,
 *   settledHeight, settledHash, peers, mempool, mempoolBytes, orphans, syncing[, targetHeight]}`
 *   (`slot`/`epoch`: in progress by the node clock).
 * - `GET /blocks/:heightOrHash[?format=hex]` → BlockJson (`{hash, height, slot, epoch, parentHash,
 *   proposer: {address, publicKey}, vrfProof, vrfOutput, leaderValue, txRoot, stateRoot, txCount,
 *   size, signature, canonical, settled, confirmations, txs: TxJson[]}`) or `{hash, height, hex}`.
 *   Any branch by hash; the canonical chain by height. 404 beyond the head and at height 0.
 * - `GET /blocks?from=&limit=` (limit 1–100, default 20) → `{head, blocks: BlockSummaryJson[]
 *   [, next]}`: newest first without `from`; ascending from `from` with `next` otherwise.
 * - `GET /txs/:id[?format=hex]` → `{id, status: 'pending', tx | hex}` or `{id, status: 'included',
 *   blockHash, height, index, canonical, settled, confirmations, tx | hex}`. Included transactions
 *   are found through the node's transaction index, kept in its store (src/chain/tx-index.ts): it
 *   covers every canonical block from genesis up to its marker, so only a transaction the index
 *   has not reached yet (catching up after a start) gives 404 for an included transaction.
 * - `POST /txs` body `{"tx": "<hex>"}` (application/json) or bare hex (text/plain) → 202 `{id}`
 *   (entered the mempool), 200 `{id}` (already pending), 400 with the protocol code
 *   (ERR_BAD_SIGNATURE, ERR_NONCE_TOO_LOW, ERR_INSUFFICIENT_BALANCE, … and `rule`), 429
 *   ERR_SENDER_LIMIT, 503 ERR_MEMPOOL_FULL; 413 over 256 KiB; 415 for other content types and
 *   for compressed bodies (Content-Encoding), 501 for transfer codings other than chunked.
 * - `GET /accounts/:address` → AccountJson `{address, height, headHash, balance, spendable, nonce,
 *   stake, unbonding: [{amount, releaseEpoch}], pending, nextNonce}`; an absent account is zeros.
 * - `GET /accounts/:address/proof` → `{address, accountId, height, headHash, stateRoot, header
 *   (SignedHeader hex, null at genesis), account (Account bytes hex or null), proof
 *   (SmtProofJson)}`: check with `verifySmtProof(header.stateRoot, accountId, account, proof)`.
 * - `GET /validators` → `{height, epoch, totalStake, activeTotalStake, validators: [{address,
 *   stake, share, activeStake, activeShare}]}` (`active*`: the epoch's leader-election stakes).
 * - `GET /accounts/:address/txs[?limit=]` (1–100, default 20) → `{address, height, headHash,
 *   total, oldestIndexedHeight ("0"), indexedHeight, txs: [{blockHash, height, index, confirmations, tx: TxJson}],
 *   pending: TxJson[]}`: the account's transactions (sent, received, or slashing it) from the
 *   transaction index, newest first, and those of the mempool that involve it.
 * - `GET /forks[?limit=]` (1–100, default 30) → `{head: {hash, height}, settledHeight, from,
 *   blocks: [{hash, parentHash, height, slot, proposer, txCount, canonical, settled}]}`: the
 *   canonical blocks from `from` to the head plus the side blocks this server saw imported and
 *   the chain still holds, height ascending (canonical first at a height).
 * - `GET /peers` → `{count, syncing[, peers: [{peerId, headHeight, headSlot, settledHeight
 *   [, addresses]}]]}` (`peers` when the network layer lists them).
 * - `GET /events` (server-sent events): `head` `{height, hash, slot, settledHeight}` (sent first
 *   on connect), `block` `{hash, height, slot, proposer, txs (count), canonical}`, `reorg`
 *   `{depth, forkHeight, oldHead: {hash, height}, newHead: {hash, height}}` (before its `head`);
 *   a `: heartbeat` comment every 15 s; at most 64 clients (503 ERR_TOO_MANY_CLIENTS).
 * - `GET /metrics` → Prometheus text (`memecoin_*`, `process_*`, `nodejs_*`).
 * - `GET /` (also `/explorer`, `/explorer/`), `GET /explorer/{index.html,app.js,style.css}`: the
 *   block explorer, a static one-page app over this API (src/api/explorer/; HEAD too; ETag and
 *   `cache-control: no-cache`; any other name is 404).
 */
export { createApiServer, isLoopbackName, type ApiServer, type ApiServerInit } from './server.ts'
export type { ApiNetwork, ApiLog } from './context.ts'
export { ApiError } from './errors.ts'
export { Histogram, type HistogramSnapshot } from './metrics.ts'
export type { AccountJson, BlockJson, BlockSummaryJson, TxJson } from './views.ts'
export * from './constants.ts'
