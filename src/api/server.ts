/**
 * The HTTP API server (node:http, no framework): a fixed route table, JSON errors with stable
 * codes, bounded bodies and event streams, and start/stop that also close keep-alive and SSE
 * connections. The chain's events feed the event stream; the transaction index (src/chain/tx-index.ts)
 * runs with the server.
 */
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { addressOf } from '../core/address.ts'
import { toHex } from '../core/bytes.ts'
import type { ChainService } from '../chain/service.ts'
import { TxIndex, chainSource } from '../chain/tx-index.ts'
import { MemoryStore, type Store } from '../storage/store.ts'
import { getBlock, listBlocks } from './blocks.ts'
import {
  DEFAULT_API_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_SSE_CLIENTS, DEFAULT_SSE_HEARTBEAT_MS,
  CONNECTIONS_CHECK_MS, HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_CONNECTIONS, MAX_PIPELINED_REQUESTS, MAX_REQUESTS_AFTER_BUSY, MAX_SOCKET_BACKLOG_BYTES,
  RECENT_BLOCKS_MAX, REQUEST_SECONDS_BUCKETS, REQUEST_TIMEOUT_MS, SOCKET_IDLE_TIMEOUT_MS, STOP_GRACE_MS
} from './constants.ts'
import type { ApiContext, ApiLog, ApiNetwork, ApiRequest, Handler } from './context.ts'
import { ApiError } from './errors.ts'
import { EventHub } from './events.ts'
import { RecentBlocks, getForks, trackBlocks } from './forks.ts'
import { getAccount, getAccountProof, getEvents, getMetrics, getPeers, getStatus, getTx, getValidators, headEvent, postTx, postTxBatch } from './handlers.ts'
import { getAccountTxs } from './history.ts'
import { drained, sendError } from './http.ts'
import { Histogram, type HistogramSnapshot } from './metrics.ts'
import { getExplorerFile } from './static.ts'

/** Options of `createApiServer`. */
export interface ApiServerInit {
  chain: ChainService
  network?: ApiNetwork
  /** Bind address (default 127.0.0.1: this machine only). */
  host?: string
  /** TCP port; 0 picks a free one (see `start()`'s result). */
  port: number
  log?: ApiLog
  /** Largest request body (default 256 KiB); larger gets 413. */
  maxBodyBytes?: number
  /** Event-stream clients at once (default 64); one more gets 503. */
  maxSseClients?: number
  /** Event-stream heartbeat period (default 15 s). */
  sseHeartbeatMs?: number
  /**
   * The chain's Store: the transaction index for `GET /txs/:id` and `GET /accounts/:a/txs` is
   * kept there under its own keys (src/chain/tx-index.ts), runs while the server runs, and
   * catches up at start. Without it the index lives in a MemoryStore of the server's own (tests,
   * embedders): it then grows in memory with the chain.
   */
  store?: Store
  /** Request timeouts in ms (default REQUEST_TIMEOUT_MS, HEADERS_TIMEOUT_MS; headers ≤ request). */
  timeouts?: { requestMs: number, headersMs: number }
  /** Block import durations for `/metrics`, if the composition root measures them. */
  blockImportSeconds?: () => HistogramSnapshot | undefined
}

/** A running (or startable) API server. */
export interface ApiServer {
  /** Listens; resolves with the bound address (the real port when `port` was 0). */
  start: () => Promise<{ host: string, port: number }>
  /** Stops listening and closes every connection, event streams and keep-alive ones included. */
  stop: () => Promise<void>
  /** `http://host:port`: the bound port once started (still the last one after stop). */
  readonly url: string
}

interface Route { path: string[], methods: Partial<Record<string, Handler>> }

/** The route table; `:x` segments are captured in order. */
const ROUTES: Route[] = [
  { path: ['status'], methods: { GET: getStatus } },
  { path: ['blocks'], methods: { GET: listBlocks } },
  { path: ['blocks', ':id'], methods: { GET: getBlock } },
  { path: ['txs'], methods: { POST: postTx } },
  { path: ['txs', 'batch'], methods: { POST: postTxBatch } },
  { path: ['txs', ':id'], methods: { GET: getTx } },
  { path: ['accounts', ':address'], methods: { GET: getAccount } },
  { path: ['accounts', ':address', 'proof'], methods: { GET: getAccountProof } },
  { path: ['accounts', ':address', 'txs'], methods: { GET: getAccountTxs } },
  { path: ['validators'], methods: { GET: getValidators } },
  { path: ['forks'], methods: { GET: getForks } },
  { path: ['peers'], methods: { GET: getPeers } },
  { path: ['events'], methods: { GET: getEvents } },
  { path: ['metrics'], methods: { GET: getMetrics } },
  // the block explorer (static files)
  { path: [], methods: { GET: getExplorerFile, HEAD: getExplorerFile } },
  { path: ['explorer'], methods: { GET: getExplorerFile, HEAD: getExplorerFile } },
  { path: ['explorer', ':file'], methods: { GET: getExplorerFile, HEAD: getExplorerFile } }
]

