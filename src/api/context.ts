/** What every route handler receives: the components, the request, and its parsed URL. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { IntervalHistogram } from 'node:perf_hooks'
import type { ChainService, ChainServiceInit } from '../chain/service.ts'
import type { TxIndex } from '../chain/tx-index.ts'
import type { EventHub } from './events.ts'
import type { RecentBlocks } from './forks.ts'
import type { Histogram, HistogramSnapshot } from './metrics.ts'

/** What the API reads from the network layer (all optional to implement beyond peers and sync). */
export interface ApiNetwork {
  /** Connected peers. */
  peers: () => number
  /** Whether the node is catching up, and to which height. */
  syncState: () => { syncing: boolean, targetHeight?: bigint }
  /**
   * Extra samples for `/metrics`, e.g. gossip results: keys are Prometheus names with optional
   * labels (`gossip_messages_total{topic="block",result="accept"}`), exported with the prefix
   * `memecoin_`; names ending in `_total` are counters, others gauges.
   */
  metrics?: () => Record<string, number>
  /**
   * Peers with their last reported chain heads, for `GET /peers` (MemecoinNetwork's `peerList`);
   * `addresses` (multiaddrs) when the network layer knows them.
   */
  peerList?: () => Array<{ peerId: string, headHeight?: bigint, headSlot?: bigint, settledHeight?: bigint, addresses?: string[] }>
}

/** One-line logger (same shape as the chain service's). */
export type ApiLog = NonNullable<ChainServiceInit['log']>

/** Shared state of one API server. */
export interface ApiContext {
  chain: ChainService
  network?: ApiNetwork
  /** Which block includes a transaction (disk-backed; reads are asynchronous). */
  txIndex: TxIndex
  /** Recently imported blocks (any branch), to find side branches for `GET /forks`. */
  recent: RecentBlocks
  hub: EventHub
  maxBodyBytes: number
  log: ApiLog
  /** Block import durations, when the composition root measures them (see README of src/api). */
  blockImportSeconds?: () => HistogramSnapshot | undefined
  requestSeconds: Histogram
  /** Responses sent, by status code. */
  responses: Map<number, number>
  /** Event-loop delay monitor while the server runs. */
  lag?: IntervalHistogram
}

/** A request being served: `params` are the path segments a route captured. */
export interface ApiRequest {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  params: string[]
}

/** A route handler; throws ApiError for refusals. */
export type Handler = (ctx: ApiContext, r: ApiRequest) => Promise<void> | void
