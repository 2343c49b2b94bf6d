/**
 * Crash consistency: a validator process is SIGKILLed at random (seeded) moments while it imports
 * blocks and reorgs, and restarted, over and over.
 *
 * A devnet of processes on 127.0.0.1 (mDNS off): three validators (`memecoin init --validators 3
 * --slot-ms 250`, so several leaders per slot are common and short reorgs happen all the time)
 * and an observer that is never killed (the reference node). A steady trickle of faucet transfers
 * posted to the observer keeps the state changing. Each round:
 *   1. a seeded random victim among the validators; a seeded random moment: a random delay, or
 *      right after its log shows a block import / reorg / production;
 *   2. before the kill, the settled height it reports and its canonical blocks up to it are
 *      remembered (cumulatively, per validator);
 *   3. SIGKILL (the whole process group), restart on the same data directory;
 *   4. checks: the database opens (no ERR_STORE_CORRUPT, 'chain opened' with restored = true, not
 *      below the settled height it reported); `/accounts/:address/proof` of the faucet, the
 *      validators and a recipient verify against the signed head header; every block at or below
 *      a settled height it ever reported is still its canonical block; it converges with the
 *      reference node and `GET /blocks/:height` stateRoot is the same on both at a common height
 *      at or above the height it reopened at (so blocks applied on top of the restored state
 *      produced the reference's state roots).
 * Default 10 kills; MEMECOIN_RELIABILITY_LONG=1: 100 kills. MEMECOIN_RELIABILITY_SEED sets the seed.
 * Every process is killed in after() even when a check failed.
 */
import { expect } from 'chai'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { accountIdOf, addressOf, decodeAddress } from '../../src/core/address.ts'
import { bytesEqual, fromHex, toHex } from '../../src/core/bytes.ts'
import { verifyHeaderSignature } from '../../src/core/signing.ts'
import { decodeSmtProof, verifySmtProof } from '../../src/core/smt.ts'
import { publicKeyOf } from '../../src/core/secp256k1.ts'
import { decodeSignedHeader } from '../../src/wire/header.ts'
import { decryptKeystore, readKeystoreFile } from '../../src/wallet/keystore.ts'
import { buildTransfer } from '../../src/wallet/transactions.ts'
import { loadGenesisFile } from '../../src/chain/genesis.ts'
import { liveKey } from '../helpers/live-devnet.ts'
import { BIN, ROOT, apiGet, logLine, logsOf, startNodeProc, statusOf, type NodeProc, type NodeSpec } from '../helpers/memecoin-proc.ts'
import { killAllProcs, killProc, pollUntil, sleep, spawnProc, waitForLine, withTimeout } from '../helpers/proc.ts'
import { BoundedSet } from '../../src/chain/bounded.ts'
import { ChainService, MAX_WRITTEN_SNAPSHOTS } from '../../src/chain/service.ts'
import { Gossip, MAX_GOSSIP_IN_FLIGHT } from '../../src/network/gossip.ts'
import { MemoryStore } from '../../src/storage/store.ts'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { testDevnet } from '../helpers/devnet.ts'
import { increment, record } from './summary.ts'

const LONG = process.env.MEMECOIN_RELIABILITY_LONG === '1'
const KILLS = LONG ? 100 : 10
const SEED = Number(process.env.MEMECOIN_RELIABILITY_SEED ?? '20261128')
const SLOT_MS = 250

/** mulberry32: a small seeded PRNG (uniform in [0, 1)). */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface ProofResponse { address: string, accountId: string, height: string, headHash: string, stateRoot: string, header: string | null, account: string | null, proof: unknown }
interface BlockJson { hash: string, height: string, stateRoot: string }
interface StatusJson { height: string, headHash: string, settledHeight: string, peers: number }

