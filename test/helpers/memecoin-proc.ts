/**
 * `memecoin start` as a child process on loopback only (mDNS off, libp2p and the API on
 * 127.0.0.1, ports chosen by the OS and read back from the JSON log), plus a small HTTP client for
 * its API. Used by the process-level tests.
 */
import { fileURLToPath } from 'node:url'
import { killProc, spawnProc, waitForLine, type Proc } from './proc.ts'
import { NODE_FLAGS } from '../../src/cli/node-flags.ts'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** The CLI entry point. */
export const BIN = fileURLToPath(new URL('../../bin/memecoin.js', import.meta.url))
/** Preload that injects faults and clock offsets into a node process (see the file). */
export const FAULT_PRELOAD = fileURLToPath(new URL('./fault-inject.mjs', import.meta.url))

/** One JSON log line of a node. */
export type LogLine = Record<string, unknown> & { msg: string }

/** Parses a JSON log line (undefined for anything else). */
export function logLine (line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const v = JSON.parse(line) as unknown
    return typeof v === 'object' && v !== null && typeof (v as LogLine).msg === 'string' ? v as LogLine : undefined
  } catch { return undefined }
}

/** The log lines of a process with message `msg`. */
export function logsOf (p: Proc, msg: string): LogLine[] {
  return p.lines.map(logLine).filter((l): l is LogLine => l !== undefined && l.msg === msg)
}

/** How to start a node. */
export interface NodeSpec {
  name: string
  dir: string
  genesis: string
  /** Validator keystore; absent for a non-validating node. */
  validatorKey?: string
  passwordFile?: string
  /** Environment for the fault preload (MEMECOIN_TEST_*); the preload is loaded when given. */
  faults?: Record<string, string>
}

/** A started node process and what its log told about it. */
export interface NodeProc {
  spec: NodeSpec
  proc: Proc
  peerId: string
  /** Its libp2p address with /p2p/<peer id>. */
  addr: string
  apiUrl: string
  /** From the 'chain opened' line. */
  opened: { height: bigint, restored: boolean }
  /** Milliseconds from spawn until the API listened. */
  startedInMs: number
}

/** Starts `memecoin start` for `spec`, dialing `bootstrap`; resolves once its API listens. */
export async function startNodeProc (spec: NodeSpec, bootstrap: string[], timeoutMs = 15_000): Promise<NodeProc> {
  const args = [
    ...NODE_FLAGS,
    ...(spec.faults !== undefined ? ['--import', FAULT_PRELOAD] : []),
    BIN, 'start',
    '--dir', spec.dir,
    '--genesis', spec.genesis,
    '--no-mdns',
    '--listen', '/ip4/127.0.0.1/tcp/0',
    '--api', '127.0.0.1:0',
    '--log-format', 'json',
    '--name', spec.name,
    ...(spec.validatorKey !== undefined ? ['--validator-key', spec.validatorKey] : []),
    ...(spec.passwordFile !== undefined ? ['--password-file', spec.passwordFile] : []),
    ...bootstrap.flatMap((a) => ['--bootstrap', a])
  ]
  const env: NodeJS.ProcessEnv = { ...process.env, ...(spec.faults ?? {}) }
  delete env.MEMECOIN_PASSWORD
  const spawnedAt = Date.now()
  const proc = spawnProc(spec.name, process.execPath, args, { cwd: ROOT, env })
  try {
    const opened = await waitForLine(proc, (l) => {
      const j = logLine(l)
      return j?.msg === 'chain opened' ? { height: BigInt(j.height as string), restored: j.restored === true } : undefined
    }, timeoutMs, 'chain opened')
    const started = await waitForLine(proc, (l) => {
      const j = logLine(l)
      return j?.msg === 'node started' ? { peerId: j.peerId as string, listen: j.listen as string[] } : undefined
    }, timeoutMs, 'node started', opened.index)
    const api = await waitForLine(proc, (l) => {
      const j = logLine(l)
      return j?.msg === 'api listening' ? j.url as string : undefined
    }, timeoutMs, 'api listening', started.index)
    const addr = started.value.listen.find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))
    if (addr === undefined) throw new Error(`${spec.name} listens on no loopback address: ${started.value.listen.join(', ')}`)
    return { spec, proc, peerId: started.value.peerId, addr: addr.includes('/p2p/') ? addr : `${addr}/p2p/${started.value.peerId}`, apiUrl: api.value, opened: opened.value, startedInMs: Date.now() - spawnedAt }
  } catch (err) {
    await killProc(proc).catch(() => {})
    throw err
  }
}

/** GET `path` of a node's API as JSON (bounded). */
export async function apiGet<T = Record<string, unknown>> (n: NodeProc, path: string, timeoutMs = 2000): Promise<T> {
  const res = await fetch(n.apiUrl + path, { signal: AbortSignal.timeout(timeoutMs) })
  if (!res.ok) throw new Error(`${n.spec.name} GET ${path}: HTTP ${res.status} ${await res.text()}`)
  return await res.json() as T
}

/** `GET /status` with the fields the tests read. */
export interface StatusJson { height: string, headHash: string, slot: string, peers: number, syncing: boolean }
export async function statusOf (n: NodeProc): Promise<StatusJson> {
  return await apiGet<StatusJson>(n, '/status')
}

/** A block summary of `GET /blocks`. */
export interface BlockSummary { hash: string, height: string, slot: string, parentHash: string, proposer: { address: string, publicKey: string } }

/** The canonical block summaries from height 1 to the head (paged, bounded). */
export async function allBlocks (n: NodeProc): Promise<BlockSummary[]> {
  const out: BlockSummary[] = []
  let from = '1'
  for (let page = 0; page < 100; page++) {
    const r = await apiGet<{ blocks: BlockSummary[], next?: string }>(n, `/blocks?from=${from}&limit=100`)
    out.push(...r.blocks)
    if (r.next === undefined || r.blocks.length === 0) return out
    from = r.next
  }
  throw new Error(`${n.spec.name}: more than 100 pages of blocks`)
}

/** Hash of the canonical block at `height` (undefined if the node has none there). */
export async function hashAt (n: NodeProc, height: bigint): Promise<string | undefined> {
  const res = await fetch(`${n.apiUrl}/blocks/${height}`, { signal: AbortSignal.timeout(2000) })
  if (res.status === 404) { await res.body?.cancel(); return undefined }
  if (!res.ok) throw new Error(`${n.spec.name} GET /blocks/${height}: HTTP ${res.status}`)
  return (await res.json() as { hash: string }).hash
}
