/**
 * The transaction index behind the API, in the chain's own LevelDB store: `GET /txs/:id`,
 * `GET /accounts/:a/txs` and the metrics follow head changes; blocks produced while the API was
 * stopped are indexed when it starts again; and after the whole node (store, chain, API) is
 * reopened the index is already complete. Everything started is stopped and the directory removed.
 */
import { expect } from 'chai'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addressOf } from '../../src/core/address.ts'
import { toHex } from '../../src/core/bytes.ts'
import type { Block } from '../../src/core/types.ts'
import { ChainService } from '../../src/chain/service.ts'
import { LevelStore } from '../../src/storage/level.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { createApiServer, type ApiServer } from '../../src/api/index.ts'
import type { ValidatorKey } from '../../src/chain/producer.ts'
import { keyFromLabel, MEME } from '../helpers/chain-fixture.ts'
import { testDevnet } from '../helpers/devnet.ts'

describe('api: the transaction index in the chain\'s store', function () {
  this.timeout(30_000)
  const { config, params, validators, faucet } = testDevnet(1, { label: 'txindex-api', slotMs: 100n })
  const validator = validators[0] as ValidatorKey
  const recipient = keyFromLabel('txindex-api:recipient')
  let t = config.genesisTime
  let slot = 0n
  let dir: string
  let store: LevelStore | undefined
  let svc: ChainService | undefined
  let api: ApiServer | undefined

  const open = async (): Promise<void> => {
    store = new LevelStore(join(dir, 'db'))
    await store.open()
    svc = await ChainService.open({ params, allocations: config.accounts, store, now: () => t, validator })
    api = createApiServer({ chain: svc, store, port: 0 })
    await api.start()
  }
  const close = async (): Promise<void> => {
    await api?.stop()
    await svc?.close()
    await store?.close()
    api = undefined
    svc = undefined
    store = undefined
  }
  /** Steps the clock slot by slot until the validator produces (bounded). */
  const produce = async (): Promise<Block> => {
    for (let i = 0; i < 500; i++) {
      slot++
      t = config.genesisTime + slot * params.slotMs
      const b = await (svc as ChainService).produce(slot)
      if (b !== undefined) return b
    }
    throw new Error('no block in 500 slots')
  }
  const send = async (nonce: bigint): Promise<string> => {
    const tx = buildTransfer({ chainId: params.chainId, privateKey: faucet.privateKey, nonce, fee: params.minFee, to: recipient.id, amount: MEME })
    const [o] = await (svc as ChainService).addTransactions([tx.bytes])
    expect(o?.ok).to.equal(true)
    return toHex(tx.id)
  }
  const get = async (path: string): Promise<{ status: number, body: any }> => {
    const res = await fetch((api as ApiServer).url + path)
    return { status: res.status, body: await res.json() }
  }
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch((api as ApiServer).url + '/metrics')).text()
    const line = text.split('\n').find((l) => l.startsWith(name + ' '))
    return Number(line?.split(' ')[1])
  }

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'memecoin-txindex-api-')) })
  after(async () => {
    await close()
    await rm(dir, { recursive: true, force: true })
  })

  it('follows the head, catches up after a stop, and is complete after a reopen', async () => {
    await open()
    const first = await send(0n)
    const b1 = await produce()
    expect(b1.txs.map((x) => toHex(x.id))).to.deep.equal([first])
    const r1 = await get(`/txs/${first}`)
    expect(r1.status).to.equal(200)
    expect(r1.body).to.deep.include({ status: 'included', blockHash: toHex(b1.header.hash), height: b1.header.header.height.toString(), index: 0 })
    expect(await metric('memecoin_api_tx_index_entries')).to.equal(1)

    // blocks while the API (and its index) is stopped
    await (api as ApiServer).stop()
    const second = await send(1n)
    const b2 = await produce()
    await produce()
    await (api as ApiServer).start() // runs the first catch-up tick (up to 64 blocks) before listening
    expect((await get(`/txs/${second}`)).body).to.deep.include({ status: 'included', blockHash: toHex(b2.header.hash) })
    const head = (svc as ChainService).chain.head.height
    const h = await get(`/accounts/${addressOf(recipient.publicKey)}/txs`)
    expect(h.body).to.deep.include({ total: 2, oldestIndexedHeight: '0', indexedHeight: head.toString() })
    expect(h.body.txs.map((x: any) => x.tx.id)).to.deep.equal([second, first])
    expect(await metric('memecoin_api_tx_index_height')).to.equal(Number(head))
    expect(await metric('memecoin_api_tx_index_failed')).to.equal(0)

    // the whole node reopened: nothing to catch up
    await close()
    await open()
    expect((await get(`/txs/${first}`)).body).to.deep.include({ status: 'included', height: b1.header.header.height.toString() })
    expect(await metric('memecoin_api_tx_index_entries')).to.equal(2)
    expect(await metric('memecoin_api_tx_index_height')).to.equal(Number(head))
    const missing = await get(`/txs/${'ab'.repeat(32)}`)
    expect(missing.status).to.equal(404)
    expect(missing.body.error.code).to.equal('ERR_NOT_FOUND')
  })
})
