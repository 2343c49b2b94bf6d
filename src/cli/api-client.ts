/**
 * A small typed client for a node's HTTP API (see src/api/index.ts for the endpoints and
 * shapes). Every request has a timeout and a bounded response; every failure is a MemecoinError
 * with one line to show: ERR_API_UNREACHABLE when nothing answers, ERR_API_TIMEOUT when the node
 * is too slow, the API's own code and message for a refusal, ERR_API_RESPONSE for anything that
 * is not the API speaking.
 */
import type { AccountJson, TxJson } from '../api/index.ts'
import { MemecoinError } from '../core/errors.ts'

/** Time allowed for one request, connection to last byte. */
export const DEFAULT_API_TIMEOUT_MS = 10_000
/** Largest response body read (the client only asks for small documents). */
export const MAX_API_RESPONSE_BYTES = 4 * 1024 * 1024

/** `GET /status`. */
export interface StatusJson {
  chainId: string
  genesisHash: string
  height: string
  headHash: string
  headSlot: string
  slot: string
  epoch: string
  settledHeight: string
  settledHash: string
  peers: number
  mempool: number
  mempoolBytes: number
  orphans: number
  syncing: boolean
  targetHeight?: string
}

/** `GET /txs/:id`. */
export type TxStatusJson =
  | { id: string, status: 'pending', tx: TxJson }
  | { id: string, status: 'included', blockHash: string, height: string, index: number, canonical: boolean, settled: boolean, confirmations: string, tx: TxJson }

/** `GET /validators`. */
export interface ValidatorsJson {
  height: string
  epoch: string
  totalStake: string
  activeTotalStake: string
  validators: Array<{ address: string, stake: string, share: string, activeStake: string, activeShare: string }>
}

export type { AccountJson, TxJson }

/** A refusal by the API: its HTTP status, and the API's code and message. */
export class ApiClientError extends MemecoinError {
  /** HTTP status of the response. */
  readonly status: number
  constructor (status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
    this.name = 'ApiClientError'
    this.status = status
  }
}

/** Options of createApiClient. */
export interface ApiClientInit {
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number
}

/** The node API as typed calls. */
export interface ApiClient {
  /** The normalized base URL, e.g. `http://127.0.0.1:7357`. */
  readonly url: string
  status: () => Promise<StatusJson>
  account: (address: string) => Promise<AccountJson>
  /** Submits wire bytes; resolves with the tx id (hex) once the node's mempool holds it. */
  /** `replaced`: the pending transaction of the same sender and nonce this one replaced. */
  submitTx: (bytes: Uint8Array) => Promise<{ id: string, replaced?: string }>
  /** The transaction's status; undefined when the node knows nothing of it (404). */
  tx: (id: string) => Promise<TxStatusJson | undefined>
  validators: () => Promise<ValidatorsJson>
}

/**
 * Normalizes an API address: `http(s)://host:port[/prefix]` or a bare `host:port` (as `start
 * --api` takes it). Throws ERR_BAD_API_URL.
 */
