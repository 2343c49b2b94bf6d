/**
 * A deterministic mutation fuzzer for every decoder and validator entry point of memecoin.
 *
 * Seeds are valid messages (built from a small devnet: a real chain with blocks and transfers);
 * each execution picks a seed and applies 1–4 mutations: bit flips, byte set/insert/delete,
 * length-field edits (varint prefixes), splicing with another seed, and protobuf-aware field
 * mutations (drop / duplicate / swap / re-type a field, boundary varints, recursive mutation of a
 * length-delimited field). JSON targets get JSON-aware mutations (replace a value by a hostile one)
 * as well as text mutations. Everything derives from one 32-bit seed, so a run is reproducible.
 *
 * The oracle: a target may only fail with a typed error (MemecoinError and its subclasses:
 * DecodeError, ValidationError, GenesisError, KeystoreError, ApiError; over HTTP: a 4xx JSON error
 * body), never any other exception; every input finishes within a time bound; and where decoding
 * succeeds, re-encoding reproduces the input (canonical messages) or decoding the re-encoding gives
 * the same value (round-trip stability).
 */
import http from 'node:http'
import { addressOf, decodeAddress, encodeAddress } from '../../src/core/address.ts'
import { toHex } from '../../src/core/bytes.ts'
import { MemecoinError } from '../../src/core/errors.ts'
import { genesisToJson, parseGenesisJson } from '../../src/core/genesis.ts'
import { decodeSmtProof, encodeSmtProof, verifySmtProof } from '../../src/core/smt.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { ChainService } from '../../src/chain/service.ts'
import { createApiServer, type ApiServer } from '../../src/api/index.ts'
import { decryptKeystore, encryptKeystore, parseKeystore } from '../../src/wallet/keystore.ts'
import { buildEvidence, buildStake, buildTransfer, buildUnstake } from '../../src/wallet/transactions.ts'
import { decodeBlock, encodeBlock } from '../../src/wire/block.ts'
import { decodeGenesis, encodeGenesis, GENESIS_LIMITS } from '../../src/wire/genesis.ts'
import { decodeHeader, decodeSignedHeader, encodeHeader, encodeSignedHeader } from '../../src/wire/header.ts'
import { merkleRoot } from '../../src/core/merkle.ts'
import { HEADER_DOMAIN, TX_DOMAIN, signBytes } from '../../src/core/signing.ts'
import {
  decodeAccount, decodeBlocksByHash, decodeBlocksByRange, decodeEvidence, decodeResponseChunk, decodeStatus,
  encodeAccount, encodeBlocksByHash, encodeBlocksByRange, encodeEvidence, encodeResponseChunk, encodeStatus, RESPONSE_OK
} from '../../src/wire/messages.ts'
import { decodeTx, decodeTxBatch, encodeTx, encodeTxBatch } from '../../src/wire/tx.ts'
import { keyOf, makeNet, MEME, openChain, produceNext, type TestNet } from '../network/net-fixture.ts'

// ------------------------------------------------------------------ deterministic randomness

