/**
 * Every size and count limit of the wire protocol, in one place (protocol/SPEC.md §Limits).
 * A decoder checks the byte size before parsing and the counts while parsing.
 */

/** Fixed field lengths. */
export const CHAIN_ID_BYTES = 8
export const HASH_BYTES = 32
export const PUBLIC_KEY_BYTES = 33
export const SIGNATURE_BYTES = 64
export const ACCOUNT_ID_BYTES = 20
export const VRF_PROOF_BYTES = 81

/** A BlockHeader encodes to at most ~260 bytes; a SignedHeader adds 66. */
export const MAX_HEADER_BYTES = 384
export const MAX_SIGNED_HEADER_BYTES = 512
/** A TxBody (the largest is an evidence body, two signed headers ≈ 700 bytes). */
export const MAX_TX_BODY_BYTES = 1536
/** A Transaction (body + signature + framing). */
export const MAX_TX_BYTES = 1664
/**
 * Protocol cap on a block; genesis `maxBlockBytes` may only lower it. 4 MiB − 256 KiB: gossipsub
 * cannot send an RPC over 4 MiB (it-length-prefixed's limit, which its sender applies with no
 * option to raise it), and the RPC carrying a block also holds the topic, framing and any control
 * piggybacked on it (IHAVE/IWANT lists of up to 5,000 ids ≈ 170 KB). A 4 MiB block never left its
 * producer on gossip.
 */
export const MAX_BLOCK_BYTES = 4 * 1024 * 1024 - 256 * 1024
/** Protocol cap on transactions in a block; genesis `maxBlockTxs` may only lower it. */
export const MAX_BLOCK_TXS = 20_000
/** A gossiped transaction batch. */
export const MAX_TX_BATCH_TXS = 512
export const MAX_TX_BATCH_BYTES = 1024 * 1024
/** An evidence gossip message (two signed headers). */
export const MAX_EVIDENCE_BYTES = 2 * MAX_SIGNED_HEADER_BYTES + 16
/** Status handshake message. */
export const MAX_STATUS_BYTES = 256
/** Blocks per blocks-by-range or blocks-by-hash request. */
export const MAX_BLOCKS_PER_REQUEST = 64
/** A request message (blocks-by-hash with MAX_BLOCKS_PER_REQUEST hashes is ~2.2 KiB). */
export const MAX_REQUEST_BYTES = 4096
/** What a response chunk adds around its block (code, message, field framing). */
export const RESPONSE_CHUNK_OVERHEAD_BYTES = 256
/** One response chunk: a block plus framing (a chain's genesis `maxBlockBytes` lowers it). */
export const MAX_RESPONSE_CHUNK_BYTES = MAX_BLOCK_BYTES + RESPONSE_CHUNK_OVERHEAD_BYTES
/** An encoded Account leaf (bounded by MAX_UNBONDING_ENTRIES). */
export const MAX_UNBONDING_ENTRIES = 64
export const MAX_ACCOUNT_BYTES = 64 + MAX_UNBONDING_ENTRIES * 24
/** An encoded Genesis (and a genesis.json file: 4× for JSON overhead). */
export const MAX_GENESIS_BYTES = 1024 * 1024
export const MAX_GENESIS_ACCOUNTS = 10_000
export const MAX_CHAIN_NAME_LENGTH = 64
