/**
 * The HTTP API over real HTTP on 127.0.0.1 (port 0) against a ChainService on a MemoryStore:
 * blocks produced by stepping a controlled clock, a transfer submitted through POST /txs and
 * included, every endpoint read back (the account proof checked as a light client would), the
 * event stream (head, block, reorg), and bad input on every endpoint asserted by error code.
 * Every server started here is stopped in after(), even when a test fails.
 */
import { expect } from 'chai'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bech32m } from '@scure/base'
import { accountIdOf, addressOf, decodeAddress, encodeAddress } from '../../src/core/address.ts'
import { fromHex, toHex, utf8 } from '../../src/core/bytes.ts'
import { slotStart } from '../../src/core/consensus.ts'
import { defaultDevnetGenesis, type GenesisConfig } from '../../src/core/genesis.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { ChainParams } from '../../src/core/params.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../../src/core/secp256k1.ts'
import { decodeSmtProof, verifySmtProof } from '../../src/core/smt.ts'
import type { Block } from '../../src/core/types.ts'
import type { ValidatorKey } from '../../src/chain/producer.ts'
import { ChainService } from '../../src/chain/service.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { decodeBlock } from '../../src/wire/block.ts'
import { decodeTx } from '../../src/wire/tx.ts'
import { chainParamsOf } from '../../src/wire/genesis.ts'
import { decodeSignedHeader } from '../../src/wire/header.ts'
import { decodeAccount, encodeAccount } from '../../src/wire/messages.ts'
import { createApiServer, type ApiServer } from '../../src/api/index.ts'
import { MetricsWriter } from '../../src/api/metrics.ts'
import { blockJsonParts, decimalRatio, txJson, type BlockSummaryJson } from '../../src/api/views.ts'
import { streamJson } from '../../src/api/http.ts'
import { TXS_PER_CHUNK } from '../../src/api/constants.ts'

const MEME = 10n ** 8n
const GENESIS_TIME = 1_700_000_000_000n

/** privateKeyFromEntropy(sha256(utf8(label))), with its account id and address. */
function keyOf (label: string): ValidatorKey & { id: Uint8Array, address: string } {
  const privateKey = privateKeyFromEntropy(sha256(utf8(label)))
  const publicKey = publicKeyOf(privateKey)
  return { privateKey, publicKey, id: accountIdOf(publicKey), address: addressOf(publicKey) }
}

type Json = Record<string, any>

/** A devnet of two equal validators (alice runs the service under test, bob a rival branch). */
interface Devnet {
  config: GenesisConfig
  params: ChainParams
  alice: ReturnType<typeof keyOf>
  bob: ReturnType<typeof keyOf>
  faucet: ReturnType<typeof keyOf>
  outsider: ReturnType<typeof keyOf>
  clock: { t: bigint }
  /** Last slot any service produced for; slots only go up. */
  slot: bigint
}

function devnet (): Devnet {
  const alice = keyOf('api-test:alice')
  const bob = keyOf('api-test:bob')
  const faucet = keyOf('api-test:faucet')
  const outsider = keyOf('api-test:outsider')
  const config = defaultDevnetGenesis({
    genesisTime: GENESIS_TIME,
    slotMs: 100n,
    chainName: 'api-test',
    validators: [alice, bob].map((v) => ({ id: v.id, stake: 1000n * MEME, balance: 100n * MEME })),
    faucet: { id: faucet.id, balance: 1_000_000n * MEME }
  })
  return { config, params: chainParamsOf(config), alice, bob, faucet, outsider, clock: { t: GENESIS_TIME }, slot: 0n }
}

async function openService (net: Devnet, validator: ValidatorKey): Promise<ChainService> {
  return await ChainService.open({ params: net.params, allocations: net.config.accounts, store: new MemoryStore(), now: () => net.clock.t, validator })
}

/** Steps the clock slot by slot until `svc` produces a block (bounded). */
async function produceNext (net: Devnet, svc: ChainService): Promise<Block> {
  for (let i = 0; i < 500; i++) {
    net.slot++
    const t = slotStart(net.slot, net.params)
    if (t > net.clock.t) net.clock.t = t
    const b = await svc.produce(net.slot)
    if (b !== undefined) return b
  }
  throw new Error('no block produced in 500 slots')
}

async function get (base: string, path: string, init: RequestInit = {}): Promise<{ status: number, body: Json, headers: Headers }> {
  const res = await fetch(base + path, init)
  const text = await res.text()
  let body: Json
  try { body = JSON.parse(text) as Json } catch { body = { text } }
  return { status: res.status, body, headers: res.headers }
}

async function post (base: string, path: string, body: string, contentType = 'application/json'): Promise<{ status: number, body: Json, headers: Headers }> {
  return await get(base, path, { method: 'POST', body, headers: { 'content-type': contentType } })
}

/** Asserts a JSON error response: status, code, and nothing but {code, message[, rule][, amounts]}. */
function expectError (r: { status: number, body: Json }, status: number, code: string): void {
  expect(r.status, JSON.stringify(r.body)).to.equal(status)
  expect(r.body.error?.code, JSON.stringify(r.body)).to.equal(code)
  expect(Object.keys(r.body)).to.deep.equal(['error'])
  for (const k of Object.keys(r.body.error as object)) expect(['code', 'message', 'rule', 'amounts']).to.include(k)
  expect(String(r.body.error.message)).not.to.match(/\n\s+at |node_modules|\.ts:\d+/)
}

