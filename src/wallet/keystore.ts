/**
 * Encrypted keystore files for secp256k1 private keys.
 *
 * A keystore is versioned JSON: the key is encrypted with XChaCha20-Poly1305 under a key derived
 * from the password by scrypt. The header (version, address, public key, kdf and its parameters,
 * cipher) is bound as associated data, so changing any of it makes authentication fail. An
 * authentication failure cannot tell a wrong password from a modified file, so both are reported
 * as ERR_KEYSTORE_WRONG_PASSWORD (with a message saying so).
 *
 * The password and the private key never appear in an error message or in `details`.
 */
import { randomBytes } from 'node:crypto'
import { link, lstat, open, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { addressOf } from '../core/address.ts'
import { bytesEqual, fromHex, toHex, utf8 } from '../core/bytes.ts'
import { errnoWords, MemecoinError } from '../core/errors.ts'
import { FileShapeError, readFileBounded } from './read-file-bounded.ts'
import { isValidPrivateKey, isValidPublicKey, publicKeyOf } from '../core/secp256k1.ts'

/** The only keystore format version this module reads and writes. */
export const KEYSTORE_VERSION = 1
/** Default scrypt cost for real keys: 256 MiB and 1-3 s per derivation on this machine. */
export const DEFAULT_SCRYPT_N = 2 ** 18
/** scrypt block size used when encrypting. */
export const DEFAULT_SCRYPT_R = 8
/** scrypt parallelism used when encrypting. */
export const DEFAULT_SCRYPT_P = 1
/** Smallest accepted scrypt N (tests and devnets use it; real keys use the default). */
export const MIN_SCRYPT_N = 2 ** 10
/** Largest accepted scrypt N. */
export const MAX_SCRYPT_N = 2 ** 22
/** Largest accepted scrypt r. */
export const MAX_SCRYPT_R = 32
/** Largest accepted scrypt p. */
export const MAX_SCRYPT_P = 16
/** Cap on scrypt memory, 128·r·N bytes: a hostile file must not make us allocate gigabytes. */
export const MAX_SCRYPT_MEMORY = 512 * 1024 * 1024
/** Cap on scrypt work, N·r·p: 8× the default cost, so a hostile file cannot hang us for minutes. */
export const MAX_SCRYPT_WORK = 2 ** 24
/** Largest N encryptKeystore accepts: the N, memory and work caps at the default r and p (2^19). */
export const MAX_ENCRYPT_SCRYPT_N = Math.min(MAX_SCRYPT_N, MAX_SCRYPT_MEMORY / (128 * DEFAULT_SCRYPT_R), MAX_SCRYPT_WORK / (DEFAULT_SCRYPT_R * DEFAULT_SCRYPT_P))
/** Salt length written by encryptKeystore. */
export const SALT_BYTES = 32
/** Accepted salt lengths on read. */
export const MIN_SALT_BYTES = 16
export const MAX_SALT_BYTES = 64
/** XChaCha20 nonce length. */
export const NONCE_BYTES = 24
/** Derived key length (the XChaCha20-Poly1305 key). */
export const DERIVED_KEY_BYTES = 32
/** Ciphertext length: the 32-byte private key plus the 16-byte Poly1305 tag. */
export const CIPHERTEXT_BYTES = 32 + 16
/** A keystore file is well under 1 KiB; anything larger than this is not one. */
export const MAX_KEYSTORE_FILE_BYTES = 64 * 1024

const KDF = 'scrypt'
const CIPHER = 'xchacha20-poly1305'
const AAD_DOMAIN = 'memecoin-keystore'

/** Machine-readable reasons a keystore operation fails. */
export type KeystoreErrorCode =
  | 'ERR_KEYSTORE_WRONG_PASSWORD'
  | 'ERR_KEYSTORE_CORRUPT'
  | 'ERR_KEYSTORE_UNSUPPORTED'
  | 'ERR_KEYSTORE_EXISTS'
  | 'ERR_KEYSTORE_NOT_FOUND'
  | 'ERR_KEYSTORE_IO'

/** A keystore failure; `details` holds only public facts (field names, paths, parameters). */
export class KeystoreError extends MemecoinError {
  declare readonly code: KeystoreErrorCode
  constructor (code: KeystoreErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details)
    this.name = 'KeystoreError'
  }
}

