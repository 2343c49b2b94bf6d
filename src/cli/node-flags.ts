/**
 * Runtime flags of every memecoin node process. `bin/memecoin.js`'s first line gives them to a
 * node started as a command (`npx memecoin start`, the `memecoin` of a global install), and what
 * starts node processes with `node bin/memecoin.js` itself passes them: the devnet command, the
 * benchmarks, the test harness. An application that embeds the node sets them on its own `node`
 * command line or in NODE_OPTIONS (README, "Embedding"); V8 reads them only at start-up
 * (`v8.setFlagsFromString` later changes nothing).
 *
 * `--max-semi-space-size=64`: V8's young generation may grow to 64 MiB semi-spaces instead of 16
 * (in nodejs/performance#67 a run of the web-tooling benchmark found 64 the best of 16–128;
 * Lodestar's beacon node was tried with a larger one for its scavenge time, ChainSafe/lodestar#2115).
 * A node's work is block-sized: a block's decoded transactions, the state it leaves and the
 * blocks a sync queues ahead live for some tens of milliseconds, long enough to survive two
 * young-generation collections at 16 MiB and be promoted, short enough to die within one at 64.
 * Measured in alternating quick syncs (bench/RESULTS.md, run J): 2.2–4.5 µs less CPU per
 * transfer, 4–8% more throughput, ≈ 70 MiB more resident memory per node.
 *
 * `--no-allocation-site-pretenuring`: V8 no longer allocates an object literal straight in the
 * old generation because the earlier objects of its allocation site survived. A node makes its
 * transaction objects at the same few sites whether they wait in a mempool (long) or belong to a
 * block being synced or imported (tens of milliseconds). `--trace-pretenuring` showed sites
 * tenured in the sync benchmark's process (whose builder and serving node hold thousands of
 * pending transactions). Objects allocated old keep the young objects they point to alive until
 * the next full collection, and those get promoted: a full sync of 2,000 blocks × 500 transfers
 * promoted 849–861 MB with pretenuring and 87–88 MB without; its scavenges took 1.27–1.50 s of
 * the event loop against 1.04–1.10 s, and 1.8–2.4 s of helper threads against 1.17 s
 * (`--trace-gc-nvp`, two alternating pairs; bench/RESULTS.md, run O).
 */
export const NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=64', '--no-allocation-site-pretenuring'])
