/**
 * A signature-verifier worker (see verifier-pool.ts). Plain JavaScript so it runs without the tsx
 * loader: it loads libsecp256k1 (`secp256k1/bindings`, the addon alone) and falls back to
 * @noble/secp256k1 only when the addon does not load, exactly like src/core/secp256k1.ts.
 *
 * Message in:  { id, buf: ArrayBuffer, count, domain? } — `count` records of RECORD_BYTES bytes each:
 *              signature (64) ‖ digest (32) ‖ compressed public key (33); or, with `domain`,
 *              transactions: signature (64) ‖ key (33) ‖ u32 LE body length ‖ body, whose digest
 *              is SHA-256(domain ‖ 0x00 ‖ body) as in src/core/signing.ts.
 *              Or { id, shared: SharedArrayBuffer, count, domain }: help with a shared batch
 *              (see PendingVerdicts in verifier-pool.ts): claim records with Atomics, write
 *              the answer bits there, count them done; the answer message then only settles.
 *              Or { close: true }: close the port, so the thread exits once idle.
 * Message out: { id, bits: ArrayBuffer } — bit i set iff record i verifies (transferred back).
 *
 * workerData.stop is a SharedArrayBuffer whose first Int32 the pool sets at stop: from then on
 * the worker drops what it holds between records and answers nothing (the pool has failed those
 * batches already). The pool never terminates a worker that may be inside the addon; see
 * STOP_GRACE_MS in verifier-pool.ts.
 *
 * The rules are those of `verifyDigest`: r and s in [1, n), s ≤ n/2 (low-S), a compressed key
 * that is a point on the curve. Lengths are fixed by the record layout (the pool decides
 * wrong-length inputs itself).
 */
import { hash } from 'node:crypto'
import { createRequire } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'
import { UncompressedKeys } from '../core/uncompressed-keys.mjs'

const stopFlag = new Int32Array(workerData.stop)
/** True once the pool is stopping. */
const stopping = () => Atomics.load(stopFlag, 0) !== 0

const SIG = 64
const DIGEST = 32
const KEY = 33
const RECORD_BYTES = SIG + DIGEST + KEY

// n and ⌊n/2⌋ as big-endian bytes, to check r and s without bigint conversions.
const N = Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex')
const HALF_N = Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex')

/** -1, 0, 1 as a[ao..ao+32) compares to b (32 bytes), big-endian. */
function cmp32 (a, ao, b) {
  for (let i = 0; i < 32; i++) {
    const x = a[ao + i]
    const y = b[i]
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

function isZero32 (a, ao) {
  for (let i = 0; i < 32; i++) if (a[ao + i] !== 0) return false
  return true
}

/** r, s shape of a canonical signature: 1 ≤ r < n, 1 ≤ s ≤ ⌊n/2⌋. */
function canonical (buf, o) {
  return !isZero32(buf, o) && cmp32(buf, o, N) < 0 && !isZero32(buf, o + 32) && cmp32(buf, o + 32, HALF_N) <= 0
}

function loadNative () {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings')
  } catch {
    return undefined
  }
}

const native = loadNative()
let verifyRecord
let verifyTxRecord
if (native !== undefined) {
  // this thread's uncompressed forms of the keys it verified with (see uncompressed-keys.mjs)
  const uncompressed = new UncompressedKeys((key, out) => { native.publicKeyConvert(key, false, out) })
  // One verify's signature and digest, copied into fixed arrays: no subarray, concatenation or
  // digest Buffer per record (1.32 → 0.74 µs of work besides libsecp256k1's per transaction
  // record, measured on the benchmark machine)
  const sigScratch = new Uint8Array(SIG)
  const digestScratch = new Uint8Array(DIGEST)
  /** The signature at buf[so, so + 64) and the key at buf[ko, ko + 33) over digestScratch. */
  const verifyWith = (buf, so, ko) => {
    if (!canonical(buf, so)) return false
    if (buf[ko] !== 2 && buf[ko] !== 3) return false
    // no form: the key is not on the curve, a `false` as in verifyDigest
    const full = uncompressed.of(buf, ko)
    if (full === undefined) return false
    for (let i = 0; i < SIG; i++) sigScratch[i] = buf[so + i]
    try {
      return native.ecdsaVerify(sigScratch, digestScratch, full)
    } catch {
      return false
    }
  }
  verifyRecord = (buf, o) => {
    for (let i = 0; i < DIGEST; i++) digestScratch[i] = buf[o + SIG + i]
    return verifyWith(buf, o, o + SIG + DIGEST)
  }
  // the message a transaction's digest is taken over: tag ‖ body, assembled in place
  let message = Buffer.alloc(4096)
  verifyTxRecord = (bytes, o, tag) => {
    const p = o + SIG + KEY
    const len = bodyLength(bytes, p)
    if (tag.length + len > message.length) message = Buffer.alloc(2 * (tag.length + len))
    message.set(tag, 0)
    message.set(bytes.subarray(p + 4, p + 4 + len), tag.length)
    // as a latin1 string, copied: no Buffer (with its own backing store) per digest
    const d = hash('sha256', message.subarray(0, tag.length + len), 'latin1')
    for (let i = 0; i < DIGEST; i++) digestScratch[i] = d.charCodeAt(i)
    return verifyWith(bytes, o, o + SIG)
  }
} else {
  const secp = await import('@noble/secp256k1')
  verifyRecord = (buf, o) => {
    if (!canonical(buf, o)) return false
    const k = o + SIG + DIGEST
    if (buf[k] !== 2 && buf[k] !== 3) return false
    try {
      const pk = buf.slice(k, k + KEY)
      secp.Point.fromBytes(pk)
      return secp.verify(buf.slice(o, o + SIG), buf.slice(o + SIG, k), pk, { prehash: false, lowS: true, format: 'compact' })
    } catch {
      return false
    }
  }
  const rec = new Uint8Array(RECORD_BYTES)
  verifyTxRecord = (bytes, o, tag) => {
    const p = o + SIG + KEY
    const body = bytes.subarray(p + 4, p + 4 + bodyLength(bytes, p))
    rec.set(bytes.subarray(o, o + SIG), 0)
    rec.set(hash('sha256', Buffer.concat([tag, body]), 'buffer'), SIG)
    rec.set(bytes.subarray(o + SIG, o + SIG + KEY), SIG + DIGEST)
    return verifyRecord(rec, 0)
  }
}

/** The u32 LE body length of the transaction record whose length field is at `p`. */
function bodyLength (bytes, p) {
  return (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)) + bytes[p + 3] * 0x1000000
}

