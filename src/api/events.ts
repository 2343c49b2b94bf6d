/**
 * Server-sent events: a bounded set of clients, each a long-lived response that receives
 * `event: <name>\ndata: <json>\n\n` frames, a comment heartbeat, and is dropped when it falls
 * too far behind (a slow reader must not make the node buffer without bound).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { MAX_SSE_BUFFERED_BYTES, SSE_RETRY_MS } from './constants.ts'

/** Options of the hub. */
export interface EventHubInit {
  maxClients: number
  heartbeatMs: number
  maxBufferedBytes?: number
}

/** The SSE clients of one server. */
export class EventHub {
  private readonly clients = new Set<ServerResponse>()
  private timer: NodeJS.Timeout | undefined
  private readonly maxBuffered: number
  /** Clients dropped for reading too slowly. */
  dropped = 0

  constructor (private readonly init: EventHubInit) {
    this.maxBuffered = init.maxBufferedBytes ?? MAX_SSE_BUFFERED_BYTES
  }

  /** Number of connected clients. */
  get size (): number { return this.clients.size }

  /** True iff another client would exceed the limit. */
  get full (): boolean { return this.clients.size >= this.init.maxClients }

  /** Starts the heartbeat. */
  start (): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => { this.writeAll(': heartbeat\n\n') }, this.init.heartbeatMs)
    this.timer.unref()
  }

  /** Stops the heartbeat and ends every stream. */
  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    for (const res of this.clients) res.end()
    this.clients.clear()
  }

  /** Turns `res` into an event stream (the caller checked `full`); `first` events go to it alone. */
  add (req: IncomingMessage, res: ServerResponse, first: Array<{ event: string, data: unknown }> = []): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // the stream is the connection's last response: stop() then closes it at once
      connection: 'close',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff'
    })
    req.socket.setNoDelay(true)
    req.socket.setTimeout(0)
    this.clients.add(res)
    const remove = (): void => { this.clients.delete(res) }
    res.on('close', remove)
    res.on('error', remove)
    this.write(res, `retry: ${SSE_RETRY_MS}\n\n` + first.map((e) => frame(e.event, e.data)).join(''))
  }

  /** Sends an event to every client. */
  broadcast (event: string, data: unknown): void {
    if (this.clients.size === 0) return
    this.writeAll(frame(event, data))
  }

  private writeAll (text: string): void {
    for (const res of [...this.clients]) this.write(res, text)
  }

  private write (res: ServerResponse, text: string): void {
    if (res.destroyed || res.writableEnded) {
      this.clients.delete(res)
      return
    }
    if (res.writableLength > this.maxBuffered) {
      this.dropped++
      this.clients.delete(res)
      res.destroy()
      return
    }
    res.write(text)
  }
}

/** One SSE frame; JSON never contains a raw newline, so `data` is a single line. */
function frame (event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}
