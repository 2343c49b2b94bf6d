/**
 * Defaults of the network layer, in one place: timeouts, rates, penalties, sync bounds, gossip
 * batching and discovery. Wire size limits live in src/wire/limits.ts; every default here can be
 * overridden through `MemecoinNetworkInit` (tests use small timeouts).
 */

/** Version suffix of every topic and protocol id (SPEC §10). */
export const PROTOCOL_VERSION = '1'

/** Name of the pubsub service in the libp2p `services` map, unless `init.pubsub` says otherwise. */
export const DEFAULT_PUBSUB_SERVICE = 'pubsub'

// ------------------------------------------------------------------ request / response (R-2…R-4)

/** Whole request, from opening the stream to the last chunk. */
export const REQUEST_TIMEOUT_MS = 10_000
/** Longest wait for any single message of a stream; a stalled (slow-loris) stream is reset. */
export const READ_TIMEOUT_MS = 5_000
/** Status handshake timeout (one message each way). */
export const STATUS_TIMEOUT_MS = 5_000
/**
 * Every peer's status is asked again this often: a node whose gossip silently stopped (a stream
 * left on a dead connection after an address change) still learns that its peers are ahead and
 * syncs by range; `/peers` stays current. One small request per peer per interval.
 */
export const STATUS_REFRESH_MS = 10_000
/**
 * Transactions submitted to this node and still pending are announced again this often (and at
 * least this long after their last announcement): one published with no peer connected, or lost
 * by gossip, reaches the network all the same.
 */
export const LOCAL_REANNOUNCE_MS = 60_000
/** How often this node's own IPv4 addresses are read: one that went away takes its connections with it. */
export const LOCAL_ADDRESS_CHECK_MS = 2_000

/**
 * A node's connections whose peer has not completed this chain's status handshake this long after
 * opening are closed (identify and the handshake take well under a second; the status timeout and
 * a busy peer's stall tolerance fit within it): peers of no memecoin chain, or throwaway peer ids
 * holding the node's connection slots, which otherwise stayed for good.
 */
export const FOREIGN_PEER_GRACE_MS = 45_000
/** After a connection closes, how long until a peer's lost gossipsub stream is reopened on another. */
export const GOSSIP_STREAM_RESTORE_MS = 200
/** A warning that this node's chain left its peers' below the settled height repeats at most this often. */
export const DIVERGENCE_WARN_INTERVAL_MS = 5 * 60_000
/** Peers showing a chain that left ours below our settled height count together for this long (the warning needs half of them). */
export const DIVERGENCE_WINDOW_MS = 10 * 60_000
/** Per-peer token bucket for inbound requests of all three protocols. */
export const RATE_LIMIT_CAPACITY = 32
export const RATE_LIMIT_REFILL_PER_SECOND = 8
/**
 * Our own outbound blocks-by-range/blocks-by-hash requests per peer, paced below the rate every
 * peer enforces (3/4 of it, leaving room for status handshakes): whatever makes us request (a
 * flood of orphans from a hostile peer makes parent fetch ask an honest peer for every missing
 * parent), we never exceed R-3 and get penalised and banned by an honest peer.
 */
export const OUTBOUND_RATE_LIMIT_CAPACITY = (RATE_LIMIT_CAPACITY * 3) / 4
export const OUTBOUND_RATE_LIMIT_REFILL_PER_SECOND = (RATE_LIMIT_REFILL_PER_SECOND * 3) / 4
/** Per-connection concurrent inbound streams of each request protocol. */
export const MAX_INBOUND_STREAMS = 4
/** Per-connection concurrent outbound streams of each request protocol. */
export const MAX_OUTBOUND_STREAMS = 4
/** Bytes buffered while reading a request (a request is ≤ MAX_REQUEST_BYTES). */
export const REQUEST_READ_BUFFER_BYTES = 64 * 1024

// ------------------------------------------------------------------ penalties (Bitcoin Core's misbehaviour score)

/** Points at which a peer is disconnected and banned. */
export const BAN_THRESHOLD = 100
/** How long a banned peer stays refused. */
export const BAN_DURATION_MS = 10 * 60_000
/** Half-life of penalty points. */
export const PENALTY_HALF_LIFE_MS = 10 * 60_000
/** How long a peer of another chain is remembered and refused. */
export const INCOMPATIBLE_DURATION_MS = 60 * 60_000
/** Peers remembered by the penalty book (oldest forgotten first). */
export const MAX_TRACKED_PEERS = 4096
/** Penalty points per offence. */
export const PENALTY = {
  /** A gossip message our validator REJECTed. */
  gossipReject: 20,
  /** A request that broke the limits. */
  invalidRequest: 20,
  /** A request over the rate limit. */
  rateLimited: 10,
  /** A malformed response, more chunks than asked, or a block that failed validation. */
  invalidResponse: 50
} as const

// ------------------------------------------------------------------ sync

