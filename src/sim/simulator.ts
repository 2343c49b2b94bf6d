/**
 * A deterministic network simulator: N validators (plus optional observers) each run the real
 * chain, mempool and block producer over a simulated clock and a simulated network with latency,
 * loss and partitions. Blocks and transactions are flooded like gossip; a node that sees an
 * unknown parent or a better tip syncs by range from that peer, as the real node does.
 * Same options and seed → same result.
 */
import { accountIdOf } from '../core/address.ts'
import { bytesEqual, toHex, utf8 } from '../core/bytes.ts'
import { compareTips, type TipInfo } from '../core/consensus.ts'
import { ValidationError } from '../core/errors.ts'
import { defaultDevnetGenesis } from '../core/genesis.ts'
import { sha256 } from '../core/hash.ts'
import type { ChainParams, GenesisAllocation } from '../core/params.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../core/secp256k1.ts'
import type { Block, SignedTx } from '../core/types.ts'
import { Chain, type BlockNode, type HeadChange } from '../chain/chain.ts'
import { Mempool } from '../chain/mempool.ts'
import { produceBlock, type ValidatorKey } from '../chain/producer.ts'
import { mempoolChangeOf, mempoolView } from '../chain/views.ts'
import { chainParamsOf } from '../wire/genesis.ts'
import { decodeTx } from '../wire/tx.ts'
import { buildEvidence, buildTransfer } from '../wallet/transactions.ts'
import { EventQueue } from './events.ts'
import { Prng } from './prng.ts'

/** Simulation settings. */
export interface SimOptions {
  validators: number
  slots: number
  seed: string
  /** Mean one-way message latency (uniform in [L/2, 3L/2]). */
  latencyMs?: number
  /** Per-message loss, in percent. */
  lossPercent?: number
  /** Slots [from, to) during which the two halves of the nodes cannot reach each other. */
  partition?: { from: number, to: number }
  /** Index of a validator that signs two blocks for every slot it leads. */
  equivocate?: number
  /** Settlement depth (epochSlots follows as ⌈3k/f⌉ when larger than the default). */
  k?: bigint
  slotMs?: bigint
  /** Transfers submitted per slot. */
  txPerSlot?: number
  /** Quiet slots after the run in which messages still flow but nobody produces. */
  drainSlots?: number
}

/** What a run measured; the CLI prints it as one JSON line. */
export interface SimResult {
  seed: string
  validators: number
  slots: number
  /** Height of the final chain (of node 0). */
  blocks: number
  /** Blocks produced by all leaders (including ones that lost forks). */
  blocksProduced: number
  /** Slots in which at least one block was produced. */
  leaderSlots: number
  /** Expected leader slots, slots · (1 − (1 − f)^1), and its standard deviation. */
  expectedLeaderSlots: number
  stdDevLeaderSlots: number
  /** Heights at which two or more different blocks were produced. */
  forks: number
  /** Reorganisations performed, over all nodes, and the deepest. */
  reorgs: number
  maxReorgDepth: number
  /** All nodes have the same head at the end. */
  converged: boolean
  /** Every node's supply = genesis supply + minted − burned, and Σ accounts = supply. */
  supplyConserved: boolean
  /** settledReverts + settledDisagreements: 0 is the safety property of the protocol. */
  settledViolations: number
  /** Times a node's own settled block changed (the chain refuses such reorgs: must stay 0). */
  settledReverts: number
  /** Heights at which nodes settled different blocks (possible only beyond the security assumption, e.g. a partition outlasting k). */
  settledDisagreements: number
  equivocations: number
  equivocationsSlashed: number
  txsSubmitted: number
  txsIncluded: number
  messagesSent: number
  messagesDropped: number
  /** Blocks refused by nodes, by `rule:code` (duplicates excluded). */
  rejections: Record<string, number>
}

type SimEvent =
  | { kind: 'slot', slot: number }
  | { kind: 'block', to: number, from: number, block: Block }
  | { kind: 'tx', to: number, from: number, tx: SignedTx }
  | { kind: 'status', to: number, from: number, tip: TipInfo }
  | { kind: 'range-request', to: number, from: number, start: bigint }
  | { kind: 'range-response', to: number, from: number, blocks: Block[], peerHeight: bigint }

