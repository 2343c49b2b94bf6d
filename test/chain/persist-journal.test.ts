/**
 * The state journal (src/chain/state-journal.ts): head changes write their accounts as one record
 * each, a checkpoint every so many, and a restart replays the records over the checkpoint.
 */
import { expect } from 'chai'
import { randomBytes } from 'node:crypto'
import { accountIdOf } from '../../src/core/address.ts'
import { concatBytes, toHex, u64be } from '../../src/core/bytes.ts'
import { MemecoinError } from '../../src/core/errors.ts'
import type { Block } from '../../src/core/types.ts'
import { ChainService } from '../../src/chain/service.ts'
import { JOURNAL_MAX_DIFFS, StateJournal, decodeStateDiff, encodeStateDiff } from '../../src/chain/state-journal.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { encodeAccount } from '../../src/wire/messages.ts'
import { slotStepper, testDevnet } from '../helpers/devnet.ts'

const ACCOUNT = 0x05
const STATE_DIFF = 0x09
type Net = ReturnType<typeof testDevnet>

const id = (): Uint8Array => new Uint8Array(randomBytes(20))

async function keysUnder (store: MemoryStore, prefix: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const [k] of store.entries({ gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) })) out.push(k)
  return out
}

/** Every account of a service's ledger as hex id → hex Account bytes. */
function accountsOf (svc: ChainService): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [i, a] of svc.chain.ledger.entries()) out[toHex(i)] = toHex(encodeAccount(a))
  return out
}

async function open (net: Net, store: MemoryStore, maxDiffs?: number, validator = true): Promise<ChainService> {
  return await ChainService.open({
    params: net.params,
    allocations: net.config.accounts,
    store,
    now: net.clock.now,
    ...(validator ? { validator: net.validators[0] } : {}),
    ...(maxDiffs !== undefined ? { journal: { maxDiffs } } : {})
  })
}

/** `svc` produces blocks up to `height`, each with a faucet transfer to a fresh account. */
async function grow (net: Net, svc: ChainService, height: bigint, step: { next: (who: ChainService) => Promise<Block> }, nonce: { n: bigint }): Promise<void> {
  for (let i = 0; i < 200 && svc.chain.head.height < height; i++) {
    const t = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: nonce.n++, fee: 1000n, to: id(), amount: 5n })
    expect((await svc.addTransactions([t.bytes]))[0]?.ok).to.equal(true)
    await step.next(svc)
  }
  expect(svc.chain.head.height).to.equal(height)
}