/** Blocks asked per blocks-by-range request (= MAX_BLOCKS_PER_REQUEST). */
export const SYNC_BATCH = 64
/** Requests in one range-sync pass from one peer. */
export const SYNC_MAX_REQUESTS = 1024
/** Wall-clock budget of one range-sync pass. */
export const SYNC_PASS_TIMEOUT_MS = 5 * 60_000
/** Passes (one peer each) per sync run before it gives up until the next trigger. */
export const SYNC_MAX_PASSES = 8
/** Rounds of blocks-by-hash when walking back from an unknown parent. */
export const PARENT_FETCH_MAX_ROUNDS = 32
/** Hashes per blocks-by-hash request (= MAX_BLOCKS_PER_REQUEST). */
export const PARENT_FETCH_BATCH = 64
/** An orphan this far above our head is fetched by range, not by walking parents. */
export const PARENT_FETCH_MAX_GAP = 64n
/** Interval of the maintenance tick (re-check peers ahead and missing parents). */
export const SYNC_TICK_MS = 3_000

// ------------------------------------------------------------------ gossip

/** Local transactions are collected this long into one TxBatch. */
export const TX_BATCH_DELAY_MS = 50
/** Evidence gossip: equivocations remembered to drop duplicates (IGNORE). */
export const MAX_SEEN_EVIDENCE = 4096

// ------------------------------------------------------------------ discovery (host)

/** Dial attempts per discovery of a peer (bootstrap and lost peers: see RECONNECT_* below). */
export const DIAL_MAX_ATTEMPTS = 5
/** First retry delay; doubles per attempt up to DIAL_MAX_DELAY_MS. */
export const DIAL_RETRY_DELAY_MS = 1_000
export const DIAL_MAX_DELAY_MS = 30_000
/** One dial attempt's timeout. */
export const DIAL_TIMEOUT_MS = 10_000
/**
 * A discovered peer with a lower id that has not connected to us after this long is dialed by us
 * (more than two mDNS answers: the lower id dials at once, so this only fires when it will not).
 */
export const DIAL_FALLBACK_DELAY_MS = 25_000
/** mDNS query interval. */
export const MDNS_INTERVAL_MS = 10_000

// ------------------------------------------------------------------ liveness (host)

/**
 * Longest event-loop stall (ours or the peer's) a healthy connection survives. Block imports stall
 * a node's event loop for seconds (3–5 s seen in the 4-node devnet benchmark on 2 cores), and
 * libp2p's connection monitor aborts a connection whose ping takes longer than its timeout
 * (libp2p 3 default: 5 s, because loopback round trips are ~1 ms), so a busy devnet cut all its
 * connections. A stalled peer still answers once its loop runs again; a dead one never does.
 */
export const STALL_TOLERANCE_MS = 20_000
/**
 * How often libp2p's connection monitor pings every connection. It must exceed the ping timeout:
 * libp2p's ping protocol allows one outbound ping stream per connection, so a second ping while the
 * first still waits fails, and the monitor aborts the connection for it.
 */
export const CONNECTION_PING_INTERVAL_MS = 30_000
/** A connection whose ping is not answered within this is aborted (a dead peer is found in ≤ 50 s). */
export const CONNECTION_PING_TIMEOUT_MS = STALL_TOLERANCE_MS
/** Identify on a new connection; the status handshake and gossipsub wait for it. */
export const IDENTIFY_TIMEOUT_MS = STALL_TOLERANCE_MS

// ------------------------------------------------------------------ reconnection (Bitcoin Core's outbound slots)

/** Connected peers the node keeps: below min(known peers, this) it re-dials known peers. */
export const RECONNECT_TARGET_PEERS = 8
/** Peers remembered for re-dialing (bootstrap addresses always; others oldest forgotten first). */
export const RECONNECT_MAX_KNOWN_PEERS = 64
/** First re-dial delay after a disconnect; doubles per failed attempt up to RECONNECT_MAX_DELAY_MS. */
export const RECONNECT_BASE_DELAY_MS = 1_000
export const RECONNECT_MAX_DELAY_MS = 60_000
/** Each delay is multiplied by a uniform factor in [1 − J, 1 + J] (capped at the maximum) so peers do not re-dial in lockstep. */
export const RECONNECT_JITTER = 0.25
/** A connection that lasted this long resets the peer's backoff; one that drops sooner keeps doubling it. */
export const RECONNECT_STABLE_MS = 60_000
/** Longest sleep of the re-dial loop (it also wakes on every disconnect and dial result). */
export const RECONNECT_CHECK_INTERVAL_MS = 5_000
/**
 * A learned (not bootstrap) peer is forgotten after this many failed dials in a row (≈ 15 minutes
 * of backoff): a peer that left the LAN for good is not dialed once a minute forever. If it comes
 * back, mDNS announces it again or it connects to us, and it is remembered anew.
 */
export const RECONNECT_FORGET_AFTER_FAILURES = 20
