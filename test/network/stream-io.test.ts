/**
 * Length-prefixed framing (src/network/stream-io.ts) on a pair of in-memory libp2p streams: a
 * whole response sent before it is read arrives in full; an end of stream is clean only between
 * two messages; prefixes over the limit are a protocol breach.
 */
import { expect } from 'chai'
import type { Stream } from '@libp2p/interface'
import { streamPair } from '@libp2p/utils'
import { framed, NetworkError, readMessage, writeMessage } from '../../src/network/stream-io.ts'

const deadlines = (): { signal: AbortSignal, readTimeoutMs: number } => ({ signal: new AbortController().signal, readTimeoutMs: 2_000 })
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function codeOf (p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    expect(err).to.be.instanceOf(NetworkError)
    return (err as NetworkError).code
  }
  return undefined
}

describe('network/stream-io: framing', () => {
  let streams: Stream[] = []
  const pair = async (): Promise<[Stream, Stream]> => {
    const p = await streamPair()
    streams.push(...p)
    return p
  }
  afterEach(() => {
    for (const s of streams) s.abort(new Error('test over'))
    streams = []
  })

  it('reads a whole multi-message response that arrived before the first read, then a clean end', async () => {
    const [a, b] = await pair()
    const max = 4096
    const out = framed(a, max)
    const sent = Array.from({ length: 10 }, (_, i) => new Uint8Array(max).fill(i))
    for (const m of sent) await writeMessage(out, m, new AbortController().signal)
    await a.close()
    await sleep(50) // everything is in the reader's buffer before it reads
    const into = framed(b, max, sent.length)
    const got: Uint8Array[] = []
    for (let i = 0; i <= sent.length; i++) {
      const m = await readMessage(into, deadlines())
      if (m === undefined) break
      got.push(m)
    }
    expect(got.map((m) => [m.length, m[0]])).to.deep.equal(sent.map((m, i) => [max, i]))
  })

  it('a response beyond the messages the reader has room for is a protocol breach, not a short answer', async () => {
    const [a, b] = await pair()
    const max = 4096
    const out = framed(a, max)
    for (let i = 0; i < 3; i++) await writeMessage(out, new Uint8Array(max), new AbortController().signal)
    await a.close()
    await sleep(50)
    const into = framed(b, max, 1)
    const codes: Array<string | undefined> = []
    for (let i = 0; i < 3; i++) codes.push(await codeOf(readMessage(into, deadlines())))
    expect(codes).to.include('ERR_PROTOCOL')
  })

  it('an end of stream inside a message is a failure, not the end of the response', async () => {
    const [a, b] = await pair()
    a.send(Uint8Array.of(100, 1, 2, 3)) // a prefix of 100 bytes, then 3 of them
    await a.close()
    expect(await codeOf(readMessage(framed(b, 4096), deadlines()))).to.equal('ERR_STREAM')
    const [c, d] = await pair()
    c.send(Uint8Array.of(0x80)) // half a length prefix
    await c.close()
    expect(await codeOf(readMessage(framed(d, 4096), deadlines()))).to.equal('ERR_STREAM')
  })

  it('a clean end between messages; an empty message is a message', async () => {
    const [a, b] = await pair()
    const out = framed(a, 16)
    await writeMessage(out, new Uint8Array(0), new AbortController().signal)
    await writeMessage(out, Uint8Array.of(7, 8), new AbortController().signal)
    await a.close()
    const into = framed(b, 16, 2)
    expect(await readMessage(into, deadlines())).to.deep.equal(new Uint8Array(0))
    expect(await readMessage(into, deadlines())).to.deep.equal(Uint8Array.of(7, 8))
    expect(await readMessage(into, deadlines())).to.equal(undefined)
  })

  it('a length over the limit, or a prefix longer than the limit needs, is ERR_PROTOCOL before the bytes are read', async () => {
    const [a, b] = await pair()
    a.send(Uint8Array.of(0x81, 0x01)) // 129 > 128
    expect(await codeOf(readMessage(framed(b, 128), deadlines()))).to.equal('ERR_PROTOCOL')
    const [c, d] = await pair()
    c.send(Uint8Array.of(0x80, 0x80, 0x00)) // 0 in three bytes, where 128 needs two
    expect(await codeOf(readMessage(framed(d, 128), deadlines()))).to.equal('ERR_PROTOCOL')
  })

  it('a peer that sends nothing meets the read timeout', async () => {
    const [, b] = await pair()
    expect(await codeOf(readMessage(framed(b, 16), { signal: new AbortController().signal, readTimeoutMs: 100 }))).to.equal('ERR_TIMEOUT')
  })
})