/** mulberry32: small, fast, deterministic per seed. */
export class Rng {
  private s: number
  constructor (seed: number) { this.s = seed >>> 0 }
  u32 (): number {
    this.s = (this.s + 0x6D2B79F5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** Integer in [0, n). */
  int (n: number): number { return n <= 0 ? 0 : this.u32() % n }
  pick<T> (xs: readonly T[]): T { return xs[this.int(xs.length)] as T }
  chance (p: number): boolean { return this.u32() / 4294967296 < p }
}

// ------------------------------------------------------------------ protobuf-aware view

/** One top-level protobuf field as found in the bytes. */
interface PbField { start: number, end: number, tag: number, wire: number, valueStart: number, valueEnd: number }

function readVarint (b: Uint8Array, pos: number): { value: bigint, next: number } | undefined {
  let v = 0n
  for (let i = 0; i < 10; i++) {
    if (pos + i >= b.length) return undefined
    const x = b[pos + i] as number
    v |= BigInt(x & 0x7f) << BigInt(7 * i)
    if ((x & 0x80) === 0) return { value: v, next: pos + i + 1 }
  }
  return undefined
}

function writeVarint (v: bigint): Uint8Array {
  const out: number[] = []
  let x = BigInt.asUintN(64, v)
  do {
    let byte = Number(x & 0x7fn)
    x >>= 7n
    if (x > 0n) byte |= 0x80
    out.push(byte)
  } while (x > 0n)
  return Uint8Array.from(out)
}

/** Splits bytes into top-level fields; undefined when they do not parse as protobuf. */
export function pbFields (b: Uint8Array): PbField[] | undefined {
  const out: PbField[] = []
  let pos = 0
  while (pos < b.length && out.length < 4096) {
    const key = readVarint(b, pos)
    if (key === undefined) return undefined
    const wire = Number(key.value & 7n)
    const tag = Number(key.value >> 3n)
    let valueStart = key.next
    let valueEnd: number
    if (wire === 0) {
      const v = readVarint(b, key.next)
      if (v === undefined) return undefined
      valueEnd = v.next
    } else if (wire === 2) {
      const len = readVarint(b, key.next)
      if (len === undefined || len.value > BigInt(b.length)) return undefined
      valueStart = len.next
      valueEnd = len.next + Number(len.value)
      if (valueEnd > b.length) return undefined
    } else if (wire === 1) valueEnd = key.next + 8
    else if (wire === 5) valueEnd = key.next + 4
    else return undefined
    if (valueEnd > b.length) return undefined
    out.push({ start: pos, end: valueEnd, tag, wire, valueStart, valueEnd })
    pos = valueEnd
  }
  return out
}

function concat (...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0)
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

const BOUNDARY_VARINTS = [0n, 1n, 127n, 128n, 255n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n]

/** A protobuf-aware mutation of `b`; undefined if `b` is not protobuf. */
function mutateProto (rng: Rng, b: Uint8Array, depth = 0): Uint8Array | undefined {
  const fields = pbFields(b)
  if (fields === undefined || fields.length === 0) return undefined
  const f = rng.pick(fields)
  const before = b.subarray(0, f.start)
  const self = b.subarray(f.start, f.end)
  const after = b.subarray(f.end)
  const key = b.subarray(f.start, f.wire === 2 ? f.valueStart - writeVarint(BigInt(f.valueEnd - f.valueStart)).length : f.valueStart)
  switch (rng.int(8)) {
    case 0: return concat(before, after) // drop the field
    case 1: return concat(before, self, self, after) // duplicate it
    case 2: { // swap with another field (out of order)
      const g = rng.pick(fields)
      if (g === f) return concat(after, self, before)
      const [x, y] = f.start < g.start ? [f, g] : [g, f]
      return concat(b.subarray(0, x.start), b.subarray(y.start, y.end), b.subarray(x.end, y.start), b.subarray(x.start, x.end), b.subarray(y.end))
    }
    case 3: { // a varint field to a boundary value (or a non-minimal encoding)
      if (f.wire !== 0) break
      const v = rng.pick(BOUNDARY_VARINTS)
      let enc = writeVarint(v)
      if (rng.chance(0.3)) enc = concat(Uint8Array.from([...enc.subarray(0, enc.length - 1)].map((x) => x | 0x80)), Uint8Array.of((enc[enc.length - 1] as number) | 0x80), Uint8Array.of(0))
      return concat(before, key, enc, after)
    }
    case 4: { // re-type the field (same tag, another wire type)
      const wire = rng.pick([0, 1, 2, 5, 3, 7])
      return concat(before, writeVarint(BigInt((f.tag << 3) | wire)), b.subarray(f.valueStart, f.valueEnd), after)
    }
    case 5: { // length-delimited: mutate the content (recursively as protobuf, else as bytes), fix the length
      if (f.wire !== 2) break
      const inner = b.subarray(f.valueStart, f.valueEnd)
      const m = (depth < 3 && rng.chance(0.6) ? mutateProto(rng, inner, depth + 1) : undefined) ?? mutateBytesOnce(rng, inner, [])
      return concat(before, writeVarint(BigInt((f.tag << 3) | 2)), writeVarint(BigInt(m.length)), m, after)
    }
    case 6: { // length-delimited: grow or shrink the value by a little (length kept consistent)
      if (f.wire !== 2) break
      const inner = b.subarray(f.valueStart, f.valueEnd)
      const m = rng.chance(0.5) ? inner.subarray(0, Math.max(0, inner.length - 1 - rng.int(4))) : concat(inner, Uint8Array.of(rng.int(256)))
      return concat(before, writeVarint(BigInt((f.tag << 3) | 2)), writeVarint(BigInt(m.length)), m, after)
    }
    default: { // an unknown field appended or inserted
      const tag = rng.pick([15, 16, 99, 536870911])
      return concat(before, self, writeVarint(BigInt(tag << 3)), writeVarint(BigInt(rng.int(300))), after)
    }
  }
  return undefined
}

// ------------------------------------------------------------------ byte mutations

function mutateBytesOnce (rng: Rng, b: Uint8Array, pool: readonly Uint8Array[]): Uint8Array {
  const c = b.slice()
  switch (rng.int(9)) {
    case 0: { // bit flip
      if (c.length === 0) return Uint8Array.of(rng.int(256))
      const i = rng.int(c.length)
      c[i] = (c[i] as number) ^ (1 << rng.int(8))
      return c
    }
    case 1: { // byte set to an interesting value
      if (c.length === 0) return Uint8Array.of(0xff)
      c[rng.int(c.length)] = rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.int(256)])
      return c
    }
    case 2: { // insert bytes
      const i = rng.int(c.length + 1)
      const n = 1 + rng.int(rng.chance(0.1) ? 64 : 4)
      const ins = new Uint8Array(n).map(() => rng.int(256))
      return concat(c.subarray(0, i), ins, c.subarray(i))
    }
    case 3: { // delete bytes
      if (c.length === 0) return c
      const i = rng.int(c.length)
      const n = 1 + rng.int(Math.min(8, c.length - i))
      return concat(c.subarray(0, i), c.subarray(i + n))
    }
    case 4: { // truncate
      return c.subarray(0, rng.int(c.length + 1))
    }
    case 5: { // length-field edit: a byte after a wire-type-2 key changed by ±1, or to a huge length
      const positions: number[] = []
      for (let i = 0; i + 1 < c.length; i++) if (((c[i] as number) & 7) === 2) positions.push(i + 1)
      if (positions.length === 0) return c
      const p = rng.pick(positions)
      const d = rng.pick([1, -1, 2, -2, 0x40, 0x7f])
      c[p] = ((c[p] as number) + d) & 0xff
      if (rng.chance(0.2)) return concat(c.subarray(0, p), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), c.subarray(p + 1))
      return c
    }
    case 6: { // splice with another seed
      if (pool.length === 0) return c
      const o = rng.pick(pool)
      const i = rng.int(c.length + 1)
      const j = rng.int(o.length + 1)
      return concat(c.subarray(0, i), o.subarray(j))
    }
    case 7: { // repeat a chunk
      if (c.length === 0) return c
      const i = rng.int(c.length)
      const n = 1 + rng.int(Math.min(32, c.length - i))
      return concat(c.subarray(0, i + n), c.subarray(i, i + n), c.subarray(i + n))
    }
    default: return mutateProto(rng, c) ?? c
  }
}

