/**
 * A pool of worker threads that verify secp256k1 signatures in batches (libsecp256k1 in each
 * worker, noble where the addon does not load), so block import and transaction ingestion use
 * every core. A batch is split into one chunk per worker; each chunk travels as one transferred
 * ArrayBuffer of fixed-size records (signature ‖ digest ‖ key) and comes back as a bitmap.
 *
 * Answers equal `verifyDigest`'s on every input: wrong-length inputs are decided here (false),
 * the worker applies the same low-S / canonical r,s / on-curve key rules. Workers are unref'd
 * while idle, so a forgotten pool never keeps the process alive; `stop` fails pending batches
 * with ERR_CLOSED (callers fall back to verifying synchronously) and lets the workers exit on
 * their own (STOP_GRACE_MS).
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { MemecoinError } from '../core/errors.ts'
import { DIGEST_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../core/secp256k1.ts'
import { TX_DOMAIN, verifyTxSignature } from '../core/signing.ts'
import type { SignedTx } from '../core/types.ts'

/** Bytes of one record: signature ‖ digest ‖ compressed public key. */
export const RECORD_BYTES = SIGNATURE_BYTES + DIGEST_BYTES + PUBLIC_KEY_BYTES
/** Bytes of a transaction record before its body: signature ‖ key ‖ u32 LE body length. */
export const TX_RECORD_HEADER_BYTES = SIGNATURE_BYTES + PUBLIC_KEY_BYTES + 4
/** Below this many records per worker a batch is not split further (messaging costs more). */
export const MIN_CHUNK_RECORDS = 32
/** Records a worker (or the waiting thread) claims at a time from a shared batch (PendingVerdicts). */
export const CLAIM_RECORDS = 16
/**
 * Longest a `PendingVerdicts.wait` blocks this thread. Once the waiting thread has claimed every
 * unclaimed record, it only waits for the records workers hold: at most CLAIM_RECORDS each,
 * about a millisecond of work. A worker that died holding a claim is seen only by the event loop,
 * which `wait` blocks, so this bound is what ends that wait: short, because the caller then
 * verifies everything itself (correct, just slower) and the event loop stands still meanwhile.
 */
export const PENDING_WAIT_MS = 1_000
/**
 * Longest `stop` waits for a worker to leave on its own before terminating it. A worker is
 * never terminated while it may be inside libsecp256k1's addon (loading it, or verifying): the
 * addon's C++ wrapper throws an exception it cannot deliver into a dying thread and the whole
 * process aborts ("terminate called after throwing an instance of 'Napi::Error'"). So `stop`
 * raises a shared flag the worker checks between records, asks it to close its port, and only
 * terminates one that has not exited after this long (a worker stuck for that long is the lesser
 * risk).
 */
export const STOP_GRACE_MS = 5_000

/** One signature to verify. */
export interface VerifyItem { signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array }

/** Options of a pool. */
export interface VerifierPoolInit {
  /** Worker threads (default os.availableParallelism(), at least 1). */
  size?: number
}

interface Job { resolve: (bits: Uint8Array) => void, reject: (err: Error) => void, worker: Slot }
interface Slot { worker: Worker, pending: number, records: number }
/** A chunk sent to a worker. */
interface Chunk { id: number, count: number, answer: Promise<Uint8Array> }

/**
 * Verdicts being computed for a batch whose records sit in one SharedArrayBuffer: control words
 * [next unclaimed record, records done], the record offsets, the answer bitmap (Int32 words) and
 * the records. Workers and the thread that waits claim CLAIM_RECORDS records at a time with
 * Atomics, so the waiting thread verifies what no worker has started instead of idling (and
 * verifies everything itself when the workers are busy with earlier batches). Answers are
 * readable without the event loop: block import applies the state transition meanwhile.
 */
export class PendingVerdicts {
  private readonly ctrl: Int32Array
  private readonly bits: Int32Array

  /** @internal created by VerifierPool.verifyTxsPending */
  constructor (private readonly pool: VerifierPool, private readonly txs: readonly SignedTx[], sab: SharedArrayBuffer, private readonly jobIds: readonly number[]) {
    const n = txs.length
    this.ctrl = new Int32Array(sab, 0, 2)
    this.bits = new Int32Array(sab, 8 + 4 * (n + 1), (n + 31) >> 5)
  }