/** scrypt parameters as stored in a keystore. */
export interface ScryptParams {
  N: number
  r: number
  p: number
  dklen: number
  /** hex */
  salt: string
}

/** An encrypted keystore (version 1), as stored in its JSON file. */
export interface Keystore {
  version: 1
  /** bech32m address of `publicKey` */
  address: string
  /** hex of the 33-byte compressed public key */
  publicKey: string
  crypto: {
    kdf: 'scrypt'
    kdfparams: ScryptParams
    cipher: 'xchacha20-poly1305'
    /** hex, 24 bytes */
    nonce: string
    /** hex, 48 bytes: encrypted key ‖ tag */
    ciphertext: string
  }
}

/** Options of encryptKeystore. */
export interface EncryptOptions {
  /** scrypt N, a power of two in [2^10, 2^22]; default 2^18. Small values are for tests and devnets only. */
  scryptN?: number
}

/** Options of writeKeystoreFile. */
export interface WriteOptions {
  /** Replace an existing file at `path` (default false: refuse with ERR_KEYSTORE_EXISTS). */
  overwrite?: boolean
}

/** Encrypts a private key under a password into a new keystore (fresh salt and nonce). */
export async function encryptKeystore (privateKey: Uint8Array, password: string, opts: EncryptOptions = {}): Promise<Keystore> {
  assertPrivateKey(privateKey)
  const N = opts.scryptN ?? DEFAULT_SCRYPT_N
  try {
    checkScryptLimits(N, DEFAULT_SCRYPT_R, DEFAULT_SCRYPT_P)
  } catch (err) {
    // Here N is our caller's option, not a file's field: always "unsupported", never "corrupt".
    throw new KeystoreError('ERR_KEYSTORE_UNSUPPORTED',
      `scrypt N must be a power of two in [2^10, 2^22] within the memory limit (got ${String(N)})`, { N })
  }
  const publicKey = publicKeyOf(privateKey)
  const salt = new Uint8Array(randomBytes(SALT_BYTES))
  const nonce = new Uint8Array(randomBytes(NONCE_BYTES))
  const params: Params = { N, r: DEFAULT_SCRYPT_R, p: DEFAULT_SCRYPT_P, salt }
  const header: Header = { address: addressOf(publicKey), publicKey, params }
  const key = await deriveKey(password, params)
  try {
    const ciphertext = xchacha20poly1305(key, nonce, associatedData(header)).encrypt(privateKey)
    return {
      version: KEYSTORE_VERSION,
      address: header.address,
      publicKey: toHex(publicKey),
      crypto: {
        kdf: KDF,
        kdfparams: { N, r: params.r, p: params.p, dklen: DERIVED_KEY_BYTES, salt: toHex(salt) },
        cipher: CIPHER,
        nonce: toHex(nonce),
        ciphertext: toHex(ciphertext)
      }
    }
  } finally {
    key.fill(0)
  }
}

/** Decrypts a keystore (parsed JSON or its text) and returns the 32-byte private key. */
export async function decryptKeystore (json: unknown, password: string): Promise<Uint8Array> {
  const ks = parseKeystore(typeof json === 'string' ? parseJson(json) : json)
  const header = headerOf(ks)
  const nonce = fromHex(ks.crypto.nonce)
  const ciphertext = fromHex(ks.crypto.ciphertext)
  const key = await deriveKey(password, header.params)
  let privateKey: Uint8Array
  try {
    privateKey = xchacha20poly1305(key, nonce, associatedData(header)).decrypt(ciphertext)
  } catch {
    throw new KeystoreError('ERR_KEYSTORE_WRONG_PASSWORD',
      'keystore authentication failed: wrong password, or the file was modified', { address: ks.address })
  } finally {
    key.fill(0)
  }
  // Authenticated, so these only fail for a file written wrongly in the first place.
  if (!isValidPrivateKey(privateKey) || !bytesEqual(publicKeyOf(privateKey), header.publicKey)) {
    privateKey.fill(0)
    throw new KeystoreError('ERR_KEYSTORE_CORRUPT', 'keystore holds a key that does not match its public key',
      { address: ks.address })
  }
  return privateKey
}

