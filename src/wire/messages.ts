/**
 * The remaining wire messages: gossip evidence, account leaves, and the request/response
 * protocol (status, blocks-by-range, blocks-by-hash, response chunks).
 */
import { DecodeError } from '../core/errors.ts'
import { MAX_U64 } from '../core/ledger.ts'
import { Account, BlocksByHashRequest, BlocksByRangeRequest, Evidence, ResponseChunk, Status } from './memecoin.ts'
import { decodeCanonical, decodeMessage, encodeMessage, expectLength, type Loose } from './codec.ts'
import { HASH_BYTES, MAX_ACCOUNT_BYTES, MAX_BLOCKS_PER_REQUEST, MAX_EVIDENCE_BYTES, MAX_REQUEST_BYTES, MAX_RESPONSE_CHUNK_BYTES, MAX_STATUS_BYTES, MAX_UNBONDING_ENTRIES } from './limits.ts'
import { decodeSignedHeader } from './header.ts'
import type { SignedHeader } from '../core/types.ts'

export type { Status, BlocksByRangeRequest, BlocksByHashRequest, ResponseChunk, Account } from './memecoin.ts'

/** Response chunk codes. */
export const RESPONSE_OK = 0
export const RESPONSE_INVALID_REQUEST = 1
export const RESPONSE_RATE_LIMITED = 2
export const RESPONSE_SERVER_ERROR = 3
export const MAX_RESPONSE_MESSAGE_LENGTH = 256

/** Decodes a gossiped evidence message into its two signed headers. */
export function decodeEvidence (bytes: Uint8Array): { a: SignedHeader, b: SignedHeader } {
  const e = decodeCanonical(Evidence, bytes, MAX_EVIDENCE_BYTES, 'Evidence')
  return { a: decodeSignedHeader(e.headerA), b: decodeSignedHeader(e.headerB) }
}

/** Evidence bytes of two signed headers' bytes. */
export function encodeEvidence (headerA: Uint8Array, headerB: Uint8Array): Uint8Array {
  return encodeMessage(Evidence, { headerA, headerB })
}

/** Decodes an Account leaf value. */
export function decodeAccount (bytes: Uint8Array): Account {
  return decodeCanonical(Account, bytes, MAX_ACCOUNT_BYTES, 'Account', { limits: { unbonding: MAX_UNBONDING_ENTRIES } })
}

/** Room for an Account of MAX_UNBONDING_ENTRIES entries: 3 × (tag + 10-byte varint) + 24 per entry. */
const accountScratch = new Uint8Array(33 + 24 * MAX_UNBONDING_ENTRIES)

/** Writes `n` as a protobuf varint at `at` (integer ops on two 32-bit halves); returns the end. */
function putUint64 (out: Uint8Array, at: number, n: bigint): number {
  if (n < 0n || n > MAX_U64) throw new RangeError('Account field outside uint64')
  let lo: number
  let hi: number
  if (n <= 0xffffffffn) {
    lo = Number(n)
    hi = 0
  } else {
    lo = Number(n & 0xffffffffn)
    hi = Number(n >> 32n)
  }
  while (hi !== 0 || lo > 0x7f) {
    out[at++] = (lo & 0x7f) | 0x80
    lo = ((lo >>> 7) | (hi << 25)) >>> 0
    hi >>>= 7
  }
  out[at++] = lo
  return at
}

/**
 * Canonical Account bytes: what protons' `Account` codec writes (fields in number order, zero
 * fields left out; test/wire/account-encoding.test.ts compares the two), written by hand because
 * the state root encodes every account a block touches (the codec's writer took ≈ 9% of the
 * bytes a syncing node allocates).
 */
export function encodeAccount (a: Loose<Account>): Uint8Array {
  const out = a.unbonding.length <= MAX_UNBONDING_ENTRIES ? accountScratch : new Uint8Array(33 + 24 * a.unbonding.length)
  let at = 0
  if (a.balance !== 0n) { out[at++] = 0x08; at = putUint64(out, at, a.balance) }
  if (a.nonce !== 0n) { out[at++] = 0x10; at = putUint64(out, at, a.nonce) }
  if (a.stake !== 0n) { out[at++] = 0x18; at = putUint64(out, at, a.stake) }
  for (let i = 0; i < a.unbonding.length; i++) {
    const u = a.unbonding[i] as Loose<Account>['unbonding'][number]
    // field 4, length-delimited; an Unbonding is at most 22 bytes, so its length is one byte
    out[at++] = 0x22
    const lengthAt = at++
    if (u.amount !== 0n) { out[at++] = 0x08; at = putUint64(out, at, u.amount) }
    if (u.releaseEpoch !== 0n) { out[at++] = 0x10; at = putUint64(out, at, u.releaseEpoch) }
    out[lengthAt] = at - lengthAt - 1
  }
  return out.slice(0, at)
}

