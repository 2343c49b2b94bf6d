/**
 * The devnet load benchmark (issue #7): N validator processes (`memecoin start`, as `memecoin
 * devnet` runs them) on loopback only — mDNS off, libp2p and the API on 127.0.0.1, joined by
 * bootstrap addresses — and this process as the load generator: it posts presigned transfers to
 * the nodes' `POST /txs/batch` on an open-loop schedule for `seconds`, follows node 0's canonical
 * chain through its event stream (`GET /events`, then `GET /blocks/:height?format=hex` per new
 * block: one cheap request per block), and at the end checks every accepted transaction against
 * node 0's final chain, every sender's nonce, and that all heads agree. Peak RSS is each node
 * process's VmHWM (/proc/PID/status).
 *
 * Every child is stopped in `finally` (SIGTERM, a grace, SIGKILL), on SIGINT/SIGTERM of this
 * process, and — if this process dies outright — by its own stdin watchdog; the temp dir goes too.
 */
import '../src/polyfill.ts'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { accountIdOf, addressOf } from '../src/core/address.ts'
import { fromHex, toHex, utf8 } from '../src/core/bytes.ts'
import { defaultDevnetGenesis } from '../src/core/genesis.ts'
import { sha256 } from '../src/core/hash.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../src/core/secp256k1.ts'
import { signingDigest, TX_DOMAIN } from '../src/core/signing.ts'
import { writeGenesisFile } from '../src/chain/genesis.ts'
import { freePorts } from '../src/cli/devnet.ts'
import { encryptKeystore, writeKeystoreFile } from '../src/wallet/keystore.ts'
import { decodeMessage } from '../src/wire/codec.ts'
import { MAX_BLOCK_BYTES, MAX_BLOCK_TXS } from '../src/wire/limits.ts'
import { Block as BlockMessage } from '../src/wire/memecoin.ts'
import { encodeTx, encodeTxBody, signTx } from '../src/wire/tx.ts'
import { NODE_FLAGS } from '../src/cli/node-flags.ts'
import type { BenchResult } from './result.ts'
import { peakRssOf } from './threads.ts'

/** Options of `runDevnetLoad`. */
export interface DevnetLoadProcOptions {
  nodes?: number
  seconds?: number
  /** Offered transfers per second (all nodes together). */
  rate?: number
  senders?: number
  /** Most transactions in one `POST /txs/batch` (the API's 256 KiB body holds ≈ 850 transfers). */
  maxPost?: number
  slotMs?: bigint
  maxBlockTxs?: bigint
  /** Write a V8 CPU profile of every node into this directory (`--cpu-prof`). */
  cpuProfDir?: string
  /** Keep the temp dir (node logs) for inspection. */
  keepDir?: boolean
}

const MEME = 10n ** 8n
const BIN = fileURLToPath(new URL('../bin/memecoin.js', import.meta.url))
const ROOT = fileURLToPath(new URL('../', import.meta.url))
/** The devnet's child watchdog: a child SIGTERMs itself when our end of its stdin closes. */
const WATCHDOG = 'data:text/javascript,' + encodeURIComponent(
  "const s=process.stdin;s.on('error',()=>{});s.once('end',()=>{process.kill(process.pid,'SIGTERM')});s.resume();s.unref?.()"
)
const STARTUP_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 15_000
const DRAIN_TIMEOUT_MS = 30_000
const HTTP_TIMEOUT_MS = 30_000
/** Refusals for the node's state (not the transaction's): posted again after a pause. */
const RETRY = new Set(['ERR_MEMPOOL_FULL', 'ERR_SENDER_LIMIT', 'ERR_NONCE_GAP'])
const RETRY_PAUSE_MS = 250
const MAX_RETRY_PAUSE_MS = 4000
const MAX_ATTEMPTS = 100

const nativeSign = ((): ((digest: Uint8Array, sk: Uint8Array) => Uint8Array) | undefined => {
  try {
    const b = createRequire(import.meta.url)('secp256k1/bindings') as { ecdsaSign: (m: Uint8Array, k: Uint8Array) => { signature: Uint8Array } }
    return (d, k) => b.ecdsaSign(d, k).signature
  } catch { return undefined }
})()

