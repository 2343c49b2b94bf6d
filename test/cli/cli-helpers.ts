/**
 * Running the `memecoin` CLI as a user would: one child process per command, bounded in time,
 * with a clean environment (no MEMECOIN_PASSWORD or MEMECOIN_API from the developer's shell, and
 * MEMECOIN_HOME in a temp directory so nothing touches ~/.memecoin). Plus node processes on
 * loopback only, and the assertion every bad input must pass: a non-zero exit, one `error:` line
 * on stderr, no stack trace. Every process started here is registered and killed by `killAll()`.
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/** The repository root and the CLI entry point. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const BIN = fileURLToPath(new URL('../../bin/memecoin.js', import.meta.url))

/** The hint commander prints after a usage error (main.ts `showHelpAfterError`). */
export const USAGE_HINT = '(run with --help for usage)'

/** What a finished CLI command printed. */
export interface CliResult { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, args: string[] }

const running = new Set<ChildProcess>()

function killGroup (child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try { process.kill(-child.pid, 'SIGKILL') } catch { /* gone */ }
}

/** Kills every process started by this module that is still running (for after/afterEach). */
export async function killAll (): Promise<void> {
  const all = [...running]
  for (const c of all) killGroup(c)
  await Promise.all(all.map(async (c) => await new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) { resolve(); return }
    const t = setTimeout(resolve, 5000)
    c.once('close', () => { clearTimeout(t); resolve() })
  })))
}

/** The environment of every child: the parent's minus what would change CLI defaults. */
export function cleanEnv (home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MEMECOIN_HOME: home, ...extra }
  if (extra.MEMECOIN_PASSWORD === undefined) delete env.MEMECOIN_PASSWORD
  if (extra.MEMECOIN_API === undefined) delete env.MEMECOIN_API
  return env
}

/** Options of runCli. */
/** `cwd`: the working directory (default the repository root). */
export interface RunOptions { env: NodeJS.ProcessEnv, input?: string, timeoutMs?: number, cwd?: string }

/** Runs `memecoin …args` to completion (killed after `timeoutMs`, default 30 s). */
export async function runCli (args: string[], o: RunOptions): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd ?? ROOT, env: o.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  child.stdin.on('error', () => {})
  child.stdin.end(o.input ?? '')
  const timeoutMs = o.timeoutMs ?? 30_000
  const timer = setTimeout(() => { killGroup(child) }, timeoutMs)
  const { code, signal } = await new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', () => { resolve({ code: -1, signal: null }) })
    child.once('close', (code, signal) => { resolve({ code, signal }) })
  })
  clearTimeout(timer)
  running.delete(child)
  if (signal === 'SIGKILL') throw new Error(`memecoin ${args.join(' ')}: killed after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`)
  return { code, signal, stdout, stderr, args }
}

/**
 * Runs `main()` of the CLI in this process, capturing what it writes: for usage errors, which
 * never read stdin, a terminal or the network, at a fraction of a process's start-up cost. Not
 * concurrent (it swaps process.stdout/stderr.write); `env` entries replace process.env for the call.
 */