/** 1–4 stacked mutations of `b` (protobuf-aware ones about a third of the time). */
export function mutateBytes (rng: Rng, b: Uint8Array, pool: readonly Uint8Array[] = []): Uint8Array {
  let out = b
  const n = 1 + rng.int(4)
  for (let i = 0; i < n; i++) out = (rng.chance(0.35) ? mutateProto(rng, out) : undefined) ?? mutateBytesOnce(rng, out, pool)
  return out
}

// ------------------------------------------------------------------ JSON mutations

const HOSTILE_VALUES: unknown[] = [
  null, true, 0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, '', '0', '-1', '18446744073709551616', '1e3', ' 1',
  'ff', 'zz', 'x'.repeat(300), [], {}, [1, 2], { num: '1', den: '0' }, '__proto__', '\u0000', 'NaN'
]

function jsonMutateOnce (rng: Rng, v: unknown, depth = 0): unknown {
  if (Array.isArray(v)) {
    if (v.length === 0 || rng.chance(0.15)) return rng.chance(0.5) ? [] : [...v, rng.pick(HOSTILE_VALUES)]
    const c = v.slice()
    const i = rng.int(c.length)
    if (rng.chance(0.1)) c.splice(i, 1)
    else if (rng.chance(0.1)) c.push(c[i])
    else c[i] = jsonMutateOnce(rng, c[i], depth + 1)
    return c
  }
  if (typeof v === 'object' && v !== null) {
    const c: Record<string, unknown> = { ...(v as Record<string, unknown>) }
    const keys = Object.keys(c)
    const r = rng.int(10)
    if (keys.length === 0 || r === 0) { c[rng.pick(['extra', '__proto__', 'constructor', 'version', 'N'])] = rng.pick(HOSTILE_VALUES); return c }
    const k = rng.pick(keys)
    if (r === 1) { delete c[k]; return c }
    c[k] = depth < 6 && rng.chance(0.7) ? jsonMutateOnce(rng, c[k], depth + 1) : rng.pick(HOSTILE_VALUES)
    return c
  }
  if (typeof v === 'string') {
    if (rng.chance(0.5)) return rng.pick(HOSTILE_VALUES)
    const bytes = new TextEncoder().encode(v)
    return new TextDecoder().decode(mutateBytesOnce(rng, bytes, []))
  }
  if (typeof v === 'number') return rng.pick([v + 1, v - 1, v * 2, -v, 0, 2 ** 31, 2 ** 53, Infinity, NaN, rng.pick(HOSTILE_VALUES)])
  return rng.pick(HOSTILE_VALUES)
}

/** A JSON-aware mutation (structure), or a text mutation that may still parse. */
export function mutateJson (rng: Rng, v: unknown): unknown {
  if (rng.chance(0.2)) {
    const text = new TextEncoder().encode(JSON.stringify(v))
    const m = new TextDecoder().decode(mutateBytes(rng, text))
    try { return JSON.parse(m) } catch { return m }
  }
  let out = v
  const n = 1 + rng.int(3)
  for (let i = 0; i < n; i++) out = jsonMutateOnce(rng, out)
  return out
}

// ------------------------------------------------------------------ targets and the oracle

/** A fuzz target: seeds, how to mutate them, and the entry point (throws only typed errors). */
export interface FuzzTarget<I = unknown> {
  name: string
  seeds: I[]
  mutate: (rng: Rng, seed: I, pool: readonly I[]) => I
  /** Runs the entry point; throws to report a finding (the oracle checks the error type). */
  run: (input: I) => void | Promise<void>
  /** Time bound per input in ms (default 1000). */
  maxMs?: number
  /** Hex (or JSON text) of an input, for the findings file. */
  show?: (input: I) => string
}

