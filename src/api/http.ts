/**
 * HTTP plumbing on node:http: bounded body reading, JSON responses, and streamed responses that
 * yield to the event loop and respect backpressure, so one large block never stalls the node.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { ApiError } from './errors.ts'

const JSON_TYPE = 'application/json; charset=utf-8'

/** Headers every response carries: no caching of chain state, no content sniffing. */
const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }

/** Sends `body` as JSON with `status`. */
export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

/** Sends already-serialized JSON text. */
export function sendJsonText (res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** Sends `text` with a content type (Prometheus metrics). */
export function sendText (res: ServerResponse, status: number, text: string, contentType: string): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': contentType, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** Sends `{error: {code, message}}` (plus `rule` and the `amounts` it names, in base units, for protocol refusals); never internals. */
export function sendError (res: ServerResponse, err: ApiError, headers: Record<string, string> = {}): void {
  const error: Record<string, unknown> = { code: err.code, message: err.message }
  const rule = err.details?.rule
  if (typeof rule === 'string') error.rule = rule
  const amounts = err.details?.amounts
  if (typeof amounts === 'object' && amounts !== null) error.amounts = amounts
  sendJson(res, err.status, { error }, headers)
}

/** Resolves when `out` (a response or its socket) can take more data, or is gone. */
export function drained (out: { on: (event: 'drain' | 'close', fn: () => void) => unknown, off: (event: 'drain' | 'close', fn: () => void) => unknown }): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done)
      out.off('close', done)
      resolve()
    }
    out.on('drain', done)
    out.on('close', done)
  })
}

/**
 * Streams a JSON document given as string parts (chunked encoding): waits for `drain` when the
 * socket is full and yields to the event loop between parts. Stops quietly if the client leaves.
 */
export async function streamJson (res: ServerResponse, status: number, parts: Iterable<string>): Promise<void> {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': JSON_TYPE })
  for (const part of parts) {
    if (res.destroyed) return
    if (!res.write(part)) await drained(res)
    else await yieldToLoop()
  }
  if (!res.destroyed) res.end()
}

/**
 * Reads a request body of at most `limit` bytes. A declared or actual size over the limit stops
 * reading at once and throws 413 ERR_TOO_LARGE (the caller closes the connection).
 */
export async function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  // node:http removes the chunked framing and nothing else: a compressed body would be read as
  // the bytes it is, and refused as bad JSON or hex, or worse, taken for something else
  const coding = req.headers['content-encoding']
  if (coding !== undefined && coding.trim() !== '' && coding.trim().toLowerCase() !== 'identity') {
    throw new ApiError(415, 'ERR_UNSUPPORTED_CONTENT_ENCODING', `Content-Encoding ${JSON.stringify(coding.slice(0, 40))} is not supported: send the body uncompressed`)
  }
  const transfer = req.headers['transfer-encoding']
  if (transfer !== undefined && transfer.trim().toLowerCase() !== 'chunked') {
    throw new ApiError(501, 'ERR_UNSUPPORTED_TRANSFER_CODING', `Transfer-Encoding ${JSON.stringify(transfer.slice(0, 40))} is not supported: only chunked`)
  }
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit)
  return await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const finish = (err?: ApiError): void => {
      if (settled) return
      settled = true
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('aborted', onAborted)
      req.off('close', onAborted)
      if (err !== undefined) reject(err)
      else resolve(Buffer.concat(chunks, size))
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        req.pause()
        finish(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => { finish() }
    const onError = (): void => { finish(new ApiError(400, 'ERR_BAD_REQUEST', 'request body could not be read')) }
    const onAborted = onError
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('aborted', onAborted)
    // the connection went before the body ended (a timeout destroyed it): never wait for good
    req.on('close', onAborted)
  })
}

function tooLarge (limit: number): ApiError {
  return new ApiError(413, 'ERR_TOO_LARGE', `request body exceeds ${limit} bytes`)
}
