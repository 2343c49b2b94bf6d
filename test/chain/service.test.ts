import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { accountIdOf } from '../../src/core/address.ts'
import { concatBytes, toHex } from '../../src/core/bytes.ts'
import type { ValidationError } from '../../src/core/errors.ts'
import { ChainService, actionOf } from '../../src/chain/service.ts'
import { LevelStore } from '../../src/storage/level.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { sha256 } from '../../src/core/hash.ts'
import { HEADER_DOMAIN, signBytes } from '../../src/core/signing.ts'
import type { Block, SignedTx } from '../../src/core/types.ts'
import { produceBlock } from '../../src/chain/producer.ts'
import { buildEvidence, buildTransfer, buildUnstake } from '../../src/wallet/transactions.ts'
import { decodeSignedHeader, encodeHeader, encodeSignedHeader } from '../../src/wire/header.ts'
import { decodeTx } from '../../src/wire/tx.ts'
import { decodeBlock, encodeBlock } from '../../src/wire/block.ts'
import { testDevnet } from '../helpers/devnet.ts'

/** Produces with `svc` slot by slot until its head reaches `height` (bounded). */
async function produceTo (svc: ChainService, clock: { toSlot: (s: bigint) => void }, height: bigint, fromSlot: bigint): Promise<bigint> {
  let slot = fromSlot
  for (let i = 0; svc.chain.head.height < height; i++) {
    if (i > 5000) throw new Error('no progress')
    slot++
    clock.toSlot(slot)
    await svc.produce(slot)
  }
  return slot
}

/**
 * A validator (`producer`) and a non-validator (`svc`, with a one-worker verifier pool if `pool`)
 * of one devnet, both in memory; `fn` runs with them, then both are closed.
 */
async function withProducerAndNode (label: string, pool: boolean, fn: (s: { net: ReturnType<typeof testDevnet>, producer: ChainService, svc: ChainService }) => Promise<void>): Promise<void> {
  const net = testDevnet(1, { label })
  const producer = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
  const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, ...(pool ? { verifierPool: { size: 1 } } : {}) })
  try {
    await fn({ net, producer, svc })
  } finally {
    await svc.close()
    await producer.close()
  }
}

/** A chain service on a LevelDB store in `dir` (the store opened first, closed with it). */
async function openOnDisk (net: ReturnType<typeof testDevnet>, dir: string, validator?: (typeof net.validators)[number]): Promise<{ svc: ChainService, close: () => Promise<void> }> {
  const store = new LevelStore(dir)
  await store.open()
  const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now, ...(validator !== undefined ? { validator } : {}) })
  return { svc, close: async () => { await svc.close(); await store.close() } }
}