/** A round-trip (or oracle) violation: never a typed error, always a finding. */
export class OracleViolation extends Error {
  constructor (message: string) { super(message); this.name = 'OracleViolation' }
}

function sameBytes (a: Uint8Array, b: Uint8Array, what: string): void {
  if (toHex(a) !== toHex(b)) throw new OracleViolation(`${what}: re-encoding differs (${toHex(a).slice(0, 80)} vs ${toHex(b).slice(0, 80)})`)
}

function sameJson (a: unknown, b: unknown, what: string): void {
  const s = (x: unknown): string => JSON.stringify(x, (_k, v) => typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? toHex(v) : v)
  if (s(a) !== s(b)) throw new OracleViolation(`${what}: round trip changed the value`)
}

/** True for an error the protocol allows (typed). */
export function isTypedError (err: unknown): boolean {
  return err instanceof MemecoinError && !(err instanceof OracleViolation)
}

/** One finding: target, input, error. */
export interface Finding { target: string, seed: number, iteration: number, input: string, error: string, kind: 'untyped-error' | 'oracle' | 'timeout' }

/** Per-target results of a run. */
export interface TargetStats { executions: number, decoded: number, typedErrors: number, findings: number, maxMs: number, /** typed errors by code (how deep the inputs reach) */ codes: Record<string, number> }

/** Runs `target` for `executions` inputs (or until `deadline`), deterministic per `seed`. */
export async function fuzzTarget (target: FuzzTarget<any>, opts: { seed: number, executions: number, deadline?: number, onFinding?: (f: Finding) => void }): Promise<{ stats: TargetStats, findings: Finding[] }> {
  const rng = new Rng(opts.seed ^ hashName(target.name))
  const stats: TargetStats = { executions: 0, decoded: 0, typedErrors: 0, findings: 0, maxMs: 0, codes: {} }
  const findings: Finding[] = []
  const maxMs = target.maxMs ?? 1000
  const show = target.show ?? ((x: unknown) => x instanceof Uint8Array ? toHex(x) : JSON.stringify(x))
  for (let i = 0; i < opts.executions; i++) {
    if (opts.deadline !== undefined && Date.now() > opts.deadline) break
    const seed = rng.pick(target.seeds)
    // a few unmutated seeds keep the round-trip oracle exercised on valid inputs
    const input = i < target.seeds.length ? target.seeds[i] : target.mutate(rng, seed, target.seeds)
    const t0 = performance.now()
    let error: unknown
    let timer: NodeJS.Timeout | undefined
    try {
      const r = target.run(input)
      if (r instanceof Promise) {
        await Promise.race([r, new Promise((_resolve, reject) => { timer = setTimeout(() => { reject(new OracleViolation(`no answer within ${maxMs * 5} ms`)) }, maxMs * 5) })])
      }
      stats.decoded++
    } catch (err) {
      error = err
    } finally {
      if (timer !== undefined) clearTimeout(timer)
    }
    const ms = performance.now() - t0
    stats.maxMs = Math.max(stats.maxMs, ms)
    stats.executions++
    let kind: Finding['kind'] | undefined
    if (error !== undefined) {
      if (isTypedError(error)) {
        stats.typedErrors++
        const code = (error as MemecoinError).code
        stats.codes[code] = (stats.codes[code] ?? 0) + 1
      }
      else kind = error instanceof OracleViolation ? 'oracle' : 'untyped-error'
    }
    if (kind === undefined && ms > maxMs) kind = 'timeout'
    if (kind !== undefined) {
      stats.findings++
      const e = error as Error | undefined
      const f: Finding = { target: target.name, seed: opts.seed, iteration: i, input: safeShow(show, input), error: kind === 'timeout' ? `took ${ms.toFixed(0)} ms (bound ${maxMs})` : `${e?.name ?? typeof error}: ${e?.message ?? String(error)}`, kind }
      if (findings.length < 20) findings.push(f)
      opts.onFinding?.(f)
    }
  }
  return { stats, findings }
}

function safeShow (show: (x: any) => string, x: unknown): string {
  try { return show(x) } catch { return String(x) }
}

function hashName (s: string): number {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return h >>> 0
}

// ------------------------------------------------------------------ the seed corpus and targets

/** Everything the targets need: a devnet, a chain with blocks, valid messages of every kind. */
export interface FuzzCorpus {
  net: TestNet
  chain: ChainService
  blocks: Uint8Array[]
  txs: Uint8Array[]
  headers: Uint8Array[]
  /** A block built on the head but not imported (valid when first imported). */
  nextBlock: Uint8Array
  api?: { server: ApiServer, port: number, agent: http.Agent }
  close: () => Promise<void>
}

