/**
 * How the chain lives in the Store. One atomic batch per head change writes the new blocks, their
 * metadata (consensus state, undo record), the canonical index, the changed accounts (a state
 * journal record, or a checkpoint: src/chain/state-journal.ts), the slashed-set changes and the
 * head pointer, so a crash at any instant leaves a store that opens at a consistent head. Restart
 * loads the accounts, replays the journal's records (at most JOURNAL_MAX_DIFFS, account values
 * only) and loads the last k + 1 canonical blocks; no block is replayed.
 *
 * Keys (one byte of prefix, then fixed-width fields):
 *   0x00 u64be(height) ‖ block hash → Block bytes (every block ever applied, any branch)
 *   0x01 'meta' + name             head hash, genesis hash, last signed slot per validator
 *   0x02 block hash                → Block bytes: databases written before 0x00; still read,
 *                                    never written
 *   0x03 block hash                → node metadata (JSON)
 *   0x04 u64be(height)             → canonical block hash
 *   0x05 account id                → Account bytes, as of the last checkpoint of the state
 *                                    journal (state-journal.ts)
 *   0x06 proposer ‖ u64be(slot)    → (empty): slashed
 *   0x07 snapshot hash             → stake snapshot (JSON)
 *   0x08 block hash                → undo record (binary, `encodeUndo`), for the last k + 2
 *                                    canonical blocks only: a restart loads those of the last
 *                                    k + 1; older ones are deleted as the head moves on, and
 *                                    at start any record of a block it did not load.
 *                                    (Databases written before kept every block's undo record,
 *                                    as JSON in its metadata: still read, never rewritten.)
 *   0x09 u64be(sequence)           → state journal record (`encodeStateDiff`): the accounts
 *                                    one head change since the checkpoint changed, replayed in
 *                                    order over 0x05 at start
 *   0x10 kind ‖ …                  transaction index (src/chain/tx-index.ts; its own batches)
 *
 * Blocks are keyed by height under the lowest prefix because of how LevelDB compacts: it rewrites
 * a table file only where the key range it pushes down to the next level overlaps that level's
 * files. Every head change writes keys from 0x00 up; blocks keyed by hash (0x02) were spread over
 * that whole range, so each compaction rewrote older blocks with the new ones, level after level,
 * while the accounts and undo records it was really for are small and mostly overwritten or
 * deleted. Keyed by height below everything else, older blocks lie under the range of what is
 * being pushed down and stay where they are (Lodestar keys its block archive by slot for the
 * same reason). A 2,000-block sync (`bench/network-run.ts --only sync`): compaction read and
 * wrote ≈ 1.0 GB on the syncing node keyed by hash, ≈ 0.47 GB keyed by height.
 */
import { bytesToBigInt, concatBytes, fromHex, toHex, u64be, utf8 } from '../core/bytes.ts'
import type { EpochState, StakeSnapshot } from '../core/consensus.ts'
import { MemecoinError } from '../core/errors.ts'
import { sha256 } from '../core/hash.ts'
import { Ledger, type AccountState, type UndoRecord } from '../core/ledger.ts'
import type { ChainParams } from '../core/params.ts'
import { decodeBlock } from '../wire/block.ts'
import { decodeAccount, encodeAccount } from '../wire/messages.ts'
import type { BatchOp, Store } from '../storage/store.ts'
import type { BlockNode, Chain, HeadChange, RestoredChain } from './chain.ts'
import { decodeStateDiff, type JournalState, type StateJournal } from './state-journal.ts'
import { decodeUndo, encodeUndo } from './undo.ts'

const META = 0x01
const BLOCK = 0x02
const NODE = 0x03
const CANON = 0x04
const ACCOUNT = 0x05
const SLASHED = 0x06
const SNAPSHOT = 0x07
const UNDO = 0x08
const BLOCK_AT = 0x00
const STATE_DIFF = 0x09
/** Prefix of the transaction index's keys (src/chain/tx-index.ts): never written by this file. */
export const TX_INDEX_PREFIX = 0x10