export function normalizeApiUrl (text: string): string {
  const s = text.trim()
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(s)
  // without a scheme it is `start --api`'s HOST:PORT: a bare word ("notaurl", a typo'd flag value)
  // would otherwise become http://notaurl on port 80
  if (!hasScheme && !/^(?:\[[0-9a-f:.]+\]|[^:/[\]\s]+):\d{1,5}(?:\/\S*)?$/i.test(s)) {
    throw new MemecoinError('ERR_BAD_API_URL', `not an API URL: ${JSON.stringify(s.slice(0, 100))} (expected http://HOST:PORT or HOST:PORT)`)
  }
  const withScheme = hasScheme ? s : `http://${s}`
  let u: URL
  try {
    u = new URL(withScheme)
  } catch {
    throw new MemecoinError('ERR_BAD_API_URL', `not an API URL: ${JSON.stringify(s.slice(0, 100))} (expected http://HOST:PORT)`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new MemecoinError('ERR_BAD_API_URL', `API URL must be http or https, got ${u.protocol}`)
  if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '') {
    throw new MemecoinError('ERR_BAD_API_URL', 'API URL must not carry credentials, a query or a fragment')
  }
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`
}

/** A client for the API at `url`. */
export function createApiClient (url: string, init: ApiClientInit = {}): ApiClient {
  const base = normalizeApiUrl(url)
  const timeoutMs = init.timeoutMs ?? DEFAULT_API_TIMEOUT_MS

  const request = async (method: 'GET' | 'POST', path: string, body?: unknown, allow404 = false): Promise<unknown> => {
    const target = base + path
    let res: Response
    try {
      res = await fetch(target, {
        method,
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {})
      })
    } catch (err) {
      throw transportError(err, base, timeoutMs)
    }
    let text: string
    try {
      text = await readCapped(res, MAX_API_RESPONSE_BYTES)
    } catch (err) {
      if (err instanceof MemecoinError) throw err
      throw transportError(err, base, timeoutMs)
    }
    if (allow404 && res.status === 404) return undefined
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new MemecoinError('ERR_API_RESPONSE', `unexpected response from ${base} (HTTP ${res.status}, not JSON): is this a memecoin node API?`)
    }
    if (res.ok) return json
    const e = (json as { error?: { code?: unknown, message?: unknown, rule?: unknown, amounts?: unknown } } | null)?.error
    if (typeof e?.code === 'string' && typeof e.message === 'string') {
      const details: Record<string, unknown> = {}
      if (typeof e.rule === 'string') details.rule = e.rule
      // amounts the refusal names (base units): digits only, for the CLI to show in MEME
      if (isObject(e.amounts)) {
        const amounts = Object.fromEntries(Object.entries(e.amounts).filter(([k, v]) => /^[a-zA-Z]{1,20}$/.test(k) && typeof v === 'string' && /^\d{1,20}$/.test(v)))
        if (Object.keys(amounts).length > 0) details.amounts = amounts
      }
      throw new ApiClientError(res.status, e.code, oneLine(e.message), Object.keys(details).length > 0 ? details : undefined)
    }
    throw new ApiClientError(res.status, 'ERR_API_RESPONSE', `the node API at ${base} answered HTTP ${res.status}`)
  }

  return {
    url: base,
    status: async () => checkStatus(await request('GET', '/status'), base),
    account: async (address) => checkAccount(await request('GET', `/accounts/${encodeURIComponent(address)}`), base),
    submitTx: async (bytes) => {
      const r = await request('POST', '/txs', { tx: Buffer.from(bytes).toString('hex') })
      if (!isObject(r) || typeof r.id !== 'string' || !HEX32.test(r.id)) throw malformed(base, 'POST /txs')
      if (r.replaced !== undefined && (typeof r.replaced !== 'string' || !HEX32.test(r.replaced))) throw malformed(base, 'POST /txs')
      return typeof r.replaced === 'string' ? { id: r.id, replaced: r.replaced } : { id: r.id }
    },
    tx: async (id) => {
      const r = await request('GET', `/txs/${encodeURIComponent(id)}`, undefined, true)
      if (r === undefined) return undefined
      if (!isObject(r) || (r.status !== 'pending' && r.status !== 'included')) throw malformed(base, 'GET /txs/:id')
      if (r.status === 'included' && typeof r.height !== 'string') throw malformed(base, 'GET /txs/:id')
      return r as unknown as TxStatusJson
    },
    validators: async () => {
      const r = await request('GET', '/validators')
      if (!isObject(r) || !Array.isArray(r.validators)) throw malformed(base, 'GET /validators')
      return r as unknown as ValidatorsJson
    }
  }
}

// ---------------------------------------------------------------------------------------------

const DECIMAL = /^\d{1,20}$/

const HEX32 = /^[0-9a-f]{64}$/

/** Every field of StatusJson the commands print or use, of its type (a stranger's server is not trusted). */
function checkStatus (r: unknown, base: string): StatusJson {
  if (!isObject(r) || typeof r.chainId !== 'string' || !/^[0-9a-f]{16}$/.test(r.chainId) ||
      !['height', 'headSlot', 'slot', 'epoch', 'settledHeight'].every((k) => isDecimal(r[k])) ||
      !['genesisHash', 'headHash', 'settledHash'].every((k) => typeof r[k] === 'string' && HEX32.test(r[k] as string)) ||
      !['peers', 'mempool', 'mempoolBytes', 'orphans'].every((k) => Number.isSafeInteger(r[k]) && (r[k] as number) >= 0) ||
      typeof r.syncing !== 'boolean' || (r.targetHeight !== undefined && !isDecimal(r.targetHeight))) {
    throw malformed(base, 'GET /status')
  }
  return r as unknown as StatusJson
}

function checkAccount (r: unknown, base: string): AccountJson {
  if (!isObject(r) || typeof r.address !== 'string' ||
      !['balance', 'spendable', 'nonce', 'stake', 'nextNonce', 'height'].every((k) => isDecimal(r[k])) || typeof r.pending !== 'number' ||
      !Array.isArray(r.unbonding) || !r.unbonding.every((u) => isObject(u) && isDecimal(u.amount) && isDecimal(u.releaseEpoch))) {
    throw malformed(base, 'GET /accounts/:address')
  }
  return r as unknown as AccountJson
}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isDecimal (v: unknown): v is string {
  return typeof v === 'string' && DECIMAL.test(v)
}

function malformed (base: string, what: string): MemecoinError {
  return new MemecoinError('ERR_API_RESPONSE', `malformed ${what} response from ${base}: is this a memecoin node API of this version?`)
}

/** The API's messages are one line already; make sure of it, since we print them as one. */
function oneLine (s: string): string {
  // and printable: a stranger's message must not drive the terminal (escape sequences)
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim()
  return t.length > 300 ? t.slice(0, 300) + '…' : t
}

/** Maps a fetch failure to a one-line error: timeout, or nothing listening / wrong host. */
function transportError (err: unknown, base: string, timeoutMs: number): MemecoinError {
  const name = (err as { name?: unknown } | null)?.name
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new MemecoinError('ERR_API_TIMEOUT', `the node API at ${base} did not answer within ${timeoutMs / 1000} s`)
  }
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause
  const code = typeof cause?.code === 'string' ? cause.code : undefined
  return new MemecoinError('ERR_API_UNREACHABLE', `cannot reach the node API at ${base} (is the node running?)`, code !== undefined ? { cause: code } : undefined)
}

/** Reads a response body as text, refusing more than `max` bytes. */
async function readCapped (res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (declared > max) {
    await res.body?.cancel().catch(() => {})
    throw new MemecoinError('ERR_API_RESPONSE', `response larger than ${max} bytes`)
  }
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > max) {
      await reader.cancel().catch(() => {})
      throw new MemecoinError('ERR_API_RESPONSE', `response larger than ${max} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