/** Builds the corpus: a devnet chain with 4 blocks holding transfers, stakes, an unstake. */
export async function buildCorpus (opts: { api?: boolean } = {}): Promise<FuzzCorpus> {
  const net = makeNet('fuzz-net')
  const chain = await openChain(net, true)
  const fee = net.params.minFee
  const chainId = net.params.chainId
  const f = net.faucet.privateKey
  const v = net.validator.privateKey
  const to = keyOf('fuzz:to').id
  const txs: Uint8Array[] = [
    buildTransfer({ chainId, privateKey: f, nonce: 0n, fee, to, amount: MEME }).bytes,
    buildTransfer({ chainId, privateKey: f, nonce: 1n, fee: fee * 3n, to, amount: 3n * 2n ** 31n }).bytes,
    buildStake({ chainId, privateKey: f, nonce: 2n, fee, amount: 5n * MEME }).bytes,
    buildUnstake({ chainId, privateKey: v, nonce: 0n, fee, amount: MEME }).bytes
  ]
  await chain.addTransactions(txs.slice(0, 2), { local: true })
  const b1 = await produceNext(net, chain)
  await chain.addTransactions(txs.slice(2), { local: true })
  const b2 = await produceNext(net, chain)
  const b3 = await produceNext(net, chain)
  // an equivocation pair for evidence seeds: the validator's header re-signed with another state root
  const twinHeader = { ...b3.header.header, stateRoot: sha256(Uint8Array.of(1)) }
  const hb = encodeHeader(twinHeader)
  const twin = encodeSignedHeader(hb, signBytes(HEADER_DOMAIN, hb, v))
  const evidenceTx = buildEvidence({ chainId, privateKey: f, nonce: 3n, fee, headerA: b3.header.bytes, headerB: twin }).bytes
  txs.push(evidenceTx)
  const b4 = await produceNext(net, chain)
  // the next block, built on a second chain so that this one does not import it
  const other = await openChain(net, true)
  for (const b of [b1, b2, b3, b4]) await other.importBlock(b.bytes)
  await other.addTransactions([buildTransfer({ chainId, privateKey: f, nonce: 3n, fee, to, amount: 7n }).bytes])
  const nb = await produceNext(net, other)
  await other.close()
  const corpus: FuzzCorpus = {
    net,
    chain,
    blocks: [b1.bytes, b2.bytes, b3.bytes, b4.bytes],
    txs,
    headers: [b1.header.bytes, b2.header.bytes, b3.header.bytes, twin],
    nextBlock: nb.bytes,
    close: async () => {
      if (corpus.api !== undefined) {
        corpus.api.agent.destroy()
        await corpus.api.server.stop()
      }
      await chain.close()
    }
  }
  if (opts.api === true) {
    const server = createApiServer({ chain, port: 0 })
    const { port } = await server.start()
    corpus.api = { server, port, agent: new http.Agent({ keepAlive: true, maxSockets: 4 }) }
  }
  return corpus
}

const bytesTarget = (name: string, seeds: Uint8Array[], run: (b: Uint8Array) => void | Promise<void>, maxMs?: number): FuzzTarget<Uint8Array> => ({
  name, seeds, mutate: (rng, s, pool) => mutateBytes(rng, s, pool), run, ...(maxMs !== undefined ? { maxMs } : {})
})

const jsonTarget = (name: string, seeds: unknown[], run: (v: unknown) => void | Promise<void>, maxMs?: number): FuzzTarget<unknown> => ({
  name, seeds, mutate: (rng, s) => mutateJson(rng, s), run, ...(maxMs !== undefined ? { maxMs } : {})
})

/** JSON value with bigints as decimal strings (how genesis.json and HTTP carry them). */
function plain (v: unknown): unknown { return JSON.parse(JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? x.toString() : x)) }

