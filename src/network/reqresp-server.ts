/**
 * The responder side of status, blocks-by-range and blocks-by-hash (SPEC §10, R-2…R-4). Each
 * request is one fresh stream: read one length-prefixed request within the read timeout, check
 * the per-peer rate limit, decode with the wire limits, answer, close our side. A bad request gets
 * a chunk with code 1, a rate-limited one code 2, our own failure code 3; a stream that stalls
 * or overruns the request deadline is reset.
 */
import type { Connection, Logger, PeerId, Stream } from '@libp2p/interface'
import { DecodeError } from '../core/errors.ts'
import type { ChainService } from '../chain/service.ts'
import {
  decodeBlocksByHash, decodeBlocksByRange, decodeStatus, encodeResponseChunk, encodeStatus,
  MAX_RESPONSE_MESSAGE_LENGTH, RESPONSE_INVALID_REQUEST, RESPONSE_OK, RESPONSE_RATE_LIMITED, RESPONSE_SERVER_ERROR, type Status
} from '../wire/messages.ts'
import { MAX_BLOCKS_PER_REQUEST, MAX_REQUEST_BYTES, MAX_STATUS_BYTES } from '../wire/limits.ts'
import type { Loose } from '../wire/codec.ts'
import type { PENALTY } from './constants.ts'
import type { Protocols } from './protocols.ts'
import type { RateLimiter } from './rate-limiter.ts'
import { closeStream, framed, NetworkError, readMessage, resetStream, writeMessage } from './stream-io.ts'

/** An offence the server reports (the owner turns it into penalty points). */
export type Offence = keyof typeof PENALTY

/** What the server needs. */
export interface ReqRespServerInit {
  chain: ChainService
  protocols: Protocols
  limiter: RateLimiter
  requestTimeoutMs: number
  readTimeoutMs: number
  /** Our status for the handshake. */
  localStatus: () => Loose<Status>
  /** A peer's status arrived (after our answer was sent). */
  onStatus: (peer: PeerId, status: Status, connection: Connection) => void
  /** A peer misbehaved. */
  onOffence: (peer: PeerId, offence: Offence, reason: string) => void
  log: Logger
}

/** A handled request that failed with a response code. */
class RequestRefused extends Error {
  constructor (readonly code: number, message: string, readonly offence?: Offence) { super(message) }
}

/** Serves the three request protocols. */
export class ReqRespServer {
  constructor (private readonly init: ReqRespServerInit) {}

  /** Handler of `/memecoin/<chainId>/status/1`: read their Status, answer ours. */
  readonly handleStatus = async (stream: Stream, connection: Connection): Promise<void> => {
    const { init } = this
    const peer = connection.remotePeer
    const signal = AbortSignal.timeout(init.requestTimeoutMs)
    try {
      const lp = framed(stream, MAX_STATUS_BYTES)
      const bytes = await readMessage(lp, { signal, readTimeoutMs: init.readTimeoutMs })
      if (bytes === undefined) throw new NetworkError('ERR_STREAM', 'stream ended before the status')
      if (!init.limiter.take(peer.toString())) {
        init.onOffence(peer, 'rateLimited', 'status handshake over the rate limit')
        resetStream(stream, new Error('rate limited'))
        return
      }
      const status = decodeStatus(bytes)
      await writeMessage(lp, encodeStatus(init.localStatus()), signal)
      await closeStream(stream, signal)
      init.onStatus(peer, status, connection)
    } catch (err) {
      if (err instanceof DecodeError || (err instanceof NetworkError && err.code === 'ERR_PROTOCOL')) {
        init.onOffence(peer, 'invalidRequest', `bad status: ${(err as Error).message}`)
      }
      init.log('status from %p failed: %s', peer, (err as Error).message)
      resetStream(stream, err as Error)
    }
  }

  /** Handler of `/memecoin/<chainId>/blocks-by-range/1`. */
  readonly handleBlocksByRange = async (stream: Stream, connection: Connection): Promise<void> => {
    await this.serve(stream, connection, 'blocks-by-range', (bytes) => {
      const req = decodeBlocksByRange(bytes)
      return this.init.chain.eachBlockInRange(req.startHeight, Math.min(req.count, MAX_BLOCKS_PER_REQUEST))
    })
  }

