import { expect } from 'chai'
import { accountIdOf } from '../../src/core/address.ts'
import { concatBytes, toHex, utf8 } from '../../src/core/bytes.ts'
import type { UndoRecord } from '../../src/core/ledger.ts'
import type { Block } from '../../src/core/types.ts'
import { ChainService } from '../../src/chain/service.ts'
import { decodeUndo, encodeUndo } from '../../src/chain/undo.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { encodeAccount } from '../../src/wire/messages.ts'
import { testDevnet } from '../helpers/devnet.ts'
import { chainWithTransfers, openValidator, twoProducersAndFollower, type TestNet } from '../helpers/stored-chain.ts'

const UNDO = 0x08
const NODE = 0x03

/** Ids and previous Account bytes of an undo record, comparable with deep equality. */
function plain (r: UndoRecord | Uint8Array | undefined): unknown {
  if (r === undefined) return undefined
  const u = r instanceof Uint8Array ? decodeUndo(r) : r
  return {
    accounts: u.accounts.map((a) => [toHex(a.id), a.prev === undefined ? null : toHex(encodeAccount(a.prev))]),
    slashed: u.slashed.map((x) => [toHex(x.proposer), x.slot.toString(), x.added])
  }
}

async function undoKeys (store: MemoryStore): Promise<string[]> {
  const out: string[] = []
  for await (const [k] of store.entries({ gte: Uint8Array.of(UNDO), lt: Uint8Array.of(UNDO + 1) })) out.push(toHex(k.subarray(1)))
  return out.sort()
}

/** A one-validator chain of 30 blocks with transfers, k = 4, on a MemoryStore. */
async function chainOf30 (): Promise<{ net: TestNet, store: MemoryStore, svc: ChainService }> {
  return await chainWithTransfers(30n, 'undo-keys')
}