/** An event-stream reader: `next` waits (bounded) for the next event, skipping comments. */
interface EventReader { next: (timeoutMs?: number) => Promise<{ event: string, data: Json }>, close: () => void, status: number, comments: () => number }

async function openEvents (url: string): Promise<EventReader> {
  const abort = new AbortController()
  const res = await fetch(url, { signal: abort.signal })
  if (res.body === null) throw new Error('no body')
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let buf = ''
  const queue: Array<{ event: string, data: Json }> = []
  let comments = 0
  const pull = async (deadline: number): Promise<void> => {
    while (queue.length === 0) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('timed out waiting for an event')
      let timer: NodeJS.Timeout | undefined
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error('timed out waiting for an event')) }, left) })
      ]).finally(() => { clearTimeout(timer) })
      if (chunk.done) throw new Error('event stream ended')
      buf += decoder.decode(chunk.value, { stream: true })
      let i: number
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i)
        buf = buf.slice(i + 2)
        let event = 'message'
        let data = ''
        for (const line of frame.split('\n')) {
          if (line.startsWith(':')) comments++
          else if (line.startsWith('event: ')) event = line.slice(7)
          else if (line.startsWith('data: ')) data += line.slice(6)
        }
        if (data !== '') queue.push({ event, data: JSON.parse(data) as Json })
      }
    }
  }
  return {
    status: res.status,
    next: async (timeoutMs = 5000) => {
      await pull(Date.now() + timeoutMs)
      return queue.shift() as { event: string, data: Json }
    },
    close: () => { abort.abort() },
    comments: () => comments
  }
}

/** Reads events until one named `name` arrives (bounded); returns it. */
async function nextOf (ev: EventReader, name: string): Promise<Json> {
  for (let i = 0; i < 20; i++) {
    const e = await ev.next()
    if (e.event === name) return e.data
  }
  throw new Error(`no ${name} event`)
}