function key (prefix: number, ...parts: Uint8Array[]): Uint8Array {
  return concatBytes(Uint8Array.of(prefix), ...parts)
}
/** Where a block's bytes are: 0x00 ‖ u64be(height) ‖ hash (see the module comment). */
function blockKey (height: bigint, hash: Uint8Array): Uint8Array {
  return key(BLOCK_AT, u64be(height), hash)
}
function range (prefix: number): { gte: Uint8Array, lt: Uint8Array } {
  return { gte: Uint8Array.of(prefix), lt: Uint8Array.of(prefix + 1) }
}

const HEAD_KEY = key(META, utf8('head'))
const GENESIS_KEY = key(META, utf8('genesis'))

/** Key of the last slot a validator signed (persisted before publishing, so restarts never equivocate). */
export function lastSignedKey (publicKey: Uint8Array): Uint8Array {
  return key(META, utf8('signed:'), publicKey)
}

interface SnapshotJson { total: string, stakes: Array<[string, string]> }
interface EpochJson { epoch: string, nonce: string, rho: string, distribution: string, previousEnd: string }
interface NodeJson {
  height: string
  slot: string
  leaderValue: string
  parent: string
  epochAfter: EpochJson
  stakesAfter: string
  vrfOutput: string
  minted: string
  burned: string
  /** Databases written before undo records had their own key (0x08): read, never written. */
  undo?: {
    accounts: Array<{ id: string, prev: string | null }>
    slashed: Array<{ proposer: string, slot: string, added: boolean }>
  }
}

function snapshotJson (s: StakeSnapshot): SnapshotJson {
  return { total: s.total.toString(), stakes: [...s.stakes].map(([id, v]) => [id, v.toString()]) }
}
function snapshotId (json: SnapshotJson): string {
  return toHex(sha256(utf8(JSON.stringify(json))))
}

/** Ids of stake snapshots already written (a bounded set: forgetting one only means writing it again). */
export interface WrittenSnapshots { has: (id: string) => boolean, add: (id: string) => void }

/** Writes for a head change: one atomic batch (the caller awaits it before publishing). */
export function headChangeOps (chain: Chain, change: HeadChange, written: WrittenSnapshots, journal: StateJournal): BatchOp[] {
  const ops: BatchOp[] = []
  const snap = (s: StakeSnapshot): string => {
    const json = snapshotJson(s)
    const id = snapshotId(json)
    if (!written.has(id)) {
      ops.push({ type: 'put', key: key(SNAPSHOT, fromHex(id)), value: utf8(JSON.stringify(json)) })
      written.add(id)
    }
    return id
  }
  // Undone blocks first: a merged change may undo a block and apply it again (it is then in
  // both lists), and the put of its new undo record below must come after this delete.
  for (const n of change.undone) {
    // heights a shorter new branch no longer covers
    if (n.height > change.head.height) ops.push({ type: 'del', key: key(CANON, u64be(n.height)) })
    // an undone block's record is spent (re-applying it makes a new one)
    ops.push({ type: 'del', key: key(UNDO, n.hash) })
  }
  for (const n of change.applied) {
    const block = n.block
    if (block === undefined || n.epochAfter === undefined || n.stakesAfter === undefined) throw new MemecoinError('ERR_INTERNAL', 'applied block without consensus state')
    const meta: NodeJson = {
      height: n.height.toString(),
      slot: n.slot.toString(),
      leaderValue: n.leaderValue.toString(16),
      parent: toHex(block.header.header.parentHash),
      epochAfter: epochJson(n.epochAfter, snap),
      stakesAfter: snap(n.stakesAfter),
      vrfOutput: toHex(n.vrfOutput ?? new Uint8Array(0)),
      minted: (n.minted ?? 0n).toString(),
      burned: (n.burned ?? 0n).toString()
    }
    ops.push({ type: 'put', key: blockKey(n.height, n.hash), value: block.bytes })
    ops.push({ type: 'put', key: key(NODE, n.hash), value: utf8(JSON.stringify(meta)) })
    ops.push({ type: 'put', key: key(CANON, u64be(n.height)), value: n.hash })
    if (n.undo !== undefined) ops.push({ type: 'put', key: key(UNDO, n.hash), value: n.undo })
    // A restart reads the undo records of the last k + 1 blocks (loadChain): one more is kept,
    // older ones go. They used to stay forever (as JSON: ≈ 130 bytes per touched account, more
    // than the block itself for blocks of transfers). A block already gone from memory (one
    // change applying a long run of blocks) keeps its record until the next start's sweep.
    const stale = n.height - chain.params.k - 2n
    const old = stale >= 1n ? chain.blockAt(stale) : undefined
    if (old !== undefined) ops.push({ type: 'del', key: key(UNDO, old.hash) })
  }
  // the bytes the state root committed to (no second encoding)
  const valueOf = (id: Uint8Array): Uint8Array | undefined => chain.ledger.encoded(id)
  const plan = journal.plan(change.touchedAccounts, change.touchedKeys, valueOf)
  if (plan.kind === 'record') {
    ops.push({ type: 'put', key: key(STATE_DIFF, u64be(plan.seq)), value: plan.bytes })
  } else {
    for (const id of plan.accounts) {
      const a = valueOf(id)
      ops.push(a === undefined ? { type: 'del', key: key(ACCOUNT, id) } : { type: 'put', key: key(ACCOUNT, id), value: a })
    }
    for (let seq = plan.drop.first; seq < plan.drop.next; seq++) ops.push({ type: 'del', key: key(STATE_DIFF, u64be(seq)) })
  }
  for (const s of change.touchedSlashed) {
    const k = key(SLASHED, s.proposer, u64be(s.slot))
    ops.push(chain.ledger.isSlashed(s.proposer, s.slot) ? { type: 'put', key: k, value: new Uint8Array(0) } : { type: 'del', key: k })
  }
  ops.push({ type: 'put', key: HEAD_KEY, value: change.head.hash })
  return ops
}

