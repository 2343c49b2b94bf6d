/**
 * Three full nodes in one process — three validators of a fresh devnet — that find each other,
 * agree on one chain, and carry a payment: the faucet pays alice through node 0, alice pays bob
 * through node 2, and every node sees both payments in its ledger.
 *
 *   npx tsx examples/lan-devnet.ts              # discovery by mDNS, listening on 0.0.0.0 (a LAN)
 *   npx tsx examples/lan-devnet.ts --no-mdns    # loopback only: 127.0.0.1 and bootstrap addresses
 *
 * By default the nodes listen on every interface and find each other by mDNS multicast, as nodes
 * on different machines of a LAN would. With `--no-mdns` (or MEMECOIN_EXAMPLE_MDNS=0) nothing
 * leaves the machine: the nodes listen on 127.0.0.1 only and node i dials nodes 0…i-1 through
 * their bootstrap multiaddrs (`/ip4/127.0.0.1/tcp/<port>/p2p/<peer id>`). The tests use that.
 */
import { buildTransfer, createNode, type MemecoinNode } from 'memecoin'
import {
  MEME, apiCall, apiGet, exampleGenesis, formatMeme, guard, hasFlag, newKey, nodeLog, run, short, submitTx, waitFor
} from './_shared.ts'

const NODES = 3
const SLOT_MS = 300
const mdns = !hasFlag('no-mdns') && process.env.MEMECOIN_EXAMPLE_MDNS !== '0'

/** A node's loopback multiaddr with its peer id, for other nodes to bootstrap from. */
function loopbackAddr (node: MemecoinNode): string {
  const a = node.libp2p.getMultiaddrs().map(String).find((s) => s.startsWith('/ip4/127.0.0.1/tcp/'))
  if (a === undefined) throw new Error('node has no loopback address')
  return a.includes('/p2p/') ? a : `${a}/p2p/${node.libp2p.peerId.toString()}`
}