/** Every target, seeded from `c`. */
export async function makeTargets (c: FuzzCorpus): Promise<Array<FuzzTarget<any>>> {
  const { params } = c.net
  const status = encodeStatus({ genesisHash: params.genesisHash, headHash: sha256(c.blocks[3] as Uint8Array), headHeight: 4n, headSlot: 9n, settledHash: params.genesisHash, settledHeight: 0n })
  const account = c.chain.chain.ledger.get(c.net.faucet.id)
  const accounts = [c.net.faucet.id, c.net.validator.id].map((id) => c.chain.chain.ledger.get(id)).filter((a) => a !== undefined).map((a) => encodeAccount(a as never))
  const genesisBytes = encodeGenesis(c.net.config)
  const genesisJson = plain(genesisToJson(c.net.config))
  const proofs = [c.net.faucet.id, keyOf('absent').id].map((id) => encodeSmtProof(c.chain.chain.ledger.prove(id)))
  const root = c.chain.chain.ledger.root()
  const keystore = await encryptKeystore(c.net.faucet.privateKey, 'pw', { scryptN: 1024 })
  const evidence = encodeEvidence(c.headers[2] as Uint8Array, c.headers[3] as Uint8Array)
  const limits = { maxBlockBytes: params.maxBlockBytes, maxBlockTxs: params.maxBlockTxs }

  const targets: Array<FuzzTarget<any>> = [
    bytesTarget('decodeTx', c.txs, (b) => {
      const tx = decodeTx(b)
      sameBytes(encodeTx(tx.bodyBytes, tx.signature), b, 'Transaction')
    }),
    bytesTarget('decodeBlock', [...c.blocks, c.nextBlock], (b) => {
      const blk = decodeBlock(b, limits)
      sameBytes(encodeBlock(blk.header.bytes, blk.txs.map((t) => t.bytes)), b, 'Block')
    }),
    bytesTarget('decodeSignedHeader', c.headers, (b) => {
      const sh = decodeSignedHeader(b)
      sameBytes(encodeSignedHeader(sh.headerBytes, sh.signature), b, 'SignedHeader')
      sameBytes(encodeHeader(sh.header), sh.headerBytes, 'BlockHeader')
    }),
    bytesTarget('decodeTxBatch', [encodeTxBatch(c.txs), encodeTxBatch(c.txs.slice(0, 1), 7n)], (b) => {
      const txs = decodeTxBatch(b)
      sameJson(decodeTxBatch(encodeTxBatch(txs)), txs, 'TxBatch')
    }),
    bytesTarget('decodeEvidence', [evidence], (b) => {
      const e = decodeEvidence(b)
      sameBytes(encodeEvidence(e.a.bytes, e.b.bytes), b, 'Evidence')
    }),
    bytesTarget('decodeStatus', [status], (b) => {
      const s = decodeStatus(b)
      sameJson(decodeStatus(encodeStatus(s)), s, 'Status')
    }),
    bytesTarget('decodeBlocksByRange', [encodeBlocksByRange({ startHeight: 1n, count: 64 }), encodeBlocksByRange({ startHeight: 2n ** 40n, count: 3 })], (b) => {
      const r = decodeBlocksByRange(b)
      sameJson(decodeBlocksByRange(encodeBlocksByRange(r)), r, 'BlocksByRangeRequest')
    }),
    bytesTarget('decodeBlocksByHash', [encodeBlocksByHash({ hashes: c.blocks.map((b) => sha256(b)) })], (b) => {
      const r = decodeBlocksByHash(b)
      sameJson(decodeBlocksByHash(encodeBlocksByHash(r)), r, 'BlocksByHashRequest')
    }),
    bytesTarget('decodeResponseChunk', [encodeResponseChunk({ code: RESPONSE_OK, block: c.blocks[0] }), encodeResponseChunk({ code: 2, message: 'rate limited' })], (b) => {
      const r = decodeResponseChunk(b)
      sameJson(decodeResponseChunk(encodeResponseChunk(r)), r, 'ResponseChunk')
    }),
    bytesTarget('decodeAccount', accounts, (b) => {
      const a = decodeAccount(b)
      sameBytes(encodeAccount(a), b, 'Account')
    }),
    bytesTarget('decodeGenesis', [genesisBytes], (b) => {
      const g = decodeGenesis(b)
      sameBytes(encodeGenesis(g), b, 'Genesis')
    }),
    jsonTarget('parseGenesisJson', [genesisJson], (v) => {
      const g = parseGenesisJson(v, GENESIS_LIMITS)
      sameJson(parseGenesisJson(plain(genesisToJson(g)), GENESIS_LIMITS), g, 'genesis.json')
    }),
    {
      name: 'decodeAddress',
      seeds: [addressOf(c.net.faucet.publicKey), addressOf(c.net.validator.publicKey).toUpperCase()],
      mutate: (rng: Rng, s: string) => {
        const m = mutateBytes(rng, new TextEncoder().encode(s))
        return new TextDecoder().decode(m)
      },
      run: (s: string) => {
        const id = decodeAddress(s)
        if (encodeAddress(id) !== s.toLowerCase()) throw new OracleViolation('address round trip changed the string')
      },
      show: (s: string) => JSON.stringify(s)
    } satisfies FuzzTarget<string>,
    jsonTarget('decodeSmtProof/verifySmtProof', proofs, (v) => {
      const p = decodeSmtProof(v)
      sameJson(decodeSmtProof(encodeSmtProof(p)), p, 'SMT proof')
      const ok = verifySmtProof(root, p.key, account === undefined ? undefined : encodeAccount(account as never), p)
      if (typeof ok !== 'boolean') throw new OracleViolation('verifySmtProof did not return a boolean')
      // hostile raw objects: must return false, never throw
      if (verifySmtProof(root, p.key, undefined, v as never) !== false && verifySmtProof(root, p.key, undefined, v as never) !== true) throw new OracleViolation('verifySmtProof on raw input')
    }),
    jsonTarget('parseKeystore', [keystore], (v) => {
      const k = parseKeystore(v)
      sameJson(parseKeystore(JSON.parse(JSON.stringify(k))), k, 'keystore')
    }),
    jsonTarget('decryptKeystore', [keystore], async (v) => {
      // parse first: a mutated but legal cost (up to 2^24 N·r·p, bounded by design) is slow, not a bug;
      // only small-cost keystores are decrypted so that each input stays within the time bound
      const k = parseKeystore(v)
      const kp = k.crypto.kdfparams
      if (kp.N * kp.r * kp.p > 2 ** 14) return
      const key = await decryptKeystore(v, 'pw')
      if (key.length !== 32) throw new OracleViolation('decrypted key is not 32 bytes')
    }, 2000),
    bytesTarget('ChainService.importBlock', [...c.blocks, c.nextBlock], async (b) => {
      await c.chain.importBlock(b, { peer: 'fuzz' })
    }),
    bytesTarget('ChainService.addTransactions', [...c.txs, buildTransfer({ chainId: params.chainId, privateKey: c.net.faucet.privateKey, nonce: 4n, fee: params.minFee, to: keyOf('fuzz:to').id, amount: 1n }).bytes], async (b) => {
      const [o] = await c.chain.addTransactions([b], { peer: 'fuzz' })
      if (o === undefined) throw new OracleViolation('no outcome')
      if (!o.ok && !isTypedError(o.error)) throw new OracleViolation(`untyped outcome ${String(o.error)}`)
      if (!o.ok && o.error.code === 'ERR_INTERNAL') throw new OracleViolation(`internal error: ${o.error.message}`)
      if (!o.ok) throw o.error // typed: counted as a refusal
    })
  ]
  targets.push(...resignedTargets(c))
  if (c.api !== undefined) targets.push(apiTarget(c))
  return targets
}

