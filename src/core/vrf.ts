/**
 * ECVRF-SECP256K1-SHA256-TAI: the draft-irtf-cfrg-vrf-06 construction on secp256k1 with suite
 * 0xFE, cofactor 1 and 33-byte compressed points, as fixed by the vechain/go-ecvrf vectors
 * and specified in protocol/SPEC.md, Appendix A. Proofs are 81 bytes: Gamma (33) ‖ c (16) ‖ s (32).
 */
import * as secp from '@noble/secp256k1'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { CURVE_N, isValidPrivateKey, isValidPublicKey, nativeBinding, type NativeBinding } from './secp256k1.ts'
import { sha256 } from './hash.ts'
import { bigIntToBytes, bytesEqual, bytesToBigInt, concatBytes } from './bytes.ts'
import { DecodeError } from './errors.ts'

/** Length of a proof pi. */
export const VRF_PROOF_BYTES = 81
/** Length of an output beta. */
export const VRF_OUTPUT_BYTES = 32

const POINT_BYTES = 33
const C_BYTES = 16
const SUITE = Uint8Array.of(0xfe)
const HASH_TO_CURVE = Uint8Array.of(0x01)
const CHALLENGE = Uint8Array.of(0x02)
const PROOF_TO_HASH = Uint8Array.of(0x03)

const { Point } = secp
type Point = secp.Point

/** True iff `bytes` is a compressed point on the curve (libsecp256k1 when loaded: a noble decode allocates ~1 MB of bigints). */
function isPoint (n: NativeBinding | undefined, bytes: Uint8Array): boolean {
  if (bytes.length !== POINT_BYTES || (bytes[0] !== 2 && bytes[0] !== 3)) return false
  if (n !== undefined) return n.publicKeyVerify(bytes)
  try {
    Point.fromBytes(bytes)
    return true
  } catch {
    return false
  }
}

/** Try-and-increment: the first ctr whose hash is the x of a point with even y gives H (compressed). */
function hashToCurveBytes (n: NativeBinding | undefined, pkBytes: Uint8Array, alpha: Uint8Array): Uint8Array {
  // Each attempt succeeds with probability ~1/2, so 256 failures do not happen in practice.
  for (let ctr = 0; ctr < 256; ctr++) {
    const candidate = concatBytes(Uint8Array.of(0x02), sha256(SUITE, HASH_TO_CURVE, pkBytes, alpha, Uint8Array.of(ctr)))
    if (isPoint(n, candidate)) return candidate
  }
  throw new DecodeError('ERR_VRF_PROOF', 'hash_to_curve found no point')
}

function hashToCurve (pkBytes: Uint8Array, alpha: Uint8Array): Point {
  return Point.fromBytes(hashToCurveBytes(undefined, pkBytes, alpha))
}

/** c as the first 16 bytes of the challenge hash of the four points. */
function challenge (H: Point, gamma: Point, u: Point, v: Point): Uint8Array {
  return sha256(SUITE, CHALLENGE, H.toBytes(true), gamma.toBytes(true), u.toBytes(true), v.toBytes(true))
    .subarray(0, C_BYTES)
}

/** RFC 6979 §3.2 nonce (HMAC-SHA256, qlen = 256) for key x and message digest h1. */
function nonceRfc6979 (x: bigint, h1: Uint8Array): bigint {
  const mac = (key: Uint8Array, ...parts: Uint8Array[]): Uint8Array => hmac(nobleSha256, key, concatBytes(...parts))
  const seed = concatBytes(bigIntToBytes(x, 32), bigIntToBytes(bytesToBigInt(h1) % CURVE_N, 32))
  let v: Uint8Array = new Uint8Array(32).fill(1)
  let k: Uint8Array = new Uint8Array(32)
  k = mac(k, v, Uint8Array.of(0), seed)
  v = mac(k, v)
  k = mac(k, v, Uint8Array.of(1), seed)
  v = mac(k, v)
  for (;;) {
    v = mac(k, v)
    const t = bytesToBigInt(v)
    if (t >= 1n && t < CURVE_N) return t
    k = mac(k, v, Uint8Array.of(0))
    v = mac(k, v)
  }
}

/** 81-byte VRF proof pi of `alpha` under a 32-byte private key. */
export function vrfProve (privateKey: Uint8Array, alpha: Uint8Array): Uint8Array {
  return vrfProveWith(nativeBinding !== undefined ? 'native' : 'noble', privateKey, alpha)
}

