/**
 * A plain libp2p 3 node without the memecoin service, to play a hostile or broken peer: it speaks
 * the request protocols and gossip by hand. Registered in `nodes`, so `stopAll` stops it.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { gossipsubOptions } from '../../src/network/gossip-options.ts'
import type { Loose } from '../../src/wire/codec.ts'
import { decodeResponseChunk, decodeStatus, encodeStatus, type ResponseChunk, type Status } from '../../src/wire/messages.ts'
import { nodes } from './net-fixture.ts'

/** A raw peer: identify, and gossipsub configured like memecoin's when `chainIdHex` is given. */
export type RawPeer = Libp2p<{ identify: unknown, pubsub?: GossipSub }>

/** Starts a raw peer on 127.0.0.1. */
export async function startRawPeer (chainIdHex?: string, opts: { privateKey?: PrivateKey } = {}): Promise<RawPeer> {
  const services: Record<string, (c: any) => unknown> = { identify: identify() }
  if (chainIdHex !== undefined) services.pubsub = gossipsub(gossipsubOptions(chainIdHex))
  const node = await createLibp2p({
    ...(opts.privateKey !== undefined ? { privateKey: opts.privateKey } : {}),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services
  }) as unknown as RawPeer
  nodes.push(node)
  return node
}

/** Sends one length-prefixed request on a fresh stream and reads every response chunk. */
export async function rawRequest (stream: Stream, request: Uint8Array): Promise<ResponseChunk[]> {
  const lp = lpStream(stream)
  await lp.write(request)
  await stream.close()
  const out: ResponseChunk[] = []
  for (let i = 0; i < 100; i++) {
    let bytes
    try {
      bytes = await lp.read({ signal: AbortSignal.timeout(5000) })
    } catch (err) {
      if ((err as Error).name === 'UnexpectedEOFError') return out
      throw err
    }
    out.push(decodeResponseChunk(bytes.subarray()))
  }
  return out
}

/**
 * Makes `peer` answer the status handshake on `protocol` with the asker's own status, changed by
 * `claim` (a higher head, another genesis): a peer that looks like one of ours.
 */
export async function answerStatus (peer: RawPeer, protocol: string, claim: Partial<Loose<Status>> = {}): Promise<void> {
  await peer.handle(protocol, async (stream) => {
    const lp = lpStream(stream)
    const theirs = decodeStatus((await lp.read()).subarray())
    await lp.write(encodeStatus({ ...theirs, ...claim }))
    await stream.close()
  })
}

/**
 * Makes `peer` answer every request on `protocol` with `chunks` (encoded ResponseChunks, in
 * order), then close: a responder playing a script. A write the asker cuts short is no failure.
 */
export async function answerWith (peer: RawPeer, protocol: string, chunks: Uint8Array[]): Promise<void> {
  await peer.handle(protocol, async (stream) => {
    const lp = lpStream(stream)
    await lp.read()
    try {
      for (const c of chunks) await lp.write(c)
      await stream.close()
    } catch {
      // the asker reset the stream (it had what it wanted, or refused the rest)
    }
  })
}