  /** True once every record is answered (never blocks). */
  get done (): boolean { return Atomics.load(this.ctrl, 1) >= this.txs.length }

  /** True while some record is not yet claimed by a worker or a waiting thread. */
  get unclaimed (): boolean { return Atomics.load(this.ctrl, 0) < this.txs.length }

  /** @internal Claims and verifies up to CLAIM_RECORDS records on this thread; false if none was left. */
  helpOnce (): boolean {
    const n = this.txs.length
    const { ctrl, bits } = this
    if (Atomics.load(ctrl, 0) >= n) return false
    const from = Atomics.add(ctrl, 0, CLAIM_RECORDS)
    if (from >= n) return false
    const to = Math.min(n, from + CLAIM_RECORDS)
    for (let i = from; i < to; i++) if (verifyTxSignature(this.txs[i] as SignedTx)) Atomics.or(bits, i >> 5, 1 << (i & 31))
    Atomics.add(ctrl, 1, to - from)
    return true
  }

  /**
   * Element i: true iff transaction i's signature is valid (as verifyTxSignature). Verifies the
   * unclaimed records on this thread, then waits until the workers finish theirs (at most
   * `timeoutMs`); undefined if a worker failed (gone, pool stopped) or timed out: the caller
   * then verifies itself. While it waits, this thread verifies records of the pool's later
   * batches that no worker has claimed yet (a sync's next blocks), a chunk at a time, and blocks
   * only when there are none.
   */
  wait (timeoutMs: number = PENDING_WAIT_MS): boolean[] | undefined {
    const n = this.txs.length
    const { ctrl, bits } = this
    while (this.helpOnce()) { /* this batch's unclaimed records, on this thread */ }
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const done = Atomics.load(ctrl, 1)
      if (done >= n) break
      // a worker that failed never finishes the records it claimed
      if (!this.jobIds.some((id) => this.pool.isPending(id)) && Atomics.load(ctrl, 1) < n) return undefined
      const left = deadline - performance.now()
      if (left <= 0) return undefined
      // a worker holds this batch's last records: verify a later batch's meanwhile, if any
      if (this.pool.helpAnother(this)) continue
      Atomics.wait(ctrl, 1, done, Math.min(left, 50))
    }
    const out = new Array<boolean>(n)
    for (let i = 0; i < n; i++) out[i] = ((Atomics.load(bits, i >> 5) >>> (i & 31)) & 1) === 1
    return out
  }
}

/** Counters for metrics and the benchmark. */
export interface VerifierPoolStats { batches: number, chunks: number, signatures: number, backend: 'native' | 'noble' | 'unknown' }

/** Writes `t`'s record at `o`: signature ‖ key ‖ u32 LE body length ‖ body. */
function txRecord (buf: Uint8Array, t: SignedTx, o: number): void {
  buf.set(t.signature, o)
  buf.set(t.body.sender, o + SIGNATURE_BYTES)
  const len = t.bodyBytes.length
  const p = o + SIGNATURE_BYTES + PUBLIC_KEY_BYTES
  buf[p] = len & 0xff; buf[p + 1] = (len >>> 8) & 0xff; buf[p + 2] = (len >>> 16) & 0xff; buf[p + 3] = (len >>> 24) & 0xff
  buf.set(t.bodyBytes, p + 4)
}