interface Key { privateKey: Uint8Array, publicKey: Uint8Array, id: Uint8Array }
function keyOf (label: string): Key {
  const privateKey = privateKeyFromEntropy(sha256(utf8('bench-load:' + label)))
  const publicKey = publicKeyOf(privateKey)
  return { privateKey, publicKey, id: accountIdOf(publicKey) }
}

function pct (xs: Float64Array | number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = Float64Array.from(xs).sort()
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p / 100 * s.length) - 1))] as number
}
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** One JSON HTTP exchange over a keep-alive agent (bounded). */
async function http (agent: Agent, url: string, body?: string): Promise<{ status: number, json: any }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, {
      agent,
      method: body === undefined ? 'GET' : 'POST',
      timeout: HTTP_TIMEOUT_MS,
      headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try { resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }) } catch { reject(new Error(`bad JSON from ${url}`)) }
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)))
    req.on('error', reject)
    req.end(body)
  })
}

interface Child { name: string, proc: ChildProcess, api: string, log: string, exited: Promise<void>, done: boolean }

/** SIGTERM every running child, wait up to the grace, then SIGKILL. */
async function stopChildren (children: Child[]): Promise<string[]> {
  const forced: string[] = []
  for (const c of children) if (!c.done) c.proc.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  await Promise.race([Promise.all(children.map(async (c) => await c.exited)), new Promise<void>((resolve) => { timer = setTimeout(resolve, STOP_GRACE_MS) })])
  clearTimeout(timer)
  for (const c of children) if (!c.done && c.proc.kill('SIGKILL')) forced.push(c.name)
  await Promise.all(children.map(async (c) => await c.exited))
  return forced
}

function lastLines (path: string, n: number): string {
  try { return readFileSync(path, 'utf8').trim().split('\n').slice(-n).join('\n') } catch { return '' }
}

/** A node's Prometheus text ('' when it does not answer). */
async function metricsOf (agent: Agent, c: Child): Promise<string> {
  return await new Promise<string>((resolve) => {
    request(`${c.api}/metrics`, { agent, timeout: HTTP_TIMEOUT_MS }, (res) => { let t = ''; res.setEncoding('utf8'); res.on('data', (d: string) => { t += d }); res.on('end', () => resolve(t)) }).on('error', () => resolve('')).end()
  })
}