interface SimNode {
  index: number
  chain: Chain
  mempool: Mempool
  key?: ValidatorKey
  /** Gossip message-id cache: a node relays a message once. */
  seen: Set<string>
  /** Peers with a range sync in flight. */
  syncing: Set<number>
  /** Settled block hash per height, as this node saw it settle. */
  settledSeen: Map<bigint, string>
  settledViolations: number
  reportedEquivocations: Set<string>
}

const MEME = 10n ** 8n
const RANGE_COUNT = 64
const STATUS_EVERY_SLOTS = 5

/** Runs one simulation to completion. */
export function simulate (opts: SimOptions): SimResult {
  return new Simulation(opts).run()
}

class Simulation {
  private readonly opts: Required<Omit<SimOptions, 'partition' | 'equivocate' | 'k'>> & Pick<SimOptions, 'partition' | 'equivocate' | 'k'>
  private readonly rng: Prng
  private readonly queue = new EventQueue<SimEvent>()
  private readonly params: ChainParams
  private readonly allocations: GenesisAllocation[]
  private readonly nodes: SimNode[] = []
  private readonly accounts: ValidatorKey[] = []
  private now = 0
  private currentSlot = 0
  private producing = true
  private readonly producedAt = new Map<bigint, Set<string>>()
  private blocksProduced = 0
  private readonly leaderSlotSet = new Set<number>()
  private equivocations = 0
  private txsSubmitted = 0
  private messagesSent = 0
  private messagesDropped = 0
  private readonly rejections: Record<string, number> = {}

  constructor (opts: SimOptions) {
    if (!Number.isInteger(opts.validators) || opts.validators < 1 || opts.validators > 64) throw new RangeError('validators must be 1..64')
    if (!Number.isInteger(opts.slots) || opts.slots < 1 || opts.slots > 1_000_000) throw new RangeError('slots must be 1..1000000')
    this.opts = { latencyMs: 100, lossPercent: 0, slotMs: 1000n, txPerSlot: 1, drainSlots: 40, ...opts }
    this.rng = new Prng(opts.seed)
    const keys = Array.from({ length: opts.validators }, (_, i) => this.keyOf(`validator-${i}`))
    const faucet = this.keyOf('faucet')
    this.accounts.push(faucet, ...keys)
    const cfg = defaultDevnetGenesis({
      genesisTime: 1_700_000_000_000n,
      validators: keys.map((k) => ({ id: accountIdOf(k.publicKey), stake: 1000n * MEME, balance: 100n * MEME })),
      faucet: { id: accountIdOf(faucet.publicKey), balance: 1_000_000n * MEME },
      slotMs: this.opts.slotMs,
      chainName: `memecoin-sim-${opts.seed}`.slice(0, 64)
    })
    if (opts.k !== undefined) {
      cfg.k = opts.k
      const f = cfg.activeSlotCoeff
      const need = (3n * opts.k * f.den + f.num - 1n) / f.num
      if (cfg.epochSlots < need) cfg.epochSlots = need
    }
    this.params = chainParamsOf(cfg)
    this.allocations = cfg.accounts
    for (let i = 0; i < opts.validators; i++) this.nodes.push(this.makeNode(i, keys[i] as ValidatorKey))
  }

  private keyOf (label: string): ValidatorKey {
    const privateKey = privateKeyFromEntropy(sha256(utf8(`sim:${this.opts?.seed ?? ''}:${label}`)))
    return { privateKey, publicKey: publicKeyOf(privateKey) }
  }

  private makeNode (index: number, key: ValidatorKey): SimNode {
    const chain = new Chain({ params: this.params, allocations: this.allocations, now: () => this.params.genesisTime + BigInt(this.now) })
    const mempool = new Mempool({ chainId: this.params.chainId, minFee: this.params.minFee, view: mempoolView(chain) })
    const node: SimNode = { index, chain, mempool, key, seen: new Set(), syncing: new Set(), settledSeen: new Map(), settledViolations: 0, reportedEquivocations: new Set() }
    chain.onHeadChange((c) => this.onHeadChange(node, c))
    return node
  }