describe('chain/service: persistence, restart, no double signing', function () {
  this.timeout(60_000)
  const dirs: string[] = []
  const tmp = (): string => { const d = mkdtempSync(join(tmpdir(), 'memecoin-svc-')); dirs.push(d); return d }
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  it('off() unsubscribes; a listener that unsubscribes itself while an event is delivered does not make the next one miss it', async () => {
    await withProducerAndNode('listeners', false, async ({ net, producer }) => {
      const seen: string[] = []
      const once = (): void => { seen.push('once'); producer.off('block', once) }
      const always = (): void => { seen.push('always') }
      const removed = (): void => { seen.push('removed') }
      producer.on('block', once)
      producer.on('block', always)
      producer.on('block', removed)
      producer.off('block', removed)
      await produceTo(producer, net.clock, 2n, 0n)
      expect(seen).to.deep.equal(['once', 'always', 'always'])
    })
  })

  it('restarts from LevelDB at its stored head with the same state, without replaying', async () => {
    const net = testDevnet(1, { label: 'restart', k: 4n })
    const dir = tmp()
    let store = new LevelStore(dir)
    await store.open()
    let svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now, validator: net.validators[0] })
    // a transfer so accounts other than the proposer change too
    const bob = accountIdOf(net.validators[0]!.publicKey)
    const t = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 1000n, to: bob, amount: 12345n })
    expect((await svc.addTransactions([t.bytes]))[0]?.ok).to.equal(true)
    const slot = await produceTo(svc, net.clock, 30n, 0n)
    const head = svc.chain.head.hex
    const root = toHex(svc.chain.ledger.root())
    const blocks = await svc.blocksByRange(1n, 64)
    expect(blocks).to.have.length(30)
    await svc.close()
    await store.close()

    store = new LevelStore(dir)
    await store.open()
    svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now, validator: net.validators[0] })
    expect(svc.chain.head.hex).to.equal(head)
    expect(toHex(svc.chain.ledger.root())).to.equal(root)
    expect(svc.chain.ledger.supply()).to.equal(net.config.accounts.reduce((a, x) => a + x.balance + x.stake, 0n) + 30n * net.params.blockReward)
    expect(await svc.blocksByRange(1n, 64)).to.deep.equal(blocks)
    // and it goes on from there
    await produceTo(svc, net.clock, 35n, slot)
    expect(svc.chain.head.height).to.equal(35n)
    await svc.close()
    await store.close()
  })

  it('a restart keeps only the tip blocks decoded; those below hold their bytes and decode the same transactions on access', async () => {
    const net = testDevnet(1, { label: 'restart-slim', k: 4n })
    const store = new MemoryStore()
    let svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now, validator: net.validators[0] })
    const bob = accountIdOf(net.validators[0]!.publicKey)
    let slot = await produceTo(svc, net.clock, 6n, 0n)
    // one transfer in each block a restart loads (the last k + 2: 7 .. 12)
    const ids = new Map<bigint, string[]>()
    for (let h = 7n; h <= 12n; h++) {
      const t = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: h - 7n, fee: 1000n, to: bob, amount: 1n })
      expect((await svc.addTransactions([t.bytes]))[0]?.ok).to.equal(true)
      slot = await produceTo(svc, net.clock, h, slot)
      ids.set(h, [toHex(t.id)])
      expect((svc.chain.blockAt(h)?.block?.txs ?? []).map((tx) => toHex(tx.id)), `height ${h}`).to.deep.equal(ids.get(h))
    }
    await svc.close()
    svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now, validator: net.validators[0] })
    try {
      // decoded: the head and its parent (DECODED_TIP_BLOCKS); below them, bytes and header
      const isSlim = (b: Block | undefined): boolean => typeof Object.getOwnPropertyDescriptor(b, 'txs')?.get === 'function'
      for (let h = 7n; h <= 12n; h++) {
        const block = svc.chain.blockAt(h)?.block
        expect(block, `height ${h}`).to.not.equal(undefined)
        expect(isSlim(block), `height ${h}`).to.equal(h <= 10n)
        expect((block as Block).txs.map((tx) => toHex(tx.id)), `height ${h}`).to.deep.equal(ids.get(h))
      }
    } finally {
      await svc.close()
    }
  })

  it('after a restart near genesis a reorg back to genesis still works (block 1 keeps its undo record)', async () => {
    const net = testDevnet(2, { label: 'reorg-after-restart', k: 10n })
    const dir = tmp()
    let a = await openOnDisk(net, dir, net.validators[0])
    const b = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[1] })
    let slot = 0n
    for (let i = 0; i < 200 && a.svc.chain.head.height < 3n; i++) { slot++; net.clock.toSlot(slot); await a.svc.produce(slot) }
    for (let i = 0; i < 400 && b.chain.head.height < a.svc.chain.head.height + 3n; i++) { slot++; net.clock.toSlot(slot); await b.produce(slot) }
    expect(a.svc.chain.head.height).to.equal(3n)
    await a.close()
    a = await openOnDisk(net, dir, net.validators[0])
    // B's longer branch forks at genesis: A undoes all three of its blocks
    for (const bytes of await b.blocksByRange(1n, 64)) await a.svc.importBlock(bytes)
    expect(a.svc.chain.head.hex).to.equal(b.chain.head.hex)
    await a.close()
    // and the database agrees after another restart
    a = await openOnDisk(net, dir)
    expect(a.svc.chain.head.hex).to.equal(b.chain.head.hex)
    await a.close()
    await b.close()
  })

  it('a second block for the slot of a block restored from the store is still an equivocation (B-14)', async () => {
    const net = testDevnet(1, { label: 'equivocation-restart' })
    const dir = tmp()
    let node = await openOnDisk(net, dir, net.validators[0])
    await produceTo(node.svc, net.clock, 3n, 0n)
    const blocks = (await node.svc.blocksByRange(1n, 3)).map((b) => decodeBlock(b, net.params))
    await node.close()
    // the same proposer's other block for block 3's slot, built on block 2 elsewhere
    const twin = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now })
    for (const b of blocks.slice(0, 2)) await twin.importBlock(b)
    const tx = decodeTx(buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 1000n, to: accountIdOf(net.validators[0]!.publicKey), amount: 1n }).bytes)
    const other = produceBlock(twin.chain, net.validators[0]!, blocks[2]!.header.header.slot, [tx])
    expect(other).to.not.equal(undefined)
    await twin.close()

    node = await openOnDisk(net, dir)
    const r = await node.svc.importBlock(other!.bytes)
    expect(r.equivocation).to.not.equal(undefined)
    expect(toHex(r.equivocation!.a.hash)).to.equal(toHex(blocks[2]!.header.hash))
    await node.close()
  })

  it('never signs a slot twice across a restart', async () => {
    const net = testDevnet(1, { label: 'double-sign' })
    const store = new MemoryStore()
    const open = async (): Promise<ChainService> => await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now, validator: net.validators[0] })
    const svc = await open()
    let slot = await produceTo(svc, net.clock, 1n, 0n)
    // A crash while producing the next block: the slot is recorded as signed (the first write),
    // then the block's head change never reaches the store (every later write fails).
    const batch = store.batch.bind(store)
    let writes = 0
    store.batch = async (ops) => {
      if (writes++ > 0) throw new Error('simulated crash')
      await batch(ops)
    }
    let crashedAt: bigint | undefined
    for (let i = 0; crashedAt === undefined; i++) {
      if (i > 500) throw new Error('no leader slot')
      slot++
      net.clock.toSlot(slot)
      await svc.produce(slot).catch(() => { crashedAt = slot })
    }
    await svc.close()
    store.batch = batch
    // The restarted node is back at the parent, as when it signed: it leads that slot again on
    // the same parent, and only the record keeps it from signing a second block for it.
    const again = await open()
    try {
      expect(again.chain.head.height).to.equal(1n)
      expect(await again.produce(crashedAt)).to.equal(undefined)
      expect(again.chain.head.height).to.equal(1n)
      // later slots are still produced
      await produceTo(again, net.clock, 2n, crashedAt)
      expect(again.chain.head.slot > crashedAt).to.equal(true)
    } finally {
      await again.close()
    }
  })

  it('persists reorgs: a restarted node is on the branch it switched to', async () => {
    const net = testDevnet(2, { label: 'reorg', k: 10n })
    const storeA = new MemoryStore()
    const a = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: storeA, now: net.clock.now, validator: net.validators[0] })
    const b = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[1] })
    // A builds alone for a while; B builds a longer branch alone; then A learns B's branch
    let slot = 0n
    for (let i = 0; i < 40 && a.chain.head.height < 3n; i++) { slot++; net.clock.toSlot(slot); await a.produce(slot) }
    for (let i = 0; i < 200 && b.chain.head.height < a.chain.head.height + 3n; i++) { slot++; net.clock.toSlot(slot); await b.produce(slot) }
    const heads: string[] = []
    a.on('head', (c) => heads.push(`${c.undone.length}:${c.applied.length}`))
    for (const bytes of await b.blocksByRange(1n, 64)) await a.importBlock(bytes)
    expect(a.chain.head.hex).to.equal(b.chain.head.hex)
    expect(heads.some((h) => !h.startsWith('0:'))).to.equal(true)
    const reopened = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: storeA, now: net.clock.now })
    expect(reopened.chain.head.hex).to.equal(b.chain.head.hex)
    expect(toHex(reopened.chain.ledger.root())).to.equal(toHex(b.chain.ledger.root()))
  })

  it('refuses a database of another chain with ERR_STORE_GENESIS', async () => {
    const one = testDevnet(1, { label: 'one' })
    const two = testDevnet(1, { label: 'two' })
    const store = new MemoryStore()
    const svc = await ChainService.open({ params: one.params, allocations: one.config.accounts, store, now: one.clock.now, validator: one.validators[0] })
    await produceTo(svc, one.clock, 1n, 0n)
    let code: string | undefined
    try { await ChainService.open({ params: two.params, allocations: two.config.accounts, store, now: two.clock.now }) } catch (err) { code = (err as { code?: string }).code }
    expect(code).to.equal('ERR_STORE_GENESIS')
  })

  it('addEvidence judges evidence before acting on it (TX-9): the same header twice is refused', async () => {
    const net = testDevnet(1, { label: 'evidence' })
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    await produceTo(svc, net.clock, 1n, 0n)
    const h = svc.chain.head.block?.header
    expect(h).to.not.equal(undefined)
    let err: unknown
    try { await svc.addEvidence(h!, h!) } catch (e) { err = e }
    expect((err as { code?: string }).code).to.equal('ERR_BAD_EVIDENCE')
    expect(actionOf(err)).to.equal('REJECT')
    expect(svc.mempool.size).to.equal(0)
  })

  it('evidence against a key with nothing at stake is ignored: never relayed, and no validator pays a fee to report it', async () => {
    const net = testDevnet(2, { label: 'evidence-no-stake' })
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    await produceTo(svc, net.clock, 2n, 0n)
    const signed = (key: { privateKey: Uint8Array, publicKey: Uint8Array }, height: bigint): ReturnType<typeof decodeSignedHeader> => {
      const hb = encodeHeader({ chainId: net.params.chainId, height, slot: 1n, parentHash: new Uint8Array(32), proposer: key.publicKey, vrfProof: new Uint8Array(81), txRoot: new Uint8Array(32), stateRoot: new Uint8Array(32), txCount: 0 })
      return decodeSignedHeader(encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, key.privateKey)))
    }
    // the faucet has coins but no stake: two headers of its own for one slot
    let err: unknown
    try { await svc.addEvidence(signed(net.faucet, 1n), signed(net.faucet, 2n)) } catch (e) { err = e }
    expect((err as { code?: string }).code).to.equal('ERR_EVIDENCE_NOT_USEFUL')
    expect(actionOf(err)).to.equal('IGNORE')
    expect(svc.mempool.size).to.equal(0)
    // against validator 1 (staked) the same is reported: one evidence transaction
    await svc.addEvidence(signed(net.validators[1]!, 1n), signed(net.validators[1]!, 2n))
    expect(svc.mempool.all().map((t) => t.kind)).to.deep.equal(['evidence'])
    await svc.close()
  })

  it('evidence against a key whose unbonding stake is released by now is ignored: a slash would take nothing', async () => {
    const net = testDevnet(2, { label: 'evidence-released' })
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    try {
      let slot = await produceTo(svc, net.clock, 1n, 0n)
      // validator 1 unstakes all it has: its stake goes to one unbonding entry
      const v1 = net.validators[1]!
      const id1 = accountIdOf(v1.publicKey)
      const all = svc.chain.ledger.get(id1)?.stake ?? 0n
      expect(all > 0n).to.equal(true)
      const unstake = buildUnstake({ chainId: net.params.chainId, privateKey: v1.privateKey, nonce: 0n, fee: net.params.minFee, amount: all })
      expect((await svc.addTransactions([unstake.bytes]))[0]?.ok).to.equal(true)
      slot = await produceTo(svc, net.clock, 2n, slot)
      const entry = svc.chain.ledger.get(id1)?.unbonding[0]
      expect(svc.chain.ledger.get(id1)?.stake).to.equal(0n)
      expect(entry?.amount).to.equal(all)
      const signed = (s: bigint, height: bigint): ReturnType<typeof decodeSignedHeader> => {
        const hb = encodeHeader({ chainId: net.params.chainId, height, slot: s, parentHash: new Uint8Array(32), proposer: v1.publicKey, vrfProof: new Uint8Array(81), txRoot: new Uint8Array(32), stateRoot: new Uint8Array(32), txCount: 0 })
        return decodeSignedHeader(encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, v1.privateKey)))
      }
      // still unbonding: there is something to slash, the evidence is reported
      expect(svc.hasBond(v1.publicKey)).to.equal(true)
      // its release epoch has come (by the clock; the ledger releases it when the account is next touched)
      const released = entry!.releaseEpoch * net.params.epochSlots + 1n
      net.clock.toSlot(released)
      expect(svc.hasBond(v1.publicKey)).to.equal(false)
      let err: unknown
      try { await svc.addEvidence(signed(released, 3n), signed(released, 4n)) } catch (e) { err = e }
      expect((err as ValidationError | undefined)?.details?.reason).to.equal('nothing to slash')
      expect(actionOf(err)).to.equal('IGNORE')
      expect(svc.mempool.all().filter((t) => t.kind === 'evidence')).to.have.length(0)
    } finally {
      await svc.close()
    }
  })

  it('evidence the mempool has no room for is reported at a later head, once', async () => {
    const net = testDevnet(2, { label: 'evidence-retry' })
    const open = async (validator: number, mempool?: { maxTxs: number }): Promise<ChainService> => await ChainService.open({
      params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[validator], ...(mempool !== undefined ? { mempool } : {})
    })
    // the offender (validator 1) signs two blocks for one slot: one with a transfer, one empty
    const a1 = await open(1)
    const a2 = await open(1)
    // the observer (validator 0) has room for one transaction, taken by a transfer paying more than evidence
    const c = await open(0, { maxTxs: 1 })
    try {
      const to = accountIdOf(net.validators[0]!.publicKey)
      const t0 = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 10n * net.params.minFee, to, amount: 5n })
      expect((await a1.addTransactions([t0.bytes]))[0]?.ok).to.equal(true)
      let slot = 0n
      let first
      for (let i = 0; i < 200 && first === undefined; i++) {
        slot++
        net.clock.toSlot(slot)
        first = await a1.produce(slot)
      }
      expect(first).to.not.equal(undefined)
      const second = await a2.produce(slot)
      expect(second?.header.hash).to.not.deep.equal(first?.header.hash)
      const t1 = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 10n * net.params.minFee, to, amount: 7n })
      expect((await c.addTransactions([t1.bytes]))[0]?.ok).to.equal(true)
      const evidenceIn = (svc: ChainService): number => svc.mempool.all().filter((t) => t.kind === 'evidence').length
      // C sees both blocks: an equivocation, whose evidence finds the pool full
      await c.importBlock(first!.bytes)
      await c.importBlock(second!.bytes)
      expect(c.mempool.size).to.equal(1)
      expect(evidenceIn(c)).to.equal(0)
      expect(c.unreportedEquivocations).to.equal(1)
      // the same evidence from gossip changes nothing while there is no room
      await c.addEvidence(first!.header, second!.header)
      expect(evidenceIn(c)).to.equal(0)
      // C's next block takes its transfer: at that head the evidence finds room
      const before = c.chain.head.height
      slot = await produceTo(c, net.clock, before + 1n, slot)
      expect(c.mempool.has(decodeTx(t1.bytes).id)).to.equal(false)
      expect(evidenceIn(c)).to.equal(1)
      expect(c.unreportedEquivocations).to.equal(0)
      // reported once: the same equivocation again adds nothing
      await c.addEvidence(first!.header, second!.header)
      expect(evidenceIn(c)).to.equal(1)
      // and the next block slashes the offender
      await produceTo(c, net.clock, c.chain.head.height + 1n, slot)
      expect(evidenceIn(c)).to.equal(0)
      const stake = c.chain.ledger.get(accountIdOf(net.validators[1]!.publicKey))?.stake ?? 0n
      expect(stake < 1000n * 10n ** 8n, `offender stake ${stake}`).to.equal(true)
      // the same evidence on gossip now: slashed for that slot already, not useful (IGNORE, not relayed)
      let late: unknown
      try { await c.addEvidence(first!.header, second!.header) } catch (e) { late = e }
      expect((late as ValidationError | undefined)?.details?.reason).to.equal('already slashed')
      expect(actionOf(late)).to.equal('IGNORE')
    } finally {
      await Promise.all([a1.close(), a2.close(), c.close()])
    }
  })

  it('maps refusals to gossip actions: malformed and invalid REJECT, duplicates and future IGNORE, bugs IGNORE', async () => {
    const net = testDevnet(1, { label: 'actions' })
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    await produceTo(svc, net.clock, 2n, 0n)
    const block = await svc.blockAt(2n) as Uint8Array
    const err = async (p: Promise<unknown>): Promise<unknown> => { try { await p } catch (e) { return e } }
    expect(actionOf(await err(svc.importBlock(block)))).to.equal('IGNORE') // known
    expect(actionOf(await err(svc.importBlock(block.subarray(0, 50))))).to.equal('REJECT') // malformed
    const t = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 1000n, to: accountIdOf(net.faucet.publicKey), amount: 1n })
    const [first] = await svc.addTransactions([t.bytes])
    expect(first?.ok).to.equal(true)
    const [dup] = await svc.addTransactions([t.bytes])
    expect(dup?.ok === false && dup.action).to.equal('IGNORE')
    const bad = decodeTx(t.bytes)
    // the sender's next nonce (a copy of the pending one is an underpriced replacement, IGNOREd
    // before its signature is checked)
    const next = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 1n, fee: 1000n, to: accountIdOf(net.faucet.publicKey), amount: 1n })
    const tampered = new Uint8Array(next.bytes)
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1
    const forgedCopy = new Uint8Array(t.bytes)
    forgedCopy[forgedCopy.length - 1] = (forgedCopy[forgedCopy.length - 1] as number) ^ 1
    const [copy] = await svc.addTransactions([forgedCopy])
    expect(copy?.ok === false && copy.error.code).to.equal('ERR_REPLACEMENT_UNDERPRICED')
    expect(copy?.ok === false && copy.unverified).to.equal(true)
    const [sig] = await svc.addTransactions([tampered])
    expect(sig?.ok === false && sig.error.code).to.equal('ERR_BAD_SIGNATURE')
    expect(sig?.ok === false && sig.action).to.equal('REJECT')
    expect(actionOf(new Error('our own bug'))).to.equal('IGNORE')
    expect(bad.kind).to.equal('transfer')
  })
})