function epochJson (e: EpochState, snap: (s: StakeSnapshot) => string): EpochJson {
  return { epoch: e.epoch.toString(), nonce: toHex(e.nonce), rho: toHex(e.rho), distribution: snap(e.distribution), previousEnd: snap(e.previousEnd) }
}

/**
 * Ops that record genesis in a store that has no chain (fresh, or whose head is still genesis):
 * the genesis hash, its accounts, the head pointer, and the removal of any state journal record
 * (they would replay over the genesis accounts at the next start).
 */
export async function genesisOps (store: Store, params: ChainParams, ledger: Ledger): Promise<BatchOp[]> {
  const ops: BatchOp[] = [{ type: 'put', key: GENESIS_KEY, value: params.genesisHash }, { type: 'put', key: HEAD_KEY, value: params.genesisHash }]
  for (const [id, a] of ledger.entries()) ops.push({ type: 'put', key: key(ACCOUNT, id), value: encodeAccount(a) })
  for await (const [k] of store.entries(range(STATE_DIFF))) ops.push({ type: 'del', key: k })
  return ops
}

/**
 * Loads a stored chain, or undefined for an empty store. Throws ERR_STORE_GENESIS when the store
 * belongs to another chain and ERR_STORE_CORRUPT when it is inconsistent.
 */