describe('api: HTTP JSON API, events and metrics', function () {
  this.timeout(60_000)
  const net = devnet()
  let svc: ChainService
  let rival: ChainService
  let api: ApiServer
  let base = ''
  let events: EventReader | undefined
  const fakeNetwork = {
    peers: () => 3,
    syncState: () => ({ syncing: false }),
    metrics: () => ({
      'gossip_messages_total{topic="block",result="accept"}': 5,
      'gossip_messages_total{topic="tx",result="reject"}': 1,
      'bad name with spaces': 7
    })
  }
  const importTimes = { bounds: [0.01, 0.1], counts: [2, 1, 0], sum: 0.05, count: 3 }
  /** The transfer submitted through the API and the block that includes it. */
  let transferId = ''
  /** Wire bytes (hex) of that transfer. */
  let transferHex = ''
  let transferBlock: Block
  const amount = 7n * MEME
  const fee = 5000n

  before(async () => {
    svc = await openService(net, net.alice)
    rival = await openService(net, net.bob)
    for (let i = 0; i < 3; i++) {
      const b = await produceNext(net, svc)
      await rival.importBlock(b.bytes)
    }
    api = createApiServer({ chain: svc, network: fakeNetwork, port: 0, blockImportSeconds: () => importTimes })
    const addr = await api.start()
    expect(addr.host).to.equal('127.0.0.1')
    expect(addr.port).to.be.greaterThan(0)
    base = api.url
    expect(base).to.equal(`http://127.0.0.1:${addr.port}`)
  })

  after(async () => {
    events?.close()
    await api?.stop()
    await svc?.close()
    await rival?.close()
  })

  it('GET /status: chain id, head, settled point, peers, mempool, syncing', async () => {
    const { status, body } = await get(base, '/status')
    expect(status).to.equal(200)
    const s = svc.status()
    expect(body).to.include({
      chainId: toHex(net.params.chainId),
      genesisHash: toHex(net.params.genesisHash),
      height: '3',
      headHash: s.headHash,
      headSlot: s.headSlot.toString(),
      slot: s.slot.toString(),
      settledHeight: '0',
      settledHash: toHex(net.params.genesisHash),
      peers: 3,
      mempool: 0,
      syncing: false
    })
    expect(body.epoch).to.equal('0')
  })

  it('GET /events streams the current head first', async () => {
    events = await openEvents(base + '/events')
    expect(events.status).to.equal(200)
    const first = await events.next()
    expect(first.event).to.equal('head')
    expect(first.data).to.deep.equal({ height: '3', hash: svc.chain.head.hex, slot: svc.chain.head.slot.toString(), settledHeight: '0' })
  })

  it('POST /txs accepts a signed transfer (202 {id}); GET /txs/:id shows it pending; a resubmission is 200', async () => {
    const tx = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee, to: net.outsider.address, amount })
    transferId = toHex(tx.id)
    transferHex = toHex(tx.bytes)
    const r = await post(base, '/txs', JSON.stringify({ tx: toHex(tx.bytes) }))
    expect(r.status, JSON.stringify(r.body)).to.equal(202)
    expect(r.body).to.deep.equal({ id: transferId })
    const again = await post(base, '/txs', JSON.stringify({ tx: toHex(tx.bytes) }))
    expect(again.status).to.equal(200)
    expect(again.body).to.deep.equal({ id: transferId })

    const p = await get(base, `/txs/${transferId}`)
    expect(p.status).to.equal(200)
    expect(p.body.status).to.equal('pending')
    expect(p.body.tx).to.deep.equal({
      id: transferId,
      kind: 'transfer',
      sender: net.faucet.address,
      senderPublicKey: toHex(net.faucet.publicKey),
      nonce: '0',
      fee: fee.toString(),
      size: tx.bytes.length,
      to: net.outsider.address,
      amount: amount.toString()
    })
    const hex = await get(base, `/txs/${transferId}?format=hex`)
    expect(hex.body).to.deep.equal({ id: transferId, status: 'pending', hex: toHex(tx.bytes) })

    const acct = await get(base, `/accounts/${net.faucet.address}`)
    expect(acct.body.pending).to.equal(1)
    expect(acct.body.nonce).to.equal('0')
    expect(acct.body.nextNonce).to.equal('1')
    expect((await get(base, '/status')).body.mempool).to.equal(1)
  })

  it('the block that includes it is announced on /events (head, then block) and the tx shows as included', async () => {
    transferBlock = await produceNext(net, svc)
    expect(transferBlock.txs.map((t) => toHex(t.id))).to.deep.equal([transferId])
    const hash = toHex(transferBlock.header.hash)
    const head = await nextOf(events as EventReader, 'head')
    expect(head).to.deep.include({ height: '4', hash })
    const block = await nextOf(events as EventReader, 'block')
    expect(block).to.deep.equal({
      hash, height: '4', slot: transferBlock.header.header.slot.toString(), proposer: net.alice.address, txs: 1, canonical: true
    })

    const r = await get(base, `/txs/${transferId}`)
    expect(r.status).to.equal(200)
    expect(r.body).to.deep.include({ id: transferId, status: 'included', blockHash: hash, height: '4', index: 0, canonical: true, settled: false, confirmations: '1' })
    expect(r.body.tx.id).to.equal(transferId)
    expect(r.body.tx.amount).to.equal(amount.toString())
    // posted again once included (a wallet that lost the first answer): 200 with its id, not a nonce error
    const again = await post(base, '/txs', JSON.stringify({ tx: transferHex }))
    expect(again.status, JSON.stringify(again.body)).to.equal(200)
    expect(again.body).to.deep.equal({ id: transferId })
  })

  it('GET /blocks/:height and /blocks/:hash give the block with its transactions; ?format=hex the wire bytes', async () => {
    const hash = toHex(transferBlock.header.hash)
    const byHeight = await get(base, '/blocks/4')
    const byHash = await get(base, `/blocks/${hash}`)
    const byUpperHash = await get(base, `/blocks/${hash.toUpperCase()}`)
    expect(byHeight.status).to.equal(200)
    expect(byHash.body).to.deep.equal(byHeight.body)
    expect(byUpperHash.body).to.deep.equal(byHeight.body)
    const b = byHeight.body
    const h = transferBlock.header.header
    expect(b).to.deep.include({
      hash,
      height: '4',
      slot: h.slot.toString(),
      epoch: '0',
      parentHash: toHex(h.parentHash),
      vrfProof: toHex(h.vrfProof),
      txRoot: toHex(h.txRoot),
      stateRoot: toHex(h.stateRoot),
      txCount: 1,
      size: transferBlock.bytes.length,
      signature: toHex(transferBlock.header.signature),
      canonical: true,
      settled: false,
      confirmations: '1'
    })
    expect(b.proposer).to.deep.equal({ address: net.alice.address, publicKey: toHex(net.alice.publicKey) })
    expect(b.vrfOutput).to.match(/^[0-9a-f]{64}$/)
    expect(b.leaderValue).to.match(/^[0-9a-f]{64}$/)
    expect(BigInt('0x' + String(b.leaderValue))).to.equal(svc.chain.getNode(transferBlock.header.hash)?.leaderValue)
    expect(b.txs).to.have.length(1)
    expect(b.txs[0]).to.deep.include({ id: transferId, kind: 'transfer', to: net.outsider.address, amount: amount.toString(), nonce: '0' })

    const hex = await get(base, '/blocks/4?format=hex')
    expect(hex.body.hash).to.equal(hash)
    const decoded = decodeBlock(fromHex(String(hex.body.hex)), net.params)
    expect(toHex(decoded.header.hash)).to.equal(hash)

    const first = await get(base, '/blocks/1')
    expect(first.body.parentHash).to.equal(toHex(net.params.genesisHash))
    expect(first.body.txs).to.deep.equal([])
  })

  it('GET /blocks lists summaries: newest first without from, ascending from `from` with `next`', async () => {
    const newest = await get(base, '/blocks?limit=2')
    expect(newest.status).to.equal(200)
    expect(newest.body.head).to.equal('4')
    expect(newest.body.blocks.map((b: Json) => b.height)).to.deep.equal(['4', '3'])
    expect(newest.body.blocks[0].txs).to.equal(undefined)
    expect(newest.body.blocks[0].txCount).to.equal(1)
    expect(newest.body.next).to.equal(undefined)

    const page = await get(base, '/blocks?from=1&limit=2')
    expect(page.body.blocks.map((b: Json) => b.height)).to.deep.equal(['1', '2'])
    expect(page.body.next).to.equal('3')
    const rest = await get(base, '/blocks?from=3')
    expect(rest.body.blocks.map((b: Json) => b.height)).to.deep.equal(['3', '4'])
    expect(rest.body.next).to.equal(undefined)
    const all = await get(base, '/blocks')
    expect(all.body.blocks.map((b: Json) => b.height)).to.deep.equal(['4', '3', '2', '1'])
    expect((await get(base, '/blocks?from=99')).body.blocks).to.deep.equal([])
    expect((await get(base, '/blocks?from=0&limit=1')).body.blocks.map((b: Json) => b.height)).to.deep.equal(['1'])
  })

  it('GET /accounts/:address: balances after the transfer; an absent account is zeros', async () => {
    const to = await get(base, `/accounts/${net.outsider.address}`)
    expect(to.status).to.equal(200)
    expect(to.body).to.deep.equal({
      address: net.outsider.address,
      height: '4',
      headHash: toHex(transferBlock.header.hash),
      balance: amount.toString(),
      spendable: amount.toString(),
      nonce: '0',
      stake: '0',
      unbonding: [],
      pending: 0,
      nextNonce: '0'
    })
    const from = await get(base, `/accounts/${net.faucet.address}`)
    expect(from.body).to.deep.include({ balance: (1_000_000n * MEME - amount - fee).toString(), nonce: '1', pending: 0, nextNonce: '1' })
    const validator = await get(base, `/accounts/${net.alice.address.toUpperCase()}`)
    expect(validator.body.address).to.equal(net.alice.address)
    expect(validator.body.stake).to.equal((1000n * MEME).toString())

    const nobody = encodeAddress(new Uint8Array(20).fill(7))
    const empty = await get(base, `/accounts/${nobody}`)
    expect(empty.status).to.equal(200)
    expect(empty.body).to.deep.include({ address: nobody, balance: '0', spendable: '0', nonce: '0', stake: '0', pending: 0, nextNonce: '0' })
    expect(empty.body.unbonding).to.deep.equal([])
  })

  it('GET /accounts/:address/proof verifies against the header stateRoot (membership and non-membership)', async () => {
    const r = await get(base, `/accounts/${net.outsider.address}/proof`)
    expect(r.status).to.equal(200)
    const p = r.body
    expect(p).to.deep.include({ address: net.outsider.address, accountId: toHex(net.outsider.id), height: '4', headHash: toHex(transferBlock.header.hash) })
    // the light client takes the state root from the header, not from the proof response
    const block = await get(base, `/blocks/${String(p.headHash)}`)
    const root = fromHex(String(block.body.stateRoot))
    expect(p.stateRoot).to.equal(block.body.stateRoot)
    const header = decodeSignedHeader(fromHex(String(p.header)))
    expect(toHex(header.hash)).to.equal(p.headHash)
    expect(toHex(header.header.stateRoot)).to.equal(block.body.stateRoot)
    const accountBytes = fromHex(String(p.account))
    expect(decodeAccount(accountBytes).balance).to.equal(amount)
    const proof = decodeSmtProof(p.proof)
    const id = decodeAddress(net.outsider.address)
    expect(verifySmtProof(root, id, accountBytes, proof)).to.equal(true)
    // a forged balance does not verify
    const forged = encodeAccount({ ...decodeAccount(accountBytes), balance: amount + 1n })
    expect(verifySmtProof(root, id, forged, proof)).to.equal(false)

    const nobody = new Uint8Array(20).fill(9)
    const absent = await get(base, `/accounts/${encodeAddress(nobody)}/proof`)
    expect(absent.body.account).to.equal(null)
    expect(verifySmtProof(root, nobody, undefined, decodeSmtProof(absent.body.proof))).to.equal(true)
    expect(verifySmtProof(root, nobody, accountBytes, decodeSmtProof(absent.body.proof))).to.equal(false)
  })

  it('GET /validators: bonded and active stake with shares', async () => {
    const r = await get(base, '/validators')
    expect(r.status).to.equal(200)
    expect(r.body).to.deep.include({ height: '4', epoch: '0', totalStake: (2000n * MEME).toString(), activeTotalStake: (2000n * MEME).toString() })
    const addrs = [net.alice.address, net.bob.address].sort()
    expect(r.body.validators).to.deep.equal(addrs.map((address) => ({
      address, stake: (1000n * MEME).toString(), share: '0.500000', activeStake: (1000n * MEME).toString(), activeShare: '0.500000'
    })))
  })

  it('GET /metrics: chain gauges and counters, the import histogram, network samples, process metrics', async () => {
    const res = await fetch(base + '/metrics')
    expect(res.status).to.equal(200)
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    const sample = (name: string): string | undefined => text.split('\n').find((l) => l.startsWith(name + ' '))?.slice(name.length + 1)
    expect(sample('memecoin_head_height')).to.equal('4')
    expect(sample('memecoin_settled_height')).to.equal('0')
    expect(sample('memecoin_peers')).to.equal('3')
    expect(sample('memecoin_syncing')).to.equal('0')
    expect(sample('memecoin_mempool_txs')).to.equal('0')
    expect(sample('memecoin_mempool_trimmed_total')).to.equal('0')
    expect(sample('memecoin_mempool_overflowing')).to.equal('0')
    expect(sample('memecoin_mempool_overflows_total')).to.equal('0')
    expect(sample('memecoin_blocks_imported_total')).to.equal('4')
    expect(sample('memecoin_txs_accepted_total')).to.equal('1')
    expect(sample('memecoin_reorgs_total')).to.equal('0')
    expect(sample('memecoin_reorg_max_depth')).to.equal('0')
    expect(text).to.include('# TYPE memecoin_block_import_seconds histogram')
    expect(sample('memecoin_block_import_seconds_bucket{le="0.01"}')).to.equal('2')
    expect(sample('memecoin_block_import_seconds_bucket{le="0.1"}')).to.equal('3')
    expect(sample('memecoin_block_import_seconds_bucket{le="+Inf"}')).to.equal('3')
    expect(sample('memecoin_block_import_seconds_count')).to.equal('3')
    expect(text).to.include('# TYPE memecoin_gossip_messages_total counter')
    expect(sample('memecoin_gossip_messages_total{result="accept",topic="block"}') ?? sample('memecoin_gossip_messages_total{topic="block",result="accept"}')).to.equal('5')
    expect(text).not.to.include('bad name')
    expect(sample('memecoin_api_sse_clients')).to.equal('1')
    expect(Number(sample('process_resident_memory_bytes'))).to.be.greaterThan(0)
    expect(Number(sample('nodejs_heap_size_used_bytes'))).to.be.greaterThan(0)
    expect(text).to.match(/memecoin_api_responses_total\{code="200"\} \d+/)
    expect(text).to.include('memecoin_api_request_seconds_bucket')
    // every line is a comment or `name[{labels}] value`
    for (const line of text.trim().split('\n')) expect(line).to.match(/^(# (HELP|TYPE) .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eE]+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (\+Inf|NaN))$/)
  })

  it('a reorg is announced on /events, counted in /metrics, and drops the orphaned tx from the index (back to pending)', async () => {
    // bob builds a longer branch from height 3 (without the transfer) and alice's node imports it
    const branch: Block[] = []
    while (rival.chain.head.height <= svc.chain.head.height) branch.push(await produceNext(net, rival))
    for (const b of branch) await svc.importBlock(b.bytes)
    const newHead = branch[branch.length - 1] as Block
    expect(svc.chain.head.hex).to.equal(toHex(newHead.header.hash))

    // bob's first block wins at equal height if its leader value is lower, else his second does
    const reorg = await nextOf(events as EventReader, 'reorg')
    const winner = branch.find((b) => toHex(b.header.hash) === reorg.newHead?.hash) as Block
    expect(winner, 'the new head is on bob\'s branch').not.to.equal(undefined)
    expect(reorg).to.deep.equal({
      depth: 1,
      forkHeight: '3',
      oldHead: { hash: toHex(transferBlock.header.hash), height: '4' },
      newHead: { hash: toHex(winner.header.hash), height: winner.header.header.height.toString() }
    })
    const head = await nextOf(events as EventReader, 'head')
    expect(head.hash).to.equal(toHex(winner.header.hash))

    const tx = await get(base, `/txs/${transferId}`)
    expect(tx.body.status).to.equal('pending')
    // the orphaned block is still served by hash, no longer canonical
    const old = await get(base, `/blocks/${toHex(transferBlock.header.hash)}`)
    expect(old.status).to.equal(200)
    expect(old.body).to.deep.include({ canonical: false, settled: false, confirmations: '0' })
    const text = await (await fetch(base + '/metrics')).text()
    expect(text).to.match(/\nmemecoin_reorgs_total 1\n/)
    expect(text).to.match(/\nmemecoin_reorg_max_depth 1\n/)

    // alice includes it again on the new branch; the index follows
    const again = await produceNext(net, svc)
    expect(again.txs.map((t) => toHex(t.id))).to.deep.equal([transferId])
    const inc = await get(base, `/txs/${transferId}`)
    expect(inc.body).to.deep.include({ status: 'included', blockHash: toHex(again.header.hash), height: again.header.header.height.toString() })
  })

  it('POST /txs accepts a bare hex body as text/plain', async () => {
    const nonce = svc.chain.ledger.get(net.faucet.id)?.nonce ?? 0n
    const tx = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce, fee: 1000n, to: net.bob.address, amount: 1n })
    const r = await post(base, '/txs', toHex(tx.bytes), 'text/plain')
    expect(r.status, JSON.stringify(r.body)).to.equal(202)
    expect(r.body.id).to.equal(toHex(tx.id))
  })

  describe('bad input', () => {
    const validTx = (): { bytes: Uint8Array, id: Uint8Array } => buildTransfer({
      chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: svc.chain.ledger.get(net.faucet.id)?.nonce ?? 0n, fee: 1000n, to: net.bob.address, amount: 2n
    })

    it('unknown path → 404 ERR_NOT_FOUND; wrong method → 405 with Allow', async () => {
      expectError(await get(base, '/nope'), 404, 'ERR_NOT_FOUND')
      expectError(await get(base, '/explorer/nope.js'), 404, 'ERR_NOT_FOUND') // `/` is the explorer (explorer-api.test.ts)
      expectError(await get(base, '/status/extra'), 404, 'ERR_NOT_FOUND')
      expectError(await get(base, '/accounts/x/proof/y'), 404, 'ERR_NOT_FOUND')
      // a doubled slash is a path, not a host: the same endpoint, never the explorer's page
      const doubled = await get(base, '//status')
      expect(doubled.status).to.equal(200)
      expect(doubled.headers.get('content-type')).to.match(/^application\/json/)
      const del = await get(base, '/status', { method: 'DELETE' })
      expectError(del, 405, 'ERR_METHOD_NOT_ALLOWED')
      expect(del.headers.get('allow')).to.equal('GET, HEAD')
      const getTxs = await get(base, '/txs')
      expectError(getTxs, 405, 'ERR_METHOD_NOT_ALLOWED')
      expect(getTxs.headers.get('allow')).to.equal('POST')
      expectError(await post(base, '/blocks/1', '{}'), 405, 'ERR_METHOD_NOT_ALLOWED')
      expectError(await post(base, '/events', '{}'), 405, 'ERR_METHOD_NOT_ALLOWED')
      expectError(await post(base, '/metrics', '{}'), 405, 'ERR_METHOD_NOT_ALLOWED')
    })

    it('accounts: wrong checksum, other prefix, garbage, mixed case → 400 ERR_ADDRESS_*', async () => {
      const good = net.outsider.address
      const last = good[good.length - 1] === 'q' ? 'p' : 'q'
      const mistyped = good.slice(0, -1) + last
      expectError(await get(base, `/accounts/${mistyped}`), 400, 'ERR_ADDRESS_CHECKSUM')
      expectError(await get(base, `/accounts/${mistyped}/proof`), 400, 'ERR_ADDRESS_CHECKSUM')
      const btc = bech32m.encode('btc', bech32m.toWords(net.outsider.id))
      expectError(await get(base, `/accounts/${btc}`), 400, 'ERR_ADDRESS_PREFIX')
      expectError(await get(base, '/accounts/hello'), 400, 'ERR_ADDRESS_FORMAT')
      expectError(await get(base, `/accounts/${'x'.repeat(500)}`), 400, 'ERR_ADDRESS_FORMAT')
      expectError(await get(base, `/accounts/${good.slice(0, 10).toUpperCase()}${good.slice(10)}`), 400, 'ERR_ADDRESS_FORMAT')
      expectError(await get(base, '/accounts/%ZZ'), 400, 'ERR_ADDRESS_FORMAT')
    })

    it('blocks: unknown hash and heights beyond the head → 404; bad height, hash or query → 400', async () => {
      expectError(await get(base, `/blocks/${'ab'.repeat(32)}`), 404, 'ERR_NOT_FOUND')
      expectError(await get(base, '/blocks/999999'), 404, 'ERR_NOT_FOUND')
      expectError(await get(base, '/blocks/0'), 404, 'ERR_NOT_FOUND')
      expectError(await get(base, `/blocks/${toHex(net.params.genesisHash)}`), 404, 'ERR_NOT_FOUND')
      expectError(await get(base, '/blocks/18446744073709551616'), 400, 'ERR_BAD_HEIGHT')
      expectError(await get(base, '/blocks/123456789012345678901234'), 400, 'ERR_BAD_HEIGHT')
      // too many digits is out of range, not "not a number"; leading zeros are the same height
      const far = await get(base, `/blocks/${'1'.repeat(5000)}`)
      expectError(far, 400, 'ERR_BAD_HEIGHT')
      expect(far.body.error.message).to.match(/out of range/)
      expect((await get(base, '/blocks/000000000000000000001')).body.height).to.equal('1')
      expectError(await get(base, '/blocks/-1'), 400, 'ERR_BAD_BLOCK_ID')
      expectError(await get(base, '/blocks/0x01'), 400, 'ERR_BAD_BLOCK_ID')
      expectError(await get(base, `/blocks/${'ab'.repeat(31)}`), 400, 'ERR_BAD_BLOCK_ID')
      expectError(await get(base, '/blocks/1?format=xml'), 400, 'ERR_BAD_QUERY')
      expectError(await get(base, '/blocks?limit=101'), 400, 'ERR_BAD_QUERY')
      expectError(await get(base, '/blocks?limit=0'), 400, 'ERR_BAD_QUERY')
      expectError(await get(base, '/blocks?limit=ten'), 400, 'ERR_BAD_QUERY')
      expectError(await get(base, '/blocks?from=-1'), 400, 'ERR_BAD_HEIGHT')
      expectError(await get(base, '/blocks?from=18446744073709551616'), 400, 'ERR_BAD_HEIGHT')
    })

    it('txs: bad id → 400 ERR_BAD_TX_ID; unknown id → 404', async () => {
      expectError(await get(base, '/txs/zz'), 400, 'ERR_BAD_TX_ID')
      expectError(await get(base, `/txs/${'ab'.repeat(33)}`), 400, 'ERR_BAD_TX_ID')
      expectError(await get(base, `/txs/${'cd'.repeat(32)}`), 404, 'ERR_NOT_FOUND')
      expectError(await get(base, `/txs/${transferId}?format=bin`), 400, 'ERR_BAD_QUERY')
    })

    it('POST /txs: garbage hex, non-transactions, bad signature, replay, no funds → 400 with the protocol code', async () => {
      expectError(await post(base, '/txs', JSON.stringify({ tx: 'zz' })), 400, 'ERR_BAD_HEX')
      expectError(await post(base, '/txs', JSON.stringify({ tx: 'abc' })), 400, 'ERR_BAD_HEX')
      expectError(await post(base, '/txs', JSON.stringify({ tx: '' })), 400, 'ERR_BAD_HEX')
      expectError(await post(base, '/txs', 'not hex at all', 'text/plain'), 400, 'ERR_BAD_HEX')
      expectError(await post(base, '/txs', JSON.stringify({ tx: '00ff' })), 400, 'ERR_MALFORMED')
      expectError(await post(base, '/txs', JSON.stringify({ tx: 'ab'.repeat(2000) })), 400, 'ERR_TOO_LARGE')

      // at the faucet's next free nonce (a forged copy of a pending one is an underpriced
      // replacement, refused before its signature is checked)
      const next = (svc.chain.ledger.get(net.faucet.id)?.nonce ?? 0n) + BigInt(svc.mempool.pending(net.faucet.id).length)
      const good = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: next, fee: 1000n, to: net.bob.address, amount: 2n })
      const bad = good.bytes.slice()
      bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0x01
      const sig = await post(base, '/txs', JSON.stringify({ tx: toHex(bad) }))
      expectError(sig, 400, 'ERR_BAD_SIGNATURE')
      expect(sig.body.error.rule).to.equal('TX-3')

      const replay = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 1000n, to: net.bob.address, amount: 3n })
      expectError(await post(base, '/txs', JSON.stringify({ tx: toHex(replay.bytes) })), 400, 'ERR_NONCE_TOO_LOW')

      const broke = keyOf('api-test:nobody')
      const poor = buildTransfer({ chainId: net.params.chainId, privateKey: broke.privateKey, nonce: 0n, fee: 1000n, to: net.bob.address, amount: 1n })
      const r = await post(base, '/txs', JSON.stringify({ tx: toHex(poor.bytes) }))
      expectError(r, 400, 'ERR_INSUFFICIENT_BALANCE')
      expect(r.body.error.rule).to.equal('TX-7')
      // the amounts it names, in base units, for clients to show in their unit
      expect(r.body.error.amounts).to.deep.equal({ need: '1001', spendable: '0' })

      const other = buildTransfer({ chainId: new Uint8Array(8).fill(1), privateKey: net.faucet.privateKey, nonce: 0n, fee: 1000n, to: net.bob.address, amount: 1n })
      expectError(await post(base, '/txs', JSON.stringify({ tx: toHex(other.bytes) })), 400, 'ERR_WRONG_CHAIN')
    })

    it('POST /txs: malformed JSON → 400 ERR_BAD_JSON; wrong shape → ERR_BAD_REQUEST; empty → ERR_EMPTY_BODY; binary type → 415', async () => {
      expectError(await post(base, '/txs', '{"tx": '), 400, 'ERR_BAD_JSON')
      expectError(await post(base, '/txs', '{"tx": 12}'), 400, 'ERR_BAD_REQUEST')
      expectError(await post(base, '/txs', '[]'), 400, 'ERR_BAD_REQUEST')
      // an empty body, whatever its type (curl -X POST without -d sends none)
      expectError(await post(base, '/txs', ''), 400, 'ERR_EMPTY_BODY')
      expectError(await post(base, '/txs', '  \n', 'text/plain'), 400, 'ERR_EMPTY_BODY')
      expectError(await post(base, '/txs', '', 'application/x-www-form-urlencoded'), 400, 'ERR_EMPTY_BODY')
      expectError(await post(base, '/txs', '00', 'application/octet-stream'), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE')
    })

    it('POST /txs: a body over the limit → 413 ERR_TOO_LARGE (declared or streamed), and the server keeps serving', async () => {
      const big = JSON.stringify({ tx: 'ab'.repeat(200 * 1024) })
      const r = await post(base, '/txs', big)
      expectError(r, 413, 'ERR_TOO_LARGE')
      const chunks = 40
      const stream = new ReadableStream<Uint8Array>({
        start (c) { for (let i = 0; i < chunks; i++) c.enqueue(new Uint8Array(16 * 1024).fill(0x61)); c.close() }
      })
      const res = await fetch(base + '/txs', { method: 'POST', body: stream, headers: { 'content-type': 'text/plain' }, duplex: 'half' } as RequestInit)
      expect(res.status).to.equal(413)
      expect(((await res.json()) as Json).error.code).to.equal('ERR_TOO_LARGE')
      expect((await get(base, '/status')).status).to.equal(200)
    })

    it('POST /txs: a compressed body → 415, a transfer coding other than chunked → 501; nothing enters the mempool and the connection is closed', async () => {
      const tx = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 900n, fee: 5000n, to: net.outsider.address, amount: 1n })
      const before = svc.mempool.size
      const { gzipSync } = await import('node:zlib')
      const gz = gzipSync(Buffer.from(JSON.stringify({ tx: toHex(tx.bytes) })))
      const r = await fetch(base + '/txs', { method: 'POST', body: gz, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } })
      expect(r.status).to.equal(415)
      expect(((await r.json()) as Json).error.code).to.equal('ERR_UNSUPPORTED_CONTENT_ENCODING')
      expect(r.headers.get('connection')).to.equal('close')
      // fetch cannot set Transfer-Encoding: a raw request, chunked framing around hex
      const { connect } = await import('node:net')
      const socket = connect(Number(new URL(base).port), '127.0.0.1')
      const reply = await new Promise<string>((resolve) => {
        let text = ''
        const timer = setTimeout(() => { socket.destroy(); resolve(text) }, 5_000)
        socket.on('data', (d: Buffer) => { text += d.toString('latin1') })
        socket.on('close', () => { clearTimeout(timer); resolve(text) })
        socket.on('error', () => {})
        const hex = toHex(tx.bytes)
        socket.write(`POST /txs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${hex.length.toString(16)}\r\n${hex}\r\n0\r\n\r\n`)
      })
      expect(reply).to.match(/^HTTP\/1\.1 501 /)
      expect(reply).to.include('ERR_UNSUPPORTED_TRANSFER_CODING')
      expect(svc.mempool.size).to.equal(before)
      expect(svc.mempool.has(tx.id)).to.equal(false)
      // the identity coding is no coding at all
      expect((await get(base, '/txs', { method: 'POST', body: JSON.stringify({ tx: '00' }), headers: { 'content-type': 'application/json', 'content-encoding': 'identity' } })).status).to.equal(400)
      expect((await get(base, '/status')).status).to.equal(200)
    })
  })
})

