/**
 * What a receiving node spends on a warm block, in one process without the network (an
 * investigation aid beside `npm run bench`'s gossip benchmark, whose nodes pay this plus
 * gossipsub's own work): `npx tsx bench/warm-import.ts [BLOCKS] [--cpu-prof DIR]`.
 *
 * A one-validator chain with 500 funded senders produces BLOCKS (default 60) blocks of 500
 * transfers. A fresh chain service on LevelDB with its verifier pool then takes each block as a
 * live node does: the block's transactions first, admitted as gossip admits them (batches of 64,
 * not local), then the block's checks before relay (`checkBlockForRelay`) and its import. Prints
 * the CPU (this process, every thread) and wall time per block of each step, over the blocks
 * after the first 10 (warm-up). With `--cpu-prof DIR` a V8 CPU profile of those blocks' relay
 * checks and imports (and the admissions between them) goes to DIR/warm.cpuprofile
 * (`npx tsx bench/devnet-profile.ts DIR` summarises it). Also prints the main thread's CPU per block
 * over the same blocks, the admissions of their transactions included (Linux). Prints numbers,
 * asserts nothing.
 */
import '../src/polyfill.ts'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChainService } from '../src/chain/service.ts'
import { LevelStore } from '../src/storage/level.ts'
import { decodeBlock } from '../src/wire/block.ts'
import { fixture, makeBlocks } from './core.ts'
import { threadCpuMs } from './threads.ts'

const args = process.argv.slice(2)
const profAt = args.indexOf('--cpu-prof')
const profDir = profAt >= 0 ? args[profAt + 1] : undefined
const nBlocks = Number(args.find((a, i) => !a.startsWith('--') && (profAt < 0 || i !== profAt + 1)) ?? 60)
const WARMUP = 10
if (!Number.isSafeInteger(nBlocks) || nBlocks <= WARMUP) {
  console.error(`usage: warm-import.ts [BLOCKS > ${WARMUP}] [--cpu-prof DIR]`)
  process.exit(2)
}
const o = { senders: 500, perSender: nBlocks, batch: 64, blockTxs: 500, mempoolTxs: 500, verifySeconds: 1, rounds: 1 }
console.error(`building ${nBlocks} blocks of ${o.blockTxs} transfers …`)
const f = fixture(o)
const blocks = await makeBlocks(f, o)
const session = new Session()
if (profDir !== undefined) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
}
const tmp = mkdtempSync(join(tmpdir(), 'memecoin-warm-'))
const store = new LevelStore(join(tmp, 'db'))
await store.open()
const svc = await ChainService.open({ params: f.params, allocations: f.config.accounts, store, now: () => f.params.genesisTime + 1_000_000n * f.params.slotMs, verifierPool: true })
svc.verifierPool?.start()
const cpuMs = (): number => { const c = process.cpuUsage(); return (c.user + c.system) / 1000 }
/** CPU ms of this process's main thread (Linux /proc), undefined elsewhere. */
const mainThreadMs = (): number | undefined => threadCpuMs().get(process.pid)
let mainAt: number | undefined
const sum = { checkCpu: 0, checkWall: 0, importCpu: 0, importWall: 0, blocks: 0 }
try {
  for (let i = 0; i < blocks.length; i++) {
    const bytes = blocks[i] as Uint8Array
    if (i === WARMUP && profDir !== undefined) await session.post('Profiler.start')
    if (i === WARMUP) mainAt = mainThreadMs()
    const txs = decodeBlock(bytes, f.params).txs.map((t) => t.bytes)
    for (let j = 0; j < txs.length; j += o.batch) {
      const r = await svc.addTransactions(txs.slice(j, j + o.batch), { peer: 'bench' })
      if (r.some((x) => !x.ok)) throw new Error('a transaction was refused')
    }
    // let the admissions' verdicts and the pool settle, as between a block's transactions and the block
    await new Promise((resolve) => setTimeout(resolve, 20))
    const c0 = cpuMs()
    const t0 = performance.now()
    const check = svc.checkBlockForRelay(bytes)
    const c1 = cpuMs()
    const t1 = performance.now()
    await svc.importBlock(check.block)
    const c2 = cpuMs()
    const t2 = performance.now()
    if (i < WARMUP) continue
    sum.blocks++
    sum.checkCpu += c1 - c0
    sum.checkWall += t1 - t0
    sum.importCpu += c2 - c1
    sum.importWall += t2 - t1
  }
  if (svc.chain.head.height !== BigInt(blocks.length)) throw new Error(`head at ${svc.chain.head.height}, not ${blocks.length}`)
  if (profDir !== undefined) {
    const { profile } = await session.post('Profiler.stop')
    mkdirSync(profDir, { recursive: true })
    writeFileSync(join(profDir, 'warm.cpuprofile'), JSON.stringify(profile))
  }
  const mainNow = mainThreadMs()
  const per = (x: number): string => (x / sum.blocks).toFixed(2)
  console.log(`${sum.blocks} warm blocks of ${o.blockTxs} transfers: checks before relay ${per(sum.checkCpu)} ms CPU (${per(sum.checkWall)} ms wall), import ${per(sum.importCpu)} ms CPU (${per(sum.importWall)} ms wall) per block${mainAt !== undefined && mainNow !== undefined ? `; the main thread, admissions included: ${per(mainNow - mainAt)} ms per block` : ''}`)
} finally {
  await svc.close()
  rmSync(tmp, { recursive: true, force: true })
}
process.exit(0)