export async function loadChain (store: Store, params: ChainParams): Promise<(RestoredChain & { journal: JournalState }) | undefined> {
  const genesis = await store.get(GENESIS_KEY)
  if (genesis === undefined) return undefined
  if (toHex(genesis) !== toHex(params.genesisHash)) {
    throw new MemecoinError('ERR_STORE_GENESIS', `the database belongs to another chain (genesis ${toHex(genesis).slice(0, 16)}, expected ${toHex(params.genesisHash).slice(0, 16)})`)
  }
  const head = await store.get(HEAD_KEY)
  if (head === undefined) throw corrupt('no head pointer')
  if (toHex(head) === toHex(params.genesisHash)) return undefined
  const snapshots = new Map<string, StakeSnapshot>()
  const loadSnap = async (id: string): Promise<StakeSnapshot> => {
    let s = snapshots.get(id)
    if (s === undefined) {
      const raw = await store.get(key(SNAPSHOT, fromHex(id)))
      if (raw === undefined) throw corrupt(`missing stake snapshot ${id.slice(0, 12)}`)
      const json = JSON.parse(new TextDecoder().decode(raw)) as SnapshotJson
      s = Object.freeze({ stakes: new Map(json.stakes.map(([i, v]) => [i, BigInt(v)])), total: BigInt(json.total) })
      snapshots.set(id, s)
    }
    return s
  }
  const headMeta = await readMeta(store, head)
  const headHeight = BigInt(headMeta.height)
  const from = headHeight > params.k + 1n ? headHeight - params.k - 1n : 1n
  const nodes: BlockNode[] = []
  let parent: BlockNode | undefined
  for (let h = from; h <= headHeight; h++) {
    const hash = await store.get(key(CANON, u64be(h)))
    if (hash === undefined) throw corrupt(`missing canonical block at height ${h}`)
    const meta = await readMeta(store, hash)
    const bytes = await storedBlockAt(store, h, hash)
    if (bytes === undefined) throw corrupt(`missing block ${toHex(hash).slice(0, 12)}`)
    const block = decodeBlock(bytes, params)
    const node: BlockNode = {
      hash: block.header.hash,
      hex: toHex(block.header.hash),
      block,
      parent,
      height: h,
      slot: BigInt(meta.slot),
      leaderValue: BigInt('0x' + meta.leaderValue),
      status: 'valid',
      epochAfter: {
        epoch: BigInt(meta.epochAfter.epoch),
        nonce: fromHex(meta.epochAfter.nonce),
        rho: fromHex(meta.epochAfter.rho),
        distribution: await loadSnap(meta.epochAfter.distribution),
        previousEnd: await loadSnap(meta.epochAfter.previousEnd)
      },
      stakesAfter: await loadSnap(meta.stakesAfter),
      vrfOutput: fromHex(meta.vrfOutput),
      minted: BigInt(meta.minted),
      burned: BigInt(meta.burned)
    }
    // the lowest block loaded is only a base, never undone, unless it is block 1: with the head
    // within k + 1 of genesis nothing is settled and a reorg may go back to genesis
    if (h > from || h === 1n) {
      // either form is checked now: a damaged record is ERR_STORE_CORRUPT at open, not at a reorg
      if (meta.undo !== undefined) {
        try {
          node.undo = encodeUndo(undoFromJson(meta.undo))
        } catch (err) {
          throw corrupt(`undo record (JSON) of block ${toHex(hash).slice(0, 12)}: ${(err as Error).message}`)
        }
      } else {
        const undo = await store.get(key(UNDO, hash))
        if (undo !== undefined) {
          decodeUndo(undo)
          node.undo = undo
        }
      }
    }
    nodes.push(node)
    parent = node
  }
  if (nodes[nodes.length - 1]?.hex !== toHex(head)) throw corrupt('head pointer is not the top of the canonical index')
  // Undo records of blocks outside what was just loaded are never read again: a head change
  // deletes them as it goes, except those of blocks no longer in memory then (see headChangeOps).
  const loaded = new Set(nodes.map((n) => n.hex))
  const stale: BatchOp[] = []
  for await (const [k] of store.entries(range(UNDO))) if (!loaded.has(toHex(k.subarray(1)))) stale.push({ type: 'del', key: k })
  await store.batch(stale)
  const { changed, journal } = await loadJournal(store)
  let accounts: Array<[Uint8Array, AccountState]> = []
  for await (const [k, v] of store.entries(range(ACCOUNT))) accounts.push([k.subarray(1), decodeAccount(v)])
  if (changed.size > 0) {
    // the journal's values replace the checkpoint's; accounts it created come after
    accounts = accounts.filter(([id]) => !changed.has(toHex(id)))
    for (const [id, a] of changed.values()) if (a !== undefined) accounts.push([id, a])
  }
  const slashed: Array<{ proposer: Uint8Array, slot: bigint }> = []
  for await (const [k] of store.entries(range(SLASHED))) slashed.push({ proposer: k.subarray(1, 34), slot: bytesToBigInt(k.subarray(34)) })
  const ledger = Ledger.restore(accounts, slashed, encodeAccount)
  if (toHex(ledger.root()) !== toHex(nodes[nodes.length - 1]?.block?.header.header.stateRoot ?? new Uint8Array())) {
    throw corrupt('stored accounts do not match the head state root')
  }
  return { ledger, nodes, journal }
}

