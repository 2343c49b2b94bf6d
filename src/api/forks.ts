/**
 * `GET /forks`: the recent block tree for the explorer. The canonical chain's last blocks come
 * from the chain; side blocks are found through the blocks this server saw imported (the chain
 * indexes blocks by hash only), kept while the chain still holds them (`getNode`): a side block
 * the chain pruned (its fork point fell below the settled height) disappears from the answer.
 * Side blocks imported before the server was created are not known (they are not persisted), nor
 * are side blocks more than MAX_FORK_WINDOW heights below the head (no window reaches them).
 */
import { addressOf } from '../core/address.ts'
import { fromHex, toHex } from '../core/bytes.ts'
import type { SignedHeader } from '../core/types.ts'
import type { BlockNode } from '../chain/chain.ts'
import { headerOfBytes } from './blocks.ts'
import { DEFAULT_FORK_WINDOW, MAX_FORK_WINDOW } from './constants.ts'
import type { ApiContext, ApiRequest } from './context.ts'
import { sendJson } from './http.ts'
import { parseIntParam } from './params.ts'

/** A block of the fork tree. */
export interface ForkBlockJson {
  hash: string
  parentHash: string
  height: string
  slot: string
  /** meme1 address of the proposer. */
  proposer: string
  txCount: number
  canonical: boolean
  /** Canonical and at or below the settled height. */
  settled: boolean
}

type BlockInfo = Omit<ForkBlockJson, 'canonical' | 'settled' | 'height'> & { height: bigint }

function infoOf (sh: SignedHeader): BlockInfo {
  const h = sh.header
  return { hash: toHex(sh.hash), parentHash: toHex(h.parentHash), height: h.height, slot: h.slot.toString(), proposer: addressOf(h.proposer), txCount: h.txCount }
}

/**
 * Blocks imported (any branch) at heights `GET /forks` can still show, by hash, oldest first: at
 * most `max`, and none below the floor `prune` sets (the head's height - MAX_FORK_WINDOW + 1), so
 * its size follows the fork rate of the last MAX_FORK_WINDOW heights, not the node's uptime.
 */
export class RecentBlocks {
  private readonly map = new Map<string, BlockInfo>()
  private floor = 0n
  constructor (readonly max: number) {}

  /** Number of blocks remembered. */
  get size (): number { return this.map.size }

  /** Remembers a block of the tree (genesis, which has no block, and blocks below the floor are skipped). */
  add (node: BlockNode): void {
    const sh = node.block?.header
    if (sh === undefined || sh.header.height < this.floor || this.map.has(node.hex)) return
    this.map.set(node.hex, infoOf(sh))
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string)
  }

  /** Forgets the blocks below `minHeight` and skips them from now on. */
  prune (minHeight: bigint): void {
    this.floor = minHeight
    for (const [hex, b] of this.map) if (b.height < minHeight) this.map.delete(hex)
  }

  values (): IterableIterator<BlockInfo> { return this.map.values() }
}

/** Lowest height `GET /forks` can show with a head at `headHeight` (its widest window). */
export function forkFloor (headHeight: bigint): bigint {
  return headHeight - BigInt(MAX_FORK_WINDOW) + 1n
}

/** Feeds `ctx.recent` from the chain: every imported block, and blocks a reorg undid; prunes on each head change. */
export function trackBlocks (ctx: ApiContext): void {
  ctx.chain.on('block', (e) => { ctx.recent.add(e.node) })
  ctx.chain.on('head', (c) => {
    for (const n of c.undone) ctx.recent.add(n)
    ctx.recent.prune(forkFloor(c.head.height))
  })
}

/**
 * `GET /forks?limit=` (1–100, default 30) → `{head: {hash, height}, settledHeight, from, blocks:
 * ForkBlockJson[]}`: the canonical blocks from height `from` to the head and the known side blocks
 * at or above `from`, by height ascending (canonical first at a height); `parentHash` links them.
 */
export async function getForks (ctx: ApiContext, r: ApiRequest): Promise<void> {
  const limit = parseIntParam(r.url, 'limit', DEFAULT_FORK_WINDOW, 1, MAX_FORK_WINDOW)
  const svc = ctx.chain
  const chain = svc.chain
  const head = chain.head
  const settledHeight = chain.settledHeight
  const from = head.height - BigInt(limit) + 1n > 1n ? head.height - BigInt(limit) + 1n : 1n
  // one synchronous view of the tree first; only blocks no longer in memory are read afterwards
  const canonical: Array<BlockInfo | bigint> = []
  for (let h = from; h <= head.height; h++) {
    const sh = chain.blockAt(h)?.block?.header
    canonical.push(sh !== undefined ? infoOf(sh) : h)
  }
  const canonicalHashes = new Set(canonical.map((c) => (typeof c === 'bigint' ? '' : c.hash)))
  const side: BlockInfo[] = []
  for (const b of ctx.recent.values()) {
    if (b.height < from || canonicalHashes.has(b.hash)) continue
    if (chain.blockAt(b.height)?.hex === b.hash) continue
    if (chain.getNode(fromHex(b.hash)) === undefined) continue // pruned by the chain
    side.push(b)
  }
  const blocks: ForkBlockJson[] = []
  const json = (b: BlockInfo, isCanonical: boolean): ForkBlockJson => ({
    ...b, height: b.height.toString(), canonical: isCanonical, settled: isCanonical && b.height <= settledHeight
  })
  for (const c of canonical) {
    if (typeof c !== 'bigint') {
      blocks.push(json(c, true))
      continue
    }
    const bytes = await svc.blockAt(c)
    if (bytes === undefined) break // a reorg shortened the chain meanwhile
    blocks.push(json(infoOf(headerOfBytes(bytes)), true))
  }
  side.sort((a, b) => (a.height !== b.height ? (a.height < b.height ? -1 : 1) : a.hash < b.hash ? -1 : 1))
  for (const s of side) blocks.push(json(s, false))
  blocks.sort((a, b) => {
    const ha = BigInt(a.height)
    const hb = BigInt(b.height)
    if (ha !== hb) return ha < hb ? -1 : 1
    return a.canonical === b.canonical ? 0 : a.canonical ? -1 : 1
  })
  sendJson(r.res, 200, {
    head: { hash: head.hex, height: head.height.toString() },
    settledHeight: settledHeight.toString(),
    from: from.toString(),
    blocks
  })
}