/** The value of sample `name` (labels included, as written) in Prometheus text, or NaN. */
function metric (text: string, name: string): number {
  return Number(new RegExp(`^${name.replace(/[{}"]/g, (x) => '\\' + x)} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
}

const cpuOf = (text: string): number => metric(text, 'process_cpu_seconds_total')

/** Follows node 0's canonical chain: tx id (hex) → the time it was first seen included. */
class InclusionWatcher {
  readonly firstSeen = new Map<string, number>()
  /** Height → hash and tx ids of the canonical blocks fetched so far. */
  private readonly blocks = new Map<bigint, { hash: string, ids: string[] }>()
  private fetched = 0n
  private target = 0n
  private busy = false
  private stream: ReturnType<typeof request> | undefined
  reorgs = 0
  errors = 0
  /** Bumped by every reorg: a fetch that started before one is discarded. */
  private generation = 0

  constructor (private readonly api: string, private readonly agent: Agent) {}

  start (fromHeight: bigint): void {
    this.fetched = fromHeight
    this.target = fromHeight
    const req = request(`${this.api}/events`, { headers: { accept: 'text/event-stream' } }, (res) => {
      let buf = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buf += chunk
        let at: number
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, at)
          buf = buf.slice(at + 2)
          const ev = /^event: (\w+)$/m.exec(frame)?.[1]
          const data = /^data: (.*)$/m.exec(frame)?.[1]
          if (ev === undefined || data === undefined) continue
          const j = JSON.parse(data) as { height?: string, forkHeight?: string }
          if (ev === 'reorg' && j.forkHeight !== undefined) this.reorg(BigInt(j.forkHeight))
          if (ev === 'head' && j.height !== undefined) { this.target = BigInt(j.height); void this.pump() }
        }
      })
      res.on('error', () => {})
    })
    req.on('error', () => {})
    req.end()
    this.stream = req
  }

  stop (): void { this.stream?.destroy() }

  /** Blocks above the fork height left the canonical chain: forget them (their txs are seen again when re-included). */
  private reorg (forkHeight: bigint): void {
    this.reorgs++
    this.generation++
    for (const [h, b] of this.blocks) {
      if (h <= forkHeight) continue
      for (const id of b.ids) this.firstSeen.delete(id)
      this.blocks.delete(h)
    }
    if (this.fetched > forkHeight) this.fetched = forkHeight
    void this.pump()
  }

  private async pump (): Promise<void> {
    if (this.busy) return
    this.busy = true
    try {
      while (this.fetched < this.target) {
        const h = this.fetched + 1n
        const gen = this.generation
        const b = await this.fetch(h)
        // a reorg meanwhile: the block may be of the old branch, and `fetched` was moved back
        if (gen !== this.generation) continue
        if (b === undefined) break
        const t = performance.now()
        for (const id of b.ids) if (!this.firstSeen.has(id)) this.firstSeen.set(id, t)
        this.blocks.set(h, b)
        this.fetched = h
      }
    } catch { this.errors++ } finally { this.busy = false }
  }

  private async fetch (h: bigint): Promise<{ hash: string, ids: string[] } | undefined> {
    const r = await http(this.agent, `${this.api}/blocks/${h}?format=hex`)
    if (r.status !== 200) return undefined
    return { hash: r.json.hash as string, ids: txIdsOf(fromHex(r.json.hex as string)) }
  }
}

/** Transaction ids of block bytes (SHA-256 of each transaction's bytes, SPEC §4). */
function txIdsOf (bytes: Uint8Array): string[] {
  const b = decodeMessage(BlockMessage, bytes, MAX_BLOCK_BYTES, 'Block', { limits: { txs: MAX_BLOCK_TXS } })
  return b.txs.map((t) => toHex(sha256(t)))
}

/** Runs the benchmark (see the file comment). Baseline: the offered rate. */
export async function runDevnetLoad (opts: DevnetLoadProcOptions = {}): Promise<BenchResult> {
  const N = opts.nodes ?? 4
  const D = opts.seconds ?? 60
  const rate = opts.rate ?? 2500
  const S = opts.senders ?? 4000
  const maxPost = opts.maxPost ?? 800
  // the devnet's slot (`memecoin devnet`: 500 ms) and the protocol's default block limits
  const slotMs = opts.slotMs ?? 500n
  const notes: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'memecoin-bench-load-'))
  const children: Child[] = []
  const agent = new Agent({ keepAlive: true, maxSockets: 2 * N + 4 })
  const killAll = (): void => { for (const c of children) if (!c.done) c.proc.kill('SIGKILL') }
  const onSignal = (): void => { killAll(); rmSync(dir, { recursive: true, force: true }); process.exit(130) }
  process.on('exit', killAll)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  let watcher: InclusionWatcher | undefined
  let mempoolSampler: NodeJS.Timeout | undefined
  try {
    // 1. the chain: genesis, validator keystores (devnet scrypt cost), funded senders
    const label = `load-${Date.now()}`
    const validators = Array.from({ length: N }, (_, i) => keyOf(`${label}:v${i}`))
    const senders = Array.from({ length: S }, (_, i) => keyOf(`${label}:s${i}`))
    const config = defaultDevnetGenesis({
      genesisTime: BigInt(Date.now() + 5000),
      validators: validators.map((v) => ({ id: v.id, stake: 1000n * MEME, balance: 10n * MEME })),
      faucet: { id: keyOf(`${label}:faucet`).id, balance: 1000n * MEME },
      slotMs,
      chainName: label
    })
    if (opts.maxBlockTxs !== undefined) config.maxBlockTxs = opts.maxBlockTxs
    for (const s of senders) config.accounts.push({ id: s.id, balance: 1000n * MEME, stake: 0n })
    const genesisPath = join(dir, 'genesis.json')
    const genesis = await writeGenesisFile(genesisPath, config)
    const password = 'bench'
    const passwordFile = join(dir, 'password')
    writeFileSync(passwordFile, password + '\n', { mode: 0o600 })
    // 2. peer keys and ports chosen here, so every node starts at once with its bootstrap list
    const ports = await freePorts(2 * N)
    const peers = await Promise.all(validators.map(async (v, i) => {
      const nodeDir = join(dir, `node-${i}`)
      mkdirSync(nodeDir, { recursive: true })
      const key = await generateKeyPair('Ed25519')
      writeFileSync(join(nodeDir, 'peer-key'), privateKeyToProtobuf(key), { mode: 0o600 })
      const keystore = join(dir, `validator-${i}.json`)
      await writeKeystoreFile(keystore, await encryptKeystore(v.privateKey, password, { scryptN: 2 ** 14 }))
      return { nodeDir, keystore, addr: `/ip4/127.0.0.1/tcp/${ports[2 * i] as number}/p2p/${peerIdFromPrivateKey(key).toString()}`, apiPort: ports[2 * i + 1] as number }
    }))
    if (opts.cpuProfDir !== undefined) mkdirSync(opts.cpuProfDir, { recursive: true })
    for (let i = 0; i < N; i++) {
      const p = peers[i] as (typeof peers)[number]
      const name = `node-${i}`
      const log = join(dir, `${name}.log`)
      const args = [
        ...(opts.cpuProfDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', join(opts.cpuProfDir, name)] : []),
        ...NODE_FLAGS, '--import', WATCHDOG, BIN, 'start',
        '--dir', p.nodeDir,
        '--genesis', genesisPath,
        '--validator-key', p.keystore,
        '--password-file', passwordFile,
        '--no-mdns',
        '--listen', p.addr.slice(0, p.addr.indexOf('/p2p/')),
        '--api', `127.0.0.1:${p.apiPort}`,
        '--log-format', 'json',
        '--name', name,
        // node i dials the nodes before it: one connection per pair, a full mesh
        ...peers.slice(0, i).flatMap((q) => ['--bootstrap', q.addr])
      ]
      const fd = openSync(log, 'a', 0o600)
      let proc: ChildProcess
      try {
        proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', fd, fd], env: { ...process.env, NO_COLOR: '1' } })
      } finally { closeSync(fd) }
      proc.stdin?.on('error', () => {})
      const child: Child = { name, proc, api: `http://127.0.0.1:${p.apiPort}`, log, exited: Promise.resolve(), done: false }
      child.exited = new Promise<void>((resolve) => {
        proc.once('exit', () => { child.done = true; proc.stdin?.destroy(); resolve() })
        proc.once('error', () => { child.done = true; resolve() })
      })
      children.push(child)
    }

    // 3. presign while the nodes start (libsecp256k1 signs ≈ 12× faster than the wallet path)
    const tSign = performance.now()
    const total = rate * D
    const hexes: string[] = new Array(total)
    const ids: string[] = new Array(total)
    for (let i = 0; i < total; i++) {
      const k = i % S
      const s = senders[k] as Key
      const body = { chainId: genesis.params.chainId, nonce: BigInt(Math.floor(i / S)), fee: genesis.params.minFee, transfer: { to: (senders[(k + 1) % S] as Key).id, amount: 1n } }
      let bytes: Uint8Array
      if (nativeSign === undefined) {
        bytes = signTx(body, s.privateKey).bytes
      } else {
        const bodyBytes = encodeTxBody({ ...body, sender: s.publicKey })
        bytes = encodeTx(bodyBytes, nativeSign(signingDigest(TX_DOMAIN, bodyBytes), s.privateKey))
      }
      hexes[i] = toHex(bytes)
      ids[i] = toHex(sha256(bytes))
    }
    notes.push(`presigned ${total} transfers (${(hexes[0] as string).length / 2} bytes each) in ${round((performance.now() - tSign) / 1000)} s while the nodes started`)

    // 4. every node answers, has N − 1 peers, and node 0 has a block
    const upBy = Date.now() + STARTUP_TIMEOUT_MS
    const statusOf = async (c: Child): Promise<any> => (await http(agent, `${c.api}/status`)).json
    for (;;) {
      const dead = children.find((c) => c.done)
      if (dead !== undefined) throw new Error(`${dead.name} exited during startup: ${lastLines(dead.log, 3)}`)
      const st = await Promise.all(children.map(async (c) => await statusOf(c).catch(() => undefined)))
      if (st.every((s) => s !== undefined && s.peers >= N - 1 && BigInt(s.height) >= 1n)) break
      if (Date.now() > upBy) throw new Error(`nodes not up with ${N - 1} peers and a block within ${STARTUP_TIMEOUT_MS / 1000} s: ${JSON.stringify(st.map((s) => s === undefined ? null : { h: s.height, peers: s.peers }))}`)
      await sleep(250)
    }
    const n0 = children[0] as Child
    const h0 = BigInt((await statusOf(n0)).height)
    const cpuAtStart = await Promise.all(children.map(async (c) => cpuOf(await metricsOf(agent, c))))
    watcher = new InclusionWatcher(n0.api, agent)
    watcher.start(h0)

    // 5. the load: tx i is due at t0 + i/rate and goes to node (sender mod N); each node has one
    // request in flight, carrying everything due for it (≤ maxPost), so a sender's nonces reach
    // its node in order; a sender's next transaction comes S/rate seconds after its previous one.
    // Backpressure as a wallet would handle it: a transaction refused for the node's state (full
    // mempool, sender limit) and the same sender's later ones (nonce gap) are posted again, first,
    // after a pause of that node's submissions; latency counts from the first attempt.
    const submitted = new Float64Array(total).fill(-1)
    const firstTry = new Float64Array(total).fill(-1)
    const attempts = new Uint8Array(total)
    // 1 while a transaction's last post ended without an answer (a reset connection): the node may have admitted it
    const fateUnknown = new Uint8Array(total)
    const retryQ: number[][] = Array.from({ length: N }, () => [])
    const pauseUntil = new Array<number>(N).fill(0)
    const backoff = new Array<number>(N).fill(0)
    let retries = 0
    const retryCodes = new Map<string, number>()
    let stopRetrying = false
    const queues: number[][] = Array.from({ length: N }, () => [])
    const heads = new Array<number>(N).fill(0)
    const busy = new Array<boolean>(N).fill(false)
    const acceptedBySender = new Array<number>(S).fill(0)
    const refusals = new Map<string, number>()
    const transportErrors = new Map<string, number>()
    let accepted = 0
    let refused = 0
    let posts = 0
    let maxBacklog = 0
    const postNext = (j: number): void => {
      const q = queues[j] as number[]
      const from = heads[j] as number
      const rq = retryQ[j] as number[]
      if (busy[j] === true || (from >= q.length && rq.length === 0) || performance.now() < (pauseUntil[j] as number)) return
      const part = rq.splice(0, maxPost)
      const fresh = q.slice(from, from + maxPost - part.length)
      part.push(...fresh)
      heads[j] = from + fresh.length
      if ((heads[j] as number) > 100_000) { q.splice(0, heads[j]); heads[j] = 0 }
      busy[j] = true
      posts++
      const t = performance.now()
      for (const i of part) { submitted[i] = t; if (firstTry[i] as number < 0) firstTry[i] = t; attempts[i] = (attempts[i] as number) + 1 }
      const again: number[] = []
      const body = '{"txs":["' + part.map((i) => hexes[i]).join('","') + '"]}'
      http(agent, `${(children[j] as Child).api}/txs/batch`, body).then((r) => {
        const results = r.json?.results as Array<{ id?: string, error?: { code: string } }> | undefined
        if (results === undefined) throw new Error(`POST /txs/batch ${r.status}: ${JSON.stringify(r.json?.error)}`)
        results.forEach((x, k) => {
          const i = part[k] as number
          // a post whose answer was lost may have been admitted: "already known" or "nonce too low" (included meanwhile) then means accepted
          const admittedBefore = fateUnknown[i] === 1 && x.error !== undefined && (x.error.code === 'ERR_KNOWN_TX' || x.error.code === 'ERR_NONCE_TOO_LOW')
          fateUnknown[i] = 0
          if (x.error === undefined || admittedBefore) { accepted++; acceptedBySender[i % S] = (acceptedBySender[i % S] as number) + 1 } else if (RETRY.has(x.error.code) && (attempts[i] as number) < MAX_ATTEMPTS && !stopRetrying) {
            submitted[i] = -1
            retryCodes.set(x.error.code, (retryCodes.get(x.error.code) ?? 0) + 1)
            again.push(i)
          } else {
            refused++
            submitted[i] = -1
            refusals.set(x.error.code, (refusals.get(x.error.code) ?? 0) + 1)
          }
        })
      }).catch((err: Error) => {
        const m = err.message.slice(0, 60)
        if (!stopRetrying && !err.message.startsWith('POST /txs/batch ')) {
          // no answer (a reset or timed-out connection): post them again, as a wallet would; resubmitting is idempotent
          transportErrors.set(m, (transportErrors.get(m) ?? 0) + 1)
          for (const i of part) {
            submitted[i] = -1
            if ((attempts[i] as number) < MAX_ATTEMPTS) { fateUnknown[i] = 1; again.push(i) } else { refused++; refusals.set(m, (refusals.get(m) ?? 0) + 1) }
          }
          return
        }
        refused += part.length
        for (const i of part) submitted[i] = -1
        refusals.set(m, (refusals.get(m) ?? 0) + part.length)
      }).finally(() => {
        if (again.length > 0) {
          retries += again.length
          rq.unshift(...again)
          // exponential backoff while the node keeps refusing: retries cost it a decode and a verify each
          backoff[j] = Math.min(MAX_RETRY_PAUSE_MS, Math.max(RETRY_PAUSE_MS, 2 * (backoff[j] as number)))
          pauseUntil[j] = performance.now() + (backoff[j] as number)
        } else {
          backoff[j] = 0
        }
        busy[j] = false
        postNext(j)
      })
    }
    // each node's mempool size, sampled once a second until the drain ends (a full pool is when reorg orphans overfill it)
    const mempoolPeak = new Array<number>(N).fill(0)
    mempoolSampler = setInterval(() => {
      children.forEach((c, j) => {
        void statusOf(c).then((st) => { mempoolPeak[j] = Math.max(mempoolPeak[j] as number, Number(st?.mempool ?? 0)) }, () => {})
      })
    }, 1000)
    const t0 = performance.now()
    let sent = 0
    while (sent < total) {
      const due = Math.min(total, Math.floor((performance.now() - t0) / 1000 * rate) + 1)
      for (; sent < due; sent++) (queues[(sent % S) % N] as number[]).push(sent)
      for (let j = 0; j < N; j++) {
        maxBacklog = Math.max(maxBacklog, (queues[j] as number[]).length - (heads[j] as number))
        postNext(j)
      }
      await sleep(10)
    }
    // the last posts still in flight (bounded by the HTTP timeout)
    const flushBy = Date.now() + HTTP_TIMEOUT_MS
    while ((busy.some((b) => b) || retryQ.some((q) => q.length > 0) || queues.some((q, j) => (heads[j] as number) < q.length)) && Date.now() < flushBy) {
      for (let j = 0; j < N; j++) postNext(j)
      await sleep(10)
    }
    stopRetrying = true
    while (busy.some((b) => b)) await sleep(10)
    refused += retryQ.reduce((a, q) => a + q.length, 0)
    const tEnd = performance.now()
    const seen = watcher.firstSeen
    const inWindow = (): number => { let n = 0; for (const t of seen.values()) if (t <= tEnd) n++; return n }
    const includedInWindow = inWindow()

    // 6. drain: every accepted transaction included on node 0 (bounded)
    const acceptedIds = (): string[] => { const out: string[] = []; for (let i = 0; i < total; i++) if (submitted[i] as number >= 0) out.push(ids[i] as string); return out }
    const want = acceptedIds()
    const drainBy = Date.now() + DRAIN_TIMEOUT_MS
    while (Date.now() < drainBy && !want.every((id) => seen.has(id))) await sleep(200)
    const tDrained = performance.now()
    clearInterval(mempoolSampler)
    // heads agree (bounded), then the final word from node 0's chain
    let agree = false
    let final: any[] = []
    for (const until = Date.now() + 15_000; Date.now() < until;) {
      final = await Promise.all(children.map(async (c) => await statusOf(c).catch(() => undefined)))
      agree = final.every((s) => s !== undefined && s.headHash === final[0]?.headHash)
      if (agree) break
      await sleep(200)
    }
    const finalHeight = BigInt(final[0]?.height ?? h0)
    const inChain = new Set<string>()
    for (let h = h0 + 1n; h <= finalHeight; h++) {
      const r = await http(agent, `${n0.api}/blocks/${h}?format=hex`)
      if (r.status === 200) for (const id of txIdsOf(fromHex(r.json.hex as string))) inChain.add(id)
    }
    const lostIds = want.filter((id) => !inChain.has(id))
    const lost = lostIds.length
    if (lost > 0) {
      const origin = new Map<string, number>()
      for (let i = 0; i < total; i++) origin.set(ids[i] as string, (i % S) % N)
      const where = new Map<string, number>()
      const everywhere = new Map<string, number>()
      for (const id of lostIds.slice(0, 40)) {
        const seenBy = await Promise.all(children.map(async (c) => {
          const r = await http(agent, `${c.api}/txs/${id}`).catch(() => ({ status: 0, json: {} }))
          return r.status === 200 ? String(r.json.status) : `HTTP ${r.status}`
        }))
        const k = seenBy[origin.get(id) as number] as string
        where.set(k, (where.get(k) ?? 0) + 1)
        const all = seenBy.join('/')
        everywhere.set(all, (everywhere.get(all) ?? 0) + 1)
      }
      notes.push(`lost transactions, as their origin node sees them (first 40): ${JSON.stringify(Object.fromEntries(where))}; as nodes 0…${N - 1} see them: ${JSON.stringify(Object.fromEntries(everywhere))}; mempools at the end: ${final.map((x) => x?.mempool).join('/')}`)
    }
    // and by nonces: every sender's account nonce on node 0 moved by exactly what was accepted
    let nonceGap = 0
    for (let k = 0; k < S; k += 32) {
      await Promise.all(senders.slice(k, k + 32).map(async (s, m) => {
        const a = await http(agent, `${n0.api}/accounts/${addressOf(s.publicKey)}`)
        nonceGap += Math.abs((acceptedBySender[k + m] as number) - Number(a.json.nonce ?? 0))
      }))
    }
    const lat: number[] = []
    for (let i = 0; i < total; i++) {
      const ts = firstTry[i] as number
      if (submitted[i] as number < 0) continue
      const t = seen.get(ids[i] as string)
      if (t !== undefined) lat.push(t - ts)
    }
    const rss = children.map((c) => peakRssOf(c.proc.pid))
    // what each node tells about itself: CPU, block imports, reorgs, event-loop lag, its log
    const perNode = await Promise.all(children.map(async (c, i) => {
      const text = await metricsOf(agent, c)
      const m = (name: string): number => metric(text, name)
      const log = (() => { try { return readFileSync(c.log, 'utf8') } catch { return '' } })()
      return {
        cpuS: round(m('process_cpu_seconds_total'), 1),
        loadCpuS: round(m('process_cpu_seconds_total') - (cpuAtStart[i] as number), 1),
        importMsAvg: round(1000 * m('memecoin_block_import_seconds_sum') / m('memecoin_block_import_seconds_count'), 1),
        imports: m('memecoin_block_import_seconds_count'),
        reorgs: m('memecoin_reorgs_total'),
        mempoolTrimmed: m('memecoin_mempool_trimmed_total'),
        mempoolOverflows: m('memecoin_mempool_overflows_total'),
        lagP99Ms: round(1000 * m('nodejs_eventloop_lag_seconds{quantile="0.99"}'), 1),
        lagMaxMs: round(1000 * m('nodejs_eventloop_lag_max_seconds'), 1),
        penalties: m('memecoin_network_penalties_total'),
        bans: m('memecoin_network_bans_total'),
        peers: m('memecoin_network_peers'),
        txRejects: m('memecoin_gossip_messages_total{topic="tx",result="reject"}'),
        txIgnores: m('memecoin_gossip_messages_total{topic="tx",result="ignore"}'),
        blockRejects: m('memecoin_gossip_messages_total{topic="block",result="reject"}') + m('memecoin_gossip_block_imports_after_relay_total{result="reject"}'),
        syncRequests: m('memecoin_sync_range_requests_total') + m('memecoin_sync_hash_requests_total'),
        // memory at the end (the peak is VmHWM, below): V8 heap used / reserved, external, RSS
        heapUsedMiB: round(m('nodejs_heap_size_used_bytes') / 2 ** 20, 0),
        heapTotalMiB: round(m('nodejs_heap_size_total_bytes') / 2 ** 20, 0),
        externalMiB: round(m('nodejs_external_memory_bytes') / 2 ** 20, 0),
        rssMiB: round(m('process_resident_memory_bytes') / 2 ** 20, 0),
        produced: (log.match(/"msg":"produced block"/g) ?? []).length,
        productionFailed: (log.match(/"msg":"block production failed"/g) ?? []).length
      }
    }))
    const loadCpu = perNode.reduce((a, x) => a + x.loadCpuS, 0)
    notes.push(`at the end: heights ${final.map((x) => x?.height ?? '-').join('/')}, peers ${final.map((x) => x?.peers ?? '-').join('/')}, heads ${final.map((x) => String(x?.headHash ?? '-').slice(0, 8)).join('/')}`)
    notes.push(`per node: ${perNode.map((x, i) => `node-${i} ${JSON.stringify(x)}`).join('; ')}`)
    const blocks = Number(finalHeight - h0)
    const figures = {
      nodes: N,
      seconds: D,
      offeredTxPerS: rate,
      accepted,
      refused,
      retried: retries,
      loadSeconds: round((tEnd - t0) / 1000, 1),
      includedTxPerS: Math.round(includedInWindow / ((tEnd - t0) / 1000)),
      includedTxPerSWithDrain: Math.round(lat.length / ((tDrained - t0) / 1000)),
      p50InclusionMs: Math.round(pct(lat, 50)),
      p99InclusionMs: Math.round(pct(lat, 99)),
      lost,
      nonceGap,
      headsAgree: agree ? 1 : 0,
      blocks,
      txPerBlock: Math.round(inChain.size / Math.max(1, blocks)),
      reorgsSeenOnNode0: watcher.reorgs,
      posts,
      maxBacklogTxs: maxBacklog,
      nodeCpuUsPerTxPerNode: Math.round(1e6 * loadCpu / N / Math.max(1, inChain.size)),
      peakRssMiBMaxNode: Math.round(Math.max(...rss) / 2 ** 20),
      peakRssMiBMinNode: Math.round(Math.min(...rss) / 2 ** 20)
    }
    if (refusals.size > 0) notes.push(`refusals: ${JSON.stringify(Object.fromEntries(refusals))}`)
    if (transportErrors.size > 0) notes.push(`posts without an answer, posted again: ${JSON.stringify(Object.fromEntries(transportErrors))}`)
    notes.push(`retried by refusal code: ${JSON.stringify(Object.fromEntries(retryCodes))}; peak mempool per node (1 s samples): ${mempoolPeak.join('/')}`)
    notes.push(`${N} node processes (memecoin start, LevelDB, verifier workers) + this load generator on ${(await import('node:os')).availableParallelism()} cores; latency is submit → seen in node 0's canonical chain (SSE + GET /blocks/:h?format=hex)`)
    notes.push(`slot ${slotMs} ms, f = 1/2, maxBlockTxs ${genesis.params.maxBlockTxs}, maxBlockBytes ${genesis.params.maxBlockBytes}; peak RSS per node process (VmHWM): ${rss.map((r) => Math.round(r / 2 ** 20)).join('/')} MiB; target ≥ 2,000 tx/s included, 0 lost`)
    return { name: 'devnet-load', figures, baseline: { offeredTxPerS: rate }, ratios: { includedVsOffered: round(figures.includedTxPerS / rate, 3) }, notes }
  } finally {
    watcher?.stop()
    clearInterval(mempoolSampler)
    const forced = await stopChildren(children)
    if (forced.length > 0) notes.push(`killed after ${STOP_GRACE_MS / 1000} s grace: ${forced.join(', ')}`)
    agent.destroy()
    process.off('exit', killAll)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    if (opts.keepDir === true) notes.push(`kept ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}