/** Verifies a `/accounts/:address/proof` response as a light client would; returns what failed (empty: all good). */
function proofProblems (res: ProofResponse, address: string, chainId: Uint8Array): string[] {
  const out: string[] = []
  if (res.header === null) return ['no header (node at genesis)']
  const header = decodeSignedHeader(fromHex(res.header))
  const h = header.header
  if (!bytesEqual(h.chainId, chainId)) out.push('header of another chain')
  if (!verifyHeaderSignature(header)) out.push('bad header signature')
  if (toHex(header.hash) !== res.headHash || h.height.toString() !== res.height) out.push('header is not the reported head')
  if (toHex(h.stateRoot) !== res.stateRoot) out.push(`ledger root ${res.stateRoot.slice(0, 12)} ≠ head stateRoot ${toHex(h.stateRoot).slice(0, 12)}`)
  const id = decodeAddress(address)
  if (toHex(id) !== res.accountId) out.push('proof for another account')
  const value = res.account === null ? undefined : fromHex(res.account)
  if (!verifySmtProof(h.stateRoot, id, value, decodeSmtProof(res.proof))) out.push('SMT proof does not verify')
  return out
}

describe('reliability: crash consistency under random SIGKILL', function () {
  this.timeout(120_000)
  let tmp: string
  const specs: NodeSpec[] = []
  const live = new Map<string, NodeProc>()
  const runs: NodeProc[] = []
  let chainId: Uint8Array
  let faucetKey: Uint8Array
  let faucetAddress: string
  const validatorAddresses: string[] = []
  let minFee: bigint
  const recipients = Array.from({ length: 8 }, (_, i) => liveKey(`crash:recipient:${i}`).address)

  const start = async (spec: NodeSpec): Promise<NodeProc> => {
    const others = [...live.values()].filter((n) => n.spec.name !== spec.name && !n.proc.done()).map((n) => n.addr)
    const n = await startNodeProc(spec, others, 30_000)
    runs.push(n)
    live.set(spec.name, n)
    return n
  }
  const ref = (): NodeProc => live.get('obs') as NodeProc
  const status = async (n: NodeProc): Promise<StatusJson> => await apiGet<StatusJson>(n, '/status') as unknown as StatusJson

  /** Canonical hashes of `n` at heights [from, to] (paged /blocks). */
  const hashesIn = async (n: NodeProc, from: bigint, to: bigint): Promise<Map<bigint, string>> => {
    const out = new Map<bigint, string>()
    let h = from
    for (let page = 0; page < 1000 && h <= to; page++) {
      const limit = Number(to - h + 1n > 100n ? 100n : to - h + 1n)
      const r = await apiGet<{ blocks: Array<{ hash: string, height: string }> }>(n, `/blocks?from=${h}&limit=${limit}`, 5000)
      if (r.blocks.length === 0) break
      for (const b of r.blocks) out.set(BigInt(b.height), b.hash)
      h = BigInt((r.blocks[r.blocks.length - 1] as { height: string }).height) + 1n
    }
    return out
  }

  /** Posts a few faucet transfers to the reference node (next nonces; duplicates are refused, fine). */
  let txsPosted = 0
  const postTransfers = async (rand: () => number): Promise<void> => {
    const acct = await apiGet<{ nonce: string, pendingTxs?: number }>(ref(), `/accounts/${faucetAddress}`)
    const base = BigInt(acct.nonce)
    for (let i = 0n; i < 3n; i++) {
      const to = recipients[Math.floor(rand() * recipients.length)] as string
      const tx = buildTransfer({ chainId, privateKey: faucetKey, nonce: base + i, fee: minFee, to, amount: BigInt(1 + Math.floor(rand() * 1000)) * 100_000n })
      const res = await fetch(ref().apiUrl + '/txs', { method: 'POST', body: JSON.stringify({ tx: toHex(tx.bytes) }), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(2000) })
      await res.text()
      if (res.status === 202) txsPosted++
    }
  }

  before(async function () {
    this.timeout(60_000)
    tmp = await mkdtemp(join(tmpdir(), 'memecoin-crash-'))
    const chainDir = join(tmp, 'chain')
    const init = spawnProc('init', process.execPath, [BIN, 'init', '--dir', chainDir, '--validators', '3', '--slot-ms', String(SLOT_MS), '--scrypt-n', '1024', '--json'], { cwd: ROOT })
    const { code } = await withTimeout(init.exited, 30_000, 'memecoin init')
    expect(code, init.lines.join('\n')).to.equal(0)
    const result = JSON.parse(init.lines.find((l) => l.startsWith('{')) as string) as { genesisPath: string, validators: Array<{ keystore: string, address?: string }>, faucet: { address: string, keystore: string } }
    const passwordFile = join(chainDir, 'password')
    const password = (await readFile(passwordFile, 'utf8')).trim()
    const genesis = await loadGenesisFile(result.genesisPath)
    chainId = genesis.params.chainId
    minFee = genesis.params.minFee
    faucetKey = await decryptKeystore(await readKeystoreFile(result.faucet.keystore), password)
    faucetAddress = result.faucet.address
    expect(toHex(accountIdOf(publicKeyOf(faucetKey)))).to.equal(toHex(decodeAddress(faucetAddress)))
    for (let i = 0; i < 3; i++) {
      const ks = result.validators[i]?.keystore as string
      const key = await decryptKeystore(await readKeystoreFile(ks), password)
      validatorAddresses.push(addressOf(publicKeyOf(key)))
      key.fill(0)
      specs.push({ name: `v${i}`, dir: join(tmp, `v${i}`), genesis: result.genesisPath, validatorKey: ks, passwordFile })
    }
    specs.push({ name: 'obs', dir: join(tmp, 'obs'), genesis: result.genesisPath })
    for (const s of specs) await start(s)
    await pollUntil('every node to have peers and the chain to reach height 5', async () => {
      const s = await Promise.all([...live.values()].map(async (n) => await statusOf(n)))
      return s.every((x) => x.peers >= 2 && BigInt(x.height) >= 5n) ? true : undefined
    }, 30_000)
  })

  after(async function () {
    this.timeout(30_000)
    await killAllProcs()
    faucetKey?.fill(0)
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true })
  })

  it(`${KILLS} random SIGKILLs of validators: every database opens, no state-root mismatch, nothing settled lost`, async function () {
    this.timeout(KILLS * 25_000 + 60_000)
    const rand = prng(SEED)
    /** Per validator: height → hash of every block at or below a settled height it reported. */
    const settled = new Map<string, Map<bigint, string>>()
    let kills = 0
    let corrupt = 0
    let mismatches = 0
    let lost = 0
    let proofFailures = 0
    let lostHistory = 0
    const problems: string[] = []
    const moments = { delay: 0, afterImport: 0, afterReorg: 0, afterProduce: 0 }

    for (let i = 0; i < KILLS; i++) {
      const spec = specs[Math.floor(rand() * 3)] as NodeSpec
      const victim = live.get(spec.name) as NodeProc
      await postTransfers(rand).catch(() => {})

      // a random moment: a plain delay, or just after a block import / reorg / production in its log
      await sleep(Math.floor(rand() * 1200))
      const st = await status(victim)
      const settledHeight = BigInt(st.settledHeight)
      const mine = settled.get(spec.name) ?? new Map<bigint, string>()
      settled.set(spec.name, mine)
      const known = [...mine.keys()].reduce((a, b) => (a > b ? a : b), 0n)
      if (settledHeight > known) for (const [h, hash] of await hashesIn(victim, known + 1n, settledHeight)) mine.set(h, hash)
      const mode = rand()
      if (mode < 0.25) {
        const from = victim.proc.lines.length
        const want = mode < 0.08 ? 'reorg' : mode < 0.16 ? 'produced block' : 'imported'
        const hit = await waitForLine(victim.proc, (l) => {
          const j = logLine(l)
          if (j === undefined) return undefined
          if (want === 'imported') return j.msg === 'reorg' || j.msg === 'produced block' || /block/.test(j.msg) ? j.msg : undefined
          return j.msg === want ? j.msg : undefined
        }, 4000, want, from).catch(() => undefined)
        if (hit !== undefined) moments[want === 'reorg' ? 'afterReorg' : want === 'produced block' ? 'afterProduce' : 'afterImport']++
        else moments.delay++
        await sleep(Math.floor(rand() * 40))
      } else {
        moments.delay++
        await sleep(Math.floor(rand() * SLOT_MS))
      }
      const { signal } = await killProc(victim.proc)
      expect(signal, `kill ${i}`).to.equal('SIGKILL')
      kills++

      // 1. the database opens
      let restarted: NodeProc
      try {
        restarted = await start(spec)
      } catch (err) {
        const out = runs.filter((r) => r.spec.name === spec.name).at(-1)?.proc.lines.join('\n') ?? ''
        if (/ERR_STORE_CORRUPT|inconsistent/.test(String((err as Error).message) + out)) corrupt++
        problems.push(`kill ${i} (${spec.name}): restart failed: ${(err as Error).message.slice(0, 400)}`)
        // try once more so the loop can go on (the failure is recorded)
        restarted = await start(spec)
      }
      if (!restarted.opened.restored) { corrupt++; problems.push(`kill ${i} (${spec.name}): opened at genesis, not restored`) }
      if (restarted.opened.height < settledHeight) { lostHistory++; problems.push(`kill ${i} (${spec.name}): reopened at ${restarted.opened.height} below settled ${settledHeight}`) }

      // 2. proofs of the restored state verify against its head header
      for (const address of [faucetAddress, ...validatorAddresses, recipients[i % recipients.length] as string]) {
        const res = await apiGet<ProofResponse>(restarted, `/accounts/${address}/proof`) as unknown as ProofResponse
        const p = proofProblems(res, address, chainId)
        if (p.length > 0) { proofFailures++; problems.push(`kill ${i} (${spec.name}): proof of ${address.slice(0, 12)} at ${res.height}: ${p.join('; ')}`) }
      }

      // 3. nothing settled is lost
      const maxSettled = [...mine.keys()].reduce((a, b) => (a > b ? a : b), 0n)
      if (maxSettled > 0n) {
        const now = await hashesIn(restarted, 1n, maxSettled)
        for (const [h, hash] of mine) {
          if (now.get(h) !== hash) { lost++; if (lost <= 5) problems.push(`kill ${i} (${spec.name}): settled block at ${h} was ${hash.slice(0, 12)}, now ${now.get(h)?.slice(0, 12) ?? 'missing'}`) }
        }
      }

      // 4. converges with the reference; the same state root at a common height ≥ where it reopened
      const common = await pollUntil(`${spec.name} and the reference to share a block above ${restarted.opened.height}`, async () => {
        const [a, b] = await Promise.all([status(restarted), status(ref())])
        const h = (BigInt(a.height) < BigInt(b.height) ? BigInt(a.height) : BigInt(b.height)) - 1n
        if (h <= restarted.opened.height) return undefined
        const [x, y] = await Promise.all([apiGet<BlockJson>(restarted, `/blocks/${h}`), apiGet<BlockJson>(ref(), `/blocks/${h}`)])
        return x.hash === y.hash ? { h, x, y } : undefined
      }, 30_000, 100).catch((err: Error) => { problems.push(`kill ${i} (${spec.name}): ${err.message}`); return undefined })
      if (common === undefined || common.x.stateRoot !== common.y.stateRoot) {
        mismatches++
        if (common !== undefined) problems.push(`kill ${i} (${spec.name}): stateRoot at ${common.h}: ${common.x.stateRoot} vs reference ${common.y.stateRoot}`)
      }
    }

    const reorgs = runs.filter((r) => r.spec.name !== 'obs').reduce((a, r) => a + logsOf(r.proc, 'reorg').length, 0)
    const refStatus = await status(ref())
    increment('killsSurvived', kills - corrupt)
    increment('corruptDatabases', corrupt)
    increment('stateRootMismatches', mismatches)
    increment('settledBlocksLost', lost)
    record('crash', { seed: SEED, kills, corrupt, stateRootMismatches: mismatches, settledBlocksLost: lost, proofFailures, reopenedBelowSettled: lostHistory, reorgsLogged: reorgs, txsPosted, finalHeight: refStatus.height, killMoments: moments })
    console.log(`      (seed ${SEED}: ${kills} kills, ${corrupt} corrupt, ${mismatches} state-root mismatches, ${lost} settled blocks lost, ${proofFailures} proof failures; ` +
      `reorgs logged by validators ${reorgs}, txs posted ${txsPosted}, reference height ${refStatus.height}; moments ${JSON.stringify(moments)})`)
    expect(problems, problems.join('\n')).to.deep.equal([])
    expect(reorgs, 'reorgs happened during the run').to.be.greaterThan(0)
  })
})

