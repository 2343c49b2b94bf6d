/**
 * The gossipsub configuration memecoin needs (SPEC §10), for the host factory and for embedders:
 *
 *   services: {
 *     identify: identify(),
 *     pubsub: gossipsub(gossipsubOptions(chain.chainIdHex)),
 *     memecoin: memecoin({ chain })
 *   }
 *
 * - `StrictNoSign` and message id = SHA-256(data): our messages carry their own signatures, and
 *   equal bytes are one message whoever relays them.
 * - Publishing with zero topic peers or publishing bytes already seen never throws.
 * - A small mesh (D 4, Dlo 3, Dhi 8): two nodes already form a working mesh, and a node with
 *   fewer than 3 mesh peers grafts the other subscribed peers it is connected to (see MESH_PARAMS).
 * - Peer scoring tuned for small networks (numbers below): an honest peer can never be pushed to
 *   the graylist; a peer whose messages on one topic our validators REJECT is graylisted by its 7th.
 */
import type { GossipsubOpts } from '@libp2p/gossipsub'
import { sha256 } from '../core/hash.ts'
import { topicsOf } from './protocols.ts'

/** Message id: SHA-256 of the message data (the same bytes are one message, whoever relays them). */
export function messageIdOf (msg: { data: Uint8Array }): Uint8Array {
  return sha256(msg.data)
}

/**
 * Score thresholds. Only P4 (invalid deliveries) and P7 (protocol misbehaviour) can make a score
 * negative, and honest peers produce no invalid messages: they cannot reach these.
 */
export const SCORE_THRESHOLDS = Object.freeze({
  /** Below: no gossip (IHAVE/IWANT) exchanged with the peer (4 invalid messages). */
  gossipThreshold: -100,
  /** Below: our own messages are not flood-published to it (5 invalid messages). */
  publishThreshold: -200,
  /** Below: every RPC from the peer is ignored (7 invalid messages on one topic). */
  graylistThreshold: -400,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 5
})

/**
 * Per-topic score parameters (same for the three topics, topicWeight 1):
 * - P1 time in mesh: +0.0027/s, capped at 3600 s (≈ +10);
 * - P2 first deliveries: +1 each, cap 20, decay 0.9/s;
 * - P3/P3b mesh delivery deficits: off (weight 0): blocks come every few seconds on a small
 *   network, so a quiet honest mesh peer must not be punished for silence;
 * - P4 invalid deliveries, counted per topic: −10 · n², decay 0.99/s (half-life ≈ 69 s):
 *   n = 4 → −160 (no gossip), n = 5 → −250 (no publish), n = 7 → −490 (graylisted: the most
 *   positive score a peer can bank is ≈ 89 over three topics, and 89 − 490 < −400).
 */
export const TOPIC_SCORE_PARAMS = Object.freeze({
  topicWeight: 1,
  timeInMeshWeight: 0.0027,
  timeInMeshQuantum: 1000,
  timeInMeshCap: 3600,
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 20,
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 100,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.99
})

/**
 * Peer score parameters around the topics: positive topic score capped at 20; IP colocation off
 * (a devnet runs many nodes on one host); behaviour penalty −10 · (c − 4)², decay 0.9/s; scores of
 * disconnected peers kept 10 minutes (as long as our ban), so reconnecting does not wash a score.
 */
export function scoreParamsOf (chainIdHex: string): NonNullable<GossipsubOpts['scoreParams']> {
  const t = topicsOf(chainIdHex)
  return {
    topics: { [t.block]: { ...TOPIC_SCORE_PARAMS }, [t.tx]: { ...TOPIC_SCORE_PARAMS }, [t.evidence]: { ...TOPIC_SCORE_PARAMS } },
    topicScoreCap: 20,
    appSpecificScore: () => 0,
    appSpecificWeight: 0,
    IPColocationFactorWeight: 0,
    IPColocationFactorThreshold: 10,
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 4,
    behaviourPenaltyDecay: 0.9,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 10 * 60_000
  }
}

/**
 * Mesh degree for small networks: a 2-node network has a mesh of 1, and that is enough. Dlo is 3,
 * not 1: with Dlo 1 a node meshed to one peer never grafted the others it is connected to, so the
 * mesh could split into islands that only lazy gossip (IHAVE at the 1 s heartbeat) joined. Seen
 * in the 8-node gossip benchmark: raw gossipsub p50 800 ms in one run, 5 ms in the others.
 */
export const MESH_PARAMS = Object.freeze({ D: 4, Dlo: 3, Dhi: 8, Dscore: 1, Dout: 0, Dlazy: 4 })

/** The gossipsub options of chain `chainIdHex` (SPEC §10), with `overrides` on top. */
export function gossipsubOptions (chainIdHex: string, overrides: Partial<GossipsubOpts> = {}): Partial<GossipsubOpts> {
  return {
    ...MESH_PARAMS,
    globalSignaturePolicy: 'StrictNoSign',
    msgIdFn: messageIdOf,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    emitSelf: false,
    floodPublish: true,
    scoreParams: scoreParamsOf(chainIdHex),
    scoreThresholds: { ...SCORE_THRESHOLDS },
    ...overrides
  }
}