// ------------------------------------------------------------------ re-signed inputs (past the signature checks)

/**
 * Structure-aware targets whose mutants carry valid signatures: a transaction body mutated and
 * re-signed by the faucet, a block whose header or transaction list is mutated, its tx root and
 * count fixed and its header re-signed by the validator. They reach TX-4…TX-9 and B-6…B-12.
 */
function resignedTargets (c: FuzzCorpus): Array<FuzzTarget<Uint8Array>> {
  const { net } = c
  const resignTx = (rng: Rng, bytes: Uint8Array): Uint8Array => {
    let body: Uint8Array
    try { body = decodeTx(bytes).bodyBytes } catch { return mutateBytes(rng, bytes) }
    const m = mutateBytes(rng, body)
    const key = rng.chance(0.8) ? net.faucet.privateKey : net.validator.privateKey
    return encodeTx(m, signBytes(TX_DOMAIN, m, key))
  }
  const resignBlock = (rng: Rng, bytes: Uint8Array): Uint8Array => {
    const blk = decodeBlock(bytes)
    let txs = blk.txs.map((t) => t.bytes)
    let headerBytes = blk.header.headerBytes
    const r = rng.int(4)
    if (r === 0) headerBytes = mutateBytes(rng, headerBytes)
    else {
      if (r === 1 && txs.length > 0) { const i = rng.int(txs.length); txs[i] = resignTx(rng, txs[i] as Uint8Array) }
      else if (r === 2) txs = [...txs, rng.pick(c.txs)]
      else if (txs.length > 0) txs = rng.chance(0.5) ? txs.slice(1) : [...txs, ...txs]
      try {
        const h = decodeHeader(headerBytes)
        headerBytes = encodeHeader({ ...h, txCount: txs.length, txRoot: merkleRoot(txs.map((t) => sha256(t))) })
      } catch { /* keep the header */ }
    }
    return encodeBlock(encodeSignedHeader(headerBytes, signBytes(HEADER_DOMAIN, headerBytes, net.validator.privateKey)), txs)
  }
  const txSeeds = [...c.txs, buildTransfer({ chainId: net.params.chainId, privateKey: net.faucet.privateKey, nonce: 4n, fee: net.params.minFee, to: keyOf('fuzz:to').id, amount: 1n }).bytes]
  return [
    {
      name: 'ChainService.addTransactions (re-signed)',
      seeds: txSeeds,
      mutate: (rng, seed) => resignTx(rng, seed),
      run: async (b) => {
        const [o] = await c.chain.addTransactions([b], { peer: 'fuzz' })
        if (o === undefined) throw new OracleViolation('no outcome')
        if (!o.ok && (!isTypedError(o.error) || o.error.code === 'ERR_INTERNAL')) throw new OracleViolation(`untyped outcome: ${o.error.message}`)
        if (!o.ok) throw o.error
      }
    },
    {
      name: 'ChainService.importBlock (re-signed)',
      seeds: [c.nextBlock],
      mutate: (rng, seed) => resignBlock(rng, seed),
      run: async (b) => { await c.chain.importBlock(b, { peer: 'fuzz' }) }
    }
  ]
}

// ------------------------------------------------------------------ HTTP API

/** An HTTP request the API target sends. */
export interface ApiInput { method: string, path: string, contentType?: string, body?: string }

const PATHS = ['/status', '/blocks', '/blocks/1', '/blocks/?limit=5&before=3', '/txs', '/txs/', '/accounts/', '/validators', '/forks', '/peers', '/metrics', '/explorer/index.html']