describe('chain/persist: undo records', function () {
  this.timeout(60_000)

  it('encodes and decodes an undo record exactly (absent and present accounts, slashed entries)', () => {
    const u: UndoRecord = {
      accounts: [
        { id: new Uint8Array(20).fill(1), prev: undefined },
        { id: new Uint8Array(20).fill(2), prev: { balance: 5n, nonce: 3n, stake: 0n, unbonding: [] } },
        { id: new Uint8Array(20).fill(3), prev: { balance: 0n, nonce: 0n, stake: 9n, unbonding: [{ amount: 4n, releaseEpoch: 12n }] } }
      ],
      slashed: [{ proposer: new Uint8Array(33).fill(2), slot: (1n << 64n) - 1n, added: true }, { proposer: new Uint8Array(33).fill(3), slot: 0n, added: false }]
    }
    const bytes = encodeUndo(u)
    expect(plain(decodeUndo(bytes))).to.deep.equal(plain(u))
    expect(plain(decodeUndo(encodeUndo({ accounts: [], slashed: [] })))).to.deep.equal({ accounts: [], slashed: [] })
  })

  it('refuses bytes that are not an undo record with ERR_STORE_CORRUPT', () => {
    const good = encodeUndo({ accounts: [{ id: new Uint8Array(20).fill(2), prev: { balance: 5n, nonce: 3n, stake: 0n, unbonding: [] } }], slashed: [{ proposer: new Uint8Array(33).fill(2), slot: 1n, added: true }] })
    const flagAt = good.length - 1
    const badFlag = Uint8Array.from(good)
    badFlag[flagAt] = 2
    const badVersion = Uint8Array.from(good)
    badVersion[0] = 9
    const cases: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['truncated', good.subarray(0, good.length - 3)],
      ['trailing', concatBytes(good, Uint8Array.of(0))],
      ['flag', badFlag],
      ['version', badVersion],
      ['length past the end', concatBytes(good.subarray(0, 25), Uint8Array.of(0x7f, 0xff, 0xff, 0xff))]
    ]
    for (const [name, b] of cases) {
      expect(() => decodeUndo(b), name).to.throw().with.property('code', 'ERR_STORE_CORRUPT')
    }
  })

  it('keeps the undo records of the last k + 2 canonical blocks only, and a restart loads those of the last k + 1', async () => {
    const { net, store, svc } = await chainOf30()
    try {
      const k = net.params.k
      const expected: string[] = []
      for (let h = 30n - k - 1n; h <= 30n; h++) expected.push(svc.chain.blockAt(h)?.hex as string)
      expect(await undoKeys(store)).to.deep.equal(expected.sort())
      // no undo record in any block's metadata any more
      for await (const [, v] of store.entries({ gte: Uint8Array.of(NODE), lt: Uint8Array.of(NODE + 1) })) expect(JSON.parse(new TextDecoder().decode(v))).to.not.have.property('undo')
      const reopened = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now })
      try {
        for (let h = 30n - k; h <= 30n; h++) {
          const live = svc.chain.blockAt(h)?.undo
          expect(live, `height ${h}`).to.not.equal(undefined)
          expect(plain(reopened.chain.blockAt(h)?.undo), `height ${h}`).to.deep.equal(plain(live))
        }
      } finally {
        await reopened.close()
      }
    } finally {
      await svc.close()
    }
  })

  it('keeps in memory the very bytes it stores as each block\'s undo record (reorgs decode them: test/chain/chain.test.ts)', async () => {
    const { net, store, svc } = await chainOf30()
    try {
      for (let h = 30n - net.params.k; h <= 30n; h++) {
        const node = svc.chain.blockAt(h)
        const stored = await store.get(concatBytes(Uint8Array.of(UNDO), node?.hash as Uint8Array))
        expect(node?.undo, `height ${h}`).to.be.instanceOf(Uint8Array)
        expect(toHex(node?.undo as Uint8Array), `height ${h}`).to.equal(toHex(stored as Uint8Array))
        // the faucet (payer) and the validator (payee and proposer) before the block
        expect(decodeUndo(node?.undo as Uint8Array).accounts.map((a) => toHex(a.id)).sort(), `height ${h}`)
          .to.deep.equal([toHex(accountIdOf(net.faucet.publicKey)), toHex(accountIdOf(net.validators[0]!.publicKey))].sort())
      }
    } finally {
      await svc.close()
    }
  })

  it('still reads a database written before: undo records as JSON in the block metadata', async () => {
    const { net, store, svc } = await chainOf30()
    try {
      // rewrite the last k + 1 blocks the way the previous version stored them
      for (let h = 30n - net.params.k; h <= 30n; h++) {
        const node = svc.chain.blockAt(h)
        const u = decodeUndo(node?.undo as Uint8Array)
        const nodeKey = concatBytes(Uint8Array.of(NODE), node?.hash as Uint8Array)
        const meta = JSON.parse(new TextDecoder().decode(await store.get(nodeKey))) as Record<string, unknown>
        meta.undo = {
          accounts: u.accounts.map((a) => ({ id: toHex(a.id), prev: a.prev === undefined ? null : toHex(encodeAccount(a.prev)) })),
          slashed: u.slashed.map((x) => ({ proposer: toHex(x.proposer), slot: x.slot.toString(), added: x.added }))
        }
        await store.batch([{ type: 'put', key: nodeKey, value: utf8(JSON.stringify(meta)) }, { type: 'del', key: concatBytes(Uint8Array.of(UNDO), node?.hash as Uint8Array) }])
      }
      const reopened = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now })
      try {
        for (let h = 30n - net.params.k; h <= 30n; h++) expect(plain(reopened.chain.blockAt(h)?.undo), `height ${h}`).to.deep.equal(plain(svc.chain.blockAt(h)?.undo))
      } finally {
        await reopened.close()
      }
    } finally {
      await svc.close()
    }
  })

  it('refuses to open on a damaged undo record of either form (ERR_STORE_CORRUPT), not at a later reorg', async () => {
    for (const form of ['json', 'binary'] as const) {
      const { net, store, svc } = await chainOf30()
      const head = svc.chain.blockAt(30n)
      await svc.close()
      const nodeKey = concatBytes(Uint8Array.of(NODE), head?.hash as Uint8Array)
      const undoKey = concatBytes(Uint8Array.of(UNDO), head?.hash as Uint8Array)
      if (form === 'json') {
        // an account id of 19 bytes, as a damaged database of the version before could hold
        const meta = JSON.parse(new TextDecoder().decode(await store.get(nodeKey))) as Record<string, unknown>
        meta.undo = { accounts: [{ id: '00'.repeat(19), prev: null }], slashed: [] }
        await store.batch([{ type: 'put', key: nodeKey, value: utf8(JSON.stringify(meta)) }, { type: 'del', key: undoKey }])
      } else {
        const bytes = await store.get(undoKey) as Uint8Array
        await store.batch([{ type: 'put', key: undoKey, value: bytes.subarray(0, bytes.length - 1) }])
      }
      let error: unknown
      try {
        const reopened = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now })
        await reopened.close()
      } catch (err) {
        error = err
      }
      expect(error, form).to.have.property('code', 'ERR_STORE_CORRUPT')
      expect(String((error as Error).message), form).to.match(/undo record/)
    }
  })

  it('keeps the record of a block that one persisted change undoes and applies again (a later restart can still reorg past it)', async () => {
    const { net, a, b, svc, store, next, close } = await twoProducersAndFollower('undo-merged')
    try {
      while (a.chain.head.height < 9n) await b.importBlock(await next(a))
      const B = await next(a) // height 10 on A's chain
      const side: Block[] = []
      for (let i = 0; i < 4; i++) side.push(await next(b)) // heights 10…13 on B's chain, without B
      const D = await next(a)
      const E = await next(a) // heights 11, 12 on B
      for (let h = 1n; h <= 9n; h++) await svc.importBlock(a.chain.blockAt(h)?.block as Block)
      await svc.importBlock(B)
      // Two head changes persisted in one batch, as persistChanges merges what the chain did
      // meanwhile: the side branch's first two blocks undo B, then D and E apply B again.
      const chain = svc.chain
      chain.importBlock(side[0] as Block)
      chain.importBlock(side[1] as Block)
      chain.importBlock(D)
      chain.importBlock(E)
      expect(chain.head.hex).to.equal(toHex(E.header.hash))
      await (svc as unknown as { persistChanges: () => Promise<void> }).persistChanges()
      expect(await store.get(concatBytes(Uint8Array.of(UNDO), B.header.hash))).to.not.equal(undefined)
      await svc.close()
      const re = await openValidator(net, store)
      try {
        expect(re.chain.blockAt(10n)?.undo).to.not.equal(undefined)
        // the side branch is now longer (height 13): switching to it undoes E, D and B
        for (const blk of side) await re.importBlock(blk)
        expect(re.chain.head.hex).to.equal(toHex((side[3] as Block).header.hash))
      } finally {
        await re.close()
      }
    } finally {
      await close()
    }
  })

  it('a start deletes the records a long adopted run left behind (blocks already gone from memory when it was written)', async () => {
    const net = testDevnet(1, { label: 'undo-sweep', k: 4n })
    const producer = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    const store = new MemoryStore()
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now })
    try {
      const blocks: Block[] = []
      for (let slot = 1n; slot < 3000n && producer.chain.head.height < 30n; slot++) {
        net.clock.toSlot(slot)
        const blk = await producer.produce(slot)
        if (blk !== undefined) blocks.push(blk)
      }
      expect(blocks).to.have.length(30)
      for (const blk of blocks.slice(0, 10)) await svc.importBlock(blk)
      // blocks 12…30 arrive first (orphans), then 11: one head change applies all twenty
      for (const blk of blocks.slice(11).reverse()) await svc.importBlock(blk).catch((err: { rule?: string }) => { if (err.rule !== 'B-5') throw err })
      await svc.importBlock(blocks[10] as Block)
      expect(svc.chain.head.height).to.equal(30n)
      expect((await undoKeys(store)).length).to.be.greaterThan(6) // heights 5…10 stayed behind
      await svc.close()
      const re = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now })
      try {
        // what a restart reads (the last k + 1) is there; nothing outside the k + 2 loaded is
        const k = net.params.k
        const window: string[] = []
        for (let h = 30n - k - 1n; h <= 30n; h++) window.push(re.chain.blockAt(h)?.hex as string)
        const held = await undoKeys(store)
        expect(held.every((x) => window.includes(x)), 'only records of loaded blocks').to.equal(true)
        for (const x of window.slice(1)) expect(held).to.include(x)
        for (let h = 30n - k; h <= 30n; h++) expect(re.chain.blockAt(h)?.undo, `height ${h}`).to.not.equal(undefined)
      } finally {
        await re.close()
      }
    } finally {
      await svc.close()
      await producer.close()
    }
  })
})
