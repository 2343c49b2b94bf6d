/**
 * Full nodes (`createNode`: store, chain, libp2p host, HTTP API, slot ticker) running in this
 * process on the real clock, talking over real TCP on 127.0.0.1 only (mDNS off, bootstrap
 * addresses, API on 127.0.0.1:0). The acceptance points of the node:
 *   1. 3 validators + 1 observer all produce and agree; a transfer posted to one node's API is
 *      in the same block on every node within a few slots;
 *   2. a node started ~100 blocks late syncs to the head, then follows gossip;
 *   3. a partition builds two branches; after healing every node is on the heavier one, and the
 *      transaction that only the losing branch had goes back to the mempool and into the winner;
 *   4. two devnets with different genesis on the same loopback never mix.
 * A pending test records a known gap: a transaction returned to the mempool by a reorg is never
 * announced again (only the losing side's validators can re-include it).
 * Every node is stopped in afterEach (NodeSet.stopAll), every wait is bounded (waitFor).
 */
import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toHex } from '../../src/core/bytes.ts'
import { slotAt } from '../../src/core/consensus.ts'
import { genesisToJson } from '../../src/core/genesis.ts'
import type { Block } from '../../src/core/types.ts'
import { loadGenesis } from '../../src/chain/genesis.ts'
import type { ValidatorKey } from '../../src/chain/producer.ts'
import { ChainService } from '../../src/chain/service.ts'
import { createNode, type MemecoinNode } from '../../src/node.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { testDevnet } from '../helpers/devnet.ts'
import {
  NodeSet, Partition, api, faucetTransfer, hashAt, heights, liveDevnet, liveKey, minOf, proposersOf, sleep, submitTx, waitFor
} from '../helpers/live-devnet.ts'

const set = new NodeSet()

/** Every node holds the same canonical block at every height in [from, to]. */
async function agreeUpTo (nodes: MemecoinNode[], from: bigint, to: bigint): Promise<boolean> {
  for (let h = from; h <= to; h++) {
    const hs = await Promise.all(nodes.map(async (n) => await hashAt(n, h)))
    if (hs[0] === undefined || hs.some((x) => x !== hs[0])) return false
  }
  return true
}

/** Peers with a completed handshake, on every node. */
function peerCounts (nodes: MemecoinNode[]): number[] {
  return nodes.map((n) => n.libp2p.services.memecoin.peers())
}

/** Block-topic subscribers each node knows. */
function blockSubscribers (nodes: MemecoinNode[]): number[] {
  return nodes.map((n) => n.libp2p.services.pubsub.getSubscribers(n.libp2p.services.memecoin.topics.block).length)
}

/** `GET /txs/:id` on every node. */
async function txEverywhere (nodes: MemecoinNode[], idHex: string): Promise<Array<{ status: number, body: any }>> {
  return await Promise.all(nodes.map(async (n) => await api(n, `/txs/${idHex}`)))
}

/** Included in one canonical block, the same on every node. */
function includedInSameBlock (rs: Array<{ status: number, body: any }>): boolean {
  const first = rs[0]?.body?.blockHash
  return rs.every((r) => r.status === 200 && r.body.status === 'included' && r.body.canonical === true && r.body.blockHash === first)
}

