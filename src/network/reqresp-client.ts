/**
 * The requester side of status, blocks-by-range and blocks-by-hash (SPEC §10). One fresh stream
 * per request on an existing connection: write the request, close our side, read chunks until
 * the responder closes. Every read has a timeout and the whole exchange a deadline; sizes
 * are capped by the wire limits before parsing; a peer that breaks the protocol (malformed chunk,
 * more blocks than asked, a chunk over the chain's block limit, a range out of order) gets a
 * NetworkError ERR_PROTOCOL, which the caller penalises.
 * Blocks are returned as bytes: the caller validates each one through ChainService.importBlock.
 */
import type { Connection } from '@libp2p/interface'
import { bytesEqual, toHex } from '../core/bytes.ts'
import { DecodeError } from '../core/errors.ts'
import { peekBlockHeader } from '../wire/block.ts'
import type { Loose } from '../wire/codec.ts'
import { MAX_BLOCKS_PER_REQUEST, MAX_RESPONSE_CHUNK_BYTES, MAX_STATUS_BYTES } from '../wire/limits.ts'
import {
  decodeResponseChunk, decodeStatus, encodeBlocksByHash, encodeBlocksByRange, encodeStatus, RESPONSE_OK, type Status
} from '../wire/messages.ts'
import { closeStream, framed, NetworkError, readMessage, resetStream, writeMessage } from './stream-io.ts'
import { timeoutSignal, type TimeoutSignal } from './timeout-signal.ts'

/** Timeouts of one request. */
export interface RequestOptions {
  /** Deadline of the whole exchange. */
  timeoutMs: number
  /** Longest wait for one message. */
  readTimeoutMs: number
  /** The caller gives up (e.g. the service stops). */
  signal?: AbortSignal
  /** Largest response chunk accepted (the chain's block limit plus framing; default the protocol cap). */
  maxChunkBytes?: number
}

/** The request's deadline, or the caller's signal (timeout-signal.ts: not AbortSignal.any). */
function deadline (opts: RequestOptions): TimeoutSignal {
  return timeoutSignal(opts.timeoutMs, opts.signal)
}

async function openStream (connection: Connection, protocol: string, signal: AbortSignal): Promise<Awaited<ReturnType<Connection['newStream']>>> {
  try {
    return await connection.newStream(protocol, { signal })
  } catch (err) {
    if (signal.aborted) throw new NetworkError('ERR_TIMEOUT', `timed out opening ${protocol}`)
    throw new NetworkError('ERR_STREAM', `cannot open ${protocol}: ${(err as Error).message}`, { cause: (err as Error).name })
  }
}

/** The status handshake: send ours, read theirs (decoded with the Status limits). */
export async function requestStatus (connection: Connection, protocol: string, ours: Loose<Status>, opts: RequestOptions): Promise<Status> {
  const d = deadline(opts)
  try {
    return await statusExchange(connection, protocol, ours, opts, d.signal)
  } finally {
    d.clear()
  }
}

async function statusExchange (connection: Connection, protocol: string, ours: Loose<Status>, opts: RequestOptions, signal: AbortSignal): Promise<Status> {
  const stream = await openStream(connection, protocol, signal)
  try {
    const lp = framed(stream, MAX_STATUS_BYTES)
    await writeMessage(lp, encodeStatus(ours), signal)
    await closeStream(stream, signal)
    const bytes = await readMessage(lp, { signal, readTimeoutMs: opts.readTimeoutMs })
    if (bytes === undefined) throw new NetworkError('ERR_STREAM', 'stream ended before the status')
    try {
      return decodeStatus(bytes)
    } catch (err) {
      if (err instanceof DecodeError) throw new NetworkError('ERR_PROTOCOL', `bad status: ${err.message}`)
      throw err
    }
  } catch (err) {
    resetStream(stream, err as Error)
    throw err
  }
}

/** Sends a request and collects the blocks of the response (at most `maxBlocks`). */
async function requestBlocks (connection: Connection, protocol: string, request: Uint8Array, maxBlocks: number, opts: RequestOptions): Promise<Uint8Array[]> {
  const d = deadline(opts)
  try {
    return await blocksExchange(connection, protocol, request, maxBlocks, opts, d.signal)
  } finally {
    d.clear()
  }
}