/** vrfProve with a chosen backend (tests prove every vector with both); `native` needs the binding. */
export function vrfProveWith (backend: VrfBackend, privateKey: Uint8Array, alpha: Uint8Array): Uint8Array {
  if (!isValidPrivateKey(privateKey)) throw new RangeError('invalid VRF private key')
  if (backend === 'native') {
    const n = nativeBinding
    if (n === undefined) throw new Error('no native backend')
    // the same steps with libsecp256k1 point arithmetic (four scalar multiplications in noble
    // cost a block producer milliseconds and megabytes of bigints)
    const x = bytesToBigInt(privateKey)
    const H = hashToCurveBytes(n, n.publicKeyCreate(privateKey, true), alpha)
    const gamma = n.publicKeyTweakMul(H, privateKey, true)
    const k = nonceRfc6979(x, sha256(H))
    const kb = bigIntToBytes(k, 32)
    const c = sha256(SUITE, CHALLENGE, H, gamma, n.publicKeyCreate(kb, true), n.publicKeyTweakMul(H, kb, true)).subarray(0, C_BYTES)
    const s = (k + bytesToBigInt(c) * x) % CURVE_N
    return concatBytes(gamma, c, bigIntToBytes(s, 32))
  }
  const x = bytesToBigInt(privateKey)
  const Y = Point.BASE.multiply(x)
  const H = hashToCurve(Y.toBytes(true), alpha)
  const hBytes = H.toBytes(true)
  const gamma = H.multiply(x)
  // draft-06 feeds RFC 6979 the hash of compress(H), not compress(H) itself; only this matches the vectors.
  const k = nonceRfc6979(x, sha256(hBytes))
  const c = challenge(H, gamma, Point.BASE.multiply(k), H.multiply(k))
  const s = (k + bytesToBigInt(c) * x) % CURVE_N
  return concatBytes(gamma.toBytes(true), c, bigIntToBytes(s, 32))
}

/**
 * The VRF output beta of `alpha` without building a proof: one scalar multiplication instead of
 * four, for the leader check every validator runs each slot (equals vrfProofToHash(vrfProve(…))).
 */
export function vrfHash (privateKey: Uint8Array, alpha: Uint8Array): Uint8Array {
  if (!isValidPrivateKey(privateKey)) throw new RangeError('invalid VRF private key')
  if (nativeBinding !== undefined) {
    const n = nativeBinding
    const H = hashToCurveBytes(n, n.publicKeyCreate(privateKey, true), alpha)
    return sha256(SUITE, PROOF_TO_HASH, n.publicKeyTweakMul(H, privateKey, true))
  }
  const x = bytesToBigInt(privateKey)
  const H = hashToCurve(Point.BASE.multiply(x).toBytes(true), alpha)
  return gammaToHash(H.multiply(x))
}

interface DecodedProof { gamma: Point, c: bigint, s: bigint }

function decodeProof (pi: Uint8Array): DecodedProof {
  if (pi.length !== VRF_PROOF_BYTES) throw new DecodeError('ERR_VRF_PROOF', `VRF proof must be ${VRF_PROOF_BYTES} bytes`)
  let gamma: Point
  try {
    gamma = Point.fromBytes(pi.subarray(0, POINT_BYTES))
  } catch {
    throw new DecodeError('ERR_VRF_PROOF', 'VRF proof Gamma is not a curve point')
  }
  const s = bytesToBigInt(pi.subarray(POINT_BYTES + C_BYTES))
  if (s >= CURVE_N) throw new DecodeError('ERR_VRF_PROOF', 'VRF proof s is not below n')
  return { gamma, c: bytesToBigInt(pi.subarray(POINT_BYTES, POINT_BYTES + C_BYTES)), s }
}

function gammaToHash (gamma: Point): Uint8Array {
  return sha256(SUITE, PROOF_TO_HASH, gamma.toBytes(true))
}

/** 32-byte output beta of a proof; throws DecodeError `ERR_VRF_PROOF` if pi is malformed. Does not verify. */
export function vrfProofToHash (pi: Uint8Array): Uint8Array {
  if (nativeBinding !== undefined) {
    // a valid compressed point is its own canonical encoding: hash the bytes once checked
    const { gamma } = checkProof(nativeBinding, pi)
    return sha256(SUITE, PROOF_TO_HASH, gamma)
  }
  return gammaToHash(decodeProof(pi).gamma)
}