function match (segments: string[]): { route: Route, params: string[] } | undefined {
  for (const route of ROUTES) {
    if (route.path.length !== segments.length) continue
    const params: string[] = []
    let ok = true
    for (let i = 0; i < segments.length && ok; i++) {
      const p = route.path[i] as string
      const s = segments[i] as string
      if (p.startsWith(':')) params.push(s)
      else ok = p === s
    }
    if (ok) return { route, params }
  }
  return undefined
}

/** Creates the API server of `init.chain` (not yet listening). */
export function createApiServer (init: ApiServerInit): ApiServer {
  const host = init.host ?? DEFAULT_API_HOST
  const log: ApiLog = init.log ?? (() => {})
  const ctx: ApiContext = {
    chain: init.chain,
    txIndex: new TxIndex({ store: init.store ?? new MemoryStore(), chain: chainSource(init.chain, init.store), log }),
    recent: new RecentBlocks(RECENT_BLOCKS_MAX),
    hub: new EventHub({ maxClients: init.maxSseClients ?? DEFAULT_MAX_SSE_CLIENTS, heartbeatMs: init.sseHeartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS }),
    maxBodyBytes: init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    log,
    requestSeconds: new Histogram(REQUEST_SECONDS_BUCKETS),
    responses: new Map()
  }
  if (init.network !== undefined) ctx.network = init.network
  if (init.blockImportSeconds !== undefined) ctx.blockImportSeconds = init.blockImportSeconds
  indexChain(ctx)
  trackBlocks(ctx)

  let server: Server | undefined
  let bound: { host: string, port: number } | undefined
  let stopping: Promise<void> | undefined
  let lastPort = init.port
  let starting: Promise<{ host: string, port: number }> | undefined
  const sockets = new Set<Socket>()
  const urlOf = (): string => `http://${host.includes(':') ? `[${host}]` : host}:${bound?.port ?? lastPort}`

  const loopbackOnly = isLoopbackName(host)
  /** Requests of each connection, served one at a time in order (pipelining). */
  const queues = new WeakMap<Socket, SocketQueue>()

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now()
    let stream = false
    res.on('finish', () => {
      ctx.responses.set(res.statusCode, (ctx.responses.get(res.statusCode) ?? 0) + 1)
      if (!stream) ctx.requestSeconds.observe((performance.now() - started) / 1000)
    })
    const socket = req.socket
    let q = queues.get(socket)
    if (q === undefined) {
      q = { busy: false, cut: false, afterCut: 0, pending: [] }
      queues.set(socket, q)
    }
    if (q.cut) {
      // after the 503: no answer (node:http closes the connection once the answers before it and
      // the 503 are out); a client that keeps sending is flooding, and goes at once
      if (++q.afterCut > MAX_REQUESTS_AFTER_BUSY) socket.destroy()
      return
    }
    if (q.pending.length >= MAX_PIPELINED_REQUESTS) {
      // the first request past the bound is told why, after the answers before it (Connection: close)
      q.cut = true
      fail(ctx, res, new ApiError(503, 'ERR_BUSY', `more than ${MAX_PIPELINED_REQUESTS} requests waiting on this connection; read the answers before sending more`))
      return
    }
    q.pending.push(async () => { await serve(req, res, (isStream) => { stream = isStream }) })
    void runQueue(socket, q)
  }

  /** Serves a connection's requests in order while any wait; each waits for its answers' backlog to drain. */
  const runQueue = async (socket: Socket, q: SocketQueue): Promise<void> => {
    if (q.busy) return
    q.busy = true
    try {
      for (let job = q.pending.shift(); job !== undefined; job = q.pending.shift()) {
        if (socket.destroyed) {
          q.pending.length = 0
          break
        }
        if (socket.writableLength > MAX_SOCKET_BACKLOG_BYTES) await drained(socket)
        await job()
      }
    } finally {
      q.busy = false
    }
  }

  const serve = async (req: IncomingMessage, res: ServerResponse, setStream: (stream: boolean) => void): Promise<void> => {
    if (req.socket.destroyed) return
    await (async () => {
      let url: URL
      try {
        // an origin-form target is a path: '//status' must not be read as a URL whose host is
        // 'status' (that served the explorer's page); empty segments are skipped below
        const target = req.url ?? '/'
        url = new URL(target.startsWith('/') ? `http://api.invalid${target}` : target, 'http://api.invalid')
      } catch {
        throw new ApiError(400, 'ERR_BAD_REQUEST', 'malformed request target')
      }
      // DNS rebinding: a web page whose name now resolves to 127.0.0.1 reaches a loopback API
      // with its own name in Host; only this machine's names are served there (geth's vhosts)
      if (loopbackOnly && !isLoopbackHost(req.headers.host)) throw new ApiError(403, 'ERR_FORBIDDEN_HOST', 'this API serves requests for localhost only (Host header)')
      const segments = url.pathname.split('/').filter((s) => s !== '')
      const m = match(segments)
      if (m === undefined) throw new ApiError(404, 'ERR_NOT_FOUND', 'no such endpoint')
      const method = req.method ?? ''
      // HEAD is GET without the body (node:http leaves it out): `curl -I` health checks
      const own = Object.hasOwn(m.route.methods, method) ? m.route.methods[method] : undefined
      const handler = own ?? (method === 'HEAD' && m.route.methods.GET !== getEvents ? m.route.methods.GET : undefined)
      if (handler === undefined) {
        const allow = [...new Set([...Object.keys(m.route.methods), ...(m.route.methods.GET !== undefined && m.route.methods.GET !== getEvents ? ['HEAD'] : [])])].join(', ')
        throw new ApiError(405, 'ERR_METHOD_NOT_ALLOWED', `method not allowed; use ${allow}`, { allow })
      }
      const stream = handler === getEvents
      setStream(stream)
      const r: ApiRequest = { req, res, url, params: m.params }
      await handler(ctx, r)
    })().catch((err: unknown) => { fail(ctx, res, err) })
  }

  /** Binds a fresh server (after any stop in progress) and starts the event hub. */
  const listen = async (): Promise<{ host: string, port: number }> => {
    if (stopping !== undefined) await stopping
    // its first catch-up tick (bounded) before serving; the rest runs in the background
    await ctx.txIndex.start()
    const srv = createServer({
      requestTimeout: init.timeouts?.requestMs ?? REQUEST_TIMEOUT_MS,
      headersTimeout: init.timeouts?.headersMs ?? HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS
    }, handle)
    srv.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS
    // a connection where nothing moves either way (a client that stopped reading its answer)
    // is destroyed: it would hold its slot among MAX_CONNECTIONS for good
    srv.timeout = SOCKET_IDLE_TIMEOUT_MS
    srv.maxConnections = MAX_CONNECTIONS
    srv.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    srv.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      // Unparsable HTTP: answer once in JSON if the socket still takes it, never with details.
      if (!socket.writable || err.code === 'ECONNRESET') { socket.destroy(); return }
      // an answer is being sent on this connection (an event stream, earlier pipelined answers):
      // raw bytes written now would land inside it
      if ((socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true) { socket.destroy(); return }
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
      ctx.responses.set(status, (ctx.responses.get(status) ?? 0) + 1)
      const body = JSON.stringify({ error: { code: status === 408 ? 'ERR_TIMEOUT' : 'ERR_BAD_REQUEST', message: 'malformed or incomplete HTTP request' } })
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
      // a client that does not read would keep the half-closed socket (and a handler waiting for
      // its body): it has had its answer's chance
      setTimeout(() => { socket.destroy() }, 1_000).unref()
    })
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => { reject(err) }
      srv.once('error', onError)
      srv.listen(init.port, host, () => {
        srv.off('error', onError)
        resolve()
      })
    }).catch(async (err: unknown) => {
      await ctx.txIndex.stop()
      throw err
    })
    srv.on('error', (err) => { log('error', 'API server error', { error: err.message }) })
    const addr = srv.address() as AddressInfo
    server = srv
    bound = { host: addr.address, port: addr.port }
    lastPort = addr.port
    ctx.hub.start()
    const lag = monitorEventLoopDelay({ resolution: 20 })
    lag.enable()
    ctx.lag = lag
    log('debug', 'API listening', { url: urlOf() }) // a node logs 'api listening' itself (once)
    return bound
  }

  return {
    get url () { return urlOf() },

    async start () {
      if (bound !== undefined) return bound
      starting ??= listen().finally(() => { starting = undefined })
      return await starting
    },

    async stop () {
      if (starting !== undefined) await starting.catch(() => {})
      if (stopping !== undefined) return await stopping
      const srv = server
      if (srv === undefined) return
      stopping = (async () => {
        ctx.hub.stop()
        ctx.lag?.disable()
        delete ctx.lag
        const closed = new Promise<void>((resolve) => { srv.close(() => { resolve() }) })
        srv.closeIdleConnections()
        // In-flight requests get a short grace; then every connection goes.
        const timer = setTimeout(() => {
          srv.closeAllConnections()
          for (const s of sockets) s.destroy()
        }, STOP_GRACE_MS)
        timer.unref()
        await closed
        clearTimeout(timer)
        await ctx.txIndex.stop()
        server = undefined
        bound = undefined
        log('info', 'API stopped')
      })()
      try {
        await stopping
      } finally {
        stopping = undefined
      }
    }
  }
}

