// Fault injection for process-level tests, loaded into a node process with
// `node --import test/helpers/fault-inject.mjs bin/memecoin.js start …`. Plain JS so it needs no
// loader. Driven by the environment:
//
//   MEMECOIN_TEST_CLOCK_OFFSET_MS=N   Date.now() returns the real time + N ms (N may be negative):
//                                     a node restarted with a negative offset lives through slots
//                                     it already lived through, as if restarted within one slot.
//   MEMECOIN_TEST_CRASH_AFTER_SIGN=1  right after the first database batch that records a signed
//                                     slot is on disk (before the block itself is imported and
//                                     published), print {"msg":"fault: crash after signing",slot}
//                                     and SIGKILL this process.
//   MEMECOIN_TEST_DROP_SIGNED=1       a mutant for checking the tests themselves: batches lose
//                                     their signed-slot records, as if the node did not persist
//                                     the last signed slot. Never set by the tests; running
//                                     `MEMECOIN_TEST_DROP_SIGNED=1 npx mocha test/node/process.test.ts`
//                                     must make the restart-within-a-slot test fail.
import { ClassicLevel } from 'classic-level'

const offset = Number(process.env.MEMECOIN_TEST_CLOCK_OFFSET_MS ?? '0')
if (Number.isFinite(offset) && offset !== 0) {
  const realNow = Date.now.bind(Date)
  Date.now = () => realNow() + offset
}

const SIGNED = Buffer.from('signed:')
/** The slot of a signed-slot record (key 0x01 'signed:' ‖ pubkey, value u64be(slot)), else undefined. */
function signedSlotOf (op) {
  const k = op?.key
  if (!(k instanceof Uint8Array) || k[0] !== 0x01 || !Buffer.from(k.subarray(1, 1 + SIGNED.length)).equals(SIGNED)) return undefined
  return op.type === 'put' ? Buffer.from(op.value).readBigUInt64BE(0) : undefined
}

const crash = process.env.MEMECOIN_TEST_CRASH_AFTER_SIGN === '1'
const drop = process.env.MEMECOIN_TEST_DROP_SIGNED === '1'
if (crash || drop) {
  const batch = ClassicLevel.prototype.batch
  ClassicLevel.prototype.batch = function (...args) {
    if (args.length > 0) return arrayBatch.call(this, ...args)
    // the chained form (LevelStore.batch): collect its operations, then write them as one array
    // batch through the same faults (as atomic as the native chained batch)
    const db = this
    const ops = []
    const chained = {
      put (key, value) { ops.push({ type: 'put', key, value }); return chained },
      del (key) { ops.push({ type: 'del', key }); return chained },
      async close () {},
      write (options) { return arrayBatch.call(db, ops, options) }
    }
    return chained
  }
  function arrayBatch (ops, ...rest) {
    if (!Array.isArray(ops)) return batch.call(this, ops, ...rest)
    const slot = ops.map(signedSlotOf).find((s) => s !== undefined)
    if (slot === undefined) return batch.call(this, ops, ...rest)
    const kept = drop ? ops.filter((op) => signedSlotOf(op) === undefined) : ops
    const written = kept.length === 0 ? Promise.resolve() : batch.call(this, kept, ...rest)
    if (!crash) return written
    return written.then(() => {
      process.stderr.write(JSON.stringify({ msg: 'fault: crash after signing', slot: slot.toString() }) + '\n', () => {
        process.kill(process.pid, 'SIGKILL')
      })
      return new Promise(() => {})
    })
  }
}