/** Decodes a Status message. */
export function decodeStatus (bytes: Uint8Array): Status {
  const s = decodeMessage(Status, bytes, MAX_STATUS_BYTES, 'Status')
  expectLength(s.genesisHash, HASH_BYTES, 'status.genesisHash')
  expectLength(s.headHash, HASH_BYTES, 'status.headHash')
  expectLength(s.settledHash, HASH_BYTES, 'status.settledHash')
  if (s.settledHeight > s.headHeight) throw new DecodeError('ERR_STATUS', 'settled height above head height')
  return s
}

/** Status bytes. */
export function encodeStatus (s: Loose<Status>): Uint8Array {
  return encodeMessage(Status, s)
}

/** Decodes a blocks-by-range request; count must be 1..MAX_BLOCKS_PER_REQUEST. */
export function decodeBlocksByRange (bytes: Uint8Array): BlocksByRangeRequest {
  const r = decodeMessage(BlocksByRangeRequest, bytes, MAX_REQUEST_BYTES, 'BlocksByRangeRequest')
  if (r.count < 1 || r.count > MAX_BLOCKS_PER_REQUEST) {
    throw new DecodeError('ERR_REQUEST_COUNT', `count must be 1..${MAX_BLOCKS_PER_REQUEST}, got ${r.count}`)
  }
  return r
}

/** Blocks-by-range request bytes. */
export function encodeBlocksByRange (r: Loose<BlocksByRangeRequest>): Uint8Array {
  return encodeMessage(BlocksByRangeRequest, r)
}

/** Decodes a blocks-by-hash request: 1..MAX_BLOCKS_PER_REQUEST hashes of 32 bytes. */
export function decodeBlocksByHash (bytes: Uint8Array): BlocksByHashRequest {
  const r = decodeMessage(BlocksByHashRequest, bytes, MAX_REQUEST_BYTES, 'BlocksByHashRequest', { limits: { hashes: MAX_BLOCKS_PER_REQUEST } })
  if (r.hashes.length < 1) throw new DecodeError('ERR_REQUEST_COUNT', 'no hashes requested')
  for (const h of r.hashes) expectLength(h, HASH_BYTES, 'requested hash')
  return r
}

/** Blocks-by-hash request bytes. */
export function encodeBlocksByHash (r: Loose<BlocksByHashRequest>): Uint8Array {
  return encodeMessage(BlocksByHashRequest, r)
}

/** Decodes one response chunk; a non-zero code carries no block, code 0 carries one. */
export function decodeResponseChunk (bytes: Uint8Array): ResponseChunk {
  const c = decodeMessage(ResponseChunk, bytes, MAX_RESPONSE_CHUNK_BYTES, 'ResponseChunk')
  if (c.code === RESPONSE_OK && c.block.length === 0) throw new DecodeError('ERR_RESPONSE', 'ok chunk without a block')
  if (c.code !== RESPONSE_OK && c.block.length !== 0) throw new DecodeError('ERR_RESPONSE', 'error chunk with a block')
  if (c.message.length > MAX_RESPONSE_MESSAGE_LENGTH) throw new DecodeError('ERR_RESPONSE', 'response message too long')
  // D-2: a protobuf string is UTF-8; the runtime's reader turns invalid bytes into lone surrogates
  // (a value that does not survive a round trip), so refuse them as malformed
  if (!isWellFormedString(c.message)) throw new DecodeError('ERR_MALFORMED', 'response message is not valid UTF-8')
  return c
}

/** True unless `s` holds a lone UTF-16 surrogate. */
function isWellFormedString (s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)
}

/** Response chunk bytes. */
export function encodeResponseChunk (c: Partial<Loose<ResponseChunk>>): Uint8Array {
  return encodeMessage(ResponseChunk, c)
}
