/**
 * ECDSA on secp256k1 as memecoin uses it: 32-byte digests, 64-byte compact r‖s signatures,
 * RFC 6979 deterministic nonces, low-S only, 33-byte compressed public keys.
 *
 * Signing always uses @noble/secp256k1. Verification uses libsecp256k1 (the native `secp256k1`
 * package, ~45× faster here) when its prebuilt binding loads, else noble; both apply exactly the
 * same rules, which the Wycheproof test checks for each backend.
 */
import { createRequire } from 'node:module'
import * as secp from '@noble/secp256k1'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { UncompressedKeys } from './uncompressed-keys.mjs'

secp.hashes.sha256 = (msg) => nobleSha256(msg)
secp.hashes.hmacSha256 = (key, msg) => hmac(nobleSha256, key, msg)

/** Order of the secp256k1 group. */
export const CURVE_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
/** Largest s a canonical (low-S) signature may have: ⌊n/2⌋. */
export const HALF_N = CURVE_N >> 1n
export const PRIVATE_KEY_BYTES = 32
export const PUBLIC_KEY_BYTES = 33
export const SIGNATURE_BYTES = 64
export const DIGEST_BYTES = 32

/** A signature verifier; `name` tells which implementation it is. */
export interface Verifier {
  readonly name: 'native' | 'noble'
  /** True iff `sig` is a valid low-S signature of `digest` by `publicKey` (33 bytes, compressed). */
  verify: (sig: Uint8Array, digest: Uint8Array, publicKey: Uint8Array) => boolean
}

const N_BYTES = bigIntTo32(CURVE_N)
const HALF_N_BYTES = bigIntTo32(HALF_N)

function bigIntTo32 (x: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 31; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn)
  return out
}