/** A started-on-demand pool of signature-verifier workers. */
export class VerifierPool {
  readonly size: number
  private slots: Slot[] = []
  private readonly jobs = new Map<number, Job>()
  private nextId = 1
  private stopped = false
  /**
   * Shared batches (verifyTxsPending) that had unclaimed records when last looked at, oldest
   * first: a thread waiting in PendingVerdicts.wait helps with these. Fully claimed ones are
   * dropped at each look and at each new batch, so this holds at most the batches in flight.
   */
  private shared: PendingVerdicts[] = []
  private readonly counters: VerifierPoolStats = { batches: 0, chunks: 0, signatures: 0, backend: 'unknown' }
  /** Word 0 becomes 1 at `stop`: workers drop what they hold and answer nothing more. */
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4))

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
    const worker = new Worker(new URL('./verifier-worker.mjs', import.meta.url), { execArgv: [], workerData: { stop: this.stopFlag.buffer } })
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
    const bits = await this.run(idx.length, (k) => TX_RECORD_HEADER_BYTES + tx(k).bodyBytes.length, (buf, k, o) => { txRecord(buf, tx(k), o) }, TX_DOMAIN)
    for (let k = 0; k < idx.length; k++) out[idx[k] as number] = bits[k] === true
    return out
  }

  /**
   * Like `verifyTxs`, but returns at once: the verdicts are collected later, synchronously, with
   * `wait()` (see PendingVerdicts). Throws (ERR_CLOSED, ERR_WORKER_EXIT) if nothing can be sent.
   */
  verifyTxsPending (txs: readonly SignedTx[]): PendingVerdicts {
    let bytes = 0
    for (const tx of txs) {
      if (tx.signature.length !== SIGNATURE_BYTES || tx.body.sender.length !== PUBLIC_KEY_BYTES) throw new RangeError('verifyTxsPending takes transactions of well-formed lengths')
      bytes += TX_RECORD_HEADER_BYTES + tx.bodyBytes.length
    }
    if (this.stopped) throw new MemecoinError('ERR_CLOSED', 'verifier pool is stopped')
    this.start()
    const n = txs.length
    const words = (n + 31) >> 5
    const base = 8 + 4 * (n + 1) + 4 * words
    const sab = new SharedArrayBuffer(base + bytes)
    const offsets = new Int32Array(sab, 8, n + 1)
    const records = new Uint8Array(sab, base)
    let o = 0
    for (let i = 0; i < n; i++) {
      offsets[i] = o
      const tx = txs[i] as SignedTx
      txRecord(records, tx, o)
      o += TX_RECORD_HEADER_BYTES + tx.bodyBytes.length
    }
    offsets[n] = o
    this.counters.batches++
    this.counters.signatures += n
    // The waiting thread is a helper too: a shared batch takes one worker fewer than the pool
    // has (at least one), so the threads busy on it never outnumber the cores, and the last
    // worker stays free for transaction batches. Each helper must get a fair share to claim.
    const helpers = Math.max(1, Math.min(this.slots.length - 1, Math.floor(n / MIN_CHUNK_RECORDS)))
    const ids: number[] = []
    for (let k = 0; k < helpers; k++) ids.push(this.postShared(sab, n))
    const pending = new PendingVerdicts(this, txs, sab, ids)
    this.shared = this.shared.filter((p) => p.unclaimed)
    this.shared.push(pending)
    return pending
  }

  /**
   * @internal Verifies, on the calling thread, one chunk of the oldest shared batch other than
   * `self` that still has unclaimed records (see PendingVerdicts.wait); false if there is none.
   */
  helpAnother (self: PendingVerdicts): boolean {
    let k = 0
    while (k < this.shared.length) {
      const p = this.shared[k] as PendingVerdicts
      if (!p.unclaimed) {
        this.shared.splice(k, 1)
        continue
      }
      if (p !== self && p.helpOnce()) return true
      k++
    }
    return false
  }

  /** True while chunk `id` is sent and not yet answered or failed. */
  isPending (id: number): boolean { return this.jobs.has(id) }

  /**
   * Packs `n` records (`size(k)` bytes each, written by `fill`) into one buffer per chunk, runs
   * the chunks, joins the answers. With `domain`, records are transactions (see verifyTxs).
   */
  private async run (n: number, size: (k: number) => number, fill: (buf: Uint8Array, k: number, offset: number) => void, domain?: string): Promise<boolean[]> {
    if (n === 0) return []
    const chunks = this.dispatch(n, size, fill, domain)
    const answers = await Promise.all(chunks.map(async (c) => await c.answer))
    const out = new Array<boolean>(n)
    let i = 0
    for (let c = 0; c < chunks.length; c++) {
      const bits = answers[c] as Uint8Array
      const count = (chunks[c] as Chunk).count
      for (let k = 0; k < count; k++) out[i + k] = ((bits[k >> 3] as number) >> (k & 7) & 1) === 1
      i += count
    }
    return out
  }

  /** Splits `n` records into one chunk per worker (at least MIN_CHUNK_RECORDS each) and sends them. */
  private dispatch (n: number, size: (k: number) => number, fill: (buf: Uint8Array, k: number, offset: number) => void, domain: string | undefined): Chunk[] {
    this.start()
    this.counters.batches++
    this.counters.signatures += n
    const chunks = Math.max(1, Math.min(this.slots.length, Math.floor(n / MIN_CHUNK_RECORDS)))
    const per = Math.ceil(n / chunks)
    const out: Chunk[] = []
    for (let from = 0; from < n; from += per) {
      const count = Math.min(per, n - from)
      let bytes = 0
      for (let k = 0; k < count; k++) bytes += size(from + k)
      const buf = new Uint8Array(bytes)
      for (let k = 0, o = 0; k < count; k++) {
        fill(buf, from + k, o)
        o += size(from + k)
      }
      out.push(this.post(buf, count, domain))
    }
    return out
  }

  /** The least loaded of the first `among` workers, its job registered (resolved by its answer). */
  private job (count: number, among: number = this.slots.length): { id: number, slot: Slot, answer: Promise<Uint8Array> } {
    if (this.stopped) throw new MemecoinError('ERR_CLOSED', 'verifier pool is stopped')
    if (this.slots.length === 0) throw new MemecoinError('ERR_WORKER_EXIT', 'no verifier worker is running')
    let slot = this.slots[0] as Slot
    for (const s of this.slots.slice(0, Math.max(1, among))) if (s.records < slot.records) slot = s
    const id = this.nextId++
    this.counters.chunks++
    const answer = new Promise<Uint8Array>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject, worker: slot })
      if (slot.pending === 0) slot.worker.ref()
      slot.pending++
      slot.records += count
    })
    return { id, slot, answer }
  }

  /** Sends one chunk to the least loaded worker. */
  private post (buf: Uint8Array, count: number, domain: string | undefined): Chunk {
    const { id, slot, answer } = this.job(count)
    slot.worker.postMessage({ id, buf: buf.buffer, count, domain }, [buf.buffer as ArrayBuffer])
    return { id, count, answer }
  }

  /** Asks the least loaded worker to help with a shared batch (see PendingVerdicts); its job id. */
  private postShared (sab: SharedArrayBuffer, count: number): number {
    // the first size − 1 workers (see verifyTxsPending); a shared job's records are not its own
    const { id, slot, answer } = this.job(0, this.slots.length - 1)
    // read through shared memory: the answer message only settles the job
    answer.catch(() => {})
    slot.worker.postMessage({ id, shared: sab, count, domain: TX_DOMAIN })
    return id
  }

  /** Counters: batches, chunks sent, signatures verified, the workers' backend. */
  stats (): VerifierPoolStats { return { ...this.counters } }

  /**
   * Stops the workers; pending batches fail with ERR_CLOSED at once. Resolves when every worker
   * has exited: each stops at its next record and leaves on its own (see STOP_GRACE_MS).
   * Idempotent.
   */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    Atomics.store(this.stopFlag, 0, 1)
    this.shared = []
    const slots = this.slots
    this.slots = []
    for (const [id, job] of this.jobs) {
      this.jobs.delete(id)
      job.reject(new MemecoinError('ERR_CLOSED', 'verifier pool is stopped'))
    }
    await Promise.all(slots.map(async (s) => { await leave(s.worker) }))
  }
}

/** Asks `worker` to close and waits for it to exit; terminates it only after STOP_GRACE_MS. */
async function leave (worker: Worker): Promise<void> {
  worker.removeAllListeners('exit')
  const exited = new Promise<void>((resolve) => { worker.once('exit', () => { resolve() }) })
  worker.postMessage({ close: true })
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => { resolve('late') }, STOP_GRACE_MS) })
  try {
    if (await Promise.race([exited, late]) === 'late') await worker.terminate()
  } finally {
    clearTimeout(timer)
  }
}