/**
 * The state journal's records in order: each account's last value in them (undefined: deleted),
 * by hex id, and the journal's position. ERR_STORE_CORRUPT for a damaged record or a gap in the
 * sequence (a record the batches never skip).
 */
async function loadJournal (store: Store): Promise<{ changed: Map<string, [Uint8Array, AccountState | undefined]>, journal: JournalState }> {
  const changed = new Map<string, [Uint8Array, AccountState | undefined]>()
  let first: bigint | undefined
  let next = 0n
  for await (const [k, v] of store.entries(range(STATE_DIFF))) {
    if (k.length !== 9) throw corrupt(`state journal key of ${k.length} bytes`)
    const seq = bytesToBigInt(k.subarray(1))
    if (first !== undefined && seq !== next) throw corrupt(`state journal record ${seq} follows ${next - 1n}`)
    first ??= seq
    next = seq + 1n
    for (const { id, bytes } of decodeStateDiff(v)) {
      let a: AccountState | undefined
      try {
        a = bytes === undefined ? undefined : decodeAccount(bytes)
      } catch (err) {
        throw corrupt(`state journal record ${seq}: account ${toHex(id)}: ${(err as Error).message}`)
      }
      changed.set(toHex(id), [id, a])
    }
  }
  return { changed, journal: { first: first ?? next, next, dirty: [...changed.values()].map(([id]) => id) } }
}

async function readMeta (store: Store, hash: Uint8Array): Promise<NodeJson> {
  const raw = await store.get(key(NODE, hash))
  if (raw === undefined) throw corrupt(`missing metadata of block ${toHex(hash).slice(0, 12)}`)
  return parseMeta(raw, hash)
}

/** A block's stored metadata; ERR_STORE_CORRUPT if it is not JSON with a height. */
function parseMeta (raw: Uint8Array, hash: Uint8Array): NodeJson {
  try {
    const meta = JSON.parse(new TextDecoder().decode(raw)) as NodeJson
    BigInt(meta.height)
    return meta
  } catch (err) {
    throw corrupt(`metadata of block ${toHex(hash).slice(0, 12)}: ${(err as Error).message}`)
  }
}

function undoFromJson (u: NonNullable<NodeJson['undo']>): UndoRecord {
  return {
    accounts: u.accounts.map((a) => ({ id: fromHex(a.id), prev: a.prev === null ? undefined : decodeAccount(fromHex(a.prev)) })),
    slashed: u.slashed.map((x) => ({ proposer: fromHex(x.proposer), slot: BigInt(x.slot), added: x.added }))
  }
}

function corrupt (what: string): MemecoinError {
  return new MemecoinError('ERR_STORE_CORRUPT', `database is inconsistent: ${what}`)
}

/** Stored block bytes by hash (any block ever applied): its height is in its metadata. */
export async function storedBlock (store: Store, hash: Uint8Array): Promise<Uint8Array | undefined> {
  const raw = await store.get(key(NODE, hash))
  return raw === undefined ? undefined : await storedBlockAt(store, BigInt(parseMeta(raw, hash).height), hash)
}

/** Stored bytes of the block `hash` at `height`, under either key (0x00, or 0x02 of databases written before). */
export async function storedBlockAt (store: Store, height: bigint, hash: Uint8Array): Promise<Uint8Array | undefined> {
  return await store.get(blockKey(height, hash)) ?? await store.get(key(BLOCK, hash))
}

/** Stored canonical block bytes at `height` (undefined above the stored head). */
export async function storedCanonicalBlock (store: Store, height: bigint): Promise<Uint8Array | undefined> {
  const hash = await storedCanonicalHash(store, height)
  return hash === undefined ? undefined : await storedBlockAt(store, height, hash)
}

/** Stored canonical block hash at `height`. */
export async function storedCanonicalHash (store: Store, height: bigint): Promise<Uint8Array | undefined> {
  return await store.get(key(CANON, u64be(height)))
}

/** The last slot `publicKey` signed, from the store (undefined: never). */
export async function loadLastSigned (store: Store, publicKey: Uint8Array): Promise<bigint | undefined> {
  const v = await store.get(lastSignedKey(publicKey))
  return v === undefined ? undefined : bytesToBigInt(v)
}