/** decodeProof's checks with libsecp256k1, without building noble points: Gamma's bytes, c, s. */
function checkProof (n: NativeBinding, pi: Uint8Array): { gamma: Uint8Array, c: bigint, s: bigint } {
  if (pi.length !== VRF_PROOF_BYTES) throw new DecodeError('ERR_VRF_PROOF', `VRF proof must be ${VRF_PROOF_BYTES} bytes`)
  const gamma = pi.subarray(0, POINT_BYTES)
  if (!isPoint(n, gamma)) throw new DecodeError('ERR_VRF_PROOF', 'VRF proof Gamma is not a curve point')
  const s = bytesToBigInt(pi.subarray(POINT_BYTES + C_BYTES))
  if (s >= CURVE_N) throw new DecodeError('ERR_VRF_PROOF', 'VRF proof s is not below n')
  return { gamma, c: bytesToBigInt(pi.subarray(POINT_BYTES, POINT_BYTES + C_BYTES)), s }
}

/** The VRF backends: `noble` (reference) and `native` (libsecp256k1 point arithmetic, ~15× faster). */
export type VrfBackend = 'noble' | 'native'

/** beta if `pi` proves `alpha` under the 33-byte compressed `publicKey`, else undefined; never throws. */
export function vrfVerify (publicKey: Uint8Array, pi: Uint8Array, alpha: Uint8Array): Uint8Array | undefined {
  return vrfVerifyWith(nativeBinding !== undefined ? 'native' : 'noble', publicKey, pi, alpha)
}

/** vrfVerify with a chosen backend (tests run both on every vector); `native` needs the binding. */
export function vrfVerifyWith (backend: VrfBackend, publicKey: Uint8Array, pi: Uint8Array, alpha: Uint8Array): Uint8Array | undefined {
  try {
    if (backend === 'native' && nativeBinding === undefined) throw new Error('no native backend')
    if (!isValidPublicKey(publicKey)) return undefined
    const n = nativeBinding
    if (backend === 'native' && n !== undefined) {
      const { gamma, c, s } = checkProof(n, pi)
      // c or s 0 makes U or V possibly the identity, which libsecp256k1 cannot encode: noble below
      if (c !== 0n && s !== 0n) {
        const H = hashToCurveBytes(n, publicKey, alpha)
        const { u, v } = nativeUV(n, publicKey, H, gamma, c, s)
        const expected = sha256(SUITE, CHALLENGE, H, gamma, u, v).subarray(0, C_BYTES)
        if (!bytesEqual(expected, pi.subarray(POINT_BYTES, POINT_BYTES + C_BYTES))) return undefined
        return sha256(SUITE, PROOF_TO_HASH, gamma)
      }
    }
    const { gamma, c, s } = decodeProof(pi)
    const H = hashToCurve(publicKey, alpha)
    // s or c may be 0 and U or V the identity; noble then throws on encoding, which is a reject.
    const Y = Point.fromBytes(publicKey)
    const u = Point.BASE.multiplyUnsafe(s).add(Y.multiplyUnsafe(c).negate()).toBytes(true)
    const v = H.multiplyUnsafe(s).add(gamma.multiplyUnsafe(c).negate()).toBytes(true)
    const expected = sha256(SUITE, CHALLENGE, H.toBytes(true), pi.subarray(0, POINT_BYTES), u, v).subarray(0, C_BYTES)
    if (!bytesEqual(expected, pi.subarray(POINT_BYTES, POINT_BYTES + C_BYTES))) return undefined
    return gammaToHash(gamma)
  } catch {
    return undefined
  }
}

/** U = s·G − c·Y and V = s·H − c·Gamma with libsecp256k1 (c, s nonzero; an identity result throws). */
function nativeUV (n: NativeBinding, Y: Uint8Array, H: Uint8Array, gamma: Uint8Array, c: bigint, s: bigint): { u: Uint8Array, v: Uint8Array } {
  const sb = bigIntToBytes(s, 32)
  const cb = bigIntToBytes(c, 32)
  const u = n.publicKeyCombine([n.publicKeyCreate(sb, true), n.publicKeyNegate(n.publicKeyTweakMul(Y, cb, true), true)], true)
  const v = n.publicKeyCombine([n.publicKeyTweakMul(H, sb, true), n.publicKeyNegate(n.publicKeyTweakMul(gamma, cb, true), true)], true)
  return { u, v }
}
