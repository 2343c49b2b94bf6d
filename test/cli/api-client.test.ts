/**
 * The CLI's API client against a tiny local HTTP server on 127.0.0.1: typed answers, the API's
 * refusals as MemecoinErrors with the API's code, and clear errors for a closed port, a slow
 * server, an oversized or non-JSON answer. Every server is closed in after().
 */
import { expect } from 'chai'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ApiClientError, createApiClient, MAX_API_RESPONSE_BYTES, normalizeApiUrl } from '../../src/cli/api-client.ts'
import { MemecoinError } from '../../src/core/errors.ts'
import { freePort } from './cli-helpers.ts'

const ADDRESS = 'meme1ntldhulwxe39tr4n684s5jdrkll66hdtjf3ktc'
const STATUS = {
  chainId: '0011223344556677', genesisHash: 'ab'.repeat(32), height: '12', headHash: 'cd'.repeat(32), headSlot: '30',
  slot: '31', epoch: '0', settledHeight: '0', settledHash: 'ab'.repeat(32), peers: 1, mempool: 0, mempoolBytes: 0, orphans: 0, syncing: false
}
const ACCOUNT = {
  address: ADDRESS, height: '12', headHash: 'cd'.repeat(32), balance: '150000000', spendable: '150000000', nonce: '3',
  stake: '0', unbonding: [], pending: 1, nextNonce: '4'
}
const TX_ID = 'ef'.repeat(32)

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void

