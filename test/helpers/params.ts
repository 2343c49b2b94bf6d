/** Chain parameters, signed headers and a seeded PRNG for tests (deterministic: no Math.random). */
import { bytesToBigInt, u64be, utf8 } from '../../src/core/bytes.ts'
import { sha256 } from '../../src/core/hash.ts'
import type { ChainParams } from '../../src/core/params.ts'
import { publicKeyOf } from '../../src/core/secp256k1.ts'
import { HEADER_DOMAIN, signBytes } from '../../src/core/signing.ts'
import type { BlockHeader, SignedHeader } from '../../src/core/types.ts'
import { decodeSignedHeader, encodeHeader, encodeSignedHeader } from '../../src/wire/header.ts'
import { testChainId, testHash } from './fixtures.ts'

/** Small devnet-like parameters (10-slot epochs so epochs pass quickly), with overrides. */
export function testParams (overrides: Partial<ChainParams> = {}): ChainParams {
  return {
    chainId: testChainId('params'),
    genesisHash: testHash('genesis'),
    genesisTime: 0n,
    slotMs: 1000n,
    epochSlots: 10n,
    activeSlotCoeff: { num: 1n, den: 2n },
    k: 1n,
    unbondingEpochs: 3n,
    blockReward: 1000n,
    slashFraction: { num: 1n, den: 3n },
    slashReward: { num: 1n, den: 2n },
    evidenceEpochs: 2n,
    minFee: 1n,
    maxBlockBytes: 1 << 20,
    maxBlockTxs: 1000,
    initialNonce: testHash('eta0'),
    ...overrides
  }
}

/** A header signed by `privateKey` (VRF proof and roots are placeholders; only the signature counts). */
export function testSignedHeader (privateKey: Uint8Array, f: { chainId: Uint8Array, slot: bigint, label?: string }): SignedHeader {
  const label = f.label ?? ''
  const header: BlockHeader = {
    chainId: f.chainId,
    height: 1n,
    slot: f.slot,
    parentHash: testHash('parent:' + label),
    proposer: publicKeyOf(privateKey),
    vrfProof: new Uint8Array(81).fill(7),
    txRoot: testHash('txRoot:' + label),
    stateRoot: testHash('stateRoot:' + label),
    txCount: 0
  }
  const headerBytes = encodeHeader(header)
  return decodeSignedHeader(encodeSignedHeader(headerBytes, signBytes(HEADER_DOMAIN, headerBytes, privateKey)))
}

/** A deterministic PRNG: SHA-256(seed ‖ counter). */
export class Prng {
  readonly #seed: Uint8Array
  #n = 0n
  constructor (label: string) { this.#seed = sha256(utf8('prng:' + label)) }
  /** 256 fresh bits. */
  next (): bigint { return bytesToBigInt(sha256(this.#seed, u64be(this.#n++))) }
  /** Uniform-enough in [0, n) (bias < 2^-200 for the sizes used in tests). */
  below (n: bigint): bigint { return n <= 0n ? 0n : this.next() % n }
  /** An integer in [0, n). */
  int (n: number): number { return Number(this.below(BigInt(n))) }
  /** True with probability num/den. */
  chance (num: number, den: number): boolean { return this.int(den) < num }
  /** A random element of `xs`. */
  pick<T> (xs: readonly T[]): T { return xs[this.int(xs.length)] as T }
}