  /** Handler of `/memecoin/<chainId>/blocks-by-hash/1`. */
  readonly handleBlocksByHash = async (stream: Stream, connection: Connection): Promise<void> => {
    await this.serve(stream, connection, 'blocks-by-hash', (bytes) => {
      const hashes = decodeBlocksByHash(bytes).hashes.slice(0, MAX_BLOCKS_PER_REQUEST)
      const chain = this.init.chain
      return (async function * () {
        for (const h of hashes) {
          const b = await chain.blockByHashForPeer(h)
          if (b !== undefined) yield b
        }
      })()
    })
  }

  /**
   * Reads one request, answers with block chunks (or one error chunk), closes. `blocksOf` decodes
   * the request (throwing DecodeError for a bad one) and gives the blocks one at a time: each is
   * read once the one before is written (its write drained), so what a peer that reads its socket
   * slowly holds here is bounded by a block or two, not by a whole response.
   */
  private async serve (stream: Stream, connection: Connection, what: string, blocksOf: (request: Uint8Array) => AsyncIterable<Uint8Array>): Promise<void> {
    const { init } = this
    const peer = connection.remotePeer
    const signal = AbortSignal.timeout(init.requestTimeoutMs)
    const lp = framed(stream, MAX_REQUEST_BYTES)
    try {
      let blocks: AsyncIterable<Uint8Array>
      try {
        const bytes = await readMessage(lp, { signal, readTimeoutMs: init.readTimeoutMs }).catch((err: unknown) => {
          // a length prefix over the request limit is a bad request, not a stream failure; so is
          // a request whose bytes overflow the read buffer (limit + framing) before it is parsed
          if (err instanceof NetworkError && err.code === 'ERR_PROTOCOL') throw new RequestRefused(RESPONSE_INVALID_REQUEST, 'request too large', 'invalidRequest')
          throw err
        })
        if (bytes === undefined) throw new NetworkError('ERR_STREAM', 'stream ended before the request')
        // per-peer rate limit
        if (!init.limiter.take(peer.toString())) throw new RequestRefused(RESPONSE_RATE_LIMITED, 'rate limited', 'rateLimited')
        try {
          blocks = blocksOf(bytes)
        } catch (err) {
          // requests within limits (D-1, 1–64 blocks)
          if (err instanceof DecodeError) throw new RequestRefused(RESPONSE_INVALID_REQUEST, `invalid request: ${err.message}`, 'invalidRequest')
          throw new RequestRefused(RESPONSE_SERVER_ERROR, 'server error')
        }
      } catch (err) {
        if (!(err instanceof RequestRefused)) throw err
        if (err.offence !== undefined) init.onOffence(peer, err.offence, `${what}: ${err.message}`)
        const message = err.message.slice(0, MAX_RESPONSE_MESSAGE_LENGTH)
        await writeMessage(lp, encodeResponseChunk({ code: err.code, message }), signal)
        await closeStream(stream, signal)
        return
      }
      const chunks = blocks[Symbol.asyncIterator]()
      try {
        for (;;) {
          let next: IteratorResult<Uint8Array>
          try {
            next = await chunks.next()
          } catch {
            // our store failed mid-response: a code-3 chunk ends it (SPEC §10), what came before stands
            await writeMessage(lp, encodeResponseChunk({ code: RESPONSE_SERVER_ERROR, message: 'server error' }), signal)
            break
          }
          if (next.done === true) break
          await writeMessage(lp, encodeResponseChunk({ code: RESPONSE_OK, block: next.value }), signal)
        }
      } finally {
        // a write that failed leaves the generator suspended: end it
        await chunks.return?.(undefined)?.catch(() => {})
      }
      await closeStream(stream, signal)
    } catch (err) {
      // a stalled or failed stream is reset
      init.log('%s from %p reset: %s', what, peer, (err as Error).message)
      resetStream(stream, err as Error)
    }
  }
}

