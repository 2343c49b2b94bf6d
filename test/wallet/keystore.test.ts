import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, symlink, writeFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addressOf } from '../../src/core/address.ts'
import { toHex } from '../../src/core/bytes.ts'
import { MemecoinError } from '../../src/core/errors.ts'
import { CURVE_N, publicKeyOf } from '../../src/core/secp256k1.ts'
import {
  decryptKeystore, encryptKeystore, exportPrivateKeyHex, importPrivateKeyHex, KeystoreError,
  parseKeystore, readKeystoreFile, writeKeystoreFile, type Keystore
} from '../../src/wallet/keystore.ts'

const N = 2 ** 10 // tests only: real keys use the 2^18 default
const PASSWORD = 'correct horse battery staple ✓'
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const KEY_HEX = toHex(KEY)

/** Runs `fn`, expects it to fail with `code`, and checks that no secret leaked into the error. */
async function expectCode (fn: () => Promise<unknown> | unknown, code: string): Promise<MemecoinError> {
  let err: unknown
  try {
    await fn()
  } catch (e) {
    err = e
  }
  expect(err, `expected ${code}`).to.be.instanceOf(MemecoinError)
  const me = err as MemecoinError
  expect(me.code).to.equal(code)
  const visible = `${me.message} ${JSON.stringify(me.details ?? {})} ${String(me.stack)}`
  expect(visible).not.to.include(PASSWORD)
  expect(visible.toLowerCase()).not.to.include(KEY_HEX)
  expect(me.message).not.to.include('\n')
  return me
}

function clone (ks: Keystore): any {
  return JSON.parse(JSON.stringify(ks))
}