/**
 * Bounds found by the reliability audit (test/reliability/README.md), each with its fix:
 *  - ChainService remembered every stake-snapshot id it ever wrote (one per distinct stake
 *    distribution, forever): now a BoundedSet of MAX_WRITTEN_SNAPSHOTS; forgetting an id only
 *    means writing the same key and value again, and a store written that way still reopens.
 *  - gossipsub validates messages concurrently and each waited in ChainService's one queue with
 *    no limit: now at most MAX_GOSSIP_IN_FLIGHT validations run, the rest are IGNOREd at once.
 */
describe('reliability: bounds added by the audit', function () {
  it('the written stake-snapshot set is bounded, and a store written after evictions reopens at the same head', async () => {
    const net = testDevnet(1, { label: 'rel-snapshots' })
    const store = new MemoryStore()
    const open = async (): Promise<ChainService> => await ChainService.open({ params: net.params, allocations: net.config.accounts, store, now: net.clock.now, validator: net.validators[0] as { privateKey: Uint8Array, publicKey: Uint8Array } })
    const svc = await open()
    const produce = async (n: number): Promise<void> => {
      let made = 0
      for (let slot = BigInt(Math.floor(Number(net.clock.t - net.params.genesisTime) / Number(net.params.slotMs))) + 1n; made < n && slot < 100_000n; slot++) {
        net.clock.toSlot(slot)
        if (await svc.produce(slot) !== undefined) made++
      }
    }
    await produce(3)
    const written = (svc as unknown as { writtenSnapshots: BoundedSet<string> }).writtenSnapshots
    expect(written).to.be.instanceOf(BoundedSet)
    for (let i = 0; i < MAX_WRITTEN_SNAPSHOTS + 100; i++) written.add(`fake-${i}`)
    expect(written.size).to.equal(MAX_WRITTEN_SNAPSHOTS)
    await produce(3) // its real snapshot ids were evicted: written again
    const head = svc.chain.head.hex
    const root = toHex(svc.chain.ledger.root())
    await svc.close()
    const again = await open()
    expect(again.chain.head.hex).to.equal(head)
    expect(toHex(again.chain.ledger.root())).to.equal(root)
    await again.close()
  })

  it('gossip validation in flight is bounded: beyond MAX_GOSSIP_IN_FLIGHT a message is IGNOREd at once', async () => {
    const release: Array<() => void> = []
    const chain = {
      on: () => {},
      importBlock: async () => { await new Promise<void>((resolve) => { release.push(resolve) }); throw new Error('test: not imported') },
      // every block goes to the import before relay (as one with an unknown parent does)
      checkBlockForRelay: () => ({ verdict: 'import', block: { header: { header: { proposer: new Uint8Array(33) } } } }),
      params: {}
    }
    const validators = new Map<string, (peer: unknown, msg: unknown) => Promise<unknown>>()
    const pubsub = { topicValidators: validators, subscribe: () => {}, unsubscribe: () => {}, publish: async () => {} }
    const noop = Object.assign(() => {}, { trace: () => {}, error: () => {}, enabled: false })
    const gossip = new Gossip({
      chain: chain as never, pubsub: pubsub as never, topics: { block: 'b', tx: 't', evidence: 'e' } as never, batchDelayMs: 10,
      onReject: () => {}, onUnknownParent: () => {}, onBlockImported: () => {}, log: noop as never
    })
    gossip.start()
    const validate = validators.get('b') as (peer: unknown, msg: unknown) => Promise<unknown>
    const msg = { data: new Uint8Array([1, 2, 3]) }
    const pending = Array.from({ length: MAX_GOSSIP_IN_FLIGHT }, async () => await validate('peer', msg))
    await sleep(20)
    expect(release.length, 'validations waiting in the chain').to.equal(MAX_GOSSIP_IN_FLIGHT)
    const extra = await Promise.all(Array.from({ length: 10 }, async () => await validate('peer', msg)))
    expect(extra.every((r) => r === TopicValidatorResult.Ignore)).to.equal(true)
    expect(release.length, 'the extra messages never reached the chain').to.equal(MAX_GOSSIP_IN_FLIGHT)
    expect(gossip.stats.received.block.ignore).to.equal(10)
    for (const r of release.splice(0)) r()
    await Promise.all(pending)
    // back under the bound: the next message goes to the chain again
    const next = validate('peer', msg)
    await sleep(5)
    expect(release.length).to.equal(1)
    release.splice(0).forEach((r) => { r() })
    await next
    gossip.stop()
    increment('boundsAdded', 2)
  })
})
