/**
 * Three memecoin nodes that find each other by mDNS alone (no bootstrap addresses), for
 * test/node/mdns.test.ts. Multicast must stay inside a network namespace, so this script refuses
 * to run when any network interface other than loopback exists (a fresh `unshare --net`
 * namespace has only `lo`):
 *
 *   unshare --net --fork sh -c 'ip link set lo up && ip route add 224.0.0.0/4 dev lo &&
 *     node --import tsx test/helpers/mdns-devnet.ts'
 *
 * Prints one JSON line per sample: {"t": ms, "nodes": [{name, peerId, peers, height, head}]}, and
 * a last line {"done": true, "converged": bool}. Exits by itself: once all nodes have ≥ 2 peers and
 * one head at height ≥ MIN_HEIGHT for two samples in a row, or after MDNS_DEVNET_MAX_MS (default
 * 25 s); exit code 0 unless something threw.
 */
import '../../src/polyfill.ts'
import { randomBytes } from 'node:crypto'
import { networkInterfaces } from 'node:os'
import { accountIdOf } from '../../src/core/address.ts'
import { defaultDevnetGenesis, genesisToJson } from '../../src/core/genesis.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../../src/core/secp256k1.ts'
import { loadGenesis } from '../../src/chain/genesis.ts'
import { createNode, type MemecoinNode } from '../../src/node.ts'

const MEME = 10n ** 8n
const NODES = 3
const MIN_HEIGHT = 3n
const SAMPLE_MS = 250
const maxMs = Number(process.env.MDNS_DEVNET_MAX_MS ?? '25000')

const foreign = Object.entries(networkInterfaces()).filter(([, addrs]) => (addrs ?? []).some((a) => !a.internal)).map(([name]) => name)
if (foreign.length > 0) {
  process.stderr.write(`mdns-devnet: refusing to multicast outside a fresh network namespace (interfaces: ${foreign.join(', ')}); run it under \`unshare --net\`\n`)
  process.exit(2)
}

const out = (v: unknown): void => { process.stdout.write(JSON.stringify(v, (_k, x: unknown) => typeof x === 'bigint' ? x.toString() : x) + '\n') }
const started = Date.now()
const hardStop = setTimeout(() => { out({ done: true, converged: false, error: 'hard timeout' }); process.exit(3) }, maxMs + 10_000)
hardStop.unref()

const keys = Array.from({ length: NODES }, () => privateKeyFromEntropy(randomBytes(48)))
const faucet = privateKeyFromEntropy(randomBytes(48))
const genesis = loadGenesis(genesisToJson(defaultDevnetGenesis({
  genesisTime: BigInt(Date.now()) + 500n,
  slotMs: 250n,
  chainName: 'mdns-test',
  validators: keys.map((k) => ({ id: accountIdOf(publicKeyOf(k)), stake: 1000n * MEME, balance: 10n * MEME })),
  faucet: { id: accountIdOf(publicKeyOf(faucet)), balance: 1000n * MEME }
})))

const nodes: MemecoinNode[] = []
let converged = false
try {
  for (const k of keys) {
    nodes.push(await createNode({
      genesis,
      validatorKey: k,
      mdns: true,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      api: false,
      host: { mdnsIntervalMs: 1000 }
    }))
  }
  await Promise.all(nodes.map(async (n) => { await n.start() }))
  let good = 0
  for (let i = 0; i < Math.ceil(maxMs / SAMPLE_MS) && Date.now() - started < maxMs; i++) {
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS))
    const sample = nodes.map((n, j) => ({
      name: `n${j}`,
      peerId: n.libp2p.peerId.toString(),
      peers: n.libp2p.services.memecoin.syncState().peers,
      connections: n.libp2p.getConnections().length,
      height: n.chain.chain.head.height,
      head: n.chain.chain.head.hex
    }))
    out({ t: Date.now() - started, nodes: sample })
    const ok = sample.every((s) => s.peers >= NODES - 1 && s.height >= MIN_HEIGHT && s.head === sample[0]?.head)
    good = ok ? good + 1 : 0
    if (good >= 2) { converged = true; break }
  }
} finally {
  await Promise.all(nodes.map(async (n) => { await n.stop().catch(() => {}) }))
  out({ done: true, converged, t: Date.now() - started })
}
process.exit(0)