/**
 * Checks that `json` is a well-formed version-1 keystore and returns a normalized copy
 * (lower-case hex, unknown fields dropped). Throws KeystoreError CORRUPT or UNSUPPORTED.
 */
export function parseKeystore (json: unknown): Keystore {
  const root = object(json, '')
  const version = root.version
  if (typeof version !== 'number') throw corrupt('version', 'missing or not a number')
  if (version !== KEYSTORE_VERSION) {
    throw new KeystoreError('ERR_KEYSTORE_UNSUPPORTED', `unsupported keystore version ${String(version)}`, { version })
  }
  const crypto = object(root.crypto, 'crypto')
  const kdf = string(crypto.kdf, 'crypto.kdf')
  if (kdf !== KDF) throw unsupported('kdf', kdf)
  const cipher = string(crypto.cipher, 'crypto.cipher')
  if (cipher !== CIPHER) throw unsupported('cipher', cipher)

  const kp = object(crypto.kdfparams, 'crypto.kdfparams')
  const N = positiveInteger(kp.N, 'crypto.kdfparams.N')
  const r = positiveInteger(kp.r, 'crypto.kdfparams.r')
  const p = positiveInteger(kp.p, 'crypto.kdfparams.p')
  const dklen = positiveInteger(kp.dklen, 'crypto.kdfparams.dklen')
  if (dklen !== DERIVED_KEY_BYTES) throw corrupt('crypto.kdfparams.dklen', `must be ${DERIVED_KEY_BYTES}`)
  checkScryptLimits(N, r, p)
  const salt = hexField(kp.salt, 'crypto.kdfparams.salt')
  if (salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) {
    throw corrupt('crypto.kdfparams.salt', `must be ${MIN_SALT_BYTES} to ${MAX_SALT_BYTES} bytes`)
  }
  const nonce = hexField(crypto.nonce, 'crypto.nonce', NONCE_BYTES)
  const ciphertext = hexField(crypto.ciphertext, 'crypto.ciphertext', CIPHERTEXT_BYTES)

  const publicKey = hexField(root.publicKey, 'publicKey')
  if (!isValidPublicKey(publicKey)) throw corrupt('publicKey', 'not a compressed secp256k1 public key')
  const address = string(root.address, 'address')
  if (address !== addressOf(publicKey)) throw corrupt('address', 'does not match the public key')

  return {
    version: KEYSTORE_VERSION,
    address,
    publicKey: toHex(publicKey),
    crypto: {
      kdf: KDF,
      kdfparams: { N, r, p, dklen, salt: toHex(salt) },
      cipher: CIPHER,
      nonce: toHex(nonce),
      ciphertext: toHex(ciphertext)
    }
  }
}

/**
 * Writes a keystore to `path` with mode 0600, atomically (temp file, fsync, then link/rename);
 * refuses to replace an existing file unless `overwrite` is set.
 */
export async function writeKeystoreFile (path: string, keystore: Keystore, opts: WriteOptions = {}): Promise<void> {
  const text = JSON.stringify(parseKeystore(keystore), null, 2) + '\n'
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  if (opts.overwrite !== true && await exists(path)) throw exists_(path)
  try {
    const fh = await open(tmp, 'wx', 0o600).catch((err: unknown) => {
      if (errno(err) === 'ENOENT') {
        throw new KeystoreError('ERR_KEYSTORE_NOT_FOUND', `directory ${dir} does not exist`, { path: dir })
      }
      throw err
    })
    try {
      await fh.chmod(0o600) // the umask may have narrowed it, never widened: make it exact
      await fh.writeFile(text, 'utf8')
      await fh.sync()
    } finally {
      await fh.close()
    }
    if (opts.overwrite === true) {
      await rename(tmp, path)
    } else {
      await linkNoClobber(tmp, path)
    }
    await syncDir(dir)
  } catch (err) {
    // the system's own message would name the temp file
    if (err instanceof KeystoreError) throw err
    throw ioError(`cannot write keystore file ${path}`, err, path)
  } finally {
    await unlink(tmp).catch(() => {})
  }
}