describe('chain/service: invalid transactions never reach a relayed batch or stall block production', function () {
  this.timeout(60_000)

  it('blocks go ahead of queued transaction batches (a flood of them never holds back an import or a validator\'s block)', async () => {
    await withProducerAndNode('queue-lanes', false, async ({ net, producer, svc }) => {
      await produceTo(producer, net.clock, 1n, 0n)
      const block1 = await producer.blockAt(1n) as Uint8Array
      const to = accountIdOf(net.validators[0]!.publicKey)
      const batches = Array.from({ length: 20 }, (_, i) => [buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: BigInt(i), fee: net.params.minFee, to, amount: 1n }).bytes])
      const done: string[] = []
      const adds = batches.map(async (b, i) => { await svc.addTransactions(b); done.push(`tx${i}`) })
      const imported = svc.importBlock(block1).then(() => { done.push('block') })
      await Promise.all([...adds, imported])
      // queued last, run first: the block did not wait for the 20 batches queued before it
      expect(done.indexOf('block')).to.equal(0)
      // the batches kept their order among themselves
      expect(done.slice(1)).to.deep.equal(batches.map((_, i) => `tx${i}`))
      expect(svc.chain.head.height).to.equal(1n)
    })
  })

  it('refuses evidence transactions that can never be valid (TX-9 REJECT), before any IGNORE', async () => {
    const net = testDevnet(1, { label: 'bad-evidence-tx' })
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    await produceTo(svc, net.clock, 1n, 0n)
    const block1 = svc.chain.head.block?.header.bytes as Uint8Array
    await produceTo(svc, net.clock, 2n, 0n)
    const f = net.faucet
    /** A header signed by the faucet's key (no stake: evidence against it is still well-formed). */
    const header = (height: bigint, slot: bigint, sign = f.privateKey): Uint8Array => {
      const hb = encodeHeader({ chainId: net.params.chainId, height, slot, parentHash: new Uint8Array(32), proposer: f.publicKey, vrfProof: new Uint8Array(81), txRoot: new Uint8Array(32), stateRoot: new Uint8Array(32), txCount: 0 })
      return encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, sign))
    }
    const evidence = (nonce: bigint, headerA: Uint8Array, headerB: Uint8Array): Uint8Array => buildEvidence({ chainId: net.params.chainId, privateKey: f.privateKey, nonce, fee: 10_000n, headerA, headerB }).bytes
    const cases: Array<[string, Uint8Array, string, string]> = [
      ['the same header twice', evidence(0n, block1, block1), 'REJECT', 'ERR_BAD_EVIDENCE'],
      ['headers of two slots', evidence(0n, header(1n, 1n), header(2n, 2n)), 'REJECT', 'ERR_BAD_EVIDENCE'],
      ['a header signed by another key', evidence(0n, header(1n, 1n), header(2n, 1n, net.validators[0]!.privateKey)), 'REJECT', 'ERR_BAD_EVIDENCE'],
      // valid headers of a slot far ahead: never includable now, and not held for later
      ['a slot not yet started', evidence(0n, header(1n, 1_000_000n), header(2n, 1_000_000n)), 'IGNORE', 'ERR_EVIDENCE_NOT_USEFUL']
    ]
    for (const [what, bytes, action, code] of cases) {
      const [o] = await svc.addTransactions([bytes])
      expect(o?.ok, what).to.equal(false)
      if (o?.ok === false) {
        expect(o.action, what).to.equal(action)
        expect(o.error.code, what).to.equal(code)
      }
    }
    expect(svc.mempool.size).to.equal(0)
    // well-formed evidence against a real equivocation of the past is still admitted
    const twin = header(1n, 1n)
    const other = header(2n, 1n)
    const [ok] = await svc.addTransactions([evidence(0n, twin, other)])
    expect(ok?.ok).to.equal(true)
    await svc.close()
  })

  it('a refusal before the checks: a bad evidence transaction is "unverified" even with its outer signature verified ahead; a bad signature found ahead is a REJECT', async () => {
    const net = testDevnet(1, { label: 'unverified-outcomes' })
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0], verifierPool: { size: 1 } })
    try {
      await produceTo(svc, net.clock, 1n, 0n)
      const block1 = svc.chain.head.block?.header.bytes as Uint8Array
      const f = net.faucet
      const to = accountIdOf(net.validators[0]!.publicKey)
      const transfer = (nonce: bigint): Uint8Array => buildTransfer({ chainId: net.params.chainId, privateKey: f.privateKey, nonce, fee: net.params.minFee, to, amount: 1n }).bytes
      // nonce 1 while nothing of the faucet is pending: a gap, decided before TX-9 would find the
      // same header twice. Its outer signature is good (the pool verified it), its headers are
      // not: a batch holding it must not be relayed (a node without the gap would REJECT it)
      const badEvidence = buildEvidence({ chainId: net.params.chainId, privateKey: f.privateKey, nonce: 1n, fee: 10_000n, headerA: block1, headerB: block1 }).bytes
      const [gap] = await svc.addTransactions([badEvidence])
      expect(gap?.ok === false && gap.error.code).to.equal('ERR_NONCE_GAP')
      expect(gap?.ok === false && gap.unverified).to.equal(true)
      // a transfer at a gap whose signature is forged: the pool checked it ahead and found it bad
      const forged = transfer(3n).slice()
      forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1
      const [bad] = await svc.addTransactions([forged])
      expect(bad?.ok === false && bad.error.code).to.equal('ERR_BAD_SIGNATURE')
      expect(bad?.ok === false && bad.action).to.equal('REJECT')
    } finally {
      await svc.close()
    }
  })

  it('a gossiped orphan from a key with nothing bonded is dropped on its header (IGNORE B-5), a validator\'s orphan is kept for import', async () => {
    await withProducerAndNode('orphan-unstaked', false, async ({ net, producer, svc }) => {
      await produceTo(producer, net.clock, 2n, 0n)
      const b2 = decodeBlock(await producer.blockAt(2n) as Uint8Array, net.params)
      // block 2 without block 1: an orphan of a validator, kept for its import to decide
      expect(svc.checkBlockForRelay(b2.bytes).verdict).to.equal('import')
      // the same header signed by the faucet (no stake), with a body that would not even decode
      const hb = encodeHeader({ ...b2.header.header, proposer: net.faucet.publicKey })
      const junk = concatBytes(encodeBlock(encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, net.faucet.privateKey)), []), Uint8Array.of(0xff, 0xff))
      let err: unknown
      try { svc.checkBlockForRelay(junk) } catch (e) { err = e }
      expect(err).to.include({ rule: 'B-5', code: 'ERR_UNKNOWN_PARENT' })
      expect(actionOf(err)).to.equal('IGNORE')
      expect(svc.chain.orphanCount).to.equal(0)
    })
  })

  it('a block\'s transactions held by the mempool are its objects; a decoded transaction is admitted by its bytes, not its fields', async () => {
    await withProducerAndNode('held-objects', true, async ({ net, producer, svc }) => {
      const tx = (to: Uint8Array, amount: bigint): Uint8Array => buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: net.params.minFee, to, amount }).bytes
      const x = tx(accountIdOf(net.validators[0]!.publicKey), 1n)
      const y = decodeTx(tx(accountIdOf(net.faucet.publicKey), 5n))
      // a hand-built object: the bytes and id of x, the body and signature of y (both validly signed)
      const forged: SignedTx = { ...y, bytes: x, id: sha256(x) }
      expect((await svc.addTransactions([forged])).map((o) => o.ok)).to.deep.equal([true])
      const held = svc.mempool.get(sha256(x)) as SignedTx
      expect(held).to.not.equal(forged)
      expect(held.body.transfer?.amount).to.equal(1n)
      // the producer's block carrying x: decoded with the held object, imported, same state root
      expect((await producer.addTransactions([x])).every((o) => o.ok)).to.equal(true)
      await produceTo(producer, net.clock, 1n, 0n)
      const bytes = await producer.blockAt(1n) as Uint8Array
      const check = svc.checkBlockForRelay(bytes)
      expect(check.block.txs[0]).to.equal(held)
      await svc.importBlock(check.block)
      expect(svc.chain.head.height).to.equal(1n)
      expect(toHex(svc.chain.ledger.root())).to.equal(toHex(producer.chain.ledger.root()))
      expect(svc.mempool.size).to.equal(0)
    })
  })

  it('the import does not repeat the checks the relay made on the same block object (tx root, header, VRF); any other object gets them all', async () => {
    await withProducerAndNode('relay-checked', false, async ({ net, producer, svc }) => {
      await produceTo(producer, net.clock, 2n, 0n)
      await svc.importBlock(await producer.blockAt(1n) as Uint8Array)
      const bytes = await producer.blockAt(2n) as Uint8Array
      /** The block with its VRF proof, or its tx root, replaced by garbage (signature and hash unchanged). */
      const spoil = (b: Block, field: 'vrfProof' | 'txRoot'): void => {
        const hd = b.header.header as { vrfProof: Uint8Array, txRoot: Uint8Array }
        hd[field] = new Uint8Array(hd[field].length).fill(7)
      }
      const errorOf = async (f: () => unknown): Promise<unknown> => { try { await f() } catch (e) { return e } }
      // Objects spoiled before any check: the relay check refuses them, and so does an import
      // after that refusal (a failed check leaves nothing behind). B-9 marks the block's hash
      // invalid, so that case runs on a node of its own.
      const other = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now })
      try {
        await other.importBlock(await producer.blockAt(1n) as Uint8Array)
        for (const [node, field, rule] of [[svc, 'txRoot', 'B-11'], [other, 'vrfProof', 'B-9']] as const) {
          const a = decodeBlock(bytes, net.params)
          spoil(a, field)
          expect(await errorOf(() => node.checkBlockForRelay(a))).to.include({ rule })
          expect(await errorOf(async () => await node.importBlock(a))).to.include({ rule })
          expect(node.chain.head.height).to.equal(1n)
        }
      } finally {
        await other.close()
      }
      // The object that passed the relay check, spoiled afterwards (which nothing in the node
      // does: decoded blocks are never modified): its import does not look at either again
      const check = svc.checkBlockForRelay(bytes)
      expect(check.verdict).to.equal('relay')
      // what the relay check found belongs to that object, not to the block's hash: another
      // decoding of the same bytes, spoiled, is refused by its import
      const copy = decodeBlock(bytes, net.params)
      spoil(copy, 'txRoot')
      expect(await errorOf(async () => await svc.importBlock(copy))).to.include({ rule: 'B-11' })
      spoil(check.block, 'vrfProof')
      spoil(check.block, 'txRoot')
      await svc.importBlock(check.block)
      expect(svc.chain.head.height).to.equal(2n)
      expect(toHex(svc.chain.ledger.root())).to.equal(toHex(producer.chain.ledger.root()))
      // its VRF output (the epoch nonce's input) and leader value (fork choice) are those of the
      // genuine proof, taken from the relay check's verification
      expect(toHex(svc.chain.head.vrfOutput as Uint8Array)).to.equal(toHex(producer.chain.head.vrfOutput as Uint8Array))
      expect(svc.chain.head.leaderValue).to.equal(producer.chain.head.leaderValue)
    })
  })

  it('verdicts kept for a reorg survive a batch that a block overtook in the queue', async () => {
    await withProducerAndNode('tier2-overtaken', true, async ({ net, producer, svc }) => {
      const to = accountIdOf(net.validators[0]!.publicKey)
      const txs = [0n, 1n].map((nonce) => buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce, fee: net.params.minFee, to, amount: 1n }).bytes)
      expect((await producer.addTransactions(txs)).every((o) => o.ok)).to.equal(true)
      await produceTo(producer, net.clock, 1n, 0n)
      const block1 = await producer.blockAt(1n) as Uint8Array
      // the batch is queued first; the block runs first and includes both
      const batch = svc.addTransactions(txs)
      await svc.importBlock(block1)
      const outcomes = await batch
      expect(outcomes.map((o) => o.ok ? '' : o.error.code)).to.deep.equal(['ERR_NONCE_TOO_LOW', 'ERR_NONCE_TOO_LOW'])
      // the block's verdicts are kept in the second tier (a reorg would bring them back)
      expect(svc.sigCache.stats().remembered).to.equal(2)
    })
  })

  it('an equivocation seen shortly before its slot starts (within B-4\'s drift) is reported and slashed', async () => {
    const net = testDevnet(2, { label: 'early-evidence' })
    const [v0, v1] = net.validators as [typeof net.validators[0], typeof net.validators[0]]
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: v0 })
    const other = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now })
    // two blocks of validator 1 for its first leader slot s, made elsewhere
    let a: ReturnType<typeof produceBlock>
    let s = 0n
    for (s = 1n; s < 200n && (a = produceBlock(other.chain, v1!, s, [])) === undefined; s++);
    const tx = decodeTx(buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 1000n, to: accountIdOf(v0!.publicKey), amount: 1n }).bytes)
    const b = produceBlock(other.chain, v1!, s, [tx])
    // our clock: 400 ms before slot s starts (within the 500 ms drift B-4 allows)
    net.clock.t = net.params.genesisTime + s * net.params.slotMs - 400n
    await svc.importBlock(a!.bytes)
    expect((await svc.importBlock(b!.bytes)).equivocation).to.not.equal(undefined)
    expect(svc.mempool.all().map((t) => t.kind)).to.deep.equal(['evidence'])
    for (let c = s + 1n; c < s + 200n && !svc.chain.ledger.isSlashed(v1!.publicKey, s); c++) { net.clock.toSlot(c); await svc.produce(c) }
    expect(svc.chain.ledger.isSlashed(v1!.publicKey, s)).to.equal(true)
    await svc.close()
    await other.close()
  })

  it('a leader whose produce runs late selects as its block will judge (its slot\'s epoch), and drops nothing valid', async () => {
    const net = testDevnet(1, { label: 'late-produce', k: 2n })
    const v = net.validators[0]!
    const id = accountIdOf(v.publicKey)
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: v })
    const fee = net.params.minFee
    expect((await svc.addTransactions([buildUnstake({ chainId: net.params.chainId, privateKey: v.privateKey, nonce: 0n, fee, amount: 100n * 10n ** 8n }).bytes]))[0]?.ok).to.equal(true)
    let slot = await produceTo(svc, net.clock, 1n, 0n)
    const release = svc.chain.ledger.get(id)?.unbonding[0]?.releaseEpoch as bigint
    const first = release * net.params.epochSlots
    // a leader slot just before the release epoch, not produced yet
    let late = first - 1n
    while (slot < first - 1n) {
      slot++
      net.clock.toSlot(slot)
      if (slot < first - 1n) await svc.produce(slot)
    }
    for (; late > 0n && produceBlock(svc.chain, v, late, []) === undefined; late--);
    // the clock is in the release epoch: the pool admits a spend of the released stake
    net.clock.toSlot(first)
    const all = svc.chain.ledger.spendable(id, release)
    const [o] = await svc.addTransactions([buildTransfer({ chainId: net.params.chainId, privateKey: v.privateKey, nonce: 1n, fee, to: accountIdOf(net.faucet.publicKey), amount: all - fee }).bytes])
    expect(o?.ok).to.equal(true)
    // produce for the earlier slot runs now: the spend is not valid in that epoch's block, so it is
    // left for a later block, not dropped from the pool
    const block = await svc.produce(late)
    expect(block?.txs).to.have.length(0)
    expect(svc.mempool.size).to.equal(1)
    await svc.close()
  })

  it('a transaction that fails block assembly leaves the mempool with its sender\'s later ones; the slot still gets its block', async () => {
    const net = testDevnet(1, { label: 'assembly-drop' })
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    const to = accountIdOf(net.validators[0]!.publicKey)
    const t = (nonce: bigint): Uint8Array => buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce, fee: 1000n, to, amount: 5n }).bytes
    expect((await svc.addTransactions([t(0n), t(1n), t(2n)])).every((o) => o.ok)).to.equal(true)
    // A candidate list the block rules refuse (the mempool's view and the block can disagree: a
    // clock at an epoch edge, rules the mempool leaves to the block): nonce 1 comes first.
    const select = svc.mempool.select.bind(svc.mempool)
    svc.mempool.select = (view, limits) => { const txs = select(view, limits); return [txs[1] as SignedTx, txs[0] as SignedTx, txs[2] as SignedTx] }
    await produceTo(svc, net.clock, 1n, 0n)
    // nonce 1 failed: it and nonce 2 (which needs it) left the block and the mempool; nonce 0 is in
    expect(svc.chain.head.block?.txs.map((x) => x.body.nonce)).to.deep.equal([0n])
    expect(svc.mempool.size).to.equal(0)
    await svc.close()
  })

  it('assembly gives up on candidates after MAX_ASSEMBLY_RETRIES failures and builds an empty block, never none', async () => {
    const net = testDevnet(1, { label: 'assembly-empty' })
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    const to = accountIdOf(net.validators[0]!.publicKey)
    // 40 transfers of nonce 5 from 40 fresh keys: each fails (unfunded sender, nonce gap)
    const bad = Array.from({ length: 40 }, (_, i) => decodeTx(buildTransfer({ chainId: net.params.chainId, privateKey: sha256(Uint8Array.of(i)), nonce: 5n, fee: 1000n, to, amount: 1n }).bytes))
    const good = decodeTx(buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 1000n, to, amount: 1n }).bytes)
    let block
    let dropped = 0
    for (let slot = 1n; block === undefined && slot < 200n; slot++) {
      net.clock.toSlot(slot)
      block = produceBlock(svc.chain, net.validators[0]!, slot, [good, ...bad], () => { dropped++ })
    }
    expect(block).to.not.equal(undefined)
    expect(block?.txs).to.have.length(0)
    expect(dropped).to.equal(17)
    // with fewer failures than the bound, the valid candidates stay in
    block = undefined
    for (let slot = 1n; block === undefined && slot < 200n; slot++) block = produceBlock(svc.chain, net.validators[0]!, slot, [...bad.slice(0, 5), good])
    expect(block?.txs.map((x) => toHex(x.id))).to.deep.equal([toHex(good.id)])
    await svc.close()
  })
})

