/** Deterministic keys and sample objects for tests (no randomness: every value derives from a label). */
import { sha256 } from '../../src/core/hash.ts'
import { utf8 } from '../../src/core/bytes.ts'
import { privateKeyFromEntropy, publicKeyOf } from '../../src/core/secp256k1.ts'
import { accountIdOf } from '../../src/core/address.ts'

/** A private key derived from a label. */
export function testKey (label: string): Uint8Array {
  return privateKeyFromEntropy(sha256(utf8('test-key:' + label)))
}

/** A key pair and account id derived from a label. */
export function testAccount (label: string): { privateKey: Uint8Array, publicKey: Uint8Array, id: Uint8Array } {
  const privateKey = testKey(label)
  const publicKey = publicKeyOf(privateKey)
  return { privateKey, publicKey, id: accountIdOf(publicKey) }
}

/** 32 bytes derived from a label. */
export function testHash (label: string): Uint8Array {
  return sha256(utf8('test-hash:' + label))
}

/** An 8-byte chain id derived from a label. */
export function testChainId (label: string): Uint8Array {
  return testHash('chain:' + label).subarray(0, 8)
}
