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
 * Measured in alternating quick syncs (README, "Performance", run J): 2.2–4.5 µs less CPU per
 * transfer, 4–8% more throughput, ≈ 70 MiB more resident memory per node.
 */
export const NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=64'])
