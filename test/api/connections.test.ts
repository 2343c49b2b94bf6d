/**
 * The API's connection handling against clients that misbehave: pipelined requests are served
 * one at a time per connection and at most MAX_PIPELINED_REQUESTS wait (a client that pipelines
 * and never reads used to make the node build every answer at once: 86 KB of requests took it to
 * 928 MB), a silent connection is closed at the headers timeout (not up to 30 s later), HEAD works
 * like GET without the body.
 */
import { expect } from 'chai'
import { connect, type Socket } from 'node:net'
import { ChainService } from '../../src/chain/service.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { createApiServer, type ApiServer } from '../../src/api/index.ts'
import { MAX_PIPELINED_REQUESTS, MAX_REQUESTS_AFTER_BUSY } from '../../src/api/constants.ts'
import { testDevnet } from '../helpers/devnet.ts'

/** Everything the server sends on `socket` until it closes it (bounded by `ms`). */
async function readAll (socket: Socket, ms: number): Promise<{ text: string, closed: boolean }> {
  return await new Promise((resolve) => {
    let text = ''
    const timer = setTimeout(() => { socket.destroy(); resolve({ text, closed: false }) }, ms)
    socket.on('data', (d: Buffer) => { text += d.toString('latin1') })
    socket.on('close', () => { clearTimeout(timer); resolve({ text, closed: true }) })
    socket.on('error', () => {})
  })
}

describe('api: connections of misbehaving clients', function () {
  this.timeout(30_000)
  const net = testDevnet(1, { label: 'api-connections' })
  let svc: ChainService
  let api: ApiServer
  let port = 0

  before(async () => {
    svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: net.clock.now, validator: net.validators[0] })
    for (let slot = 1n; svc.chain.head.height < 5n && slot < 2000n; slot++) {
      net.clock.toSlot(slot)
      await svc.produce(slot)
    }
    api = createApiServer({ chain: svc, port: 0, timeouts: { requestMs: 1_000, headersMs: 500 } })
    port = (await api.start()).port
  })

  after(async () => {
    await api?.stop()
    await svc?.close()
  })

  const pipeline = async (n: number): Promise<{ statuses: number[], text: string, closed: boolean }> => {
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write('GET /blocks?limit=100 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(n))
    const { text, closed } = await readAll(socket, 10_000)
    return { statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1])), text, closed }
  }

  it('pipelined requests: served in order, one at a time; one past the bound gets 503 ERR_BUSY and the connection is closed', async () => {
    // one served at once, MAX_PIPELINED_REQUESTS waiting, one more
    const { statuses, text, closed } = await pipeline(MAX_PIPELINED_REQUESTS + 2)
    expect(closed, 'the server closed the connection').to.equal(true)
    expect(statuses).to.deep.equal([...new Array(MAX_PIPELINED_REQUESTS + 1).fill(200), 503])
    expect(text).to.include('ERR_BUSY')
  })

  it('requests sent after the 503 are not answered, and do not cost the ones before it their answers', async () => {
    // one served at once, MAX_PIPELINED_REQUESTS waiting, the 503, then more in the same write
    const { statuses, closed } = await pipeline(MAX_PIPELINED_REQUESTS + 2 + MAX_REQUESTS_AFTER_BUSY)
    expect(closed).to.equal(true)
    expect(statuses).to.deep.equal([...new Array(MAX_PIPELINED_REQUESTS + 1).fill(200), 503])
  })

  it('a client pipelining far past the bound loses its connection at once, answered or not; others are served', async () => {
    const { statuses, closed } = await pipeline(2000)
    expect(closed).to.equal(true)
    expect(statuses).to.have.length.below(MAX_PIPELINED_REQUESTS + 2)
    const r = await fetch(`http://127.0.0.1:${port}/status`)
    expect(r.status).to.equal(200)
  })

  it('clients that stall mid-body and never read hold nothing others need: /status answers at once', async () => {
    const stalled: Socket[] = []
    try {
      for (let i = 0; i < 40; i++) {
        const socket = connect(port, '127.0.0.1')
        socket.on('error', () => {})
        await new Promise((resolve) => socket.once('connect', resolve))
        socket.pause() // never reads
        socket.write('POST /txs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{')
        stalled.push(socket)
      }
      const t0 = Date.now()
      const r = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(5_000) })
      expect(r.status).to.equal(200)
      expect(Date.now() - t0).to.be.below(5_000)
      // their request timeout (1 s here) ends them: the server closes every one of them
      const deadline = Date.now() + 8_000
      while (stalled.some((s) => !s.destroyed && !s.readableEnded) && Date.now() < deadline) {
        for (const s of stalled) s.resume()
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(stalled.filter((s) => !s.destroyed && !s.readableEnded)).to.have.length(0)
    } finally {
      for (const s of stalled) s.destroy()
    }
  })

  it('a malformed or timed-out request behind an answer in progress (an event stream) ends the connection, never writes into that answer', async () => {
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    // the stream, then half a request on the same connection: its headers time out (500 ms here)
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /status HTTP/1.1\r\nHost: 1')
    const { text, closed } = await readAll(socket, 5_000)
    expect(text).to.match(/^HTTP\/1\.1 200 /)
    expect(closed, 'the server ended the connection').to.equal(true)
    expect(text, 'no raw error status inside the stream').to.not.include('HTTP/1.1 408')
    expect(text).to.not.include('HTTP/1.1 400')
  })

  it('a connection that sends nothing is closed at the headers timeout', async () => {
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    const t0 = Date.now()
    const { closed } = await readAll(socket, 5_000)
    // the timeout is 500 ms here; connections are checked every second (Node's default: 30 s)
    expect(closed).to.equal(true)
    expect(Date.now() - t0).to.be.below(5_000)
  })

  it('a loopback API answers only requests for this machine\'s names (no DNS rebinding)', async () => {
    const hostTo = async (host: string): Promise<{ status: number, text: string }> => {
      const socket = connect(port, '127.0.0.1')
      await new Promise((resolve) => socket.once('connect', resolve))
      socket.write(`GET /status HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
      const { text } = await readAll(socket, 5_000)
      return { status: Number(/HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), text }
    }
    for (const ok of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`, '127.0.0.2']) expect((await hostTo(ok)).status, ok).to.equal(200)
    for (const bad of [`evil.example:${port}`, 'evil.example', '192.168.1.5', 'localhost.evil.example', '[::2]']) {
      const r = await hostTo(bad)
      expect(r.status, bad).to.equal(403)
      expect(r.text).to.include('ERR_FORBIDDEN_HOST')
    }
  })

  it('HEAD is GET without a body; 405 lists it', async () => {
    const head = await fetch(`http://127.0.0.1:${port}/status`, { method: 'HEAD' })
    expect(head.status).to.equal(200)
    expect(head.headers.get('content-type')).to.match(/^application\/json/)
    expect(await head.text()).to.equal('')
    const del = await fetch(`http://127.0.0.1:${port}/status`, { method: 'DELETE' })
    expect(del.status).to.equal(405)
    expect(del.headers.get('allow')).to.equal('GET, HEAD')
    // not for an event stream
    expect((await fetch(`http://127.0.0.1:${port}/events`, { method: 'HEAD' })).status).to.equal(405)
  })
})