describe('node: in-process devnets on loopback', function () {
  this.timeout(60_000)
  afterEach(async () => { await set.stopAll() })

  it('3 validators and an observer all produce and agree; a transfer posted to one API is in one block everywhere', async () => {
    const t0 = Date.now()
    const net = liveDevnet({ label: 'inproc-agree', stakes: [1000n, 1000n, 1000n], slotMs: 250n })
    const v0 = await set.start(net, { validator: 0, name: 'v0' })
    const v1 = await set.start(net, { validator: 1, bootstrap: [v0], name: 'v1' })
    const v2 = await set.start(net, { validator: 2, bootstrap: [v0, v1], name: 'v2' })
    const obs = await set.start(net, { bootstrap: [v0, v1, v2], name: 'obs' })
    const all = [v0, v1, v2, obs]
    await waitFor(() => `full mesh of handshakes and block subscriptions (peers ${peerCounts(all)}, subscribers ${blockSubscribers(all)})`,
      () => peerCounts(all).every((p) => p === 3) && blockSubscribers(all).every((s) => s === 3), 10_000)
    const status = await api(obs, '/status')
    expect(status.body.peers).to.equal(3)
    expect(status.body.chainId).to.equal(net.genesis.chainIdHex)

    // a transfer posted to the observer (not a validator): gossiped, included, the same block everywhere
    const to = liveKey('inproc-agree:recipient').address
    const tx = faucetTransfer(net, to, 5n * 10n ** 8n)
    const idHex = toHex(tx.id)
    const posted = await submitTx(obs, tx)
    expect(posted.status, JSON.stringify(posted.body)).to.equal(202)
    expect(posted.body.id).to.equal(idHex)
    const tPosted = Date.now()
    let last: Array<{ status: number, body: any }> = []
    await waitFor(() => `the transfer in one block on every node (${JSON.stringify(last.map((r) => r.body?.status ?? r.status))})`, async () => {
      last = await txEverywhere(all, idHex)
      return includedInSameBlock(last)
    }, 10_000, 100)
    const includedMs = Date.now() - tPosted
    const slotsToInclusion = Math.ceil(includedMs / Number(net.genesis.params.slotMs))
    expect(slotsToInclusion, 'slots from POST to inclusion everywhere').to.be.at.most(20)
    const account = await api(v1, `/accounts/${to}`)
    expect(account.body.balance).to.equal((5n * 10n ** 8n).toString())

    // every validator's blocks are in the canonical chain
    const validatorKeys = net.validators.map((v) => toHex(v.publicKey))
    let seen = new Set<string>()
    await waitFor(() => `blocks of all 3 validators in the canonical chain (seen ${seen.size})`, () => {
      const tip = minOf(heights(all))
      seen = new Set(proposersOf(obs, 1n, tip).values())
      return validatorKeys.every((k) => seen.has(k)) && tip >= 12n
    }, 30_000, 100)
    expect([...seen].every((k) => validatorKeys.includes(k)), 'no stranger proposes').to.equal(true)

    // agreement: everyone shares every block up to a few below the lowest head, and at a quiet
    // moment reports the same head through the API
    await waitFor('all nodes share every block up to min height − 2', async () => await agreeUpTo(all, 1n, minOf(heights(all)) - 2n), 10_000, 100)
    let statuses: Array<{ status: number, body: any }> = []
    await waitFor(() => `the same head on every /status (${statuses.map((s) => `${s.body.height}:${String(s.body.headHash).slice(0, 8)}`)})`, async () => {
      statuses = await Promise.all(all.map(async (n) => await api(n, '/status')))
      return statuses.every((s) => s.body.headHash === statuses[0]?.body.headHash && s.body.height === statuses[0]?.body.height)
    }, 10_000, 30)
    const h = BigInt(statuses[0]?.body.height as string)
    const perProposer = new Map<string, number>()
    for (const p of proposersOf(obs, 1n, h).values()) perProposer.set(p, (perProposer.get(p) ?? 0) + 1)
    const blockJson = await api(v2, `/blocks/${h}`)
    expect(blockJson.body.hash).to.equal(statuses[0]?.body.headHash)
    for (const n of all) expect(n.libp2p.services.memecoin.gossipStats()?.received.block.reject).to.equal(0)
    console.log(`      (head ${h} after ${Date.now() - t0} ms; blocks per validator ${validatorKeys.map((k) => perProposer.get(k) ?? 0).join('/')}; transfer in all 4 after ${includedMs} ms ≈ ${slotsToInclusion} slots)`)
  })

  it('a node started ~100 blocks late syncs to the head, then follows gossip', async () => {
    // f = 9/10 so 100 blocks take ≈ 100 · 150 ms / 0.9; epochSlots 120 ≥ 3k/f = 66.7 (G-5)
    const net = liveDevnet({ label: 'inproc-late', stakes: [1000n, 1000n], slotMs: 150n, f: { num: 9n, den: 10n }, k: 20n })
    const a = await set.start(net, { validator: 0, name: 'a' })
    const b = await set.start(net, { validator: 1, bootstrap: [a], name: 'b' })
    const tStart = Date.now()
    await waitFor(() => `100 blocks (at ${a.chain.chain.head.height})`, () => a.chain.chain.head.height >= 100n && b.chain.chain.head.height >= 100n, 40_000, 100)
    const producedMs = Date.now() - tStart

    const late = await set.start(net, { bootstrap: [a, b], name: 'late' })
    const tJoin = Date.now()
    const target = a.chain.chain.head.height
    await waitFor(() => `the late node at height ${target} (at ${late.chain.chain.head.height})`, () => late.chain.chain.head.height >= target, 20_000, 25)
    const syncMs = Date.now() - tJoin
    await waitFor('the late node on the same chain as a and b', async () => await agreeUpTo([a, b, late], target - 5n, minOf(heights([a, b, late])) - 2n), 10_000, 50)
    const stats = late.libp2p.services.memecoin.syncStats()
    expect(stats.rangeRequests, 'caught up by blocks-by-range').to.be.at.least(2)
    let st: any
    await waitFor(() => `/status.syncing false on the late node (${JSON.stringify(st)})`, async () => {
      st = (await api(late, '/status')).body
      return st.syncing === false && st.peers === 2
    }, 10_000, 50)
    expect(Number(st.height)).to.be.at.least(Number(target))

    // following: over the next blocks the late node stays within a block or two of the others,
    // and its chain is theirs
    await waitFor('gossip subscriptions of the late node', () => blockSubscribers([late]).every((s) => s === 2), 10_000)
    const followFrom = late.chain.chain.head.height
    let maxLag = 0n
    const tFollow = Date.now()
    while (late.chain.chain.head.height < followFrom + 15n && Date.now() - tFollow < 20_000) {
      const top = a.chain.chain.head.height > b.chain.chain.head.height ? a.chain.chain.head.height : b.chain.chain.head.height
      const lag = top - late.chain.chain.head.height
      if (lag > maxLag) maxLag = lag
      await sleep(20)
    }
    expect(Number(late.chain.chain.head.height), 'the late node keeps growing').to.be.at.least(Number(followFrom + 15n))
    await waitFor('the three nodes agree after following', async () => await agreeUpTo([a, b, late], followFrom - 5n, minOf(heights([a, b, late])) - 2n), 10_000, 50)
    expect(Number(maxLag), 'lag behind the best producer while following').to.be.at.most(4)
    const afterSync = late.libp2p.services.memecoin.syncStats()
    expect(late.libp2p.services.memecoin.gossipStats()?.received.block.accept, 'blocks arrived by gossip').to.be.at.least(10)
    expect((await api(late, '/status')).body.syncing).to.equal(false)
    console.log(`      (100 blocks in ${producedMs} ms; late node synced ${target} blocks in ${syncMs} ms with ${stats.rangeRequests} range requests; ` +
      `then followed 15 blocks with max lag ${maxLag}; range/hash requests after sync ${afterSync.rangeRequests - stats.rangeRequests}/${afterSync.hashRequests - stats.hashRequests})`)
  })

  it('a partition builds two branches; after healing all converge and the losing branch\'s transfer is re-included', async () => {
    // Stakes 40/40/20 with f = 9/10: the {a, b} side leads ≈ 84% of slots, c ≈ 37%. The
    // partition lasts until c's branch holds the transfer and the {a, b} branch is ≥ 4 blocks
    // longer, and must end before c's branch is k − 4 = 16 blocks deep (else c could never
    // switch back: its fork point would be settled). At 200 ms slots that is ≈ 2–5 s.
    const k = 20n
    const net = liveDevnet({ label: 'inproc-partition', stakes: [400n, 400n, 200n], slotMs: 200n, f: { num: 9n, den: 10n }, k })
    const partition = new Partition()
    const a = await set.start(net, { validator: 0, partition, name: 'a' })
    const b = await set.start(net, { validator: 1, partition, bootstrap: [a], name: 'b' })
    const c = await set.start(net, { validator: 2, partition, bootstrap: [a, b], name: 'c' })
    const d = await set.start(net, { partition, bootstrap: [a, b, c], name: 'd' })
    const all = [a, b, c, d]
    const winners = [a, b]
    const losers = [c, d]
    for (const n of winners) partition.assign(n, 1)
    for (const n of losers) partition.assign(n, 2)
    await waitFor(() => `full mesh (peers ${peerCounts(all)})`, () => peerCounts(all).every((p) => p === 3) && blockSubscribers(all).every((s) => s === 3), 10_000)
    await waitFor('a common chain of 3 blocks', async () => minOf(heights(all)) >= 4n && await agreeUpTo(all, 1n, 3n), 10_000)

    await partition.split(all)
    const connectedAcross = (): number => all.reduce((acc, n) => acc + n.libp2p.getConnections().filter((x) => partition.separates(n.libp2p.peerId, x.remotePeer)).length, 0)
    await waitFor('no connection across the partition', () => connectedAcross() === 0, 5_000)
    const tSplit = Date.now()

    // the transfer goes to the losing side only
    const to = liveKey('inproc-partition:recipient').address
    const tx = faucetTransfer(net, to, 7n * 10n ** 8n)
    const idHex = toHex(tx.id)
    expect((await submitTx(d, tx)).status).to.equal(202)
    // c and d hear of the reorg that undoes the losing branch: the transfer must be back in their mempools right then
    const backInMempool = new Map<string, boolean>()
    for (const n of losers) {
      n.chain.on('head', (change) => {
        if (change.undone.some((u) => u.block?.txs.some((t) => toHex(t.id) === idHex) === true)) {
          backInMempool.set(n.libp2p.peerId.toString(), n.chain.mempool.get(tx.id) !== undefined)
        }
      })
    }

    let forkHeight = 0n
    const findFork = async (): Promise<bigint> => {
      let h = minOf(heights(all))
      while (h > 0n && (await hashAt(a, h)) !== (await hashAt(c, h))) h--
      return h
    }
    let losingBlock = ''
    await waitFor(() => `two branches, the transfer on c's, the {a, b} branch ≥ 4 blocks longer (a ${a.chain.chain.head.height}, c ${c.chain.chain.head.height}, fork ${forkHeight})`, async () => {
      forkHeight = await findFork()
      const r = await txEverywhere(losers, idHex)
      if (!includedInSameBlock(r)) return false
      losingBlock = r[0]?.body.blockHash
      return c.chain.chain.head.height > forkHeight && a.chain.chain.head.height >= c.chain.chain.head.height + 4n
    }, 12_000, 50)
    const partitionMs = Date.now() - tSplit
    const losingDepth = c.chain.chain.head.height - forkHeight
    const winningDepth = a.chain.chain.head.height - forkHeight
    expect(Number(losingDepth), 'c\'s branch must stay shallower than k').to.be.below(Number(k - 4n))
    for (const r of await txEverywhere(winners, idHex)) expect(r.status, 'the winning side never saw the transfer').to.equal(404)
    expect(await hashAt(a, forkHeight + 1n)).to.not.equal(await hashAt(c, forkHeight + 1n))
    expect(a.libp2p.services.memecoin.peers()).to.equal(1)
    expect(c.libp2p.services.memecoin.peers()).to.equal(1)

    const tHeal = Date.now()
    await partition.heal(winners, losers)
    await waitFor(() => `every node on the {a, b} branch (heights ${heights(all)})`, async () => {
      const winnerFirst = await hashAt(a, forkHeight + 1n)
      const onWinner = await Promise.all(losers.map(async (n) => await hashAt(n, forkHeight + 1n)))
      return onWinner.every((x) => x === winnerFirst) && await agreeUpTo(all, forkHeight, minOf(heights(all)) - 2n)
    }, 15_000, 50)
    const convergeMs = Date.now() - tHeal
    await waitFor('the reorg seen on c and d', () => backInMempool.size === 2, 5_000)
    expect([...backInMempool.values()], 'the transfer back in the mempool at the reorg').to.deep.equal([true, true])

    let last: Array<{ status: number, body: any }> = []
    await waitFor(() => `the transfer in one winning-chain block on every node (${JSON.stringify(last.map((r) => r.body?.status ?? r.status))})`, async () => {
      last = await txEverywhere(all, idHex)
      return includedInSameBlock(last)
    }, 20_000, 100)
    const reincludedMs = Date.now() - tHeal
    const winningBlock = last[0]?.body.blockHash as string
    expect(winningBlock).to.not.equal(losingBlock)
    expect(Number(last[0]?.body.height)).to.be.greaterThan(Number(forkHeight))
    await waitFor('agreement after re-inclusion', async () => await agreeUpTo(all, 1n, minOf(heights(all)) - 2n), 10_000, 50)
    const account = await api(b, `/accounts/${to}`)
    expect(account.body.balance).to.equal((7n * 10n ** 8n).toString())
    console.log(`      (partition ${partitionMs} ms: fork at ${forkHeight}, branches of ${winningDepth} and ${losingDepth} blocks; ` +
      `converged ${convergeMs} ms after healing, transfer re-included after ${reincludedMs} ms; reorgs on c: ${c.chain.counters.reorgs})`)
  })

  // A reorg returns the losing branch's transactions to the mempool and the node announces them
  // again; tx batches carry a salt, so the re-announcement has a new gossip id (SHA-256 of the
  // data) and is not dropped by peers that saw the first batch during the partition.
  it('the losing branch\'s transfer reaches the winning chain even when the losing side\'s validator is gone', async () => {
    // {a} | {c, d}: c includes a transfer posted to d, then c stops for good. Only d still knows
    // the transfer after healing: it must announce it again, or the winning side never sees it.
    const net = liveDevnet({ label: 'inproc-regossip', stakes: [800n, 200n], slotMs: 200n, f: { num: 9n, den: 10n }, k: 20n })
    const partition = new Partition()
    const a = await set.start(net, { validator: 0, partition, name: 'a' })
    const c = await set.start(net, { validator: 1, partition, bootstrap: [a], name: 'c' })
    const d = await set.start(net, { partition, bootstrap: [a, c], name: 'd' })
    partition.assign(a, 1)
    partition.assign(c, 2)
    partition.assign(d, 2)
    const all = [a, c, d]
    await waitFor(() => `full mesh (peers ${peerCounts(all)})`, () => peerCounts(all).every((p) => p === 2) && blockSubscribers(all).every((s) => s === 2), 10_000)
    await waitFor('a common chain of 2 blocks', async () => minOf(heights(all)) >= 3n && await agreeUpTo(all, 1n, 2n), 10_000)
    await partition.split(all)
    await waitFor('a alone', () => a.libp2p.getConnections().length === 0, 5_000)

    const tx = faucetTransfer(net, liveKey('inproc-regossip:recipient').address, 3n * 10n ** 8n)
    const idHex = toHex(tx.id)
    expect((await submitTx(d, tx)).status).to.equal(202)
    await waitFor(() => `the transfer on the {c, d} branch and a ≥ 3 blocks ahead (a ${a.chain.chain.head.height}, c ${c.chain.chain.head.height})`, async () =>
      includedInSameBlock(await txEverywhere([c, d], idHex)) && a.chain.chain.head.height >= c.chain.chain.head.height + 3n, 12_000, 50)
    expect((await api(a, `/txs/${idHex}`)).status).to.equal(404)

    await c.stop() // the only validator that ever had the transfer
    const tHeal = Date.now()
    await partition.heal([a], [d])

    await waitFor('d on a\'s chain with the transfer pending', async () =>
      d.chain.chain.head.hex === a.chain.chain.head.hex && (await api(d, `/txs/${idHex}`)).body.status === 'pending', 10_000, 50)
    let last: Array<{ status: number, body: any }> = []
    await waitFor(() => `the transfer included on a and d (${JSON.stringify(last.map((r) => r.body?.status ?? r.status))})`, async () => {
      last = await txEverywhere([a, d], idHex)
      return includedInSameBlock(last)
    }, 10_000, 100)
    console.log(`      (re-announced and included ${Date.now() - tHeal} ms after healing)`)
  })

  it('two devnets with different genesis on one loopback do not mix', async () => {
    const x = liveDevnet({ label: 'inproc-x', stakes: [1000n], slotMs: 200n })
    const y = liveDevnet({ label: 'inproc-y', stakes: [1000n], slotMs: 200n })
    expect(x.genesis.chainIdHex).to.not.equal(y.genesis.chainIdHex)
    const x1 = await set.start(x, { validator: 0, name: 'x1' })
    const x2 = await set.start(x, { bootstrap: [x1], name: 'x2' })
    // each Y node is given X addresses as bootstrap (and Y's own)
    const y1 = await set.start(y, { validator: 0, bootstrap: [x1, x2], name: 'y1' })
    const y2 = await set.start(y, { bootstrap: [x1, y1, x2], name: 'y2' })
    const xs = [x1, x2]
    const ys = [y1, y2]
    const crossConnections = (): number => [...xs, ...ys].reduce((acc, n) => {
      const others = (xs.includes(n) ? ys : xs).map((o) => o.libp2p.peerId.toString())
      return acc + n.libp2p.getConnections().filter((c) => others.includes(c.remotePeer.toString())).length
    }, 0)
    const refusedAcross = (): boolean => ys.every((yn) => xs.every((xn) =>
      yn.libp2p.services.memecoin.isRefused(xn.libp2p.peerId) || xn.libp2p.services.memecoin.isRefused(yn.libp2p.peerId)))
    await waitFor(() => `one same-chain peer each, no cross connection (peers ${peerCounts([...xs, ...ys])}, cross ${crossConnections()})`,
      () => peerCounts([...xs, ...ys]).every((p) => p === 1) && crossConnections() === 0 && refusedAcross(), 10_000)
    await waitFor('5 blocks on both chains', () => minOf(heights([...xs, ...ys])) >= 5n, 15_000)
    // another second of gossip: cross connections stay closed
    await sleep(1000)
    expect(crossConnections()).to.equal(0)
    for (const n of [...xs, ...ys]) expect((await api(n, '/status')).body.peers).to.equal(1)
    await waitFor('each pair agrees', async () => await agreeUpTo(xs, 1n, minOf(heights(xs)) - 1n) && await agreeUpTo(ys, 1n, minOf(heights(ys)) - 1n), 5_000)

    // no block crossed: every block each node holds was proposed by its own chain's validator for its own chain
    for (const [nodes, net, other] of [[xs, x, y], [ys, y, x]] as const) {
      const own = toHex(net.validators[0]?.publicKey as Uint8Array)
      for (const n of nodes) {
        const head = n.chain.chain.head.height
        const proposers = proposersOf(n, 1n, head)
        expect(proposers.size).to.equal(Number(head))
        expect([...proposers.values()].every((p) => p === own)).to.equal(true)
        for (let h = 1n; h <= head; h++) expect(toHex(n.chain.chain.blockAt(h)?.block?.header.header.chainId as Uint8Array)).to.equal(net.genesis.chainIdHex)
        expect(n.chain.chain.orphanCount).to.equal(0)
        const g = n.libp2p.services.memecoin.gossipStats()
        expect(g?.received.block.reject).to.equal(0)
        const s = (await api(n, '/status')).body
        expect(s.chainId).to.equal(net.genesis.chainIdHex)
        const foreign = await api(n, `/blocks/${other === x ? x1.chain.chain.head.hex : y1.chain.chain.head.hex}`)
        expect(foreign.status, 'the other chain\'s head is unknown here').to.equal(404)
      }
    }
    expect(x1.chain.chain.head.hex).to.not.equal(y1.chain.chain.head.hex)
    console.log(`      (heads x ${x1.chain.chain.head.height}, y ${y1.chain.chain.head.height}; cross connections 0)`)
  })
})