  run (): SimResult {
    const slotMs = Number(this.params.slotMs)
    for (let s = 1; s <= this.opts.slots + this.opts.drainSlots; s++) this.queue.push(s * slotMs, { kind: 'slot', slot: s })
    while (this.queue.size > 0) {
      const next = this.queue.pop() as { time: number, event: SimEvent }
      this.now = next.time
      this.handle(next.event)
    }
    return this.result()
  }

  private handle (e: SimEvent): void {
    switch (e.kind) {
      case 'slot': return this.onSlot(e.slot)
      case 'block': return this.onBlock(this.nodes[e.to] as SimNode, e.from, e.block)
      case 'tx': return this.onTx(this.nodes[e.to] as SimNode, e.from, e.tx)
      case 'status': return this.onStatus(this.nodes[e.to] as SimNode, e.from, e.tip)
      case 'range-request': return this.onRangeRequest(this.nodes[e.to] as SimNode, e.from, e.start)
      case 'range-response': return this.onRangeResponse(this.nodes[e.to] as SimNode, e.from, e.blocks, e.peerHeight)
    }
  }

  private reachable (a: number, b: number): boolean {
    const p = this.opts.partition
    if (p === undefined || this.currentSlot < p.from || this.currentSlot >= p.to) return true
    const half = Math.ceil(this.nodes.length / 2)
    return (a < half) === (b < half)
  }

  private send (from: number, to: number, event: SimEvent): void {
    this.messagesSent++
    if (!this.reachable(from, to) || (this.opts.lossPercent > 0 && this.rng.chance(this.opts.lossPercent, 100))) {
      this.messagesDropped++
      return
    }
    const l = this.opts.latencyMs
    const delay = l <= 0 ? 0 : Math.floor(l / 2) + this.rng.int(l + 1)
    this.queue.push(this.now + delay, event)
  }

  private broadcast (from: number, make: (to: number) => SimEvent, except?: number): void {
    for (const n of this.nodes) if (n.index !== from && n.index !== except) this.send(from, n.index, make(n.index))
  }

  private onSlot (slot: number): void {
    this.currentSlot = slot
    this.producing = slot <= this.opts.slots
    if (this.producing) {
      for (const node of this.nodes) this.produce(node, BigInt(slot))
      for (let i = 0; i < this.opts.txPerSlot; i++) this.submitRandomTx()
    }
    if (slot % STATUS_EVERY_SLOTS === 0) {
      for (const node of this.nodes) {
        const h = node.chain.head
        const tip = { height: h.height, leaderValue: h.leaderValue, hash: h.hash }
        this.broadcast(node.index, (to) => ({ kind: 'status', to, from: node.index, tip }))
      }
    }
  }

  private produce (node: SimNode, slot: bigint): void {
    if (node.key === undefined) return
    const candidates = node.mempool.select(mempoolView(node.chain), { maxBlockBytes: this.params.maxBlockBytes, maxBlockTxs: this.params.maxBlockTxs })
    const block = produceBlock(node.chain, node.key, slot, candidates)
    if (block === undefined) return
    let twin: Block | undefined
    if (this.opts.equivocate === node.index) {
      // a second, different block for the same slot: the same head, another transaction set
      const self = accountIdOf(node.key.publicKey)
      const selfTx = decodeTx(buildTransfer({
        chainId: this.params.chainId,
        privateKey: node.key.privateKey,
        nonce: node.chain.ledger.get(self)?.nonce ?? 0n,
        fee: this.params.minFee,
        to: self,
        amount: 1n
      }).bytes)
      twin = produceBlock(node.chain, node.key, slot, [selfTx])
      if (twin !== undefined && bytesEqual(twin.header.hash, block.header.hash)) twin = undefined
    }
    this.recordProduced(block, Number(slot))
    node.seen.add(toHex(block.header.hash))
    this.importLocal(node, block)
    if (twin === undefined) {
      this.broadcast(node.index, (to) => ({ kind: 'block', to, from: node.index, block }))
      return
    }
    this.recordProduced(twin, Number(slot))
    this.equivocations++
    this.broadcast(node.index, (to) => ({ kind: 'block', to, from: node.index, block: to % 2 === 0 ? block : twin }))
  }

  private recordProduced (block: Block, slot: number): void {
    this.blocksProduced++
    this.leaderSlotSet.add(slot)
    const h = block.header.header.height
    let set = this.producedAt.get(h)
    if (set === undefined) this.producedAt.set(h, set = new Set())
    set.add(toHex(block.header.hash))
  }

