/**
 * Every limit and default of the HTTP API, in one place. Each input path enforces the limit it
 * names here; tests may lower the timing defaults through `ApiServerInit`.
 */

/** Default bind address: the API serves this machine only unless told otherwise. */
export const DEFAULT_API_HOST = '127.0.0.1'
/** Largest request body read (a transaction is ≤ 1,664 bytes; 3,330 characters of hex). */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024
/** Transactions in one `POST /txs/batch` (≈ 300 KiB of hex at the largest transfers; the body limit applies too). */
export const MAX_TX_BATCH = 1000
/** Server-sent-event clients served at once; one more gets 503. */
export const DEFAULT_MAX_SSE_CLIENTS = 64
/** A comment line is sent to every SSE client this often, so proxies and clients see a live stream. */
export const DEFAULT_SSE_HEARTBEAT_MS = 15_000
/** An SSE client whose unsent data exceeds this is too slow and is disconnected. */
export const MAX_SSE_BUFFERED_BYTES = 1024 * 1024
/** Reconnection delay suggested to SSE clients (the `retry:` field). */
export const SSE_RETRY_MS = 3_000
/** `GET /blocks`: default and maximum page size. */
export const DEFAULT_BLOCKS_PAGE = 20
export const MAX_BLOCKS_PAGE = 100
/** Transactions serialized between two yields to the event loop when streaming a block. */
export const TXS_PER_CHUNK = 256
/** Whole request (headers and body) must arrive within this. */
export const REQUEST_TIMEOUT_MS = 15_000
/** Request headers must arrive within this. */
export const HEADERS_TIMEOUT_MS = 10_000
/** An idle keep-alive connection is closed after this. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000
/** Open connections at once (SSE clients included). */
export const MAX_CONNECTIONS = 1024
/** How often the server checks every connection against the two timeouts above (Node's default is 30 s). */
export const CONNECTIONS_CHECK_MS = 1_000
/**
 * Requests of one connection waiting to be served (HTTP/1.1 pipelining: they are served one at a
 * time, in order, as their answers must go); one more is answered 503 ERR_BUSY and the connection
 * closed. A client that pipelines and never reads cannot make the node build thousands of answers.
 */
export const MAX_PIPELINED_REQUESTS = 16
/**
 * Requests a connection may still send after its ERR_BUSY, unanswered (node:http parses all that
 * one read brought, and the answers before the 503 still go out); past this the client is
 * flooding and the connection is destroyed at once, answered or not.
 */
export const MAX_REQUESTS_AFTER_BUSY = 4 * MAX_PIPELINED_REQUESTS
/** A connection's next request is served only once less than this of its answers waits unsent. */
export const MAX_SOCKET_BACKLOG_BYTES = 256 * 1024
/**
 * A connection on which nothing moves either way this long is destroyed (Node's server.timeout):
 * a client that stopped reading its answer. Event streams send a heartbeat every 15 s.
 */
export const SOCKET_IDLE_TIMEOUT_MS = 60_000
/** `stop()` lets in-flight requests finish for this long, then closes every connection. */
export const STOP_GRACE_MS = 1_000
/** Fractional digits of a validator's stake share (a decimal string). */
export const SHARE_DECIMALS = 6
/** Buckets (seconds) of the API's request-duration histogram. */
export const REQUEST_SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]
/** `GET /forks`: canonical blocks shown (default and maximum). */
export const DEFAULT_FORK_WINDOW = 30
export const MAX_FORK_WINDOW = 100
/** Recently imported blocks remembered to find side branches for `GET /forks`. */
export const RECENT_BLOCKS_MAX = 1024
/** `GET /accounts/:address/txs`: default and maximum page size. */
export const DEFAULT_HISTORY_PAGE = 20
export const MAX_HISTORY_PAGE = 100