async function main (): Promise<void> {
  const nodes: MemecoinNode[] = []
  const cleanup = async (): Promise<void> => {
    await Promise.all(nodes.splice(0).map(async (n) => { await n.stop().catch(() => {}) }))
  }
  guard(mdns ? 90_000 : 60_000, cleanup)
  try {
    const validators = Array.from({ length: NODES }, newKey)
    const faucet = newKey()
    const alice = newKey()
    const bob = newKey()
    // Fresh keys make a fresh chain id, so other devnets on the LAN are told apart (and refused).
    const genesis = exampleGenesis({ chainName: 'lan-devnet-example', validators, faucet, slotMs: SLOT_MS, startInMs: 500 })
    const { chainId, minFee } = genesis.params
    console.log(`Devnet ${genesis.chainIdHex}: ${NODES} validators with equal stake, ${SLOT_MS} ms slots`)
    console.log(mdns
      ? 'Discovery: mDNS on the LAN (listening on 0.0.0.0); use --no-mdns to stay on loopback'
      : 'Discovery: none (--no-mdns); nodes listen on 127.0.0.1 and dial each other\'s bootstrap addresses')

    // start the nodes -------------------------------------------------------------------------
    for (let i = 0; i < NODES; i++) {
      const name = `node${i}`
      const log = nodeLog(name)
      const node = await createNode({
        genesis,
        validatorKey: (validators[i] as (typeof validators)[number]).privateKey,
        mdns,
        listen: [mdns ? '/ip4/0.0.0.0/tcp/0' : '/ip4/127.0.0.1/tcp/0'],
        bootstrap: mdns ? [] : nodes.map(loopbackAddr),
        api: { host: '127.0.0.1', port: 0 },
        // a short mDNS query interval, so the demo does not wait 10 s for a second round
        ...(mdns ? { host: { mdnsIntervalMs: 2000 } } : {}),
        ...(log !== undefined ? { log } : {})
      })
      nodes.push(node)
      await node.start()
      console.log(`  ${name} started: peer ${short(node.libp2p.peerId.toString())}, API ${node.apiUrl}`)
    }
    const name = (i: number): string => `node${i}`
    const idOf = new Map(nodes.map((n, i) => [n.libp2p.peerId.toString(), name(i)]))

    // discovery -------------------------------------------------------------------------------
    console.log(`\nWaiting for the nodes to find each other${mdns ? ' by mDNS' : ''}…`)
    await waitFor('every node to connect to the other two', () =>
      nodes.every((n) => nodes.every((m) => m === n || n.libp2p.getConnections(m.libp2p.peerId).length > 0)), mdns ? 45_000 : 15_000)
    for (const [i, n] of nodes.entries()) {
      const peers = n.libp2p.getPeers().map((p) => idOf.get(p.toString()) ?? short(p.toString()))
      console.log(`  ${name(i)} is connected to ${peers.sort().join(', ')}`)
    }
    console.log('All nodes found each other')

    // one chain -------------------------------------------------------------------------------
    await waitFor('blocks on one common chain', async () => {
      const heads = await Promise.all(nodes.map(async (n) => await apiGet(n.apiUrl as string, '/status')))
      const first = heads[0]
      return Number(first.height) >= 2 && heads.every((h) => h.headHash === first.headHash) ? first : undefined
    }, 20_000, 100).then((h) => { console.log(`  all ${NODES} nodes are at height ${h.height}, head ${short(h.headHash)}`) })

    // payments --------------------------------------------------------------------------------
    const payments = [
      { from: faucet, fromName: 'faucet', to: alice, toName: 'alice', amount: 50n * MEME, via: 0 },
      { from: alice, fromName: 'alice', to: bob, toName: 'bob', amount: 20n * MEME, via: 2 }
    ]
    for (const p of payments) {
      const api = nodes[p.via]?.apiUrl as string
      console.log(`\n${p.fromName} pays ${p.toName} ${formatMeme(p.amount)}, submitted to ${name(p.via)}`)
      const account = await apiGet(api, `/accounts/${p.from.address}`)
      const tx = buildTransfer({ chainId, privateKey: p.from.privateKey, nonce: BigInt(account.nextNonce), fee: minFee, to: p.to.address, amount: p.amount })
      const id = await submitTx(api, tx)
      console.log(`  transaction ${short(id)} accepted by ${name(p.via)}; gossiped to the others`)
      // every node must report the same canonical inclusion, from its own ledger
      const seen = await waitFor(`the payment on all ${NODES} nodes`, async () => {
        const inc = await Promise.all(nodes.map(async (n) => await apiCall(n.apiUrl as string, `/txs/${id}`)))
        const first = inc[0]?.body
        const same = inc.every((r) => r.status === 200 && r.body.status === 'included' && r.body.canonical === true && r.body.blockHash === first.blockHash)
        return same ? first as { blockHash: string, height: string } : undefined
      }, 20_000, 150)
      console.log(`  included in block ${short(seen.blockHash)} at height ${seen.height}`)
      for (const [i, n] of nodes.entries()) {
        const to = await apiGet(n.apiUrl as string, `/accounts/${p.to.address}`)
        console.log(`  ${name(i)} sees ${p.toName}'s balance: ${formatMeme(to.balance)}`)
      }
      console.log(`  payment seen on all ${NODES} nodes`)
    }

    // final balances agree --------------------------------------------------------------------
    const expected = { alice: 50n * MEME - 20n * MEME - minFee, bob: 20n * MEME }
    await waitFor('the same final balances on every node', async () => {
      for (const n of nodes) {
        const a = await apiGet(n.apiUrl as string, `/accounts/${alice.address}`)
        const b = await apiGet(n.apiUrl as string, `/accounts/${bob.address}`)
        if (BigInt(a.balance) !== expected.alice || BigInt(b.balance) !== expected.bob) return false
      }
      return true
    }, 10_000)
    console.log(`\nAll ${NODES} nodes agree: alice ${formatMeme(expected.alice)}, bob ${formatMeme(expected.bob)}`)
    console.log('\nStopping the nodes')
  } finally {
    await cleanup()
  }
  console.log('done')
}

run(main)
