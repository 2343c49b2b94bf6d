/**
 * Small helpers shared by the examples (not part of the library): command-line flags, fresh keys,
 * a devnet genesis that starts now, JSON calls to a node's HTTP API, bounded waiting, and a hard
 * deadline so an example never hangs.
 */
import { randomBytes } from 'node:crypto'
import { accountIdOf, addressOf, createLogger, defaultDevnetGenesis, genesisToJson, loadGenesis, privateKeyFromEntropy, publicKeyOf, toHex, type BuiltTx, type LoadedGenesis, type LogFn } from 'memecoin'

/** 1 MEME in base units. */
export const MEME = 10n ** 8n

/** `units` base units as MEME with up to 8 decimals, e.g. `41.99999` for 4199999000n. */
export function formatMeme (units: bigint | string): string {
  const u = BigInt(units)
  const whole = u / MEME
  const frac = (u % MEME).toString().padStart(8, '0').replace(/0+$/, '')
  return `${whole}${frac === '' ? '' : '.' + frac} MEME`
}

/** True if `--name` is on the command line. */
export function hasFlag (name: string): boolean {
  return process.argv.slice(2).includes(`--${name}`)
}

/** The value of `--name VALUE` or `--name=VALUE`, if given. */
export function flagValue (name: string): string | undefined {
  const args = process.argv.slice(2)
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    if (a === `--${name}`) return args[i + 1]
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3)
  }
  return undefined
}

/** A positive integer flag, or `fallback`. */
export function intFlag (name: string, fallback: number): number {
  const v = flagValue(name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${v}`)
  return n
}

/** Prints `msg` and exits 1. */
export function fail (msg: string): never {
  console.error(`error: ${msg}`)
  process.exit(1)
}

/** A fresh secp256k1 key with its account id and meme1 address. */
export interface Key { privateKey: Uint8Array, publicKey: Uint8Array, id: Uint8Array, address: string }

/** A new random key (as `memecoin wallet new` makes one). */
export function newKey (): Key {
  const privateKey = privateKeyFromEntropy(randomBytes(48))
  const publicKey = publicKeyOf(privateKey)
  return { privateKey, publicKey, id: accountIdOf(publicKey), address: addressOf(publicKey) }
}

/**
 * A devnet genesis (DESIGN.md defaults: f 1/2, k 20, minFee 1000) with short slots whose slot 0
 * starts `startInMs` from now: every validator gets 1000 MEME of stake and 10 MEME for fees, the
 * faucet 1,000,000 MEME. Loaded through genesis.json's JSON form, so every genesis rule is checked.
 */
export function exampleGenesis (opts: { chainName: string, validators: Key[], faucet: Key, slotMs: number, startInMs?: number }): LoadedGenesis {
  const config = defaultDevnetGenesis({
    chainName: opts.chainName,
    genesisTime: BigInt(Date.now() + (opts.startInMs ?? 0)),
    slotMs: BigInt(opts.slotMs),
    validators: opts.validators.map((v) => ({ id: v.id, stake: 1000n * MEME, balance: 10n * MEME })),
    faucet: { id: opts.faucet.id, balance: 1_000_000n * MEME }
  })
  return loadGenesis(genesisToJson(config))
}

/** The nodes' own logs on stderr when MEMECOIN_EXAMPLE_LOG is set (e.g. `=info`), else none. */
export function nodeLog (name: string): LogFn | undefined {
  const level = process.env.MEMECOIN_EXAMPLE_LOG
  if (level === undefined || level === '' || level === '0') return undefined
  return createLogger({ name, level: level === 'debug' || level === 'warn' || level === 'error' ? level : 'info' })
}

/** Resolves after `ms`. */
export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `cond` every `intervalMs` until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function waitFor<T> (what: string, cond: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, intervalMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await cond()
    if (v !== undefined && v !== false) return v
    if (Date.now() >= end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}

/** A JSON API response. */
export interface ApiResponse<T = any> { status: number, body: T }

/** `GET` (or `POST` with a JSON body) on a node's HTTP API; 5 s timeout. */
export async function apiCall<T = any> (apiUrl: string, path: string, json?: unknown): Promise<ApiResponse<T>> {
  const res = await fetch(apiUrl + path, {
    method: json === undefined ? 'GET' : 'POST',
    ...(json !== undefined ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } } : {}),
    signal: AbortSignal.timeout(5000)
  })
  const text = await res.text()
  let body: unknown
  try { body = JSON.parse(text) } catch { body = text }
  return { status: res.status, body: body as T }
}

/** `GET` that must answer 200; returns the JSON body. */
export async function apiGet<T = any> (apiUrl: string, path: string): Promise<T> {
  const r = await apiCall<T>(apiUrl, path)
  if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`)
  return r.body
}

/** `POST /txs` of a signed transaction; returns its id (hex). Throws on a refusal. */
export async function submitTx (apiUrl: string, tx: BuiltTx): Promise<string> {
  const r = await apiCall<{ id?: string, error?: { code: string, message: string } }>(apiUrl, '/txs', { tx: toHex(tx.bytes) })
  if ((r.status !== 202 && r.status !== 200) || r.body.id === undefined) {
    throw new Error(`POST /txs refused: HTTP ${r.status} ${JSON.stringify(r.body)}`)
  }
  return r.body.id
}

/** An included transaction as `GET /txs/:id` reports it. */
export interface IncludedTx { id: string, status: 'included', blockHash: string, height: string, index: number, confirmations?: number }

/** Polls `GET /txs/:id` until the transaction is included in a canonical block. */
export async function waitForInclusion (apiUrl: string, id: string, timeoutMs: number): Promise<IncludedTx> {
  return await waitFor(`transaction ${id.slice(0, 12)}… to be included`, async () => {
    const r = await apiCall(apiUrl, `/txs/${id}`)
    return r.status === 200 && r.body.status === 'included' && r.body.canonical !== false ? r.body as IncludedTx : undefined
  }, timeoutMs, 150)
}

/**
 * Exits with status 1 if the example is still running after `ms` (it must never hang), and runs
 * `cleanup` on Ctrl-C. The timer does not keep the process alive.
 */
export function guard (ms: number, cleanup: () => Promise<void>): void {
  const t = setTimeout(() => {
    console.error(`error: still running after ${ms} ms; giving up`)
    process.exit(1)
  }, ms)
  t.unref()
  const onSignal = (): void => {
    console.log('\ninterrupted: stopping…')
    cleanup().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
}

/** Runs an example's `main`, printing an error and exiting 1 if it throws; exits 0 otherwise. */
export function run (main: () => Promise<void>): void {
  main().then(() => {
    // Everything was stopped; exit now rather than wait for libp2p's last idle timers.
    process.exit(0)
  }, (err: unknown) => {
    const e = err as Error & { cause?: { message?: string } }
    const cause = e?.cause?.message
    console.error(`error: ${e?.message ?? String(err)}${cause !== undefined ? ` (${cause})` : ''}`)
    if (process.env.MEMECOIN_EXAMPLE_LOG === 'debug') console.error(e?.stack)
    process.exit(1)
  })
}

/** The first 12 hex characters of a hash, for display. */
export function short (hex: string): string {
  return hex.length > 12 ? hex.slice(0, 12) + '…' : hex
}