/** Reads and validates a keystore file (does not decrypt it). */
export async function readKeystoreFile (path: string): Promise<Keystore> {
  let text: string
  try {
    // one handle, checked and read (a file swapped between a check and a read by path could be
    // /dev/zero or a FIFO); a leading byte-order mark (some editors write one) is not JSON
    text = (await readFileBounded(path, MAX_KEYSTORE_FILE_BYTES)).toString('utf8').replace(/^\uFEFF/, '')
  } catch (err) {
    if (err instanceof FileShapeError) {
      throw corrupt('', err.reason === 'too large' ? `${path} is larger than ${MAX_KEYSTORE_FILE_BYTES} bytes` : `${path} is not a regular file`, { path })
    }
    const code = errno(err)
    if (code === 'ENOENT') throw new KeystoreError('ERR_KEYSTORE_NOT_FOUND', `keystore file ${path} not found`, { path })
    if (code === 'EISDIR') throw corrupt('', `${path} is not a regular file`, { path })
    throw ioError(`cannot read keystore file ${path}`, err, path)
  }
  try {
    return parseKeystore(parseJson(text))
  } catch (err) {
    if (err instanceof KeystoreError) {
      throw new KeystoreError(err.code, `${path}: ${err.message}`, { ...err.details, path })
    }
    throw err
  }
}

/** The raw private key as 64 lower-case hex characters (for `wallet export`). */
export function exportPrivateKeyHex (privateKey: Uint8Array): string {
  assertPrivateKey(privateKey)
  return toHex(privateKey)
}

/** The private key in 64 hex characters (optional 0x, surrounding whitespace ignored); throws ERR_INVALID_PRIVATE_KEY. */
export function importPrivateKeyHex (hex: string): Uint8Array {
  if (typeof hex !== 'string') throw invalidKey('not a string')
  const h = hex.trim().replace(/^0[xX]/, '')
  if (h.length !== 64) throw invalidKey('expected 64 hex characters', { length: h.length })
  if (!/^[0-9a-fA-F]{64}$/.test(h)) throw invalidKey('not hexadecimal')
  const sk = fromHex(h)
  if (!isValidPrivateKey(sk)) {
    sk.fill(0)
    throw invalidKey('not in [1, n-1]')
  }
  return sk
}

// ---------------------------------------------------------------------------------------------

interface Params { N: number, r: number, p: number, salt: Uint8Array }
interface Header { address: string, publicKey: Uint8Array, params: Params }

function headerOf (ks: Keystore): Header {
  const kp = ks.crypto.kdfparams
  return { address: ks.address, publicKey: fromHex(ks.publicKey), params: { N: kp.N, r: kp.r, p: kp.p, salt: fromHex(kp.salt) } }
}

/** The bytes bound as associated data: every header field, in a fixed order, from decoded values. */
function associatedData (h: Header): Uint8Array {
  return utf8(JSON.stringify([
    AAD_DOMAIN, KEYSTORE_VERSION, h.address, toHex(h.publicKey),
    KDF, h.params.N, h.params.r, h.params.p, DERIVED_KEY_BYTES, toHex(h.params.salt), CIPHER
  ]))
}

async function deriveKey (password: string, params: Params): Promise<Uint8Array> {
  if (typeof password !== 'string') throw new TypeError('password must be a string')
  // NFKD so that the same password typed on different systems derives the same key.
  const pw = utf8(password.normalize('NFKD'))
  try {
    return await scryptAsync(pw, params.salt, {
      N: params.N,
      r: params.r,
      p: params.p,
      dkLen: DERIVED_KEY_BYTES,
      maxmem: 128 * params.r * (params.N + params.p + 1)
    })
  } finally {
    pw.fill(0)
  }
}

