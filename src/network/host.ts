/**
 * The memecoin libp2p host: TCP, Noise, Yamux, identify, ping, gossipsub configured by
 * `gossipsubOptions`, mDNS (unless disabled), the memecoin service, and the dialer that libp2p 3
 * lacks for discovered peers (the lower peer id dials). Bootstrap addresses go to the service,
 * which dials them and re-dials every lost peer (reconnect.ts). Banned peers and peers of another
 * chain are refused by a connection gater that asks the service. Liveness checks (libp2p's
 * connection monitor, identify) tolerate event-loop stalls of STALL_TOLERANCE_MS.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub, type GossipSub, type GossipsubOpts } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p, PeerId, PeerInfo, PrivateKey } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import type { ChainService } from '../chain/service.ts'
import { CONNECTION_PING_INTERVAL_MS, CONNECTION_PING_TIMEOUT_MS, FOREIGN_PEER_GRACE_MS, IDENTIFY_TIMEOUT_MS, MDNS_INTERVAL_MS } from './constants.ts'
import { Dialer, type DialerInit } from './dialer.ts'
import { gossipsubOptions } from './gossip-options.ts'
import { MemecoinNetwork, type MemecoinNetworkComponents, type MemecoinNetworkInit } from './network.ts'

/** Options of `createHost`; only `chain` is required. */
export interface HostOptions {
  chain: ChainService
  /** Listen multiaddrs; default `/ip4/0.0.0.0/tcp/0`. */
  listen?: string[]
  /** Multiaddrs announced instead of the listen addresses. */
  announce?: string[]
  /** Bootstrap multiaddrs (with `/p2p/<peer id>`): dialed at start and re-dialed whenever lost (not banned). */
  bootstrap?: string[]
  /** mDNS discovery on the LAN; default true. */
  mdns?: boolean
  mdnsIntervalMs?: number
  /** A key for a stable peer id (default: a fresh Ed25519 key per start). */
  privateKey?: PrivateKey
  /** An extra gater (tests); consulted after the memecoin ban list. */
  connectionGater?: ConnectionGater
  /** Options of the memecoin service. */
  network?: Omit<MemecoinNetworkInit, 'chain' | 'pubsub'>
  /** Overrides of the gossipsub options. */
  gossipsub?: Partial<GossipsubOpts>
  /** Dial retry bounds of discovered (mDNS) peers. */
  dialer?: DialerInit
  /** Start the node before returning; default true. */
  start?: boolean
}

/** The services of a memecoin host. */
export interface MemecoinServices extends Record<string, unknown> {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
  memecoin: MemecoinNetwork
}

/** A libp2p node running memecoin: `host.services.memecoin` is the network service. */
export type MemecoinHost = Libp2p<MemecoinServices>

/**
 * Open libp2p connections at most (the connection manager prunes beyond it). Pinned to libp2p's
 * current default (300) so a library upgrade cannot change the bound silently: every per-peer
 * table of the network layer (rate-limit buckets, sync heads, gossip peer state) is bounded by
 * the connected peers, i.e. by this. (Bitcoin Core allows 125 by default; memecoin keeps the
 * library's value, so pinning it changes no behaviour.)
 */
export const MAX_CONNECTIONS = 300

/**
 * libp2p's connection monitor, tolerant of stalls: it pings every connection and aborts one whose
 * ping times out. Its default timeout (adaptive, at least 5 s: loopback pings take ~1 ms) is shorter
 * than the event-loop stalls of a big block import, so busy devnets lost every connection. The
 * timeout stays below the interval: libp2p's ping protocol allows one outbound ping stream per
 * connection and the monitor aborts the connection when a second ping cannot open its stream.
 */
export const CONNECTION_MONITOR = {
  pingInterval: CONNECTION_PING_INTERVAL_MS,
  pingTimeout: { minTimeout: CONNECTION_PING_TIMEOUT_MS, maxTimeout: CONNECTION_PING_TIMEOUT_MS }
} as const

/** Builds (and by default starts) a memecoin libp2p node. */
export async function createHost (options: HostOptions): Promise<MemecoinHost> {
  const chainIdHex = options.chain.chainIdHex
  // late-bound: the gater exists before the service it asks
  let network: MemecoinNetwork | undefined
  const refused = (peer: PeerId): boolean => network?.isRefused(peer) ?? false
  const refusedInbound = (peer: PeerId): boolean => network?.refusesInbound(peer) ?? false
  const extra = options.connectionGater
  const gater: ConnectionGater = {
    ...extra,
    denyDialPeer: async (peer) => refused(peer) || (await extra?.denyDialPeer?.(peer) ?? false),
    denyInboundEncryptedConnection: async (peer, conn) => refusedInbound(peer) || (await extra?.denyInboundEncryptedConnection?.(peer, conn) ?? false),
    denyOutboundEncryptedConnection: async (peer, conn) => refused(peer) || (await extra?.denyOutboundEncryptedConnection?.(peer, conn) ?? false)
  }
  const services: Record<string, (components: any) => unknown> = {
    identify: identify({ timeout: IDENTIFY_TIMEOUT_MS }),
    // answers the monitor's pings; its own deadline (whole stream) must not be the shorter one
    ping: ping({ timeout: CONNECTION_PING_TIMEOUT_MS }),
    pubsub: gossipsub(gossipsubOptions(chainIdHex, options.gossipsub)),
    memecoin: (components: MemecoinNetworkComponents) => new MemecoinNetwork(components, { foreignPeerGraceMs: FOREIGN_PEER_GRACE_MS, ...options.network, chain: options.chain, ...(options.bootstrap !== undefined ? { bootstrap: options.bootstrap } : {}) })
  }
  if (options.mdns !== false) services.mdns = mdns({ interval: options.mdnsIntervalMs ?? MDNS_INTERVAL_MS })
  const node = await createLibp2p({
    start: false,
    ...(options.privateKey !== undefined ? { privateKey: options.privateKey } : {}),
    addresses: { listen: options.listen ?? ['/ip4/0.0.0.0/tcp/0'], ...(options.announce !== undefined ? { announce: options.announce } : {}) },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: gater,
    connectionManager: { maxConnections: MAX_CONNECTIONS },
    connectionMonitor: CONNECTION_MONITOR,
    services
  }) as unknown as MemecoinHost
  network = node.services.memecoin

  let dialer: Dialer | undefined
  const onDiscovery = (evt: CustomEvent<PeerInfo>): void => { dialer?.onDiscovered(evt.detail) }
  node.addEventListener('peer:discovery', onDiscovery)
  // mDNS answers again every interval; libp2p re-announces only peers new to the peer store
  const discovery = (node.services as Record<string, unknown>).mdns as EventTarget | undefined
  discovery?.addEventListener('peer', (evt) => { dialer?.onDiscovered((evt as CustomEvent<PeerInfo>).detail) })
  node.addEventListener('start', () => {
    dialer = new Dialer(node, { ...options.dialer, isRefused: refused })
  })
  node.addEventListener('stop', () => {
    dialer?.stop()
    dialer = undefined
  })
  if (options.start !== false) await node.start()
  return node
}
