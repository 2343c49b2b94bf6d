/** `POST /txs/batch`: many transactions in one request, one result each, in order. */
import { expect } from 'chai'
import { accountIdOf } from '../../src/core/address.ts'
import { toHex, utf8 } from '../../src/core/bytes.ts'
import { defaultDevnetGenesis } from '../../src/core/genesis.ts'
import { sha256 } from '../../src/core/hash.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../../src/core/secp256k1.ts'
import { ChainService } from '../../src/chain/service.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { chainParamsOf } from '../../src/wire/genesis.ts'
import { createApiServer, MAX_TX_BATCH, type ApiServer } from '../../src/api/index.ts'

const MEME = 10n ** 8n

function keyOf (label: string): { privateKey: Uint8Array, publicKey: Uint8Array, id: Uint8Array } {
  const privateKey = privateKeyFromEntropy(sha256(utf8(label)))
  const publicKey = publicKeyOf(privateKey)
  return { privateKey, publicKey, id: accountIdOf(publicKey) }
}

describe('api: POST /txs/batch', function () {
  this.timeout(20_000)
  const validator = keyOf('batch-test:validator')
  const faucet = keyOf('batch-test:faucet')
  const config = defaultDevnetGenesis({
    genesisTime: 1_700_000_000_000n,
    slotMs: 100n,
    chainName: 'batch-test',
    validators: [{ id: validator.id, stake: 1000n * MEME, balance: 0n }],
    faucet: { id: faucet.id, balance: 1_000_000n * MEME }
  })
  const params = chainParamsOf(config)
  let svc: ChainService
  let api: ApiServer
  let base: string
  const transfer = (nonce: bigint): string => toHex(buildTransfer({ chainId: params.chainId, privateKey: faucet.privateKey, nonce, fee: params.minFee, to: validator.id, amount: 1n }).bytes)
  const post = async (body: string, type = 'application/json'): Promise<{ status: number, body: any }> => {
    const res = await fetch(base + '/txs/batch', { method: 'POST', body, headers: { 'content-type': type } })
    return { status: res.status, body: await res.json() }
  }

  beforeEach(async () => {
    svc = await ChainService.open({ params, allocations: config.accounts, store: new MemoryStore(), now: () => config.genesisTime })
    api = createApiServer({ chain: svc, port: 0 })
    const a = await api.start()
    base = `http://${a.host}:${a.port}`
  })
  afterEach(async () => {
    await api.stop()
    await svc.close()
  })

  it('adds consecutive nonces of one sender in one request, in order, with one result each', async () => {
    const txs = [0n, 1n, 2n, 3n].map(transfer)
    const r = await post(JSON.stringify({ txs }))
    expect(r.status).to.equal(200)
    expect(r.body.results.map((x: { id: string }) => x.id)).to.deep.equal(txs.map((h) => toHex(sha256(Buffer.from(h, 'hex')))))
    expect(svc.mempool.size).to.equal(4)
    // again: already pending is not an error
    const again = await post(JSON.stringify({ txs: txs.slice(0, 1) }))
    expect(again.body.results[0].id).to.equal(r.body.results[0].id)
  })

  it('fails only the bad entries: bad hex, a nonce gap', async () => {
    const r = await post(JSON.stringify({ txs: [transfer(0n), 'zz', transfer(5n)] }))
    expect(r.status).to.equal(200)
    expect(r.body.results[0].id).to.be.a('string')
    expect(r.body.results[1].error.code).to.equal('ERR_BAD_HEX')
    expect(r.body.results[2].error.code).to.equal('ERR_NONCE_GAP')
    expect(r.body.results[2].error.rule).to.equal('TX-6')
    expect(svc.mempool.size).to.equal(1)
  })

  it('reads every hex spelling parseHex accepts (0x, upper case) and refuses the rest per entry', async () => {
    const [a, b, c] = [0n, 1n, 2n].map(transfer) as [string, string, string]
    const bad = ['', 'abc', a.slice(0, 10) + 'g' + a.slice(11), ' ' + a.slice(1), '0x']
    const r = await post(JSON.stringify({ txs: [a, '0x' + b, c.toUpperCase(), ...bad] }))
    expect(r.status).to.equal(200)
    expect(r.body.results.slice(0, 3).map((x: { id: string }) => x.id)).to.deep.equal([a, b, c].map((h) => toHex(sha256(Buffer.from(h, 'hex')))))
    expect(r.body.results.slice(3).map((x: { error: { code: string } }) => x.error.code)).to.deep.equal(bad.map(() => 'ERR_BAD_HEX'))
    expect(svc.mempool.size).to.equal(3)
  })

  it('refuses malformed requests as a whole', async () => {
    expect((await post('{"txs": []}')).body.error.code).to.equal('ERR_BAD_REQUEST')
    expect((await post('{"tx": "00"}')).body.error.code).to.equal('ERR_BAD_REQUEST')
    expect((await post('nope')).body.error.code).to.equal('ERR_BAD_JSON')
    expect((await post('')).body.error.code).to.equal('ERR_EMPTY_BODY')
    expect((await post('{"txs": ["00"]}', 'text/plain')).status).to.equal(415)
    const big = await post(JSON.stringify({ txs: new Array(MAX_TX_BATCH + 1).fill('00') }))
    expect(big.status).to.equal(400)
    expect(big.body.error.code).to.equal('ERR_BATCH_TOO_LARGE')
    expect(svc.mempool.size).to.equal(0)
  })
})