describe('api: a transaction between its block and the transaction index', function () {
  this.timeout(30_000)

  it('GET /txs/:id finds a transaction the head block included before the index has written it (no 404 window)', async () => {
    const net = devnet()
    // the chain's store holds a block's write until released: the head has changed in memory (the
    // mempool let go of the transaction), the index hears of it only once the block is on disk
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const store = new MemoryStore()
    const batch = store.batch.bind(store)
    let held = false
    store.batch = async (ops) => { if (held && ops.length > 1) await gate; await batch(ops) }
    const svc = await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: () => net.clock.t, validator: net.alice })
    const api = createApiServer({ chain: svc, port: 0 })
    await api.start()
    let producing: Promise<Block | undefined> | undefined
    try {
      const tx = buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 5000n, to: net.outsider.address, amount: 3n })
      expect((await post(api.url, '/txs', JSON.stringify({ tx: toHex(tx.bytes) }))).status).to.equal(202)
      held = true
      for (let i = 0; i < 500 && svc.mempool.has(tx.id); i++) {
        net.slot++
        const t = slotStart(net.slot, net.params)
        if (t > net.clock.t) net.clock.t = t
        producing = svc.produce(net.slot)
        // a slot we do not lead settles at once; ours waits at the gate with the head switched
        const settled = await Promise.race([producing.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 50))])
        if (!settled) break
      }
      expect(svc.mempool.has(tx.id), 'the block is the head, not yet on disk').to.equal(false)
      const r = await get(api.url, `/txs/${toHex(tx.id)}`)
      expect(r.status, JSON.stringify(r.body)).to.equal(200)
      expect(r.body).to.deep.include({ status: 'included', blockHash: svc.chain.head.hex, index: 0 })
    } finally {
      release()
      await producing
      await api.stop()
      await svc.close()
    }
  })
})

