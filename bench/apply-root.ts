/**
 * The state transition and the state root alone, in one process, with nothing else running (an
 * investigation aid beside `npm run bench`, like bench/warm-import.ts):
 * `npx tsx bench/apply-root.ts [ROUNDS]`.
 *
 * Each round applies the core benchmark's 24 blocks of 1,000 transfers (6,000 funded senders,
 * signatures not checked: `applyBlock` with `verifySignatures: false`) to a fresh genesis ledger
 * and computes the state root after each; every fourth block is undone and applied again (a
 * reorg's work). Prints the median over the rounds of µs per transfer for apply + root, apply
 * alone, and undo + root; then the state tree's SHA-256 computations per updated account for a
 * few tree sizes (a tree of random keys, `SparseMerkleTree.hashCount`). Asserts nothing.
 */
import '../src/polyfill.ts'
import { sha256 } from '../src/core/hash.ts'
import { Ledger } from '../src/core/ledger.ts'
import { SparseMerkleTree } from '../src/core/smt.ts'
import { applyBlock, undoBlock } from '../src/core/transition.ts'
import type { SignedTx } from '../src/core/types.ts'
import { encodeAccount } from '../src/wire/messages.ts'
import { decodeTx } from '../src/wire/tx.ts'
import { DEFAULT_CORE_BENCH, fixture } from './core.ts'

const rounds = Number(process.argv[2] ?? 15)
if (!Number.isSafeInteger(rounds) || rounds < 1) {
  console.error('usage: apply-root.ts [ROUNDS ≥ 1]')
  process.exit(2)
}
const o = DEFAULT_CORE_BENCH
console.error(`signing ${o.senders * o.perSender} transfers …`)
const f = fixture(o)
const all = f.txs.flat().map((b) => decodeTx(b))
const blocks: SignedTx[][] = []
for (let i = 0; i < all.length; i += o.blockTxs) blocks.push(all.slice(i, i + o.blockTxs))

const both: number[] = []
const apply: number[] = []
const undo: number[] = []
for (let r = 0; r < rounds; r++) {
  const ledger = Ledger.fromGenesis(f.config.accounts, encodeAccount)
  ledger.root()
  let tApply = 0
  let tRoot = 0
  let tUndo = 0
  let undone = 0
  for (let b = 0; b < blocks.length; b++) {
    const slot = BigInt(b + 1)
    const ctx = { params: f.params, slot, epoch: slot / f.params.epochSlots, proposer: f.validator.publicKey }
    const txs = blocks[b] as SignedTx[]
    const t0 = performance.now()
    const res = applyBlock(ledger, txs, ctx, { verifySignatures: false })
    const t1 = performance.now()
    ledger.root()
    tApply += t1 - t0
    tRoot += performance.now() - t1
    if (b % 4 === 3) {
      const t2 = performance.now()
      undoBlock(ledger, res.undo)
      ledger.root()
      tUndo += performance.now() - t2
      undone += txs.length
      applyBlock(ledger, txs, ctx, { verifySignatures: false })
      ledger.root()
    }
  }
  both.push((tApply + tRoot) * 1000 / all.length)
  apply.push(tApply * 1000 / all.length)
  undo.push(tUndo * 1000 / undone)
}
const median = (a: number[]): string => ([...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number).toFixed(2)
console.log(`${rounds} rounds of ${blocks.length} blocks × ${o.blockTxs} transfers (${o.senders} senders): apply + root ${median(both)} µs per transfer (apply ${median(apply)}), undo + root ${median(undo)}`)

for (const [n, m] of [[6_000, 500], [6_000, 1_000], [100_000, 1_000]] as const) {
  const t = new SparseMerkleTree()
  const keys = Array.from({ length: n }, (_, i) => sha256(Uint8Array.of(i & 255, (i >> 8) & 255, i >> 16)).subarray(0, 20))
  for (const k of keys) t.set(k, Uint8Array.of(1))
  t.root()
  const before = t.hashCount
  for (let i = 0; i < m; i++) t.set(keys[(i * 7) % n] as Uint8Array, Uint8Array.of(2, i & 255))
  t.root()
  console.log(`state tree of ${n} accounts, ${m} updated: ${((t.hashCount - before) / m).toFixed(2)} SHA-256 per updated account`)
}