/** A loopback address or name: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackName (name: string): boolean {
  const n = name.toLowerCase().replace(/^\[(.*)\]$/, '$1')
  return n === 'localhost' || n.endsWith('.localhost') || n === '::1' || /^127(\.\d{1,3}){3}$/.test(n) || n === '::ffff:127.0.0.1'
}

/** A Host header naming this machine (with or without a port); none (HTTP/1.0) counts as such. */
function isLoopbackHost (header: string | undefined): boolean {
  if (header === undefined || header === '') return true
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d{1,5})?$/.exec(header.trim())
  return m !== null && isLoopbackName(m[1] as string)
}

/** `afterCut`: requests received after the connection's ERR_BUSY (left unanswered). */
interface SocketQueue { busy: boolean, cut: boolean, afterCut: number, pending: Array<() => Promise<void>> }

/** Responds to a failed request: ApiError as is, anything else 500 without details (logged). */
function fail (ctx: ApiContext, res: ServerResponse, err: unknown): void {
  const e = err instanceof ApiError ? err : undefined
  if (e === undefined) ctx.log('error', 'API request failed', { error: (err as Error)?.message ?? String(err) })
  if (res.headersSent) {
    res.destroy()
    return
  }
  const apiErr = e ?? new ApiError(500, 'ERR_INTERNAL', 'internal error')
  const headers: Record<string, string> = {}
  const allow = apiErr.details?.allow
  if (typeof allow === 'string') headers.allow = allow
  // The rest of an oversized or undecodable body is never read, a client pipelining too far is
  // cut off: close the connection after answering.
  if (apiErr.status === 413 || apiErr.code === 'ERR_BUSY' || apiErr.code === 'ERR_UNSUPPORTED_CONTENT_ENCODING' || apiErr.code === 'ERR_UNSUPPORTED_TRANSFER_CODING') headers.connection = 'close'
  sendError(res, apiErr, headers)
}

/** Keeps the event stream in step with the chain (the transaction index follows it itself). */
function indexChain (ctx: ApiContext): void {
  const chain = ctx.chain.chain
  // Registered once for this server object's life (it may listen again after a stop); the hub
  // has no clients while it is stopped.
  ctx.chain.on('head', (c) => {
    const oldHead = c.undone[0]
    if (oldHead !== undefined) {
      ctx.hub.broadcast('reorg', {
        depth: c.undone.length,
        forkHeight: ((c.undone[c.undone.length - 1]?.height ?? 1n) - 1n).toString(),
        oldHead: { hash: oldHead.hex, height: oldHead.height.toString() },
        newHead: { hash: c.head.hex, height: c.head.height.toString() }
      })
    }
    ctx.hub.broadcast('head', headEvent(ctx, c.head))
  })
  ctx.chain.on('block', (e) => {
    const h = e.block.header
    ctx.hub.broadcast('block', {
      hash: toHex(h.hash),
      height: h.header.height.toString(),
      slot: h.header.slot.toString(),
      proposer: addressOf(h.header.proposer),
      txs: e.block.txs.length,
      canonical: chain.blockAt(h.header.height)?.hex === e.node.hex
    })
  })
}
