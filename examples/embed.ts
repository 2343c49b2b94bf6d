/**
 * Embedding memecoin into an application that already runs libp2p.
 *
 * The application builds its own libp2p node (TCP, Noise, Yamux, identify, and gossipsub
 * configured with `gossipsubOptions(chainId)`) and adds `memecoin: memecoin({ chain })` to its
 * services, with a ChainService over an in-memory store. It dials a memecoin node, follows the
 * chain (one line per head change), and exits after `--blocks` new blocks or `--timeout-ms`.
 *
 *   npx tsx examples/embed.ts                                   # demo: starts its own local validator
 *   npx tsx examples/embed.ts --genesis DIR/genesis.json --peer /ip4/127.0.0.1/tcp/PORT/p2p/PEERID
 *
 * Options: --blocks N (default 5), --timeout-ms MS (default 30000). Exit code 0 once it followed
 * N blocks, 1 on timeout or error. The demo validator listens on 127.0.0.1 only, mDNS off.
 */
// first: importing memecoin installs Promise.withResolvers, which libp2p 3 needs on Node 20
import { accountIdOf, ChainService, createNode, defaultDevnetGenesis, genesisToJson, gossipsubOptions, loadGenesis, loadGenesisFile, memecoin, MemoryStore, privateKeyFromEntropy, publicKeyOf, type HeadChange, type LoadedGenesis, type MemecoinNode } from 'memecoin'
import { noise } from '@chainsafe/libp2p-noise'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'

/** The flags, or one error line and exit 2 (not parseArgs' stack trace). */
function flags (): { genesis?: string, peer?: string, blocks: string, 'timeout-ms': string } {
  try {
    return parseArgs({
      options: {
        genesis: { type: 'string' },
        peer: { type: 'string' },
        blocks: { type: 'string', default: '5' },
        'timeout-ms': { type: 'string', default: '30000' }
      }
    }).values
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`)
    process.exit(2)
  }
}
const opts = flags()
if (!/^[1-9][0-9]{0,5}$/.test(opts.blocks) || !/^[1-9][0-9]{0,7}$/.test(opts['timeout-ms'])) {
  process.stderr.write('error: --blocks and --timeout-ms take positive whole numbers\n')
  process.exit(2)
}
const wanted = BigInt(opts.blocks)
const timeoutMs = Number(opts['timeout-ms'])
const say = (line: string): void => { process.stdout.write(`[embed] ${line}\n`) }

if ((opts.genesis === undefined) !== (opts.peer === undefined)) {
  process.stderr.write('give both --genesis and --peer, or neither (demo mode)\n')
  process.exit(2)
}

/** Demo mode: a one-validator devnet on this machine (loopback only, mDNS off, no API). */
async function startDemoValidator (): Promise<{ genesis: LoadedGenesis, node: MemecoinNode, addr: string }> {
  const validatorKey = privateKeyFromEntropy(randomBytes(48))
  const faucetKey = privateKeyFromEntropy(randomBytes(48))
  const genesis = loadGenesis(genesisToJson(defaultDevnetGenesis({
    genesisTime: BigInt(Date.now()),
    slotMs: 250n,
    chainName: 'embed-demo',
    validators: [{ id: accountIdOf(publicKeyOf(validatorKey)), stake: 1000n * 10n ** 8n, balance: 10n * 10n ** 8n }],
    faucet: { id: accountIdOf(publicKeyOf(faucetKey)), balance: 1000n * 10n ** 8n }
  })))
  const node = await createNode({ genesis, validatorKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, api: false })
  await node.start()
  const addr = node.libp2p.getMultiaddrs()[0]?.toString()
  if (addr === undefined) throw new Error('the demo validator has no listen address')
  say(`demo validator ${node.libp2p.peerId.toString()} on ${addr}`)
  return { genesis, node, addr }
}

let demo: MemecoinNode | undefined
let genesis: LoadedGenesis
let peer: string
if (opts.genesis !== undefined && opts.peer !== undefined) {
  genesis = await loadGenesisFile(opts.genesis)
  peer = opts.peer
} else {
  const d = await startDemoValidator()
  demo = d.node
  genesis = d.genesis
  peer = d.addr
}

// --- the application: its own libp2p node, with memecoin as one of its services ---
const store = new MemoryStore()
await store.open()
const chain = await ChainService.open({
  params: genesis.params,
  allocations: genesis.config.accounts,
  store,
  now: () => BigInt(Date.now())
})
const app = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    pubsub: gossipsub(gossipsubOptions(chain.chainIdHex)),
    memecoin: memecoin({ chain })
  }
})
say(`app ${app.peerId.toString()} follows chain ${chain.chainIdHex}`)

// blocks followed = new blocks once caught up with the peer (those synced from its history are not)
let startHeight: bigint | undefined
let finish: (ok: boolean) => void = () => {}
const finished = new Promise<boolean>((resolve) => { finish = resolve })
const onHead = (c: HeadChange): void => {
  const { catchingUp, targetHeight } = app.services.memecoin.syncState()
  say(`head height=${c.head.height} hash=${c.head.hex.slice(0, 16)}${c.undone.length > 0 ? ` (reorg of ${c.undone.length})` : ''}${startHeight === undefined ? ' (syncing)' : ''}`)
  if (startHeight === undefined && !catchingUp && c.head.height >= targetHeight) startHeight = c.head.height
  if (startHeight !== undefined && c.head.height - startHeight >= wanted) {
    chain.off('head', onHead)
    finish(true)
  }
}
chain.on('head', onHead)
const timer = setTimeout(() => { say(`timeout after ${timeoutMs} ms at height ${chain.chain.head.height}`); finish(false) }, timeoutMs)

let ok = false
try {
  // libp2p does not dial by itself: the application dials the memecoin node it was given
  await app.dial(multiaddr(peer), { signal: AbortSignal.timeout(10_000) })
  say(`connected to ${peer}`)
  ok = await finished
  say(`followed ${chain.chain.head.height - (startHeight ?? chain.chain.head.height)} blocks to height ${chain.chain.head.height}; memecoin peers=${app.services.memecoin.syncState().peers}`)
} catch (err) {
  process.stderr.write(`[embed] error: ${(err as Error).message}\n`)
} finally {
  clearTimeout(timer)
  await app.stop()
  await chain.close()
  await store.close()
  await demo?.stop()
}
process.exit(ok ? 0 : 1)