/** Big-endian comparison of a[o, o+32) with the 32 bytes of b: -1, 0 or 1. */
function compare32 (a: Uint8Array, o: number, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = a[o + i] as number
    const y = b[i] as number
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

function isZero32 (a: Uint8Array, o: number): boolean {
  for (let i = 0; i < 32; i++) if (a[o + i] !== 0) return false
  return true
}

/** True iff `sig` is 64 bytes with 1 ≤ r < n and 1 ≤ s ≤ n/2. */
export function isCanonicalSignature (sig: Uint8Array): boolean {
  // byte comparisons, not bigints: this runs before every verify (hot path)
  if (sig.length !== SIGNATURE_BYTES) return false
  return !isZero32(sig, 0) && compare32(sig, 0, N_BYTES) < 0 && !isZero32(sig, 32) && compare32(sig, 32, HALF_N_BYTES) <= 0
}

/**
 * True iff `pk` is a 33-byte compressed encoding of a point on the curve. libsecp256k1 parses it
 * where its binary loads (each VRF check runs this: noble's bigint square root allocated ≈ 80 KB
 * per call), noble otherwise; test/core/secp256k1.test.ts holds both to the same answers.
 */
export function isValidPublicKey (pk: Uint8Array): boolean {
  if (pk.length !== PUBLIC_KEY_BYTES || (pk[0] !== 2 && pk[0] !== 3)) return false
  if (native !== undefined) return native.publicKeyVerify(pk)
  return isValidPublicKeyNoble(pk)
}

/** isValidPublicKey by @noble/secp256k1 alone (the fallback; tests compare the two). */
export function isValidPublicKeyNoble (pk: Uint8Array): boolean {
  if (pk.length !== PUBLIC_KEY_BYTES || (pk[0] !== 2 && pk[0] !== 3)) return false
  try {
    secp.Point.fromBytes(pk)
    return true
  } catch {
    return false
  }
}

/** True iff `sk` is 32 bytes encoding a scalar in [1, n-1]. */
export function isValidPrivateKey (sk: Uint8Array): boolean {
  return sk.length === PRIVATE_KEY_BYTES && secp.utils.isValidSecretKey(sk)
}

/** The verifier built on @noble/secp256k1. */
export const nobleVerifier: Verifier = {
  name: 'noble',
  verify (sig, digest, publicKey) {
    if (digest.length !== DIGEST_BYTES || !isCanonicalSignature(sig) || !isValidPublicKeyNoble(publicKey)) return false
    try {
      return secp.verify(sig, digest, publicKey, { prehash: false, lowS: true, format: 'compact' })
    } catch {
      return false
    }
  }
}

/** The parts of the libsecp256k1 binding we use (all throw on invalid input). */
export interface NativeBinding {
  ecdsaVerify: (sig: Uint8Array, msg32: Uint8Array, publicKey: Uint8Array) => boolean
  publicKeyCreate: (privateKey: Uint8Array, compressed?: boolean) => Uint8Array
  publicKeyVerify: (publicKey: Uint8Array) => boolean
  publicKeyConvert: (publicKey: Uint8Array, compressed?: boolean, output?: Uint8Array) => Uint8Array
  publicKeyTweakMul: (publicKey: Uint8Array, tweak: Uint8Array, compressed?: boolean) => Uint8Array
  publicKeyCombine: (publicKeys: Uint8Array[], compressed?: boolean) => Uint8Array
  publicKeyNegate: (publicKey: Uint8Array, compressed?: boolean) => Uint8Array
}

function loadNative (): NativeBinding | undefined {
  try {
    // `secp256k1/bindings` is the libsecp256k1 addon alone: unlike the package's main entry it
    // never falls back to elliptic, so failing here means "no native backend".
    const require = createRequire(import.meta.url)
    return require('secp256k1/bindings') as NativeBinding
  } catch {
    return undefined
  }
}

const native = loadNative()

/** The libsecp256k1 binding, or undefined where its prebuilt binary does not load. */
export const nativeBinding: NativeBinding | undefined = native

/**
 * This thread's uncompressed forms of the keys it verified with (src/core/uncompressed-keys.mjs):
 * a verify with one skips the square root of parsing a compressed key.
 */
const uncompressed = native === undefined ? undefined : new UncompressedKeys((key, out) => { native.publicKeyConvert(key, false, out) })

/** The verifier built on libsecp256k1, or undefined where its binary does not load. */
export const nativeVerifier: Verifier | undefined = native === undefined || uncompressed === undefined
  ? undefined
  : {
      name: 'native',
      verify (sig, digest, publicKey) {
        // libsecp256k1 rejects high-S itself, but throws on r,s ≥ n; check the shape first so
        // both backends refuse exactly the same inputs. The key is checked for being on the curve
        // by libsecp256k1's own parse when it is converted (no form: a false here), 4× cheaper
        // than a noble decode.
        if (digest.length !== DIGEST_BYTES || !isCanonicalSignature(sig)) return false
        if (publicKey.length !== PUBLIC_KEY_BYTES || (publicKey[0] !== 2 && publicKey[0] !== 3)) return false
        const full = uncompressed.of(publicKey)
        if (full === undefined) return false
        try {
          return native.ecdsaVerify(sig, digest, full)
        } catch {
          return false
        }
      }
    }

/** The verifier in use: native when available, noble otherwise. */
export const defaultVerifier: Verifier = nativeVerifier ?? nobleVerifier

/** Verifies with the default verifier. */
export function verifyDigest (sig: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
  return defaultVerifier.verify(sig, digest, publicKey)
}

/** 64-byte compact low-S RFC 6979 signature of a 32-byte digest. */
export function signDigest (digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  if (digest.length !== DIGEST_BYTES) throw new RangeError('digest must be 32 bytes')
  return secp.sign(digest, privateKey, { prehash: false, lowS: true, format: 'compact' })
}

/** Compressed 33-byte public key of a private key. */
export function publicKeyOf (privateKey: Uint8Array): Uint8Array {
  return secp.getPublicKey(privateKey, true)
}

/** A private key derived from 32+ bytes of entropy the caller supplies (the core has no RNG). */
export function privateKeyFromEntropy (entropy: Uint8Array): Uint8Array {
  if (entropy.length < 32) throw new RangeError('need at least 32 bytes of entropy')
  // randomSecretKey reduces 48 bytes (or more) mod n-1 and adds 1: uniform, never zero.
  const seed = entropy.length >= 48 ? entropy : new Uint8Array([...entropy, ...nobleSha256(entropy).subarray(0, 48 - entropy.length)])
  return secp.utils.randomSecretKey(seed)
}