  private importLocal (node: SimNode, block: Block): boolean {
    try {
      node.chain.importBlock(block)
      return true
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      this.countRejection(err)
      return false
    }
  }

  private onBlock (node: SimNode, from: number, block: Block): void {
    const hex = toHex(block.header.hash)
    if (node.seen.has(hex)) return
    node.seen.add(hex)
    try {
      const r = node.chain.importBlock(block)
      // [IGNORE] B-14: an equivocating block is imported but not relayed
      if (r.equivocation === undefined) this.broadcast(node.index, (to) => ({ kind: 'block', to, from: node.index, block }), from)
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      if (err.rule === 'B-5') this.requestSync(node, from)
      else if (err.rule !== 'B-3') this.countRejection(err)
    }
    this.reportEquivocations(node)
  }

  /** A refused block is neither relayed nor retried (the real node penalises a REJECT's sender). */
  private countRejection (err: ValidationError): void {
    const key = `${err.rule}:${err.code}`
    this.rejections[key] = (this.rejections[key] ?? 0) + 1
  }

  private onTx (node: SimNode, from: number, tx: SignedTx): void {
    const hex = toHex(tx.id)
    if (node.seen.has(hex)) return
    node.seen.add(hex)
    try {
      node.mempool.add(tx)
      this.broadcast(node.index, (to) => ({ kind: 'tx', to, from: node.index, tx }), from)
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
    }
  }

  private onStatus (node: SimNode, from: number, tip: TipInfo): void {
    const h = node.chain.head
    if (bytesEqual(tip.hash, h.hash) || node.chain.getNode(tip.hash) !== undefined) return
    if (compareTips(tip, { height: h.height, leaderValue: h.leaderValue, hash: h.hash }) < 0) this.requestSync(node, from)
  }

  private requestSync (node: SimNode, peer: number): void {
    if (node.syncing.has(peer)) return
    node.syncing.add(peer)
    this.send(node.index, peer, { kind: 'range-request', to: peer, from: node.index, start: node.chain.settledHeight + 1n })
  }

  private onRangeRequest (node: SimNode, requester: number, start: bigint): void {
    const blocks: Block[] = []
    for (let h = start; blocks.length < RANGE_COUNT; h++) {
      const b = node.chain.blockAt(h)?.block
      if (b === undefined) break
      blocks.push(b)
    }
    this.send(node.index, requester, { kind: 'range-response', to: requester, from: node.index, blocks, peerHeight: node.chain.head.height })
  }

  private onRangeResponse (node: SimNode, peer: number, blocks: Block[], peerHeight: bigint): void {
    node.syncing.delete(peer)
    let last: bigint | undefined
    for (const b of blocks) {
      node.seen.add(toHex(b.header.hash))
      try {
        node.chain.importBlock(b)
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err
        if (err.rule !== 'B-3') {
          this.countRejection(err)
          break
        }
      }
      last = b.header.header.height
    }
    this.reportEquivocations(node)
    if (last !== undefined && blocks.length === RANGE_COUNT && last < peerHeight) {
      node.syncing.add(peer)
      this.send(node.index, peer, { kind: 'range-request', to: peer, from: node.index, start: last + 1n })
    }
  }

  private onHeadChange (node: SimNode, c: HeadChange): void {
    node.mempool.onHead(mempoolView(node.chain), mempoolChangeOf(c))
    // a settled block must never change (SPEC §9): check what this node saw settle before
    for (const [h, hex] of node.settledSeen) {
      if (node.chain.blockAt(h)?.hex !== hex) {
        node.settledViolations++
        node.settledSeen.delete(h)
      }
    }
    const settled = node.chain.settled
    if (settled.height > 0n) node.settledSeen.set(settled.height, settled.hex)
    // keep the check bounded: older settled heights are implied by the chain's own rule
    for (const h of node.settledSeen.keys()) if (h < settled.height - 2n * this.params.k) node.settledSeen.delete(h)
  }