describe('api: event-stream limit and stop()', function () {
  this.timeout(30_000)
  const net = devnet()
  let svc: ChainService
  let api: ApiServer
  const readers: EventReader[] = []

  before(async () => {
    svc = await openService(net, net.alice)
    api = createApiServer({ chain: svc, port: 0, maxSseClients: 2, sseHeartbeatMs: 50 })
    await api.start()
  })

  after(async () => {
    for (const r of readers) r.close()
    await api?.stop()
    await svc?.close()
  })

  it('serves at most maxSseClients streams (503 beyond), sends heartbeats, and stop() ends the streams', async () => {
    readers.push(await openEvents(api.url + '/events'), await openEvents(api.url + '/events'))
    for (const r of readers) expect((await r.next()).event).to.equal('head')
    const third = await get(api.url, '/events')
    expectError(third, 503, 'ERR_TOO_MANY_CLIENTS')
    // a heartbeat is a comment; the stream stays open across several of them
    const res = await fetch(api.url + '/metrics')
    expect(await res.text()).to.match(/\nmemecoin_api_sse_clients 2\n/)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const b = await produceNext(net, svc)
    for (const r of readers) expect((await nextOf(r, 'block')).hash).to.equal(toHex(b.header.hash))
    for (const r of readers) expect(r.comments(), 'heartbeats').to.be.greaterThan(0)

    const url = api.url
    const started = Date.now()
    await api.stop()
    expect(Date.now() - started, 'stop() does not wait for event streams').to.be.lessThan(900)
    for (const r of readers) {
      let ended = false
      try { await r.next(2000) } catch (err) { ended = /ended|terminated|aborted/i.test((err as Error).message) }
      expect(ended, 'stream ended by stop()').to.equal(true)
    }
    let refused = false
    try { await fetch(url + '/status') } catch { refused = true }
    expect(refused).to.equal(true)
    // stop() is idempotent, and the server restarts
    await api.stop()
    await api.start()
    expect((await get(api.url, '/status')).status).to.equal(200)
  })
})