async function blocksExchange (connection: Connection, protocol: string, request: Uint8Array, maxBlocks: number, opts: RequestOptions, signal: AbortSignal): Promise<Uint8Array[]> {
  const stream = await openStream(connection, protocol, signal)
  const blocks: Uint8Array[] = []
  try {
    // the whole response may arrive before we read it: room for every chunk it may hold
    const lp = framed(stream, Math.min(opts.maxChunkBytes ?? MAX_RESPONSE_CHUNK_BYTES, MAX_RESPONSE_CHUNK_BYTES), maxBlocks + 1)
    await writeMessage(lp, request, signal)
    await closeStream(stream, signal)
    for (let i = 0; i <= maxBlocks; i++) {
      const bytes = await readMessage(lp, { signal, readTimeoutMs: opts.readTimeoutMs })
      if (bytes === undefined) return blocks
      let chunk
      try {
        chunk = decodeResponseChunk(bytes)
      } catch (err) {
        throw new NetworkError('ERR_PROTOCOL', `bad response chunk: ${(err as Error).message}`)
      }
      if (chunk.code !== RESPONSE_OK) {
        // an error chunk ends the response (SPEC §10); the blocks before it are an answer (a
        // responder whose store failed mid-range sent them): kept, and checked as any response
        if (blocks.length > 0) {
          // nothing may follow it: the stream is done with, whatever the peer still sends
          resetStream(stream, new Error('response ended by an error chunk'))
          return blocks
        }
        throw new NetworkError('ERR_RESPONSE_CODE', `peer answered code ${chunk.code}: ${chunk.message}`, { code: chunk.code })
      }
      if (blocks.length === maxBlocks) throw new NetworkError('ERR_PROTOCOL', `more than the ${maxBlocks} blocks asked for`)
      blocks.push(chunk.block)
    }
    return blocks
  } catch (err) {
    resetStream(stream, err as Error)
    throw err
  }
}

/**
 * Up to `count` (1…64) canonical blocks from `startHeight`, as the peer sent them, once their
 * headers show the response is what was asked (SPEC §10): heights `startHeight`, `startHeight` + 1,
 * … Any other height is ERR_PROTOCOL (the caller penalises): repeated or skipped blocks would
 * otherwise pass for progress or hold a sync pass for nothing. A block that is not the child of
 * the one before ends the response there, unpunished: the responder's chain may have reorganised
 * while it answered (our own responder stops there itself).
 */
export async function requestBlocksByRange (connection: Connection, protocol: string, startHeight: bigint, count: number, opts: RequestOptions): Promise<Uint8Array[]> {
  const n = Math.max(1, Math.min(count, MAX_BLOCKS_PER_REQUEST))
  const blocks = await requestBlocks(connection, protocol, encodeBlocksByRange({ startHeight, count: n }), n, opts)
  let parent: Uint8Array | undefined
  for (let i = 0; i < blocks.length; i++) {
    let sh
    try {
      sh = peekBlockHeader(blocks[i] as Uint8Array)
    } catch (err) {
      throw new NetworkError('ERR_PROTOCOL', `bad block ${i} in a range response: ${(err as Error).message}`)
    }
    // a range from 0 is answered from 1 (genesis is no block on the wire; SPEC §10)
    const want = (startHeight > 0n ? startHeight : 1n) + BigInt(i)
    if (sh.header.height !== want) throw new NetworkError('ERR_PROTOCOL', `range response: block ${i} has height ${sh.header.height}, not ${want}`)
    if (parent !== undefined && !bytesEqual(sh.header.parentHash, parent)) return blocks.slice(0, i)
    parent = sh.hash
  }
  return blocks
}

/**
 * The blocks the peer has among `hashes` (1…64), as the peer sent them, once their headers show
 * they are what was asked (SPEC §10: those it has among the hashes, in their order). A block whose
 * hash was not asked, or comes out of order or twice, is ERR_PROTOCOL (the caller penalises): a
 * peer answering with blocks of its own choosing fed a chain of junk orphans into parent fetch.
 */
export async function requestBlocksByHash (connection: Connection, protocol: string, hashes: Uint8Array[], opts: RequestOptions): Promise<Uint8Array[]> {
  const asked = hashes.slice(0, MAX_BLOCKS_PER_REQUEST)
  const blocks = await requestBlocks(connection, protocol, encodeBlocksByHash({ hashes: asked }), asked.length, opts)
  let next = 0
  for (let i = 0; i < blocks.length; i++) {
    let hash
    try {
      hash = peekBlockHeader(blocks[i] as Uint8Array).hash
    } catch (err) {
      throw new NetworkError('ERR_PROTOCOL', `bad block ${i} in a by-hash response: ${(err as Error).message}`)
    }
    let at = next
    while (at < asked.length && !bytesEqual(asked[at] as Uint8Array, hash)) at++
    if (at === asked.length) throw new NetworkError('ERR_PROTOCOL', `by-hash response: block ${i} (${toHex(hash).slice(0, 16)}) was not asked for, or came out of order or twice`)
    next = at + 1
  }
  return blocks
}