describe('chain/persist: the state journal', function () {
  this.timeout(60_000)

  it('encodes and decodes a record exactly, deleted accounts included', () => {
    const entries = [{ id: id(), bytes: Uint8Array.of(1, 2, 3) }, { id: id(), bytes: undefined }, { id: id(), bytes: new Uint8Array(0) }]
    const back = decodeStateDiff(encodeStateDiff(entries))
    expect(back.map((e) => [toHex(e.id), e.bytes === undefined ? null : toHex(e.bytes)]))
      .to.deep.equal(entries.map((e) => [toHex(e.id), e.bytes === undefined ? null : toHex(e.bytes)]))
    expect(decodeStateDiff(encodeStateDiff([]))).to.deep.equal([])
  })

  it('refuses bytes that are not a record with ERR_STORE_CORRUPT', () => {
    const good = encodeStateDiff([{ id: id(), bytes: Uint8Array.of(9, 9) }])
    const bad = [
      new Uint8Array(0),
      Uint8Array.of(2, 0, 0, 0, 0), // unknown version
      good.subarray(0, good.length - 1), // truncated value
      good.subarray(0, 10), // truncated id
      concatBytes(good, Uint8Array.of(0)), // trailing byte
      Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff) // a count the bytes cannot hold
    ]
    for (const b of bad) {
      expect(() => decodeStateDiff(b), toHex(b)).to.throw(MemecoinError).with.property('code', 'ERR_STORE_CORRUPT')
    }
    expect(() => encodeStateDiff([{ id: new Uint8Array(19), bytes: undefined }])).to.throw(MemecoinError)
  })

  it('plans records until the journal is full, then a checkpoint of each changed account once', () => {
    const j = new StateJournal({ maxDiffs: 3 })
    const [a, b, c] = [id(), id(), id()]
    const value = (x: Uint8Array): Uint8Array | undefined => (x === c ? undefined : x.subarray(0, 4))
    const p0 = j.plan([a, b], [a, b].map(toHex), value)
    const p1 = j.plan([b, c], [b, c].map(toHex), value)
    expect(p0).to.include({ kind: 'record', seq: 0n })
    expect(p1).to.include({ kind: 'record', seq: 1n })
    expect(decodeStateDiff((p1 as { bytes: Uint8Array }).bytes).map((e) => [toHex(e.id), e.bytes === undefined])).to.deep.equal([[toHex(b), false], [toHex(c), true]])
    expect([j.records, j.dirty]).to.deep.equal([2, 3])
    const p2 = j.plan([a], [a].map(toHex), value)
    expect(p2.kind).to.equal('checkpoint')
    if (p2.kind !== 'checkpoint') return
    expect(p2.accounts.map(toHex).sort()).to.deep.equal([a, b, c].map(toHex).sort())
    expect(p2.drop).to.deep.equal({ first: 0n, next: 2n })
    expect([j.records, j.dirty]).to.deep.equal([0, 0])
    // the sequence goes on after a checkpoint
    expect(j.plan([a], [a].map(toHex), value)).to.include({ kind: 'record', seq: 2n })
    // too many accounts changed since the checkpoint: a checkpoint before the journal is full
    const small = new StateJournal({ maxDiffs: 100, maxDirty: 2 })
    expect(small.plan([a, b], [a, b].map(toHex), value).kind).to.equal('record')
    expect(small.plan([c], [c].map(toHex), value).kind).to.equal('checkpoint')
    // a key per account, or nothing is planned
    expect(() => small.plan([a, b], [toHex(a)], value)).to.throw(RangeError)
    expect(() => new StateJournal({ maxDiffs: 0 })).to.throw(RangeError)
    expect(() => new StateJournal({ maxDirty: 1.5 })).to.throw(RangeError)
  })

  it('writes one record per head change between checkpoints; a restart replays them to the same state and goes on from them', async () => {
    const net = testDevnet(1, { label: 'journal', k: 4n })
    const store = new MemoryStore()
    const step = slotStepper(net.clock, 1000)
    const nonce = { n: 0n }
    const svc = await open(net, store, 8)
    await grow(net, svc, 21n, step, nonce)
    // 21 head changes: checkpoints at the 8th and 16th, records for the 5 after
    const seqs = (await keysUnder(store, STATE_DIFF)).map((k) => k.subarray(1))
    expect(seqs.map(toHex)).to.deep.equal([14n, 15n, 16n, 17n, 18n].map((s) => toHex(u64be(s))))
    // the checkpoint holds the faucet as it was at height 16, the journal its later value
    const faucet = accountIdOf(net.faucet.publicKey)
    const checkpointed = await store.get(concatBytes(Uint8Array.of(ACCOUNT), faucet))
    expect(toHex(checkpointed as Uint8Array)).to.not.equal(toHex(svc.chain.ledger.encoded(faucet) as Uint8Array))
    // accounts created after the checkpoint are only in the journal
    const stored = (await keysUnder(store, ACCOUNT)).length
    expect(stored).to.be.lessThan(svc.chain.ledger.size)
    const live = accountsOf(svc)
    const root = toHex(svc.chain.ledger.root())
    await svc.close()

    const re = await open(net, store, 8)
    try {
      expect(re.chain.head.height).to.equal(21n)
      expect(toHex(re.chain.ledger.root())).to.equal(root)
      expect(accountsOf(re)).to.deep.equal(live)
      // the journal goes on where it was: two more records, then a checkpoint that drops all seven
      await grow(net, re, 23n, step, nonce)
      expect((await keysUnder(store, STATE_DIFF)).length).to.equal(7)
      await grow(net, re, 24n, step, nonce)
      expect(await keysUnder(store, STATE_DIFF)).to.deep.equal([])
      expect((await keysUnder(store, ACCOUNT)).length).to.equal(re.chain.ledger.size)
      for (const [i, a] of re.chain.ledger.entries()) {
        expect(toHex(await store.get(concatBytes(Uint8Array.of(ACCOUNT), i)) as Uint8Array)).to.equal(toHex(encodeAccount(a)))
      }
    } finally {
      await re.close()
    }
    // other limits on the next start read the same store
    const again = await open(net, store)
    try {
      expect(again.chain.head.height).to.equal(24n)
      await grow(net, again, 26n, step, nonce)
      expect((await keysUnder(store, STATE_DIFF)).length).to.equal(2)
      expect(JOURNAL_MAX_DIFFS).to.be.greaterThan(2)
    } finally {
      await again.close()
    }
  })

  it('a reorg across checkpoints of the journal reopens at the winning branch\'s state, whatever the limits of the next start', async () => {
    const net = testDevnet(1, { label: 'journal-reorg', k: 10n })
    const step = slotStepper(net.clock, 1000)
    const a = await open(net, new MemoryStore())
    const b = await open(net, new MemoryStore())
    const store = new MemoryStore()
    const svc = await open(net, store, 3, false)
    try {
      const nonce = { n: 0n }
      await grow(net, a, 4n, step, nonce)
      for (let h = 1n; h <= 4n; h++) await b.importBlock(a.chain.blockAt(h)?.block as Block)
      // A and B go apart at height 5: each pays its own fresh accounts from the same nonces on
      const forkNonce = nonce.n
      await grow(net, a, 8n, step, nonce)
      await grow(net, b, 10n, step, { n: forkNonce })
      for (let h = 1n; h <= 8n; h++) await svc.importBlock(a.chain.blockAt(h)?.block as Block)
      expect(svc.chain.head.hex).to.equal(a.chain.head.hex)
      for (let h = 5n; h <= 10n; h++) await svc.importBlock(b.chain.blockAt(h)?.block as Block)
      expect(svc.chain.head.hex).to.equal(b.chain.head.hex)
      expect(svc.counters.reorgs).to.be.greaterThan(0)
      await svc.close()
      for (const maxDiffs of [3, 1, undefined]) {
        const re = await open(net, store, maxDiffs, false)
        try {
          expect(re.chain.head.hex).to.equal(b.chain.head.hex)
          expect(toHex(re.chain.ledger.root())).to.equal(toHex(b.chain.ledger.root()))
          expect(accountsOf(re)).to.deep.equal(accountsOf(b))
        } finally {
          await re.close()
        }
      }
    } finally {
      await svc.close()
      await a.close()
      await b.close()
    }
  })

  it('refuses to open on a damaged record, a gap in the journal or a malformed key (ERR_STORE_CORRUPT), and a store written before (no journal) opens as it was', async () => {
    const net = testDevnet(1, { label: 'journal-damage', k: 4n })
    const step = slotStepper(net.clock, 1000)
    const store = new MemoryStore()
    const svc = await open(net, store, 64)
    await grow(net, svc, 6n, step, { n: 0n })
    const root = toHex(svc.chain.ledger.root())
    await svc.close()
    const records = await keysUnder(store, STATE_DIFF)
    expect(records.length).to.equal(6)
    const original = await store.get(records[2] as Uint8Array) as Uint8Array

    const openErr = async (): Promise<unknown> => await open(net, store).then(async (s) => { await s.close(); return undefined }, (e: unknown) => e)
    // damaged bytes, then an account value that does not decode, then a record missing
    await store.batch([{ type: 'put', key: records[2] as Uint8Array, value: original.subarray(0, original.length - 3) }])
    expect(await openErr()).to.be.instanceOf(MemecoinError).with.property('code', 'ERR_STORE_CORRUPT')
    const badValue = original.slice()
    badValue[5 + 20 + 4] = 0xff
    await store.batch([{ type: 'put', key: records[2] as Uint8Array, value: badValue }])
    expect(await openErr()).to.be.instanceOf(MemecoinError).with.property('code', 'ERR_STORE_CORRUPT')
    await store.batch([{ type: 'del', key: records[2] as Uint8Array }])
    expect(await openErr()).to.be.instanceOf(MemecoinError).with.property('code', 'ERR_STORE_CORRUPT')
    await store.batch([{ type: 'put', key: records[2] as Uint8Array, value: original }])
    // a key under the journal's prefix that is not 0x09 ‖ u64be(sequence)
    const oddKey = Uint8Array.of(STATE_DIFF, 0, 0, 0)
    await store.batch([{ type: 'put', key: oddKey, value: original }])
    expect(await openErr()).to.be.instanceOf(MemecoinError).with.property('code', 'ERR_STORE_CORRUPT')
    await store.batch([{ type: 'del', key: oddKey }])

    // the layout before the journal: every account under 0x05, no record
    const ops = []
    const re = await open(net, store)
    const live = accountsOf(re)
    await re.close()
    for (const [hex, bytes] of Object.entries(live)) ops.push({ type: 'put' as const, key: concatBytes(Uint8Array.of(ACCOUNT), Buffer.from(hex, 'hex')), value: new Uint8Array(Buffer.from(bytes, 'hex')) })
    for (const k of records) ops.push({ type: 'del' as const, key: k })
    await store.batch(ops)
    const old = await open(net, store)
    try {
      expect(toHex(old.chain.ledger.root())).to.equal(root)
      await grow(net, old, 7n, step, { n: 6n })
      expect((await keysUnder(store, STATE_DIFF)).map((k) => toHex(k.subarray(1)))).to.deep.equal([toHex(u64be(0n))])
    } finally {
      await old.close()
    }
  })
})