export async function runMain (args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.ts')
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  const saved: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += String(chunk); return true }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true }) as typeof process.stderr.write
  try {
    const code = await main(['node', 'memecoin', ...args])
    return { code, signal: null, stdout, stderr, args }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

function describe_ (r: CliResult): string {
  return `memecoin ${r.args.join(' ')} → exit ${String(r.code)}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`
}

/** Asserts the command succeeded and returns its stdout. */
export function expectOk (r: CliResult): string {
  expect(r.code, describe_(r)).to.equal(0)
  return r.stdout
}

/** Asserts the command succeeded and printed one JSON document; returns it. */
export function expectJson<T = Record<string, any>> (r: CliResult): T {
  const out = expectOk(r)
  try {
    return JSON.parse(out) as T
  } catch {
    throw new Error(`not JSON: ${describe_(r)}`)
  }
}

/**
 * Asserts a refusal as users must see it: exit ≠ 0 (`exitCode` if given), nothing on stdout,
 * exactly one stderr line, starting with "error:" (plus commander's usage hint after a usage
 * error), no stack trace. Returns the error line.
 */
export function expectCliError (r: CliResult, match?: RegExp, exitCode?: number): string {
  const what = describe_(r)
  expect(r.code, what).to.not.equal(0)
  expect(r.code, what).to.not.equal(null)
  if (exitCode !== undefined) expect(r.code, what).to.equal(exitCode)
  expect(r.stdout, what).to.equal('')
  const lines = r.stderr.split('\n').filter((l) => l !== '' && l !== USAGE_HINT)
  expect(lines, what).to.have.length(1)
  const line = lines[0] as string
  expect(line, what).to.match(/^error: \S/)
  expect(r.stderr, what).to.not.match(/^\s+at\s|\n\s+at\s|Error:\s|node:internal/)
  if (match !== undefined) expect(line, what).to.match(match)
  return line
}

/** Runs `tasks` with at most `limit` in flight (spawning a CLI costs ~1 s of CPU). */
export async function pooled<T> (limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await (tasks[i] as () => Promise<T>)()
    }
  }))
  return results
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, close). */
export async function freePort (): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => { resolve(port) })
    })
  })
}

/** A `memecoin start` child process on loopback. */
export interface NodeProc {
  child: ChildProcess
  lines: string[]
  /** libp2p address with /p2p/<peer id>. */
  addr: string
  apiUrl: string
}

/** Starts a validator node (`--no-mdns`, libp2p and API on 127.0.0.1); resolves once its API listens. */
export async function startNode (o: {
  name: string
  dataDir: string
  genesis: string
  validatorKey: string
  passwordFile: string
  bootstrap?: string
  env: NodeJS.ProcessEnv
  timeoutMs?: number
}): Promise<NodeProc> {
  const port = await freePort()
  const args = [
    BIN, 'start', '--dir', o.dataDir, '--genesis', o.genesis,
    '--validator-key', o.validatorKey, '--password-file', o.passwordFile,
    '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', `127.0.0.1:${port}`,
    '--log-format', 'json', '--name', o.name,
    ...(o.bootstrap !== undefined ? ['--bootstrap', o.bootstrap] : [])
  ]
  const child = spawn(process.execPath, args, { cwd: ROOT, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  child.once('close', () => { running.delete(child) })
  const lines: string[] = []
  for (const s of [child.stdout, child.stderr]) {
    let rest = ''
    s.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n')
      rest = parts.pop() as string
      lines.push(...parts)
    })
  }
  const deadline = Date.now() + (o.timeoutMs ?? 20_000)
  for (;;) {
    let addr: string | undefined
    let api = false
    for (const l of lines) {
      if (!l.startsWith('{')) continue
      const j = JSON.parse(l) as { msg?: string, listen?: string[], peerId?: string }
      if (j.msg === 'node started') {
        const a = (j.listen ?? []).find((x) => x.startsWith('/ip4/127.0.0.1/tcp/'))
        if (a !== undefined) addr = a.includes('/p2p/') ? a : `${a}/p2p/${String(j.peerId)}`
      }
      if (j.msg === 'api listening') api = true
    }
    if (addr !== undefined && api) return { child, lines, addr, apiUrl: `http://127.0.0.1:${port}` }
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${o.name} exited during start:\n${lines.slice(-15).join('\n')}`)
    if (Date.now() > deadline) {
      killGroup(child)
      throw new Error(`${o.name} did not start in time:\n${lines.slice(-15).join('\n')}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Polls `check` every `intervalMs` until it returns something other than undefined (bounded). */
export async function pollUntil<T> (what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) { lastError = err }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError !== undefined ? ` (last error: ${(lastError as Error).message})` : ''}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