describe('api: pieces', () => {
  it('a large block streams in chunks (with backpressure) and parses back whole', async () => {
    const net = devnet()
    const tx = decodeTx(buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 0n, fee: 1000n, to: net.bob.address, amount: 1n }).bytes)
    const txs = Array.from({ length: 3 * TXS_PER_CHUNK + 5 }, () => tx)
    const summary = { hash: 'ab' } as unknown as BlockSummaryJson
    const parts = [...blockJsonParts(summary, { txs } as unknown as Block)]
    expect(parts).to.have.length(1 + 4 + 1)
    const server = createServer((_req, res) => { void streamJson(res, 200, blockJsonParts(summary, { txs } as unknown as Block)) })
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
      expect(res.headers.get('transfer-encoding')).to.equal('chunked')
      const body = await res.json() as Json
      expect(body.hash).to.equal('ab')
      expect(body.txs).to.have.length(txs.length)
      expect(body.txs[txs.length - 1]).to.deep.equal(txJson(tx))
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('decimalRatio truncates to fixed decimals with bigint arithmetic', () => {
    expect(decimalRatio(1n, 3n, 6)).to.equal('0.333333')
    expect(decimalRatio(2n, 2n, 6)).to.equal('1.000000')
    expect(decimalRatio(0n, 0n, 6)).to.equal('0.000000')
    expect(decimalRatio(5n, 2n, 0)).to.equal('2')
  })

  it('MetricsWriter skips malformed external samples and types counters by _total', () => {
    const text = new MetricsWriter().external('memecoin_', { 'a_total{x="1"}': 2, b: 3, 'c{': 4, d: Number.NaN }, 'h').toString()
    expect(text).to.equal('# HELP memecoin_a_total h\n# TYPE memecoin_a_total counter\nmemecoin_a_total{x="1"} 2\n# HELP memecoin_b h\n# TYPE memecoin_b gauge\nmemecoin_b 3\n')
  })
})
