/**
 * What the state journal (src/chain/state-journal.ts) costs a restart: `npx tsx bench/restart.ts`.
 *
 * A one-validator chain with 1,000 funded senders produces 64 blocks of 1,000 transfers. One
 * LevelDB store imports 63 of them: its journal then holds the most records it ever holds
 * (JOURNAL_MAX_DIFFS − 1 = 63, ≈ 1,000 accounts each), which a restart replays. Another imports
 * all 64: the 64th head change wrote a checkpoint, so it holds none. `ChainService.open` then
 * runs ROUNDS times (default 4) on each store, alternating, and the wall time and this process's
 * CPU of each open are printed. Prints numbers, asserts nothing.
 */
import '../src/polyfill.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChainService } from '../src/chain/service.ts'
import { JOURNAL_MAX_DIFFS } from '../src/chain/state-journal.ts'
import { LevelStore } from '../src/storage/level.ts'
import { decodeBlock } from '../src/wire/block.ts'
import { fixture, makeBlocks } from './core.ts'

const rounds = Number(process.argv[2] ?? 4)
if (!Number.isSafeInteger(rounds) || rounds < 1) {
  console.error('usage: restart.ts [ROUNDS ≥ 1]')
  process.exit(2)
}
const NB = JOURNAL_MAX_DIFFS
const o = { senders: 1000, perSender: NB, batch: 64, blockTxs: 1000, mempoolTxs: 1000, verifySeconds: 1, rounds: 1 }
console.error(`building ${NB} blocks of ${o.blockTxs} transfers …`)
const f = fixture(o)
const blocks = await makeBlocks(f, o)
const now = (): bigint => f.params.genesisTime + 1_000_000n * f.params.slotMs

/** A chain service on its own LevelDB store at `dir`, and how to close both. */
async function open (dir: string): Promise<{ svc: ChainService, close: () => Promise<void> }> {
  const store = new LevelStore(dir)
  await store.open()
  const svc = await ChainService.open({ params: f.params, allocations: f.config.accounts, store, now })
  return { svc, close: async () => { await svc.close(); await store.close() } }
}

/** Journal records in the store at `dir` (keys under 0x09, the journal's prefix). */
async function journalRecords (dir: string): Promise<number> {
  const store = new LevelStore(dir)
  await store.open()
  let n = 0
  for await (const _ of store.entries({ gte: Uint8Array.of(0x09), lt: Uint8Array.of(0x0a) })) n++
  await store.close()
  return n
}

const tmp = mkdtempSync(join(tmpdir(), 'memecoin-restart-'))
try {
  const dirs = new Map<number, string>()
  for (const n of [NB - 1, NB]) {
    const dir = join(tmp, `db${n}`)
    const { svc, close } = await open(dir)
    for (let i = 0; i < n; i++) await svc.importBlock(decodeBlock(blocks[i] as Uint8Array, f.params))
    await close()
    dirs.set(n, dir)
    console.log(`store of ${n} blocks: ${await journalRecords(dir)} journal records`)
  }
  for (let r = 0; r < rounds; r++) {
    for (const [n, dir] of dirs) {
      const c = process.cpuUsage()
      const t = performance.now()
      const { svc, close } = await open(dir)
      const wall = performance.now() - t
      const cpu = process.cpuUsage(c)
      if (svc.chain.head.height !== BigInt(n)) throw new Error(`reopened at ${svc.chain.head.height}, not ${n}`)
      console.log(`open, ${n} blocks: ${wall.toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms CPU`)
      await close()
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
process.exit(0)