const tags = new Map()
/** The bytes a domain's digests start with: the tag's UTF-8 and a 0 byte. */
function tagOf (domain) {
  let t = tags.get(domain)
  if (t === undefined) {
    t = Buffer.concat([Buffer.from(domain, 'utf8'), Buffer.from([0])])
    tags.set(domain, t)
  }
  return t
}

/** Records claimed at a time from a shared batch (CLAIM_RECORDS in verifier-pool.ts). */
const CLAIM_RECORDS = 16

/**
 * Helps with a shared batch (PendingVerdicts): claims records until none is left, sets the
 * answer bits and counts them done with Atomics, waking the thread that waits.
 */
function helpShared (sab, count, tag) {
  const ctrl = new Int32Array(sab, 0, 2)
  const offsets = new Int32Array(sab, 8, count + 1)
  const words = (count + 31) >> 5
  const bits = new Int32Array(sab, 8 + 4 * (count + 1), words)
  const records = new Uint8Array(sab, 8 + 4 * (count + 1) + 4 * words)
  for (;;) {
    if (stopping()) return
    const from = Atomics.add(ctrl, 0, CLAIM_RECORDS)
    if (from >= count) return
    const to = Math.min(count, from + CLAIM_RECORDS)
    for (let i = from; i < to; i++) if (verifyTxRecord(records, offsets[i], tag)) Atomics.or(bits, i >> 5, 1 << (i & 31))
    Atomics.add(ctrl, 1, to - from)
    Atomics.notify(ctrl, 1)
  }
}

parentPort.on('message', (msg) => {
  const { id, buf, count, domain, shared, close } = msg
  if (close === true) {
    parentPort.close()
    return
  }
  if (stopping()) return
  const backend = native !== undefined ? 'native' : 'noble'
  if (shared !== undefined) {
    helpShared(shared, count, tagOf(domain))
    if (stopping()) return
    const none = new ArrayBuffer(0)
    parentPort.postMessage({ id, bits: none, backend }, [none])
    return
  }
  const bytes = new Uint8Array(buf)
  const bits = new Uint8Array((count + 7) >> 3)
  if (domain === undefined) {
    for (let i = 0; i < count; i++) {
      if (stopping()) return
      if (verifyRecord(bytes, i * RECORD_BYTES)) bits[i >> 3] |= 1 << (i & 7)
    }
  } else {
    const tag = tagOf(domain)
    for (let i = 0, o = 0; i < count; i++) {
      if (stopping()) return
      if (verifyTxRecord(bytes, o, tag)) bits[i >> 3] |= 1 << (i & 7)
      const p = o + SIG + KEY
      o = p + 4 + bodyLength(bytes, p)
    }
  }
  parentPort.postMessage({ id, bits: bits.buffer, backend }, [bits.buffer])
})
