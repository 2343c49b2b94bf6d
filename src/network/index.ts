/**
 * memecoin as a libp2p service, for any libp2p 3 node (js-libp2p's service-factory pattern):
 *
 *   import { gossipsub } from '@libp2p/gossipsub'
 *   import { identify } from '@libp2p/identify'
 *   import { memecoin, gossipsubOptions } from 'memecoin'   // (the package's entry, src/index.ts)
 *
 *   const node = await createLibp2p({
 *     ...transports, encrypters, muxers...,
 *     services: {
 *       identify: identify(),
 *       pubsub: gossipsub(gossipsubOptions(chain.chainIdHex)),
 *       memecoin: memecoin({ chain })
 *     }
 *   })
 *   node.services.memecoin.syncState()
 *
 * How the service finds gossipsub: libp2p 3 puts every service into the shared components
 * object under its key in `services`, so at start the service reads `components[init.pubsub ??
 * 'pubsub']` (or takes a GossipSub instance as `init.pubsub`). It declares
 * `[serviceDependencies] = ['@libp2p/pubsub', '@libp2p/identify']`, so libp2p refuses to build a
 * node that lacks either. Gossipsub must be configured with `gossipsubOptions(chainIdHex)`
 * (StrictNoSign, message id = SHA-256(data), publishing to zero peers allowed, scoring for small
 * networks): the service refuses to start on a signing gossipsub. The service dials its
 * `bootstrap` addresses and re-dials lost peers itself (reconnect.ts); libp2p does not dial
 * discovered (mDNS) peers: `createHost` (host.ts) does, or the embedding application must.
 */
import type { MemecoinNetworkComponents, MemecoinNetworkInit } from './network.ts'
import { MemecoinNetwork } from './network.ts'

/** The libp2p service factory: `services: { memecoin: memecoin({ chain }) }`. */
export function memecoin (init: MemecoinNetworkInit): (components: MemecoinNetworkComponents) => MemecoinNetwork {
  return (components) => new MemecoinNetwork(components, init)
}

export { MemecoinNetwork } from './network.ts'
export type { MemecoinNetworkInit, MemecoinNetworkComponents, PeerView } from './network.ts'
export type { SyncState, SyncOptions } from './sync.ts'
export type { GossipStats } from './gossip.ts'
export { gossipsubOptions, messageIdOf, scoreParamsOf, SCORE_THRESHOLDS, TOPIC_SCORE_PARAMS, MESH_PARAMS } from './gossip-options.ts'
export { protocolId, topicsOf, protocolsOf } from './protocols.ts'
export { createHost } from './host.ts'
export type { HostOptions, MemecoinHost } from './host.ts'
export { NetworkError } from './stream-io.ts'
