/**
 * `memecoin devnet`: the one-command demo. Creates a chain in a directory, starts N node
 * processes (`memecoin start`, the first V of them validators) that find each other by mDNS,
 * funds a demo wallet from the faucet, and shows a live view of every node's `GET /status` until
 * Ctrl-C, SIGTERM or `--duration` seconds.
 *
 * Children never outlive the devnet: every exit path stops them (SIGTERM, a bounded grace, then
 * SIGKILL); a `process.on('exit')` hook SIGKILLs any still running; and each child watches its
 * stdin, a pipe from this process, and stops itself when it closes — which covers this process
 * being killed outright (kill -9), where no handler runs.
 *
 * Exit codes: 0 after a signal (once the children are stopped), or at the end of `--duration`
 * when every node answered and all report the same head above genesis (after a short settle
 * wait); 1 with a one-line reason otherwise; 2 for bad flags.
 */
import type { Command } from 'commander'
import { Option } from 'commander'
import { dirArg, intArg } from './util.ts'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, openSync, readdirSync } from 'node:fs'
import { mkdir, mkdtemp, readFile } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { addressOf } from '../core/address.ts'
import { toHex } from '../core/bytes.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../core/secp256k1.ts'
import { loadGenesisFile } from '../chain/genesis.ts'
import { decryptKeystore, encryptKeystore, readKeystoreFile, writeKeystoreFile } from '../wallet/keystore.ts'
import { buildTransfer } from '../wallet/transactions.ts'
import { initChain, randomPassword } from './init.ts'
import { converged, formatMeme, LiveView, shortHash, type NodeStatus, type NodeView } from './live-view.ts'
import { NODE_FLAGS } from './node-flags.ts'

/** Options of `devnet`, as parsed. */
export interface DevnetOptions {
  nodes: number
  validators: number
  /** Default: a new directory under the system temp dir. */
  dir?: string
  slotMs: number
  /** Seconds to run once the nodes are up; default: until a signal. */
  duration?: number
  json: boolean
}

/** scrypt cost of the devnet keystores: the password sits next to them anyway. */
export const DEVNET_SCRYPT_N = 2 ** 14
/** What the faucet sends the demo wallet. */
export const DEMO_AMOUNT = 1000n * 10n ** 8n
/** Status poll period of the live view. */
export const POLL_MS = 500
/** How long nodes may take to answer their API after spawn. */
export const STARTUP_TIMEOUT_MS = 60_000
/** Grace between SIGTERM and SIGKILL when stopping a child. */
export const STOP_GRACE_MS = 10_000
/** Longest wait for node 0's first peer before the demo wallet is funded anyway. */
export const FUND_WAIT_MS = 10_000
const REQUEST_TIMEOUT_MS = 1500

const BIN = fileURLToPath(new URL('../../bin/memecoin.js', import.meta.url))
/**
 * Preloaded into every child: when our end of its stdin pipe closes (this process exited, however
 * it died), the child SIGTERMs itself and so stops cleanly. unref'd: it never keeps a child alive.
 */
const WATCHDOG = 'data:text/javascript,' + encodeURIComponent(
  "const s=process.stdin;s.on('error',()=>{});s.once('end',()=>{process.kill(process.pid,'SIGTERM')});s.resume();s.unref?.()"
)

/** Default slot length of the devnet. */
export const DEVNET_SLOT_MS = 500

