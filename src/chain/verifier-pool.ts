/**
 * A pool of worker threads that verify secp256k1 signatures in batches (libsecp256k1 in each
 * worker, noble where the addon does not load), so block import and transaction ingestion use
 * every core. A batch is split into one chunk per worker; each chunk travels as one transferred
 * ArrayBuffer of fixed-size records (signature ‖ digest ‖ key) and comes back as a bitmap.
 *
 * Answers equal `verifyDigest`'s on every input: wrong-length inputs are decided here (false),
 * the worker applies the same low-S / canonical r,s / on-curve key rules. Workers are unref'd
 * while idle, so a forgotten pool never keeps the process alive; `stop` terminates them and
 * fails pending batches with ERR_CLOSED (callers fall back to verifying synchronously).
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { MemecoinError } from '../core/errors.ts'
import { DIGEST_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../core/secp256k1.ts'
import { TX_DOMAIN } from '../core/signing.ts'
import type { SignedTx } from '../core/types.ts'

/** Bytes of one record: signature ‖ digest ‖ compressed public key. */
export const RECORD_BYTES = SIGNATURE_BYTES + DIGEST_BYTES + PUBLIC_KEY_BYTES
/** Bytes of a transaction record before its body: signature ‖ key ‖ u32 LE body length. */
export const TX_RECORD_HEADER_BYTES = SIGNATURE_BYTES + PUBLIC_KEY_BYTES + 4
/** Below this many records per worker a batch is not split further (messaging costs more). */
export const MIN_CHUNK_RECORDS = 32

/** One signature to verify. */
export interface VerifyItem { signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array }

/** Options of a pool. */
export interface VerifierPoolInit {
  /** Worker threads (default os.availableParallelism(), at least 1). */
  size?: number
}

interface Job { resolve: (bits: Uint8Array) => void, reject: (err: Error) => void, worker: Slot }
interface Slot { worker: Worker, pending: number, records: number }

/** Counters for metrics and the benchmark. */
export interface VerifierPoolStats { batches: number, chunks: number, signatures: number, backend: 'native' | 'noble' | 'unknown' }

/** A started-on-demand pool of signature-verifier workers. */
export class VerifierPool {
  readonly size: number
  private slots: Slot[] = []
  private readonly jobs = new Map<number, Job>()
  private nextId = 1
  private stopped = false
  private readonly counters: VerifierPoolStats = { batches: 0, chunks: 0, signatures: 0, backend: 'unknown' }

  constructor (init: VerifierPoolInit = {}) {
    const size = init.size ?? availableParallelism()
    if (!Number.isSafeInteger(size)) throw new RangeError('verifier pool size must be an integer')
    this.size = Math.max(1, size)
  }

  /** True until `stop`. */
  get running (): boolean { return !this.stopped }

  /** Starts the workers (also done lazily by the first batch). */
  start (): void {
    if (this.stopped) throw new MemecoinError('ERR_CLOSED', 'verifier pool is stopped')
    while (this.slots.length < this.size) this.slots.push(this.spawn())
  }

  private spawn (): Slot {
    // execArgv: [] — the worker is plain JS; it needs neither the tsx loader nor mocha's options.
    const worker = new Worker(new URL('./verifier-worker.mjs', import.meta.url), { execArgv: [] })
    const slot: Slot = { worker, pending: 0, records: 0 }
    worker.on('message', (msg: { id: number, bits: ArrayBuffer, backend: 'native' | 'noble' }) => {
      const job = this.jobs.get(msg.id)
      if (job === undefined) return
      this.jobs.delete(msg.id)
      this.counters.backend = msg.backend
      this.settle(slot)
      job.resolve(new Uint8Array(msg.bits))
    })
    const fail = (err: Error): void => {
      this.slots = this.slots.filter((s) => s !== slot)
      for (const [id, job] of this.jobs) {
        if (job.worker !== slot) continue
        this.jobs.delete(id)
        job.reject(err)
      }
    }
    worker.on('error', (err) => { fail(err) })
    worker.on('exit', (code) => { fail(new MemecoinError('ERR_WORKER_EXIT', `verifier worker exited with code ${code}`)) })
    // after the listeners: adding a 'message' listener refs the worker's port again
    worker.unref()
    return slot
  }

  private settle (slot: Slot): void {
    slot.pending--
    if (slot.pending === 0) {
      slot.records = 0
      slot.worker.unref()
    }
  }

