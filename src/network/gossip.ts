/**
 * The three gossip topics (SPEC §10): topic validators that hand every message to ChainService
 * and map its verdict through `actionOf` (Lodestar's adapter: ACCEPT forwards, IGNORE drops,
 * REJECT drops and lowers the sender's gossipsub score; an unexpected exception is IGNORE, so
 * our bugs never punish peers), and publishing of what this node originates: its own blocks, its
 * local transactions batched per `batchDelayMs`, and equivocations it observed.
 */
import { TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'
import type { BlockNode } from '../chain/chain.ts'
import { actionOf, type ChainService, type GossipAction } from '../chain/service.ts'
import { ValidationError } from '../core/errors.ts'
import type { Block } from '../core/types.ts'
import { decodeBlock } from '../wire/block.ts'
import { decodeEvidence, encodeEvidence } from '../wire/messages.ts'
import { decodeTxBatch } from '../wire/tx.ts'
import { BoundedSet } from '../chain/bounded.ts'
import { MAX_SEEN_EVIDENCE } from './constants.ts'
import { checkGossipEvidence, evidenceKey } from '../chain/evidence.ts'
import type { Topics } from './protocols.ts'
import { TxBatcher } from './tx-batcher.ts'

/** What the gossip handler needs from its owner. */
export interface GossipInit {
  chain: ChainService
  pubsub: GossipSub
  topics: Topics
  batchDelayMs: number
  /** Our validator REJECTed a message relayed by `peer`. */
  onReject: (peer: PeerId, topic: string, reason: string) => void
  /** A block from `peer` has an unknown parent (B-5); it waits as an orphan. */
  onUnknownParent: (peer: PeerId, block: Block | undefined) => void
  /** A block from `peer` was imported. */
  onBlockImported: (peer: PeerId, node: BlockNode) => void
  log: Logger
}

/**
 * Most gossip messages being validated at once (all topics). gossipsub hands every message to its
 * validator without waiting for earlier ones, and each one waits in ChainService's single queue:
 * without a bound a flood of IGNORE-class messages (orphans, future slots, duplicates by other
 * bytes) costs no score and grows that queue without limit. Beyond the bound a message is
 * IGNOREd at once (counted in the stats); gossip is best effort and sync fetches what is missing.
 */
export const MAX_GOSSIP_IN_FLIGHT = 512

/** Validation results of one topic. */
export interface TopicResults { accept: number, ignore: number, reject: number }

/** Counters for metrics and tests, by topic kind. */
export interface GossipStats {
  published: { block: number, tx: number, evidence: number }
  received: { block: TopicResults, tx: TopicResults, evidence: TopicResults }
}

type Kind = keyof GossipStats['published']

const RESULT: Record<GossipAction, TopicValidatorResult> = {
  ACCEPT: TopicValidatorResult.Accept,
  IGNORE: TopicValidatorResult.Ignore,
  REJECT: TopicValidatorResult.Reject
}

/** Gossip validators and publishing for one chain. */
export class Gossip {
  readonly stats: GossipStats = {
    published: { block: 0, tx: 0, evidence: 0 },
    received: { block: { accept: 0, ignore: 0, reject: 0 }, tx: { accept: 0, ignore: 0, reject: 0 }, evidence: { accept: 0, ignore: 0, reject: 0 } }
  }
  private readonly batcher: TxBatcher
  private readonly seenEvidence = new BoundedSet<string>(MAX_SEEN_EVIDENCE)
  private running = false
  /** Messages whose validation has started and not finished (bounded by MAX_GOSSIP_IN_FLIGHT). */
  private inFlight = 0

  constructor (private readonly init: GossipInit) {
    this.batcher = new TxBatcher(init.batchDelayMs, (batch) => { this.publish(init.topics.tx, batch, 'tx') })
    // ChainService has no `off`: listeners stay, and do nothing while stopped.
    init.chain.on('block', (e) => {
      if (this.running && e.source.local === true && e.relay) this.publish(init.topics.block, e.block.bytes, 'block')
    })
    init.chain.on('txs', (e) => {
      if (this.running && e.source.local === true) this.batcher.add(e.txs.map((t) => t.bytes))
    })
    init.chain.on('evidence', (ev) => {
      if (!this.running) return
      this.seenEvidence.add(evidenceKey(ev.a))
      this.publish(init.topics.evidence, encodeEvidence(ev.a.bytes, ev.b.bytes), 'evidence')
    })
  }

  /** Installs the validators and subscribes (gossipsub must be started). */
  start (): void {
    const { pubsub, topics } = this.init
    pubsub.topicValidators.set(topics.block, this.validator('block', this.validateBlock))
    pubsub.topicValidators.set(topics.tx, this.validator('tx', this.validateTxBatch))
    pubsub.topicValidators.set(topics.evidence, this.validator('evidence', this.validateEvidence))
    for (const t of [topics.block, topics.tx, topics.evidence]) pubsub.subscribe(t)
    this.running = true
  }

  /** Flushes pending transactions, unsubscribes and removes the validators. */
  stop (): void {
    if (!this.running) return
    this.batcher.flush()
    this.running = false
    const { pubsub, topics } = this.init
    for (const t of [topics.block, topics.tx, topics.evidence]) {
      try { pubsub.unsubscribe(t) } catch { /* gossipsub already stopped */ }
      pubsub.topicValidators.delete(t)
    }
  }

  /** Publishes `data` on `topic`; a failure is logged, never thrown (gossip is best effort). */
  publish (topic: string, data: Uint8Array, kind: Kind): void {
    this.stats.published[kind]++
    this.init.pubsub.publish(topic, data).catch((err: unknown) => {
      this.init.log('publish on %s failed: %s', topic, (err as Error).message)
    })
  }

  /** Wraps a check into a topic validator: verdict → TopicValidatorResult, counted and logged. */
  private validator (kind: Kind, check: (peer: PeerId, msg: Message) => Promise<GossipAction>): (peer: PeerId, msg: Message) => Promise<TopicValidatorResult> {
    const topic = this.init.topics[kind]
    return async (peer, msg) => {
      if (this.inFlight >= MAX_GOSSIP_IN_FLIGHT) {
        this.stats.received[kind].ignore++
        return TopicValidatorResult.Ignore
      }
      let action: GossipAction
      let reason = ''
      this.inFlight++
      try {
        action = await check(peer, msg)
      } catch (err) {
        action = actionOf(err)
        reason = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)
      } finally {
        this.inFlight--
      }
      this.stats.received[kind][action === 'ACCEPT' ? 'accept' : action === 'IGNORE' ? 'ignore' : 'reject']++
      if (action === 'REJECT') this.init.onReject(peer, topic, reason)
      else if (reason !== '') this.init.log.trace('%s from %p ignored: %s', topic, peer, reason)
      return RESULT[action]
    }
  }

  /** Block topic: import through ChainService (B-1…B-14); an equivocation imports but is not relayed. */
  private readonly validateBlock = async (peer: PeerId, msg: Message): Promise<GossipAction> => {
    try {
      const r = await this.init.chain.importBlock(msg.data, { peer: peer.toString() })
      this.init.onBlockImported(peer, r.node)
      // [IGNORE] B-14: a proposer's second block for a slot is imported, never relayed
      return r.equivocation === undefined ? 'ACCEPT' : 'IGNORE'
    } catch (err) {
      // [IGNORE] B-5: unknown parent; the orphan waits while sync fetches its ancestors
      if (err instanceof ValidationError && err.rule === 'B-5') this.init.onUnknownParent(peer, tryDecode(msg.data, this.init.chain))
      throw err
    }
  }

  /** Tx topic: a batch is REJECTed if it is malformed or any transaction in it is (TX-1…TX-5, TX-9). */
  private readonly validateTxBatch = async (peer: PeerId, msg: Message): Promise<GossipAction> => {
    // [REJECT] D-1/D-2: the batch decodes within its limits
    const txs = decodeTxBatch(msg.data)
    if (txs.length === 0) return 'IGNORE'
    const outcomes = await this.init.chain.addTransactions(txs, { peer: peer.toString() })
    if (outcomes.some((o) => !o.ok && o.action === 'REJECT')) return 'REJECT'
    // [IGNORE] TX-6…TX-11 in the mempool: nothing new in it
    return outcomes.some((o) => o.ok) ? 'ACCEPT' : 'IGNORE'
  }

  /** Evidence topic: decode (D-*), check TX-9 statelessly, drop duplicates, record. */
  private readonly validateEvidence = async (_peer: PeerId, msg: Message): Promise<GossipAction> => {
    const { chain } = this.init
    const { a, b } = decodeEvidence(msg.data)
    checkGossipEvidence(a, b, chain.params, chain.currentSlot())
    const key = evidenceKey(a)
    // [IGNORE] evidence for this proposer and slot already seen
    if (this.seenEvidence.has(key)) return 'IGNORE'
    this.seenEvidence.add(key)
    await chain.addEvidence(a, b)
    return 'ACCEPT'
  }
}

function tryDecode (bytes: Uint8Array, chain: ChainService): Block | undefined {
  try {
    return decodeBlock(bytes, chain.params)
  } catch {
    return undefined
  }
}