/** Adds the commands of this file to `program`. */
export function registerDevnetCommand (program: Command): void {
  const cmd = program.command('devnet')
    .description('the one-command demo: a new chain and N local nodes that find each other by mDNS, with a live status view; Ctrl-C stops them')
    .addOption(new Option('--nodes <n>', 'number of node processes').argParser(intArg(1, 32)).default(3))
    .addOption(new Option('--validators <v>', 'how many of the nodes are validators (default: all)').argParser(intArg(1, 32)))
    .option('--dir <dir>', 'directory for the chain, node data and logs (default: a new temp dir, printed)', dirArg)
    // 500 ms rather than init's 1000: a demo should show blocks quickly; with f = 1/2 a 20-second
    // run then has ~40 slots (P[≤ 5 blocks] ≈ 1e-6, against ~2 % with 1 s slots)
    .addOption(new Option('--slot-ms <ms>', 'slot length in milliseconds').argParser(intArg(100, 600_000)).default(DEVNET_SLOT_MS))
    .addOption(new Option('--duration <s>', 'stop after S seconds, print a summary, exit 0 if all nodes agree on one head').argParser(intArg(1, 31_536_000)))
    .option('--json', 'print the final summary as one JSON object (the live view goes to stderr)')
    // bad flags: exactly one line on stderr, exit 2
    .showHelpAfterError(false)
  cmd.action(async (o: { nodes: number, validators?: number, dir?: string, slotMs: number, duration?: number, json?: boolean }) => {
    const validators = o.validators ?? o.nodes
    if (validators > o.nodes) cmd.error(`error: --validators (${validators}) must not exceed --nodes (${o.nodes})`, { exitCode: 2, code: 'memecoin.devnet.validators' })
    const bad = o.dir !== undefined ? dirProblem(o.dir) : undefined
    if (bad !== undefined) cmd.error(`error: --dir ${o.dir as string} ${bad}`, { exitCode: 2, code: 'memecoin.devnet.dir' })
    process.exitCode = await runDevnet({
      nodes: o.nodes,
      validators,
      slotMs: o.slotMs,
      json: o.json === true,
      ...(o.dir !== undefined ? { dir: o.dir } : {}),
      ...(o.duration !== undefined ? { duration: o.duration } : {})
    })
  })
}

/** Why `dir` cannot hold a new devnet (it must be absent or empty), or undefined. */
function dirProblem (dir: string): string | undefined {
  try {
    return readdirSync(dir).length === 0 ? undefined : 'is not empty (the devnet creates a new chain there)'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? undefined : code === 'ENOTDIR' ? 'is not a directory' : `cannot be read (${String(code)})`
  }
}

/** One child node. */
interface Child {
  name: string
  validator: boolean
  api: string
  log: string
  proc: ChildProcess
  exit?: { code: number | null, signal: NodeJS.Signals | null }
  exited: Promise<void>
  status?: NodeStatus
  down?: string
}

/** A JSON HTTP exchange with a node's API (keep-alive agent; bounded by a timeout). */
async function http (agent: Agent, url: string, opts: { method?: string, body?: unknown, timeoutMs?: number } = {}): Promise<{ status: number, json: unknown }> {
  return await new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body)
    const req = request(url, {
      agent,
      method: opts.method ?? 'GET',
      timeout: opts.timeoutMs ?? REQUEST_TIMEOUT_MS,
      headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
        } catch {
          reject(new Error(`bad JSON from ${url}`))
        }
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)))
    req.on('error', reject)
    req.end(body)
  })
}

function parseStatus (j: unknown): NodeStatus {
  const o = j as Record<string, unknown>
  if (typeof o.height !== 'string' || typeof o.headHash !== 'string') throw new Error('unexpected /status answer')
  return {
    height: BigInt(o.height),
    headHash: o.headHash,
    peers: Number(o.peers ?? 0),
    mempool: Number(o.mempool ?? 0),
    syncing: o.syncing === true,
    ...(typeof o.targetHeight === 'string' ? { targetHeight: BigInt(o.targetHeight) } : {})
  }
}

/** Distinct free TCP ports on 127.0.0.1 (all held open at once, then released for the children). */
export async function freePorts (n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, async () => await new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => resolve(s))
  })))
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map(async (s) => await new Promise<void>((resolve) => s.close(() => resolve()))))
  return ports
}

/** Resolves after `ms`, or early when `signal` aborts. */
async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, ms)
    function done (): void { clearTimeout(t); signal.removeEventListener('abort', done); resolve() }
    signal.addEventListener('abort', done, { once: true })
  })
}

