/**
 * Length-prefixed messages on libp2p 3 streams with deadlines: every read waits at most
 * `readTimeoutMs` and never past the request's deadline, so a stalled stream is reset instead
 * of holding a handler forever.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import { MemecoinError } from '../core/errors.ts'
import { timeoutSignal } from './timeout-signal.ts'

/** A failure of a request/response exchange; `code` says which. */
export class NetworkError extends MemecoinError {
  constructor (code: NetworkErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
    this.name = 'NetworkError'
  }
}

/**
 * Codes of NetworkError: ERR_TIMEOUT (deadline or read timeout), ERR_STREAM (the stream failed or
 * closed early), ERR_NO_CONNECTION (not connected), ERR_PROTOCOL (the peer broke the protocol:
 * penalise), ERR_RESPONSE_CODE (the peer answered with an error chunk; details.code).
 */
export type NetworkErrorCode = 'ERR_TIMEOUT' | 'ERR_STREAM' | 'ERR_NO_CONNECTION' | 'ERR_PROTOCOL' | 'ERR_RESPONSE_CODE'

/** Deadlines of one exchange. */
export interface Deadlines {
  /** Aborts when the whole exchange is over time (or the caller gives up). */
  signal: AbortSignal
  /** Longest wait for one message. */
  readTimeoutMs: number
}

/** Wraps a stream for length-prefixed messages of at most `maxDataLength` bytes. */
export function framed (stream: Stream, maxDataLength: number): LengthPrefixedStream<Stream> {
  return lpStream(stream, { maxDataLength, maxBufferSize: maxDataLength + 64 })
}

/**
 * Reads one message; undefined at a clean end of stream. Throws NetworkError ERR_TIMEOUT on a
 * deadline, ERR_PROTOCOL for a length over the limit, ERR_STREAM otherwise.
 */
export async function readMessage (lp: LengthPrefixedStream<Stream>, d: Deadlines): Promise<Uint8Array | undefined> {
  // not AbortSignal.any with AbortSignal.timeout: see timeout-signal.ts
  const t = timeoutSignal(d.readTimeoutMs, d.signal)
  const signal = t.signal
  try {
    return (await lp.read({ signal })).subarray()
  } catch (err) {
    const name = (err as Error).name
    if (name === 'UnexpectedEOFError') return undefined
    if (signal.aborted) throw new NetworkError('ERR_TIMEOUT', 'timed out reading from the stream')
    if (isLengthError(err)) throw new NetworkError('ERR_PROTOCOL', (err as Error).message)
    throw new NetworkError('ERR_STREAM', `stream failed: ${(err as Error).message}`, { cause: name })
  } finally {
    t.clear()
  }
}

/** True for lpStream's errors about a length prefix (malformed or over the limit). */
export function isLengthError (err: unknown): boolean {
  const name = (err as Error | undefined)?.name
  return name === 'InvalidDataLengthError' || name === 'InvalidMessageLengthError' || name === 'InvalidDataLengthLengthError'
}

/** Writes one message, waiting for the stream to drain at most until the deadline. */
export async function writeMessage (lp: LengthPrefixedStream<Stream>, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  try {
    await lp.write(bytes, { signal })
  } catch (err) {
    if (signal.aborted) throw new NetworkError('ERR_TIMEOUT', 'timed out writing to the stream')
    throw new NetworkError('ERR_STREAM', `stream failed: ${(err as Error).message}`)
  }
}

/** Resets a stream (abort), ignoring a stream that is already gone. */
export function resetStream (stream: Stream, reason: Error): void {
  try {
    stream.abort(reason)
  } catch {
    // already closed or reset
  }
}

/** Closes our writing side gracefully; resets it if that fails. */
export async function closeStream (stream: Stream, signal: AbortSignal): Promise<void> {
  try {
    await stream.close({ signal })
  } catch (err) {
    resetStream(stream, err as Error)
  }
}
