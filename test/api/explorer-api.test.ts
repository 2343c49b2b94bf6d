/**
 * What the block explorer needs from the API server, over real HTTP on 127.0.0.1: the static files
 * (content types, ETag/304, HEAD, security headers, only the known names: no path traversal), and
 * the JSON endpoints GET /forks, GET /accounts/:address/txs and GET /peers. The chain comes from
 * explorer-fixture.ts (a transfer and a side block); every server is stopped in after().
 */
import { expect } from 'chai'
import { request } from 'node:http'
import { toHex } from '../../src/core/bytes.ts'
import { accountIdOf, encodeAddress } from '../../src/core/address.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { createApiServer, type ApiServer } from '../../src/api/index.ts'
import { explorerChain, MEME, type ExplorerChain } from './explorer-fixture.ts'

type Json = Record<string, any>

async function get (base: string, path: string, init: RequestInit = {}): Promise<{ status: number, body: Json, text: string, headers: Headers }> {
  const res = await fetch(base + path, init)
  const text = await res.text()
  let body: Json = {}
  try { body = JSON.parse(text) as Json } catch { /* not JSON */ }
  return { status: res.status, body, text, headers: res.headers }
}

/** A raw request whose path is sent exactly as given (fetch would normalize dot segments). */
async function raw (base: string, path: string): Promise<{ status: number, body: string }> {
  const url = new URL(base)
  return await new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('api: explorer files and endpoints', function () {
  this.timeout(30_000)
  let chain: ExplorerChain
  let base = ''
  const extra: ApiServer[] = []

  before(async () => {
    chain = await explorerChain()
    base = chain.base
  })

  after(async () => {
    for (const s of extra) await s.stop()
    await chain?.close()
  })

  describe('static files', () => {
    it('GET / serves index.html with caching and security headers; /explorer and /explorer/ too', async () => {
      const r = await get(base, '/')
      expect(r.status).to.equal(200)
      expect(r.headers.get('content-type')).to.equal('text/html; charset=utf-8')
      expect(r.text).to.match(/^<!doctype html>/i)
      expect(r.text).to.include('/explorer/app.js').and.include('/explorer/style.css')
      expect(r.headers.get('cache-control')).to.equal('no-cache')
      expect(r.headers.get('etag')).to.match(/^"[A-Za-z0-9_-]{27}"$/)
      expect(r.headers.get('x-content-type-options')).to.equal('nosniff')
      const csp = r.headers.get('content-security-policy') ?? ''
      expect(csp).to.include("default-src 'none'").and.include("script-src 'self'").and.include("connect-src 'self'")
      expect(Number(r.headers.get('content-length'))).to.equal(Buffer.byteLength(r.text))
      for (const p of ['/explorer', '/explorer/', '/explorer/index.html', '/?x=1']) {
        const o = await get(base, p)
        expect(o.status, p).to.equal(200)
        expect(o.text, p).to.equal(r.text)
      }
    })

    it('app.js and style.css with their content types; the page needs nothing from elsewhere', async () => {
      const js = await get(base, '/explorer/app.js')
      expect(js.status).to.equal(200)
      expect(js.headers.get('content-type')).to.equal('text/javascript; charset=utf-8')
      const css = await get(base, '/explorer/style.css')
      expect(css.status).to.equal(200)
      expect(css.headers.get('content-type')).to.equal('text/css; charset=utf-8')
      const html = (await get(base, '/')).text
      for (const text of [html, js.text, css.text]) {
        expect(text).not.to.match(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/) // no CDN, no external fonts
        expect(text).not.to.match(/@import|url\(\s*['"]?http/)
      }
      // data goes through textContent and attributes only
      expect(js.text).not.to.match(/\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/)
    })

    it('If-None-Match with the ETag gives 304; HEAD gives the headers without a body', async () => {
      const first = await get(base, '/explorer/app.js')
      const etag = first.headers.get('etag') as string
      const again = await fetch(base + '/explorer/app.js', { headers: { 'if-none-match': etag } })
      expect(again.status).to.equal(304)
      expect(await again.text()).to.equal('')
      expect(again.headers.get('etag')).to.equal(etag)
      const other = await fetch(base + '/explorer/app.js', { headers: { 'if-none-match': '"something-else"' } })
      expect(other.status).to.equal(200)
      await other.arrayBuffer()
      const head = await fetch(base + '/', { method: 'HEAD' })
      expect(head.status).to.equal(200)
      expect(head.headers.get('content-type')).to.equal('text/html; charset=utf-8')
      expect(Number(head.headers.get('content-length'))).to.be.greaterThan(100)
      expect(await head.text()).to.equal('')
    })

    it('only the known names: anything else, traversal included, is a JSON 404; other methods 405', async () => {
      for (const p of [
        '/explorer/nope.js', '/explorer/app.js/x', '/explorer/APP.JS', '/explorer/.env', '/explorer/app.js%00',
        '/explorer/..%2fstatic.ts', '/explorer/..%2F..%2Fpackage.json', '/explorer/%2e%2e%2fserver.ts', '/explorer/explorer',
        '/explorer/constructor', '/explorer/__proto__', '/explorer/toString', '/index.html', '/app.js'
      ]) {
        const r = await get(base, p)
        expect(r.status, p).to.equal(404)
        expect(r.body.error?.code, p).to.equal('ERR_NOT_FOUND')
        expect(r.headers.get('content-type'), p).to.equal('application/json; charset=utf-8')
      }
      // dot segments sent raw resolve inside the URL space first: never to a file outside the list
      for (const p of ['/explorer/../../package.json', '/explorer/../server.ts', '/explorer/./../../src/api/server.ts', '/../../etc/passwd']) {
        const r = await raw(base, p)
        expect(r.status, p).to.equal(404)
        expect(r.body, p).to.match(/^\{"error":\{"code":"ERR_NOT_FOUND"/)
      }
      expect((await raw(base, '/explorer/../explorer/style.css')).status).to.equal(200) // = /explorer/style.css
      const post = await get(base, '/', { method: 'POST', body: '{}' })
      expect(post.status).to.equal(405)
      expect(post.headers.get('allow')).to.equal('GET, HEAD')
    })
  })

  describe('GET /forks', () => {
    it('the canonical chain linked by parentHash, and the side block with its parent', async () => {
      const r = await get(base, '/forks')
      expect(r.status).to.equal(200)
      const f = r.body
      const head = chain.svc.chain.head
      expect(f.head).to.deep.equal({ hash: head.hex, height: head.height.toString() })
      expect(f.settledHeight).to.equal(chain.svc.chain.settledHeight.toString())
      expect(f.from).to.equal('1')
      const canonical = f.blocks.filter((b: Json) => b.canonical === true)
      expect(canonical.map((b: Json) => b.height)).to.deep.equal(Array.from({ length: Number(head.height) }, (_, i) => String(i + 1)))
      for (const b of canonical) expect(b.hash).to.equal(chain.svc.chain.blockAt(BigInt(b.height))?.hex)
      for (let i = 1; i < canonical.length; i++) expect(canonical[i].parentHash).to.equal(canonical[i - 1].hash)
      expect(canonical[0].parentHash).to.equal(toHex(chain.net.params.genesisHash))
      const side = f.blocks.filter((b: Json) => b.canonical === false)
      expect(side).to.have.length(1)
      expect(side[0]).to.deep.include({ hash: chain.sideHash, height: chain.forkHeight.toString(), canonical: false, settled: false, txCount: 0 })
      expect(side[0].parentHash).to.equal(chain.svc.chain.blockAt(chain.forkHeight - 1n)?.hex)
      expect(side[0].proposer).to.match(/^meme1/)
      // ascending heights, canonical first at a height
      const keys = f.blocks.map((b: Json) => [Number(b.height), b.canonical ? 0 : 1])
      expect(keys).to.deep.equal([...keys].sort((a: number[], b: number[]) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number)))
      const transfer = canonical.find((b: Json) => b.hash === chain.transfer.blockHash)
      expect(transfer.txCount).to.equal(1)
      expect(Object.keys(transfer).sort()).to.deep.equal(['canonical', 'hash', 'height', 'parentHash', 'proposer', 'settled', 'slot', 'txCount'])
    })

    it('?limit= sets the window; bad limits are 400 ERR_BAD_QUERY', async () => {
      const head = chain.svc.chain.head.height
      const r = await get(base, '/forks?limit=2')
      expect(r.body.from).to.equal((head - 1n).toString())
      expect(r.body.blocks.map((b: Json) => b.height)).to.deep.equal([(head - 1n).toString(), head.toString()])
      for (const q of ['0', '101', 'x', '-1', '1e3']) {
        const bad = await get(base, `/forks?limit=${q}`)
        expect(bad.status, q).to.equal(400)
        expect(bad.body.error.code).to.equal('ERR_BAD_QUERY')
      }
    })

    it('a new side block appears; a side block the chain pruned (fork point settled) disappears', async () => {
      const second = await chain.fork()
      const now = (await get(base, '/forks')).body.blocks.filter((b: Json) => !b.canonical).map((b: Json) => b.hash)
      expect(now).to.include(second).and.include(chain.sideHash)
      // k = 20: once the fork points are more than k below the head, the chain drops the side blocks
      for (let i = 0; i < Number(chain.net.params.k) + 2; i++) await chain.produce()
      const later = await get(base, `/forks?limit=100`)
      expect(later.body.blocks.filter((b: Json) => !b.canonical)).to.deep.equal([])
      expect(later.body.blocks.length).to.equal(Number(chain.svc.chain.head.height))
    })
  })

  describe('GET /accounts/:address/txs', () => {
    it("the recipient's and the sender's history: the transfer with its block and confirmations", async () => {
      const head = chain.svc.chain.head.height
      const expected = {
        blockHash: chain.transfer.blockHash,
        height: chain.transfer.height.toString(),
        index: 0,
        confirmations: (head - chain.transfer.height + 1n).toString()
      }
      const r = await get(base, `/accounts/${chain.recipient.address}/txs`)
      expect(r.status).to.equal(200)
      expect(r.body).to.deep.include({ address: chain.recipient.address, height: head.toString(), headHash: chain.svc.chain.head.hex, total: 1, pending: [] })
      // a complete index: from genesis to the head
      expect(r.body).to.deep.include({ oldestIndexedHeight: '0', indexedHeight: head.toString() })
      expect(r.body.txs).to.have.length(1)
      expect(r.body.txs[0]).to.deep.include(expected)
      expect(r.body.txs[0].tx).to.deep.include({ id: chain.transfer.id, kind: 'transfer', sender: chain.faucetAddress, to: chain.recipient.address, amount: chain.transfer.amount.toString(), fee: chain.transfer.fee.toString() })
      const s = await get(base, `/accounts/${chain.faucetAddress.toUpperCase()}/txs`)
      expect(s.body.address).to.equal(chain.faucetAddress)
      expect(s.body.txs.map((x: Json) => x.tx.id)).to.deep.equal([chain.transfer.id])
      const nobody = await get(base, `/accounts/${encodeAddress(new Uint8Array(20).fill(9))}/txs`)
      expect(nobody.status).to.equal(200)
      expect(nobody.body).to.deep.include({ total: 0, txs: [], pending: [] })
    })

    it('pending transactions for both sides, then newest first once included; ?limit= pages', async () => {
      const nonce = chain.svc.chain.ledger.get(accountIdOf(chain.net.faucet.publicKey))?.nonce ?? 0n
      const txs = [0n, 1n].map((i) => buildTransfer({ chainId: chain.net.params.chainId, privateKey: chain.net.faucet.privateKey, nonce: nonce + i, fee: 1000n, to: chain.recipient.address, amount: (i + 1n) * MEME }))
      const outcomes = await chain.svc.addTransactions(txs.map((t) => t.bytes))
      expect(outcomes.every((o) => o.ok)).to.equal(true)
      const ids = txs.map((t) => toHex(t.id))
      for (const who of [chain.recipient.address, chain.faucetAddress]) {
        const p = await get(base, `/accounts/${who}/txs`)
        expect(p.body.pending.map((t: Json) => t.id), who).to.deep.equal(ids)
        expect(p.body.txs.map((x: Json) => x.tx.id), who).to.deep.equal([chain.transfer.id])
      }
      const block = await chain.produce()
      expect(block.txs.map((t) => toHex(t.id))).to.deep.equal(ids)
      const r = await get(base, `/accounts/${chain.recipient.address}/txs`)
      expect(r.body.pending).to.deep.equal([])
      expect(r.body.total).to.equal(3)
      expect(r.body.txs.map((x: Json) => x.tx.id)).to.deep.equal([ids[1], ids[0], chain.transfer.id])
      expect(r.body.txs[0]).to.deep.include({ blockHash: toHex(block.header.hash), index: 1, confirmations: '1' })
      const page = await get(base, `/accounts/${chain.recipient.address}/txs?limit=1`)
      expect(page.body.txs.map((x: Json) => x.tx.id)).to.deep.equal([ids[1]])
      expect(page.body.total).to.equal(3)
      // ?before=<next> walks the rest, page by page; the last page has no next
      const seen: string[] = []
      let cursor: string | undefined = ''
      for (let i = 0; i < 5 && cursor !== undefined; i++) {
        const p = await get(base, `/accounts/${chain.recipient.address}/txs?limit=1${cursor === '' ? '' : `&before=${cursor}`}`)
        seen.push(...p.body.txs.map((x: Json) => x.tx.id as string))
        cursor = p.body.next as string | undefined
      }
      expect(seen).to.deep.equal([ids[1], ids[0], chain.transfer.id])
      const two = await get(base, `/accounts/${chain.recipient.address}/txs?limit=2`)
      expect(two.body.next).to.equal(`${block.header.header.height}:0`)
      const rest = await get(base, `/accounts/${chain.recipient.address}/txs?limit=2&before=${two.body.next as string}`)
      expect(rest.body.txs.map((x: Json) => x.tx.id)).to.deep.equal([chain.transfer.id])
      expect(rest.body.next).to.equal(undefined)
    })

    it('bad address → 400 ERR_ADDRESS_*; bad limit or cursor → 400 ERR_BAD_QUERY', async () => {
      const bad = await get(base, '/accounts/meme1nope/txs')
      expect(bad.status).to.equal(400)
      expect(bad.body.error.code).to.match(/^ERR_ADDRESS_/)
      const lim = await get(base, `/accounts/${chain.recipient.address}/txs?limit=0`)
      expect(lim.status).to.equal(400)
      expect(lim.body.error.code).to.equal('ERR_BAD_QUERY')
      for (const before of ['x', '1', '1:', ':1', '1:2:3', '18446744073709551616:0', '1:4294967296']) {
        const b = await get(base, `/accounts/${chain.recipient.address}/txs?before=${before}`)
        expect(b.status, before).to.equal(400)
        expect(b.body.error.code).to.equal('ERR_BAD_QUERY')
      }
    })
  })

  describe('GET /peers', () => {
    async function serve (network?: Parameters<typeof createApiServer>[0]['network']): Promise<string> {
      const s = createApiServer({ chain: chain.svc, port: 0, ...(network !== undefined ? { network } : {}) })
      extra.push(s)
      await s.start()
      return s.url
    }

    it('without a network: no peers', async () => {
      const r = await get(base, '/peers')
      expect(r.status).to.equal(200)
      expect(r.body).to.deep.equal({ count: 0, syncing: false })
    })

    it('a network with a peer list: ids, heads and addresses as strings', async () => {
      const url = await serve({
        peers: () => 2,
        syncState: () => ({ syncing: true, targetHeight: 50n }),
        peerList: () => [
          { peerId: '12D3KooWA', headHeight: 50n, headSlot: 120n, settledHeight: 30n, addresses: ['/ip4/10.0.0.2/tcp/4001'] },
          { peerId: '12D3KooWB', headHeight: 49n, headSlot: 118n, settledHeight: 29n }
        ]
      })
      const r = await get(url, '/peers')
      expect(r.body).to.deep.equal({
        count: 2,
        syncing: true,
        peers: [
          { peerId: '12D3KooWA', headHeight: '50', headSlot: '120', settledHeight: '30', addresses: ['/ip4/10.0.0.2/tcp/4001'] },
          { peerId: '12D3KooWB', headHeight: '49', headSlot: '118', settledHeight: '29' }
        ]
      })
    })

    it('a network with a count only, or whose list fails: the count', async () => {
      const countOnly = await serve({ peers: () => 4, syncState: () => ({ syncing: false }) })
      expect((await get(countOnly, '/peers')).body).to.deep.equal({ count: 4, syncing: false })
      const failing = await serve({ peers: () => 3, syncState: () => ({ syncing: false }), peerList: () => { throw new Error('boom') } })
      const r = await get(failing, '/peers')
      expect(r.status).to.equal(200)
      expect(r.body).to.deep.equal({ count: 3, syncing: false })
    })
  })
})