describe('wallet/keystore', function () {
  let dir: string
  let ks: Keystore

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'memecoin-keystore-'))
    ks = await encryptKeystore(KEY, PASSWORD, { scryptN: N })
  })

  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  describe('format', () => {
    it('writes a version-1 scrypt/xchacha20-poly1305 keystore with the key\'s address', () => {
      const pk = publicKeyOf(KEY)
      expect(ks.version).to.equal(1)
      expect(ks.publicKey).to.equal(toHex(pk))
      expect(ks.address).to.equal(addressOf(pk))
      expect(ks.address.startsWith('meme1')).to.equal(true)
      expect(ks.crypto.kdf).to.equal('scrypt')
      expect(ks.crypto.kdfparams).to.include({ N, r: 8, p: 1, dklen: 32 })
      expect(ks.crypto.kdfparams.salt).to.match(/^[0-9a-f]{64}$/)
      expect(ks.crypto.cipher).to.equal('xchacha20-poly1305')
      expect(ks.crypto.nonce).to.match(/^[0-9a-f]{48}$/)
      expect(ks.crypto.ciphertext).to.match(/^[0-9a-f]{96}$/)
      expect(JSON.stringify(ks)).not.to.include(KEY_HEX)
    })

    it('uses a fresh salt and nonce each time', async () => {
      const again = await encryptKeystore(KEY, PASSWORD, { scryptN: N })
      expect(again.crypto.kdfparams.salt).not.to.equal(ks.crypto.kdfparams.salt)
      expect(again.crypto.nonce).not.to.equal(ks.crypto.nonce)
      expect(again.crypto.ciphertext).not.to.equal(ks.crypto.ciphertext)
    })

    it('refuses a scrypt N that is not a power of two or out of range when encrypting', async () => {
      for (const scryptN of [1000, 2 ** 9, 2 ** 23, 0, -1024, 1.5]) {
        await expectCode(async () => await encryptKeystore(KEY, PASSWORD, { scryptN }), 'ERR_KEYSTORE_UNSUPPORTED')
      }
    })

    it('refuses to encrypt an invalid private key', async () => {
      await expectCode(async () => await encryptKeystore(new Uint8Array(32), PASSWORD, { scryptN: N }), 'ERR_INVALID_PRIVATE_KEY')
      await expectCode(async () => await encryptKeystore(new Uint8Array(31).fill(1), PASSWORD, { scryptN: N }), 'ERR_INVALID_PRIVATE_KEY')
    })
  })

  describe('round trip', () => {
    it('encrypt → write → read → decrypt gives the same key, in a 0600 file', async () => {
      const path = join(dir, 'roundtrip.json')
      await writeKeystoreFile(path, ks)
      expect((await stat(path)).mode & 0o777).to.equal(0o600)
      expect(await readdir(dir)).to.deep.equal(['roundtrip.json']) // no temp file left behind
      const read = await readKeystoreFile(path)
      expect(read).to.deep.equal(ks)
      const sk = await decryptKeystore(read, PASSWORD)
      expect(toHex(sk)).to.equal(KEY_HEX)
    })

    it('decrypts the JSON text as well as the parsed object', async () => {
      const sk = await decryptKeystore(JSON.stringify(ks), PASSWORD)
      expect(toHex(sk)).to.equal(KEY_HEX)
    })

    it('normalizes the password (NFKD), so composed and decomposed forms both work', async () => {
      const composed = await encryptKeystore(KEY, 'caf\u00e9', { scryptN: N })
      expect(toHex(await decryptKeystore(composed, 'cafe\u0301'))).to.equal(KEY_HEX)
    })
  })

  describe('wrong password', () => {
    it('fails with ERR_KEYSTORE_WRONG_PASSWORD', async () => {
      await expectCode(async () => await decryptKeystore(ks, PASSWORD + '!'), 'ERR_KEYSTORE_WRONG_PASSWORD')
      await expectCode(async () => await decryptKeystore(ks, ''), 'ERR_KEYSTORE_WRONG_PASSWORD')
    })
  })

  describe('corrupted and hostile files', () => {
    async function fileWith (name: string, content: string): Promise<string> {
      const path = join(dir, name)
      await writeFile(path, content, { mode: 0o600 })
      return path
    }

    async function expectFileCode (name: string, content: string, code: string): Promise<void> {
      const path = await fileWith(name, content)
      await expectCode(async () => await decryptKeystore(await readKeystoreFile(path), PASSWORD), code)
    }

    it('a flipped ciphertext byte fails authentication', async () => {
      const j = clone(ks)
      const ct: string = j.crypto.ciphertext
      j.crypto.ciphertext = ct.slice(0, 10) + (ct[10] === '0' ? '1' : '0') + ct.slice(11)
      // An AEAD cannot tell a modified ciphertext from a wrong password.
      await expectFileCode('flipped.json', JSON.stringify(j), 'ERR_KEYSTORE_WRONG_PASSWORD')
    })

    it('a flipped nonce or salt byte fails authentication', async () => {
      for (const field of ['nonce', 'salt'] as const) {
        const j = clone(ks)
        const obj = field === 'nonce' ? j.crypto : j.crypto.kdfparams
        const v: string = obj[field]
        obj[field] = (v[0] === 'a' ? 'b' : 'a') + v.slice(1)
        await expectCode(async () => await decryptKeystore(j, PASSWORD), 'ERR_KEYSTORE_WRONG_PASSWORD')
      }
    })

    it('a changed address is corrupt', async () => {
      const other = addressOf(publicKeyOf(new Uint8Array(32).fill(7)))
      await expectFileCode('address.json', JSON.stringify({ ...clone(ks), address: other }), 'ERR_KEYSTORE_CORRUPT')
      await expectFileCode('address2.json', JSON.stringify({ ...clone(ks), address: 'meme1garbage' }), 'ERR_KEYSTORE_CORRUPT')
    })

    it('a changed public key with its matching address fails authentication (header is bound)', async () => {
      const pk = publicKeyOf(new Uint8Array(32).fill(7))
      const j = { ...clone(ks), publicKey: toHex(pk), address: addressOf(pk) }
      await expectCode(async () => await decryptKeystore(j, PASSWORD), 'ERR_KEYSTORE_WRONG_PASSWORD')
    })

    // (they change the derived key, so this holds with or without them in the associated data;
    // the binding of the header is what the public-key case above checks)
    it('changed scrypt parameters fail authentication', async () => {
      const j = clone(ks)
      j.crypto.kdfparams.r = 4
      await expectCode(async () => await decryptKeystore(j, PASSWORD), 'ERR_KEYSTORE_WRONG_PASSWORD')
    })

    it('truncated JSON is corrupt', async () => {
      const text = JSON.stringify(ks)
      await expectFileCode('truncated.json', text.slice(0, text.length / 2), 'ERR_KEYSTORE_CORRUPT')
      await expectFileCode('empty.json', '', 'ERR_KEYSTORE_CORRUPT')
    })

    it('invalid JSON is corrupt', async () => {
      await expectFileCode('invalid.json', `{"version": 1, "password": "${PASSWORD}", oops}`, 'ERR_KEYSTORE_CORRUPT')
      await expectFileCode('array.json', '[1, 2, 3]', 'ERR_KEYSTORE_CORRUPT')
      await expectFileCode('null.json', 'null', 'ERR_KEYSTORE_CORRUPT')
    })

    it('a missing or ill-typed field is corrupt', async () => {
      const cases: Array<(j: any) => void> = [
        j => { delete j.crypto.ciphertext },
        j => { delete j.crypto.nonce },
        j => { delete j.crypto.kdfparams },
        j => { delete j.crypto.kdfparams.salt },
        j => { delete j.publicKey },
        j => { delete j.address },
        j => { delete j.crypto },
        j => { delete j.version },
        j => { j.version = '1' },
        j => { j.crypto.kdfparams.N = '1024' },
        j => { j.crypto.kdfparams.r = 0 },
        j => { j.crypto.kdfparams.p = 1.5 },
        j => { j.crypto.kdfparams.dklen = 16 },
        j => { j.crypto.kdfparams.N = 1000 }, // not a power of two: no scrypt accepts it
        j => { j.crypto.nonce = 'zz' + j.crypto.nonce.slice(2) }, // bad hex
        j => { j.crypto.nonce = j.crypto.nonce.slice(0, 46) }, // wrong length
        j => { j.crypto.ciphertext = j.crypto.ciphertext.slice(0, 64) }, // tag missing
        j => { j.crypto.ciphertext = j.crypto.ciphertext.slice(1) }, // odd hex
        j => { j.crypto.kdfparams.salt = 'abcd' }, // too short
        j => { j.publicKey = '04' + j.publicKey.slice(2) }, // not compressed
        j => { j.crypto.kdf = 42 }
      ]
      for (const [i, mutate] of cases.entries()) {
        const j = clone(ks)
        mutate(j)
        await expectCode(() => parseKeystore(j), 'ERR_KEYSTORE_CORRUPT')
        await expectCode(async () => await decryptKeystore(j, PASSWORD), 'ERR_KEYSTORE_CORRUPT')
        if (i < 3) await expectFileCode(`missing-${i}.json`, JSON.stringify(j), 'ERR_KEYSTORE_CORRUPT')
      }
    })

    it('an unknown version, kdf or cipher is unsupported', async () => {
      await expectFileCode('v2.json', JSON.stringify({ ...clone(ks), version: 2 }), 'ERR_KEYSTORE_UNSUPPORTED')
      // A future version may have another shape: the version is checked before anything else.
      await expectFileCode('v3.json', JSON.stringify({ version: 3, something: 'else' }), 'ERR_KEYSTORE_UNSUPPORTED')
      const kdf = clone(ks)
      kdf.crypto.kdf = 'pbkdf2'
      await expectCode(async () => await decryptKeystore(kdf, PASSWORD), 'ERR_KEYSTORE_UNSUPPORTED')
      const cipher = clone(ks)
      cipher.crypto.cipher = 'aes-128-ctr'
      await expectCode(async () => await decryptKeystore(cipher, PASSWORD), 'ERR_KEYSTORE_UNSUPPORTED')
    })

    it('hostile scrypt parameters are refused before any work is done', async () => {
      const cases: Array<[string, (j: any) => void]> = [
        ['N=2^30', j => { j.crypto.kdfparams.N = 2 ** 30 }],
        ['N=2^52', j => { j.crypto.kdfparams.N = 2 ** 52 }],
        ['N=2^9', j => { j.crypto.kdfparams.N = 2 ** 9 }],
        ['r=2^20', j => { j.crypto.kdfparams.r = 2 ** 20 }],
        ['p=2^20', j => { j.crypto.kdfparams.p = 2 ** 20 }],
        ['N=2^22,r=8 (4 GiB)', j => { j.crypto.kdfparams.N = 2 ** 22 }],
        ['N=2^19,r=8,p=16 (work)', j => { j.crypto.kdfparams.N = 2 ** 19; j.crypto.kdfparams.p = 16 }]
      ]
      for (const [name, mutate] of cases) {
        const j = clone(ks)
        mutate(j)
        const start = Date.now()
        await expectFileCode(`hostile-${name.replace(/[^a-z0-9]/gi, '_')}.json`, JSON.stringify(j), 'ERR_KEYSTORE_UNSUPPORTED')
        expect(Date.now() - start, name).to.be.below(500)
      }
    })

    it('a directory or an oversized file is not a keystore; the error names the file', async () => {
      await expectCode(async () => await readKeystoreFile(dir), 'ERR_KEYSTORE_CORRUPT')
      const big = await fileWith('big.json', ' '.repeat(100_000) + JSON.stringify(ks))
      await expectCode(async () => await readKeystoreFile(big), 'ERR_KEYSTORE_CORRUPT')
      const err = await readKeystoreFile(big).then(() => undefined, (e: Error) => e)
      expect(err?.message).to.include(big)
    })

    it('a FIFO or a device is not read (no hang, no flood), a symlink loop is ERR_KEYSTORE_IO, all without the system\'s own words', async () => {
      const fifo = join(dir, 'fifo.json')
      execFileSync('mkfifo', [fifo])
      // nobody writes to it: reading it by path would wait forever
      await expectCode(async () => await readKeystoreFile(fifo), 'ERR_KEYSTORE_CORRUPT')
      await expectCode(async () => await readKeystoreFile('/dev/zero'), 'ERR_KEYSTORE_CORRUPT')
      const loop = join(dir, 'loop.json')
      await symlink(loop, loop)
      const err = await readKeystoreFile(loop).then(() => undefined, (e: KeystoreError) => e)
      expect(err?.code).to.equal('ERR_KEYSTORE_IO')
      expect(err?.message).to.equal(`cannot read keystore file ${loop}: too many levels of symbolic links (ELOOP)`)
    })

    it('a keystore saved with a byte-order mark (some editors add one) reads as without', async () => {
      const path = await fileWith('bom.json', '\uFEFF' + JSON.stringify(ks))
      expect(await readKeystoreFile(path)).to.deep.equal(ks)
    })

    it('an authenticated key that does not match the public key is corrupt', async () => {
      // Only a buggy writer produces this: encrypt another key under this header by hand.
      const { xchacha20poly1305 } = await import('@noble/ciphers/chacha.js')
      const { scryptAsync } = await import('@noble/hashes/scrypt.js')
      const { fromHex, utf8 } = await import('../../src/core/bytes.ts')
      const j = clone(ks)
      const kp = j.crypto.kdfparams
      const key = await scryptAsync(utf8(PASSWORD.normalize('NFKD')), fromHex(kp.salt), { N: kp.N, r: kp.r, p: kp.p, dkLen: 32 })
      const aad = utf8(JSON.stringify(['memecoin-keystore', 1, j.address, j.publicKey, 'scrypt', kp.N, kp.r, kp.p, 32, kp.salt, 'xchacha20-poly1305']))
      // sanity: this reproduces the real ciphertext, so the forged one below differs only in the key
      expect(toHex(xchacha20poly1305(key, fromHex(j.crypto.nonce), aad).encrypt(KEY))).to.equal(j.crypto.ciphertext)
      j.crypto.ciphertext = toHex(xchacha20poly1305(key, fromHex(j.crypto.nonce), aad).encrypt(new Uint8Array(32).fill(9)))
      await expectCode(async () => await decryptKeystore(j, PASSWORD), 'ERR_KEYSTORE_CORRUPT')
      j.crypto.ciphertext = toHex(xchacha20poly1305(key, fromHex(j.crypto.nonce), aad).encrypt(new Uint8Array(32)))
      await expectCode(async () => await decryptKeystore(j, PASSWORD), 'ERR_KEYSTORE_CORRUPT')
    })
  })

  describe('files', () => {
    it('refuses to overwrite an existing file unless asked to', async () => {
      const path = join(dir, 'exists.json')
      await writeKeystoreFile(path, ks)
      const other = await encryptKeystore(new Uint8Array(32).fill(5), PASSWORD, { scryptN: N })
      await expectCode(async () => await writeKeystoreFile(path, other), 'ERR_KEYSTORE_EXISTS')
      expect((await readKeystoreFile(path)).address).to.equal(ks.address)
      await writeKeystoreFile(path, other, { overwrite: true })
      expect((await readKeystoreFile(path)).address).to.equal(other.address)
      expect((await stat(path)).mode & 0o777).to.equal(0o600)
    })

    it('refuses to overwrite any existing file, not only keystores', async () => {
      const path = join(dir, 'notes.txt')
      await writeFile(path, 'precious')
      await expectCode(async () => await writeKeystoreFile(path, ks), 'ERR_KEYSTORE_EXISTS')
      expect(await readFile(path, 'utf8')).to.equal('precious')
    })

    it('refuses to write an invalid keystore', async () => {
      const j = clone(ks)
      delete j.crypto.nonce
      await expectCode(async () => await writeKeystoreFile(join(dir, 'invalid-out.json'), j), 'ERR_KEYSTORE_CORRUPT')
    })

    it('reports a missing file or directory as ERR_KEYSTORE_NOT_FOUND', async () => {
      await expectCode(async () => await readKeystoreFile(join(dir, 'nope.json')), 'ERR_KEYSTORE_NOT_FOUND')
      await expectCode(async () => await writeKeystoreFile(join(dir, 'no-such-dir', 'k.json'), ks), 'ERR_KEYSTORE_NOT_FOUND')
    })
  })

  describe('raw private keys', () => {
    it('exports 64 lower-case hex characters and imports them back', () => {
      const hex = exportPrivateKeyHex(KEY)
      expect(hex).to.equal(KEY_HEX)
      expect(hex).to.match(/^[0-9a-f]{64}$/)
      expect(importPrivateKeyHex(hex)).to.deep.equal(KEY)
      expect(importPrivateKeyHex(hex.toUpperCase())).to.deep.equal(KEY)
      expect(importPrivateKeyHex(`0x${hex}\n`)).to.deep.equal(KEY)
    })

    it('accepts n-1 and 1, the ends of the valid range', () => {
      const nMinus1 = (CURVE_N - 1n).toString(16).padStart(64, '0')
      expect(toHex(importPrivateKeyHex(nMinus1))).to.equal(nMinus1)
      expect(toHex(importPrivateKeyHex('00'.repeat(31) + '01'))).to.equal('00'.repeat(31) + '01')
    })

    it('rejects invalid keys with ERR_INVALID_PRIVATE_KEY, never echoing them', async () => {
      const n = CURVE_N.toString(16).padStart(64, '0')
      const bad = [
        '00'.repeat(32), // zero
        n, // = n
        (CURVE_N + 1n).toString(16).padStart(64, '0'), // > n
        'ff'.repeat(32),
        KEY_HEX.slice(0, 62), // 31 bytes
        KEY_HEX + '00', // 33 bytes
        KEY_HEX.slice(0, 63), // odd length
        KEY_HEX.slice(0, 62) + 'zz', // non-hex
        '',
        'g'.repeat(64)
      ]
      for (const hex of bad) {
        const err = await expectCode(() => importPrivateKeyHex(hex), 'ERR_INVALID_PRIVATE_KEY')
        if (hex.length >= 8) expect(err.message + JSON.stringify(err.details ?? {})).not.to.include(hex)
      }
      await expectCode(() => exportPrivateKeyHex(new Uint8Array(32)), 'ERR_INVALID_PRIVATE_KEY')
      await expectCode(() => exportPrivateKeyHex(new Uint8Array(31).fill(1)), 'ERR_INVALID_PRIVATE_KEY')
      await expectCode(() => exportPrivateKeyHex(new Uint8Array(32).fill(0xff)), 'ERR_INVALID_PRIVATE_KEY')
    })

    it('KeystoreError is a MemecoinError', async () => {
      const err = await expectCode(async () => await decryptKeystore(ks, 'nope'), 'ERR_KEYSTORE_WRONG_PASSWORD')
      expect(err).to.be.instanceOf(KeystoreError)
      expect(err.name).to.equal('KeystoreError')
    })
  })
})