describe('node: a head switch made by adopted orphans is persisted and announced', function () {
  this.timeout(30_000)
  const dirs: string[] = []
  const open: MemecoinNode[] = []
  afterEach(async () => {
    for (const n of open.splice(0)) await n.stop().catch(() => {})
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
  })

  it('a side block whose waiting descendants win: the reorg reaches the database and the head event', async () => {
    // Branch X (x1, x2 by validator 0) is the node's chain; branch Y (y1, y2, y3 by validator 1)
    // arrives children first: y3 and y2 wait as orphans, y1 is a side block (height 1 < 2), and
    // adopting y2, y3 switches the head to y3, undoing x2 and x1.
    const net = testDevnet(2, { label: 'inproc-adopt' })
    const genesis = loadGenesis(genesisToJson(net.config))
    const producer = async (i: number): Promise<ChainService> => await ChainService.open({
      params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[i] as ValidatorKey
    })
    const build = async (svc: ChainService, n: number): Promise<Block[]> => {
      const out: Block[] = []
      for (let slot = slotAt(net.clock.t, net.params) + 1n; out.length < n && slot < 10_000n; slot++) {
        net.clock.toSlot(slot)
        const b = await svc.produce(slot)
        if (b !== undefined) out.push(b)
      }
      if (out.length < n) throw new Error('not enough leader slots')
      return out
    }
    const xs = await build(await producer(0), 2)
    const ys = await build(await producer(1), 3)
    const [x1, x2] = xs as [Block, Block]
    const [y1, y2, y3] = ys as [Block, Block, Block]

    const dataDir = await mkdtemp(join(tmpdir(), 'memecoin-adopt-'))
    dirs.push(dataDir)
    const start = async (): Promise<MemecoinNode> => {
      const node = await createNode({ genesis, dataDir, api: false, mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], now: net.clock.now })
      open.push(node)
      return node
    }
    const node = await start()
    await node.chain.importBlock(x1.bytes)
    await node.chain.importBlock(x2.bytes)
    const events: Array<{ undone: string[], applied: string[] }> = []
    node.chain.on('head', (c) => { events.push({ undone: c.undone.map((n) => n.hex), applied: c.applied.map((n) => n.hex) }) })
    for (const orphan of [y3, y2]) await node.chain.importBlock(orphan.bytes).then(() => { throw new Error('an orphan was imported') }, (err: { rule?: string }) => { expect(err.rule).to.equal('B-5') })
    const r = await node.chain.importBlock(y1.bytes)
    expect(r.status).to.equal('side')
    expect(r.adopted).to.equal(2)
    const hex = (b: Block): string => toHex(b.header.hash)
    expect(node.chain.chain.head.hex).to.equal(hex(y3))
    expect(events, 'one head event with the whole switch').to.deep.equal([{ undone: [hex(x2), hex(x1)], applied: [hex(y1), hex(y2), hex(y3)] }])

    await node.stop()
    open.splice(open.indexOf(node), 1)
    const again = await start()
    expect(again.chain.chain.head.hex, 'restored head').to.equal(hex(y3))
    for (const [h, b] of [[1n, y1], [2n, y2], [3n, y3]] as const) expect(again.chain.chain.blockAt(h)?.hex).to.equal(hex(b))
    expect(toHex(again.chain.chain.ledger.root())).to.equal(toHex(y3.header.header.stateRoot))
  })
})

