/**
 * A list of accounts as bytes, the part that undo records (src/chain/undo.ts: each account's
 * previous bytes) and state journal records (src/chain/state-journal.ts: its new bytes) share:
 * n × (account id (20) ‖ u32 length, or 0xffffffff if the account does not exist ‖ its Account
 * bytes), integers big-endian. The count and whatever surrounds the list are the caller's.
 */
import { ACCOUNT_ID_BYTES } from '../core/address.ts'
import { MemecoinError } from '../core/errors.ts'

/** The length field of an account that does not exist. */
const ABSENT = 0xffffffff

/** One account of a list: its Account bytes, or undefined if it does not exist. */
export interface AccountEntry { id: Uint8Array, bytes: Uint8Array | undefined }

/** Bytes the entries take. */
export function accountEntriesSize (entries: readonly AccountEntry[]): number {
  let size = 0
  for (const e of entries) size += ACCOUNT_ID_BYTES + 4 + (e.bytes?.length ?? 0)
  return size
}

/** Writes the entries into `out` at `at` (room for `accountEntriesSize`); returns the offset after them. */
export function writeAccountEntries (out: Uint8Array, view: DataView, at: number, entries: readonly AccountEntry[], what: string): number {
  for (const e of entries) {
    if (e.id.length !== ACCOUNT_ID_BYTES) throw new MemecoinError('ERR_INTERNAL', `${what}: account id is not 20 bytes`)
    out.set(e.id, at)
    at += ACCOUNT_ID_BYTES
    view.setUint32(at, e.bytes === undefined ? ABSENT : e.bytes.length)
    at += 4
    if (e.bytes !== undefined) {
      out.set(e.bytes, at)
      at += e.bytes.length
    }
  }
  return at
}

/**
 * Reads `n` entries from `bytes` at `at`: ids copied, Account bytes as views into `bytes`. Calls
 * `bad` (which throws) if the bytes end first, or if they cannot hold `n` entries at all (a
 * damaged count is then no loop bound).
 */
export function readAccountEntries (bytes: Uint8Array, view: DataView, at: number, n: number, bad: (what: string) => never): { entries: AccountEntry[], at: number } {
  if (n > (bytes.length - at) / (ACCOUNT_ID_BYTES + 4)) bad(`${n} accounts in ${bytes.length - at} bytes`)
  const entries: AccountEntry[] = []
  for (let i = 0; i < n; i++) {
    if (at + ACCOUNT_ID_BYTES + 4 > bytes.length) bad('truncated')
    const id = bytes.slice(at, at + ACCOUNT_ID_BYTES)
    const len = view.getUint32(at + ACCOUNT_ID_BYTES)
    at += ACCOUNT_ID_BYTES + 4
    if (len === ABSENT) {
      entries.push({ id, bytes: undefined })
      continue
    }
    if (at + len > bytes.length) bad('truncated')
    entries.push({ id, bytes: bytes.subarray(at, at + len) })
    at += len
  }
  return { entries, at }
}