  private reportEquivocations (node: SimNode): void {
    for (const ev of node.chain.takeEquivocations()) {
      if (node.key === undefined || bytesEqual(ev.a.header.proposer, node.key.publicKey)) continue
      const key = `${toHex(ev.a.header.proposer)}:${ev.a.header.slot}`
      if (node.reportedEquivocations.has(key)) continue
      node.reportedEquivocations.add(key)
      const self = accountIdOf(node.key.publicKey)
      const nonce = (node.chain.ledger.get(self)?.nonce ?? 0n) + BigInt(node.mempool.pending(self).length)
      const tx = decodeTx(buildEvidence({ chainId: this.params.chainId, privateKey: node.key.privateKey, nonce, fee: this.params.minFee, headerA: ev.a.bytes, headerB: ev.b.bytes }).bytes)
      this.onTx(node, node.index, tx)
    }
  }

  private submitRandomTx (): void {
    const node = this.nodes[this.rng.int(this.nodes.length)] as SimNode
    const sender = this.accounts[this.rng.int(this.accounts.length)] as ValidatorKey
    const to = this.accounts[this.rng.int(this.accounts.length)] as ValidatorKey
    const id = accountIdOf(sender.publicKey)
    const nonce = (node.chain.ledger.get(id)?.nonce ?? 0n) + BigInt(node.mempool.pending(id).length)
    const tx = decodeTx(buildTransfer({
      chainId: this.params.chainId, privateKey: sender.privateKey, nonce, fee: this.params.minFee, to: accountIdOf(to.publicKey), amount: BigInt(1 + this.rng.int(1000))
    }).bytes)
    this.txsSubmitted++
    this.onTx(node, node.index, tx)
  }

  private result (): SimResult {
    const heads = new Set(this.nodes.map((n) => n.chain.head.hex))
    const first = (this.nodes[0] as SimNode).chain
    const f = this.params.activeSlotCoeff
    const p = Number(f.num) / Number(f.den)
    let settledReverts = 0
    for (const n of this.nodes) settledReverts += n.settledViolations
    // settled blocks must agree across nodes
    let settledDisagreements = 0
    const minSettled = this.nodes.reduce((m, n) => (n.chain.settledHeight < m ? n.chain.settledHeight : m), first.settledHeight)
    for (let h = 1n; h <= minSettled; h++) {
      if (new Set(this.nodes.map((n) => n.chain.blockAt(h)?.hex)).size !== 1) settledDisagreements++
    }
    let txsIncluded = 0
    for (let h = 1n; h <= first.head.height; h++) txsIncluded += (first.blockAt(h) as BlockNode).block?.txs.length ?? 0
    return {
      seed: this.opts.seed,
      validators: this.nodes.length,
      slots: this.opts.slots,
      blocks: Number(first.head.height),
      blocksProduced: this.blocksProduced,
      leaderSlots: this.leaderSlotSet.size,
      expectedLeaderSlots: this.opts.slots * p,
      stdDevLeaderSlots: Math.sqrt(this.opts.slots * p * (1 - p)),
      forks: [...this.producedAt.values()].filter((s) => s.size > 1).length,
      reorgs: this.nodes.reduce((a, n) => a + n.chain.stats.reorgs, 0),
      maxReorgDepth: this.nodes.reduce((a, n) => Math.max(a, n.chain.stats.maxReorgDepth), 0),
      converged: heads.size === 1,
      supplyConserved: this.nodes.every((n) => this.supplyConserved(n.chain)),
      settledViolations: settledReverts + settledDisagreements,
      settledReverts,
      settledDisagreements,
      equivocations: this.equivocations,
      equivocationsSlashed: first.ledger.slashedSlots().length,
      txsSubmitted: this.txsSubmitted,
      txsIncluded,
      messagesSent: this.messagesSent,
      messagesDropped: this.messagesDropped,
      rejections: this.rejections
    }
  }

  private supplyConserved (chain: Chain): boolean {
    let expected = this.allocations.reduce((a, x) => a + x.balance + x.stake, 0n)
    for (let h = 1n; h <= chain.head.height; h++) {
      const n = chain.blockAt(h) as BlockNode
      if (n.minted !== this.params.blockReward) return false
      expected += (n.minted ?? 0n) - (n.burned ?? 0n)
    }
    let sum = 0n
    for (const [, a] of chain.ledger.entries()) sum += a.balance + a.stake + a.unbonding.reduce((x, u) => x + u.amount, 0n)
    return chain.ledger.supply() === expected && sum === expected
  }
}