/** A value no scrypt accepts is CORRUPT; a valid one beyond our limits is UNSUPPORTED. */
function checkScryptLimits (N: number, r: number, p: number): void {
  if (!Number.isSafeInteger(N) || N < 2 || !Number.isInteger(Math.log2(N))) {
    throw corrupt('crypto.kdfparams.N', 'scrypt N must be a power of two', { N })
  }
  if (!Number.isSafeInteger(r) || r < 1 || !Number.isSafeInteger(p) || p < 1) {
    throw corrupt('crypto.kdfparams', 'scrypt r and p must be positive integers')
  }
  if (N < MIN_SCRYPT_N || N > MAX_SCRYPT_N) {
    throw new KeystoreError('ERR_KEYSTORE_UNSUPPORTED', `scrypt N ${N} is outside [2^10, 2^22]`, { N })
  }
  if (r > MAX_SCRYPT_R || p > MAX_SCRYPT_P) {
    throw new KeystoreError('ERR_KEYSTORE_UNSUPPORTED',
      `scrypt r ${r} or p ${p} is too large (max r ${MAX_SCRYPT_R}, p ${MAX_SCRYPT_P})`, { r, p })
  }
  if (128 * r * N > MAX_SCRYPT_MEMORY || N * r * p > MAX_SCRYPT_WORK) {
    throw new KeystoreError('ERR_KEYSTORE_UNSUPPORTED', `scrypt cost N=${N} r=${r} p=${p} is over the limit`, { N, r, p })
  }
}

function assertPrivateKey (sk: Uint8Array): void {
  if (!(sk instanceof Uint8Array) || !isValidPrivateKey(sk)) throw invalidKey('not a valid secp256k1 private key')
}

function invalidKey (why: string, details?: Record<string, unknown>): MemecoinError {
  return new MemecoinError('ERR_INVALID_PRIVATE_KEY', `invalid private key: ${why}`, details)
}

function corrupt (field: string, why: string, details: Record<string, unknown> = {}): KeystoreError {
  const where = field === '' ? 'keystore' : `keystore field ${field}`
  return new KeystoreError('ERR_KEYSTORE_CORRUPT', `${where}: ${why}`, field === '' ? details : { field, ...details })
}

function unsupported (what: string, value: string): KeystoreError {
  // Cap the echoed value: it comes from an untrusted file and must stay one short line.
  const shown = JSON.stringify(value.slice(0, 40))
  return new KeystoreError('ERR_KEYSTORE_UNSUPPORTED', `unsupported keystore ${what} ${shown}`, { [what]: value.slice(0, 40) })
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    // The parser's message quotes the input; never echo file contents.
    throw corrupt('', 'not valid JSON')
  }
}

function object (v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw corrupt(field, 'missing or not an object')
  return v as Record<string, unknown>
}

function string (v: unknown, field: string): string {
  if (typeof v !== 'string') throw corrupt(field, 'missing or not a string')
  return v
}

function positiveInteger (v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw corrupt(field, 'missing or not a positive integer')
  return v
}

function hexField (v: unknown, field: string, length?: number): Uint8Array {
  const s = string(v, field)
  let b: Uint8Array
  try {
    b = fromHex(s)
  } catch {
    throw corrupt(field, 'not hex')
  }
  if (length !== undefined && b.length !== length) throw corrupt(field, `must be ${length} bytes`, { length: b.length })
  return b
}

function errno (err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined
}

/** ERR_KEYSTORE_IO: `what` failed, with the system's reason (code and words). */
function ioError (what: string, err: unknown, path: string): KeystoreError {
  const code = errno(err)
  // the system's reason in words, never its own message (it may name internal temp files)
  const why = code === undefined ? 'failed' : `${errnoWords(code) ?? 'failed'} (${code})`
  return new KeystoreError('ERR_KEYSTORE_IO', `${what}: ${why}`, { path, ...(code !== undefined ? { errno: code } : {}) })
}

function exists_ (path: string): KeystoreError {
  return new KeystoreError('ERR_KEYSTORE_EXISTS', `keystore file ${path} already exists`, { path })
}

async function exists (path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (err) {
    if (errno(err) === 'ENOENT') return false
    throw err
  }
}

/** link() fails with EEXIST atomically, unlike rename(); fall back where hard links are unavailable. */
async function linkNoClobber (tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path)
  } catch (err) {
    const code = errno(err)
    if (code === 'EEXIST') throw exists_(path)
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err
    if (await exists(path)) throw exists_(path)
    await rename(tmp, path)
  }
}

/** fsync the directory so the new name survives a crash; not possible everywhere, so best effort. */
async function syncDir (dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r')
    try { await fh.sync() } finally { await fh.close() }
  } catch {}
}