describe('chain/service: what the operator of a validator is told', function () {
  this.timeout(20_000)
  type Line = { level: string, msg: string, fields?: Record<string, unknown> }
  const capture = (): { lines: Line[], log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void } => {
    const lines: Line[] = []
    return { lines, log: (level, msg, fields) => { lines.push({ level, msg, fields }) } }
  }

  it('a validator key without bonded stake on this chain is warned about at start; a staked one is not', async () => {
    const net = testDevnet(1, { label: 'no-stake-key' })
    const bare = capture()
    await (await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.faucet, log: bare.log })).close()
    expect(bare.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).to.have.length(1)
    expect(bare.lines.find((l) => l.level === 'warn')?.msg).to.match(/no bonded stake/)
    const staked = capture()
    await (await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0], log: staked.log })).close()
    expect(staked.lines.filter((l) => l.level === 'warn')).to.deep.equal([])
  })

  it('one key on two nodes: a block of ours we never signed is an error in the log, and so is our own equivocation', async () => {
    const net = testDevnet(1, { label: 'one-key-two-nodes' })
    const here = capture()
    const a = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0], log: here.log })
    const b = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    // a former run's blocks (before A opened: A was resynced from scratch) are no alarm
    const old = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    const oldSlot = await produceTo(old, net.clock, 1n, 0n)
    net.clock.toSlot(oldSlot + 1n)
    const resynced = capture()
    const r = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0], log: resynced.log })
    await r.importBlock((old.chain.head.block as { bytes: Uint8Array }).bytes, { peer: 'peer-old' })
    expect(resynced.lines.filter((l) => l.level === 'error')).to.deep.equal([])
    await r.close()
    await old.close()
    // B (the same key elsewhere) produces a block A never signed
    const slot = await produceTo(b, net.clock, 1n, 0n)
    await a.importBlock((b.chain.head.block as { bytes: Uint8Array }).bytes, { peer: 'peer-b' })
    const errors = (): Line[] => here.lines.filter((l) => l.level === 'error')
    expect(errors()).to.have.length(1)
    expect(errors()[0]?.msg).to.match(/running on another node/)
    expect(errors()[0]?.fields).to.deep.equal({ slot: slot.toString(), from: 'peer-b' })
    // A's own block for the next slot B leads as well: two blocks by our key for one slot
    let s = slot
    let mine: Uint8Array | undefined
    let theirs: Uint8Array | undefined
    const to = accountIdOf(net.faucet.publicKey)
    await b.addTransactions([buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: net.params.minFee, to, amount: 1n }).bytes])
    for (let i = 0; i < 200 && mine === undefined; i++) {
      s++
      net.clock.toSlot(s)
      const ours = await a.produce(s)
      if (ours === undefined) continue
      mine = ours.bytes
      theirs = (await b.produce(s))?.bytes
    }
    expect(theirs, 'B led the same slot with another block').to.not.equal(undefined)
    await a.importBlock(theirs as Uint8Array, { peer: 'peer-b' })
    expect(errors().map((l) => l.msg).filter((m) => /signed two different blocks/.test(m))).to.have.length(1)
    // this node never reports its own equivocation as evidence
    expect(a.mempool.size).to.equal(0)
    await a.close()
    await b.close()
  })
})