function json (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

describe('cli/api-client', () => {
  let server: Server
  let base: string
  const routes = new Map<string, Route>()
  const seen: Array<{ method: string, url: string, body: string, type: string | undefined }> = []

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        seen.push({ method: req.method ?? '', url: req.url ?? '', body, type: req.headers['content-type'] })
        const route = routes.get(`${req.method ?? ''} ${req.url ?? ''}`)
        if (route === undefined) json(res, 404, { error: { code: 'ERR_NOT_FOUND', message: 'no such endpoint' } })
        else route(req, res, body)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    routes.set('GET /status', (_q, r) => { json(r, 200, STATUS) })
    routes.set(`GET /accounts/${ADDRESS}`, (_q, r) => { json(r, 200, ACCOUNT) })
    routes.set('POST /txs', (_q, r, body) => {
      const tx = (JSON.parse(body) as { tx: string }).tx
      if (tx === '00') json(r, 400, { error: { code: 'ERR_INSUFFICIENT_BALANCE', message: 'balance 5 below 10', rule: 'TX-7' } })
      else if (tx === '01') json(r, 503, { error: { code: 'ERR_MEMPOOL_FULL', message: 'mempool full' } })
      else json(r, 202, { id: TX_ID })
    })
    routes.set(`GET /txs/${TX_ID}`, (_q, r) => { json(r, 200, { id: TX_ID, status: 'included', blockHash: 'aa'.repeat(32), height: '13', index: 0, canonical: true, settled: false, confirmations: '1', tx: {} }) })
    routes.set('GET /validators', (_q, r) => { json(r, 200, { height: '1', epoch: '0', totalStake: '1', activeTotalStake: '1', validators: [] }) })
    // prefixes: a client made for `${base}/x` asks for `/x/status`
    routes.set('GET /slow/status', () => { /* never answers */ })
    routes.set('GET /html/status', (_q, r) => { r.writeHead(502, { 'content-type': 'text/html' }); r.end('<html>bad gateway</html>') })
    routes.set('GET /malformed/status', (_q, r) => { json(r, 200, { ...STATUS, chainId: 5 }) })
    routes.set('GET /huge/status', (_q, r) => {
      r.writeHead(200, { 'content-type': 'application/json' })
      r.end('"' + 'x'.repeat(MAX_API_RESPONSE_BYTES + 10) + '"')
    })
    routes.set('GET /bare-500/status', (_q, r) => { json(r, 500, { oops: true }) })
    // a server that answers with some fields missing or of another type
    routes.set('GET /partial/status', (_q, r) => { const { slot: _s, ...rest } = STATUS as Record<string, unknown>; json(r, 200, rest) })
    routes.set('GET /partial2/status', (_q, r) => { json(r, 200, { ...STATUS, mempool: '3' }) })
    routes.set(`GET /partial/accounts/${ADDRESS}`, (_q, r) => { const { unbonding: _u, ...rest } = ACCOUNT as Record<string, unknown>; json(r, 200, rest) })
    routes.set(`GET /partial2/accounts/${ADDRESS}`, (_q, r) => { json(r, 200, { ...ACCOUNT, unbonding: [{ amount: 5 }] }) })
    routes.set('POST /ansi/txs', (_q, r) => { json(r, 400, { error: { code: 'ERR_X', message: 'red \u001b[31mALERT\u001b[0m\u0007 done' } }) })
  })

  after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => { resolve() }))
  })

  async function rejection (p: Promise<unknown>): Promise<MemecoinError> {
    try {
      await p
    } catch (err) {
      expect(err).to.be.instanceOf(MemecoinError)
      expect((err as Error).message).to.not.include('\n')
      return err as MemecoinError
    }
    throw new Error('expected a rejection')
  }

  it('reads status, accounts, transactions and validators as typed JSON', async () => {
    const c = createApiClient(base)
    expect((await c.status()).chainId).to.equal('0011223344556677')
    const a = await c.account(ADDRESS)
    expect(a.nextNonce).to.equal('4')
    expect(a.spendable).to.equal('150000000')
    const t = await c.tx(TX_ID)
    expect(t?.status).to.equal('included')
    expect(await c.tx('12'.repeat(32))).to.equal(undefined)
    expect((await c.validators()).validators).to.deep.equal([])
  })

  it('submits a transaction as {"tx": hex} JSON and returns its id', async () => {
    const c = createApiClient(base)
    expect(await c.submitTx(new Uint8Array([0xde, 0xad]))).to.deep.equal({ id: TX_ID })
    const post = seen.filter((s) => s.method === 'POST').at(-1)
    expect(post?.type).to.equal('application/json')
    expect(JSON.parse(post?.body ?? '')).to.deep.equal({ tx: 'dead' })
  })

  it("turns a 4xx into a MemecoinError with the API's code and message", async () => {
    const err = await rejection(createApiClient(base).submitTx(new Uint8Array([0])))
    expect(err).to.be.instanceOf(ApiClientError)
    expect(err.code).to.equal('ERR_INSUFFICIENT_BALANCE')
    expect(err.message).to.equal('balance 5 below 10')
    expect((err as ApiClientError).status).to.equal(400)
    expect(err.details).to.deep.equal({ rule: 'TX-7' })
  })

  it("keeps the API's code for a 5xx refusal too", async () => {
    const err = await rejection(createApiClient(base).submitTx(new Uint8Array([1])))
    expect(err.code).to.equal('ERR_MEMPOOL_FULL')
    expect((err as ApiClientError).status).to.equal(503)
  })

  it('reports an unreachable API (a closed port) as ERR_API_UNREACHABLE naming the URL', async () => {
    const port = await freePort()
    const err = await rejection(createApiClient(`127.0.0.1:${port}`).status())
    expect(err.code).to.equal('ERR_API_UNREACHABLE')
    expect(err.message).to.equal(`cannot reach the node API at http://127.0.0.1:${port} (is the node running?)`)
  })

  it('times out on a server that never answers, with ERR_API_TIMEOUT', async () => {
    const started = Date.now()
    const err = await rejection(createApiClient(`${base}/slow`, { timeoutMs: 300 }).status())
    expect(err.code).to.equal('ERR_API_TIMEOUT')
    expect(Date.now() - started).to.be.below(3000)
  })

  it('refuses non-JSON, malformed and oversized answers with ERR_API_RESPONSE', async () => {
    for (const prefix of ['html', 'huge', 'malformed']) {
      const err = await rejection(createApiClient(`${base}/${prefix}`).status())
      expect(err.code, prefix).to.equal('ERR_API_RESPONSE')
    }
    const bare = await rejection(createApiClient(`${base}/bare-500`).status())
    expect(bare.code).to.equal('ERR_API_RESPONSE')
    expect((bare as ApiClientError).status).to.equal(500)
  })

  it('refuses answers missing a field the commands use, or with one of another type', async () => {
    for (const prefix of ['partial', 'partial2']) {
      expect((await rejection(createApiClient(`${base}/${prefix}`).status())).code, prefix).to.equal('ERR_API_RESPONSE')
      expect((await rejection(createApiClient(`${base}/${prefix}`).account(ADDRESS))).code, prefix).to.equal('ERR_API_RESPONSE')
    }
  })

  it('never passes control characters of an API message to the terminal', async () => {
    const err = await rejection(createApiClient(`${base}/ansi`).submitTx(new Uint8Array([2])))
    expect(err.message).to.equal('red [31mALERT [0m done')
  })

  it('normalizes API URLs and refuses what is not one', () => {
    expect(normalizeApiUrl('127.0.0.1:7357')).to.equal('http://127.0.0.1:7357')
    expect(normalizeApiUrl('http://127.0.0.1:7357/')).to.equal('http://127.0.0.1:7357')
    expect(normalizeApiUrl('https://node.example:443/api/')).to.equal('https://node.example/api')
    expect(normalizeApiUrl('[::1]:7357')).to.equal('http://[::1]:7357')
    expect(normalizeApiUrl('node.lan:7357/api')).to.equal('http://node.lan:7357/api')
    expect(normalizeApiUrl('http://node.lan')).to.equal('http://node.lan') // a scheme says what it means: port 80
    // without a scheme, HOST:PORT is required (a bare word used to become http://WORD on port 80)
    for (const bad of ['ftp://x', 'http://user:pw@host:1', 'http://h:1/?q=1', 'http://', '::::', 'notaurl', 'localhost', '127.0.0.1', '127.0.0.1:', ':7357', 'host:port', '[::1]']) {
      expect(() => normalizeApiUrl(bad), bad).to.throw(MemecoinError).with.property('code', 'ERR_BAD_API_URL')
    }
  })
})