function describeExit (e: { code: number | null, signal: NodeJS.Signals | null }): string {
  return e.signal !== null ? `killed by ${e.signal}` : `exit code ${String(e.code)}`
}

/** The last error-level message of a node's JSON log, for a one-line reason. */
async function lastLogError (path: string): Promise<string | undefined> {
  try {
    const lines = (await readFile(path, 'utf8')).trim().split('\n').reverse()
    for (const line of lines) {
      if (line.startsWith('error:')) return line.slice(6).trim()
      try {
        const j = JSON.parse(line) as { level?: string, msg?: string, error?: string }
        if (j.level === 'error') return [j.msg, j.error].filter((s) => s !== undefined).join(': ')
      } catch { /* not a JSON line */ }
    }
  } catch { /* no log */ }
  return undefined
}

/** Runs a devnet until a signal or the duration; resolves with the exit code. */
export async function runDevnet (o: DevnetOptions): Promise<number> {
  const json = o.json
  const infoOut = json ? process.stderr : process.stdout
  let view: LiveView | undefined
  const info = (line: string): void => { if (view !== undefined) view.note(line); else infoOut.write(line + '\n') }
  const fail = (reason: string): number => { view?.close(); process.stderr.write(`error: ${reason}\n`); return 1 }

  const stop = new AbortController()
  let stoppedBy: 'duration' | 'signal' | undefined
  let forceKill: (() => void) | undefined
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      // a second Ctrl-C while stopping: no more grace
      if (stoppedBy === 'signal') forceKill?.()
      return
    }
    stoppedBy = 'signal'
    info(`${sig}: stopping the devnet…`)
    stop.abort()
  }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
  for (const s of signals) process.on(s, onSignal)
  // our output closed (e.g. piped into `head`): stop as for a signal instead of dying on EPIPE
  const onOutputError = (): void => {
    if (stop.signal.aborted) return
    stoppedBy = 'signal'
    stop.abort()
  }
  process.stdout.on('error', onOutputError)
  process.stderr.on('error', onOutputError)

  const children: Child[] = []
  /** Set once we stop the children ourselves: their exits are then expected. */
  let stopping = false
  const killAll = (): void => { for (const c of children) if (c.exit === undefined) c.proc.kill('SIGKILL') }
  process.on('exit', killAll)
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  const startedAt = Date.now()
  try {
    // 1. the chain
    const dir = o.dir ?? await mkdtemp(join(tmpdir(), 'memecoin-devnet-'))
    await mkdir(dir, { recursive: true })
    const passwordFile = join(dir, 'password')
    const password = randomPassword()
    const chain = await initChain({ dir, validators: o.validators, slotMs: BigInt(o.slotMs), password, passwordFile, scryptN: DEVNET_SCRYPT_N })
    const genesis = await loadGenesisFile(chain.genesisPath)
    info(`devnet dir ${dir}`)
    info(`chain id ${chain.chainId} · ${o.nodes} node${o.nodes === 1 ? '' : 's'}, ${o.validators} validator${o.validators === 1 ? '' : 's'} · slot ${o.slotMs} ms`)
    if (stop.signal.aborted) return 0

    // 2. the node processes
    const ports = await freePorts(o.nodes)
    for (let i = 0; i < o.nodes; i++) {
      const name = `node-${i}`
      const validator = i < o.validators
      const log = join(dir, `${name}.log`)
      const fd = openSync(log, 'a', 0o600)
      const args = [
        ...NODE_FLAGS, '--import', WATCHDOG, BIN, 'start',
        '--dir', join(dir, name),
        '--genesis', chain.genesisPath,
        ...(validator ? ['--validator-key', chain.validators[i]?.keystore as string, '--password-file', passwordFile] : []),
        '--listen', '/ip4/0.0.0.0/tcp/0',
        '--api', `127.0.0.1:${ports[i] as number}`,
        '--name', name,
        '--log-format', 'json'
      ]
      let proc: ChildProcess
      try {
        // own process group: a terminal's Ctrl-C reaches only us, and we stop the children in order
        proc = spawn(process.execPath, args, { stdio: ['pipe', fd, fd], detached: true, env: { ...process.env, NO_COLOR: '1' } })
      } finally {
        closeSync(fd)
      }
      const child: Child = { name, validator, api: `http://127.0.0.1:${ports[i] as number}`, log, proc, exited: Promise.resolve(), down: 'starting' }
      child.exited = new Promise<void>((resolve) => {
        proc.once('exit', (code, signal) => {
          child.exit = { code, signal }
          child.status = undefined
          child.down = `exited (${describeExit(child.exit)})`
          proc.stdin?.destroy()
          if (!stopping) info(`${name} exited unexpectedly (${describeExit(child.exit)}); see ${log}`)
          resolve()
        })
        proc.once('error', (err) => {
          if (child.exit === undefined) child.exit = { code: null, signal: null }
          child.down = `failed to start: ${err.message}`
          resolve()
        })
      })
      proc.stdin?.on('error', () => {})
      children.push(child)
      info(`${name} ${validator ? 'validator' : 'observer '} pid ${String(proc.pid)} api ${child.api} log ${log}`)
    }

    const poll = async (): Promise<void> => {
      await Promise.all(children.map(async (c) => {
        if (c.exit !== undefined) return
        try {
          const r = await http(agent, `${c.api}/status`)
          if (r.status !== 200) throw new Error(`HTTP ${r.status}`)
          c.status = parseStatus(r.json)
          c.down = undefined
        } catch {
          c.status = undefined
          if (c.down !== 'starting') c.down = 'no answer'
        }
      }))
    }

    // 3. wait until every API answers
    const upDeadline = Date.now() + STARTUP_TIMEOUT_MS
    while (!stop.signal.aborted) {
      await poll()
      const dead = children.find((c) => c.exit !== undefined)
      if (dead !== undefined) {
        const why = await lastLogError(dead.log)
        return fail(`${dead.name} exited (${describeExit(dead.exit as { code: number | null, signal: NodeJS.Signals | null })}) before it was up${why !== undefined ? `: ${why}` : ''}; see ${dead.log}`)
      }
      if (children.every((c) => c.status !== undefined)) break
      if (Date.now() > upDeadline) {
        const late = children.filter((c) => c.status === undefined).map((c) => c.name)
        return fail(`${late.join(', ')} did not answer on its API within ${STARTUP_TIMEOUT_MS / 1000} s; see ${dir}/node-*.log`)
      }
      await sleep(250, stop.signal)
    }
    if (stop.signal.aborted) {
      info('stopped before every node was up')
      return 0
    }
    const upAt = Date.now()
    info(`${o.nodes === 1 ? 'the node is' : `all ${o.nodes} nodes`} up after ${((upAt - startedAt) / 1000).toFixed(1)} s`)

    // 4. the demo wallet, funded by the faucet through node 0
    const demoKey = privateKeyFromEntropy(randomBytes(48))
    const demoAddress = addressOf(publicKeyOf(demoKey))
    const demoKeystore = join(dir, 'wallets', 'demo.json')
    await writeKeystoreFile(demoKeystore, await encryptKeystore(demoKey, password, { scryptN: DEVNET_SCRYPT_N }))
    demoKey.fill(0)
    const node0 = children[0] as Child
    let demoBalance: bigint | undefined
    /** Sends the demo wallet its coins through node 0; a failure is a warning, not fatal. */
    const fund = async (): Promise<void> => {
      try {
        const faucetKey = await decryptKeystore(await readKeystoreFile(chain.faucet.keystore), password)
        try {
          const acct = await http(agent, `${node0.api}/accounts/${chain.faucet.address}`)
          const a = acct.json as { nextNonce?: string, nonce?: string }
          const nonce = BigInt(a.nextNonce ?? a.nonce ?? '0')
          const tx = buildTransfer({ chainId: genesis.params.chainId, privateKey: faucetKey, nonce, fee: genesis.params.minFee, to: demoAddress, amount: DEMO_AMOUNT })
          const r = await http(agent, `${node0.api}/txs`, { method: 'POST', body: { tx: toHex(tx.bytes) } })
          if (r.status !== 200 && r.status !== 202) {
            const e = (r.json as { error?: { code?: string, message?: string } }).error
            throw new Error(`${e?.code ?? `HTTP ${r.status}`}: ${e?.message ?? 'rejected'}`)
          }
          info(`demo wallet ${demoAddress} (${demoKeystore}): the faucet sent ${formatMeme(DEMO_AMOUNT)}, tx ${toHex(tx.id)}`)
        } finally {
          faucetKey.fill(0)
        }
      } catch (err) {
        info(`warning: could not fund the demo wallet: ${(err as Error).message}`)
      }
    }
    // Funded once node 0 has a peer, so the transaction is gossiped to every validator at once
    // (any leader can include it); alone, or if no peer shows up within FUND_WAIT_MS, anyway.
    let funded = false

    // 5. the live view
    const viewOut = json ? process.stderr : process.stdout
    view = new LiveView(viewOut)
    const nodeViews = (): NodeView[] => children.map((c) => ({
      name: c.name,
      validator: c.validator,
      ...(c.status !== undefined ? { status: c.status } : {}),
      ...(c.down !== undefined ? { down: c.down } : {})
    }))
    const slotNow = (): bigint => {
      const t = BigInt(Date.now())
      return t < genesis.params.genesisTime ? 0n : (t - genesis.params.genesisTime) / genesis.params.slotMs
    }
    const endAt = o.duration !== undefined ? upAt + o.duration * 1000 : Infinity
    const render = (): void => {
      view?.update({
        chainId: chain.chainId,
        dir,
        elapsedMs: Date.now() - upAt,
        slot: slotNow(),
        nodes: nodeViews(),
        demo: { address: demoAddress, ...(demoBalance !== undefined ? { balance: demoBalance } : {}) },
        footer: `${Number.isFinite(endAt) ? `stopping in ${Math.max(0, Math.ceil((endAt - Date.now()) / 1000))} s · Ctrl-C to stop now` : 'Ctrl-C to stop'} · logs ${dir}/node-*.log`
      })
    }
    const pollDemo = async (): Promise<void> => {
      try {
        const r = await http(agent, `${node0.api}/accounts/${demoAddress}`)
        const b = (r.json as { balance?: string }).balance
        if (r.status === 200 && typeof b === 'string') demoBalance = BigInt(b)
      } catch { /* shown as unknown */ }
    }
    while (!stop.signal.aborted) {
      const tick = Date.now()
      await Promise.all([poll(), pollDemo()])
      if (!funded && (o.nodes === 1 || (node0.status?.peers ?? 0) > 0 || Date.now() - upAt > FUND_WAIT_MS)) {
        funded = true
        await fund()
      }
      render()
      if (Date.now() >= endAt) { stoppedBy = 'duration'; break }
      await sleep(Math.max(0, Math.min(POLL_MS - (Date.now() - tick), endAt - Date.now())), stop.signal)
    }

    // 6. the end: let heads settle (duration), take a last look, stop the children
    if (stoppedBy === 'duration') {
      const settleUntil = Date.now() + Math.max(3000, 3 * o.slotMs)
      while (!converged(nodeViews()) && Date.now() < settleUntil && !stop.signal.aborted) {
        await sleep(200, stop.signal)
        await poll()
      }
      if (stop.signal.aborted) stoppedBy = 'signal'
    } else {
      await poll()
    }
    await pollDemo()
    render()
    view.close()
    const final = nodeViews()
    const ok = converged(final)
    const elapsedMs = Date.now() - upAt
    info(`stopping ${children.length} node${children.length === 1 ? '' : 's'}…`)
    stopping = true
    const forced = await stopChildren(children, (f) => { forceKill = f })
    if (forced.length > 0) info(`warning: ${forced.join(', ')} did not stop within ${STOP_GRACE_MS / 1000} s and were killed`)

    const heights = final.map((n) => n.status?.height)
    const reason = ok
      ? undefined
      : final.some((n) => n.status === undefined)
        ? `${final.filter((n) => n.status === undefined).map((n) => `${n.name} ${n.down ?? 'no answer'}`).join(', ')}`
        : (final[0]?.status?.height ?? 0n) === 0n && new Set(final.map((n) => n.status?.headHash)).size === 1
            ? 'no block was produced'
            : `heads did not converge: heights ${heights.map((h) => h?.toString() ?? '-').join('/')}, ${new Set(final.map((n) => n.status?.headHash)).size} distinct heads`
    const summary = {
      dir,
      chainId: chain.chainId,
      stoppedBy: stoppedBy ?? 'signal',
      elapsedMs,
      sameHead: ok,
      height: ok ? Number(final[0]?.status?.height ?? 0n) : null,
      nodes: children.map((c, i) => {
        const s = final[i]?.status
        return {
          name: c.name,
          validator: c.validator,
          pid: c.proc.pid ?? null,
          api: c.api,
          log: c.log,
          height: s !== undefined ? Number(s.height) : null,
          headHash: s?.headHash ?? null,
          peers: s?.peers ?? null,
          mempool: s?.mempool ?? null,
          syncing: s?.syncing ?? null,
          ...(s === undefined ? { down: final[i]?.down ?? 'no answer' } : {})
        }
      }),
      demo: { address: demoAddress, keystore: demoKeystore, balance: demoBalance?.toString() ?? null },
      ...(reason !== undefined ? { reason } : {})
    }
    if (json) {
      process.stdout.write(JSON.stringify(summary) + '\n')
    } else {
      const lines = [
        `devnet stopped (${summary.stoppedBy}) after ${(elapsedMs / 1000).toFixed(1)} s: ${ok ? `all ${children.length} nodes at height ${String(summary.height)}, head ${shortHash(final[0]?.status?.headHash ?? '', 16)}` : reason as string}`,
        ...summary.nodes.map((n) => `  ${n.name}  height ${n.height ?? '-'}  head ${n.headHash !== null ? shortHash(n.headHash) : '-'}  peers ${n.peers ?? '-'}${n.down !== undefined ? `  ${n.down}` : ''}`),
        `  demo wallet ${demoAddress}: ${demoBalance !== undefined ? formatMeme(demoBalance) : 'balance unknown'}`,
        `  data and logs in ${dir}`
      ]
      process.stdout.write(lines.join('\n') + '\n')
    }
    if (stoppedBy === 'duration' && !ok) return fail(reason as string)
    return 0
  } catch (err) {
    return fail((err as Error).message ?? String(err))
  } finally {
    view?.close()
    // every path, including an exception: no child outlives the devnet
    stopping = true
    if (children.some((c) => c.exit === undefined)) await stopChildren(children, (f) => { forceKill = f })
    agent.destroy()
    for (const s of signals) process.off(s, onSignal)
    process.stdout.off('error', onOutputError)
    process.stderr.off('error', onOutputError)
    process.off('exit', killAll)
  }
}

/** SIGTERM every running child, wait up to the grace, then SIGKILL; returns the names killed. */
async function stopChildren (children: Child[], onForce: (kill: () => void) => void): Promise<string[]> {
  const forced: string[] = []
  const kill = (): void => {
    for (const c of children) {
      if (c.exit === undefined && c.proc.kill('SIGKILL')) forced.push(c.name)
    }
  }
  onForce(kill)
  for (const c of children) if (c.exit === undefined) c.proc.kill('SIGTERM')
  const all = Promise.all(children.map(async (c) => await c.exited))
  let timer: NodeJS.Timeout | undefined
  await Promise.race([all, new Promise<void>((resolve) => { timer = setTimeout(resolve, STOP_GRACE_MS) })])
  clearTimeout(timer)
  kill()
  await all
  return forced
}