describe('node: start-up and database failures leave nothing half-open', function () {
  this.timeout(60_000)

  it('a node whose API port is taken fails to start and releases everything: the same data directory opens again', async () => {
    const net = testDevnet(1, { label: 'api-port-taken' })
    const genesis = loadGenesis(genesisToJson(net.config))
    const blocker = createServer()
    await new Promise<void>((resolve) => { blocker.listen(0, '127.0.0.1', resolve) })
    const port = (blocker.address() as AddressInfo).port
    const dataDir = await mkdtemp(join(tmpdir(), 'memecoin-port-'))
    let second: MemecoinNode | undefined
    try {
      const first = await createNode({ genesis, dataDir, api: { host: '127.0.0.1', port }, mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], now: net.clock.now })
      let err: unknown
      try { await first.start() } catch (e) { err = e }
      expect((err as { code?: string }).code).to.equal('EADDRINUSE')
      expect(first.libp2p.status).to.equal('stopped')
      // the store's lock was released: the directory opens, and this node starts
      second = await createNode({ genesis, dataDir, api: false, mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], now: net.clock.now })
      await second.start()
      expect(second.chain.chain.head.height).to.equal(0n)
    } finally {
      await second?.stop()
      blocker.close()
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('an API bound beyond this machine is warned about (it has no authentication); a loopback one is not', async () => {
    const net = testDevnet(1, { label: 'api-wide' })
    const genesis = loadGenesis(genesisToJson(net.config))
    for (const [host, warned] of [['0.0.0.0', true], ['127.0.0.1', false]] as const) {
      const warnings: string[] = []
      const node = await createNode({ genesis, api: { host, port: 0 }, mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], now: net.clock.now, log: (level, msg) => { if (level === 'warn') warnings.push(msg) } })
      try {
        await node.start()
        expect(warnings.some((m) => m.includes('no authentication')), host).to.equal(warned)
      } finally {
        await node.stop()
      }
    }
  })

  it('addresses that can never work are refused before anything is created: no data directory, no database', async () => {
    const net = testDevnet(1, { label: 'bad-addresses' })
    const genesis = loadGenesis(genesisToJson(net.config))
    const parent = await mkdtemp(join(tmpdir(), 'memecoin-badaddr-'))
    try {
      const dataDir = join(parent, 'node')
      for (const o of [{ listen: ['/ip4/127.0.0.1/udp/4001/quic-v1'] }, { bootstrap: ['/ip4/127.0.0.1'] }, { bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/notapeerid'] }]) {
        let err: unknown
        try { await createNode({ genesis, dataDir, api: false, mdns: false, now: net.clock.now, ...o }) } catch (e) { err = e }
        expect((err as { code?: string }).code, JSON.stringify(o)).to.equal('ERR_NETWORK_CONFIG')
        expect(existsSync(dataDir), JSON.stringify(o)).to.equal(false)
      }
    } finally {
      await rm(parent, { recursive: true, force: true })
    }
  })

  it('a node that fails to build (a damaged peer key) leaves nothing open, and the error says what to do', async () => {
    const net = testDevnet(1, { label: 'peer-key-damaged' })
    const genesis = loadGenesis(genesisToJson(net.config))
    const dataDir = await mkdtemp(join(tmpdir(), 'memecoin-peerkey-'))
    try {
      // an empty file: what a crash while writing it used to leave
      await writeFile(join(dataDir, 'peer-key'), new Uint8Array(0))
      const build = async (): Promise<MemecoinNode> => await createNode({ genesis, dataDir, api: false, mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], now: net.clock.now })
      let err: unknown
      try { await build() } catch (e) { err = e }
      expect((err as { code?: string }).code).to.equal('ERR_PEER_KEY')
      expect((err as Error).message).to.include('delete it to start with a new peer id')
      // a FIFO in its place (nobody writes to it): refused at once, where reading it waited forever
      await rm(join(dataDir, 'peer-key'))
      execFileSync('mkfifo', [join(dataDir, 'peer-key')])
      err = undefined
      try { await build() } catch (e) { err = e }
      expect((err as { code?: string }).code).to.equal('ERR_PEER_KEY')
      expect((err as Error).message).to.include('not a regular file')
      // the database was closed again: after the fix, the same process opens the directory
      await rm(join(dataDir, 'peer-key'))
      const node = await build()
      try {
        await node.start()
      } finally {
        await node.stop()
      }
      // the key was written whole, and is the same at the next start
      const again = await build()
      try {
        expect(again.libp2p.peerId.toString()).to.equal(node.libp2p.peerId.toString())
      } finally {
        await again.stop()
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('a node whose database cannot be written stops itself (API and network too) and says why', async () => {
    const net = testDevnet(1, { label: 'store-write-fails' })
    const genesis = loadGenesis(genesisToJson(net.config))
    const dataDir = await mkdtemp(join(tmpdir(), 'memecoin-writefail-'))
    let node: MemecoinNode | undefined
    try {
      node = await createNode({ genesis, dataDir, api: { host: '127.0.0.1', port: 0 }, mdns: false, listen: ['/ip4/127.0.0.1/tcp/0'], now: net.clock.now, validatorKey: net.validators[0]!.privateKey })
      await node.start()
      const url = node.apiUrl as string
      // the disk fills up: every write fails from now on (fault injected into the node's store)
      const store = (node.chain as unknown as { store: { batch: (ops: unknown[]) => Promise<void> } }).store
      store.batch = async () => { throw new Error('IO error: No space left on device') }
      let produced: unknown
      for (let slot = 1n; produced === undefined && slot < 200n; slot++) {
        net.clock.toSlot(slot)
        produced = await node.chain.produce(slot).catch((e: unknown) => e)
      }
      expect((produced as { code?: string }).code).to.equal('ERR_STORE_WRITE')
      const err = await Promise.race([node.halted, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000))])
      expect(err?.code).to.equal('ERR_STORE_WRITE')
      expect(node.libp2p.status).to.equal('stopped')
      let reachable = true
      await fetch(`${url}/status`).catch(() => { reachable = false })
      expect(reachable, 'the API no longer serves state that is not on disk').to.equal(false)
    } finally {
      // stopped already when the test passes; not left running in this process when it fails
      await node?.stop().catch(() => {})
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
