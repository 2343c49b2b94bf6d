/**
 * Child processes for process-level tests: each child runs in its own process group (so a kill
 * reaches everything it started), its stdout and stderr are collected line by line, and every
 * wait is bounded. Every process goes into `procs`; `killAllProcs()` (from after/afterEach) kills
 * the groups still alive, even when the test failed.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

/** A running child and what it printed so far. */
export interface Proc {
  readonly name: string
  readonly child: ChildProcess
  /** Every line printed (stdout and stderr interleaved as they arrived). */
  readonly lines: string[]
  /** Resolves when the child has exited. */
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** True once the child has exited. */
  readonly done: () => boolean
}

/** Every process started by `spawnProc` and not yet known to have exited. */
export const procs = new Set<Proc>()

/** Spawns `cmd args` in a new process group, collecting its output lines. */
export function spawnProc (name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Proc {
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let finished = false
  const collect = (stream: NodeJS.ReadableStream | null): void => {
    if (stream === null) return
    let rest = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      rest += chunk
      const parts = rest.split('\n')
      rest = parts.pop() as string
      for (const l of parts) lines.push(l)
    })
    stream.on('end', () => { if (rest.length > 0) lines.push(rest); rest = '' })
  }
  collect(child.stdout)
  collect(child.stderr)
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (err) => { lines.push(`spawn error: ${err.message}`); finished = true; resolve({ code: -1, signal: null }) })
    child.once('close', (code, signal) => { finished = true; resolve({ code, signal }) })
  })
  const p: Proc = { name, child, lines, exited, done: () => finished }
  procs.add(p)
  void exited.then(() => { procs.delete(p) })
  return p
}

/** Sends `signal` to the child's whole process group (no-op once it has exited). */
export function signalGroup (p: Proc, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (p.done() || p.child.pid === undefined) return
  try { process.kill(-p.child.pid, signal) } catch { /* already gone */ }
}

/** SIGKILLs the process group and waits (bounded) until the child is gone. */
export async function killProc (p: Proc, timeoutMs = 5000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  signalGroup(p, 'SIGKILL')
  return await withTimeout(p.exited, timeoutMs, `${p.name} to exit after SIGKILL`)
}

/** Kills every process still running (for after/afterEach hooks). */
export async function killAllProcs (): Promise<void> {
  const all = [...procs]
  for (const p of all) signalGroup(p, 'SIGKILL')
  await Promise.all(all.map(async (p) => await withTimeout(p.exited, 5000, `${p.name} to exit`).catch(() => {})))
}

/** Rejects after `ms` with a message naming what was awaited. */
export async function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`timed out after ${ms} ms waiting for ${what}`)) }, ms) })
    ])
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/**
 * Waits until `lines[from…]` contains a line for which `match` returns a value; returns the value
 * and the line's index. Fails when the process exits first or after `timeoutMs`.
 */
export async function waitForLine<T> (p: Proc, match: (line: string) => T | undefined, timeoutMs: number, what: string, from = 0): Promise<{ value: T, index: number }> {
  const deadline = Date.now() + timeoutMs
  let i = from
  for (;;) {
    for (; i < p.lines.length; i++) {
      const v = match(p.lines[i] as string)
      if (v !== undefined) return { value: v, index: i }
    }
    if (p.done()) throw new Error(`${p.name} exited while waiting for ${what}; last output:\n${tail(p)}`)
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} from ${p.name}; last output:\n${tail(p)}`)
    await sleep(10)
  }
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined (bounded). */
export async function pollUntil<T> (what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (let attempt = 0; attempt < 10_000; attempt++) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) { lastError = err }
    if (Date.now() > deadline) break
    await sleep(intervalMs)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError !== undefined ? ` (last error: ${(lastError as Error).message})` : ''}`)
}

/** The last lines of a process's output, for failure messages. */
export function tail (p: Proc, n = 15): string {
  return p.lines.slice(-n).join('\n')
}
