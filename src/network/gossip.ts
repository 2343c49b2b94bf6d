/**
 * The three gossip topics (SPEC §10): topic validators that hand every message to ChainService
 * and map its verdict through `actionOf` (Lodestar's adapter: ACCEPT forwards, IGNORE drops,
 * REJECT drops and lowers the sender's gossipsub score; an unexpected exception is IGNORE, so
 * our bugs never punish peers), and publishing of what this node originates: its own blocks, its
 * local transactions batched per `batchDelayMs`, and equivocations it observed.
 *
 * Blocks are relayed before their full import (SPEC §12, "before and after relay"): the validator
 * decides on the checks that need no state transition (`ChainService.checkBlockForRelay`) and
 * the import runs right after, not awaited by gossipsub. A relayed block that then fails import
 * with a REJECT rule costs its sender the gossip REJECT penalty (`onReject`), and its proposer
 * becomes a suspect: its later blocks are imported before they are relayed, so an honest relayer
 * forwards at most one invalid block per hostile proposer.
 */
import { TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'
import type { BlockNode } from '../chain/chain.ts'
import { actionOf, type ChainService, type GossipAction, type RelayCheck, type TxOutcome } from '../chain/service.ts'
import { ValidationError } from '../core/errors.ts'
import { toHex } from '../core/bytes.ts'
import type { Block } from '../core/types.ts'
import { decodeEvidence, encodeEvidence } from '../wire/messages.ts'
import { decodeTxBatch } from '../wire/tx.ts'
import { BoundedSet } from '../chain/bounded.ts'
import { MAX_SEEN_EVIDENCE } from './constants.ts'
import { evidenceKey } from '../chain/evidence.ts'
import type { Topics } from './protocols.ts'
import { RateLimiter } from './rate-limiter.ts'
import { TxBatcher } from './tx-batcher.ts'

/** What the gossip handler needs from its owner. */
export interface GossipInit {
  chain: ChainService
  pubsub: GossipSub
  topics: Topics
  batchDelayMs: number
  /** Per peer, transactions refused before their signature (default WASTED_TX_BUDGET). */
  wastedTxBudget?: { capacity: number, refillPerSecond: number }
  /**
   * Our validator REJECTed a message relayed by `peer`, or a block `peer` sent passed the checks
   * before relay and then failed its import with a REJECT rule (gossipsub could no longer reject it).
   */
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

/**
 * Most transactions in the tx batches being validated at once: MAX_GOSSIP_IN_FLIGHT batches of up
 * to 512 transactions each would be 262,144. Beyond it a batch is IGNOREd unread.
 */
export const MAX_GOSSIP_TXS_IN_FLIGHT = 16_384

/**
 * Per peer, transactions sent that were refused before their signature was checked (stale,
 * unfunded, far-ahead nonces: TX-6…TX-8, TX-10, TX-11 in the mempool). Each costs a lookup, but a
 * peer can send them at line rate with a new batch salt every time (a new message id), and an
 * IGNORE costs it no score. Honest peers send such transactions only when their view differs from
 * ours (a block crossed the batch). Beyond the budget the peer's tx batches are IGNOREd unread
 * until the refill has paid its debt.
 */
export const WASTED_TX_BUDGET = { capacity: 16_384, refillPerSecond: 2_048 }

/**
 * Proposers remembered as having had a relayed block fail its import (oldest forgotten first).
 * Their blocks are imported before they are relayed.
 */
export const MAX_SUSPECT_PROPOSERS = 1024

/** Imports that run after a block's verdict (relayed, or dropped as an equivocation): started, and their outcomes. */
export interface AfterRelayResults { started: number, imported: number, ignore: number, reject: number }

/** Validation results of one topic. */
export interface TopicResults { accept: number, ignore: number, reject: number }

/** Counters for metrics and tests, by topic kind. */
export interface GossipStats {
  published: { block: number, tx: number, evidence: number }
  received: { block: TopicResults, tx: TopicResults, evidence: TopicResults }
  /** Tx batches IGNOREd unread: too many transactions in validation, or their peer over its WASTED_TX_BUDGET. */
  txBatchesDropped: { busy: number, wasteful: number }
  /** Blocks whose import ran after the validator's verdict (`relay` or `equivocation`). */
  afterRelay: AfterRelayResults
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
    received: { block: { accept: 0, ignore: 0, reject: 0 }, tx: { accept: 0, ignore: 0, reject: 0 }, evidence: { accept: 0, ignore: 0, reject: 0 } },
    afterRelay: { started: 0, imported: 0, ignore: 0, reject: 0 },
    txBatchesDropped: { busy: 0, wasteful: 0 }
  }
  private readonly batcher: TxBatcher
  /** Transactions in tx batches under validation (MAX_GOSSIP_TXS_IN_FLIGHT). */
  private txsInFlight = 0
  /** Per peer: transactions refused before their signature (WASTED_TX_BUDGET). */
  private readonly waste: RateLimiter
  private readonly seenEvidence = new BoundedSet<string>(MAX_SEEN_EVIDENCE)
  /** Proposers (hex public key) whose relayed block failed import: imported before relay. */
  private readonly suspects = new BoundedSet<string>(MAX_SUSPECT_PROPOSERS)
  /** Proposers (hex) with an import after relay still running (at most one each): its end. */
  private readonly importing = new Map<string, Promise<void>>()
  private running = false
  /**
   * Messages whose validation, or import after relay, has started and not finished (bounded by
   * MAX_GOSSIP_IN_FLIGHT: an import after relay holds its message's place until it ends).
   */
  private inFlight = 0

  constructor (private readonly init: GossipInit) {
    this.waste = new RateLimiter(init.wastedTxBudget ?? WASTED_TX_BUDGET)
    this.batcher = new TxBatcher(init.batchDelayMs, (batch) => { this.publish(init.topics.tx, batch, 'tx') })
    // Registered once for this object's life (the service makes one, and may start it again after
    // a stop): they do nothing while stopped.
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

  /**
   * Block topic: the checks before relay (B-1…B-11, B-13, B-14 without the state transition)
   * decide; the import (B-12) runs after the verdict. Undecided blocks (unknown or unvalidated
   * parent) and blocks of suspect proposers are imported first, and the import decides.
   */
  private readonly validateBlock = async (peer: PeerId, msg: Message): Promise<GossipAction> => {
    const check: RelayCheck = this.init.chain.checkBlockForRelay(msg.data)
    const proposer = toHex(check.block.header.header.proposer)
    // a suspect's blocks, and a proposer's next block while its previous one is still being
    // imported after relay (after that import, to keep their order), are imported first: we
    // relay at most one invalid block per proposer
    const previous = this.importing.get(proposer)
    if (check.verdict === 'import' || this.suspects.has(proposer) || previous !== undefined) {
      await previous
      return await this.importThenDecide(peer, check.block)
    }
    this.importAfterRelay(peer, check.block)
    // [ACCEPT] relay now; [IGNORE] B-14: a proposer's second block for a slot is imported, never relayed
    return check.verdict === 'relay' ? 'ACCEPT' : 'IGNORE'
  }

  /** Imports, then gives the verdict: the import's (B-1…B-14). */
  private async importThenDecide (peer: PeerId, block: Block): Promise<GossipAction> {
    try {
      const r = await this.init.chain.importBlock(block, { peer: peer.toString() })
      this.init.onBlockImported(peer, r.node)
      // [IGNORE] B-14: a proposer's second block for a slot is imported, never relayed
      if (r.equivocation !== undefined) return 'IGNORE'
      // [IGNORE] a side block whose leader could not be checked yet (B-9/B-10: its parent is not
      // validated and it opens a later epoch) is kept, not relayed: any key can sign one
      if (r.status === 'side' && !this.init.chain.chain.leaderChecked(r.node)) return 'IGNORE'
      return 'ACCEPT'
    } catch (err) {
      // [IGNORE] B-5: unknown parent; the orphan waits while sync fetches its ancestors
      if (err instanceof ValidationError && err.rule === 'B-5') this.init.onUnknownParent(peer, block)
      throw err
    }
  }

  /**
   * Imports a block whose verdict is given (not awaited by gossipsub). A REJECT rule (B-12) now
   * penalises the sender through `onReject` and makes the proposer a suspect; an IGNORE rule
   * (known meanwhile, side pool full, an unexpected error) costs nobody anything. The import
   * starts after a macrotask: gossipsub forwards the message in the microtasks that follow our
   * verdict, and the state transition, synchronous, would otherwise hold that forward back.
   */
  private importAfterRelay (peer: PeerId, block: Block): void {
    const { chain, topics } = this.init
    const proposer = toHex(block.header.header.proposer)
    this.inFlight++
    this.stats.afterRelay.started++
    const imported = new Promise<void>((resolve) => { setImmediate(resolve) }).then(async () => await chain.importBlock(block, { peer: peer.toString() }))
    const done = imported.then((r) => {
      // stopped meanwhile: the chain keeps the block, but the network no longer reports or penalises
      if (!this.running) return
      this.stats.afterRelay.imported++
      this.init.onBlockImported(peer, r.node)
    }, (err: unknown) => {
      if (!this.running) return
      const reason = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)
      if (actionOf(err) === 'REJECT') {
        this.stats.afterRelay.reject++
        this.suspects.add(proposer)
        this.init.onReject(peer, topics.block, `after relay: ${reason}`)
        return
      }
      this.stats.afterRelay.ignore++
      // [IGNORE] B-5: the parent went (pruned meanwhile); sync fetches what is missing
      if (err instanceof ValidationError && err.rule === 'B-5') this.init.onUnknownParent(peer, block)
      this.init.log.trace('block from %p ignored after relay: %s', peer, reason)
    }).catch((err: unknown) => {
      this.init.log.error('handling the import after relay failed: %s', (err as Error).message)
    }).finally(() => {
      this.inFlight--
      this.importing.delete(proposer)
    })
    this.importing.set(proposer, done)
  }

  /**
   * Tx topic: a batch is REJECTed if it is malformed or any transaction in it is (TX-1…TX-5, TX-9),
   * relayed if something in it is new. A batch that also holds a transaction refused before its
   * signature was checked (stale, unfunded, …: `unverified`) is not relayed: a node whose view
   * differs, for which it is valid, might find its signature bad and blame us. Its new
   * transactions go out in a batch of ours.
   */
  private readonly validateTxBatch = async (peer: PeerId, msg: Message): Promise<GossipAction> => {
    const from = peer.toString()
    if (!this.waste.available(from)) {
      this.stats.txBatchesDropped.wasteful++
      return 'IGNORE'
    }
    // [REJECT] D-1/D-2: the batch decodes within its limits
    const txs = decodeTxBatch(msg.data)
    if (txs.length === 0) return 'IGNORE'
    if (this.txsInFlight + txs.length > MAX_GOSSIP_TXS_IN_FLIGHT) {
      this.stats.txBatchesDropped.busy++
      return 'IGNORE'
    }
    this.txsInFlight += txs.length
    let outcomes: TxOutcome[]
    try {
      outcomes = await this.init.chain.addTransactions(txs, { peer: from })
    } finally {
      this.txsInFlight -= txs.length
    }
    if (outcomes.some((o) => !o.ok && o.action === 'REJECT')) return 'REJECT'
    let unverified = 0
    const fresh: Uint8Array[] = []
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i] as TxOutcome
      if (o.ok) fresh.push(txs[i] as Uint8Array)
      else if (o.unverified === true) unverified++
    }
    this.waste.charge(from, unverified)
    // [IGNORE] TX-6…TX-11 in the mempool: nothing new in it
    if (fresh.length === 0) return 'IGNORE'
    if (unverified > 0) {
      if (this.running) this.batcher.add(fresh)
      return 'IGNORE'
    }
    return 'ACCEPT'
  }

  /** Evidence topic: decode (D-*), check TX-9 statelessly, drop duplicates, record. */
  private readonly validateEvidence = async (_peer: PeerId, msg: Message): Promise<GossipAction> => {
    const { chain } = this.init
    const { a, b } = decodeEvidence(msg.data)
    const key = evidenceKey(a)
    // [IGNORE] evidence for this proposer and slot already seen (valid: only valid evidence is recorded)
    if (this.seenEvidence.has(key)) return 'IGNORE'
    // TX-9 (checkGossipEvidence) and "something to slash", once: throws REJECT or IGNORE
    await chain.addEvidence(a, b)
    this.seenEvidence.add(key)
    return 'ACCEPT'
  }
}
