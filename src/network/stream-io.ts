/**
 * Length-prefixed messages on libp2p 3 streams with deadlines: every read waits at most
 * `readTimeoutMs` and never past the request's deadline, so a stalled stream is reset instead
 * of holding a handler forever.
 */
import type { Stream } from '@libp2p/interface'
import { byteStream, type ByteStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
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

/**
 * A stream carrying length-prefixed messages (unsigned varint length, then the bytes; SPEC §10).
 * Our own framing over libp2p's byteStream rather than its lpStream, to know where a read stopped:
 * an end of stream between two messages is the clean end of a response, one inside a message (or
 * on a stream that was aborted) a failure, which lpStream reports alike.
 */
export interface Framed {
  readonly stream: Stream
  readonly bytes: ByteStream<Stream>
  readonly maxDataLength: number
  /** Messages the buffer has room for before they are read. */
  readonly maxMessages: number
  /** Bytes of the longest length prefix `maxDataLength` needs. */
  readonly maxLengthBytes: number
}

/** Bytes of the unsigned varint of `n`. */
function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    len++
  }
  return len
}

/** The unsigned varint of `n` (a safe integer ≥ 0). */
function encodeVarint (n: number): Uint8Array {
  const out = new Uint8Array(varintLength(n))
  for (let i = 0; i < out.length; i++) {
    out[i] = (n % 0x80) | (i < out.length - 1 ? 0x80 : 0)
    n = Math.floor(n / 0x80)
  }
  return out
}

/**
 * Wraps a stream for length-prefixed messages of at most `maxDataLength` bytes, `maxMessages` of
 * which may arrive before they are read. What arrives is buffered until read, and a peer may send
 * a whole response at once (the muxer's flow control does not wait for our reads): a buffer of
 * one message cut honest multi-chunk responses short (small blocks, or a full block then more).
 * Beyond the bound the stream is aborted.
 */
export function framed (stream: Stream, maxDataLength: number, maxMessages = 1): Framed {
  const maxLengthBytes = varintLength(maxDataLength)
  return { stream, bytes: byteStream(stream, { maxBufferSize: maxMessages * (maxDataLength + maxLengthBytes) + 64 }), maxDataLength, maxMessages, maxLengthBytes }
}

/** True once the stream was aborted or reset (by either side), not merely closed. */
function broken (stream: Stream): boolean {
  return stream.status === 'aborted' || stream.status === 'reset'
}

/**
 * Reads one message; undefined at a clean end of stream (the peer closed between two messages).
 * Throws NetworkError ERR_TIMEOUT on a deadline, ERR_PROTOCOL for a length prefix over the limit
 * or more data than `maxMessages` messages (the buffer overflowed), ERR_STREAM otherwise (the
 * stream failed or was aborted, or it ended inside a message).
 */
export async function readMessage (f: Framed, d: Deadlines): Promise<Uint8Array | undefined> {
  // not AbortSignal.any with AbortSignal.timeout: see timeout-signal.ts
  const t = timeoutSignal(d.readTimeoutMs, d.signal)
  const signal = t.signal
  let started = false
  try {
    let length = 0
    for (let i = 0; ; i++) {
      if (i === f.maxLengthBytes) throw new NetworkError('ERR_PROTOCOL', `message length prefix longer than ${f.maxLengthBytes} bytes`)
      const b = (await f.bytes.read({ bytes: 1, signal })).get(0)
      started = true
      length += (b & 0x7f) * 2 ** (7 * i)
      if ((b & 0x80) === 0) break
    }
    if (length > f.maxDataLength) throw new NetworkError('ERR_PROTOCOL', `message length ${length} over the limit of ${f.maxDataLength}`)
    if (length === 0) return new Uint8Array(0)
    return (await f.bytes.read({ bytes: length, signal })).subarray()
  } catch (err) {
    if (err instanceof NetworkError) throw err
    const name = (err as Error).name
    if (name === 'UnexpectedEOFError' && !started && !broken(f.stream)) return undefined
    if (signal.aborted) throw new NetworkError('ERR_TIMEOUT', 'timed out reading from the stream')
    // more than `maxMessages` messages of the largest size can hold: no honest peer sends that
    if (name === 'StreamBufferError') throw new NetworkError('ERR_PROTOCOL', `the peer sent more than ${f.maxMessages} message(s) of at most ${f.maxDataLength} bytes`, { cause: name })
    if (name === 'UnexpectedEOFError') throw new NetworkError('ERR_STREAM', started ? 'the stream ended inside a message' : 'the stream was aborted', { cause: name })
    throw new NetworkError('ERR_STREAM', `stream failed: ${(err as Error).message}`, { cause: name })
  } finally {
    t.clear()
  }
}

/** Writes one message, waiting for the stream to drain at most until the deadline. */
export async function writeMessage (f: Framed, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  try {
    await f.bytes.write(new Uint8ArrayList(encodeVarint(bytes.byteLength), bytes), { signal })
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