  /** Verifies `items`; element i is true iff item i is a valid signature (as `verifyDigest`). */
  async verify (items: readonly VerifyItem[]): Promise<boolean[]> {
    const out = new Array<boolean>(items.length).fill(false)
    // wrong lengths are decided here: verifyDigest refuses them before any curve arithmetic
    const idx: number[] = []
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as VerifyItem
      if (it.signature.length === SIGNATURE_BYTES && it.digest.length === DIGEST_BYTES && it.publicKey.length === PUBLIC_KEY_BYTES) idx.push(i)
    }
    const bits = await this.run(idx.length, () => RECORD_BYTES, (buf, k, o) => {
      const it = items[idx[k] as number] as VerifyItem
      buf.set(it.signature, o)
      buf.set(it.digest, o + SIGNATURE_BYTES)
      buf.set(it.publicKey, o + SIGNATURE_BYTES + DIGEST_BYTES)
    })
    for (let k = 0; k < idx.length; k++) out[idx[k] as number] = bits[k] === true
    return out
  }

  /**
   * Verifies the signatures (TX-3) of decoded transactions; element i for `txs[i]`. The workers
   * compute the signing digests (SHA-256 of the domain tag and the body) too, off this thread:
   * a record is signature ‖ key ‖ u32 body length ‖ body.
   */
  async verifyTxs (txs: readonly SignedTx[]): Promise<boolean[]> {
    const out = new Array<boolean>(txs.length).fill(false)
    const idx: number[] = []
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i] as SignedTx
      if (tx.signature.length === SIGNATURE_BYTES && tx.body.sender.length === PUBLIC_KEY_BYTES) idx.push(i)
    }
    const tx = (k: number): SignedTx => txs[idx[k] as number] as SignedTx
    const bits = await this.run(idx.length, (k) => TX_RECORD_HEADER_BYTES + tx(k).bodyBytes.length, (buf, k, o) => {
      const t = tx(k)
      buf.set(t.signature, o)
      buf.set(t.body.sender, o + SIGNATURE_BYTES)
      const len = t.bodyBytes.length
      const p = o + SIGNATURE_BYTES + PUBLIC_KEY_BYTES
      buf[p] = len & 0xff; buf[p + 1] = (len >>> 8) & 0xff; buf[p + 2] = (len >>> 16) & 0xff; buf[p + 3] = (len >>> 24) & 0xff
      buf.set(t.bodyBytes, p + 4)
    }, TX_DOMAIN)
    for (let k = 0; k < idx.length; k++) out[idx[k] as number] = bits[k] === true
    return out
  }

  /**
   * Packs `n` records (`size(k)` bytes each, written by `fill`) into one buffer per chunk, runs
   * the chunks, joins the answers. With `domain`, records are transactions (see verifyTxs).
   */
  private async run (n: number, size: (k: number) => number, fill: (buf: Uint8Array, k: number, offset: number) => void, domain?: string): Promise<boolean[]> {
    if (n === 0) return []
    this.start()
    this.counters.batches++
    this.counters.signatures += n
    const chunks = Math.max(1, Math.min(this.slots.length, Math.floor(n / MIN_CHUNK_RECORDS)))
    const per = Math.ceil(n / chunks)
    const parts: Array<Promise<Uint8Array>> = []
    for (let from = 0; from < n; from += per) {
      const count = Math.min(per, n - from)
      let bytes = 0
      for (let k = 0; k < count; k++) bytes += size(from + k)
      const buf = new Uint8Array(bytes)
      for (let k = 0, o = 0; k < count; k++) {
        fill(buf, from + k, o)
        o += size(from + k)
      }
      parts.push(this.post(buf, count, domain))
    }
    const answers = await Promise.all(parts)
    const out = new Array<boolean>(n)
    let i = 0
    for (const bits of answers) {
      const count = Math.min(per, n - i)
      for (let k = 0; k < count; k++) out[i + k] = ((bits[k >> 3] as number) >> (k & 7) & 1) === 1
      i += count
    }
    return out
  }

  /** Sends one chunk to the least loaded worker. */
  private async post (buf: Uint8Array, count: number, domain?: string): Promise<Uint8Array> {
    if (this.stopped) throw new MemecoinError('ERR_CLOSED', 'verifier pool is stopped')
    if (this.slots.length === 0) throw new MemecoinError('ERR_WORKER_EXIT', 'no verifier worker is running')
    let slot = this.slots[0] as Slot
    for (const s of this.slots) if (s.records < slot.records) slot = s
    const id = this.nextId++
    this.counters.chunks++
    return await new Promise<Uint8Array>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject, worker: slot })
      if (slot.pending === 0) slot.worker.ref()
      slot.pending++
      slot.records += count
      slot.worker.postMessage({ id, buf: buf.buffer, count, domain }, [buf.buffer as ArrayBuffer])
    })
  }

  /** Counters: batches, chunks sent, signatures verified, the workers' backend. */
  stats (): VerifierPoolStats { return { ...this.counters } }

  /** Terminates the workers; pending batches fail with ERR_CLOSED. Idempotent. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    const slots = this.slots
    this.slots = []
    for (const [id, job] of this.jobs) {
      this.jobs.delete(id)
      job.reject(new MemecoinError('ERR_CLOSED', 'verifier pool is stopped'))
    }
    await Promise.all(slots.map(async (s) => { s.worker.removeAllListeners('exit'); await s.worker.terminate() }))
  }
}