function apiTarget (c: FuzzCorpus): FuzzTarget<ApiInput> {
  const api = c.api as NonNullable<FuzzCorpus['api']>
  const addr = addressOf(c.net.faucet.publicKey)
  const h1 = toHex(sha256(c.blocks[0] as Uint8Array))
  const seeds: ApiInput[] = [
    { method: 'POST', path: '/txs', contentType: 'application/json', body: JSON.stringify({ tx: toHex(c.txs[0] as Uint8Array) }) },
    { method: 'POST', path: '/txs', contentType: 'text/plain', body: toHex(c.txs[1] as Uint8Array) },
    { method: 'POST', path: '/txs', body: `"${toHex(c.txs[2] as Uint8Array)}"` },
    { method: 'GET', path: `/accounts/${addr}` },
    { method: 'GET', path: `/accounts/${addr}/proof` },
    { method: 'GET', path: `/accounts/${addr}/txs?limit=10` },
    { method: 'GET', path: `/blocks/${h1}?format=hex` },
    { method: 'GET', path: `/txs/${toHex(sha256(c.txs[0] as Uint8Array))}` },
    { method: 'GET', path: '/blocks?limit=3' },
    ...PATHS.map((path) => ({ method: 'GET', path }))
  ]
  const enc = new TextEncoder()
  const dec = new TextDecoder()
  const mutateText = (rng: Rng, s: string): string => dec.decode(mutateBytes(rng, enc.encode(s)))
  return {
    name: 'HTTP API',
    seeds,
    maxMs: 2000,
    show: (x) => JSON.stringify(x),
    mutate: (rng, s) => {
      const out: ApiInput = { ...s }
      const r = rng.int(6)
      if (r === 0) out.method = rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'])
      else if (r === 1 || r === 2) out.path = mutateText(rng, s.path)
      else if (r === 3) out.contentType = rng.pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=utf-8', ''])
      else if (s.body !== undefined) out.body = rng.chance(0.5) ? mutateText(rng, s.body) : JSON.stringify(mutateJson(rng, JSON.parse(s.body.startsWith('{') || s.body.startsWith('"') ? s.body : JSON.stringify(s.body))))
      else out.path = mutateText(rng, s.path)
      return out
    },
    run: async (x) => {
      // characters Node refuses in a request target are percent-encoded (we fuzz our parsing, not Node's)
      const path = '/' + x.path.replace(/^\/+/, '').replace(/[^\x21-\x7e]/gu, (ch) => encodeURIComponent(ch).replace(/%25/g, '%'))
      const safePath = path.replace(/[^\x21-\x7e]/g, (ch) => '%' + (ch.charCodeAt(0) & 0xff).toString(16).padStart(2, '0'))
      const res = await new Promise<{ status: number, body: string }>((resolve, reject) => {
        const headers: Record<string, string> = {}
        if (x.contentType !== undefined && x.contentType !== '') headers['content-type'] = x.contentType
        const req = http.request({ host: '127.0.0.1', port: api.port, method: x.method, path: safePath, agent: api.agent, headers, timeout: 5000 }, (r) => {
          const chunks: Buffer[] = []
          r.on('data', (d: Buffer) => chunks.push(d))
          r.on('end', () => { resolve({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }) })
          r.on('error', reject)
        })
        req.on('timeout', () => { req.destroy(new Error('HTTP request timed out')) })
        req.on('error', reject)
        if (x.body !== undefined && x.method !== 'GET' && x.method !== 'HEAD') req.end(x.body)
        else req.end()
      }).catch((err: Error) => { throw new OracleViolation(`HTTP transport failed: ${err.message}`) })
      if (res.status >= 500 && res.status !== 503) throw new OracleViolation(`HTTP ${res.status}: ${res.body.slice(0, 200)}`)
      if (res.status >= 400 && x.method !== 'HEAD') {
        let code: unknown
        try { code = (JSON.parse(res.body) as { error?: { code?: unknown } }).error?.code } catch { code = undefined }
        if (typeof code !== 'string' || !code.startsWith('ERR_')) throw new OracleViolation(`HTTP ${res.status} without a typed JSON error: ${res.body.slice(0, 200)}`)
        throw new MemecoinError(code, `HTTP ${res.status}`) // a typed refusal
      }
    }
  }
}

/** Runs every target; returns per-target stats and all findings. */
export async function fuzzAll (targets: Array<FuzzTarget<any>>, opts: { seed: number, executionsPerTarget: number, secondsPerTarget?: number, onFinding?: (f: Finding) => void }): Promise<{ stats: Record<string, TargetStats>, findings: Finding[] }> {
  const stats: Record<string, TargetStats> = {}
  const findings: Finding[] = []
  for (const t of targets) {
    const deadline = opts.secondsPerTarget !== undefined ? Date.now() + opts.secondsPerTarget * 1000 : undefined
    const r = await fuzzTarget(t, { seed: opts.seed, executions: opts.executionsPerTarget, ...(deadline !== undefined ? { deadline } : {}), ...(opts.onFinding !== undefined ? { onFinding: opts.onFinding } : {}) })
    stats[t.name] = r.stats
    findings.push(...r.findings)
  }
  return { stats, findings }
}
